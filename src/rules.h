/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Exceptions: each apply writes its rules under a fresh ruleset id, the
 * compiled entries into the bg_rules trie and the rules as written into
 * bg_rule_src, before the policy naming the ruleset is stored; rulesets no
 * policy names are removed after.
 */
#ifndef BG_RULES_H
#define BG_RULES_H

#include <stddef.h>
#include "policy.h"
#include "snapshot.h"
#include "state.h"

/* A ruleset and its rule count. */
struct bg_ruleset {
	__u32 ruleset;
	__u32 nrules;
};

/* Write the exceptions of spec under a fresh ruleset id (*ruleset; 0 when
 * it has none): the compiled entries into the trie, the rules as written
 * into bg_rule_src. On failure the caller removes what was written. 0 or an
 * exit code after printing why. */
int bg_write_rules(struct bg_state *s, const struct bg_policy_spec *spec, __u32 *ruleset);

/* Remove rule entries whose ruleset neither a policy of the snapshot nor
 * keep uses (left by a command killed between writing rules and switching
 * the policy, by a failed change, or no longer used after one). */
void bg_gc_rulesets(struct bg_state *s, const struct bg_snap *sn, struct bg_ruleset keep);

/* After loading this build's programs over an earlier build's state: compile
 * every policy's exceptions again, from its source rules, into the trie (an
 * earlier build kept some only in the policy or in other maps). The
 * policies themselves are left as they are: the old programs, still linked
 * until the caller re-points the links, read their old bytes, which this
 * build ignores. 0, or an exit code after printing why. */
int bg_state_rebuild_rules(struct bg_state *s);

/* Read back the exceptions of a policy. Returns the count or -errno. */
int bg_state_rules(const struct bg_state *s, const struct bg_policy *p, struct bg_rule_src *out,
		   size_t max);

#endif
