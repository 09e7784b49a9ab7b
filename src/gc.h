/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Garbage collection, at the start of every change and of status, events
 * and run: what removed cgroups, finished or killed runs and killed
 * commands left behind (policies, links, rules, run cgroups, ring slots).
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

#endif
