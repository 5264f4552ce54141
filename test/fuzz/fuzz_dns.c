/*
 * fuzz_dns.c — libFuzzer target for the DNS reply parser.
 *
 * The input is a reply; its own id is taken as the query's, so the fuzzer
 * gets past the id check and into the question and answers.  Each input is
 * parsed as the answer to "www.test" A and AAAA and to "a.b.c.d.e" A (the
 * seeds hold replies for those).  Beyond "no crash": no more addresses
 * than the room given, none appended on failure, the right family and
 * port on each.
 */
#include "cpod-lines.c"

static void fuzz_dns_die(const char *what, size_t size)
{
	fprintf(stderr, "fuzz_dns: %s (input %zu bytes)\n", what, size);
	abort();
}

static void fuzz_dns_one(const uint8_t *data, size_t size, const char *name, uint16_t qtype)
{
	net_addr out[5];
	cpod_err err;
	size_t n = 1;   /* one address already there: parsing must append */
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;

	memset(out, 0, sizeof(out));
	int r = dns_parse_reply(data, size, id, name, qtype, 53, out, 4, &n, &err);
	if (r < 0 && n != 1)
		fuzz_dns_die("addresses appended by a failed parse", size);
	if (r < -1 || r > DNS_TRUNCATED)
		fuzz_dns_die("unknown result", size);
	if (n > 4 || out[4].len != 0)
		fuzz_dns_die("more addresses than room", size);
	for (size_t i = 1; i < n; i++) {
		int family = qtype == DNS_TYPE_A ? AF_INET : AF_INET6;
		const struct sockaddr_in *s = (const struct sockaddr_in *)&out[i].sa;
		if (out[i].sa.ss_family != family || ntohs(s->sin_port) != 53)
			fuzz_dns_die("odd address", size);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_dns_one(data, size, "www.test", DNS_TYPE_A);
	fuzz_dns_one(data, size, "www.test", DNS_TYPE_AAAA);
	fuzz_dns_one(data, size, "a.b.c.d.e", DNS_TYPE_A);
	return 0;
}
