/*
 * clog.c — writing and reading container logs (see clog.h), and `logs`.
 */
#include "clog.h"
#include "container.h"
#include "options.h"
#include "../base/clock.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <poll.h>
#include <sys/uio.h>
#include <time.h>

#define CLOG_NAME "ctr.log"
#define CLOG_OLD "ctr.log.1"

CPOD_INTERNAL int clog_open(clog_writer *w, int dirfd, uint64_t max, cpod_err *err)
{
	struct stat st;
	memset(w, 0, sizeof(*w));
	w->dirfd = dirfd;
	w->max = max;
	w->fd = openat(dirfd, CLOG_NAME, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (w->fd < 0)
		return err_sys(err, "open the container log");
	if (fstat(w->fd, &st) == 0)
		w->size = (uint64_t)st.st_size;
	return 0;
}

CPOD_INTERNAL void clog_close(clog_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static void clog_rotate(clog_writer *w)
{
	if (!w->max || w->size < w->max)
		return;
	renameat(w->dirfd, CLOG_NAME, w->dirfd, CLOG_OLD);
	close(w->fd);
	w->fd = openat(w->dirfd, CLOG_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	w->size = 0;
}

static void clog_stamp(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char base[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%09ldZ", base, ts.tv_nsec);
}

CPOD_INTERNAL void clog_write(clog_writer *w, int stream, const char *data, size_t n)
{
	char stamp[64], head[96];
	const char *name = stream == 2 ? "stderr" : "stdout";

	if (w->fd < 0 || stream < 1 || stream > 2)
		return;
	clog_stamp(stamp, sizeof(stamp));
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t len = nl ? (size_t)(nl - data) : n;
		int hl = snprintf(head, sizeof(head), "%s %s %c ", stamp, name, nl ? 'F' : 'P');
		struct iovec iov[3] = { { head, (size_t)hl }, { (void *)data, len }, { "\n", 1 } };
		ssize_t wr = writev(w->fd, iov, 3);
		if (wr > 0)
			w->size += (uint64_t)wr;
		w->open_line[stream] = !nl;
		clog_rotate(w);
		if (w->fd < 0)
			return;
		data += len + (nl ? 1 : 0);
		n -= len + (nl ? 1 : 0);
	}
}

/* ---------------------------------------------------------------- reading */

typedef struct clog_line {
	char stamp[48];
	int stream;       /* 1 or 2 */
	bool full;
	const char *text;
	size_t len;
} clog_line;

/* Parses one log line (without its newline). */
static bool clog_parse(char *line, size_t len, clog_line *l)
{
	char *sp1 = memchr(line, ' ', len);
	if (!sp1 || (size_t)(sp1 - line) >= sizeof(l->stamp))
		return false;
	memcpy(l->stamp, line, (size_t)(sp1 - line));
	l->stamp[sp1 - line] = '\0';
	char *rest = sp1 + 1;
	size_t left = len - (size_t)(rest - line);
	if (left >= 7 && memcmp(rest, "stdout ", 7) == 0)
		l->stream = 1;
	else if (left >= 7 && memcmp(rest, "stderr ", 7) == 0)
		l->stream = 2;
	else
		return false;
	rest += 7;
	left -= 7;
	if (left < 2 || (rest[0] != 'F' && rest[0] != 'P') || rest[1] != ' ')
		return false;
	l->full = rest[0] == 'F';
	l->text = rest + 2;
	l->len = left - 2;
	return true;
}

/* --since/--until as milliseconds since the epoch: an RFC 3339 time in any
 * zone (or a date alone), a Unix time SECONDS[.FRACTION] as podman takes,
 * or a duration before now.  Stamps are compared as instants, never as
 * strings: "+02:00" and "Z" spell the same instant differently. */
static int clog_time_arg(const char *s, const char *what, int64_t *out, cpod_err *err)
{
	int64_t ns;
	size_t digits = strspn(s, "0123456789");
	if (digits > 0 && (s[digits] == 0 || (s[digits] == '.' && s[digits + 1] &&
	    strspn(s + digits + 1, "0123456789") == strlen(s + digits + 1)))) {
		*out = strtoll(s, NULL, 10) * 1000;
		if (s[digits] == '.') {
			char frac[4] = "000";
			memcpy(frac, s + digits + 1, strnlen(s + digits + 1, 3));
			*out += strtoll(frac, NULL, 10);
		}
		return 0;
	}
	if (strchr(s, 'T') || strchr(s, '-')) {
		char day[32];
		*out = clock_unix_ms(s);
		if (*out < 0 && strlen(s) == 10) {
			snprintf(day, sizeof(day), "%sT00:00:00Z", s);
			*out = clock_unix_ms(day);
		}
		if (*out < 0)
			return err_set(err, CPOD_E_INVALID, "%s: \"%s\" is not a time", what, s);
		return 0;
	}
	if (options_duration(what, s, &ns, err) < 0)
		return -1;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	*out = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - ns / 1000000;
	return 0;
}

typedef struct clog_reader {
	const cpod_logs_opts *o;
	int64_t since, until; /* ms since the epoch; -1: none */
	int out, errfd;
	bool at_line_start[3];
} clog_reader;

static void clog_emit(clog_reader *r, const clog_line *l)
{
	if (r->since >= 0 || r->until >= 0) {
		int64_t t = clock_unix_ms(l->stamp);
		if ((r->since >= 0 && t < r->since) || (r->until >= 0 && t > r->until))
			return;
	}
	int fd = l->stream == 2 ? r->errfd : r->out;
	if (fd < 0)
		return;
	if (r->o->timestamps && r->at_line_start[l->stream]) {
		write_all(fd, l->stamp, strlen(l->stamp));
		write_all(fd, " ", 1);
	}
	write_all(fd, l->text, l->len);
	if (l->full)
		write_all(fd, "\n", 1);
	r->at_line_start[l->stream] = l->full;
}

/* Emits the complete lines of data (tail: only the last n full lines). */
static size_t clog_feed(clog_reader *r, char *data, size_t len, long tail)
{
	size_t used = 0;
	long skip = 0;
	if (tail >= 0) {
		long lines = 0;
		for (size_t i = 0; i < len; i++)
			lines += data[i] == '\n';
		skip = lines > tail ? lines - tail : 0;
	}
	while (used < len) {
		char *nl = memchr(data + used, '\n', len - used);
		if (!nl)
			break;
		size_t ll = (size_t)(nl - (data + used));
		clog_line l;
		if (skip > 0)
			skip--;
		else if (clog_parse(data + used, ll, &l))
			clog_emit(r, &l);
		used += ll + 1;
	}
	return used;
}

int cpod_container_logs(cpod_engine *e, const char *ctr, const cpod_logs_opts *o, int out,
			int errfd, cpod_err *err)
{
	ctr_record rec;
	clog_reader r;
	cpod_logs_opts defaults = { .tail = -1 };
	char rel[96];

	if (!o)
		o = &defaults;
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.out = out;
	r.errfd = errfd;
	r.at_line_start[1] = r.at_line_start[2] = true;
	r.since = r.until = -1;
	if ((o->since && clog_time_arg(o->since, "--since", &r.since, err) < 0) ||
	    (o->until && clog_time_arg(o->until, "--until", &r.until, err) < 0))
		return -1;
	if (ctr_find(e, ctr, &rec, err) < 0)
		return -1;
	snprintf(rel, sizeof(rel), "containers/%s", rec.id);
	_cleanup_close_ int dfd = openat(e->rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		ctr_record_free(&rec);
		return err_sys(err, "open the container's directory");
	}
	/* the rotated file, then the current one: read whole for --tail */
	_cleanup_buf_ buf all = BUF_INIT;
	fs_read_file(dfd, CLOG_OLD, 0, &all, NULL);
	int fd = openat(dfd, CLOG_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && buf_read_fd(&all, fd, 0, err) < 0) {
		close(fd);
		ctr_record_free(&rec);
		return -1;
	}
	size_t used = all.len ? clog_feed(&r, all.data, all.len, o->tail) : 0;
	if (!o->follow || fd < 0) {
		if (fd >= 0)
			close(fd);
		ctr_record_free(&rec);
		return 0;
	}
	/* follow: what the supervisor appends, until the container stops */
	buf pending = BUF_INIT;
	if (used < all.len)
		buf_append(&pending, all.data + used, all.len - used, NULL);
	struct stat cur;
	fstat(fd, &cur);
	bool last_pass = false;
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n > 0) {
			buf_append(&pending, chunk, (size_t)n, NULL);
			size_t u = clog_feed(&r, pending.data, pending.len, -1);
			memmove(pending.data, pending.data + u, pending.len - u);
			pending.len -= u;
			continue;
		}
		/* rotated: follow the new file */
		struct stat now;
		if (fstatat(dfd, CLOG_NAME, &now, 0) == 0 && now.st_ino != cur.st_ino) {
			close(fd);
			fd = openat(dfd, CLOG_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd < 0)
				break;
			cur = now;
			continue;
		}
		if (last_pass)
			break;
		/* stopped: one more read for what it wrote last, then done */
		if (ctr_reload(e, &rec, NULL) < 0 || (!ctr_running(&rec) && !proc_is(rec.sup_pid, rec.sup_start)))
			last_pass = true;
		else
			usleep(100000);
	}
	buf_free(&pending);
	if (fd >= 0)
		close(fd);
	ctr_record_free(&rec);
	return 0;
}
