/*
 * registry.h — the client side of the OCI distribution protocol (the
 * Docker registry API v2): endpoints and their scheme, authentication,
 * manifests, blobs downloaded with resume, uploads and cross-repository
 * mounts; and the two things pull and push share around it, a bounded
 * pool of transfer threads and a progress display.
 *
 * Endpoints: a registry is reached over https; an insecure one (from
 * registries.conf, or --tls-verify=false) over https without verification
 * first, then plain http, as podman does.  docker.io is served by
 * registry-1.docker.io.  Each registry's certs.d directory adds CAs and a
 * client certificate (certsd.h).
 *
 * Authentication: GET /v2/ tells what the registry wants.  Basic sends the
 * credentials with every request; Bearer (`WWW-Authenticate: Bearer
 * realm=...,service=...,scope=...`) gets a token from the realm for the
 * repository's scope (with the credentials, when there are some) and keeps
 * it per (registry, scope) until it expires; a 401 on a cached token gets
 * a new one once.  Credentials come from --creds or the auth files
 * (auth.h), for the repository's most specific key.
 *
 * A client is shared by the transfer threads (its connection pool, token
 * cache and endpoint table are locked); a blob reader belongs to the
 * thread reading it.
 */
#ifndef CPOD_NET_REGISTRY_H
#define CPOD_NET_REGISTRY_H
#include "http.h"
#include "auth.h"
#include "certsd.h"
#include "../base/digest.h"

#define REG_MANIFEST_MAX (4u << 20)
#define REG_CHUNK_THRESHOLD ((int64_t)32 << 20)   /* above: chunked upload */
#define REG_CHUNK_SIZE ((int64_t)16 << 20)
#define REG_MAX_RESUMES 5

#define REG_ACCEPT_MANIFESTS                                                    \
	"application/vnd.oci.image.manifest.v1+json, "                          \
	"application/vnd.oci.image.index.v1+json, "                             \
	"application/vnd.docker.distribution.manifest.v2+json, "                \
	"application/vnd.docker.distribution.manifest.list.v2+json"

typedef struct reg_client_opts {
	const char *authfile;      /* --authfile, or NULL */
	const char *creds;         /* --creds "user[:password]", or NULL */
	const char *cert_dir;      /* --cert-dir, or NULL */
	int tls_verify;            /* -1: as each registry's entry says, 0: off, 1: on */
	int connect_timeout_ms;    /* 0: http's default */
	int io_timeout_ms;
} reg_client_opts;

typedef struct reg_client reg_client;
typedef struct reg_endpoint reg_endpoint;

CPOD_INTERNAL reg_client *reg_client_new(const reg_client_opts *o, cpod_err *err);
CPOD_INTERNAL void reg_client_free(reg_client *rc);

/* A repository of a registry, ready for requests. */
typedef struct reg_repo {
	reg_client *rc;
	reg_endpoint *ep;
	char registry[300];        /* "host[:port]" as references spell it */
	char name[512];            /* "library/busybox"; "" for the registry itself */
	bool push;                 /* scope pull,push */
	bool have_creds;
	auth_creds creds;
} reg_repo;

/* Opens registry/name: the registry is pinged once per client (scheme and
 * what it wants for authentication), credentials are looked up.
 * insecure: the registry's entry allows http and unverified TLS. */
CPOD_INTERNAL int reg_repo_open(reg_client *rc, const char *registry, const char *name,
				bool insecure, bool push, reg_repo *out, cpod_err *err);
CPOD_INTERNAL void reg_repo_close(reg_repo *r);
/* "https://host:port" the registry answered on. */
CPOD_INTERNAL const char *reg_repo_base(const reg_repo *r);

/* GET /v2/NAME/manifests/REFERENCE (a tag or a digest): the bytes and the
 * media type the registry gave (Content-Type).  CPOD_E_NOTFOUND when the
 * registry does not know it. */
CPOD_INTERNAL int reg_manifest_get(reg_repo *r, const char *reference, buf *out,
				   char *media_type, size_t mt_size, cpod_err *err);
/* PUT /v2/NAME/manifests/REFERENCE; digest_out (may be NULL) gets the
 * digest of data. */
CPOD_INTERNAL int reg_manifest_put(reg_repo *r, const char *reference, const void *data,
				   size_t len, const char *media_type, cpod_err *err);

/* A blob being read: the connection dropping mid-body is resumed (up to
 * REG_MAX_RESUMES times) with `Range: bytes=N-`, checked against the
 * 206's Content-Range; a server that ignores Range sends it all again and
 * the bytes already had are skipped. */
typedef struct reg_blob_reader reg_blob_reader;
/* size: the descriptor's (-1: unknown).  progress: where the byte count
 * read so far is kept (may be NULL). */
CPOD_INTERNAL reg_blob_reader *reg_blob_open(reg_repo *r, const char *digest, int64_t size,
					     uint64_t *progress, cpod_err *err);
CPOD_INTERNAL byte_source reg_blob_source(reg_blob_reader *b);
CPOD_INTERNAL int reg_blob_resumes(const reg_blob_reader *b);
CPOD_INTERNAL void reg_blob_close(reg_blob_reader *b);
/* A small blob (a config) whole, its digest verified. */
CPOD_INTERNAL int reg_blob_get(reg_repo *r, const char *digest, size_t max, buf *out,
			       cpod_err *err);

/* HEAD /v2/NAME/blobs/DIGEST: 1 there, 0 not. */
CPOD_INTERNAL int reg_blob_exists(reg_repo *r, const char *digest, cpod_err *err);
/* POST ?mount=DIGEST&from=FROM: 1 when mounted; 0 when the registry
 * started an upload instead (its URL in session). */
CPOD_INTERNAL int reg_blob_mount(reg_repo *r, const char *digest, const char *from,
				 char *session, size_t n, cpod_err *err);
/* Uploads size bytes of fd (from offset 0) as digest: one PUT, or PATCH
 * chunks above REG_CHUNK_THRESHOLD (a dropped chunk is resumed from what
 * the registry says it has).  session: an upload already started (from
 * reg_blob_mount), or NULL/"".  progress: bytes sent so far. */
CPOD_INTERNAL int reg_blob_push(reg_repo *r, int fd, int64_t size, const char *digest,
				const char *session, uint64_t *progress, cpod_err *err);

/* Checks user/password against the registry (its /v2/, through its token
 * server when it has one).  CPOD_E_PERM when refused. */
CPOD_INTERNAL int reg_login_check(reg_client *rc, const char *registry, bool insecure,
				  const char *user, const char *password, cpod_err *err);

/* ---- the parsers, for the tests and the fuzzers */

typedef struct reg_challenge {
	char scheme[16];           /* "Bearer", "Basic", ... as sent */
	char realm[1024];
	char service[256];
	char scope[1024];
	char error[64];
} reg_challenge;

/* A WWW-Authenticate value: up to max challenges into out (*n of them).
 * Unknown parameters and token68 forms are skipped; an over-long value or
 * broken syntax is an error. */
CPOD_INTERNAL int reg_parse_www_authenticate(const char *value, reg_challenge *out, size_t max,
					     size_t *n, cpod_err *err);
/* "bytes START-END/TOTAL" (TOTAL may be "*": -1).  -1 when malformed. */
CPOD_INTERNAL int reg_parse_content_range(const char *v, int64_t *start, int64_t *end,
					  int64_t *total);
/* An upload's "Range: 0-END" (also "bytes=0-END"): END, -1 when malformed. */
CPOD_INTERNAL int64_t reg_parse_upload_range(const char *v);
/* A registry's error body ({"errors":[{"code","message"}]}) as text. */
CPOD_INTERNAL void reg_error_text(const char *body, size_t len, char *out, size_t n);
/* Percent-encodes s for a query value. */
CPOD_INTERNAL int reg_query_escape(const char *s, char *out, size_t n);

/* ---- transfers in parallel */

/* Runs job(ctx, i) for i in [0, n) on up to max_threads threads, calling
 * tick(ctx) about every tick_ms while they run (and once at the end).  The
 * first failure stops handing out jobs; its error is returned. */
CPOD_INTERNAL int reg_parallel(size_t n, int max_threads,
			       int (*job)(void *ctx, size_t i, cpod_err *err), void *ctx,
			       void (*tick)(void *ctx), int tick_ms, cpod_err *err);

enum reg_item_state {
	REG_ITEM_WAITING, REG_ITEM_ACTIVE, REG_ITEM_DONE, REG_ITEM_SKIPPED, REG_ITEM_FAILED,
};

typedef struct reg_progress_item {
	char label[96];            /* "Copying blob 1a2b3c4d5e6f" */
	char note[48];             /* shown when done: "already exists", "mounted" */
	int64_t total;             /* bytes, -1 unknown */
	uint64_t done;             /* atomically updated */
	int state;                 /* enum reg_item_state, atomically updated */
	int64_t started_ms;
	int64_t bytes_ms;          /* how long the bytes took, once all are in */
} reg_progress_item;

/* One line per item on a terminal, redrawn in place. */
typedef struct reg_progress {
	int fd;                    /* -1: no display */
	reg_progress_item *items;
	size_t n;
	int lines;                 /* drawn last time */
} reg_progress;

CPOD_INTERNAL void reg_progress_draw(reg_progress *p);
CPOD_INTERNAL void reg_progress_set(reg_progress_item *it, int state);
/* Prints a line above the items (on a terminal only). */
CPOD_INTERNAL void reg_progress_say(const reg_progress *p, const char *fmt, ...) PRINTF_LIKE(2, 3);

#endif
