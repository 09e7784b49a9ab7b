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
#include "cgroup.h"

/* want[i]: paths[i] is a cgroup path ("/", "/a/b") and no other entry is
 * its ancestor. NULL or non-absolute entries (cgroups whose path is not
 * known) get false. One sort, then a binary search per ancestor level:
 * O(n log n x depth). 0, or -ENOMEM. */
int bg_top_most(const char *const *paths, int n, bool *want);

/* One step up a cgroup path, in place: "/a/b" -> "/a" -> "/". false for
 * "/" (no parent) and for what is not a cgroup path (p unchanged). */
bool bg_path_up(char *p);

/*
 * The same layout worked out around the cgroups a change names, from the
 * cgroup tree, instead of from every policy's path: what a change does to
 * links that are on the top-most policed cgroups before it.
 */

/* The cgroup tree: the cgroup2 mount (cgroup.h's bg_cgroup_id_of_path and
 * bg_cgroup_children), or a test's. */
struct bg_tree {
	__u64 (*id_of)(const char *path);
	int (*children)(const char *path, char **names);
};

struct bg_ids {
	__u64 *id;
	int n, cap;
};

/* Cgroups that get links, and cgroups that lose theirs (sorted, unique). */
struct bg_link_change {
	struct bg_ids add, drop;
};

/*
 * policed: the ids of the policies in force (sorted). Apply: cgs (not
 * policed yet) get their policies. A new cgroup gets links unless a strict
 * ancestor is policed or among cgs; each that gets them covers the top-most
 * policed cgroups in its subtree, which lose theirs. Detach: cgs (policed)
 * lose their policies and links; each that was top-most hands its links
 * down to the top-most cgroups in its subtree that stay policed. A few
 * calls per level of a named cgroup's path and per cgroup in its subtree
 * down to the policed ones, none per policy elsewhere. 0, or -errno (the
 * caller falls back to the full layout).
 */
int bg_top_most_apply(const struct bg_tree *t, const __u64 *policed, int n,
		      const struct bg_cgroup *const *cgs, int k, struct bg_link_change *out);
int bg_top_most_detach(const struct bg_tree *t, const __u64 *policed, int n,
		       const struct bg_cgroup *const *cgs, int k, struct bg_link_change *out);
void bg_link_change_free(struct bg_link_change *c);

#endif
