/*
 * fuzz_spec.c — libFuzzer target for the OCI config parser (oci_spec_parse):
 * the JSON reader plus every field's validation, mount options, resources,
 * hooks and namespaces.  Any input must give a spec or an error with a
 * message, never a crash, a leak or an error without text.
 */
#include "cpod-lines.c"

/* libseccomp 2.5.4 leaks in one rule pattern (see fuzz_seccomp.c). */
const char *__lsan_default_suppressions(void)
{
	return "leak:libseccomp.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cpod_err err;
	cpod_err_clear(&err);
	oci_spec *s = oci_spec_parse((const char *)data, size, &err);
	if (!s) {
		if (!err.msg[0] || err.code == CPOD_OK)
			abort();
		return 0;
	}
	/* what the runtime does next with a parsed spec, short of running it */
	cpod_err e2;
	(void)ns_validate(s, false, &e2);
	(void)ns_validate(s, true, &e2);
	if (s->linux_.seccomp) {
		seccomp_filter *f = seccomp_compile(s->linux_.seccomp, &e2);
		if (f)
			seccomp_filter_free(f);
	}
	oci_spec_free(s);
	return 0;
}
