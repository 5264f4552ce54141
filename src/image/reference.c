/*
 * reference.c — parsing and normalising image references (see reference.h).
 */
#include "reference.h"

static bool ref_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool ref_component_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !ref_alnum(s[0]) || !ref_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (ref_alnum(s[i])) {
			i++;
			continue;
		}
		size_t sep = i;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return false;
		if (i == sep || i >= n || !ref_alnum(s[i]))
			return false;
	}
	return true;
}

static bool ref_domain_ok(const char *s, size_t n)
{
	size_t colon = n;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ':')
			colon = i;
	if (colon == 0 || n > 255)
		return false;
	for (size_t i = 0; i < colon; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '[' || c == ']'))
			return false;
	}
	if (colon < n) {
		if (colon + 1 == n || n - colon - 1 > 5)
			return false;
		for (size_t i = colon + 1; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return false;
	}
	return true;
}

static bool ref_tag_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
		if (!word && (i == 0 || (c != '.' && c != '-')))
			return false;
	}
	return true;
}

static int ref_parse_with(const char *s, image_ref *r, const char *default_domain, cpod_err *err)
{
	char work[1024];
	size_t len = strlen(s);

	memset(r, 0, sizeof(*r));
	if (len == 0)
		return err_set(err, CPOD_E_INVALID, "empty image reference");
	if (len >= sizeof(work))
		return err_set(err, CPOD_E_INVALID, "image reference too long");
	memcpy(work, s, len + 1);

	char *at = strchr(work, '@');
	if (at) {
		*at = '\0';
		if (!digest_valid(at + 1, NULL))
			return err_set(err, CPOD_E_INVALID, "invalid reference \"%s\": bad digest \"%s\"", s,
				       at + 1);
		snprintf(r->digest, sizeof(r->digest), "%s", at + 1);
	}
	/* the tag is after the last ':' that follows the last '/' */
	char *slash = strrchr(work, '/');
	char *colon = strrchr(slash ? slash : work, ':');
	if (colon) {
		*colon = '\0';
		if (!ref_tag_ok(colon + 1))
			return err_set(err, CPOD_E_INVALID, "invalid reference \"%s\": bad tag \"%s\"", s,
				       colon + 1);
		snprintf(r->tag, sizeof(r->tag), "%s", colon + 1);
	}
	/* a first component with a dot or a port, or "localhost", is a domain */
	char *first_end = strchr(work, '/');
	const char *path = work;
	if (first_end) {
		size_t flen = (size_t)(first_end - work);
		bool is_domain = memchr(work, '.', flen) || memchr(work, ':', flen) ||
				 (flen == 9 && memcmp(work, "localhost", 9) == 0) ||
				 memchr(work, '[', flen);
		for (size_t i = 0; is_domain == false && i < flen; i++)
			if (work[i] >= 'A' && work[i] <= 'Z')
				is_domain = true;
		if (is_domain) {
			if (!ref_domain_ok(work, flen))
				return err_set(err, CPOD_E_INVALID, "invalid reference \"%s\": bad registry \"%.*s\"",
					       s, (int)flen, work);
			memcpy(r->domain, work, flen);
			r->domain[flen] = '\0';
			path = first_end + 1;
		}
	}
	if (!r->domain[0]) {
		r->short_name = true;
		snprintf(r->domain, sizeof(r->domain), "%s", default_domain);
	}
	/* validate the path, component by component */
	if (!*path)
		return err_set(err, CPOD_E_INVALID, "invalid reference \"%s\": no repository name", s);
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if (!ref_component_ok(p, n))
			return err_set(err, CPOD_E_INVALID,
				       "invalid reference \"%s\": \"%.*s\" (repository names are lowercase letters, digits and . _ -)",
				       s, (int)n, p);
		p += n;
		if (*p == '/') {
			p++;
			if (!*p)
				return err_set(err, CPOD_E_INVALID, "invalid reference \"%s\": trailing /", s);
		}
	}
	bool official = strcmp(r->domain, REF_DOCKER_DOMAIN) == 0 && !strchr(path, '/');
	int w = snprintf(r->path, sizeof(r->path), "%s%s", official ? "library/" : "", path);
	if (w < 0 || (size_t)w >= sizeof(r->path))
		return err_set(err, CPOD_E_INVALID, "invalid reference \"%s\": name too long", s);
	if (!r->tag[0] && !r->digest[0])
		strcpy(r->tag, "latest");
	return 0;
}

CPOD_INTERNAL int ref_parse(const char *s, image_ref *r, cpod_err *err)
{
	/* docker.io/busybox is docker.io/library/busybox; index.docker.io too */
	if (strncmp(s, "index.docker.io/", 16) == 0) {
		int rc = ref_parse_with(s + 16, r, REF_DOCKER_DOMAIN, err);
		r->short_name = false;
		return rc;
	}
	return ref_parse_with(s, r, REF_DOCKER_DOMAIN, err);
}

CPOD_INTERNAL int ref_parse_local(const char *s, image_ref *r, cpod_err *err)
{
	return ref_parse_with(s, r, "localhost", err);
}

CPOD_INTERNAL void ref_repository(const image_ref *r, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", r->domain, r->path);
}

CPOD_INTERNAL void ref_name(const image_ref *r, char *out, size_t n)
{
	if (r->tag[0])
		snprintf(out, n, "%s/%s:%s", r->domain, r->path, r->tag);
	else
		snprintf(out, n, "%s/%s@%s", r->domain, r->path, r->digest);
}

CPOD_INTERNAL bool ref_looks_like_id(const char *s)
{
	size_t n = strlen(s);
	if (strncmp(s, "sha256:", 7) == 0) {
		s += 7;
		n -= 7;
	}
	if (n < 3 || n > DIGEST_HEX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}
