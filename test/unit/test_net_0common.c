/*
 * test_net_0common.c — what the network tests share (no tests here; the
 * name sorts it before them): running a test inside a network namespace
 * of its own, forking servers into it, and small socket helpers.
 *
 * Every test that opens a socket runs in a fresh network namespace holding
 * only a loopback interface.  So no packet can leave the machine whatever
 * the code under test does (resolv.conf and proxies point at loopback, and
 * there is no other route), port 53 and fixed ports are free, and a crash
 * leaves nothing behind: servers die with the test child (PDEATHSIG) and
 * the namespace with them.
 */
#include <net/if.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/* not every test file uses every helper */
#define TNET_FN static __attribute__((unused))

static pid_t tnet_servers[16];
static size_t tnet_n_servers;
static char tnet_dir[256];   /* a scratch directory of the current netns test */

/* Forks a server process; it runs fn(arg) and dies with the test. */
TNET_FN pid_t tnet_fork(void (*fn)(void *arg), void *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fn(arg);
		_exit(0);
	}
	if (pid > 0 && tnet_n_servers < ARRAY_LEN(tnet_servers))
		tnet_servers[tnet_n_servers++] = pid;
	return pid;
}

/* Registers a process started otherwise (exec) to be killed at the end. */
TNET_FN void tnet_track(pid_t pid)
{
	if (pid > 0 && tnet_n_servers < ARRAY_LEN(tnet_servers))
		tnet_servers[tnet_n_servers++] = pid;
}

TNET_FN void tnet_stop_servers(void)
{
	for (size_t i = 0; i < tnet_n_servers; i++) {
		kill(tnet_servers[i], SIGKILL);
		waitpid(tnet_servers[i], NULL, 0);
	}
	tnet_n_servers = 0;
}

TNET_FN bool tnet_lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ok = ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
	}
	close(fd);
	return ok;
}

/* Runs fn in a child inside a new network namespace with lo up, and a
 * scratch directory in tnet_dir (made and removed here, so even a crashed
 * child leaves nothing).  The child's CHECK failures print their FAIL line
 * there and count here. */
TNET_FN void tnet_in_netns(const char *name, void (*fn)(void))
{
	snprintf(tnet_dir, sizeof(tnet_dir), "/tmp/cpod-unit-net.XXXXXX");
	if (!mkdtemp(tnet_dir)) {
		unit_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNET) < 0 || !tnet_lo_up()) {
			printf("note: %s needs a network namespace of its own (%s); "
			       "not run\n", name, strerror(errno));
			_exit(0);
		}
		unit_failed_now = 0;
		fn();
		tnet_stop_servers();
		fflush(stdout);
		_exit(unit_failed_now ? 1 : 0);
	}
	int status = 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tnet_dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", tnet_dir);
	if (pid < 0)
		unit_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
		unit_failed_now = 1;  /* the child said why */
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		unit_fail(__FILE__, __LINE__, "test child ended with status 0x%x", status);
}

/* A listening TCP socket on ip:port. */
TNET_FN int tnet_listen(const char *ip, uint16_t port, int backlog)
{
	net_addr a;
	int one = 1;
	if (!net_parse_ip(ip, port, &a))
		return -1;
	int fd = socket(a.sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a.sa, a.len) < 0 || listen(fd, backlog) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Waits until something accepts connections on ip:port (an exec'd server
 * starting up). */
TNET_FN bool tnet_wait_port(const char *ip, uint16_t port, int timeout_ms)
{
	int64_t end = proc_now_ms() + timeout_ms;
	while (proc_now_ms() < end) {
		cpod_err err;
		int fd = net_connect(ip, port, 1000, &err);
		if (fd >= 0) {
			close(fd);
			return true;
		}
		usleep(20000);
	}
	return false;
}

/* Writes a file under tnet_dir; returns its path (static storage, one of 8). */
TNET_FN const char *tnet_file(const char *name, const char *text)
{
	static char paths[8][300];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, sizeof(paths[0]), "%s/%s", tnet_dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return p;
}

/* Memory shared with forked servers (zeroed). */
TNET_FN void *tnet_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Reads from fd until the head of an HTTP message ("\r\n\r\n") is in b;
 * returns its length, 0 at EOF, -1 on error. */
TNET_FN ssize_t tnet_read_head(int fd, char *b, size_t cap, size_t *have)
{
	for (;;) {
		b[*have] = '\0';
		char *end = strstr(b, "\r\n\r\n");
		if (end)
			return end + 4 - b;
		if (*have + 1 >= cap)
			return -1;
		ssize_t r = read(fd, b + *have, cap - 1 - *have);
		if (r <= 0)
			return r;
		*have += (size_t)r;
	}
}

TNET_FN bool tnet_write(int fd, const char *s, size_t n)
{
	return write_all(fd, s, n) == 0;
}
