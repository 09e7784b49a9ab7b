// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "object.h"

const char bg_compat_gives_up[] =
	"IPv4 UDP and UDP-Lite sockets, and SO_BINDTODEVICE calls, follow the calling "
	"task's cgroup instead of the socket's creation cgroup";

const char *bg_object_name(int obj)
{
	return obj == BG_OBJ_COMPAT ? "compat" : "full";
}

int bg_object_order(const char *env, int order[BG_NR_OBJ])
{
	if (!env || !*env) {
		order[0] = BG_OBJ_FULL;
		order[1] = BG_OBJ_COMPAT;
		return 2;
	}
	for (int obj = 0; obj < BG_NR_OBJ; obj++) {
		if (!strcmp(env, bg_object_name(obj))) {
			order[0] = obj;
			return 1;
		}
	}
	return -1;
}

int bg_object_choose(const int *order, int n, int (*try_load)(int obj, void *arg), void *arg,
		     int errs[BG_NR_OBJ])
{
	for (int i = 0; i < n; i++) {
		errs[order[i]] = try_load(order[i], arg);
		if (!errs[order[i]])
			return order[i];
	}
	return -1;
}

static int is_statistics(const char *line, size_t n)
{
	static const char *const prefixes[] = { "processed ", "verification time ", "stack depth ",
						"-- END PROG LOAD LOG --" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t k = strlen(prefixes[i]);

		if (n >= k && !strncmp(line, prefixes[i], k))
			return 1;
	}
	return 0;
}

char *bg_verifier_reason(const char *log, char *buf, size_t len)
{
	const char *best = NULL, *line = log;
	size_t best_n = 0;

	if (len)
		buf[0] = '\0';
	if (!log || !len)
		return buf;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		size_t k = n;

		while (k && (line[k - 1] == ' ' || line[k - 1] == '\t' || line[k - 1] == '\r'))
			k--;
		if (k && !is_statistics(line, k)) {
			best = line;
			best_n = k;
		}
		if (!end)
			break;
		line = end + 1;
	}
	if (best) {
		if (best_n >= len)
			best_n = len - 1;
		memcpy(buf, best, best_n);
		buf[best_n] = '\0';
	}
	return buf;
}
