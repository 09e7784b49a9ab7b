// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
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

bool bg_path_up(char *p)
{
	char *slash = strrchr(p, '/');

	if (!is_cgroup_path(p) || !strcmp(p, "/"))
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
		while (want[i] && bg_path_up(up))
			if (bsearch(&key, sorted, m, sizeof(*sorted), cmp_str))
				want[i] = false;
	}
	free(up);
	free(sorted);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int ids_add(struct bg_ids *s, __u64 id)
{
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 16;
		__u64 *more = realloc(s->id, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		s->id = more;
		s->cap = cap;
	}
	s->id[s->n++] = id;
	return 0;
}

/* Sorted, each id once. */
static void ids_sort(struct bg_ids *s)
{
	int m = 0;

	if (s->n)
		qsort(s->id, s->n, sizeof(*s->id), cmp_u64);
	for (int i = 0; i < s->n; i++)
		if (!m || s->id[m - 1] != s->id[i])
			s->id[m++] = s->id[i];
	s->n = m;
}

static bool named(const struct bg_cgroup *const *cgs, int k, __u64 id)
{
	for (int i = 0; i < k; i++)
		if (cgs[i]->id == id)
			return true;
	return false;
}

static bool in_policed(const __u64 *policed, int n, __u64 id)
{
	return n && bsearch(&id, policed, n, sizeof(*policed), cmp_u64);
}

/* Is a strict ancestor of path policed, or among cgs? 1 or 0; -ENOENT when
 * an id cannot be read (a cgroup removed meanwhile): the walks never guess. */
static int covered(const struct bg_tree *t, const char *path, const __u64 *policed, int n,
		   const struct bg_cgroup *const *cgs, int k)
{
	char up[PATH_MAX];

	snprintf(up, sizeof(up), "%s", path);
	while (bg_path_up(up)) {
		__u64 id = t->id_of(up);

		if (!id)
			return -ENOENT;
		if (in_policed(policed, n, id) || named(cgs, k, id))
			return 1;
	}
	return 0;
}

/* Add to out the top-most cgroups strictly below path that are policed and
 * not among skip. path is a PATH_MAX buffer, as it was on return. 0 or
 * -errno. */
static int below(const struct bg_tree *t, char *path, const __u64 *policed, int n,
		 const struct bg_cgroup *const *skip, int nskip, struct bg_ids *out)
{
	size_t len = strlen(path);
	char *names, *name;
	int m = t->children(path, &names), r = 0;

	name = names;
	for (int i = 0; i < m && !r; i++, name += strlen(name) + 1) {
		__u64 id;

		if (snprintf(path + len, PATH_MAX - len, "%s%s", len > 1 ? "/" : "", name) >=
		    (int)(PATH_MAX - len)) {
			r = -ENAMETOOLONG;
			break;
		}
		id = t->id_of(path);
		if (!id)
			r = -ENOENT;
		else if (in_policed(policed, n, id) && !named(skip, nskip, id))
			r = ids_add(out, id);
		else
			r = below(t, path, policed, n, skip, nskip, out);
	}
	path[len] = '\0';
	if (m > 0)
		free(names);
	return m < 0 ? m : r;
}

/*
 * Why these give bg_top_most's layout. Let T(P) be the top-most cgroups of a
 * policy set P: the links before the change. Apply N (none in P): T(P + N)
 * is the cgroups of N with no strict ancestor in P + N (added), and T(P)
 * without those below a cgroup of N (dropped). For such a c in T(P), the
 * highest cgroup n of N above it has nothing of P + N above it (c has
 * nothing of P above it), so n is added, and the walk down from n, which
 * stops at cgroups of P, reaches c: nothing of P lies between. Conversely
 * the walk from an added n only stops at cgroups of P with nothing of P
 * above them: the dropped are in T(P). Detach D (all in P): T(P - D) is
 * T(P) - D plus each c of P - D whose strict ancestors in P are all in D;
 * the highest of those is in T(P), and the walk down from it passes
 * through D (skipped) and stops at c. tests/unit/test_topology.c checks
 * both against bg_top_most on random trees.
 */
int bg_top_most_apply(const struct bg_tree *t, const __u64 *policed, int n,
		      const struct bg_cgroup *const *cgs, int k, struct bg_link_change *out)
{
	char path[PATH_MAX];
	int r = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < k && !r; i++) {
		int c = covered(t, cgs[i]->path, policed, n, cgs, k);

		if (c) { /* its subtree is covered already, or an error */
			r = c < 0 ? c : 0;
			continue;
		}
		snprintf(path, sizeof(path), "%s", cgs[i]->path);
		r = ids_add(&out->add, cgs[i]->id);
		if (!r)
			r = below(t, path, policed, n, NULL, 0, &out->drop);
	}
	ids_sort(&out->add);
	ids_sort(&out->drop);
	if (r)
		bg_link_change_free(out);
	return r;
}

int bg_top_most_detach(const struct bg_tree *t, const __u64 *policed, int n,
		       const struct bg_cgroup *const *cgs, int k, struct bg_link_change *out)
{
	char path[PATH_MAX];
	int r = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < k && !r; i++) {
		int c = covered(t, cgs[i]->path, policed, n, NULL, 0);

		r = c < 0 ? c : ids_add(&out->drop, cgs[i]->id);
		if (r || c)
			continue; /* c: not top-most, it held no links */
		snprintf(path, sizeof(path), "%s", cgs[i]->path);
		r = below(t, path, policed, n, cgs, k, &out->add);
	}
	ids_sort(&out->add);
	ids_sort(&out->drop);
	if (r)
		bg_link_change_free(out);
	return r;
}

void bg_link_change_free(struct bg_link_change *c)
{
	free(c->add.id);
	free(c->drop.id);
	memset(c, 0, sizeof(*c));
}
