// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The decision logic the BPF programs run (include/bg_decide.h), word for word. */
#include "addr.h"
#include "bg_decide.h"
#include "unit.h"

static int class_of(const char *text)
{
	__u8 a[16];
	__u32 w[4];

	if (bg_addr_parse4(text, a) && bg_addr_parse6(text, a))
		return -1;
	bg_addr_words(a, w);
	return bg_addr_class(w);
}

TEST(address_classes)
{
	CHECK(class_of("0.0.0.0") == BG_ADDR_WILDCARD);
	CHECK(class_of("::") == BG_ADDR_WILDCARD);
	CHECK(class_of("::ffff:0.0.0.0") == BG_ADDR_WILDCARD);
	CHECK(class_of("127.0.0.1") == BG_ADDR_LOOPBACK);
	CHECK(class_of("127.0.0.0") == BG_ADDR_LOOPBACK);
	CHECK(class_of("127.255.255.254") == BG_ADDR_LOOPBACK);
	CHECK(class_of("::1") == BG_ADDR_LOOPBACK);
	CHECK(class_of("::ffff:127.0.0.1") == BG_ADDR_LOOPBACK);
	CHECK(class_of("::ffff:127.9.8.7") == BG_ADDR_LOOPBACK);
	/* Not loopback, not wildcard. */
	CHECK(class_of("::127.0.0.1") == BG_ADDR_OTHER); /* IPv4-compatible, deprecated */
	CHECK(class_of("128.0.0.1") == BG_ADDR_OTHER);
	CHECK(class_of("126.255.255.255") == BG_ADDR_OTHER);
	CHECK(class_of("10.1.2.3") == BG_ADDR_OTHER);
	CHECK(class_of("::ffff:128.0.0.1") == BG_ADDR_OTHER);
	CHECK(class_of("::ffff:10.1.2.3") == BG_ADDR_OTHER);
	CHECK(class_of("fe80::1") == BG_ADDR_OTHER);
	CHECK(class_of("::2") == BG_ADDR_OTHER);
	CHECK(class_of("::fffe:0.0.0.0") == BG_ADDR_OTHER);
	CHECK(class_of("1::") == BG_ADDR_OTHER);
	CHECK(class_of("::1:0:0:0") == BG_ADDR_OTHER);
	CHECK(class_of("255.255.255.255") == BG_ADDR_OTHER);
}

TEST(preset_reasons)
{
	CHECK(bg_preset_reason(BG_PRESET_LOOPBACK_ONLY, BG_ADDR_LOOPBACK) == BG_REASON_NONE);
	CHECK(bg_preset_reason(BG_PRESET_LOOPBACK_ONLY, BG_ADDR_WILDCARD) == BG_REASON_WILDCARD);
	CHECK(bg_preset_reason(BG_PRESET_LOOPBACK_ONLY, BG_ADDR_OTHER) == BG_REASON_NOT_LOOPBACK);
	CHECK(bg_preset_reason(BG_PRESET_DENY_WILDCARD, BG_ADDR_LOOPBACK) == BG_REASON_NONE);
	CHECK(bg_preset_reason(BG_PRESET_DENY_WILDCARD, BG_ADDR_OTHER) == BG_REASON_NONE);
	/* The bind programs' fast path: every preset admits loopback. */
	for (int preset = BG_PRESET_LOOPBACK_ONLY; preset <= BG_PRESET_DENY_WILDCARD; preset++)
		CHECK(bg_preset_reason(preset, BG_ADDR_LOOPBACK) == BG_REASON_NONE);
	{
		__u32 lo4[4] = { 0, 0, BG_HTONL(0xffff), BG_HTONL(0x7f000005) };
		__u32 lo6[4] = { 0, 0, 0, BG_HTONL(1) };
		__u32 any[4] = { 0, 0, 0, 0 };
		__u32 other[4] = { 0, 0, BG_HTONL(0xffff), BG_HTONL(0x0a000001) };

		CHECK(bg_always_allowed(bg_addr_class(lo4)) &&
		      bg_always_allowed(bg_addr_class(lo6)));
		CHECK(!bg_always_allowed(bg_addr_class(any)) &&
		      !bg_always_allowed(bg_addr_class(other)));
	}
	CHECK(bg_preset_reason(BG_PRESET_DENY_WILDCARD, BG_ADDR_WILDCARD) == BG_REASON_WILDCARD);
	/* An unknown preset (corrupt map value) refuses everything but loopback... */
	CHECK(bg_preset_reason(BG_PRESET_NONE, BG_ADDR_OTHER) != BG_REASON_NONE);
	CHECK(bg_preset_reason(99, BG_ADDR_OTHER) != BG_REASON_NONE);
	/* ...and loopback too: fail closed. */
	CHECK(bg_preset_reason(99, BG_ADDR_LOOPBACK) != BG_REASON_NONE);
	CHECK(bg_preset_reason(99, BG_ADDR_WILDCARD) != BG_REASON_NONE);
}

TEST(proto_bits)
{
	CHECK(bg_proto_bit(BG_SOCK_STREAM) == BG_PROTO_TCP);
	CHECK(bg_proto_bit(BG_SOCK_DGRAM) == BG_PROTO_UDP);
	CHECK(bg_proto_bit(3) == BG_PROTO_OTHER);
	CHECK(bg_proto_bit(5) == BG_PROTO_OTHER);
	CHECK((BG_PROTO_ALL & BG_PROTO_OTHER) != 0);
}

TEST(port_ranges)
{
	struct bg_rule_val v = { .nranges = 2, .r = { { 80, 80 }, { 8000, 8099 } } };
	struct bg_rule_val full = { .nranges = BG_MAX_PORT_RANGES };

	CHECK(bg_ports_match(&v, 80));
	CHECK(bg_ports_match(&v, 8000));
	CHECK(bg_ports_match(&v, 8099));
	CHECK(!bg_ports_match(&v, 81));
	CHECK(!bg_ports_match(&v, 0));
	CHECK(!bg_ports_match(&v, 8100));
	v.nranges = 0;
	CHECK(!bg_ports_match(&v, 80));
	for (int i = 0; i < BG_MAX_PORT_RANGES; i++)
		full.r[i].lo = full.r[i].hi = (__u16)(1000 + i);
	CHECK(bg_ports_match(&full, 1000 + BG_MAX_PORT_RANGES - 1));
	/* A count past the array (corrupt value) must not read beyond it. */
	full.nranges = 1000;
	CHECK(!bg_ports_match(&full, 5));
}

TEST(sock_kinds_and_creation)
{
	struct bg_policy p = { .preset = BG_PRESET_LOOPBACK_ONLY };

	CHECK(bg_sock_kind(BG_SOCK_STREAM, BG_IPPROTO_TCP) == BG_KIND_BINDS);
	CHECK(bg_sock_kind(BG_SOCK_STREAM, BG_IPPROTO_MPTCP) == BG_KIND_BINDS);
	CHECK(bg_sock_kind(BG_SOCK_DGRAM, BG_IPPROTO_UDP) == BG_KIND_BINDS);
	CHECK(bg_sock_kind(BG_SOCK_DGRAM, BG_IPPROTO_UDPLITE) == BG_KIND_BINDS);
	CHECK(bg_sock_kind(6, 33) == BG_KIND_OTHER); /* DCCP: not on the allowlist */
	CHECK(bg_sock_kind(BG_SOCK_RAW_TYPE, BG_IPPROTO_TCP) == BG_KIND_RAW);
	CHECK(bg_sock_kind(BG_SOCK_DGRAM, BG_IPPROTO_ICMP) == BG_KIND_PING);
	CHECK(bg_sock_kind(BG_SOCK_DGRAM, BG_IPPROTO_ICMPV6) == BG_KIND_PING);
	/* SCTP (132) as stream and seqpacket, L2TP/IP (115), anything unknown. */
	CHECK(bg_sock_kind(BG_SOCK_STREAM, 132) == BG_KIND_OTHER);
	CHECK(bg_sock_kind(5, 132) == BG_KIND_OTHER);
	CHECK(bg_sock_kind(BG_SOCK_DGRAM, 115) == BG_KIND_OTHER);
	CHECK(bg_sock_kind(BG_SOCK_STREAM, BG_IPPROTO_UDP) == BG_KIND_OTHER);
	CHECK(bg_sock_kind(BG_SOCK_DGRAM, BG_IPPROTO_TCP) == BG_KIND_OTHER);
	CHECK(bg_sock_kind(BG_SOCK_STREAM, 256) == BG_KIND_OTHER);

	/* Safe by default: a policy with no flags confines ping, refuses others. */
	CHECK(bg_create_reason(&p, BG_KIND_BINDS) == BG_REASON_NONE);
	CHECK(bg_create_reason(&p, BG_KIND_RAW) == BG_REASON_NONE);
	CHECK(bg_create_reason(&p, BG_KIND_PING) == BG_REASON_PING);
	CHECK(bg_create_reason(&p, BG_KIND_OTHER) == BG_REASON_OWN_BIND);
	p.flags = BG_F_RAW_DENY | BG_F_PING_ALLOW | BG_F_OTHER_ALLOW;
	CHECK(bg_create_reason(&p, BG_KIND_RAW) == BG_REASON_RAW);
	CHECK(bg_create_reason(&p, BG_KIND_PING) == BG_REASON_NONE);
	CHECK(bg_create_reason(&p, BG_KIND_OTHER) == BG_REASON_NONE);
}

/* The backstop: what a packet from another interface may reach. */
TEST(receive_reasons)
{
	struct bg_policy p = { .preset = BG_PRESET_LOOPBACK_ONLY, .proto_mask = BG_PROTO_ALL };
	const int B = BG_KIND_BINDS, S = BG_SOCK_STREAM, D = BG_SOCK_DGRAM;
	const int W = BG_REASON_WILDCARD, N = BG_REASON_NONE;

	/* A loopback address never hears the network (route_localnet), under
	 * both presets, whatever exceptions say. */
	CHECK(bg_receive_reason(&p, B, S, BG_ADDR_LOOPBACK, N, 0) == BG_REASON_LOOPBACK_NET);
	CHECK(bg_receive_reason(&p, B, D, BG_ADDR_LOOPBACK, N, 1) == BG_REASON_LOOPBACK_NET);
	p.preset = BG_PRESET_DENY_WILDCARD;
	CHECK(bg_receive_reason(&p, B, S, BG_ADDR_LOOPBACK, N, 0) == BG_REASON_LOOPBACK_NET);
	p.preset = BG_PRESET_LOOPBACK_ONLY;
	/* Other addresses as bind() judged them (preset, exceptions). */
	CHECK(bg_receive_reason(&p, B, S, BG_ADDR_WILDCARD, W, 0) == W);
	CHECK(bg_receive_reason(&p, B, S, BG_ADDR_WILDCARD, W, 1) == W); /* a listen() autobind */
	CHECK(bg_receive_reason(&p, B, S, BG_ADDR_OTHER, BG_REASON_NOT_LOOPBACK, 0) ==
	      BG_REASON_NOT_LOOPBACK);
	CHECK(bg_receive_reason(&p, B, S, BG_ADDR_WILDCARD, N, 0) == N); /* an exception */
	/* A UDP autobind on the wildcard: as --udp-autobind says; a bound port is
	 * judged as its bind. */
	CHECK(bg_receive_reason(&p, B, D, BG_ADDR_WILDCARD, W, 1) == N); /* default: audit */
	CHECK(bg_receive_reason(&p, B, D, BG_ADDR_WILDCARD, W, 0) == W);
	p.flags = BG_F_UDP_DENY;
	CHECK(bg_receive_reason(&p, B, D, BG_ADDR_WILDCARD, W, 1) == W);
	p.flags = 0;
	/* A protocol the policy does not cover, raw and other own-bind sockets
	 * (they exist only where the policy lets them), ping as --ping says. */
	p.proto_mask = BG_PROTO_TCP;
	CHECK(bg_receive_reason(&p, B, D, BG_ADDR_WILDCARD, W, 0) == N);
	CHECK(bg_receive_reason(&p, B, D, BG_ADDR_LOOPBACK, N, 0) == N);
	p.proto_mask = BG_PROTO_ALL;
	CHECK(bg_receive_reason(&p, BG_KIND_RAW, 3, BG_ADDR_WILDCARD, W, 1) == N);
	CHECK(bg_receive_reason(&p, BG_KIND_OTHER, S, BG_ADDR_WILDCARD, W, 0) == N);
	CHECK(bg_receive_reason(&p, BG_KIND_PING, D, BG_ADDR_WILDCARD, W, 1) == W);
	p.flags = BG_F_PING_ALLOW;
	CHECK(bg_receive_reason(&p, BG_KIND_PING, D, BG_ADDR_WILDCARD, W, 1) == N);
}
