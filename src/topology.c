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

struct link_key {
	const char *path;
	int k;
};

static int cmp_link(const void *a, const void *b)
{
	return strcmp(((const struct link_key *)a)->path, ((const struct link_key *)b)->path);
}

/* Set mark[k] = val for every link at path or above it (sorted[0..m) by
 * path): the links that run for sockets of the cgroup at path. */
static int mark_up(const struct link_key *sorted, int m, const char *path, bool *mark, bool val)
{
	char *up = strdup(path), *slash;

	if (!up)
		return -ENOMEM;
	for (;;) {
		struct link_key key = { up, 0 };
		const struct link_key *hit = bsearch(&key, sorted, m, sizeof(*sorted), cmp_link);

		/* Equal paths (a link per hook) sort together: mark them all. */
		while (hit && hit > sorted && !strcmp(hit[-1].path, up))
			hit--;
		while (hit && hit < sorted + m && !strcmp(hit->path, up))
			mark[(hit++)->k] = val;
		if (!strcmp(up, "/"))
			break;
		slash = strrchr(up, '/');
		if (slash == up)
			up[1] = '\0';
		else
			*slash = '\0';
	}
	free(up);
	return 0;
}

/* The known links sorted by path; mark[k] = init for those, false for the
 * unknown ones. NULL on allocation failure. */
static struct link_key *sort_links(const char *const *links, int nl, bool *mark, bool init, int *m)
{
	struct link_key *sorted = calloc(nl ? nl : 1, sizeof(*sorted));

	*m = 0;
	if (!sorted)
		return NULL;
	for (int k = 0; k < nl; k++) {
		bool known = links[k] && links[k][0] == '/';

		mark[k] = known && init;
		if (known)
			sorted[(*m)++] = (struct link_key){ links[k], k };
	}
	qsort(sorted, *m, sizeof(*sorted), cmp_link);
	return sorted;
}

int bg_plain_links(const char *const *paths, const bool *plain, int n, const char *const *links,
		   int nl, bool *fast)
{
	int m, r = 0;
	struct link_key *sorted = sort_links(links, nl, fast, true, &m);

	if (!sorted)
		return -ENOMEM;
	for (int i = 0; i < n && !r; i++) {
		if (plain[i])
			continue;
		if (!paths[i] || paths[i][0] != '/') {
			for (int k = 0; k < nl; k++)
				fast[k] = false;
			break;
		}
		r = mark_up(sorted, m, paths[i], fast, false);
	}
	free(sorted);
	return r;
}

/* Append s to the array *v (taking it). 0, or -ENOMEM (s not taken). */
static int push(char ***v, int *n, int *cap, char *s)
{
	if (*n == *cap) {
		char **more = realloc(*v, (*cap ? *cap * 2 : 16) * sizeof(**v));

		if (!more)
			return -ENOMEM;
		*v = more;
		*cap = *cap ? *cap * 2 : 16;
	}
	(*v)[(*n)++] = s;
	return 0;
}

int bg_links_covering(const char *const *links, int nl, const char *const *changed, int nc,
		      bool *covering)
{
	/* Every changed cgroup and each of its ancestors, sorted: then one
	 * binary search per link, with no sort of the (many) links. */
	char **anc = NULL;
	int na = 0, cap = 0, r = 0;

	for (int i = 0; i < nc && !r; i++) {
		char *up;

		if (!changed[i] || changed[i][0] != '/')
			continue;
		up = strdup(changed[i]);
		if (!up)
			r = -ENOMEM;
		while (up) {
			char *next = NULL, *slash;
			bool root = !strcmp(up, "/");

			if (!root && (next = strdup(up))) {
				slash = strrchr(next, '/');
				if (slash == next)
					next[1] = '\0';
				else
					*slash = '\0';
			}
			if ((!root && !next) || push(&anc, &na, &cap, up)) {
				free(up);
				free(next);
				r = -ENOMEM;
				break;
			}
			up = next;
		}
	}
	if (na) /* (qsort and bsearch take no NULL array, even empty) */
		qsort(anc, na, sizeof(*anc), cmp_str);
	for (int k = 0; k < nl; k++)
		covering[k] = !r && na && links[k] && links[k][0] == '/' &&
			      bsearch(&links[k], anc, na, sizeof(*anc), cmp_str);
	for (int i = 0; i < na; i++)
		free(anc[i]);
	free(anc);
	return r;
}
