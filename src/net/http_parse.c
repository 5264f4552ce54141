/*
 * http_parse.c — the parts of HTTP/1.1 that read what a server sends: the
 * response head (status line and header fields) and the chunked transfer
 * coding (see http.h).  Both work on memory alone, so the fuzzer drives
 * them exactly as the client does.
 *
 * The input is hostile.  Sizes are bounded (head, header count, chunk-size
 * lines, trailers), numbers are checked for overflow, and whatever could
 * make this parser frame a message differently from a proxy in front of
 * it (folded lines, conflicting lengths, unknown transfer codings) is an
 * error rather than a guess.
 */
#include "http.h"

static bool hp_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values and reasons: visible characters, SP, HTAB and obs-text. */
static bool hp_is_vchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool hp_ieq(const char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && strncasecmp(a, b, alen) == 0;
}

/* The line at data[off..len): *eol gets the end of its content (before CR
 * LF or LF), the return the offset after it; 0 when no LF yet, -1 for a
 * bare CR. */
static ssize_t hp_line(const char *data, size_t len, size_t off, size_t *eol)
{
	const char *lf = memchr(data + off, '\n', len - off);
	if (!lf)
		return 0;
	size_t e = (size_t)(lf - data);
	*eol = e > off && data[e - 1] == '\r' ? e - 1 : e;
	if (memchr(data + off, '\r', *eol - off))
		return -1;
	return (ssize_t)(e + 1);
}

/* A Content-Length value: one or more equal decimal numbers separated by
 * commas (RFC 9110 8.6 lets a recipient accept "42, 42"). */
static int hp_content_length(const char *v, int64_t *out, cpod_err *err)
{
	int64_t first = -1;
	const char *p = v;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return err_set(err, CPOD_E_INVALID, "bad Content-Length \"%.40s\"", v);
		int64_t n = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (n > (INT64_MAX - 9) / 10)
				return err_set(err, CPOD_E_INVALID, "Content-Length too large");
			n = n * 10 + (*p - '0');
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (first >= 0 && n != first)
			return err_set(err, CPOD_E_INVALID, "Content-Length values differ");
		first = n;
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return err_set(err, CPOD_E_INVALID, "bad Content-Length \"%.40s\"", v);
	}
	*out = first;
	return 0;
}

/* Whether the comma-separated list v holds token (case-insensitive). */
static bool hp_list_has(const char *v, const char *token)
{
	for (const char *p = v; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		size_t l = strcspn(p, ", \t");
		if (l && hp_ieq(p, l, token))
			return true;
		p += l;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	return false;
}

/* The status line: HTTP/1.x SP 3DIGIT [SP reason]. */
static int hp_status(const char *s, size_t len, http_response *r, cpod_err *err)
{
	if (len < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') ||
	    s[8] != ' ')
		return err_set(err, CPOD_E_INVALID, "bad status line \"%.*s\"",
			       (int)(len < 60 ? len : 60), s);
	r->version = s[7] == '1' ? 11 : 10;
	if (s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
	    (len > 12 && s[12] != ' '))
		return err_set(err, CPOD_E_INVALID, "bad status code in \"%.*s\"",
			       (int)(len < 60 ? len : 60), s);
	r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	size_t rl = len > 13 ? len - 13 : 0, keep = 0;
	for (size_t i = 0; i < rl; i++) {
		unsigned char c = (unsigned char)s[13 + i];
		if (!hp_is_vchar(c))
			return err_set(err, CPOD_E_INVALID,
				       "control character in the reason phrase");
		if (keep < sizeof(r->reason) - 1)
			r->reason[keep++] = (char)c;
	}
	r->reason[keep] = '\0';
	return 0;
}

CPOD_INTERNAL ssize_t http_parse_head(const char *data, size_t len, http_response *r,
				      cpod_err *err)
{
	size_t scan = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	size_t off, eol, nh = 0, end = 0;
	ssize_t next;

	/* first the extent of the head: up to an empty line */
	for (off = 0;; off = (size_t)next) {
		next = hp_line(data, scan, off, &eol);
		if (next < 0)
			return err_set(err, CPOD_E_INVALID, "bare CR in the response head");
		if (next == 0) {
			if (len >= HTTP_MAX_HEAD)
				return err_set(err, CPOD_E_LIMIT, "response head larger than "
					       "%d KiB", HTTP_MAX_HEAD >> 10);
			return 0;
		}
		if (eol == off && off > 0) {
			end = (size_t)next;
			break;
		}
		if (off > 0 && ++nh > HTTP_MAX_HEADERS)
			return err_set(err, CPOD_E_LIMIT, "more than %d header fields",
				       HTTP_MAX_HEADERS);
	}

	/* one block: the header array, then a copy of the head whose lines
	 * are cut into NUL-terminated names and values */
	size_t arr = nh * sizeof(http_header);
	char *block = malloc(arr + end + 1);
	if (!block)
		return err_nomem(err);
	http_header *h = (http_header *)(void *)block;
	char *text = block + arr;
	memcpy(text, data, end);
	text[end] = '\0';

	memset(r->reason, 0, sizeof(r->reason));
	next = hp_line(text, end, 0, &eol);
	if (hp_status(text, eol, r, err) < 0)
		goto fail;
	for (size_t i = 0; i < nh; i++) {
		off = (size_t)next;
		next = hp_line(text, end, off, &eol);
		char *line = text + off;
		size_t ll = eol - off;
		if (line[0] == ' ' || line[0] == '\t') {
			err_set(err, CPOD_E_INVALID, "folded header line (obs-fold)");
			goto fail;
		}
		size_t nl = 0;
		while (nl < ll && hp_is_tchar((unsigned char)line[nl]))
			nl++;
		if (nl == 0 || nl == ll || line[nl] != ':') {
			err_set(err, CPOD_E_INVALID, "bad header line \"%.*s\"",
				(int)(ll < 60 ? ll : 60), line);
			goto fail;
		}
		size_t v = nl + 1, ve = ll;
		while (v < ve && (line[v] == ' ' || line[v] == '\t'))
			v++;
		while (ve > v && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
			ve--;
		for (size_t k = v; k < ve; k++) {
			if (!hp_is_vchar((unsigned char)line[k])) {
				err_set(err, CPOD_E_INVALID, "control character in header %.*s",
					(int)nl, line);
				goto fail;
			}
		}
		line[nl] = '\0';
		line[ve] = '\0';
		h[i].name = line;
		h[i].value = line + v;
	}

	/* framing: Transfer-Encoding beats Content-Length (RFC 9112 6.3) */
	int64_t cl = -1;
	bool have_te = false, close = false, keep = false;
	for (size_t i = 0; i < nh; i++) {
		const char *name = h[i].name, *value = h[i].value;
		if (!strcasecmp(name, "Content-Length")) {
			int64_t v = -1;
			if (hp_content_length(value, &v, err) < 0)
				goto fail;
			if (cl >= 0 && v != cl) {
				err_set(err, CPOD_E_INVALID, "Content-Length values differ");
				goto fail;
			}
			cl = v;
		} else if (!strcasecmp(name, "Transfer-Encoding")) {
			if (have_te || !hp_ieq(value, strlen(value), "chunked")) {
				err_set(err, CPOD_E_INVALID,
					"unsupported Transfer-Encoding \"%.40s\"", value);
				goto fail;
			}
			have_te = true;
		} else if (!strcasecmp(name, "Connection")) {
			close |= hp_list_has(value, "close");
			keep |= hp_list_has(value, "keep-alive");
		}
	}
	r->chunked = have_te;
	r->content_length = have_te ? -1 : cl;
	/* with both, a proxy may have framed it the other way: do not reuse */
	r->keep_alive = !close && (r->version == 11 || keep) && !(have_te && cl >= 0);
	free(r->headers);
	r->headers = h;
	r->n_headers = nh;
	return (ssize_t)end;
fail:
	free(block);
	return -1;
}

/* ------------------------------------------------------------ chunked */

enum {
	HC_SIZE,        /* hex digits of the chunk size */
	HC_SIZE_WS,     /* whitespace after them (BWS before an extension) */
	HC_EXT,         /* ";name=value" up to the end of the line */
	HC_SIZE_LF,     /* CR seen, LF next */
	HC_DATA,
	HC_DATA_CR,     /* the CRLF after the data */
	HC_DATA_LF,
	HC_TRAILER,     /* at the start of a trailer line (or the final empty one) */
	HC_TRAILER_LINE,
	HC_TRAILER_LF,
	HC_END_LF,      /* CR of the final empty line seen */
	HC_DONE,
};

static int hc_bad(cpod_err *err, const char *what)
{
	return err_set(err, CPOD_E_INVALID, "chunked body: %s", what);
}

static int hc_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The end of a chunk-size line. */
static void hc_size_done(http_chunked *d)
{
	d->state = d->left ? HC_DATA : HC_TRAILER;
	d->line = 0;
}

CPOD_INTERNAL int http_chunked_feed(http_chunked *d, const char *in, size_t inlen, size_t *used,
				    char *out, size_t outcap, size_t *produced, cpod_err *err)
{
	size_t i = 0, o = 0;

	*used = *produced = 0;
	while (i < inlen && d->state != HC_DONE) {
		if (d->state == HC_DATA) {
			size_t n = inlen - i;
			if (n > outcap - o)
				n = outcap - o;
			if (n > d->left)
				n = (size_t)d->left;
			if (n == 0)
				break;  /* out is full */
			memcpy(out + o, in + i, n);
			i += n;
			o += n;
			d->left -= n;
			if (d->left == 0)
				d->state = HC_DATA_CR;
			continue;
		}
		char c = in[i++];
		if (d->state <= HC_SIZE_LF || d->state >= HC_TRAILER) {
			if (++d->line > HTTP_MAX_CHUNK_LINE && d->state < HC_TRAILER)
				return hc_bad(err, "chunk-size line too long");
			if (d->state >= HC_TRAILER && ++d->trailer > HTTP_MAX_TRAILER)
				return hc_bad(err, "trailer too large");
		}
		switch (d->state) {
		case HC_SIZE: {
			int v = hc_hex(c);
			if (v >= 0) {
				if (d->left >> 59)
					return hc_bad(err, "chunk size too large");
				d->left = d->left << 4 | (uint64_t)v;
			} else if (d->line == 1) {
				return hc_bad(err, "no chunk size");
			} else if (c == ';') {
				d->state = HC_EXT;
			} else if (c == ' ' || c == '\t') {
				d->state = HC_SIZE_WS;
			} else if (c == '\r') {
				d->state = HC_SIZE_LF;
			} else if (c == '\n') {
				hc_size_done(d);
			} else {
				return hc_bad(err, "bad chunk size");
			}
			break;
		}
		case HC_SIZE_WS:
			if (c == ';')
				d->state = HC_EXT;
			else if (c == '\r')
				d->state = HC_SIZE_LF;
			else if (c == '\n')
				hc_size_done(d);
			else if (c != ' ' && c != '\t')
				return hc_bad(err, "bad chunk size");
			break;
		case HC_EXT:
			if (c == '\r')
				d->state = HC_SIZE_LF;
			else if (c == '\n')
				hc_size_done(d);
			else if (!hp_is_vchar((unsigned char)c))
				return hc_bad(err, "control character in a chunk extension");
			break;
		case HC_SIZE_LF:
			if (c != '\n')
				return hc_bad(err, "bare CR after the chunk size");
			hc_size_done(d);
			break;
		case HC_DATA_CR:
			if (c == '\r')
				d->state = HC_DATA_LF;
			else if (c == '\n')
				d->state = HC_SIZE;
			else
				return hc_bad(err, "no CRLF after the chunk data");
			break;
		case HC_DATA_LF:
			if (c != '\n')
				return hc_bad(err, "no CRLF after the chunk data");
			d->state = HC_SIZE;
			break;
		case HC_TRAILER:
			if (c == '\r')
				d->state = HC_END_LF;
			else if (c == '\n')
				d->state = HC_DONE;
			else if (c == ' ' || c == '\t')
				return hc_bad(err, "folded trailer line");
			else
				d->state = HC_TRAILER_LINE;
			break;
		case HC_TRAILER_LINE:
			if (c == '\r')
				d->state = HC_TRAILER_LF;
			else if (c == '\n')
				d->state = HC_TRAILER;
			else if (!hp_is_vchar((unsigned char)c))
				return hc_bad(err, "control character in the trailer");
			break;
		case HC_TRAILER_LF:
			if (c != '\n')
				return hc_bad(err, "bare CR in the trailer");
			d->state = HC_TRAILER;
			break;
		case HC_END_LF:
			if (c != '\n')
				return hc_bad(err, "bare CR at the end of the trailer");
			d->state = HC_DONE;
			break;
		}
		if (d->state == HC_SIZE && (c == '\n'))
			d->line = 0;
	}
	*used = i;
	*produced = o;
	return d->state == HC_DONE ? 1 : 0;
}
