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

/* bg_uniform_links' marks while folding (final values are >= -1). */
#define BG_UNSEEN (-2)
#define BG_MIXED  (-1)

struct link_key {
	const char *path;
	int k;
};

static int cmp_link(const void *a, const void *b)
{
	return strcmp(((const struct link_key *)a)->path, ((const struct link_key *)b)->path);
}

/* Clear fast[k] of every link at path or above it (sorted[0..m) by path):
 * the links that run for sockets of the cgroup at path. */
static int clear_up(const struct link_key *sorted, int m, const char *path, bool *fast)
{
	char *up = strdup(path);

	if (!up)
		return -ENOMEM;
	do {
		struct link_key key = { up, 0 };
		const struct link_key *hit = bsearch(&key, sorted, m, sizeof(*sorted), cmp_link);

		/* Equal paths (a link per hook) sort together: clear them all. */
		while (hit && hit > sorted && !strcmp(hit[-1].path, up))
			hit--;
		while (hit && hit < sorted + m && !strcmp(hit->path, up))
			fast[(hit++)->k] = false;
	} while (path_up(up));
	free(up);
	return 0;
}

int bg_plain_links(const char *const *paths, const bool *plain, int n, const char *const *links,
		   int nl, bool *fast)
{
	struct link_key *sorted = calloc(nl ? nl : 1, sizeof(*sorted));
	int m = 0, r = 0;

	if (!sorted)
		return -ENOMEM;
	for (int k = 0; k < nl; k++) {
		fast[k] = is_cgroup_path(links[k]);
		if (fast[k])
			sorted[m++] = (struct link_key){ links[k], k };
	}
	qsort(sorted, m, sizeof(*sorted), cmp_link);
	for (int i = 0; i < n && !r; i++) {
		if (plain[i])
			continue;
		if (!is_cgroup_path(paths[i])) {
			for (int k = 0; k < nl; k++)
				fast[k] = false;
			break;
		}
		r = clear_up(sorted, m, paths[i], fast);
	}
	free(sorted);
	return r;
}

/* Fold class c into out[k] of every link at path or above it: the first
 * class seen, or BG_MIXED once two differ. */
static int fold_up(const struct link_key *sorted, int m, const char *path, int c, int *out)
{
	char *up = strdup(path);

	if (!up)
		return -ENOMEM;
	do {
		struct link_key key = { up, 0 };
		const struct link_key *hit = bsearch(&key, sorted, m, sizeof(*sorted), cmp_link);

		while (hit && hit > sorted && !strcmp(hit[-1].path, up))
			hit--;
		for (; hit && hit < sorted + m && !strcmp(hit->path, up); hit++) {
			int *o = &out[hit->k];

			*o = *o == BG_UNSEEN || *o == c ? c : BG_MIXED;
		}
	} while (path_up(up));
	free(up);
	return 0;
}

int bg_uniform_links(const char *const *paths, const int *cls, int n, const char *const *links,
		     int nl, int *out)
{
	struct link_key *sorted = calloc(nl ? nl : 1, sizeof(*sorted));
	int m = 0, r = 0;

	if (!sorted)
		return -ENOMEM;
	for (int k = 0; k < nl; k++) {
		out[k] = is_cgroup_path(links[k]) ? BG_UNSEEN : BG_MIXED;
		if (out[k] == BG_UNSEEN)
			sorted[m++] = (struct link_key){ links[k], k };
	}
	qsort(sorted, m, sizeof(*sorted), cmp_link);
	for (int i = 0; i < n && !r; i++) {
		if (!is_cgroup_path(paths[i])) {
			for (int k = 0; k < nl; k++)
				out[k] = BG_MIXED;
			break;
		}
		r = fold_up(sorted, m, paths[i], cls[i] < 0 ? BG_MIXED : cls[i], out);
	}
	for (int k = 0; k < nl; k++)
		if (out[k] < 0)
			out[k] = -1;
	free(sorted);
	return r;
}

int bg_links_covering(const char *const *links, int nl, const char *const *changed, int nc,
		      bool *covering)
{
	/* Every changed cgroup and each of its ancestors, sorted: then one
	 * binary search per link, with no sort of the (many) links. */
	char **anc = NULL;
	int na = 0, cap = 0, r = 0;

	for (int i = 0; i < nc && !r; i++) {
		char *up = is_cgroup_path(changed[i]) ? strdup(changed[i]) : NULL;

		if (!up) {
			r = is_cgroup_path(changed[i]) ? -ENOMEM : 0;
			continue;
		}
		do {
			char *copy = strdup(up);

			if (na == cap) {
				char **more = realloc(anc, (cap ? cap * 2 : 16) * sizeof(*anc));

				if (more) {
					anc = more;
					cap = cap ? cap * 2 : 16;
				}
			}
			if (!copy || na == cap) {
				free(copy);
				r = -ENOMEM;
				break;
			}
			anc[na++] = copy;
		} while (path_up(up));
		free(up);
	}
	if (na) /* (qsort and bsearch take no NULL array, even empty) */
		qsort(anc, na, sizeof(*anc), cmp_str);
	for (int k = 0; k < nl; k++)
		covering[k] = !r && na && is_cgroup_path(links[k]) &&
			      bsearch(&links[k], anc, na, sizeof(*anc), cmp_str);
	for (int i = 0; i < na; i++)
		free(anc[i]);
	free(anc);
	return r;
}
