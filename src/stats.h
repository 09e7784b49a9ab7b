/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The per-CPU counters (bg_stats): one slot per policy, slot 0 global. */
#ifndef BG_STATS_H
#define BG_STATS_H

#include "state.h"

/* Sum of the per-CPU counters of a stats slot. */
int bg_state_stats(const struct bg_state *s, __u32 slot, struct bg_stats *out);

/* Zero a slot on every CPU (a new policy's). 0 or -errno. */
int bg_zero_stats(const struct bg_state *s, __u32 slot);

/* How many cgroups this state can police: one per slot of the per-CPU
 * counters, less the reserved slot 0 (see bg_stats_slots()). */
int bg_state_max_policies(const struct bg_state *s);

#endif
