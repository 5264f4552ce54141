# cpod — build, test and benchmark.  `make help` lists the targets.
#
# The library is compiled from the amalgamation: cpod.c is regenerated from
# src/ whenever src/ changes (and committed), and the build compiles a variant
# of it with #line directives so compiler messages point at src/.

CC      ?= cc
CLANG   ?= clang
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN    += -Werror
endif
LIBS    := -lbearssl -lseccomp -lz
B       := build
PREFIX  ?= /usr/local

SRC     := $(shell find src -name '*.[ch]' | LC_ALL=C sort)
# the folders too: removing a file changes nothing else that make sees
SRCDIRS := $(shell find src -type d)
TOOLSRC := tools/cpod-mini.c $(wildcard tools/mini/*.c) tools/mini/cli.h

.PHONY: all static deps install test test-unit test-asan test-vm fuzz fuzz-run bench \
	check-amalgamation clean help demo

all: cpod.c $(B)/libcpod.a $(B)/cpod-mini

help:
	@echo "all                libcpod.a and cpod-mini (dynamic), in $(B)/"
	@echo "static             a fully static cpod-mini ($(B)/cpod-mini-static)"
	@echo "deps               install the Debian packages the build and the tests need"
	@echo "install            cpod-mini and the cpod-runc link into PREFIX=$(PREFIX)"
	@echo "test               the whole suite against the static binary"
	@echo "test-asan          the suite against an ASan+UBSan build (no VM tests)"
	@echo "test-vm            the cgroup v2 tests in a qemu guest"
	@echo "fuzz / fuzz-run    build the libFuzzer targets / run each over its corpus"
	@echo "bench              the benchmarks against runc, crun and friends"
	@echo "check-amalgamation fail when cpod.c does not match src/"

# Always regenerated (a merge can leave a cpod.c newer than src/ yet wrong),
# replaced only when it changes so that nothing rebuilds for nothing.
cpod.c: FORCE
	@tools/amalgamate > $@.tmp && if cmp -s $@.tmp $@; then rm -f $@.tmp; \
	else mv $@.tmp $@ && echo "cpod.c regenerated"; fi
FORCE:

$(B)/cpod-lines.c: $(SRC) $(SRCDIRS) tools/amalgamate
	@mkdir -p $(B)
	tools/amalgamate --lines > $@.tmp && mv $@.tmp $@

check-amalgamation:
	@tools/amalgamate | cmp -s - cpod.c || { echo "cpod.c is stale: run 'make cpod.c' and commit it"; exit 1; }
	@echo "cpod.c matches src/"

$(B)/cpod.o: $(B)/cpod-lines.c cpod.h
	$(CC) $(CFLAGS) $(WARN) -I. -c $< -o $@

$(B)/libcpod.a: $(B)/cpod.o
	rm -f $@ && ar rcs $@ $^

$(B)/cpod-mini: $(TOOLSRC) $(B)/libcpod.a
	$(CC) $(CFLAGS) $(WARN) -I. -Itools/mini tools/cpod-mini.c $(wildcard tools/mini/*.c) \
		$(B)/libcpod.a $(LIBS) -o $@

# The static binary: glibc, BearSSL, libseccomp and zlib from Debian's
# static archives.  Sections are garbage-collected and symbols stripped.
STATIC_FLAGS := -Os -ffunction-sections -fdata-sections
$(B)/static/cpod.o: $(B)/cpod-lines.c cpod.h
	@mkdir -p $(B)/static
	$(CC) $(STATIC_FLAGS) $(WARN) -I. -c $< -o $@

$(B)/cpod-mini-static: $(TOOLSRC) $(B)/static/cpod.o
	$(CC) $(STATIC_FLAGS) $(WARN) -static -s -Wl,--gc-sections -I. -Itools/mini \
		tools/cpod-mini.c $(wildcard tools/mini/*.c) $(B)/static/cpod.o $(LIBS) -o $@
	@echo "static cpod-mini: $$(stat -c %s $@) bytes"

static: cpod.c $(B)/cpod-mini-static

# ASan + UBSan, dynamically linked.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
$(B)/asan/cpod-mini: $(TOOLSRC) $(B)/cpod-lines.c cpod.h
	@mkdir -p $(B)/asan
	$(CC) $(ASAN_FLAGS) $(WARN) -I. -Itools/mini $(B)/cpod-lines.c tools/cpod-mini.c \
		$(wildcard tools/mini/*.c) $(LIBS) -o $@

# Unit tests: one program that includes the library (so internal functions
# are reachable) and every test/unit/test_*.c.
UNITSRC := $(sort $(wildcard test/unit/test_*.c))
$(B)/unit-tests.c: $(UNITSRC) Makefile
	@mkdir -p $(B)
	@{ echo '#include "cpod-lines.c"'; echo '#include "../test/unit/harness.h"'; \
	  for f in $(UNITSRC); do echo "#include \"../$$f\""; done; \
	  echo '#include "../test/unit/harness.c"'; } > $@
$(B)/unit-tests: $(B)/unit-tests.c $(B)/cpod-lines.c $(UNITSRC) test/unit/harness.h test/unit/harness.c
	$(CC) $(CFLAGS) $(WARN) -I. -Ibuild $< $(LIBS) -o $@
$(B)/asan/unit-tests: $(B)/unit-tests.c $(B)/cpod-lines.c $(UNITSRC) test/unit/harness.h test/unit/harness.c
	@mkdir -p $(B)/asan
	$(CC) $(ASAN_FLAGS) $(WARN) -I. -Ibuild $< $(LIBS) -o $@

# The library alone: cpod.c + a small program, nothing else from the tree.
$(B)/vendor-check: cpod.c cpod.h test/vendor/main.c
	@mkdir -p $(B)/vendor && cp cpod.c cpod.h test/vendor/main.c $(B)/vendor/
	cd $(B)/vendor && $(CC) -O1 -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) main.c cpod.c $(LIBS) -o ../vendor-check

# Test files run in parallel (two at a time: CI machines have two cores).
TEST_JOBS ?= 2

test: static $(B)/unit-tests $(B)/vendor-check
	test/run --jobs $(TEST_JOBS) --bin $(B)/cpod-mini-static --unit $(B)/unit-tests

test-unit: $(B)/unit-tests
	$(B)/unit-tests

test-asan: $(B)/asan/cpod-mini $(B)/asan/unit-tests
	test/run --jobs $(TEST_JOBS) --asan --no-vm --bin $(B)/asan/cpod-mini --unit $(B)/asan/unit-tests

test-vm: static
	test/vm/run --bin $(B)/cpod-mini-static

# libFuzzer targets: each test/fuzz/fuzz_X.c against the library.
FUZZSRC := $(wildcard test/fuzz/fuzz_*.c)
FUZZBIN := $(patsubst test/fuzz/%.c,$(B)/fuzz/%,$(FUZZSRC))
$(B)/fuzz/%: test/fuzz/%.c $(B)/cpod-lines.c
	@mkdir -p $(B)/fuzz
	$(CLANG) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. -Ibuild $< $(LIBS) -o $@
fuzz: $(FUZZBIN)
FUZZ_SECONDS ?= 30
fuzz-run: fuzz
	test/fuzz/run $(FUZZ_SECONDS) $(FUZZBIN)

bench: static
	bench/run --bin $(B)/cpod-mini-static

deps:
	tools/deps

install: $(B)/cpod-mini
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib
	install -m 0755 $(B)/cpod-mini $(DESTDIR)$(PREFIX)/bin/cpod-mini
	ln -sf cpod-mini $(DESTDIR)$(PREFIX)/bin/cpod-runc
	install -m 0644 cpod.h $(DESTDIR)$(PREFIX)/include/cpod.h
	install -m 0644 $(B)/libcpod.a $(DESTDIR)$(PREFIX)/lib/libcpod.a

# The README's first command ends here: a container from Debian's busybox-static.
demo: static
	test/fixtures/busybox-bundle $(B)/demo
	$(B)/cpod-mini-static oci --root $(B)/demo-state run --bundle $(B)/demo demo-$$$$

clean:
	rm -rf $(B)
