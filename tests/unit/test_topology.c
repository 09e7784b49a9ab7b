// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
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

TEST(plain_links_basic)
{
	/* Policies: /a (plain), /a/b (not), /c (plain), /c/d (plain), /ab (plain). */
	const char *p[] = { "/a", "/a/b", "/c", "/c/d", "/ab" };
	bool plain[] = { true, false, true, true, true };
	/* Links as pins: two per cgroup (bind4 and bind6), one unknown. */
	const char *l[] = { "/a", "/a", "/c", "/c", "/ab", NULL, "/a/b" };
	bool fast[7];

	CHECK(bg_plain_links(p, plain, 5, l, 7, fast) == 0);
	CHECK(!fast[0] && !fast[1]); /* /a/b below /a is not plain */
	CHECK(fast[2] && fast[3]);
	CHECK(fast[4]);	 /* "/a" is no ancestor of "/ab" */
	CHECK(!fast[5]); /* a link whose cgroup is not known */
	CHECK(!fast[6]); /* a link on the non-plain cgroup itself */
}

TEST(plain_links_root_unknown_and_empty)
{
	const char *p[] = { "/", "/x", NULL };
	bool plain[] = { true, false, true };
	const char *l[] = { "/", "/y" };
	bool fast[2];

	/* A non-plain policy anywhere below "/" takes the root's link. */
	CHECK(bg_plain_links(p, plain, 3, l, 2, fast) == 0);
	CHECK(!fast[0]);
	CHECK(fast[1]);
	/* A non-plain policy whose path is unknown could be under any link. */
	p[2] = NULL;
	plain[1] = true;
	plain[2] = false;
	CHECK(bg_plain_links(p, plain, 3, l, 2, fast) == 0);
	CHECK(!fast[0] && !fast[1]);
	CHECK(bg_plain_links(p, plain, 0, l, 2, fast) == 0);
	CHECK(fast[0] && fast[1]); /* no policy at all: nothing refuses */
	CHECK(bg_plain_links(p, plain, 3, l, 0, fast) == 0);
}

/* Against the pairwise definition, on random trees. */
TEST(plain_links_match_pairwise)
{
	char buf[64][64];
	const char *p[64];
	bool plain[64], fast[64];

	srand(11);
	for (int round = 0; round < 200; round++) {
		int n = 1 + rand() % 64, nl = 1 + rand() % 64;

		for (int i = 0; i < 64; i++) {
			p[i] = random_path(buf[i]);
			plain[i] = rand() % 4 != 0;
		}
		/* The links: any of the same paths. */
		CHECK(bg_plain_links(p, plain, n, p + 64 - nl, nl, fast) == 0);
		for (int k = 0; k < nl; k++) {
			const char *lk = p[64 - nl + k];
			bool ok = true;

			for (int i = 0; i < n; i++)
				if (!plain[i] &&
				    (!strcmp(p[i], lk) || bg_cgroup_is_ancestor(lk, p[i])))
					ok = false;
			if (fast[k] != ok) {
				CHECK(fast[k] == ok);
				break;
			}
		}
	}
}

TEST(uniform_links)
{
	const char *p[] = { "/a", "/a/b", "/c", "/c/d", "/e", "/e/f", "/g" };
	int cls[] = { 1, 1, 2, 3, 4, -1, 5 };
	const char *l[] = { "/a", "/a", "/c", "/e", "/g/h", NULL, "/ab", "/" };
	int out[8];

	CHECK(bg_uniform_links(p, cls, 7, l, 8, out) == 0);
	CHECK(out[0] == 1 && out[1] == 1); /* /a and /a/b share class 1 */
	CHECK(out[2] == -1);		   /* /c/d differs */
	CHECK(out[3] == -1);		   /* /e/f is not frozen */
	CHECK(out[4] == -1);		   /* no policy at or below /g/h */
	CHECK(out[5] == -1);		   /* unknown link path */
	CHECK(out[6] == -1);		   /* "/a" is no ancestor of "/ab": none */
	CHECK(out[7] == -1);		   /* the root sees them all */
	/* One policy below the root: the root's link may be frozen. */
	CHECK(bg_uniform_links(p + 6, cls + 6, 1, l + 7, 1, out) == 0);
	CHECK(out[0] == 5);
	/* A policy whose path is unknown could be under any link: it counts as
	 * under each (a link with no other policy takes its class). */
	p[6] = NULL;
	CHECK(bg_uniform_links(p, cls, 7, l, 8, out) == 0);
	CHECK(out[0] == -1 && out[1] == -1 && out[2] == -1 && out[3] == -1);
	CHECK(out[4] == 5 && out[6] == 5);
	CHECK(out[5] == -1 && out[7] == -1);
	cls[6] = -1;
	CHECK(bg_uniform_links(p, cls, 7, l, 8, out) == 0);
	for (int k = 0; k < 8; k++)
		CHECK(out[k] == -1);
	CHECK(bg_uniform_links(p, cls, 0, l, 8, out) == 0);
	CHECK(out[0] == -1); /* no policy at all */
	CHECK(bg_uniform_links(p, cls, 7, l, 0, out) == 0);
}

/* Against the pairwise definition, on random trees. */
TEST(uniform_links_match_pairwise)
{
	char buf[64][64];
	const char *p[64];
	int cls[64], out[64];

	srand(13);
	for (int round = 0; round < 300; round++) {
		int n = 1 + rand() % 64, nl = 1 + rand() % 64;

		for (int i = 0; i < 64; i++) {
			p[i] = random_path(buf[i]);
			cls[i] = rand() % 4 - 1; /* -1 .. 2 */
		}
		CHECK(bg_uniform_links(p, cls, n, p + 64 - nl, nl, out) == 0);
		for (int k = 0; k < nl; k++) {
			const char *lk = p[64 - nl + k];
			int want = -2;

			for (int i = 0; i < n; i++) {
				if (strcmp(p[i], lk) && !bg_cgroup_is_ancestor(lk, p[i]))
					continue;
				want = want == -2 || want == cls[i] ? cls[i] : -1;
			}
			if (want < 0)
				want = -1;
			if (out[k] != want) {
				CHECK(out[k] == want);
				break;
			}
		}
	}
}

TEST(links_covering)
{
	const char *l[] = { "/a", "/a", "/a/b/c", "/ab", NULL, "/", "/x" };
	const char *changed[] = { "/a/b/c/d", NULL, "/ab" };
	bool cov[7];

	CHECK(bg_links_covering(l, 7, changed, 3, cov) == 0);
	CHECK(cov[0] && cov[1]); /* ancestors of /a/b/c/d */
	CHECK(cov[2]);
	CHECK(cov[3]);	/* the changed cgroup itself */
	CHECK(!cov[4]); /* unknown link */
	CHECK(cov[5]);	/* the root is everyone's ancestor */
	CHECK(!cov[6]);
	CHECK(bg_links_covering(l, 7, changed, 0, cov) == 0);
	for (int k = 0; k < 7; k++)
		CHECK(!cov[k]);
}

/* Against the pairwise definition, on random trees: a link covers a change
 * at its own cgroup or below it. */
TEST(links_covering_matches_pairwise)
{
	char buf[64][64];
	const char *p[64];
	bool cov[64];

	srand(13);
	for (int round = 0; round < 200; round++) {
		int nc = rand() % 8, nl = 1 + rand() % 56;

		for (int i = 0; i < 64; i++)
			p[i] = random_path(buf[i]);
		CHECK(bg_links_covering(p + nc, nl, p, nc, cov) == 0);
		for (int k = 0; k < nl; k++) {
			bool want = false;

			for (int i = 0; i < nc; i++)
				want |= !strcmp(p[nc + k], p[i]) ||
					bg_cgroup_is_ancestor(p[nc + k], p[i]);
			if (cov[k] != want) {
				CHECK(cov[k] == want);
				break;
			}
		}
	}
}
