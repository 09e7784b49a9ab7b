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
