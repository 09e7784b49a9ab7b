// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Ring records as they could arrive: arbitrary bytes, truncated records, comm
 * with quotes, control bytes and invalid UTF-8, and arbitrary cgroup paths.
 * Invariants: decode never reads past the record; every JSON line printed is
 * valid JSON on one line; text lines are one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "unit.h"

static char out[65536];

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct bg_event e;
	struct bg_event_ctx c = { NULL, NULL, 0 };
	char path[256];
	size_t rec = size < sizeof(e) ? size : sizeof(e);
	FILE *f;

	/* Bytes after the record name the cgroup path. */
	if (size > sizeof(e)) {
		size_t n =
			size - sizeof(e) < sizeof(path) - 1 ? size - sizeof(e) : sizeof(path) - 1;

		memcpy(path, data + sizeof(e), n);
		path[n] = '\0';
		c.cgroup_path = path;
		c.policy_path = path;
	}
	if (bg_event_decode(data, rec, &e))
		return 0;
	c.boot_to_real_ns = (long long)(e.pid % 1000) * 1000000000ll;
	for (int json = 0; json < 2; json++) {
		memset(out, 0, sizeof(out));
		f = fmemopen(out, sizeof(out) - 1, "w");
		if (!f)
			return 0;
		if (json)
			bg_event_print_json(f, &e, &c);
		else
			bg_event_print_text(f, &e, &c);
		fclose(f);
		size_t len = strlen(out);

		if (!len || out[len - 1] != '\n' || memchr(out, '\n', len - 1))
			__builtin_trap();
		if (json && !unit_json_valid(out, len - 1))
			__builtin_trap();
	}
	return 0;
}
