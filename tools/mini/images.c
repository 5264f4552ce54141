/*
 * images.c — the image commands: images, image (ls, inspect, rm, prune,
 * tag, untag, history, load, save, import), load, save, import, rmi, tag,
 * untag, history.  Spelled and printed as podman does.
 */
#include "cli.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *S(const cpod_json_value *v)
{
	const char *s = cpod_json_str(v);
	return s ? s : "";
}

/* "docker.io/library/busybox:latest" -> repository and tag */
static void images_split(const char *name, char *repo, size_t rn, char *tag, size_t tn)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	const char *at = strchr(name, '@');
	if (at && (!colon || at < colon)) {
		snprintf(repo, rn, "%.*s", (int)(at - name), name);
		snprintf(tag, tn, "<none>");
	} else if (colon) {
		snprintf(repo, rn, "%.*s", (int)(colon - name), name);
		snprintf(tag, tn, "%s", colon + 1);
	} else {
		snprintf(repo, rn, "%s", name);
		snprintf(tag, tn, "latest");
	}
}

typedef struct images_row {
	const char *repo, *tag;
	bool no_trunc;
} images_row;

/* The template fields that podman computes for a row of `images`. */
static char *images_field(const char *name, const cpod_json_value *img, void *ctx)
{
	const images_row *r = ctx;
	char tmp[512];
	if (strcmp(name, "ID") == 0 || strcmp(name, "Id") == 0)
		snprintf(tmp, sizeof(tmp), "%.*s", r->no_trunc ? 64 : 12, S(cpod_json_get(img, "Id")));
	else if (strcmp(name, "Repository") == 0)
		snprintf(tmp, sizeof(tmp), "%s", r->repo);
	else if (strcmp(name, "Tag") == 0)
		snprintf(tmp, sizeof(tmp), "%s", r->tag);
	else if (strcmp(name, "Size") == 0)
		cli_human_size(cpod_json_int(cpod_json_get(img, "Size")), tmp, sizeof(tmp));
	else if (strcmp(name, "Created") == 0 || strcmp(name, "CreatedSince") == 0)
		cli_ago(S(cpod_json_get(img, "CreatedAt")), tmp, sizeof(tmp));
	else
		return NULL;
	return strdup(tmp);
}

int cmd_images(int argc, char **argv)
{
	const char *format = NULL, *filter = NULL;
	bool all = false, quiet = false, digests = false, no_trunc = false, noheading = false;
	const cli_opt opts[] = {
		{ "all", 'a', CLI_BOOL, &all },
		{ "quiet", 'q', CLI_BOOL, &quiet },
		{ "format", 0, CLI_STR, &format },
		{ "digests", 0, CLI_BOOL, &digests },
		{ "no-trunc", 0, CLI_BOOL, &no_trunc },
		{ "noheading", 'n', CLI_BOOL, &noheading },
		{ "filter", 'f', CLI_STR, &filter },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("images", argc, argv, opts, false, &argc) < 0)
		return 125;
	char *s = cpod_image_list(cli_engine(), all, &err);
	if (!s) {
		cli_errorx(&err);
		return 125;
	}
	if (format && strcmp(format, "json") == 0) {
		printf("%s\n", s);
		free(s);
		return 0;
	}
	cpod_json *doc = cpod_json_parse(s, &err);
	free(s);
	if (!doc) {
		cli_errorx(&err);
		return 125;
	}
	const cpod_json_value *arr = cpod_json_root(doc);
	bool table = !format || strcmp(format, "table") == 0;
	char *tmpl = format && !table ? cli_template_unescape(format) : NULL;
	const char *row = tmpl;
	if (tmpl && !quiet) {
		static const char *const headers[] = { "ID", "IMAGE ID", "CreatedSince", "CREATED", NULL };
		row = noheading ? tmpl + (strncmp(tmpl, "table", 5) == 0 ? 5 + strspn(tmpl + 5, " ") : 0)
				: cli_template_table(stdout, tmpl, headers);
	}
	if (table && !quiet && !noheading) {
		if (digests)
			printf("%-40s %-10s %-71s %-12s  %-16s %s\n", "REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE");
		else
			printf("%-40s %-10s %-12s  %-16s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
	}
	for (size_t i = 0; i < cpod_json_len(arr); i++) {
		const cpod_json_value *img = cpod_json_at(arr, i);
		const char *id = S(cpod_json_get(img, "Id"));
		if (filter && strncmp(filter, "reference=", 10) == 0) {
			bool match = false;
			const cpod_json_value *names = cpod_json_get(img, "Names");
			for (size_t k = 0; k < cpod_json_len(names) && !match; k++)
				match = strstr(S(cpod_json_at(names, k)), filter + 10) != NULL;
			if (!match)
				continue;
		} else if (filter && strcmp(filter, "dangling=true") == 0 && !cpod_json_bool(cpod_json_get(img, "Dangling"))) {
			continue;
		}
		if (quiet) {
			printf("%.*s\n", no_trunc ? 64 : 12, id);
			continue;
		}
		const cpod_json_value *names = cpod_json_get(img, "Names");
		size_t nn = cpod_json_len(names);
		for (size_t k = 0; k < (nn ? nn : 1); k++) {
			char repo[512], tag[160], size[32], ago[64];
			if (nn)
				images_split(S(cpod_json_at(names, k)), repo, sizeof(repo), tag, sizeof(tag));
			else {
				snprintf(repo, sizeof(repo), "<none>");
				snprintf(tag, sizeof(tag), "<none>");
			}
			if (!table) {
				images_row rr = { repo, tag, no_trunc };
				if (cli_template_fields(stdout, row, img, images_field, &rr) < 0) {
					free(tmpl);
					cpod_json_free(doc);
					return 125;
				}
				putchar('\n');
				continue;
			}
			cli_human_size(cpod_json_int(cpod_json_get(img, "Size")), size, sizeof(size));
			cli_ago(S(cpod_json_get(img, "CreatedAt")), ago, sizeof(ago));
			if (digests)
				printf("%-40s %-10s %-71s %-12.*s  %-16s %s\n", repo, tag,
				       S(cpod_json_get(img, "Digest")), no_trunc ? 64 : 12, id, ago, size);
			else
				printf("%-40s %-10s %-12.*s  %-16s %s\n", repo, tag, no_trunc ? 64 : 12, id, ago, size);
		}
	}
	free(tmpl);
	cpod_json_free(doc);
	return 0;
}

int cmd_load(int argc, char **argv)
{
	const char *input = NULL;
	bool quiet = false;
	const cli_opt opts[] = {
		{ "input", 'i', CLI_STR, &input },
		{ "quiet", 'q', CLI_BOOL, &quiet },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("load", argc, argv, opts, false, &argc) < 0)
		return 125;
	int fd = 0;
	if (input && strcmp(input, "-") != 0) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cli_error("load: open %s: %s", input, strerror(errno));
			return 125;
		}
	} else if (isatty(0)) {
		cli_error("load: no input: give -i FILE or pipe an archive in");
		return 125;
	}
	char *s = cpod_image_load(cli_engine(), fd, &err);
	if (fd > 0)
		close(fd);
	if (!s) {
		cli_errorx(&err);
		return 125;
	}
	for (char *l = strtok(s, "\n"); l; l = strtok(NULL, "\n"))
		printf("Loaded image: %s\n", l);
	free(s);
	return 0;
}

int cmd_save(int argc, char **argv)
{
	const char *output = NULL, *format = "docker-archive";
	bool quiet = false, compress = false;
	const cli_opt opts[] = {
		{ "output", 'o', CLI_STR, &output },
		{ "format", 0, CLI_STR, &format },
		{ "quiet", 'q', CLI_BOOL, &quiet },
		{ "compress", 0, CLI_BOOL, &compress },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("save", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2) {
		cli_error("save: an image is required");
		return 125;
	}
	int fd = 1;
	char tmp[4200] = "";
	if (output && strcmp(output, "-") != 0) {
		snprintf(tmp, sizeof(tmp), "%s.tmp%d", output, (int)getpid());
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			cli_error("save: create %s: %s", output, strerror(errno));
			return 125;
		}
	} else if (isatty(1)) {
		cli_error("save: refusing to write an archive to a terminal: use -o FILE");
		return 125;
	}
	int r = cpod_image_save(cli_engine(), (const char *const *)(argv + 1), format, fd, &err);
	if (fd != 1 && close(fd) < 0 && r == 0) {
		cli_error("save: write %s: %s", output, strerror(errno));
		r = -1;
	}
	if (tmp[0]) {
		if (r == 0 && rename(tmp, output) < 0) {
			cli_error("save: rename %s: %s", output, strerror(errno));
			r = -1;
			err.msg[0] = '\0';
		}
		if (r < 0)
			unlink(tmp);
	}
	if (r < 0) {
		if (err.msg[0])
			cli_errorx(&err);
		return 125;
	}
	return 0;
}

int cmd_import(int argc, char **argv)
{
	cli_list changes = { 0 };
	const char *message = NULL;
	bool quiet = false;
	const cli_opt opts[] = {
		{ "change", 'c', CLI_LIST, &changes },
		{ "message", 'm', CLI_STR, &message },
		{ "quiet", 'q', CLI_BOOL, &quiet },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("import", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2) {
		cli_error("import: a tarball (or -) is required");
		return 125;
	}
	int fd = 0;
	if (strcmp(argv[1], "-") != 0) {
		fd = open(argv[1], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cli_error("import: open %s: %s", argv[1], strerror(errno));
			return 125;
		}
	}
	char *id = cpod_image_import(cli_engine(), fd, argc > 2 ? argv[2] : NULL, changes.v, message, &err);
	if (fd > 0)
		close(fd);
	free(changes.v);
	if (!id) {
		cli_errorx(&err);
		return 125;
	}
	printf("%s\n", id);
	free(id);
	return 0;
}

int cmd_rmi(int argc, char **argv)
{
	bool force = false, all = false, ignore = false;
	const cli_opt opts[] = {
		{ "force", 'f', CLI_BOOL, &force },
		{ "all", 'a', CLI_BOOL, &all },
		{ "ignore", 'i', CLI_BOOL, &ignore },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	int rc = 0;
	if (cli_parse("rmi", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (all) {
		char *s = cpod_image_prune(cli_engine(), 1, &err);
		if (!s) {
			cli_errorx(&err);
			return 125;
		}
		fputs(s, stdout);
		free(s);
		return 0;
	}
	if (argc < 2) {
		cli_error("rmi: an image is required");
		return 125;
	}
	for (int i = 1; i < argc; i++) {
		char *s = cpod_image_remove(cli_engine(), argv[i], force, &err);
		if (!s) {
			if (ignore && err.code == CPOD_E_NOTFOUND)
				continue;
			cli_errorx(&err);
			/* podman: 1 when an image does not exist, 2 when in use */
			rc = err.code == CPOD_E_NOTFOUND ? 1 : err.code == CPOD_E_STATE ? 2 : 125;
			continue;
		}
		fputs(s, stdout);
		free(s);
	}
	return rc;
}

int cmd_tag(int argc, char **argv)
{
	const cli_opt none[] = { { NULL, 0, 0, NULL } };
	cpod_err err;
	if (cli_parse("tag", argc, argv, none, false, &argc) < 0)
		return 125;
	if (argc < 3) {
		cli_error("tag: IMAGE and at least one NAME are required");
		return 125;
	}
	for (int i = 2; i < argc; i++)
		if (cpod_image_tag(cli_engine(), argv[1], argv[i], &err) < 0) {
			cli_errorx(&err);
			return 125;
		}
	return 0;
}

int cmd_untag(int argc, char **argv)
{
	const cli_opt none[] = { { NULL, 0, 0, NULL } };
	cpod_err err;
	if (cli_parse("untag", argc, argv, none, false, &argc) < 0)
		return 125;
	if (argc < 2) {
		cli_error("untag: an image is required");
		return 125;
	}
	if (argc == 2) {
		if (cpod_image_untag(cli_engine(), argv[1], NULL, &err) < 0) {
			cli_errorx(&err);
			return 125;
		}
		return 0;
	}
	for (int i = 2; i < argc; i++)
		if (cpod_image_untag(cli_engine(), argv[1], argv[i], &err) < 0) {
			cli_errorx(&err);
			return 125;
		}
	return 0;
}

int cmd_history(int argc, char **argv)
{
	const char *format = NULL;
	bool quiet = false, no_trunc = false, human = true;
	const cli_opt opts[] = {
		{ "format", 0, CLI_STR, &format },
		{ "quiet", 'q', CLI_BOOL, &quiet },
		{ "no-trunc", 0, CLI_BOOL, &no_trunc },
		{ "human", 'H', CLI_BOOL, &human },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("history", argc, argv, opts, false, &argc) < 0)
		return 125;
	if (argc < 2) {
		cli_error("history: an image is required");
		return 125;
	}
	char *s = cpod_image_history(cli_engine(), argv[1], &err);
	if (!s) {
		cli_errorx(&err);
		return 125;
	}
	if (format && strcmp(format, "json") == 0) {
		printf("%s\n", s);
		free(s);
		return 0;
	}
	cpod_json *doc = cpod_json_parse(s, &err);
	free(s);
	if (!doc) {
		cli_errorx(&err);
		return 125;
	}
	const cpod_json_value *arr = cpod_json_root(doc);
	if (!quiet)
		printf("%-12s  %-18s %-45s %-10s %s\n", "ID", "CREATED", "CREATED BY", "SIZE", "COMMENT");
	for (size_t i = 0; i < cpod_json_len(arr); i++) {
		const cpod_json_value *h = cpod_json_at(arr, i);
		if (quiet) {
			printf("%.12s\n", S(cpod_json_get(h, "id")));
			continue;
		}
		char ago[64], size[32];
		cli_ago(S(cpod_json_get(h, "CreatedAt")), ago, sizeof(ago));
		cli_human_size(cpod_json_int(cpod_json_get(h, "size")), size, sizeof(size));
		printf("%-12.12s  %-18s %-45.*s %-10s %s\n", S(cpod_json_get(h, "id")), ago,
		       no_trunc ? 10000 : 45, S(cpod_json_get(h, "createdBy")), size,
		       S(cpod_json_get(h, "comment")));
	}
	cpod_json_free(doc);
	return 0;
}

static int images_prune(int argc, char **argv)
{
	bool all = false, force = false;
	const cli_opt opts[] = {
		{ "all", 'a', CLI_BOOL, &all },
		{ "force", 'f', CLI_BOOL, &force },
		{ NULL, 0, 0, NULL },
	};
	cpod_err err;
	if (cli_parse("image prune", argc, argv, opts, false, &argc) < 0)
		return 125;
	char *s = cpod_image_prune(cli_engine(), all, &err);
	if (!s) {
		cli_errorx(&err);
		return 125;
	}
	fputs(s, stdout);
	free(s);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	if (argc < 2) {
		cli_error("image: a subcommand is required (ls, inspect, rm, prune, tag, untag, history, load, save, import)");
		return 125;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
		return cmd_images(argc, argv);
	if (strcmp(sub, "inspect") == 0)
		return cli_inspect("image inspect", "image", argc, argv);
	if (strcmp(sub, "rm") == 0)
		return cmd_rmi(argc, argv);
	if (strcmp(sub, "prune") == 0)
		return images_prune(argc, argv);
	if (strcmp(sub, "tag") == 0)
		return cmd_tag(argc, argv);
	if (strcmp(sub, "untag") == 0)
		return cmd_untag(argc, argv);
	if (strcmp(sub, "history") == 0)
		return cmd_history(argc, argv);
	if (strcmp(sub, "load") == 0)
		return cmd_load(argc, argv);
	if (strcmp(sub, "save") == 0)
		return cmd_save(argc, argv);
	if (strcmp(sub, "import") == 0)
		return cmd_import(argc, argv);
	cli_error("image: unknown subcommand \"%s\"", sub);
	return 125;
}
