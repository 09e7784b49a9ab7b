/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The policy set as a change sees it. A command reads it once and works
 * from it; an apply or detach of many cgroups reads it once for all of
 * them. The full snapshot (the full pass, gc.h) has the ids, values,
 * cgroup paths and link pins, a few syscalls per policy in force; the
 * fast path's has the ids and values alone, a few syscalls in all.
 */
#ifndef BG_SNAPSHOT_H
#define BG_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include "state.h"

struct bg_snap_entry {
	__u64 id; /* first: bsearch by id */
	struct bg_policy pol;
	char *path; /* relative to the cgroup2 mount; NULL when unknown (or not read) */
	bool gone;  /* the cgroup was removed (full snapshot only) */
};

struct bg_snap_pin {
	__u64 id;   /* first: bsearch by id */
	int hook;   /* -1: a name no hook of this build has */
	bool fresh; /* made by this command */
	char name[48];
};

struct bg_snap {
	int n, npins;
	struct bg_snap_entry *e;  /* sorted by id */
	struct bg_snap_pin *pins; /* sorted by id, then hook */
};

/* The policies in force; full: also their cgroups' paths (and whether
 * they are gone) and the link pins. 0, or an exit code after printing
 * why. */
int bg_snap_load(const struct bg_state *s, struct bg_snap *sn, bool full);
void bg_snap_free(struct bg_snap *sn);

/* The entry of cgroup id, or NULL. */
struct bg_snap_entry *bg_snap_find(const struct bg_snap *sn, __u64 id);
/* Is there a link pin for this cgroup and hook? */
bool bg_snap_has_pin(const struct bg_snap *sn, __u64 id, int hook);

/* qsort/bsearch orders: __u64 values; pins by id, then hook. */
int bg_cmp_u64(const void *a, const void *b);
int bg_cmp_pin(const void *a, const void *b);

/*
 * Every entry of a map. dense: by batch lookups (a few syscalls for
 * thousands of entries), falling back to key by key where the kernel has no
 * batch for the map type; otherwise key by key, which is cheaper for a large
 * and mostly empty hash (a hash batch locks every bucket on its way). The
 * batch position is a bucket number for hashes but the last key for generic
 * batches (LPM tries), so its buffer is key-sized. vals may be NULL when
 * only the keys are wanted. Returns the count, or -errno.
 */
int bg_map_dump(int fd, size_t ksz, size_t vsz, bool dense, void **keys, void **vals);

#endif
