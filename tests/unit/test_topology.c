// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include "cgroup.h"
#include "topology.h"
#include "unit.h"

TEST(top_most_basic)
{
	const char *p[] = { "/a/b", "/a", "/c/d/e", "/ab", NULL, "rel", "/c/d/e/f", "/x/y" };
	bool want[8];

	CHECK(bg_top_most(p, 8, want) == 0);
	CHECK(!want[0]); /* below /a */
	CHECK(want[1]);
	CHECK(want[2]);
	CHECK(want[3]);	 /* "/a" is no ancestor of "/ab" */
	CHECK(!want[4]); /* path unknown */
	CHECK(!want[5]); /* not a cgroup path */
	CHECK(!want[6]); /* below /c/d/e */
	CHECK(want[7]);
}

TEST(top_most_root_and_empty)
{
	const char *p[] = { "/a", "/", "/a/b" };
	bool want[3];

	CHECK(bg_top_most(p, 3, want) == 0);
	CHECK(!want[0]);
	CHECK(want[1]);
	CHECK(!want[2]);
	CHECK(bg_top_most(p, 0, want) == 0);
}

/* A random cgroup path 1-4 levels deep over names that prefix each other
 * ("a", "ab", "a.b"): where string prefixes and ancestry part. */
static const char *random_path(char buf[64])
{
	static const char *names[] = { "a", "b", "ab", "a.b" };
	int depth = 1 + rand() % 4;
	size_t len = 0;

	for (int d = 0; d < depth; d++)
		len += snprintf(buf + len, 64 - len, "/%s", names[rand() % 4]);
	return buf;
}

/* Against the pairwise definition, on random trees. */
TEST(top_most_matches_pairwise)
{
	char buf[64][64];
	const char *p[64];
	bool want[64];

	srand(7);
	for (int round = 0; round < 200; round++) {
		int n = 1 + rand() % 64;

		for (int i = 0; i < n; i++)
			p[i] = random_path(buf[i]);
		CHECK(bg_top_most(p, n, want) == 0);
		for (int i = 0; i < n; i++) {
			bool covered = false;

			for (int j = 0; j < n; j++)
				covered |= bg_cgroup_is_ancestor(p[j], p[i]);
			if (want[i] == covered) {
				CHECK(want[i] == !covered);
				break;
			}
		}
	}
}

TEST(path_up_walks_to_the_root)
{
	char p[16] = "/a/bc";

	CHECK(bg_path_up(p));
	CHECK_STR(p, "/a");
	CHECK(bg_path_up(p));
	CHECK_STR(p, "/");
	CHECK(!bg_path_up(p));
	CHECK_STR(p, "/");
	strcpy(p, "rel/a");
	CHECK(!bg_path_up(p)); /* not a cgroup path */
	p[0] = '\0';
	CHECK(!bg_path_up(p));
}

/* A cgroup tree for bg_top_most_apply/detach: node i has id i + 1, node 0 is
 * the root; sibling names prefix each other ("n1", "n12"). */
static struct {
	char path[256];
	int parent;
} tree[48];
static int ntree, fail_below = -1, no_id = -1; /* children() fails, id_of() gives 0 */

static __u64 tree_id(const char *path)
{
	for (int i = 0; i < ntree; i++)
		if (!strcmp(tree[i].path, path))
			return i == no_id ? 0 : i + 1;
	return 0;
}

static int tree_children(const char *path, char **names)
{
	int node = (int)tree_id(path) - 1, n = 0;
	size_t used = 0;

	*names = NULL;
	if (node == fail_below)
		return -EACCES;
	for (int i = 0; i < ntree; i++) {
		const char *name = strrchr(tree[i].path, '/') + 1;

		if (tree[i].parent != node || node < 0)
			continue;
		*names = realloc(*names, used + strlen(name) + 1);
		strcpy(*names + used, name);
		used += strlen(name) + 1;
		n++;
	}
	return n;
}

static const struct bg_tree fake_tree = { tree_id, tree_children };

static void random_tree(void)
{
	ntree = 1 + rand() % 40;
	strcpy(tree[0].path, "/");
	tree[0].parent = -1;
	for (int i = 1; i < ntree; i++) {
		int p = rand() % i;

		tree[i].parent = p;
		snprintf(tree[i].path, sizeof(tree[i].path), "%s/n%d", p ? tree[p].path : "", i);
	}
}

/* in[i]: node i carries links when the nodes with policed[i] are policed. */
static void links_of_set(const bool *policed, bool *in)
{
	const char *paths[48] = { NULL };
	int idx[48], n = 0;
	bool want[48];

	for (int i = 0; i < ntree; i++) {
		in[i] = false;
		if (policed[i]) {
			idx[n] = i;
			paths[n++] = tree[i].path;
		}
	}
	CHECK(bg_top_most(paths, n, want) == 0);
	for (int i = 0; i < n; i++)
		in[idx[i]] = want[i];
}

/* The fast layout of random changes on random trees gives what the full
 * layout (bg_top_most over every policy) gives after them. */
TEST(top_most_change_matches_full_layout)
{
	static struct bg_cgroup cg[4];
	const struct bg_cgroup *cgs[4];

	srand(11);
	for (int round = 0; round < 3000; round++) {
		bool pol[48], after[48], links[48], want[48];
		bool detach = rand() % 2;
		__u64 ids[48];
		struct bg_link_change lc;
		int n = 0, k = 0;

		random_tree();
		for (int i = 0; i < ntree; i++) {
			pol[i] = rand() % 3 == 0;
			if (pol[i])
				ids[n++] = i + 1;
		}
		/* Up to 4 distinct cgroups: policed ones to detach, others to apply. */
		for (int tries = 0; tries < 8 && k < 4; tries++) {
			int i = rand() % ntree;
			bool dup = false;

			for (int j = 0; j < k; j++)
				dup |= cg[j].id == (__u64)i + 1;
			if (dup || pol[i] != detach)
				continue;
			snprintf(cg[k].path, sizeof(cg[k].path), "%s", tree[i].path);
			cg[k].id = i + 1;
			cgs[k] = &cg[k];
			k++;
		}
		memcpy(after, pol, sizeof(pol));
		for (int j = 0; j < k; j++)
			after[cg[j].id - 1] = !detach;
		links_of_set(pol, links);
		links_of_set(after, want);
		if (detach)
			CHECK(bg_top_most_detach(&fake_tree, ids, n, cgs, k, &lc) == 0);
		else
			CHECK(bg_top_most_apply(&fake_tree, ids, n, cgs, k, &lc) == 0);
		/* New links go where there were none; only links that exist go. */
		for (int j = 0; j < lc.add.n; j++) {
			CHECK(!links[lc.add.id[j] - 1]);
			links[lc.add.id[j] - 1] = true;
		}
		for (int j = 0; j < lc.drop.n; j++) {
			CHECK(detach || links[lc.drop.id[j] - 1]);
			links[lc.drop.id[j] - 1] = false;
		}
		for (int i = 0; i < ntree; i++) {
			if (links[i] != want[i]) {
				char m[512];

				snprintf(m, sizeof(m), "round %d (%s): %s %s links", round,
					 detach ? "detach" : "apply", tree[i].path,
					 want[i] ? "lacks" : "keeps");
				unit_fail(__FILE__, __LINE__, m);
				return;
			}
		}
		bg_link_change_free(&lc);
	}
}

TEST(top_most_change_walk_error)
{
	static struct bg_cgroup cg = { .path = "/n1", .id = 2 };
	const struct bg_cgroup *cgs[1] = { &cg };
	struct bg_link_change lc;
	__u64 ids[1] = { 3 };

	ntree = 3;
	strcpy(tree[0].path, "/");
	tree[0].parent = -1;
	strcpy(tree[1].path, "/n1");
	tree[1].parent = 0;
	strcpy(tree[2].path, "/n1/n2");
	tree[2].parent = 1;
	CHECK(bg_top_most_apply(&fake_tree, ids, 1, cgs, 1, &lc) == 0);
	CHECK(lc.add.n == 1 && lc.add.id[0] == 2);
	CHECK(lc.drop.n == 1 && lc.drop.id[0] == 3);
	bg_link_change_free(&lc);
	fail_below = 1;
	CHECK(bg_top_most_apply(&fake_tree, ids, 1, cgs, 1, &lc) == -EACCES);
	CHECK(lc.add.id == NULL && lc.drop.id == NULL);
	fail_below = -1;
	/* A cgroup whose id cannot be read (removed meanwhile) is no guess:
	 * below a detached one, or above a new one. */
	no_id = 2;
	ids[0] = 2;
	CHECK(bg_top_most_detach(&fake_tree, ids, 1, cgs, 1, &lc) == -ENOENT);
	CHECK(lc.add.id == NULL && lc.drop.id == NULL);
	no_id = 1;
	cg.id = 3;
	strcpy(cg.path, "/n1/n2");
	CHECK(bg_top_most_apply(&fake_tree, ids, 0, cgs, 1, &lc) == -ENOENT);
	CHECK(lc.add.id == NULL && lc.drop.id == NULL);
	no_id = -1;
}
