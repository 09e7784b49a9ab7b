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

#endif
