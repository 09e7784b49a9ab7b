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

/* fold_links' marks: no policy seen yet, and two classes (or a policy of
 * none) seen. */
#define BG_UNSEEN (-2)
#define BG_MIXED  (-1)

static void fold(int *o, int c)
{
	*o = *o == BG_UNSEEN || *o == c ? c : BG_MIXED;
}

struct link_key {
	const char *path;
	int k;
};

static int cmp_link(const void *a, const void *b)
{
	return strcmp(((const struct link_key *)a)->path, ((const struct link_key *)b)->path);
}

/* Fold class c into out[k] of every link at path or above it (sorted[0..m)
 * by path): the first class seen, or BG_MIXED once two differ. */
static int fold_up(const struct link_key *sorted, int m, const char *path, int c, int *out)
{
	char *up = strdup(path);

	if (!up)
		return -ENOMEM;
	do {
		struct link_key key = { up, 0 };
		const struct link_key *hit = bsearch(&key, sorted, m, sizeof(*sorted), cmp_link);

		/* Equal paths (a link per hook) sort together: fold them all. */
		while (hit && hit > sorted && !strcmp(hit[-1].path, up))
			hit--;
		for (; hit && hit < sorted + m && !strcmp(hit->path, up); hit++)
			fold(&out[hit->k], c);
	} while (path_up(up));
	free(up);
	return 0;
}

/* out[k]: the class every policy at or below links[k] shares, BG_MIXED
 * (two classes, a policy of class < 0, or an unknown link path), or
 * BG_UNSEEN (no policy there). A policy whose path is unknown could be
 * below any link: its class is folded into all of them. */
static int fold_links(const char *const *paths, const int *cls, int n, const char *const *links,
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
		int c = cls[i] < 0 ? BG_MIXED : cls[i];

		if (is_cgroup_path(paths[i])) {
			r = fold_up(sorted, m, paths[i], c, out);
			continue;
		}
		for (int j = 0; j < m; j++)
			fold(&out[sorted[j].k], c);
	}
	free(sorted);
	return r;
}

int bg_plain_links(const char *const *paths, const bool *plain, int n, const char *const *links,
		   int nl, bool *fast)
{
	int *cls = calloc(n ? n : 1, sizeof(*cls)), *out = calloc(nl ? nl : 1, sizeof(*out));
	int r = cls && out ? 0 : -ENOMEM;

	for (int i = 0; i < n && !r; i++)
		cls[i] = plain[i] ? 0 : -1;
	if (!r)
		r = fold_links(paths, cls, n, links, nl, out);
	for (int k = 0; k < nl && !r; k++)
		fast[k] = out[k] != BG_MIXED; /* no policy below: nothing refuses */
	free(cls);
	free(out);
	return r;
}

int bg_uniform_links(const char *const *paths, const int *cls, int n, const char *const *links,
		     int nl, int *out)
{
	int r = fold_links(paths, cls, n, links, nl, out);

	for (int k = 0; k < nl && !r; k++)
		if (out[k] < 0)
			out[k] = -1;
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
