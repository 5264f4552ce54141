/*
 * harness.c — runs the registered unit tests (see harness.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
	const char *name;
	unit_fn fn;
} unit_tests[1024];
static int unit_count;
int unit_failed_now;

void unit_register(const char *name, unit_fn fn)
{
	if (unit_count < (int)(sizeof(unit_tests) / sizeof(unit_tests[0]))) {
		unit_tests[unit_count].name = name;
		unit_tests[unit_count].fn = fn;
		unit_count++;
	}
}

static const char *unit_current;

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("FAIL unit/%s: %s:%d: ", unit_current, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	unit_failed_now = 1;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < unit_count; i++) {
		if (argc > 1 && !strstr(unit_tests[i].name, argv[1]))
			continue;
		unit_current = unit_tests[i].name;
		unit_failed_now = 0;
		unit_tests[i].fn();
		if (unit_failed_now) {
			failed++;
		} else {
			passed++;
			printf("PASS unit/%s\n", unit_tests[i].name);
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
