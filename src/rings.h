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

/* A private event ring for `bindguard run`, in a free slot of "rings". The
 * caller owns ring_fd; the slot is freed by bg_state_ring_free or, once no
 * policy names it, by the next garbage collection. */
int bg_state_ring_create(struct bg_state *s, __u32 *slot, int *ring_fd);
void bg_state_ring_free(struct bg_state *s, __u32 slot);

/* Is the pinned event ring still the one this state holds open? */
bool bg_state_is_current(const struct bg_state *s);

#endif
