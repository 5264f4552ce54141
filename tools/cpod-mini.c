/*
 * cpod-mini — the cpod command line: a podman-style CLI, a runc-compatible
 * OCI runtime CLI (`cpod-mini oci VERB`, or the binary invoked as cpod-runc)
 * and, later, the REST service.  This file only dispatches; each command
 * group lives in tools/mini/ and calls the library through cpod.h.
 */
#include "cli.h"
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cpod-mini COMMAND [OPTIONS] [ARGS]\n"
		"\n"
		"commands:\n"
		"  oci VERB ...   the OCI runtime (runc's command line; also as cpod-runc)\n"
		"  version        print the version\n"
		"  help           this text\n");
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];

	if (strcmp(base, "cpod-runc") == 0 || strcmp(base, "runc") == 0) {
		cli_set_progname("cpod-runc");
		return oci_main(argc, argv);
	}
	if (argc < 2) {
		usage(stderr);
		return 125;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "oci") == 0 || strcmp(cmd, "runtime") == 0)
		return oci_main(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("cpod-mini version %s (OCI runtime spec %s)\n", CPOD_VERSION, CPOD_OCI_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	cli_error("unknown command \"%s\" (see cpod-mini help)", cmd);
	return 125;
}
