/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Garbage collection, the full pass over the state: what removed cgroups,
 * finished or killed runs and killed commands left behind (policies,
 * links, rules, run cgroups, ring slots). It runs at the start of status,
 * events and run, and of a change when one is due (bg_full_pass_due); the
 * other changes take the fast path, which reads no cgroup paths and no pins
 * (control.c).
 */
#ifndef BG_GC_H
#define BG_GC_H

#include "snapshot.h"
#include "state.h"

/* Forget the policies of removed cgroups and of finished runs, and what
 * killed commands left behind. The snapshot keeps the live policies. 0 or
 * an exit code after printing why. */
int bg_gc(struct bg_state *s, struct bg_snap *sn);

/* The same from a fresh snapshot, then the links that follow: forget
 * policies of removed cgroups and drop defunct links. Exit code. */
int bg_state_gc(struct bg_state *s);

/* A change takes the full pass when the last one is BG_FULL_PASS_S old or
 * more (or unknown: new or upgraded state), or when the environment sets
 * BG_FULL_PASS (tests). */
#define BG_FULL_PASS_S 30
bool bg_full_pass_due(const struct bg_state *s);
/* Note a full pass as done now. */
void bg_full_pass_done(struct bg_state *s);

#endif
