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

/* SOCK_STREAM and SOCK_DGRAM without pulling libc or vmlinux enums in. */
#define BG_SOCK_STREAM 1
#define BG_SOCK_DGRAM  2

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

/* Does a range admit port? An unused range (lo 1, hi 0) admits none. */
BG_INLINE int bg_range_has(const struct bg_port_range *r, __u16 port)
{
	return port >= r->lo && port <= r->hi;
}

/* Does either of the BG_INLINE_RANGES ranges carried for one address (in
 * the policy or the rule table) admit port? */
BG_INLINE int bg_pair_has(const struct bg_port_range r[BG_INLINE_RANGES], __u16 port)
{
	return bg_range_has(&r[0], port) || bg_range_has(&r[1], port);
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

/* What the policy itself says of address w, of class cls (see
 * bg_policy.wild): 1 an exception admits the port, 0 none does, -1 the rule
 * table or maps must be asked. Only the wildcards are carried: their two
 * spellings differ in w[2] (::ffff:0.0.0.0 against ::). */
#define BG_INLINE_ASK_MAPS (-1)
BG_INLINE int bg_inline_decide(const struct bg_policy *p, const __u32 w[4], int cls, __u16 port)
{
	if (cls == BG_ADDR_WILDCARD) {
		int k = w[2] ? 0 : 1;

		if (p->inl_flags & (BG_INL_WILD4 << k))
			return bg_pair_has(p->wild[k], port);
	}
	return p->inl_flags & BG_INL_COMPLETE ? 0 : BG_INLINE_ASK_MAPS;
}

/* The rule table's bucket for an entry's tag and masked address a: the
 * words folded together, then Fibonacci hashing (one multiply, the top
 * bits). Keys that collide share a bucket of BG_TAB_WAYS; a ruleset meeting
 * a full bucket is served by the maps instead. */
BG_INLINE __u32 bg_tab_hash(__u64 tag, const __u64 a[2])
{
	__u64 x = tag ^ a[0] ^ a[1];

	return ((__u32)x ^ (__u32)(x >> 32)) * 0x9e3779b1u >> (32 - BG_TAB_BITS);
}

/*
 * BG_TAB_DECIDE(name, bucket_of) defines the rule-table decision
 * int name(const struct bg_policy *p, const __u32 w[4], __u16 port): one
 * bucket per prefix length the policy lists (p->tab, longest first), found
 * by bucket_of(index) (the programs' global array; the unit tests' array),
 * never NULL; the first entry with the length's tag and the masked address
 * is the longest match and decides. Compared as three 64-bit words. A
 * macro because BPF has no function pointers: the programs and the tests
 * run this same code.
 */
#define BG_TAB_DECIDE(name, bucket_of)                                                             \
	BG_INLINE int name(const struct bg_policy *p, const __u32 w[4], __u16 port)                \
	{                                                                                          \
		__u64 v[2];                                                                        \
                                                                                                   \
		__builtin_memcpy(v, w, sizeof(v));                                                 \
		for (__u32 i = 0; i < BG_TAB_LENS; i++) {                                          \
			const struct bg_tab_len *l = &p->tab[i];                                   \
			const struct bg_tab_bucket *b;                                             \
			__u64 a[2] = { v[0] & l->mask[0], v[1] & l->mask[1] };                     \
                                                                                                   \
			if (i >= p->ntab)                                                          \
				break;                                                             \
			b = bucket_of(bg_tab_hash(l->tag, a));                                     \
			for (int k = 0; k < BG_TAB_WAYS; k++) {                                    \
				const struct bg_tab_ent *e = &b->e[k];                             \
                                                                                                   \
				if (e->tag == l->tag && e->addr[0] == a[0] && e->addr[1] == a[1])  \
					return bg_pair_has(e->r, port);                            \
			}                                                                          \
		}                                                                                  \
		return 0;                                                                          \
	}

#endif /* BG_DECIDE_H */
