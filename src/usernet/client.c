/*
 * client.c — the engine's side of the network process: starting it
 * detached and talking to its control socket (one JSON request per
 * SOCK_SEQPACKET message, the namespace fd as SCM_RIGHTS).
 */
#include "usernet.h"
#include "../base/fdpass.h"
#include "../base/json.h"
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#define UN_REPLY_MAX 262144

static int un_cl_connect(const char *path, cpod_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, CPOD_E_INVALID, "network control socket %s: path too long", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, "network control socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_sys(err, "network control socket %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

CPOD_INTERNAL bool usernet_alive(const char *ctl_path)
{
	int fd = un_cl_connect(ctl_path, NULL);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

CPOD_INTERNAL char *usernet_request(const char *ctl_path, const char *json, int fd,
				    cpod_err *err)
{
	_cleanup_close_ int s = un_cl_connect(ctl_path, err);
	if (s < 0)
		return NULL;
	struct timeval tv = { 30, 0 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fdpass_send(s, json, strlen(json), fd) < 0) {
		err_sys(err, "network control socket %s: send", ctl_path);
		return NULL;
	}
	char *reply = malloc(UN_REPLY_MAX);
	if (!reply) {
		err_nomem(err);
		return NULL;
	}
	ssize_t n = RETRY_EINTR(recv(s, reply, UN_REPLY_MAX - 1, 0));
	if (n <= 0) {
		if (n == 0)
			errno = ECONNRESET;
		err_sys(err, "network control socket %s: no reply", ctl_path);
		free(reply);
		return NULL;
	}
	reply[n] = 0;
	return reply;
}

/* A reply parsed; an {"ok":false} one becomes the error. */
static json_doc *un_cl_call(const char *ctl_path, const char *json, int fd, cpod_err *err)
{
	_cleanup_free_ char *r = usernet_request(ctl_path, json, fd, err);
	if (!r)
		return NULL;
	json_doc *doc = json_parse(r, strlen(r), NULL, err);
	if (!doc)
		return NULL;
	bool ok = false;
	json_opt_bool(json_root(doc), "ok", &ok, "reply", NULL);
	if (!ok) {
		const char *e = json_string(json_get(json_root(doc), "error"));
		err_set(err, CPOD_E_SYS, "network: %s", e ? e : "request failed");
		json_doc_free(doc);
		return NULL;
	}
	return doc;
}

static void un_cl_copy(const json_value *root, const char *key, char *out, size_t n)
{
	const char *s = json_string(json_get(root, key));
	snprintf(out, n, "%s", s ? s : "");
}

CPOD_INTERNAL int usernet_attach(const char *ctl_path, int netns_fd,
				 const usernet_attach_req *req, usernet_attach_reply *reply,
				 cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "op", "attach");
	jw_kstr(&w, "container", req->container);
	if (req->name)
		jw_kstr(&w, "name", req->name);
	if (req->ip)
		jw_kstr(&w, "ip", req->ip);
	if (req->ip6)
		jw_kstr(&w, "ip6", req->ip6);
	if (req->mac)
		jw_kstr(&w, "mac", req->mac);
	if (req->ifname)
		jw_kstr(&w, "ifname", req->ifname);
	if (req->pid > 0)
		jw_kint(&w, "pid", req->pid);
	jw_key(&w, "aliases");
	jw_arr_begin(&w);
	for (size_t i = 0; i < req->n_aliases; i++)
		jw_str(&w, req->aliases[i]);
	jw_arr_end(&w);
	jw_key(&w, "ports");
	jw_arr_begin(&w);
	for (size_t i = 0; i < req->n_ports; i++) {
		const usernet_port *p = &req->ports[i];
		jw_obj_begin(&w);
		jw_kstr(&w, "host_ip", p->host_ip ? p->host_ip : "");
		jw_kint(&w, "host_port", p->host_port);
		jw_kint(&w, "ctr_port", p->ctr_port);
		jw_kstr(&w, "proto", p->proto ? p->proto : "tcp");
		jw_kint(&w, "range", p->range ? p->range : 1);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0)
		return -1;
	json_doc *doc = un_cl_call(ctl_path, b.data, netns_fd, err);
	if (!doc)
		return err_prefix(err, "attach %s", req->container);
	const json_value *r = json_root(doc);
	memset(reply, 0, sizeof(*reply));
	un_cl_copy(r, "ip", reply->ip, sizeof(reply->ip));
	un_cl_copy(r, "ip6", reply->ip6, sizeof(reply->ip6));
	un_cl_copy(r, "mac", reply->mac, sizeof(reply->mac));
	un_cl_copy(r, "gateway", reply->gateway, sizeof(reply->gateway));
	un_cl_copy(r, "gateway6", reply->gateway6, sizeof(reply->gateway6));
	un_cl_copy(r, "dns", reply->dns, sizeof(reply->dns));
	un_cl_copy(r, "dns6", reply->dns6, sizeof(reply->dns6));
	un_cl_copy(r, "ifname", reply->ifname, sizeof(reply->ifname));
	int64_t v;
	if (json_int64(json_get(r, "prefix"), &v))
		reply->prefix = (unsigned)v;
	if (json_int64(json_get(r, "prefix6"), &v))
		reply->prefix6 = (unsigned)v;
	if (json_int64(json_get(r, "mtu"), &v))
		reply->mtu = (unsigned)v;
	json_doc_free(doc);
	return 0;
}

CPOD_INTERNAL int usernet_detach(const char *ctl_path, const char *container, cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	json_w w;
	jw_init(&w, &b, NULL);
	jw_obj_begin(&w);
	jw_kstr(&w, "op", "detach");
	jw_kstr(&w, "container", container);
	jw_obj_end(&w);
	if (jw_finish(&w, err) < 0)
		return -1;
	json_doc *doc = un_cl_call(ctl_path, b.data, -1, err);
	if (!doc)
		return err_prefix(err, "detach %s", container);
	json_doc_free(doc);
	return 0;
}

CPOD_INTERNAL char *usernet_inspect(const char *ctl_path, cpod_err *err)
{
	return usernet_request(ctl_path, "{\"op\":\"inspect\"}", -1, err);
}

CPOD_INTERNAL char *usernet_ports(const char *ctl_path, cpod_err *err)
{
	return usernet_request(ctl_path, "{\"op\":\"ports\"}", -1, err);
}

CPOD_INTERNAL int usernet_spawn(const usernet_config *cfg, const char *exe, int *pid_out,
				cpod_err *err)
{
	char nums[4][16];
	const char *argv[32];
	int a = 0;
	argv[a++] = exe ? exe : "/proc/self/exe";
	argv[a++] = "__usernet";
	argv[a++] = "--ctl";
	argv[a++] = cfg->ctl_path;
#define UN_OPT(flag, v) do { if (v) { argv[a++] = flag; argv[a++] = v; } } while (0)
	UN_OPT("--name", cfg->name);
	UN_OPT("--subnet", cfg->subnet);
	UN_OPT("--subnet6", cfg->subnet6);
	UN_OPT("--gateway", cfg->gateway);
	UN_OPT("--resolv-conf", cfg->resolv_conf);
	argv[a++] = "--policy";
	argv[a++] = usernet_policy_name(cfg->policy);
	snprintf(nums[0], 16, "%u", cfg->mtu);
	snprintf(nums[1], 16, "%u", cfg->max_flows);
	snprintf(nums[2], 16, "%u", cfg->grace_ms);
	snprintf(nums[3], 16, "%u", cfg->idle_ms);
	UN_OPT("--mtu", cfg->mtu ? nums[0] : NULL);
	UN_OPT("--max-flows", cfg->max_flows ? nums[1] : NULL);
	UN_OPT("--grace-ms", cfg->grace_ms ? nums[2] : NULL);
	UN_OPT("--idle-ms", cfg->idle_ms ? nums[3] : NULL);
#undef UN_OPT
	argv[a] = NULL;
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		return err_sys(err, "start network %s: pipe", cfg->name ? cfg->name : "");
	pid_t child = fork();
	if (child < 0) {
		close(pp[0]);
		close(pp[1]);
		return err_sys(err, "start network: fork");
	}
	if (child == 0) {
		setsid();
		pid_t gc = fork();
		if (gc == 0) {
			int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
			int log = cfg->log_path ? open(cfg->log_path, O_WRONLY | O_CREAT | O_APPEND |
							       O_CLOEXEC, 0600) : -1;
			if (nul >= 0) {
				dup2(nul, 0);
				dup2(nul, 1);
				dup2(log >= 0 ? log : nul, 2);
			}
			execv(argv[0], (char *const *)argv);
			_exit(127);
		}
		(void)!write(pp[1], &gc, sizeof(gc));
		_exit(gc < 0 ? 1 : 0);
	}
	close(pp[1]);
	pid_t gc = -1;
	if (read(pp[0], &gc, sizeof(gc)) != sizeof(gc))
		gc = -1;
	close(pp[0]);
	int status;
	RETRY_EINTR(waitpid(child, &status, 0));
	if (gc <= 0)
		return err_set(err, CPOD_E_SYS, "start network %s: fork failed",
			       cfg->name ? cfg->name : "");
	for (int i = 0; i < 1000; i++) {
		if (usernet_alive(cfg->ctl_path)) {
			if (pid_out)
				*pid_out = gc;
			return 0;
		}
		if (kill(gc, 0) < 0 && errno == ESRCH)
			break;
		usleep(10000);
	}
	return err_set(err, CPOD_E_SYS, "start network %s: the network process did not come up%s%s%s",
		       cfg->name ? cfg->name : "", cfg->log_path ? " (see " : "",
		       cfg->log_path ? cfg->log_path : "", cfg->log_path ? ")" : "");
}
