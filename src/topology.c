// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "topology.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
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
		if (paths[i] && paths[i][0] == '/')
			sorted[m++] = paths[i];
	qsort(sorted, m, sizeof(*sorted), cmp_str);
	for (int i = 0; i < n; i++) {
		size_t len;
		char *slash;

		want[i] = paths[i] && paths[i][0] == '/';
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
		/* "/a/b" -> "/a" -> "/"; "/" has no ancestor. */
		while (want[i] && strcmp(up, "/") && (slash = strrchr(up, '/'))) {
			const char *key = up;

			if (slash == up)
				up[1] = '\0';
			else
				*slash = '\0';
			if (bsearch(&key, sorted, m, sizeof(*sorted), cmp_str))
				want[i] = false;
		}
	}
	free(up);
	free(sorted);
	return 0;
}
