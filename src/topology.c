// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "topology.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_cgroup_path(const char *p)
{
	return p && p[0] == '/';
}

/* One step up, in place: "/a/b" -> "/a" -> "/". false for "/", which has
 * no parent (p unchanged). */
static bool path_up(char *p)
{
	char *slash = strrchr(p, '/');

	if (!strcmp(p, "/") || !slash)
		return false;
	slash[slash == p] = '\0'; /* "/a" keeps its slash: "/" */
	return true;
}

int bg_top_most(const char *const *paths, int n, bool *want)
{
	const char **sorted = calloc(n ? n : 1, sizeof(*sorted));
	char *up = NULL;
	size_t cap = 0;
	int m = 0;

	if (!sorted)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (is_cgroup_path(paths[i]))
			sorted[m++] = paths[i];
	qsort(sorted, m, sizeof(*sorted), cmp_str);
	for (int i = 0; i < n; i++) {
		const char *key;
		size_t len;

		want[i] = is_cgroup_path(paths[i]);
		if (!want[i])
			continue;
		len = strlen(paths[i]);
		if (len + 1 > cap) {
			char *p = realloc(up, len + 1);

			if (!p) {
				free(up);
				free(sorted);
				return -ENOMEM;
			}
			up = p;
			cap = len + 1;
		}
		memcpy(up, paths[i], len + 1);
		key = up;
		while (want[i] && path_up(up))
			if (bsearch(&key, sorted, m, sizeof(*sorted), cmp_str))
				want[i] = false;
	}
	free(up);
	free(sorted);
	return 0;
}
