// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include "unit.h"

#define MAX_TESTS 256

static struct {
	const char *name;
	unit_fn fn;
} tests[MAX_TESTS];
static int ntests, current_failures;

void unit_register(const char *name, unit_fn fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests++].fn = fn;
	}
}

void unit_fail(const char *file, int line, const char *what)
{
	current_failures++;
	printf("  %s:%d: %s\n", file, line, what);
}

static char capture_buf[65536];

const char *unit_capture(void (*fn)(FILE *f, void *arg), void *arg)
{
	FILE *f = fmemopen(capture_buf, sizeof(capture_buf) - 1, "w");

	memset(capture_buf, 0, sizeof(capture_buf));
	if (!f)
		return "";
	fn(f, arg);
	fclose(f);
	return capture_buf;
}

int main(void)
{
	int passed = 0, failed = 0;

	for (int i = 0; i < ntests; i++) {
		current_failures = 0;
		tests[i].fn();
		if (current_failures) {
			printf("FAIL %s\n", tests[i].name);
			failed++;
		} else {
			printf("PASS %s\n", tests[i].name);
			passed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
