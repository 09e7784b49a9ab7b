// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <sys/socket.h>
#include "bg_decide.h"
#include "existing.h"

#define BG_LOOPBACK_IFINDEX 1 /* lo is 1 in every network namespace */

int bg_existing_verdict(const struct bg_policy *p, const struct bg_sock *s,
			const struct bg_rule_val *v, __u8 *reason)
{
	__u32 w[4];
	int why;

	*reason = BG_REASON_NONE;
	if (!p)
		return BG_VERDICT_ALLOW;
	if (s->type == SOCK_RAW) {
		if (!(p->flags & BG_F_RAW_DENY))
			return BG_VERDICT_ALLOW;
		*reason = BG_REASON_RAW;
		return p->mode == BG_MODE_AUDIT ? BG_VERDICT_AUDIT : BG_VERDICT_DENY;
	}
	__builtin_memcpy(w, s->addr, sizeof(w));
	why = bg_bind_reason(p, bg_addr_class(w), s->type);
	if (why == BG_REASON_NONE || (p->ruleset && bg_excepted(v, s->port)))
		return BG_VERDICT_ALLOW;
	*reason = (__u8)why;
	/* Tied to lo: on a refused address, but it hears only this machine. */
	if (s->ifindex == BG_LOOPBACK_IFINDEX)
		return BG_VERDICT_CONFINE;
	/* A rewrite would have moved the bind to loopback; this socket is on
	 * the address the policy refuses all the same. */
	return bg_refusal_verdict(p, why, 1);
}
