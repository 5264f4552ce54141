/*
 * usernet.c — `cpod-mini __usernet ...`, the hidden command that runs one
 * network's user-mode stack (src/usernet).  The engine starts it with
 * usernet_spawn; tests and benchmarks start it by hand.  Warnings go to
 * stderr (the spawner points that at the network's log).
 */
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cpod_usernet_main (cpod.h) runs the stack and its client verbs */

static void usernet_log(int level, const char *msg, void *userdata)
{
	(void)userdata;
	fprintf(stderr, "cpod-mini __usernet: %s%s\n", level >= CPOD_LOG_WARN ? "" : "debug: ",
		msg);
}

int cmd_usernet(int argc, char **argv)
{
	cpod_err err;
	memset(&err, 0, sizeof(err));
	cpod_set_log(usernet_log, NULL, getenv("CPOD_USERNET_DEBUG") ? CPOD_LOG_DEBUG
								      : CPOD_LOG_WARN);
	char *out = NULL;
	if (cpod_usernet_main(argc, argv, &out, &err) < 0) {
		cli_errorx(&err);
		return 125;
	}
	if (out)
		printf("%s\n", out);
	free(out);
	return 0;
}
