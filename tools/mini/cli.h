/*
 * cli.h — what the command files of cpod-mini share: option tables, the
 * parser, and how errors are printed.
 *
 * Options follow both conventions in use: podman's (GNU style, `--name value`,
 * `--name=value`, `-x`) and runc's (Go flags, where `-name value` works too).
 * Parsing stops at the first positional argument when a table asks for it
 * (runc's `exec ID CMD ARGS...`), else options and arguments may mix.
 */
#ifndef CPOD_CLI_H
#define CPOD_CLI_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cpod.h"
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>

enum cli_kind { CLI_BOOL, CLI_STR, CLI_INT, CLI_LIST };

typedef struct cli_list {
	const char **v;
	size_t n;
} cli_list;

typedef struct cli_opt {
	const char *name;   /* long name, without dashes */
	char short_name;    /* 0 for none */
	enum cli_kind kind;
	void *ptr;          /* bool*, const char**, long*, cli_list* */
} cli_opt;

/* Parses argv[1..] (argv[0] is the command's name).  On success returns the
 * index of the first positional argument and compacts positionals to
 * argv[idx..argc-1] (*argc_out).  stop_at_positional: everything from the
 * first positional argument on is left as is. */
int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts,
	      bool stop_at_positional, int *argc_out);

/* Prints "cpod-mini: msg" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_errorx(const cpod_err *err);
/* Exit code for an engine error, as podman: 125, or 126/127 for a program
 * that cannot be executed or found. */
int cli_exit_code(const cpod_err *err);

const char *cli_progname(void);
void cli_set_progname(const char *name);

/* The engine, opened on first use with the global options. */
typedef struct cli_globals {
	const char *root, *runroot;
} cli_globals;
extern cli_globals cli_g;
cpod_engine *cli_engine(void);
void cli_engine_close(void);

/* "4.27 MB" as podman prints sizes; "2 hours ago" from an RFC 3339 time. */
void cli_human_size(int64_t bytes, char *out, size_t n);
void cli_ago(const char *rfc3339, char *out, size_t n);
/* Writes all of s to fd; false on error. */
bool cli_write(int fd, const char *s);

/* Go templates (--format), the subset scripts use: renders tmpl with v as
 * its dot; on error prints it and returns -1. */
int cli_template(FILE *out, const char *tmpl, const cpod_json_value *v);
/* The same, with fields of the top value computed by field (a malloc'd
 * string, or NULL: the JSON member of that name), as podman's {{.ID}}
 * (short) or {{.Names}} (joined) differ from its JSON. */
typedef char *(*cli_field_fn)(const char *name, const cpod_json_value *v, void *ctx);
int cli_template_fields(FILE *out, const char *tmpl, const cpod_json_value *v, cli_field_fn field,
			void *ctx);
/* The format with \t and \n turned into tabs and newlines (malloc'd). */
char *cli_template_unescape(const char *format);
/* A "table ..." format: prints its header (names: pairs of field and
 * header text, NULL-terminated; other fields upper-cased) and returns the
 * row template; any other format is returned as is. */
const char *cli_template_table(FILE *out, const char *format, const char *const *names);

/* inspect of containers and/or images (type: "container", "image" or
 * "all"), with --format and --type. */
int cli_inspect(const char *cmd, const char *type, int argc, char **argv);

/* The options of create and run into o; returns like cli_parse. */
int cli_run_flags(const char *cmd, int argc, char **argv, cpod_run_opts *o, int *argc_out);

/* command groups */
int oci_main(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_untag(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_system(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_healthcheck(int argc, char **argv);
int cmd_container(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_volume(int argc, char **argv);
int cmd_network(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_usernet(int argc, char **argv);  /* hidden: __usernet, one network's stack */

#endif
