/*
 * registry.c — the distribution protocol client (see registry.h): the
 * endpoint table and its pings, credentials and bearer tokens, the request
 * wrapper that authenticates and retries a 401 once, manifests, blobs with
 * resume, uploads and mounts; then the transfer thread pool and the
 * progress lines that pull and push share.
 *
 * Errors name what the user can act on: the host that is unknown or
 * refuses, a certificate that is not trusted (and what to do about it), a
 * 401 (log in), what the registry said in its error body.
 */
#include "registry.h"
#include "../base/proc.h"
#include <poll.h>
#include <pthread.h>
#include <time.h>

#define REG_TOKEN_MAX (64u << 10)
#define REG_TOKENS_MAX 64
#define REG_ERRBODY_MAX (64u << 10)

enum { REG_AUTH_NONE, REG_AUTH_BASIC, REG_AUTH_BEARER };

struct reg_endpoint {
	struct reg_endpoint *next;
	char registry[300];        /* as references spell it */
	char base[340];            /* "https://host:port" */
	bool insecure;
	int auth;                  /* REG_AUTH_*, under the client's lock */
	reg_challenge ch;          /* the bearer realm and service */
};

typedef struct reg_token {
	char key[4096];            /* realm \n service \n scopes \n user */
	char *token;
	int64_t expires_ms;
	int64_t used_ms;
} reg_token;

typedef struct reg_tls_entry {
	struct reg_tls_entry *next;
	char hostport[300];
	bool insecure;
	bool looked_up;
	certsd_tls files;
} reg_tls_entry;

struct reg_client {
	http_client *http;
	char *authfile, *cert_dir;
	char cred_user[256], cred_pass[4096];
	bool have_cred_opt;
	int tls_verify;
	pthread_mutex_t lock;
	reg_endpoint *endpoints;
	reg_token tokens[REG_TOKENS_MAX];
	reg_tls_entry *tls;
};

/* ---------------------------------------------------------------- parsers */

static bool reg_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void reg_skip_ows(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* A token or quoted-string value into out (bounded). */
static int reg_param_value(const char **pp, char *out, size_t n, cpod_err *err)
{
	const char *p = *pp;
	size_t o = 0;

	if (*p == '"') {
		p++;
		for (;;) {
			char c = *p++;
			if (c == '\0')
				return err_set(err, CPOD_E_INVALID, "unterminated quoted string");
			if (c == '"')
				break;
			if (c == '\\') {
				c = *p++;
				if (c == '\0')
					return err_set(err, CPOD_E_INVALID, "unterminated quoted string");
			}
			if ((unsigned char)c < 0x20 && c != '\t')
				return err_set(err, CPOD_E_INVALID, "control character in a value");
			if (o + 1 >= n)
				return err_set(err, CPOD_E_LIMIT, "parameter value too long");
			out[o++] = c;
		}
	} else {
		while (reg_tchar(*p) || *p == '/' || *p == ':' || *p == '=') {
			if (o + 1 >= n)
				return err_set(err, CPOD_E_LIMIT, "parameter value too long");
			out[o++] = *p++;
		}
		if (o == 0)
			return err_set(err, CPOD_E_INVALID, "a parameter value is expected");
	}
	out[o] = '\0';
	*pp = p;
	return 0;
}

CPOD_INTERNAL int reg_parse_www_authenticate(const char *value, reg_challenge *out, size_t max,
					     size_t *n, cpod_err *err)
{
	const char *p = value;
	reg_challenge *cur = NULL;

	*n = 0;
	if (strlen(value) > 16384)
		return err_set(err, CPOD_E_LIMIT, "WWW-Authenticate too long");
	for (;;) {
		reg_skip_ows(&p);
		while (*p == ',') {
			p++;
			reg_skip_ows(&p);
		}
		if (!*p)
			break;
		/* a token: a new scheme, or a parameter name when '=' follows */
		const char *t = p;
		while (reg_tchar(*p))
			p++;
		size_t tl = (size_t)(p - t);
		if (tl == 0)
			return err_set(err, CPOD_E_INVALID, "WWW-Authenticate: unexpected '%c'", *p);
		const char *q = p;
		reg_skip_ows(&q);
		bool is_param = *q == '=' && cur && q[1] != '=';
		if (is_param) {
			/* token68 ends in '='s; a parameter's '=' is followed by a value */
			char name[32], val[1024];
			snprintf(name, sizeof(name), "%.*s", (int)(tl < 31 ? tl : 31), t);
			p = q + 1;
			reg_skip_ows(&p);
			if (reg_param_value(&p, val, sizeof(val), err) < 0)
				return err_prefix(err, "WWW-Authenticate");
			char *dst = NULL;
			size_t dn = 0;
			if (!strcasecmp(name, "realm"))
				dst = cur->realm, dn = sizeof(cur->realm);
			else if (!strcasecmp(name, "service"))
				dst = cur->service, dn = sizeof(cur->service);
			else if (!strcasecmp(name, "scope"))
				dst = cur->scope, dn = sizeof(cur->scope);
			else if (!strcasecmp(name, "error"))
				dst = cur->error, dn = sizeof(cur->error);
			if (dst && tl < 31) {
				if (strlen(val) >= dn)
					return err_set(err, CPOD_E_LIMIT, "WWW-Authenticate: %s too long",
						       name);
				strcpy(dst, val);
			}
			reg_skip_ows(&p);
			if (*p && *p != ',')
				return err_set(err, CPOD_E_INVALID, "WWW-Authenticate: ',' expected "
					       "after %s", name);
			continue;
		}
		/* a new challenge */
		if (*n == max)
			return err_set(err, CPOD_E_LIMIT, "WWW-Authenticate: too many challenges");
		cur = &out[(*n)++];
		memset(cur, 0, sizeof(*cur));
		snprintf(cur->scheme, sizeof(cur->scheme), "%.*s", (int)(tl < 15 ? tl : 15), t);
		reg_skip_ows(&p);
		/* token68 (Negotiate abc==): skipped */
		const char *s = p;
		while (reg_tchar(*s) || *s == '/')
			s++;
		const char *e = s;
		while (*e == '=')
			e++;
		reg_skip_ows(&e);
		if (s > p && e > s && (*e == ',' || !*e))
			p = e;
	}
	return 0;
}

CPOD_INTERNAL int reg_parse_content_range(const char *v, int64_t *start, int64_t *end,
					  int64_t *total)
{
	const char *p = v;
	char *e;

	if (strncasecmp(p, "bytes", 5) != 0)
		return -1;
	p += 5;
	if (*p != ' ')
		return -1;
	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	long long a = strtoll(p, &e, 10);
	if (errno || *e != '-' || e[1] < '0' || e[1] > '9')
		return -1;
	long long b = strtoll(e + 1, &e, 10);
	if (errno || *e != '/' || b < a)
		return -1;
	p = e + 1;
	long long t = -1;
	if (*p == '*' && !p[1]) {
		t = -1;
	} else {
		if (*p < '0' || *p > '9')
			return -1;
		t = strtoll(p, &e, 10);
		if (errno || *e || t <= b)
			return -1;
	}
	*start = a;
	*end = b;
	*total = t;
	return 0;
}

CPOD_INTERNAL int64_t reg_parse_upload_range(const char *v)
{
	char *e;
	if (!strncasecmp(v, "bytes=", 6))
		v += 6;
	if (v[0] != '0' || v[1] != '-' || v[2] < '0' || v[2] > '9')
		return -1;
	errno = 0;
	long long end = strtoll(v + 2, &e, 10);
	if (errno || *e)
		return -1;
	return end;
}

CPOD_INTERNAL void reg_error_text(const char *body, size_t len, char *out, size_t n)
{
	const json_limits lim = { .max_size = REG_ERRBODY_MAX, .max_depth = 16 };
	json_doc *d = json_parse(body, len, &lim, NULL);
	const json_value *errs = json_get(json_root(d), "errors");
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < json_len(errs) && i < 4 && o + 1 < n; i++) {
		const json_value *e = json_at(errs, i);
		const char *code = json_string(json_get(e, "code"));
		const char *msg = json_string(json_get(e, "message"));
		int w = snprintf(out + o, n - o, "%s%s%s%.300s", o ? "; " : "", code ? code : "",
				 code && msg ? ": " : "", msg ? msg : "");
		if (w > 0)
			o += (size_t)w < n - o ? (size_t)w : n - o - 1;
	}
	json_doc_free(d);
	if (!out[0] && len) {
		/* a plain-text or HTML body: its first line, printable bytes only */
		size_t k = 0;
		for (size_t i = 0; i < len && k + 1 < n && k < 200 && body[i] != '\n'; i++)
			if ((unsigned char)body[i] >= ' ' && (unsigned char)body[i] < 0x7f)
				out[k++] = body[i];
		out[k] = '\0';
	}
}

CPOD_INTERNAL int reg_query_escape(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || strchr("-_.~", c);
		if (o + (plain ? 1 : 3) >= n)
			return -1;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

/* ---------------------------------------------------------------- TLS */

static void reg_hostport(const char *host, uint16_t port, char *out, size_t n)
{
	if (strchr(host, ':'))
		snprintf(out, n, "[%s]:%u", host, port);
	else
		snprintf(out, n, "%s:%u", host, port);
}

/* The entry for host:port, made on first use (under the lock). */
static reg_tls_entry *reg_tls_entry_get(reg_client *rc, const char *hostport, cpod_err *err)
{
	for (reg_tls_entry *e = rc->tls; e; e = e->next)
		if (!strcmp(e->hostport, hostport))
			return e;
	reg_tls_entry *e = calloc(1, sizeof(*e));
	if (!e) {
		err_nomem(err);
		return NULL;
	}
	snprintf(e->hostport, sizeof(e->hostport), "%s", hostport);
	e->next = rc->tls;
	rc->tls = e;
	return e;
}

static int reg_tls_for(void *ctx, const char *host, uint16_t port, tls_config *out, cpod_err *err)
{
	reg_client *rc = ctx;
	char hp[300];
	int r = 0;

	reg_hostport(host, port, hp, sizeof(hp));
	pthread_mutex_lock(&rc->lock);
	reg_tls_entry *e = reg_tls_entry_get(rc, hp, err);
	if (!e) {
		r = -1;
	} else if (!e->looked_up) {
		/* podman names the directory as the reference does: host:port,
		 * or the host alone for the default port */
		r = certsd_lookup(rc->cert_dir, hp, &e->files, err);
		if (r == 0 && !e->files.dir[0] && port == 443)
			r = certsd_lookup(rc->cert_dir, strchr(host, ':') ? hp : host, &e->files, err);
		e->looked_up = r == 0;
		if (r == 0 && e->files.dir[0])
			log_debug("registry %s: certificates from %s", hp, e->files.dir);
	}
	if (r == 0) {
		certsd_apply(&e->files, out);
		out->insecure = e->insecure || rc->tls_verify == 0;
		/* a registry's own host: reg_ping warns, once, when TLS answers */
		out->insecure_quiet = e->insecure;
	}
	pthread_mutex_unlock(&rc->lock);
	return r;
}

/* ---------------------------------------------------------------- client */

CPOD_INTERNAL reg_client *reg_client_new(const reg_client_opts *o, cpod_err *err)
{
	reg_client *rc = calloc(1, sizeof(*rc));
	reg_client_opts none = { .tls_verify = -1 };

	if (!rc) {
		err_nomem(err);
		return NULL;
	}
	if (!o)
		o = &none;
	pthread_mutex_init(&rc->lock, NULL);
	rc->tls_verify = o->tls_verify;
	if ((o->authfile && !(rc->authfile = strdup(o->authfile))) ||
	    (o->cert_dir && !(rc->cert_dir = strdup(o->cert_dir)))) {
		err_nomem(err);
		goto fail;
	}
	if (o->creds) {
		const char *colon = strchr(o->creds, ':');
		size_t ul = colon ? (size_t)(colon - o->creds) : strlen(o->creds);
		if (ul == 0 || ul >= sizeof(rc->cred_user) ||
		    (colon && strlen(colon + 1) >= sizeof(rc->cred_pass))) {
			err_set(err, CPOD_E_INVALID, "--creds: \"USER[:PASSWORD]\" expected");
			goto fail;
		}
		memcpy(rc->cred_user, o->creds, ul);
		snprintf(rc->cred_pass, sizeof(rc->cred_pass), "%s", colon ? colon + 1 : "");
		rc->have_cred_opt = true;
	}
	http_client_opts ho = {
		.connect_timeout_ms = o->connect_timeout_ms,
		.io_timeout_ms = o->io_timeout_ms,
		.tls_for = reg_tls_for,
		.tls_ctx = rc,
	};
	rc->http = http_client_new(&ho, err);
	if (!rc->http)
		goto fail;
	return rc;
fail:
	reg_client_free(rc);
	return NULL;
}

CPOD_INTERNAL void reg_client_free(reg_client *rc)
{
	if (!rc)
		return;
	http_client_free(rc->http);
	while (rc->endpoints) {
		reg_endpoint *n = rc->endpoints->next;
		free(rc->endpoints);
		rc->endpoints = n;
	}
	while (rc->tls) {
		reg_tls_entry *n = rc->tls->next;
		free(rc->tls);
		rc->tls = n;
	}
	for (size_t i = 0; i < REG_TOKENS_MAX; i++)
		if (rc->tokens[i].token) {
			explicit_bzero(rc->tokens[i].token, strlen(rc->tokens[i].token));
			free(rc->tokens[i].token);
		}
	explicit_bzero(rc->cred_pass, sizeof(rc->cred_pass));
	free(rc->authfile);
	free(rc->cert_dir);
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}

/* A hint for errors a user can fix with an option. */
static void reg_hint(cpod_err *err, const char *registry)
{
	if (!err || !(strstr(err->msg, "certificate") || strstr(err->msg, "TLS")))
		return;
	size_t l = strlen(err->msg);
	snprintf(err->msg + l, sizeof(err->msg) - l, " (a plain-http registry, or one whose "
		 "certificate is not trusted: --tls-verify=false, insecure = true in "
		 "registries.conf, or its CA in certs.d/%s/ca.crt)", registry);
}

/* Sets the endpoint's authentication from a 401's challenges. */
static void reg_take_challenge(reg_client *rc, reg_endpoint *ep, const http_response *resp)
{
	reg_challenge ch[8];
	size_t n = 0;
	cpod_err e;
	int kind = REG_AUTH_NONE;
	const reg_challenge *bearer = NULL;

	for (size_t i = 0; i < resp->n_headers; i++) {
		if (strcasecmp(resp->headers[i].name, "WWW-Authenticate") != 0)
			continue;
		size_t k = 0;
		if (reg_parse_www_authenticate(resp->headers[i].value, ch + n, ARRAY_LEN(ch) - n, &k,
					       &e) < 0)
			log_debug("%s: %s", ep->registry, e.msg);
		n += k;
		if (n == ARRAY_LEN(ch))
			break;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcasecmp(ch[i].scheme, "Bearer") && ch[i].realm[0] && !bearer)
			bearer = &ch[i];
		else if (!strcasecmp(ch[i].scheme, "Basic") && kind == REG_AUTH_NONE)
			kind = REG_AUTH_BASIC;
	}
	pthread_mutex_lock(&rc->lock);
	if (bearer) {
		ep->auth = REG_AUTH_BEARER;
		ep->ch = *bearer;
	} else if (kind == REG_AUTH_BASIC || (n == 0 && ep->auth == REG_AUTH_NONE)) {
		/* a 401 without a challenge we know: try basic credentials */
		ep->auth = REG_AUTH_BASIC;
	}
	pthread_mutex_unlock(&rc->lock);
}

static int reg_get(reg_client *rc, const char *url, http_response **resp, cpod_err *err)
{
	http_request req = { .method = "GET", .url = url, .max_redirects = 5 };
	return http_do(rc->http, &req, resp, err);
}

/* GET /v2/ over https, then over http when insecure: the scheme that
 * answers and what it asks for. */
static int reg_ping(reg_client *rc, reg_endpoint *ep, cpod_err *err)
{
	const char *host = strcmp(ep->registry, "docker.io") ? ep->registry : "registry-1.docker.io";
	cpod_err first;
	bool have_first = false;

	for (int k = 0; k < (ep->insecure ? 2 : 1); k++) {
		char url[400];
		http_response *resp;
		cpod_err e;
		snprintf(ep->base, sizeof(ep->base), "%s://%s", k ? "http" : "https", host);
		snprintf(url, sizeof(url), "%s/v2/", ep->base);
		if (reg_get(rc, url, &resp, &e) < 0) {
			if (!have_first) {
				first = e;
				have_first = true;
			}
			log_debug("registry %s: %s", ep->registry, e.msg);
			continue;
		}
		int st = resp->status;
		if (st == 401)
			reg_take_challenge(rc, ep, resp);
		http_response_free(resp);
		if (st == 200 || st == 401) {
			if (k == 1)
				log_debug("registry %s: plain http", ep->registry);
			else if (ep->insecure)
				log_warn("registry %s: TLS: its certificate is not verified "
					 "(--tls-verify=false, or insecure in registries.conf)",
					 ep->registry);
			return 0;
		}
		e.code = CPOD_E_INVALID;
		e.errno_ = 0;
		snprintf(e.msg, sizeof(e.msg), "GET %s: %d: not a registry (no /v2/ API)", url, st);
		if (!have_first) {
			first = e;
			have_first = true;
		}
	}
	if (err)
		*err = first;
	if (!ep->insecure)
		reg_hint(err, ep->registry);
	return err_prefix(err, "pinging registry %s", ep->registry);
}

static reg_endpoint *reg_endpoint_get(reg_client *rc, const char *registry, bool insecure,
				      cpod_err *err)
{
	reg_endpoint *ep;

	if (rc->tls_verify == 1)
		insecure = false;
	if (rc->tls_verify == 0)
		insecure = true;
	pthread_mutex_lock(&rc->lock);
	for (ep = rc->endpoints; ep; ep = ep->next)
		if (!strcmp(ep->registry, registry))
			break;
	pthread_mutex_unlock(&rc->lock);
	if (ep)
		return ep;
	if (strlen(registry) >= sizeof(ep->registry) - 1 || !*registry) {
		err_set(err, CPOD_E_INVALID, "bad registry name \"%.100s\"", registry);
		return NULL;
	}
	if (!(ep = calloc(1, sizeof(*ep)))) {
		err_nomem(err);
		return NULL;
	}
	snprintf(ep->registry, sizeof(ep->registry), "%s", registry);
	ep->insecure = insecure;
	if (insecure) {
		/* the TLS callback learns that this host may go unverified */
		http_url u;
		char url[400];
		snprintf(url, sizeof(url), "https://%s/",
			 strcmp(registry, "docker.io") ? registry : "registry-1.docker.io");
		if (http_url_parse(url, NULL, &u, err) < 0) {
			free(ep);
			return NULL;
		}
		char hp[300];
		reg_hostport(u.host, u.port, hp, sizeof(hp));
		pthread_mutex_lock(&rc->lock);
		reg_tls_entry *te = reg_tls_entry_get(rc, hp, err);
		if (te)
			te->insecure = true;
		pthread_mutex_unlock(&rc->lock);
		if (!te) {
			free(ep);
			return NULL;
		}
	}
	if (reg_ping(rc, ep, err) < 0) {
		free(ep);
		return NULL;
	}
	pthread_mutex_lock(&rc->lock);
	reg_endpoint *other;
	for (other = rc->endpoints; other; other = other->next)
		if (!strcmp(other->registry, registry))
			break;
	if (other) {
		free(ep);   /* another thread pinged it meanwhile */
		ep = other;
	} else {
		ep->next = rc->endpoints;
		rc->endpoints = ep;
	}
	pthread_mutex_unlock(&rc->lock);
	return ep;
}

CPOD_INTERNAL int reg_repo_open(reg_client *rc, const char *registry, const char *name,
				bool insecure, bool push, reg_repo *out, cpod_err *err)
{
	memset(out, 0, sizeof(*out));
	out->rc = rc;
	out->push = push;
	if (strlen(registry) >= sizeof(out->registry) || strlen(name) >= sizeof(out->name))
		return err_set(err, CPOD_E_LIMIT, "repository name too long");
	strcpy(out->registry, registry);
	strcpy(out->name, name);
	if (rc->have_cred_opt) {
		snprintf(out->creds.user, sizeof(out->creds.user), "%s", rc->cred_user);
		snprintf(out->creds.password, sizeof(out->creds.password), "%s", rc->cred_pass);
		out->have_creds = true;
	} else {
		int r = auth_lookup(rc->authfile, registry, name, &out->creds, err);
		if (r < 0)
			return -1;
		out->have_creds = r == 1;
		if (out->have_creds)
			log_debug("credentials for %s/%s from %s (%s)", registry, name,
				  out->creds.file, out->creds.key);
	}
	out->ep = reg_endpoint_get(rc, registry, insecure, err);
	if (!out->ep) {
		reg_repo_close(out);
		return -1;
	}
	return 0;
}

CPOD_INTERNAL void reg_repo_close(reg_repo *r)
{
	explicit_bzero(&r->creds, sizeof(r->creds));
	r->have_creds = false;
}

CPOD_INTERNAL const char *reg_repo_base(const reg_repo *r)
{
	return r->ep ? r->ep->base : "";
}

/* ---------------------------------------------------------------- tokens */

static void reg_scope(const reg_repo *r, const char *extra, char *out, size_t n)
{
	if (!r->name[0])
		snprintf(out, n, "%s", extra ? extra : "");
	else
		snprintf(out, n, "repository:%s:%s%s%s", r->name, r->push ? "pull,push" : "pull",
			 extra ? " " : "", extra ? extra : "");
}

static int reg_basic_header(const reg_repo *r, char *out, size_t n, cpod_err *err)
{
	char plain[sizeof(r->creds.user) + sizeof(r->creds.password) + 2];
	int w = snprintf(plain, sizeof(plain), "%s:%s", r->creds.user, r->creds.password);
	strcpy(out, "Basic ");
	int rc = http_base64(plain, (size_t)w, out + 6, n - 6);
	explicit_bzero(plain, sizeof(plain));
	if (rc < 0)
		return err_set(err, CPOD_E_LIMIT, "credentials too long");
	return 0;
}

/* GET realm?service=S&scope=A&scope=B with the credentials: a token. */
static int reg_token_fetch(reg_repo *r, const reg_challenge *ch, const char *scopes,
			   char **token, int64_t *expires_ms, cpod_err *err)
{
	_cleanup_buf_ buf url = BUF_INIT;
	_cleanup_buf_ buf body = BUF_INIT;
	char esc[2048], auth[8192];
	http_header h[1];
	http_response *resp = NULL;
	int r_ = -1;

	buf_puts(&url, ch->realm, NULL);
	if (ch->service[0]) {
		if (reg_query_escape(ch->service, esc, sizeof(esc)) < 0)
			return err_set(err, CPOD_E_LIMIT, "service name too long");
		buf_printf(&url, NULL, "%sservice=%s", strchr(ch->realm, '?') ? "&" : "?", esc);
	}
	for (const char *s = scopes; *s;) {
		size_t l = strcspn(s, " ");
		char one[1024];
		snprintf(one, sizeof(one), "%.*s", (int)(l < 1023 ? l : 1023), s);
		if (l && reg_query_escape(one, esc, sizeof(esc)) == 0)
			buf_printf(&url, NULL, "%sscope=%s", strchr(url.data, '?') ? "&" : "?", esc);
		s += l;
		while (*s == ' ')
			s++;
	}
	if (url.failed)
		return err_nomem(err);
	http_request req = { .method = "GET", .url = url.data, .max_redirects = 5 };
	if (r->have_creds) {
		if (reg_basic_header(r, auth, sizeof(auth), err) < 0)
			return -1;
		h[0].name = "Authorization";
		h[0].value = auth;
		req.headers = h;
		req.n_headers = 1;
	}
	int hr = http_do(r->rc->http, &req, &resp, err);
	explicit_bzero(auth, sizeof(auth));
	if (hr < 0)
		return err_prefix(err, "token server");
	if (http_read_body(resp, REG_TOKEN_MAX, &body, err) < 0) {
		err_prefix(err, "token server");
		goto out;
	}
	if (resp->status == 401 || resp->status == 403) {
		char msg[300];
		reg_error_text(body.data ? body.data : "", body.len, msg, sizeof(msg));
		if (r->have_creds)
			err_set(err, CPOD_E_PERM, "authentication to %s failed: invalid user name or "
				"password%s%s", r->registry, msg[0] ? ": " : "", msg);
		else
			err_set(err, CPOD_E_PERM, "%s requires authentication%s%s (run cpod-mini "
				"login %s)", r->registry, msg[0] ? ": " : "", msg, r->registry);
		goto out;
	}
	if (resp->status != 200) {
		char msg[300];
		reg_error_text(body.data ? body.data : "", body.len, msg, sizeof(msg));
		err_set(err, CPOD_E_INVALID, "token server for %s: %d %s%s%s", r->registry,
			resp->status, resp->reason, msg[0] ? ": " : "", msg);
		goto out;
	}
	{
		const json_limits lim = { .max_size = REG_TOKEN_MAX, .max_depth = 16 };
		_cleanup_json_ json_doc *d = json_parse(body.data ? body.data : "", body.len, &lim,
							err);
		if (!d) {
			err_prefix(err, "token server for %s", r->registry);
			goto out;
		}
		const json_value *root = json_root(d);
		const char *t = json_string(json_get(root, "token"));
		if (!t || !*t)
			t = json_string(json_get(root, "access_token"));
		int64_t exp = 0;
		json_int64(json_get(root, "expires_in"), &exp);
		if (!t || !*t) {
			err_set(err, CPOD_E_INVALID, "token server for %s: no token in the answer",
				r->registry);
			goto out;
		}
		for (const char *p = t; *p; p++)
			if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
				err_set(err, CPOD_E_INVALID, "token server for %s: the token has "
					"characters a header cannot carry", r->registry);
				goto out;
			}
		/* the spec's minimum is 60 s; expire a little early */
		if (exp < 60)
			exp = 60;
		if (exp > 86400)
			exp = 86400;
		*expires_ms = proc_now_ms() + exp * 1000 - 5000;
		if (!(*token = strdup(t))) {
			err_nomem(err);
			goto out;
		}
	}
	r_ = 0;
out:
	if (body.data)
		explicit_bzero(body.data, body.len);
	http_response_free(resp);
	return r_;
}

/* The Authorization value for a request on r (malloc'd into *out, NULL
 * when none); *cached tells whether a cached token was used. */
static int reg_authorization(reg_repo *r, const char *extra_scope, bool refresh, char **out,
			     bool *cached, cpod_err *err)
{
	reg_client *rc = r->rc;
	reg_endpoint *ep = r->ep;
	char key[sizeof(rc->tokens[0].key)], scopes[1600];
	reg_challenge ch;
	int kind;

	*out = NULL;
	*cached = false;
	pthread_mutex_lock(&rc->lock);
	kind = ep->auth;
	ch = ep->ch;
	pthread_mutex_unlock(&rc->lock);
	if (kind == REG_AUTH_NONE)
		return 0;
	if (kind == REG_AUTH_BASIC) {
		char h[8192];
		if (!r->have_creds)
			return 0;
		if (reg_basic_header(r, h, sizeof(h), err) < 0)
			return -1;
		*out = strdup(h);
		explicit_bzero(h, sizeof(h));
		return *out ? 0 : err_nomem(err);
	}
	reg_scope(r, extra_scope, scopes, sizeof(scopes));
	int kl = snprintf(key, sizeof(key), "%s\n%s\n%s\n%s", ch.realm, ch.service, scopes,
			  r->have_creds ? r->creds.user : "");
	if (kl < 0 || (size_t)kl >= sizeof(key))
		return err_set(err, CPOD_E_LIMIT, "token scope too long");
	int64_t now = proc_now_ms();
	pthread_mutex_lock(&rc->lock);
	for (size_t i = 0; i < REG_TOKENS_MAX; i++) {
		reg_token *t = &rc->tokens[i];
		if (!t->token || strcmp(t->key, key) != 0)
			continue;
		if (!refresh && t->expires_ms > now) {
			size_t l = strlen(t->token);
			*out = malloc(l + 8);
			if (*out)
				snprintf(*out, l + 8, "Bearer %s", t->token);
			t->used_ms = now;
			*cached = true;
		}
		break;
	}
	pthread_mutex_unlock(&rc->lock);
	if (*cached)
		return *out ? 0 : err_nomem(err);

	char *tok = NULL;
	int64_t exp = 0;
	if (reg_token_fetch(r, &ch, scopes, &tok, &exp, err) < 0)
		return -1;
	size_t l = strlen(tok);
	*out = malloc(l + 8);
	if (*out)
		snprintf(*out, l + 8, "Bearer %s", tok);
	pthread_mutex_lock(&rc->lock);
	/* the same key, an empty slot, or the least recently used */
	reg_token *slot = NULL;
	for (size_t i = 0; i < REG_TOKENS_MAX; i++) {
		reg_token *t = &rc->tokens[i];
		if (t->token && !strcmp(t->key, key)) {
			slot = t;
			break;
		}
		if (!slot || (slot->token && (!t->token || t->used_ms < slot->used_ms)))
			slot = t;
	}
	if (slot->token) {
		explicit_bzero(slot->token, strlen(slot->token));
		free(slot->token);
	}
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	slot->token = tok;
	slot->expires_ms = exp;
	slot->used_ms = now;
	pthread_mutex_unlock(&rc->lock);
	return *out ? 0 : err_nomem(err);
}

/* ---------------------------------------------------------------- requests */

typedef struct reg_req {
	const char *method;
	const char *url;            /* absolute */
	const http_header *headers;
	size_t n_headers;
	const byte_source *body;
	int64_t body_len;
	int (*rewind)(void *ctx, cpod_err *err);
	void *rewind_ctx;
	const char *extra_scope;    /* "repository:OTHER:pull" for a mount */
} reg_req;

/* One request with authentication; a 401 gets one new try with a fresh
 * token (or with the challenge it brought).  Any other status is the
 * caller's. */
static int reg_do(reg_repo *r, const reg_req *q, http_response **resp, cpod_err *err)
{
	http_header h[12];

	*resp = NULL;
	if (q->n_headers + 1 > ARRAY_LEN(h))
		return err_set(err, CPOD_E_LIMIT, "too many headers");
	for (int attempt = 0;; attempt++) {
		char *auth;
		bool cached;
		int before;
		pthread_mutex_lock(&r->rc->lock);
		before = r->ep->auth;
		pthread_mutex_unlock(&r->rc->lock);
		if (reg_authorization(r, q->extra_scope, attempt > 0, &auth, &cached, err) < 0)
			return -1;
		memcpy(h, q->headers, q->n_headers * sizeof(h[0]));
		size_t nh = q->n_headers;
		if (auth) {
			h[nh].name = "Authorization";
			h[nh++].value = auth;
		}
		if (attempt > 0 && q->body && q->body_len != 0 &&
		    (!q->rewind || q->rewind(q->rewind_ctx, err) < 0)) {
			free(auth);
			return q->rewind ? -1 : err_set(err, CPOD_E_PERM, "%s %s: unauthorized",
						       q->method, q->url);
		}
		http_request req = {
			.method = q->method, .url = q->url, .headers = h, .n_headers = nh,
			.body = q->body, .body_len = q->body_len, .max_redirects = 10,
			.body_rewind = q->rewind, .body_rewind_ctx = q->rewind_ctx,
		};
		int hr = http_do(r->rc->http, &req, resp, err);
		if (auth) {
			explicit_bzero(auth, strlen(auth));
			free(auth);
		}
		if (hr < 0)
			return -1;
		if ((*resp)->status != 401)
			return 0;
		/* unauthorized: learn what it wants; one more try if that may help */
		reg_take_challenge(r->rc, r->ep, *resp);
		pthread_mutex_lock(&r->rc->lock);
		int now_kind = r->ep->auth;
		pthread_mutex_unlock(&r->rc->lock);
		bool retry = attempt == 0 && (cached || now_kind != before ||
					      (now_kind == REG_AUTH_BASIC && r->have_creds &&
					       before != REG_AUTH_BASIC));
		if (retry) {
			http_response_free(*resp);
			*resp = NULL;
			continue;
		}
		_cleanup_buf_ buf b = BUF_INIT;
		char msg[300];
		http_read_body(*resp, REG_ERRBODY_MAX, &b, NULL);
		reg_error_text(b.data ? b.data : "", b.len, msg, sizeof(msg));
		http_response_free(*resp);
		*resp = NULL;
		if (r->have_creds)
			return err_set(err, CPOD_E_PERM, "%s: unauthorized%s%s (the credentials "
				       "from %s are refused, or give no access to %s)", r->registry,
				       msg[0] ? ": " : "", msg,
				       r->creds.file[0] ? r->creds.file : "--creds",
				       r->name[0] ? r->name : "it");
		return err_set(err, CPOD_E_PERM, "%s: authentication required%s%s (run cpod-mini "
			       "login %s)", r->registry, msg[0] ? ": " : "", msg, r->registry);
	}
}

/* An error from a response the caller did not expect. */
static int reg_status_error(reg_repo *r, http_response *resp, const char *what, cpod_err *err)
{
	_cleanup_buf_ buf b = BUF_INIT;
	char msg[400];
	int code = CPOD_E_INVALID;

	http_read_body(resp, REG_ERRBODY_MAX, &b, NULL);
	reg_error_text(b.data ? b.data : "", b.len, msg, sizeof(msg));
	if (resp->status == 404)
		code = CPOD_E_NOTFOUND;
	else if (resp->status == 403)
		code = CPOD_E_PERM;
	else if (resp->status == 429)
		code = CPOD_E_LIMIT;
	return err_set(err, code, "%s: %s%s%d %s%s%s", r->registry, what, *what ? ": " : "",
		       resp->status, resp->reason, msg[0] ? ": " : "", msg);
}

static int reg_url(const reg_repo *r, char *out, size_t n, const char *fmt, ...)
	PRINTF_LIKE(4, 5);
static int reg_url(const reg_repo *r, char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int w = snprintf(out, n, "%s/v2/%s%s", r->ep->base, r->name, r->name[0] ? "/" : "");
	if (w < 0 || (size_t)w >= n)
		return -1;
	va_start(ap, fmt);
	int w2 = vsnprintf(out + w, n - (size_t)w, fmt, ap);
	va_end(ap);
	return w2 < 0 || (size_t)w2 >= n - (size_t)w ? -1 : 0;
}

/* ---------------------------------------------------------------- manifests */

static void reg_media_type(const char *ct, char *out, size_t n)
{
	size_t l = ct ? strcspn(ct, ";") : 0;
	while (l && (ct[l - 1] == ' ' || ct[l - 1] == '\t'))
		l--;
	snprintf(out, n, "%.*s", (int)l, ct ? ct : "");
}

CPOD_INTERNAL int reg_manifest_get(reg_repo *r, const char *reference, buf *out,
				   char *media_type, size_t mt_size, cpod_err *err)
{
	char url[1200];
	http_response *resp;
	const http_header h[] = { { "Accept", REG_ACCEPT_MANIFESTS } };

	if (reg_url(r, url, sizeof(url), "manifests/%s", reference) < 0)
		return err_set(err, CPOD_E_LIMIT, "reference too long");
	reg_req q = { .method = "GET", .url = url, .headers = h, .n_headers = 1 };
	if (reg_do(r, &q, &resp, err) < 0)
		return -1;
	if (resp->status == 404) {
		http_response_free(resp);
		return err_set(err, CPOD_E_NOTFOUND, "manifest unknown: %s/%s%s%s: not in the "
			       "registry", r->registry, r->name, strchr(reference, ':') ? "@" : ":",
			       reference);
	}
	if (resp->status != 200) {
		reg_status_error(r, resp, "manifest", err);
		http_response_free(resp);
		return -1;
	}
	if (resp->content_length > (int64_t)REG_MANIFEST_MAX) {
		http_response_free(resp);
		return err_set(err, CPOD_E_LIMIT, "%s: manifest larger than %u bytes", r->registry,
			       REG_MANIFEST_MAX);
	}
	int rc = http_read_body(resp, REG_MANIFEST_MAX, out, err);
	reg_media_type(http_header_get(resp, "Content-Type"), media_type, mt_size);
	http_response_free(resp);
	if (rc < 0)
		return err_prefix(err, "%s: manifest %s", r->registry, reference);
	return 0;
}

typedef struct reg_mem {
	const char *data;
	size_t len, pos;
} reg_mem;

static ssize_t reg_mem_read(void *ctx, void *data, size_t n, cpod_err *err)
{
	reg_mem *m = ctx;
	(void)err;
	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(data, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int reg_mem_rewind(void *ctx, cpod_err *err)
{
	(void)err;
	((reg_mem *)ctx)->pos = 0;
	return 0;
}

CPOD_INTERNAL int reg_manifest_put(reg_repo *r, const char *reference, const void *data,
				   size_t len, const char *media_type, cpod_err *err)
{
	char url[1200], digest[DIGEST_STR_LEN + 1];
	http_response *resp;
	reg_mem m = { data, len, 0 };
	byte_source src = { reg_mem_read, &m };
	const http_header h[] = { { "Content-Type", media_type } };

	digest_buf(data, len, digest);
	if (reg_url(r, url, sizeof(url), "manifests/%s", reference) < 0)
		return err_set(err, CPOD_E_LIMIT, "reference too long");
	reg_req q = { .method = "PUT", .url = url, .headers = h, .n_headers = 1, .body = &src,
		      .body_len = (int64_t)len, .rewind = reg_mem_rewind, .rewind_ctx = &m };
	if (reg_do(r, &q, &resp, err) < 0)
		return -1;
	int rc = 0;
	if (resp->status != 201 && resp->status != 200 && resp->status != 202) {
		rc = reg_status_error(r, resp, "manifest upload", err);
	} else {
		const char *got = http_header_get(resp, "Docker-Content-Digest");
		if (got && strcmp(got, digest) != 0)
			log_warn("%s: the registry stored the manifest as %.80s, not %s", r->registry,
				 got, digest);
	}
	http_response_free(resp);
	return rc;
}

/* ---------------------------------------------------------------- blobs */

struct reg_blob_reader {
	reg_repo *r;
	char digest[DIGEST_STR_LEN + 1];
	char url[1200];
	int64_t size;
	uint64_t off;               /* bytes handed out */
	uint64_t skip;              /* bytes to drop (a server that ignored Range) */
	uint64_t *progress;
	http_response *resp;
	int resumes;
};

static int reg_blob_request(reg_blob_reader *b, cpod_err *err)
{
	char range[64];
	http_header h[1];
	http_response *resp;
	reg_req q = { .method = "GET", .url = b->url };

	if (b->off > 0) {
		snprintf(range, sizeof(range), "bytes=%" PRIu64 "-", b->off);
		h[0].name = "Range";
		h[0].value = range;
		q.headers = h;
		q.n_headers = 1;
	}
	if (reg_do(b->r, &q, &resp, err) < 0)
		return -1;
	int st = resp->status;
	if (st == 404) {
		http_response_free(resp);
		return err_set(err, CPOD_E_NOTFOUND, "%s: blob %s is not in %s", b->r->registry,
			       b->digest, b->r->name);
	}
	if (b->off > 0 && st == 206) {
		int64_t s, e, t;
		const char *cr = http_header_get(resp, "Content-Range");
		if (!cr || reg_parse_content_range(cr, &s, &e, &t) < 0 || (uint64_t)s != b->off ||
		    (b->size >= 0 && t >= 0 && t != b->size) ||
		    (b->size >= 0 && e != b->size - 1)) {
			err_set(err, CPOD_E_INVALID, "%s: blob %s: resuming at byte %" PRIu64
				": the server answered with Content-Range \"%.80s\"",
				b->r->registry, b->digest, b->off, cr ? cr : "(none)");
			http_response_free(resp);
			return -1;
		}
		b->skip = 0;
	} else if (st == 200) {
		if (b->off > 0)
			log_debug("%s: blob %s: the server ignored Range; skipping %" PRIu64
				  " bytes", b->r->registry, b->digest, b->off);
		b->skip = b->off;
	} else {
		reg_status_error(b->r, resp, b->digest, err);
		http_response_free(resp);
		return -1;
	}
	b->resp = resp;
	return 0;
}

static bool reg_transient(const cpod_err *e)
{
	return e->code == CPOD_E_SYS;
}

static ssize_t reg_blob_read(void *ctx, void *data, size_t n, cpod_err *err)
{
	reg_blob_reader *b = ctx;
	char scratch[16384];

	for (;;) {
		cpod_err e;
		ssize_t k;
		if (!b->resp && reg_blob_request(b, &e) < 0) {
			k = -1;
		} else if (b->skip) {
			size_t want = b->skip < sizeof(scratch) ? (size_t)b->skip : sizeof(scratch);
			k = source_read(&b->resp->body, scratch, want, &e);
			if (k > 0) {
				b->skip -= (uint64_t)k;
				continue;
			}
		} else {
			k = source_read(&b->resp->body, data, n, &e);
			if (k > 0) {
				b->off += (uint64_t)k;
				if (b->progress)
					__atomic_store_n(b->progress, b->off, __ATOMIC_RELAXED);
				return k;
			}
		}
		if (k == 0) {
			if (b->skip == 0 && (b->size < 0 || b->off >= (uint64_t)b->size))
				return 0;
			e.code = CPOD_E_SYS;
			e.errno_ = 0;
			snprintf(e.msg, sizeof(e.msg), "the body ended after %" PRIu64 " of %" PRId64
				 " bytes", b->off, b->size);
		}
		if (!reg_transient(&e) || b->resumes >= REG_MAX_RESUMES) {
			if (err)
				*err = e;
			return err_prefix(err, "blob %s", b->digest);
		}
		http_response_free(b->resp);
		b->resp = NULL;
		b->resumes++;
		log_debug("%s: blob %s: %s; resuming at byte %" PRIu64 " (try %d)", b->r->registry,
			  b->digest, e.msg, b->off, b->resumes);
		struct timespec ts = { 0, 100000000L * b->resumes };
		nanosleep(&ts, NULL);
	}
}

CPOD_INTERNAL reg_blob_reader *reg_blob_open(reg_repo *r, const char *digest, int64_t size,
					     uint64_t *progress, cpod_err *err)
{
	reg_blob_reader *b = calloc(1, sizeof(*b));
	if (!b) {
		err_nomem(err);
		return NULL;
	}
	b->r = r;
	b->size = size;
	b->progress = progress;
	snprintf(b->digest, sizeof(b->digest), "%s", digest);
	if (!digest_valid(digest, NULL) ||
	    reg_url(r, b->url, sizeof(b->url), "blobs/%s", digest) < 0) {
		err_set(err, CPOD_E_INVALID, "bad digest \"%.80s\"", digest);
		free(b);
		return NULL;
	}
	/* the first request now, so "not found" or "unauthorized" come from
	 * here and not from inside the unpacker */
	if (reg_blob_request(b, err) < 0) {
		free(b);
		return NULL;
	}
	return b;
}

CPOD_INTERNAL byte_source reg_blob_source(reg_blob_reader *b)
{
	byte_source s = { reg_blob_read, b };
	return s;
}

CPOD_INTERNAL int reg_blob_resumes(const reg_blob_reader *b)
{
	return b->resumes;
}

CPOD_INTERNAL void reg_blob_close(reg_blob_reader *b)
{
	if (!b)
		return;
	http_response_free(b->resp);
	free(b);
}

CPOD_INTERNAL int reg_blob_get(reg_repo *r, const char *digest, size_t max, buf *out,
			       cpod_err *err)
{
	char got[DIGEST_STR_LEN + 1], chunk[16384];
	reg_blob_reader *b = reg_blob_open(r, digest, -1, NULL, err);
	if (!b)
		return -1;
	byte_source s = reg_blob_source(b);
	ssize_t k;
	while ((k = source_read(&s, chunk, sizeof(chunk), err)) > 0) {
		if (out->len + (size_t)k > max) {
			reg_blob_close(b);
			return err_set(err, CPOD_E_LIMIT, "%s: blob %s is larger than %zu bytes",
				       r->registry, digest, max);
		}
		if (buf_append(out, chunk, (size_t)k, err) < 0)
			break;
	}
	reg_blob_close(b);
	if (k < 0)
		return -1;
	digest_buf(out->data ? out->data : "", out->len, got);
	if (strcmp(got, digest) != 0)
		return err_set(err, CPOD_E_INVALID, "%s: blob %s: digest mismatch (the registry sent "
			       "%s)", r->registry, digest, got);
	return 0;
}

CPOD_INTERNAL int reg_blob_exists(reg_repo *r, const char *digest, cpod_err *err)
{
	char url[1200];
	http_response *resp;
	if (reg_url(r, url, sizeof(url), "blobs/%s", digest) < 0)
		return err_set(err, CPOD_E_LIMIT, "name too long");
	reg_req q = { .method = "HEAD", .url = url };
	if (reg_do(r, &q, &resp, err) < 0)
		return -1;
	int st = resp->status;
	http_response_free(resp);
	if (st == 200)
		return 1;
	if (st == 404)
		return 0;
	return err_set(err, CPOD_E_INVALID, "%s: HEAD blob %s: status %d", r->registry, digest,
		       st);
}

/* The absolute URL of an upload Location (relative to the response). */
static int reg_location(reg_repo *r, http_response *resp, char *out, size_t n, cpod_err *err)
{
	const char *loc = http_header_get(resp, "Location");
	http_url base, u;
	if (!loc || !*loc)
		return err_set(err, CPOD_E_INVALID, "%s: an upload answer without Location",
			       r->registry);
	if (http_url_parse(resp->url, NULL, &base, err) < 0 ||
	    http_url_parse(loc, &base, &u, err) < 0)
		return err_prefix(err, "%s: upload Location", r->registry);
	http_url_str(&u, out, n);
	return 0;
}

/* POST .../blobs/uploads/QUERY: 201 done (*location ""), 202 a session. */
static int reg_upload_start(reg_repo *r, const char *query, const char *extra_scope,
			    char *location, size_t n, cpod_err *err)
{
	char url[1600];
	http_response *resp;
	if (reg_url(r, url, sizeof(url), "blobs/uploads/%s", query) < 0)
		return err_set(err, CPOD_E_LIMIT, "name too long");
	reg_req q = { .method = "POST", .url = url, .extra_scope = extra_scope };
	if (reg_do(r, &q, &resp, err) < 0)
		return -1;
	int rc = resp->status;
	location[0] = '\0';
	if (rc == 202) {
		if (reg_location(r, resp, location, n, err) < 0)
			rc = -1;
	} else if (rc != 201) {
		rc = reg_status_error(r, resp, "starting an upload", err);
	}
	http_response_free(resp);
	return rc;
}

CPOD_INTERNAL int reg_blob_mount(reg_repo *r, const char *digest, const char *from,
				 char *session, size_t n, cpod_err *err)
{
	char q[1200], ed[128], ef[600], scope[700];
	if (reg_query_escape(digest, ed, sizeof(ed)) < 0 || reg_query_escape(from, ef, sizeof(ef)) < 0)
		return err_set(err, CPOD_E_LIMIT, "name too long");
	snprintf(q, sizeof(q), "?mount=%s&from=%s", ed, ef);
	snprintf(scope, sizeof(scope), "repository:%s:pull", from);
	int st = reg_upload_start(r, q, scope, session, n, err);
	if (st < 0)
		return -1;
	return st == 201 ? 1 : 0;
}

/* A window [start, start+len) of a file as a request body. */
typedef struct reg_fd_body {
	int fd;
	uint64_t start, len, pos;
	uint64_t *progress;
} reg_fd_body;

static ssize_t reg_fd_read(void *ctx, void *data, size_t n, cpod_err *err)
{
	reg_fd_body *b = ctx;
	if (n > b->len - b->pos)
		n = (size_t)(b->len - b->pos);
	if (n == 0)
		return 0;
	ssize_t k = pread(b->fd, data, n, (off_t)(b->start + b->pos));
	if (k < 0)
		return err_sys(err, "read the blob");
	if (k == 0)
		return err_set(err, CPOD_E_INVALID, "the blob file is shorter than its size");
	b->pos += (uint64_t)k;
	if (b->progress)
		__atomic_store_n(b->progress, b->start + b->pos, __ATOMIC_RELAXED);
	return k;
}

static int reg_fd_rewind(void *ctx, cpod_err *err)
{
	(void)err;
	((reg_fd_body *)ctx)->pos = 0;
	return 0;
}

/* URL with "digest=D" added to its query. */
static int reg_with_digest(const char *url, const char *digest, char *out, size_t n,
			   cpod_err *err)
{
	char ed[128];
	reg_query_escape(digest, ed, sizeof(ed));
	int w = snprintf(out, n, "%s%sdigest=%s", url, strchr(url, '?') ? "&" : "?", ed);
	if (w < 0 || (size_t)w >= n)
		return err_set(err, CPOD_E_LIMIT, "upload URL too long");
	return 0;
}

/* Where the registry's upload session stands: the bytes it has. */
static int64_t reg_upload_status(reg_repo *r, const char *location, cpod_err *err)
{
	http_response *resp;
	reg_req q = { .method = "GET", .url = location };
	if (reg_do(r, &q, &resp, err) < 0)
		return -1;
	int64_t have = -1;
	const char *rg = http_header_get(resp, "Range");
	if (resp->status == 204 || resp->status == 200)
		have = rg ? reg_parse_upload_range(rg) + 1 : 0;
	if (have < 0)
		reg_status_error(r, resp, "upload status", err);
	http_response_free(resp);
	return have;
}

CPOD_INTERNAL int reg_blob_push(reg_repo *r, int fd, int64_t size, const char *digest,
				const char *session, uint64_t *progress, cpod_err *err)
{
	char location[4500], url[4700];
	http_response *resp;
	const http_header ct = { "Content-Type", "application/octet-stream" };

	if (session && *session) {
		snprintf(location, sizeof(location), "%s", session);
	} else {
		int st = reg_upload_start(r, "", NULL, location, sizeof(location), err);
		if (st < 0)
			return err_prefix(err, "blob %s", digest);
		if (st == 201)
			return 0;
	}
	if (size <= REG_CHUNK_THRESHOLD) {
		/* monolithic: one PUT with the digest */
		reg_fd_body fb = { fd, 0, (uint64_t)size, 0, progress };
		byte_source src = { reg_fd_read, &fb };
		if (reg_with_digest(location, digest, url, sizeof(url), err) < 0)
			return -1;
		reg_req q = { .method = "PUT", .url = url, .headers = &ct, .n_headers = 1,
			      .body = &src, .body_len = size, .rewind = reg_fd_rewind,
			      .rewind_ctx = &fb };
		if (reg_do(r, &q, &resp, err) < 0)
			return err_prefix(err, "blob %s", digest);
	} else {
		int64_t off = 0;
		int retries = 0;
		while (off < size) {
			int64_t len = size - off < REG_CHUNK_SIZE ? size - off : REG_CHUNK_SIZE;
			char cr[64];
			snprintf(cr, sizeof(cr), "%" PRId64 "-%" PRId64, off, off + len - 1);
			const http_header h[] = { ct, { "Content-Range", cr } };
			reg_fd_body fb = { fd, (uint64_t)off, (uint64_t)len, 0, progress };
			byte_source src = { reg_fd_read, &fb };
			reg_req q = { .method = "PATCH", .url = location, .headers = h,
				      .n_headers = 2, .body = &src, .body_len = len,
				      .rewind = reg_fd_rewind, .rewind_ctx = &fb };
			cpod_err e;
			int st = -1;
			if (reg_do(r, &q, &resp, &e) == 0) {
				st = resp->status;
				if (st == 202) {
					const char *rg = http_header_get(resp, "Range");
					int64_t end = rg ? reg_parse_upload_range(rg) : off + len - 1;
					if (reg_location(r, resp, location, sizeof(location), err) < 0) {
						http_response_free(resp);
						return -1;
					}
					http_response_free(resp);
					if (end != off + len - 1)
						log_debug("%s: upload at %" PRId64 " instead of %" PRId64,
							  r->registry, end + 1, off + len);
					off = end + 1;
					continue;
				}
				if (st != 416) {
					reg_status_error(r, resp, "upload", err);
					http_response_free(resp);
					return err_prefix(err, "blob %s", digest);
				}
				http_response_free(resp);
			} else if (!reg_transient(&e)) {
				if (err)
					*err = e;
				return err_prefix(err, "blob %s", digest);
			}
			/* a dropped or refused chunk: go on from what the registry has */
			if (++retries > REG_MAX_RESUMES) {
				if (err)
					*err = e;
				return err_prefix(err, "blob %s: chunked upload", digest);
			}
			int64_t have = reg_upload_status(r, location, err);
			if (have < 0 || have > size)
				return err_prefix(err, "blob %s", digest);
			log_debug("%s: blob %s: resuming the upload at %" PRId64, r->registry, digest,
				  have);
			off = have;
		}
		if (reg_with_digest(location, digest, url, sizeof(url), err) < 0)
			return -1;
		reg_req q = { .method = "PUT", .url = url };
		if (reg_do(r, &q, &resp, err) < 0)
			return err_prefix(err, "blob %s", digest);
	}
	int rc = 0;
	if (resp->status != 201 && resp->status != 204 && resp->status != 200) {
		reg_status_error(r, resp, "upload", err);
		rc = err_prefix(err, "blob %s", digest);
	} else {
		const char *got = http_header_get(resp, "Docker-Content-Digest");
		if (got && strcmp(got, digest) != 0)
			rc = err_set(err, CPOD_E_INVALID, "%s: blob %s was stored as %.80s",
				     r->registry, digest, got);
	}
	http_response_free(resp);
	return rc;
}

CPOD_INTERNAL int reg_login_check(reg_client *rc, const char *registry, bool insecure,
				  const char *user, const char *password, cpod_err *err)
{
	reg_repo r;
	char url[600];
	http_response *resp;

	memset(&r, 0, sizeof(r));
	r.rc = rc;
	snprintf(r.registry, sizeof(r.registry), "%s", registry);
	snprintf(r.creds.user, sizeof(r.creds.user), "%s", user);
	snprintf(r.creds.password, sizeof(r.creds.password), "%s", password);
	snprintf(r.creds.file, sizeof(r.creds.file), "the login");
	r.have_creds = true;
	r.ep = reg_endpoint_get(rc, registry, insecure, err);
	if (!r.ep) {
		reg_repo_close(&r);
		return -1;
	}
	pthread_mutex_lock(&rc->lock);
	if (r.ep->auth == REG_AUTH_NONE)
		r.ep->auth = REG_AUTH_BASIC;   /* send them: the registry may check */
	pthread_mutex_unlock(&rc->lock);
	snprintf(url, sizeof(url), "%s/v2/", r.ep->base);
	reg_req q = { .method = "GET", .url = url };
	int x = reg_do(&r, &q, &resp, err);
	reg_repo_close(&r);
	if (x < 0) {
		if (err && err->code == CPOD_E_PERM)
			return err_set(err, CPOD_E_PERM, "authenticating to %s: invalid user name "
				       "or password", registry);
		return -1;
	}
	int st = resp->status;
	http_response_free(resp);
	if (st != 200)
		return err_set(err, CPOD_E_INVALID, "authenticating to %s: status %d", registry, st);
	return 0;
}

/* ---------------------------------------------------------------- parallel */

typedef struct reg_par {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t next, n, finished;
	int (*job)(void *ctx, size_t i, cpod_err *err);
	void *ctx;
	bool failed;
	cpod_err err;
} reg_par;

static void *reg_par_thread(void *arg)
{
	reg_par *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		if (p->failed || p->next >= p->n) {
			p->finished++;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		size_t i = p->next++;
		pthread_mutex_unlock(&p->mu);
		cpod_err e;
		if (p->job(p->ctx, i, &e) < 0) {
			pthread_mutex_lock(&p->mu);
			if (!p->failed) {
				p->failed = true;
				p->err = e;
			}
			pthread_mutex_unlock(&p->mu);
		}
	}
}

CPOD_INTERNAL int reg_parallel(size_t n, int max_threads,
			       int (*job)(void *ctx, size_t i, cpod_err *err), void *ctx,
			       void (*tick)(void *ctx), int tick_ms, cpod_err *err)
{
	reg_par p = { .n = n, .job = job, .ctx = ctx };
	pthread_t th[16];
	size_t nt = 0, want = max_threads < 1 ? 1 : (size_t)max_threads;

	if (want > ARRAY_LEN(th))
		want = ARRAY_LEN(th);
	if (want > n)
		want = n;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	for (; nt < want; nt++)
		if (pthread_create(&th[nt], NULL, reg_par_thread, &p) != 0)
			break;
	if (nt == 0 && n > 0) {
		/* no thread to be had: one at a time, here */
		reg_par_thread(&p);
	} else {
		pthread_mutex_lock(&p.mu);
		while (p.finished < nt) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)(tick_ms > 0 ? tick_ms : 200) * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&p.cv, &p.mu, &ts);
			if (tick && p.finished < nt) {
				pthread_mutex_unlock(&p.mu);
				tick(ctx);
				pthread_mutex_lock(&p.mu);
			}
		}
		pthread_mutex_unlock(&p.mu);
		for (size_t i = 0; i < nt; i++)
			pthread_join(th[i], NULL);
	}
	if (tick)
		tick(ctx);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	if (p.failed) {
		if (err)
			*err = p.err;
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- progress */

static void reg_human(double v, char *out, size_t n)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int k = 0;
	while (v >= 1024 && k < 4) {
		v /= 1024;
		k++;
	}
	if (k == 0)
		snprintf(out, n, "%.0f %s", v, u[k]);
	else
		snprintf(out, n, "%.1f %s", v, u[k]);
}

CPOD_INTERNAL void reg_progress_set(reg_progress_item *it, int state)
{
	if (state == REG_ITEM_ACTIVE)
		it->started_ms = proc_now_ms();
	__atomic_store_n(&it->state, state, __ATOMIC_RELEASE);
}

CPOD_INTERNAL void reg_progress_draw(reg_progress *p)
{
	_cleanup_buf_ buf b = BUF_INIT;
	int64_t now = proc_now_ms();

	if (p->fd < 0)
		return;
	if (p->lines > 0)
		buf_printf(&b, NULL, "\033[%dA", p->lines);
	for (size_t i = 0; i < p->n; i++) {
		reg_progress_item *it = &p->items[i];
		int st = __atomic_load_n(&it->state, __ATOMIC_ACQUIRE);
		uint64_t done = __atomic_load_n(&it->done, __ATOMIC_RELAXED);
		char d[32], t[32], rate[32] = "";
		reg_human((double)done, d, sizeof(d));
		reg_human((double)(it->total > 0 ? it->total : 0), t, sizeof(t));
		buf_printf(&b, NULL, "\r\033[K%s ", it->label);
		if (st == REG_ITEM_WAITING) {
			buf_puts(&b, "waiting", NULL);
		} else if (st == REG_ITEM_SKIPPED) {
			buf_puts(&b, it->note[0] ? it->note : "skipped", NULL);
		} else if (st == REG_ITEM_FAILED) {
			buf_puts(&b, "failed", NULL);
		} else {
			/* the rate of the transfer, frozen once every byte is in
			 * (unpacking may go on a little longer) */
			int64_t ms = it->bytes_ms ? it->bytes_ms : now - it->started_ms;
			if (!it->bytes_ms && it->total > 0 && done >= (uint64_t)it->total)
				it->bytes_ms = ms > 0 ? ms : 1;
			if (it->started_ms > 0 && ms > 0)
				reg_human((double)done * 1000.0 / (double)ms, rate, sizeof(rate));
			int bar = it->total > 0 ? (int)(done * 20 / (uint64_t)it->total) : 0;
			if (bar > 20)
				bar = 20;
			buf_printf(&b, NULL, "[%.*s%s%*s] %s / %s", bar, "====================",
				   bar < 20 ? ">" : "", bar < 20 ? 19 - bar : 0, "", d, t);
			if (st == REG_ITEM_DONE)
				buf_printf(&b, NULL, " %s", it->note[0] ? it->note : "done");
			if (rate[0])
				buf_printf(&b, NULL, st == REG_ITEM_DONE ? " (%s/s)" : " %s/s", rate);
		}
		buf_putc(&b, '\n', NULL);
	}
	p->lines = (int)p->n;
	if (b.data)
		write_all(p->fd, b.data, b.len);
}

CPOD_INTERNAL void reg_progress_say(const reg_progress *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (p->fd < 0)
		return;
	va_start(ap, fmt);
	int w = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	if ((size_t)w > sizeof(line) - 2)
		w = (int)sizeof(line) - 2;
	line[w++] = '\n';
	write_all(p->fd, line, (size_t)w);
}
