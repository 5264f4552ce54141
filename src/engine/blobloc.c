/*
 * blobloc.c — the blob locations file, ROOT/blob-locations: one line per
 * sighting, "DIGEST REGISTRY/REPOSITORY", appended by pulls and pushes.
 *
 * Each line goes in one O_APPEND write, so concurrent pulls and pushes do
 * not interleave them.  The file is bounded: past BLOBLOC_MAX it is renamed
 * to blob-locations.old (one generation kept) and starts again.  Losing
 * lines only costs an upload that a mount could have saved.
 */
#include "blobloc.h"
#include "../base/fs.h"

#define BLOBLOC_MAX (512 * 1024)

CPOD_INTERNAL void blobloc_add(cpod_engine *e, const char *digest, const char *registry,
			       const char *repo)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s %s/%s\n", digest, registry, repo);
	if (n < 0 || (size_t)n >= sizeof(line) || strchr(registry, ' ') || strchr(repo, ' '))
		return;
	_cleanup_close_ int fd = openat(e->rootfd, "blob-locations",
					O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size > BLOBLOC_MAX)
		renameat(e->rootfd, "blob-locations", e->rootfd, "blob-locations.old");
	if (write(fd, line, (size_t)n) != n)
		log_debug("blob-locations: a short write");
}

/* Searches one generation, the last line first. */
static bool blobloc_scan(cpod_engine *e, const char *file, const char *digest,
			 const char *registry, const char *not_repo, char *out, size_t n)
{
	_cleanup_buf_ buf b = BUF_INIT;
	if (fs_read_file(e->rootfd, file, 2 * BLOBLOC_MAX, &b, NULL) < 0 || !b.data)
		return false;
	size_t dl = strlen(digest), rl = strlen(registry);
	char *end = b.data + b.len;
	while (end > b.data) {
		char *eol = end;
		char *bol = eol;
		while (bol > b.data && bol[-1] != '\n')
			bol--;
		end = bol > b.data ? bol - 1 : b.data;
		size_t len = (size_t)(eol - bol);
		if (len && bol[len - 1] == '\n')
			len--;
		/* DIGEST SP REGISTRY / REPO */
		if (len <= dl + 1 + rl + 1 || memcmp(bol, digest, dl) || bol[dl] != ' ' ||
		    memcmp(bol + dl + 1, registry, rl) || bol[dl + 1 + rl] != '/')
			continue;
		const char *repo = bol + dl + 1 + rl + 1;
		size_t repo_len = len - (dl + 1 + rl + 1);
		if (repo_len >= n || (strlen(not_repo) == repo_len &&
				      !memcmp(repo, not_repo, repo_len)))
			continue;
		memcpy(out, repo, repo_len);
		out[repo_len] = '\0';
		return true;
	}
	return false;
}

CPOD_INTERNAL bool blobloc_find(cpod_engine *e, const char *digest, const char *registry,
				const char *not_repo, char *out, size_t n)
{
	return blobloc_scan(e, "blob-locations", digest, registry, not_repo, out, n) ||
	       blobloc_scan(e, "blob-locations.old", digest, registry, not_repo, out, n);
}
