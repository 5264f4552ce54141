/*
 * registry.c — the registry commands: pull, push, login, logout.  Spelled
 * as podman's; progress goes to stderr when it is a terminal, the pulled
 * image's id to stdout.
 */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The options pull and push share. */
typedef struct registry_flags {
	const char *tls_verify, *authfile, *creds, *cert_dir;
	const char *platform, *arch, *os, *variant;
	bool quiet;
	char platbuf[128];
} registry_flags;

#define REGISTRY_COMMON_OPTS(f)                                        \
	{ "tls-verify", 0, CLI_STR, &(f).tls_verify },                 \
	{ "authfile", 0, CLI_STR, &(f).authfile },                     \
	{ "cert-dir", 0, CLI_STR, &(f).cert_dir },                     \
	{ "quiet", 'q', CLI_BOOL, &(f).quiet }

/* A bare --tls-verify means true (a boolean flag), not "take the next
 * argument". */
static void registry_bare_bools(int argc, char **argv)
{
	static char tls_true[] = "--tls-verify=true";
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--tls-verify"))
			argv[i] = tls_true;
}

/* --tls-verify as given ("--tls-verify" alone is true): -1 unset. */
static int registry_tls(const char *cmd, const char *v, int *out)
{
	if (!v) {
		*out = -1;
		return 0;
	}
	if (!*v || !strcmp(v, "true")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(v, "false")) {
		*out = 0;
		return 0;
	}
	cli_error("%s: --tls-verify takes true or false, not \"%s\"", cmd, v);
	return -1;
}

/* Makes the cpod options from the flags. */
static int registry_opts(const char *cmd, registry_flags *f, cpod_registry_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (registry_tls(cmd, f->tls_verify, &o->tls_verify) < 0)
		return -1;
	o->authfile = f->authfile;
	o->creds = f->creds;
	o->cert_dir = f->cert_dir;
	o->quiet = f->quiet;
	o->progress_fd = f->quiet ? -1 : 2;
	if (f->platform && (f->arch || f->os || f->variant)) {
		cli_error("%s: --platform cannot be combined with --arch, --os or --variant", cmd);
		return -1;
	}
	if (f->platform) {
		o->platform = f->platform;
	} else if (f->arch || f->os || f->variant) {
		/* the missing parts are this machine's */
		const char *arch = f->arch;
		if (!arch) {
#if defined(__x86_64__)
			arch = "amd64";
#elif defined(__aarch64__)
			arch = "arm64";
#elif defined(__arm__)
			arch = "arm";
#elif defined(__i386__)
			arch = "386";
#else
			cli_error("%s: --arch is required with --os or --variant here", cmd);
			return -1;
#endif
		}
		snprintf(f->platbuf, sizeof(f->platbuf), "%s/%s%s%s", f->os ? f->os : "linux", arch,
			 f->variant ? "/" : "", f->variant ? f->variant : "");
		o->platform = f->platbuf;
	}
	return 0;
}

int cmd_pull(int argc, char **argv)
{
	registry_flags f;
	memset(&f, 0, sizeof(f));
	const cli_opt opts[] = {
		REGISTRY_COMMON_OPTS(f),
		{ "creds", 0, CLI_STR, &f.creds },
		{ "platform", 0, CLI_STR, &f.platform },
		{ "arch", 0, CLI_STR, &f.arch },
		{ "os", 0, CLI_STR, &f.os },
		{ "variant", 0, CLI_STR, &f.variant },
		{ NULL, 0, 0, NULL },
	};
	cpod_registry_opts o;
	cpod_err err;
	int rc = 0;

	registry_bare_bools(argc, argv);
	if (cli_parse("pull", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2) {
		cli_error("pull: an image reference is required");
		return 125;
	}
	if (registry_opts("pull", &f, &o) < 0)
		return 125;
	for (int i = 1; i < argc; i++) {
		char *id = cpod_image_pull(cli_engine(), argv[i], &o, &err);
		if (!id) {
			cli_errorx(&err);
			rc = 125;
			continue;
		}
		printf("%s\n", id);
		fflush(stdout);
		free(id);
	}
	return rc;
}

int cmd_push(int argc, char **argv)
{
	registry_flags f;
	memset(&f, 0, sizeof(f));
	const cli_opt opts[] = {
		REGISTRY_COMMON_OPTS(f),
		{ "creds", 0, CLI_STR, &f.creds },
		{ NULL, 0, 0, NULL },
	};
	cpod_registry_opts o;
	cpod_err err;

	registry_bare_bools(argc, argv);
	if (cli_parse("push", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2 || argc > 3) {
		cli_error("push: IMAGE [DESTINATION] expected");
		return 125;
	}
	if (registry_opts("push", &f, &o) < 0)
		return 125;
	if (cpod_image_push(cli_engine(), argv[1], argc > 2 ? argv[2] : NULL, &o, &err) < 0) {
		cli_errorx(&err);
		return 125;
	}
	return 0;
}

/* A line from the terminal (echo off for secrets); NULL on EOF. */
static char *registry_prompt(const char *what, bool secret, char *out, size_t n)
{
	struct termios old, quiet;
	bool restore = false;
	FILE *tty = fopen("/dev/tty", "r+e");
	if (!tty)
		return NULL;
	fprintf(tty, "%s: ", what);
	fflush(tty);
	if (secret && tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~ECHO;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
	}
	char *r = fgets(out, (int)n, tty);
	if (restore) {
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
		fputc('\n', tty);
	}
	fclose(tty);
	if (r)
		out[strcspn(out, "\r\n")] = '\0';
	return r;
}

int cmd_login(int argc, char **argv)
{
	const char *user = NULL, *password = NULL, *tls = NULL, *authfile = NULL,
		   *cert_dir = NULL;
	bool password_stdin = false, get_login = false;
	const cli_opt opts[] = {
		{ "username", 'u', CLI_STR, &user },
		{ "password", 'p', CLI_STR, &password },
		{ "password-stdin", 0, CLI_BOOL, &password_stdin },
		{ "get-login", 0, CLI_BOOL, &get_login },
		{ "authfile", 0, CLI_STR, &authfile },
		{ "tls-verify", 0, CLI_STR, &tls },
		{ "cert-dir", 0, CLI_STR, &cert_dir },
		{ NULL, 0, 0, NULL },
	};
	cpod_registry_opts o;
	cpod_err err;
	char ubuf[256], pbuf[4096];
	int rc = 125;

	memset(&o, 0, sizeof(o));
	o.progress_fd = -1;
	registry_bare_bools(argc, argv);
	if (cli_parse("login", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc != 2) {
		cli_error("login: one REGISTRY is expected");
		return 125;
	}
	if (registry_tls("login", tls, &o.tls_verify) < 0)
		return 125;
	o.authfile = authfile;
	o.cert_dir = cert_dir;
	if (get_login) {
		char *u = cpod_login_get(argv[1], &o, &err);
		if (!u) {
			cli_errorx(&err);
			return 125;
		}
		printf("%s\n", u);
		free(u);
		return 0;
	}
	if (password && password_stdin) {
		cli_error("login: --password and --password-stdin are exclusive");
		return 125;
	}
	if (password_stdin) {
		if (!user) {
			cli_error("login: --password-stdin needs --username");
			return 125;
		}
		size_t len = fread(pbuf, 1, sizeof(pbuf) - 1, stdin);
		pbuf[len] = '\0';
		pbuf[strcspn(pbuf, "\r\n")] = '\0';
		password = pbuf;
	}
	if (!user) {
		if (!isatty(0) || !registry_prompt("Username", false, ubuf, sizeof(ubuf))) {
			cli_error("login: a user name is required (-u)");
			return 125;
		}
		user = ubuf;
	}
	if (!password) {
		if (!isatty(0) || !registry_prompt("Password", true, pbuf, sizeof(pbuf))) {
			cli_error("login: a password is required (-p or --password-stdin)");
			return 125;
		}
		password = pbuf;
	}
	if (cpod_login(argv[1], user, password, &o, &err) < 0) {
		cli_errorx(&err);
	} else {
		printf("Login Succeeded!\n");
		rc = 0;
	}
	memset(pbuf, 0, sizeof(pbuf));
	return rc;
}

int cmd_logout(int argc, char **argv)
{
	const char *authfile = NULL;
	bool all = false;
	const cli_opt opts[] = {
		{ "all", 'a', CLI_BOOL, &all },
		{ "authfile", 0, CLI_STR, &authfile },
		{ NULL, 0, 0, NULL },
	};
	cpod_registry_opts o;
	cpod_err err;

	memset(&o, 0, sizeof(o));
	o.tls_verify = -1;
	o.progress_fd = -1;
	if (cli_parse("logout", argc, argv, opts, false, &argc) < 0)
		return 125;
	if ((all && argc != 1) || (!all && argc != 2)) {
		cli_error("logout: one REGISTRY, or --all, is expected");
		return 125;
	}
	o.authfile = authfile;
	if (cpod_logout(all ? NULL : argv[1], all, &o, &err) < 0) {
		cli_errorx(&err);
		return 125;
	}
	if (all)
		printf("Removed login credentials for all registries\n");
	else
		printf("Removed login credentials for %s\n", argv[1]);
	return 0;
}
