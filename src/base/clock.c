/*
 * clock.c — RFC 3339 times and human durations (see clock.h).
 */
#include "clock.h"
#include <time.h>

CPOD_INTERNAL void clock_now_rfc3339(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char base[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%09ldZ", base, ts.tv_nsec);
}

CPOD_INTERNAL int64_t clock_unix_ms(const char *rfc3339)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *p = rfc3339 ? strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		return -1;
	int64_t ms = (int64_t)timegm(&tm) * 1000;
	if (*p == '.') {
		int64_t scale = 100;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ms += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if ((*p == '+' || *p == '-') && p[1] && p[2] && p[3] == ':') {
		int64_t off = ((p[1] - '0') * 10 + (p[2] - '0')) * 60 + (p[4] - '0') * 10 + (p[5] - '0');
		ms -= (*p == '+' ? 1 : -1) * off * 60000;
	}
	return ms;
}

CPOD_INTERNAL int64_t clock_unix(const char *rfc3339)
{
	int64_t ms = clock_unix_ms(rfc3339);
	return ms < 0 ? -1 : ms / 1000;
}

void cpod_human_duration(int64_t seconds, char *out, size_t n)
{
	int64_t s = seconds, m = s / 60, h = m / 60, d = h / 24;
	if (s < 1)
		snprintf(out, n, "Less than a second");
	else if (s == 1)
		snprintf(out, n, "1 second");
	else if (s < 60)
		snprintf(out, n, "%lld seconds", (long long)s);
	else if (m == 1)
		snprintf(out, n, "About a minute");
	else if (m < 60)
		snprintf(out, n, "%lld minutes", (long long)m);
	else if (h == 1)
		snprintf(out, n, "About an hour");
	else if (h < 48)
		snprintf(out, n, "%lld hours", (long long)h);
	else if (h < 24 * 7 * 2)
		snprintf(out, n, "%lld days", (long long)d);
	else if (h < 24 * 30 * 2)
		snprintf(out, n, "%lld weeks", (long long)(d / 7));
	else if (h < 24 * 365 * 2)
		snprintf(out, n, "%lld months", (long long)(d / 30));
	else
		snprintf(out, n, "%lld years", (long long)(d / 365));
}

int64_t cpod_time_unix(const char *rfc3339)
{
	return clock_unix(rfc3339);
}
