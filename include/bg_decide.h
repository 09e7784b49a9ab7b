/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The decision logic, shared word for word by the BPF programs and the unit
 * tests: no libc, no helpers, only the types of bindguard.h. The BPF side adds
 * the map lookups; everything that can be decided from values alone is here.
 */
#ifndef BG_DECIDE_H
#define BG_DECIDE_H

/* Inlined into every caller: in BPF, clang would otherwise make a function
 * used twice a BPF-to-BPF call, on the hot path. */
#define BG_INLINE static inline __attribute__((always_inline))

#include "bindguard.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BG_HTONL(x) __builtin_bswap32(x)
#else
#define BG_HTONL(x) (x)
#endif

/* Socket types and protocols without pulling libc or vmlinux enums in. */
#define BG_SOCK_STREAM	   1
#define BG_SOCK_DGRAM	   2
#define BG_SOCK_RAW_TYPE   3
#define BG_IPPROTO_ICMP	   1
#define BG_IPPROTO_TCP	   6
#define BG_IPPROTO_UDP	   17
#define BG_IPPROTO_ICMPV6  58
#define BG_IPPROTO_UDPLITE 136
#define BG_IPPROTO_MPTCP   262

/*
 * Classify an address given as four network-order 32-bit words (IPv4 as
 * ::ffff:a.b.c.d). The wildcard has three spellings that reach the hooks:
 * 0.0.0.0 (bind4, also AF_UNSPEC), :: and ::ffff:0.0.0.0 (bind6). Loopback is
 * 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. Anything else, including the
 * deprecated IPv4-compatible ::a.b.c.d, is a specific non-loopback address.
 */
BG_INLINE int bg_addr_class(const __u32 w[4])
{
	if (w[0] != 0 || w[1] != 0)
		return BG_ADDR_OTHER;
	if (w[2] == 0) {
		if (w[3] == 0)
			return BG_ADDR_WILDCARD;
		return w[3] == BG_HTONL(1) ? BG_ADDR_LOOPBACK : BG_ADDR_OTHER;
	}
	if (w[2] != BG_HTONL(0xffff))
		return BG_ADDR_OTHER;
	if (w[3] == 0)
		return BG_ADDR_WILDCARD;
	if ((w[3] & BG_HTONL(0xff000000)) == BG_HTONL(0x7f000000))
		return BG_ADDR_LOOPBACK;
	return BG_ADDR_OTHER;
}

/* What the preset alone says about an address class: BG_REASON_NONE allows,
 * anything else names why it refuses. An unknown preset refuses (fail closed). */
BG_INLINE int bg_preset_reason(int preset, int addr_class)
{
	if (addr_class == BG_ADDR_WILDCARD)
		return BG_REASON_WILDCARD;
	if (preset == BG_PRESET_DENY_WILDCARD)
		return BG_REASON_NONE;
	if (preset == BG_PRESET_LOOPBACK_ONLY && addr_class == BG_ADDR_LOOPBACK)
		return BG_REASON_NONE;
	return BG_REASON_NOT_LOOPBACK;
}

/* Loopback is admitted by every preset, and never rewritten, audited or
 * excepted: the bind programs allow it before reading any map (the common
 * allow path). A new preset that refuses loopback must change this. */
BG_INLINE int bg_always_allowed(int addr_class)
{
	return addr_class == BG_ADDR_LOOPBACK;
}

BG_INLINE int bg_proto_bit(__u32 sock_type)
{
	if (sock_type == BG_SOCK_STREAM)
		return BG_PROTO_TCP;
	if (sock_type == BG_SOCK_DGRAM)
		return BG_PROTO_UDP;
	return BG_PROTO_OTHER;
}

/*
 * Which inet sockets the bind hooks see: TCP and MPTCP streams, UDP and
 * UDP-Lite datagrams (an allowlist: DCCP, gone from Linux 6.16, is left
 * out rather than trusted unchecked). Every other kind binds by code of its own that runs no
 * cgroup hook: raw sockets, ICMP ping sockets, and any other protocol (SCTP,
 * L2TP/IP, and whatever a kernel adds: unknown is treated as unseen).
 */
enum bg_sock_kind {
	BG_KIND_BINDS = 0,
	BG_KIND_RAW = 1,
	BG_KIND_PING = 2,
	BG_KIND_OTHER = 3,
};

BG_INLINE int bg_sock_kind(__u32 type, __u32 protocol)
{
	if (type == BG_SOCK_RAW_TYPE)
		return BG_KIND_RAW;
	if (type == BG_SOCK_STREAM && (protocol == BG_IPPROTO_TCP || protocol == BG_IPPROTO_MPTCP))
		return BG_KIND_BINDS;
	if (type == BG_SOCK_DGRAM && (protocol == BG_IPPROTO_UDP || protocol == BG_IPPROTO_UDPLITE))
		return BG_KIND_BINDS;
	if (type == BG_SOCK_DGRAM && (protocol == BG_IPPROTO_ICMP || protocol == BG_IPPROTO_ICMPV6))
		return BG_KIND_PING;
	return BG_KIND_OTHER;
}

/* What policy p says of creating a socket of kind: BG_REASON_NONE allows,
 * else why it does not. A ping socket is then tied to lo (confined), any
 * other kind refused; the mode decides as for binds (bg_refusal_verdict). */
BG_INLINE int bg_create_reason(const struct bg_policy *p, int kind)
{
	if (kind == BG_KIND_RAW && (p->flags & BG_F_RAW_DENY))
		return BG_REASON_RAW;
	if (kind == BG_KIND_PING && !(p->flags & BG_F_PING_ALLOW))
		return BG_REASON_PING;
	if (kind == BG_KIND_OTHER && !(p->flags & BG_F_OTHER_ALLOW))
		return BG_REASON_OWN_BIND;
	return BG_REASON_NONE;
}

/*
 * A packet that came in over another interface than lo, to a socket of p's
 * cgroup that is neither connected nor an established connection (those
 * leave before this): why p refuses it, BG_REASON_NONE admits. addr_reason
 * is what p says of the socket's local address (address_reason: preset and
 * exceptions). The backstop behind the hooks that run earlier: a loopback
 * address never hears the network (route_localnet routes 127.0.0.0/8 in);
 * any other address as at bind(), except a UDP socket on the wildcard whose
 * autobind cgroup/sendmsg saw and admitted (--udp-autobind audit or allow:
 * admitted_autobind), unless the policy now says deny. A socket autobound by
 * a send that failed before that hook was admitted by nothing: refused. Raw
 * sockets and other own-bind protocols exist only where p lets them
 * (cgroup/sock_create): admitted; ping sockets as --ping says.
 */
BG_INLINE int bg_receive_reason(const struct bg_policy *p, int kind, __u32 sock_type, int cls,
				int addr_reason, int admitted_autobind)
{
	if (kind == BG_KIND_RAW || kind == BG_KIND_OTHER)
		return BG_REASON_NONE;
	if (kind == BG_KIND_PING && (p->flags & BG_F_PING_ALLOW))
		return BG_REASON_NONE;
	if (kind == BG_KIND_BINDS && !(p->proto_mask & bg_proto_bit(sock_type)))
		return BG_REASON_NONE;
	if (cls == BG_ADDR_LOOPBACK)
		return BG_REASON_LOOPBACK_NET;
	if (kind == BG_KIND_BINDS && sock_type == BG_SOCK_DGRAM && admitted_autobind &&
	    addr_reason == BG_REASON_WILDCARD && !(p->flags & BG_F_UDP_DENY))
		return BG_REASON_NONE;
	return addr_reason;
}

/* Does a range admit port? An unused range (lo 1, hi 0) admits none. */
BG_INLINE int bg_range_has(const struct bg_port_range *r, __u16 port)
{
	return port >= r->lo && port <= r->hi;
}

/* Does an exception entry's port list admit port? */
BG_INLINE int bg_ports_match(const struct bg_rule_val *v, __u16 port)
{
	__u32 n = v->nranges;

	for (__u32 i = 0; i < BG_MAX_PORT_RANGES; i++) {
		if (i >= n)
			break;
		if (bg_range_has(&v->r[i], port))
			return 1;
	}
	return 0;
}

/*
 * One bind's decision, in the order the bind programs take it:
 *
 *   1. bg_bind_reason: a loopback address is allowed before anything is
 *      read; no governing policy (p NULL) or a socket type the policy does
 *      not cover allows; else the preset's reason (BG_REASON_NONE allows).
 *   2. A refused address asks the exceptions: the policy's ruleset (0: it
 *      has none) and the address are looked up once in the exceptions trie;
 *      bg_excepted says whether the entry found (NULL: none) admits port.
 *   3. bg_refusal_verdict: what the policy's mode makes of a refusal.
 *
 * bg_bind_verdict composes the three over a lookup already made; the unit
 * tests decide with it, the programs take the steps themselves so that the
 * lookup is made only when step 1 refuses.
 */
BG_INLINE int bg_bind_reason(const struct bg_policy *p, int cls, __u32 sock_type)
{
	if (bg_always_allowed(cls) || !p || !(p->proto_mask & bg_proto_bit(sock_type)))
		return BG_REASON_NONE;
	return bg_preset_reason(p->preset, cls);
}

BG_INLINE int bg_excepted(const struct bg_rule_val *v, __u16 port)
{
	return v && bg_ports_match(v, port);
}

/* can_rewrite: the rewrite to loopback could be made (not for AF_UNSPEC,
 * nor when the kernel refuses the device binding). An unknown mode denies. */
BG_INLINE int bg_refusal_verdict(const struct bg_policy *p, int reason, int can_rewrite)
{
	if (p->mode == BG_MODE_AUDIT)
		return BG_VERDICT_AUDIT;
	if (p->mode == BG_MODE_REWRITE && reason == BG_REASON_WILDCARD && can_rewrite)
		return BG_VERDICT_REWRITE;
	return BG_VERDICT_DENY;
}

/* The verdict on a bind of address w, port, socket type sock_type under p
 * (NULL: no policy), where v is what the lookup of (p->ruleset, w) found. */
BG_INLINE int bg_bind_verdict(const struct bg_policy *p, const __u32 w[4], __u32 sock_type,
			      __u16 port, const struct bg_rule_val *v, int can_rewrite)
{
	int reason = bg_bind_reason(p, bg_addr_class(w), sock_type);

	if (reason == BG_REASON_NONE || (p->ruleset && bg_excepted(v, port)))
		return BG_VERDICT_ALLOW;
	return bg_refusal_verdict(p, reason, can_rewrite);
}

#endif /* BG_DECIDE_H */
