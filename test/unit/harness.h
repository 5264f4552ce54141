/*
 * harness.h — the unit tests' tiny framework.
 *
 * The unit-test program is one translation unit that includes the whole
 * library (build/cpod-lines.c), so tests reach internal functions.  A test
 * is `TEST(name) { ... CHECK(cond); ... }`; it registers itself.  The
 * program prints `PASS name` / `FAIL name: file:line: what` per test, which
 * test/run counts.  An argument filters tests by substring.
 */
#ifndef CPOD_TEST_HARNESS_H
#define CPOD_TEST_HARNESS_H

typedef void (*unit_fn)(void);
void unit_register(const char *name, unit_fn fn);
void unit_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
extern int unit_failed_now;

#define TEST(name)                                                                 \
	static void test_##name(void);                                             \
	__attribute__((constructor)) static void register_##name(void)             \
	{                                                                          \
		unit_register(#name, test_##name);                                 \
	}                                                                          \
	static void test_##name(void)

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			unit_fail(__FILE__, __LINE__, "%s", #cond);                \
			return;                                                    \
		}                                                                  \
	} while (0)

#define CHECK_MSG(cond, ...)                                                       \
	do {                                                                       \
		if (!(cond)) {                                                     \
			unit_fail(__FILE__, __LINE__, __VA_ARGS__);                \
			return;                                                    \
		}                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                            \
	do {                                                                       \
		const char *a_ = (a), *b_ = (b);                                   \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                           \
			unit_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", \
				  #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");     \
			return;                                                    \
		}                                                                  \
	} while (0)

#endif
