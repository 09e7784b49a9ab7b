/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The links: one per hook on each top-most policed cgroup (topology.h),
 * pinned as links/<cgid>-<hook>. Every link runs the same programs, which
 * find the nearest policy themselves.
 */
#ifndef BG_LINKS_H
#define BG_LINKS_H

#include <stdbool.h>
#include "cgroup.h"
#include "snapshot.h"
#include "state.h"

/*
 * Links live on the top-most policed cgroups only (topology.h). inc are
 * cgroups about to get their policy: their links go in first, inert until
 * the policy map names them. New links are made first, surplus ones removed
 * after, so no socket is ever without a program during the change. The
 * snapshot's pins follow. 0 or an exit code after printing why.
 */
int bg_sync_links(struct bg_state *s, struct bg_snap *sn, const struct bg_cgroup *const *inc,
		  int ninc);

/* Links on each of n cgroups, every hook (a pin already there is replaced).
 * On failure the links made are removed. 0 or an exit code after printing
 * why. The change transaction's fast path (control.c) uses it and
 * bg_unpin_links where topology.h's bg_top_most_apply/detach say. */
int bg_attach_links(struct bg_state *s, const __u64 *ids, int n);

/* Unpin every link of a cgroup (each detaches with its last reference). */
void bg_unpin_links(const struct bg_state *s, __u64 cgid);

/* Re-point every pinned link at the freshly loaded programs, so links made
 * by an earlier load stop using maps that are no longer pinned. */
void bg_relink_all(struct bg_state *s);

/* Does a link pin exist for this cgroup (its own attachment)? */
bool bg_state_has_link(const struct bg_state *s, __u64 cgid);

#endif
