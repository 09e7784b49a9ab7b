/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which policed cgroups carry links (pure). A link on a cgroup runs for all
 * its descendants and the program resolves the nearest policy itself, so
 * only the top-most policed cgroups get links: a second link lower down
 * would decide, and report, the same bind twice.
 */
#ifndef BG_TOPOLOGY_H
#define BG_TOPOLOGY_H

#include <stdbool.h>

/* want[i]: paths[i] is a cgroup path ("/", "/a/b") and no other entry is
 * its ancestor. NULL or non-absolute entries (cgroups whose path is not
 * known) get false. One sort, then a binary search per ancestor level:
 * O(n log n x depth). 0, or -ENOMEM. */
int bg_top_most(const char *const *paths, int n, bool *want);

/*
 * Which links may run the bind programs for plain deny-wildcard subtrees
 * (bg_plain_dw). paths[0..n) are the policed cgroups (NULL: path unknown),
 * plain[i] whether policy i is plain; links[0..nl) the cgroups with links.
 * fast[k]: links[k] is known and every policy at or below it is plain. A
 * policy that is not plain and whose path is unknown could be anywhere:
 * then no link is fast. 0, or -ENOMEM.
 */
int bg_plain_links(const char *const *paths, const bool *plain, int n, const char *const *links,
		   int nl, bool *fast);

/*
 * Which links may run frozen bind programs (one policy's decision frozen
 * in). paths[0..n) are the policed cgroups (NULL: path unknown) and cls[i]
 * policy i's class (equal classes decide alike; -1: not frozen); links as
 * above. out[k]: the class of every policy at or below links[k] when they
 * all share one (>= 0), else -1 (two classes, a policy of class -1, no
 * policy, or an unknown link path). A policy whose path is unknown could
 * be below any link: it counts as below every one. 0, or -ENOMEM.
 */
int bg_uniform_links(const char *const *paths, const int *cls, int n, const char *const *links,
		     int nl, int *out);

/* covering[k]: links[k] is known and is one of changed[0..nc) or an
 * ancestor of one (the links whose subtree a change of those cgroups
 * touches). Unknown changed paths mark nothing. 0, or -ENOMEM. */
int bg_links_covering(const char *const *links, int nl, const char *const *changed, int nc,
		      bool *covering);

#endif
