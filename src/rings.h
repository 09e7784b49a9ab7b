/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The event rings: the shared one (bg_events) that `bindguard events`
 * follows, and the private ones of `bindguard run`, one per slot of bg_rings
 * with a pin under rings/ for each slot taken.
 */
#ifndef BG_RINGS_H
#define BG_RINGS_H

#include <stdbool.h>
#include "state.h"

/* The private ring slot this process reserved but may not have named in a
 * policy yet: garbage collection must leave it alone. */
extern __u32 bg_reserved_ring;

/* A private event ring for `bindguard run` (or a reader), in a free slot of "rings". The
 * caller owns ring_fd; the slot is freed by bg_state_ring_free or, once no
 * policy names it, by the next garbage collection. */
int bg_state_ring_create(struct bg_state *s, __u32 *slot, int *ring_fd);
void bg_state_ring_free(struct bg_state *s, __u32 slot);

/* A reader of `bindguard events`: a private ring of its own and an entry in
 * bg_readers, so that every event is queued for it too. Caller holds the
 * lock. 0 with the entry's index, the ring's slot and fd; or an exit code
 * after one line (no free entry: BG_MAX_READERS read already). */
int bg_reader_add(struct bg_state *s, __u32 *idx, __u32 *slot, int *ring_fd);
/* Stop queueing for reader idx and free its ring slot. Caller holds the lock. */
void bg_reader_remove(struct bg_state *s, __u32 idx, __u32 slot);
/* Events reader idx's ring could not take: 0 or -errno. */
int bg_reader_lost(const struct bg_state *s, __u32 idx, __u64 *lost);
/* Garbage collection: free the entries (and rings) of readers whose process
 * is gone; held[slot] marks the ring slots of the live ones. */
void bg_readers_gc(struct bg_state *s, bool held[BG_RUN_RINGS]);

/* Is the pinned event ring still the one this state holds open? */
bool bg_state_is_current(const struct bg_state *s);

#endif
