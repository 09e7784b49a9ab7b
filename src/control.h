/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Policy changes: apply and detach, each one change over one snapshot of
 * the policy set (snapshot.h). The full pass (gc.h) reads every policy's
 * cgroup path and every link pin, collects garbage first and lays out all
 * the links (links.h); it runs when due (bg_full_pass_due), when removed
 * cgroups may hold the slots an apply needs, and after a failed switch.
 * Otherwise the fast path reads the policies alone and changes only the
 * links around the named cgroups (topology.h: bg_top_most_apply/detach),
 * which gives the same links when they were laid out right before.
 *
 * The switch point of a change is the policy map update of each cgroup. New
 * links go in before it (inert until the map names their cgroup), surplus
 * links come out after it, and a failure puts back the cgroups already
 * switched. Each cgroup is always under its old or its new policy, never a
 * mix of the two; a command killed half-way may leave some cgroups switched
 * and others not, plus inert links and rules that the next full pass removes.
 */
#ifndef BG_CONTROL_H
#define BG_CONTROL_H

#include "cgroup.h"
#include "policy.h"
#include "state.h"

/* Apply (or atomically replace) the policy of cgroup cg. Exit code. */
int bg_state_apply(struct bg_state *s, const struct bg_cgroup *cg,
		   const struct bg_policy_spec *spec);

/* The same policy on k cgroups in one change: all of them get it, or (on
 * any error) none does and the old policies stay. The caller makes sure no
 * cgroup is named twice. Exit code. */
int bg_state_apply_many(struct bg_state *s, const struct bg_cgroup *cgs, int k,
			const struct bg_policy_spec *spec);

/* Remove the policy of cgroup id and every trace of it. Exit code; 1 with a
 * message if the cgroup has no policy. */
int bg_state_detach(struct bg_state *s, __u64 cgid, const char *shown);

/* The same for k cgroups, none named twice: all or none; 1 with a message
 * naming the first cgroup without a policy, before anything changes. */
int bg_state_detach_many(struct bg_state *s, const struct bg_cgroup *cgs, int k);

#endif
