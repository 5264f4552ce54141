/*
 * userdb.c — users and groups of an image (see userdb.h).
 *
 * The files are parsed defensively: bounded in size, lines split on ':'
 * with the field counts checked, ids in range; a malformed line is skipped,
 * as the C library does.
 */
#include "userdb.h"

#define USERDB_MAX_FILE (4u << 20)

static bool userdb_number(const char *s, uint32_t *out)
{
	char *end;
	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Splits line into at most n fields on ':'; returns the count. */
static size_t userdb_fields(char *line, char **f, size_t n)
{
	size_t k = 0;
	f[k++] = line;
	for (char *p = line; *p && k < n; p++)
		if (*p == ':') {
			*p = '\0';
			f[k++] = p + 1;
		}
	return k;
}

/* Where the files are read: an image's layers, or a mounted root. */
typedef struct userdb_src {
	image_store *s;
	const store_image *img;
	int rootfd;
} userdb_src;

static int userdb_read(const userdb_src *src, const char *path, buf *b, cpod_err *err)
{
	if (src->img)
		return rootfs_read_file(src->s, src->img, path, USERDB_MAX_FILE, b, err);
	int fd = fs_open_in_root(src->rootfd, path, O_RDONLY | O_CLOEXEC, 0, err);
	if (fd < 0)
		return -1;
	int r = buf_read_fd(b, fd, USERDB_MAX_FILE, err);
	close(fd);
	return r;
}

/* Calls fn for each well-formed line of the file. */
typedef bool (*userdb_line_fn)(char **f, size_t n, void *ctx);

static int userdb_each(const userdb_src *src, const char *path, size_t fields,
		       userdb_line_fn fn, void *ctx, cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	cpod_err e;
	if (userdb_read(src, path, &b, &e) < 0) {
		if (e.code == CPOD_E_NOTFOUND || e.errno_ == ENOENT)
			return 0;
		if (err)
			*err = e;
		return -1;
	}
	char *save = NULL;
	for (char *line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[8];
		if (line[0] == '#' || line[0] == '+' || line[0] == '-')
			continue;
		if (userdb_fields(line, f, fields) != fields)
			continue;
		if (fn(f, fields, ctx))
			break;
	}
	return 0;
}

typedef struct userdb_find {
	const char *name;     /* by name, or */
	uint32_t id;          /* by id when name is NULL */
	bool found;
	uint32_t uid, gid;
	char pname[256];
	char home[PATH_MAX];
} userdb_find;

static bool userdb_passwd_line(char **f, size_t n, void *ctx)
{
	userdb_find *q = ctx;
	uint32_t uid, gid;
	(void)n;
	if (!userdb_number(f[2], &uid) || !userdb_number(f[3], &gid))
		return false;
	if (q->name ? strcmp(f[0], q->name) != 0 : uid != q->id)
		return false;
	q->found = true;
	q->uid = uid;
	q->gid = gid;
	snprintf(q->pname, sizeof(q->pname), "%s", f[0]);
	snprintf(q->home, sizeof(q->home), "%s", f[5]);
	return true;
}

static bool userdb_group_line(char **f, size_t n, void *ctx)
{
	userdb_find *q = ctx;
	uint32_t gid;
	(void)n;
	if (!userdb_number(f[2], &gid))
		return false;
	if (q->name ? strcmp(f[0], q->name) != 0 : gid != q->id)
		return false;
	q->found = true;
	q->gid = gid;
	snprintf(q->pname, sizeof(q->pname), "%s", f[0]);
	return true;
}

typedef struct userdb_members {
	const char *user;
	uint32_t primary;
	userdb_user *u;
} userdb_members;

static bool userdb_member_line(char **f, size_t n, void *ctx)
{
	userdb_members *m = ctx;
	uint32_t gid;
	(void)n;
	if (!userdb_number(f[2], &gid) || gid == m->primary || m->u->n_gids >= ARRAY_LEN(m->u->gids))
		return false;
	char *save = NULL;
	for (char *mem = strtok_r(f[3], ",", &save); mem; mem = strtok_r(NULL, ",", &save))
		if (strcmp(mem, m->user) == 0) {
			m->u->gids[m->u->n_gids++] = gid;
			break;
		}
	return false;
}

static int userdb_resolve_src(const userdb_src *src, const char *spec, userdb_user *u,
			      cpod_err *err)
{
	char user[256], group[256] = "";
	userdb_find q;

	memset(u, 0, sizeof(*u));
	snprintf(u->home, sizeof(u->home), "/");
	bool given = spec && *spec;
	if (!given)
		spec = "0";
	const char *colon = strchr(spec, ':');
	if (strlen(spec) >= sizeof(user))
		return err_set(err, CPOD_E_INVALID, "user \"%s\" too long", spec);
	snprintf(user, sizeof(user), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if (colon)
		snprintf(group, sizeof(group), "%s", colon + 1);
	if (!*user)
		return err_set(err, CPOD_E_INVALID, "user \"%s\": no user part", spec);

	memset(&q, 0, sizeof(q));
	bool numeric = userdb_number(user, &q.id);
	if (!numeric)
		q.name = user;
	if (userdb_each(src, "/etc/passwd", 7, userdb_passwd_line, &q, err) < 0)
		return -1;
	if (!q.found && !numeric)
		return err_set(err, CPOD_E_NOTFOUND,
			       "unable to find user %s: no matching entries in passwd file", user);
	u->uid = numeric ? q.id : q.uid;
	u->gid = q.found ? q.gid : 0;
	if (q.found && q.home[0])
		snprintf(u->home, sizeof(u->home), "%s", q.home);

	if (*group) {
		userdb_find g;
		memset(&g, 0, sizeof(g));
		bool gnum = userdb_number(group, &g.id);
		if (!gnum)
			g.name = group;
		if (userdb_each(src, "/etc/group", 4, userdb_group_line, &g, err) < 0)
			return -1;
		if (!g.found && !gnum)
			return err_set(err, CPOD_E_NOTFOUND,
				       "unable to find group %s: no matching entries in group file", group);
		u->gid = gnum ? g.id : g.gid;
	}
	/* as podman: a user that was asked for gets its primary group as a
	 * supplementary group too, then (without an explicit group) the
	 * groups it is a member of */
	if (given)
		u->gids[u->n_gids++] = u->gid;
	if (q.found && !*group) {
		userdb_members m = { q.pname, u->gid, u };
		if (userdb_each(src, "/etc/group", 4, userdb_member_line, &m, err) < 0)
			return -1;
	}
	return 0;
}

CPOD_INTERNAL int userdb_resolve(image_store *s, const store_image *img, const char *spec,
				 userdb_user *u, cpod_err *err)
{
	userdb_src src = { s, img, -1 };
	return userdb_resolve_src(&src, spec, u, err);
}

CPOD_INTERNAL int userdb_resolve_in(int rootfd, const char *spec, userdb_user *u, cpod_err *err)
{
	userdb_src src = { NULL, NULL, rootfd };
	return userdb_resolve_src(&src, spec, u, err);
}

CPOD_INTERNAL void userdb_name_in(int rootfd, uint32_t id, bool group, char *out, size_t n)
{
	userdb_src src = { NULL, NULL, rootfd };
	userdb_find q;
	memset(&q, 0, sizeof(q));
	q.id = id;
	if (userdb_each(&src, group ? "/etc/group" : "/etc/passwd", group ? 4 : 7,
			group ? userdb_group_line : userdb_passwd_line, &q, NULL) == 0 && q.found)
		snprintf(out, n, "%s", q.pname);
	else
		snprintf(out, n, "%u", id);
}
