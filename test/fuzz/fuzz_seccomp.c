/*
 * fuzz_seccomp.c — libFuzzer target for the seccomp module: the input is
 * taken both as a runtime-spec linux.seccomp object (compiled, never loaded)
 * and as a containers/common profile (converted, then compiled).
 */
#include "cpod-lines.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libseccomp 2.5.4 leaks rule-tree nodes inside seccomp_rule_add_array when
 * an unconditional rule follows conditional ones for socket() on x86 (where
 * it is multiplexed through socketcall); seccomp_release cannot free them.
 * Reproduced with libseccomp alone, so not ours to fix. */
const char *__lsan_default_suppressions(void)
{
	return "leak:libseccomp.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const json_limits lim = { 1 << 20, 64, 1 << 16 };
	cpod_err err;
	char *text, *oci;
	json_doc *d;

	if (size > (1 << 20))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	d = json_parse(text, size, &lim, &err);
	if (d) {
		seccomp_filter *f = seccomp_compile(json_root(d), &err);
		if (f)
			seccomp_filter_free(f);
		json_doc_free(d);
	}

	oci = seccomp_profile_to_oci(text, UINT64_C(0x00000000a80425fb), "amd64", &err);
	if (oci) {
		d = json_parse(oci, strlen(oci), NULL, &err);
		if (!d)
			abort(); /* the conversion must write valid JSON */
		seccomp_filter *f = seccomp_compile(json_root(d), &err);
		if (f)
			seccomp_filter_free(f);
		json_doc_free(d);
		free(oci);
	}
	free(text);
	return 0;
}
