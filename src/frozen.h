/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Frozen bind programs (bpf/bindguard.bpf.c, bg_frozen): the bind4 and bind6
 * programs loaded once per policy key (bg_policy_frozen_key) with the key as
 * their read-only data, pinned as <pins>/frozen/<hash>-bind4 and -bind6.
 * control.c points a link at them when every policy at and below its cgroup
 * has that key; they are kept while a policy in force has it.
 */
#ifndef BG_FROZEN_H
#define BG_FROZEN_H

#include <stdbool.h>
#include "state.h"

/* The pair for key: the pinned one when it carries exactly key, else newly
 * loaded and pinned. fds[] owned by the caller. 0, or -errno: -ENOSPC when
 * BG_MAX_FROZEN pairs are pinned already. */
int bg_frozen_get(struct bg_state *s, const struct bg_policy *key, int fds[2]);

/* Unpin the pairs whose key is none of keys[0..n) (all of them for n 0).
 * Links still running one keep it until they are switched. */
void bg_frozen_gc(struct bg_state *s, const struct bg_policy *keys, int n);

/* Is program id one of the pinned frozen programs? */
bool bg_frozen_pinned(const struct bg_state *s, __u32 prog_id);

#endif
