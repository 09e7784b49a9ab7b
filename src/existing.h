/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a policy says of a socket that was bound before it arrived. Pure. */
#ifndef BG_EXISTING_H
#define BG_EXISTING_H

#include <stdbool.h>
#include "bindguard.h"
#include "diag.h"

/*
 * The verdict of policy p (NULL: none governs) on socket s: the verdict a
 * bind of s's address and port would get now (bg_bind_verdict), except that
 * a socket tied to the loopback device hears only this machine and is
 * allowed, and a raw socket is refused under --raw deny. v is what the
 * exceptions lookup of (p->ruleset, s->addr) found (NULL: nothing). *reason
 * gets why its address is refused (BG_REASON_NONE when allowed).
 */
int bg_existing_verdict(const struct bg_policy *p, const struct bg_sock *s,
			const struct bg_rule_val *v, __u8 *reason);

/* A verdict that leaves the socket exposed against the policy's wish:
 * deny, rewrite (it would have gone to loopback), audit (reported only). */
static inline bool bg_verdict_refuses(int verdict)
{
	return verdict == BG_VERDICT_DENY || verdict == BG_VERDICT_REWRITE ||
	       verdict == BG_VERDICT_AUDIT;
}

/* What --close-existing closes: the refusals of an enforcing policy. */
static inline bool bg_verdict_closes(int verdict)
{
	return verdict == BG_VERDICT_DENY || verdict == BG_VERDICT_REWRITE;
}

#endif
