/*
 * container.c — container records: reading, writing, finding, listing,
 * removing (see container.h).
 */
#include "container.h"
#include "network.h"
#include "../base/fs.h"
#include "../base/proc.h"
#include <dirent.h>
#include <sys/file.h>

CPOD_INTERNAL const char *ctr_status_name(enum ctr_status s)
{
	static const char *const names[] = { "created", "running", "exited", "removing" };
	return names[s];
}

CPOD_INTERNAL const char *ctr_health_name(enum ctr_health h)
{
	static const char *const names[] = { "", "starting", "healthy", "unhealthy" };
	return names[h];
}

CPOD_INTERNAL void ctr_record_free(ctr_record *r)
{
	free(r->command);
	free(r->health_log);
	free(r->summary);
	free(r->net);
	life_free(&r->life);
	r->command = r->health_log = r->summary = r->net = NULL;
}

CPOD_INTERNAL bool ctr_running(const ctr_record *r)
{
	return r->status == CTR_RUNNING && proc_is(r->pid, r->start_time);
}

CPOD_INTERNAL int ctr_lock(cpod_engine *e, const char *id, cpod_err *err)
{
	char path[160];
	snprintf(path, sizeof(path), "containers/%.64s/lock", id);
	int fd = openat(e->rootfd, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_sys(err, "lock container %.12s", id);
	if (RETRY_EINTR(flock(fd, LOCK_EX)) < 0) {
		close(fd);
		return err_sys(err, "lock container %.12s", id);
	}
	return fd;
}

/* A JSON value of the record as text (malloc'd), or NULL. */
static char *ctr_json_text(const json_value *v)
{
	if (!v)
		return NULL;
	buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_value(&w, v);
	if (jw_finish(&w, NULL) < 0) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

static void ctr_json_raw(json_w *w, const char *key, const char *text)
{
	if (!text)
		return;
	json_doc *d = json_parse(text, strlen(text), NULL, NULL);
	if (d) {
		jw_key(w, key);
		jw_value(w, json_root(d));
		json_doc_free(d);
	}
}

static int ctr_copy(char *dst, size_t n, const json_value *o, const char *key)
{
	const char *v = json_string(json_get(o, key));
	if (!v || strlen(v) >= n) {
		dst[0] = '\0';
		return v ? -1 : 0;
	}
	strcpy(dst, v);
	return 0;
}

static int ctr_load(cpod_engine *e, const char *id, ctr_record *r, cpod_err *err)
{
	const json_limits lim = { .max_size = 1u << 20, .max_depth = 16 };
	char path[160];
	memset(r, 0, sizeof(*r));
	if (strlen(id) != 64)
		return err_set(err, CPOD_E_INVALID, "bad container id");
	snprintf(path, sizeof(path), "containers/%.64s/container.json", id);
	json_doc *d = json_parse_file(e->rootfd, path, &lim, err);
	if (!d)
		return -1;
	const json_value *o = json_root(d), *st = json_get(o, "state");
	if (ctr_copy(r->id, sizeof(r->id), o, "id") < 0 || ctr_copy(r->name, sizeof(r->name), o, "name") < 0 ||
	    ctr_copy(r->image_id, sizeof(r->image_id), o, "image") < 0 ||
	    ctr_copy(r->image_name, sizeof(r->image_name), o, "imageName") < 0 ||
	    ctr_copy(r->created, sizeof(r->created), o, "created") < 0 ||
	    ctr_copy(r->started_at, sizeof(r->started_at), st, "startedAt") < 0 ||
	    ctr_copy(r->finished_at, sizeof(r->finished_at), st, "finishedAt") < 0 || strcmp(r->id, id) != 0) {
		json_doc_free(d);
		return err_set(err, CPOD_E_INVALID, "container %.12s: bad container.json", id);
	}
	bool b = false;
	json_opt_bool(o, "copyRootfs", &b, "", NULL);
	r->copy_rootfs = b;
	b = false;
	json_opt_bool(o, "rm", &b, "", NULL);
	r->rm = b;
	const char *status = json_string(json_get(st, "status"));
	for (int s = 0; s <= CTR_REMOVING; s++)
		if (status && strcmp(status, ctr_status_name(s)) == 0)
			r->status = s;
	int64_t v = 0;
	json_opt_i64(st, "pid", &v, "", NULL);
	r->pid = (pid_t)v;
	json_opt_u64(st, "startTime", (uint64_t *)&r->start_time, "", NULL);
	v = 0;
	json_opt_i64(st, "exitCode", &v, "", NULL);
	r->exit_code = (int)v;
	b = false;
	json_opt_bool(st, "oomKilled", &b, "", NULL);
	r->oom_killed = b;
	r->command = ctr_json_text(json_get(o, "command"));
	r->summary = ctr_json_text(json_get(o, "summary"));
	r->net = ctr_json_text(json_get(o, "network"));
	r->health_log = ctr_json_text(json_get(st, "healthLog"));
	b = false;
	json_opt_bool(st, "timedOut", &b, "", NULL);
	r->timed_out = b;
	b = false;
	json_opt_bool(st, "stopRequested", &b, "", NULL);
	r->stop_requested = b;
	v = 0;
	json_opt_i64(st, "supervisorPid", &v, "", NULL);
	r->sup_pid = (pid_t)v;
	json_opt_u64(st, "supervisorStart", (uint64_t *)&r->sup_start, "", NULL);
	v = 0;
	json_opt_i64(st, "restartCount", &v, "", NULL);
	r->restart_count = (int)v;
	v = 0;
	json_opt_i64(st, "healthStreak", &v, "", NULL);
	r->health_streak = (int)v;
	const char *h = json_string(json_get(st, "health"));
	for (int k = 0; h && k <= HEALTH_UNHEALTHY; k++)
		if (strcmp(h, ctr_health_name(k)) == 0)
			r->health = k;
	if (life_read(json_get(o, "life"), &r->life, err) < 0) {
		json_doc_free(d);
		ctr_record_free(r);
		return -1;
	}
	json_doc_free(d);
	/* a container whose process is gone is exited, whatever the record
	 * says (its supervisor was killed, or the machine rebooted: /run may
	 * survive a reboot, and a pid alone may name another process by then);
	 * while its supervisor lives, the supervisor records the real exit,
	 * which may come a moment after the process is gone */
	if (r->status == CTR_RUNNING && !proc_is(r->pid, r->start_time) &&
	    !(r->sup_pid > 0 && proc_is(r->sup_pid, r->sup_start))) {
		r->status = CTR_EXITED;
		if (!r->finished_at[0])
			r->exit_code = r->exit_code ? r->exit_code : 137;
	}
	return 0;
}

CPOD_INTERNAL int ctr_save(cpod_engine *e, const ctr_record *r, cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	json_w w;
	char path[160];

	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "id", r->id);
	jw_kstr(&w, "name", r->name);
	jw_kstr(&w, "image", r->image_id);
	jw_kstr(&w, "imageName", r->image_name);
	jw_kstr(&w, "created", r->created);
	jw_kbool(&w, "copyRootfs", r->copy_rootfs);
	jw_kbool(&w, "rm", r->rm);
	ctr_json_raw(&w, "command", r->command);
	ctr_json_raw(&w, "summary", r->summary);
	ctr_json_raw(&w, "network", r->net);
	jw_key(&w, "life");
	life_write(&w, &r->life);
	jw_key(&w, "state");
	jw_obj_begin(&w);
	jw_kstr(&w, "status", ctr_status_name(r->status));
	jw_kint(&w, "pid", r->pid);
	jw_key(&w, "startTime");
	jw_uint(&w, r->start_time);
	jw_kint(&w, "exitCode", r->exit_code);
	jw_kbool(&w, "oomKilled", r->oom_killed);
	jw_kstr(&w, "startedAt", r->started_at);
	jw_kstr(&w, "finishedAt", r->finished_at);
	jw_kbool(&w, "timedOut", r->timed_out);
	jw_kbool(&w, "stopRequested", r->stop_requested);
	jw_kint(&w, "supervisorPid", r->sup_pid);
	jw_key(&w, "supervisorStart");
	jw_uint(&w, r->sup_start);
	jw_kint(&w, "restartCount", r->restart_count);
	jw_kstr(&w, "health", ctr_health_name(r->health));
	jw_kint(&w, "healthStreak", r->health_streak);
	ctr_json_raw(&w, "healthLog", r->health_log);
	jw_obj_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "containers/%s/container.json", r->id);
	return fs_write_atomic(e->rootfd, path, b.data, b.len, 0600, 0, err);
}

CPOD_INTERNAL void ctr_list_free(ctr_record *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctr_record_free(&list[i]);
	free(list);
}

CPOD_INTERNAL int ctr_list_all(cpod_engine *e, ctr_record **out, size_t *n, cpod_err *err)
{
	int fd = openat(e->rootfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, "open %s/containers", e->root);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		ctr_record r;
		if (strlen(de->d_name) != 64 || !ref_looks_like_id(de->d_name))
			continue;
		if (ctr_load(e, de->d_name, &r, NULL) < 0)
			continue; /* half created or half removed: not a container */
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			ctr_record *nv = realloc(*out, nc * sizeof(*nv));
			if (!nv) {
				ctr_record_free(&r);
				closedir(d);
				ctr_list_free(*out, *n);
				*out = NULL;
				*n = 0;
				return err_nomem(err);
			}
			*out = nv;
			cap = nc;
		}
		(*out)[(*n)++] = r;
	}
	closedir(d);
	return 0;
}

CPOD_INTERNAL int ctr_reload(cpod_engine *e, ctr_record *r, cpod_err *err)
{
	ctr_record fresh;
	char id[65];
	snprintf(id, sizeof(id), "%s", r->id);
	if (ctr_load(e, id, &fresh, err) < 0)
		return -1;
	ctr_record_free(r);
	*r = fresh;
	return 0;
}

CPOD_INTERNAL int ctr_find(cpod_engine *e, const char *ref, ctr_record *out, cpod_err *err)
{
	ctr_record *all;
	size_t n, hits = 0;
	if (ctr_list_all(e, &all, &n, err) < 0)
		return -1;
	ssize_t found = -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].name, ref) == 0 || strcmp(all[i].id, ref) == 0) {
			found = (ssize_t)i;
			hits = 1;
			break;
		}
	if (found < 0 && ref_looks_like_id(ref))
		for (size_t i = 0; i < n; i++)
			if (strncmp(all[i].id, ref, strlen(ref)) == 0) {
				found = (ssize_t)i;
				hits++;
			}
	if (hits > 1) {
		ctr_list_free(all, n);
		return err_set(err, CPOD_E_INVALID, "container id prefix %s is ambiguous", ref);
	}
	if (found < 0) {
		ctr_list_free(all, n);
		return err_set(err, CPOD_E_NOTFOUND, "no container with name or ID \"%s\" found", ref);
	}
	*out = all[found];
	memset(&all[found], 0, sizeof(all[found])); /* its pointers now belong to out */
	ctr_list_free(all, n);
	return 0;
}

CPOD_INTERNAL bool ctr_uses_image(cpod_engine *e, const char *image_id)
{
	ctr_record *all;
	size_t n;
	bool used = false;
	if (ctr_list_all(e, &all, &n, NULL) < 0)
		return true; /* cannot tell: assume so */
	for (size_t i = 0; i < n && !used; i++)
		used = strcmp(all[i].image_id, image_id) == 0;
	ctr_list_free(all, n);
	return used;
}

CPOD_INTERNAL int ctr_remove(cpod_engine *e, ctr_record *r, bool force, cpod_err *err)
{
	char path[160];
	if (r->status == CTR_RUNNING && proc_is(r->pid, r->start_time)) {
		if (!force)
			return err_set(err, CPOD_E_STATE,
				       "cannot remove container %.12s as it is running - running or paused containers cannot be removed without force",
				       r->id);
		cpod_runtime_kill(e->rt, r->id, SIGKILL, 1, NULL);
	}
	/* the runtime's own state, if any is left */
	cpod_err ignored;
	if (cpod_runtime_delete(e->rt, r->id, 1, &ignored) < 0 && ignored.code != CPOD_E_NOTFOUND)
		return err_set(err, CPOD_E_STATE, "remove container %.12s: %s", r->id, ignored.msg);
	/* its networks forget it (a stack also notices its end by itself) */
	net_ctr_detach(e, r);
	net_ctr_removed(e, r);
	/* the record goes first: a half-removed container is not listed */
	snprintf(path, sizeof(path), "containers/%s/container.json", r->id);
	if (unlinkat(e->rootfd, path, 0) < 0 && errno != ENOENT)
		return err_sys(err, "remove container %.12s", r->id);
	snprintf(path, sizeof(path), "containers/%s", r->id);
	if (fs_rm_tree(e->rootfd, path, err) < 0 || fs_rm_tree(e->runrootfd, path, err) < 0)
		return err_prefix(err, "remove container %.12s", r->id);
	return 0;
}

CPOD_INTERNAL int ctr_remove_v(cpod_engine *e, ctr_record *r, bool force, bool volumes,
			       cpod_err *err)
{
	if (ctr_remove(e, r, force, err) < 0)
		return -1;
	/* after the container: its own use of them is gone */
	if (volumes && volume_release(e, r->id, r->summary, true, err) < 0)
		return err_prefix(err, "remove container %.12s", r->id);
	return 0;
}

/* Names as podman makes them: an adjective and a scientist or animal. */
static const char *const ctr_adjectives[] = {
	"admiring", "agitated", "amazing", "angry", "awesome", "blissful", "bold", "brave",
	"busy", "charming", "clever", "cool", "compassionate", "competent", "confident", "crazy",
	"dazzling", "determined", "distracted", "dreamy", "eager", "ecstatic", "elastic",
	"elegant", "eloquent", "epic", "fervent", "festive", "flamboyant", "focused", "friendly",
	"frosty", "gallant", "gifted", "goofy", "gracious", "happy", "hardcore", "heuristic",
	"hopeful", "hungry", "infallible", "inspiring", "jolly", "jovial", "keen", "kind",
	"laughing", "loving", "lucid", "magical", "modest", "musing", "mystifying", "naughty",
	"nervous", "nice", "nifty", "nostalgic", "objective", "optimistic", "peaceful",
	"pedantic", "pensive", "practical", "priceless", "quirky", "quizzical", "relaxed",
	"reverent", "romantic", "serene", "sharp", "silly", "sleepy", "stoic", "strange",
	"stupefied", "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled",
	"upbeat", "vibrant", "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial",
	"youthful", "zealous", "zen",
};
static const char *const ctr_nouns[] = {
	"albattani", "allen", "archimedes", "babbage", "banach", "bardeen", "bartik", "bell",
	"bhabha", "blackwell", "bohr", "booth", "borg", "bose", "brahmagupta", "brown", "carson",
	"cerf", "chandrasekhar", "clarke", "curie", "darwin", "davinci", "diffie", "dijkstra",
	"easley", "einstein", "elion", "engelbart", "euclid", "euler", "fermat", "fermi",
	"feynman", "franklin", "galileo", "gates", "goldberg", "goodall", "hamilton", "hawking",
	"heisenberg", "hermann", "hodgkin", "hopper", "hypatia", "jackson", "jang", "jennings",
	"johnson", "kalam", "kare", "keller", "kepler", "khorana", "kilby", "knuth", "lalande",
	"lamarr", "leakey", "leavitt", "lovelace", "lumiere", "mahavira", "mayer", "mccarthy",
	"mcclintock", "meitner", "mendel", "mirzakhani", "montalcini", "moore", "morse",
	"napier", "nash", "newton", "nobel", "noether", "pascal", "pasteur", "perlman", "pike",
	"poincare", "ptolemy", "raman", "ritchie", "rosalind", "sammet", "shannon", "shirley",
	"sinoussi", "stallman", "swartz", "tesla", "thompson", "torvalds", "turing", "volhard",
	"wilson", "wozniak", "wright", "yalow", "zhukovsky",
};

CPOD_INTERNAL int ctr_generate_name(cpod_engine *e, char *out, size_t n, cpod_err *err)
{
	ctr_record *all;
	size_t count;
	if (ctr_list_all(e, &all, &count, err) < 0)
		return -1;
	for (int attempt = 0; attempt < 64; attempt++) {
		char hex[9];
		engine_random_hex(hex, 8);
		unsigned long r = strtoul(hex, NULL, 16);
		snprintf(out, n, "%s_%s", ctr_adjectives[r % ARRAY_LEN(ctr_adjectives)],
			 ctr_nouns[(r / ARRAY_LEN(ctr_adjectives)) % ARRAY_LEN(ctr_nouns)]);
		if (attempt >= 16) {
			size_t l = strlen(out);
			snprintf(out + l, n - l, "%d", attempt);
		}
		bool used = false;
		for (size_t i = 0; i < count && !used; i++)
			used = strcmp(all[i].name, out) == 0;
		if (!used) {
			ctr_list_free(all, count);
			return 0;
		}
	}
	ctr_list_free(all, count);
	return err_set(err, CPOD_E_EXISTS, "no free container name");
}
