/*
 * unpack-driver.c — bench/unpack's stand-in for cpod: unpacks one layer
 * file into a directory with layer_unpack, as the store will (both digests
 * checked when given), then syncfs on the directory's file system, the one
 * durability step the store takes before it marks a layer complete.
 *
 * Built like the unit tests, as one translation unit with the library:
 *     cc -O2 -I. -Ibuild bench/unpack-driver.c -lbearssl -lseccomp -lz
 *
 * usage: unpack-driver [--digest D] [--diff-id D] [--rootless] [--apply]
 *                      [--no-sync] [--times] LAYER DIR
 * Prints one line: compression, compressed and uncompressed sizes, digests;
 * with --times, the seconds spent unpacking and in syncfs on stderr.
 * Exit status 0 on success, 1 on failure (the message on stderr).
 */
#include "cpod-lines.c"
#include <time.h>

static void unpack_driver_log(int level, const char *msg, void *userdata)
{
	(void)userdata;
	fprintf(stderr, "%s: %s\n", level >= CPOD_LOG_WARN ? "warning" : "debug", msg);
}

int main(int argc, char **argv)
{
	layer_opts o;
	bool sync_fs = true, times = false;
	int i;

	memset(&o, 0, sizeof(o));
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--digest") == 0 && i + 1 < argc)
			o.digest = argv[++i];
		else if (strcmp(argv[i], "--diff-id") == 0 && i + 1 < argc)
			o.diff_id = argv[++i];
		else if (strcmp(argv[i], "--rootless") == 0)
			o.rootless = true;
		else if (strcmp(argv[i], "--apply") == 0)
			o.whiteouts = LAYER_WHITEOUT_APPLY;
		else if (strcmp(argv[i], "--no-sync") == 0)
			sync_fs = false;
		else if (strcmp(argv[i], "--times") == 0)
			times = true;
		else
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: unpack-driver [--digest D] [--diff-id D] [--rootless] "
				"[--apply] [--no-sync] [--times] LAYER DIR\n");
		return 2;
	}
	cpod_set_log(unpack_driver_log, NULL, CPOD_LOG_WARN);
	int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[i]);
		return 1;
	}
	int dfd = open(argv[i + 1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		perror(argv[i + 1]);
		return 1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		o.compressed_size = (uint64_t)st.st_size;
	byte_source src = source_fd(&fd);
	layer_result res;
	cpod_err err;
	cpod_err_clear(&err);
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (layer_unpack(dfd, &src, &o, &res, &err) < 0) {
		fprintf(stderr, "unpack-driver: %s\n", err.msg);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (sync_fs && syncfs(dfd) < 0) {
		perror("syncfs");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	if (times)
		fprintf(stderr, "unpack %.3f s, syncfs %.3f s\n",
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
			(double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9);
	static const char *const comp[] = { "plain", "gzip", "zstd" };
	printf("%s %" PRIu64 " %" PRIu64 " %s %s\n", comp[res.compression], res.compressed_size,
	       res.size, res.digest, res.diff_id);
	return 0;
}
