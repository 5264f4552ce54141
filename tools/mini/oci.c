/*
 * oci.c — `cpod-mini oci VERB` / `cpod-runc VERB`: runc's command line.
 */
#include "cli.h"

int oci_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("oci: not built yet");
	return 125;
}
