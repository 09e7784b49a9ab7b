// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The --allow grammar, formatting, and compilation into LPM entries. */
#include <stdio.h>
#include <stdlib.h>
#include "bg_decide.h"
#include "addr.h"
#include "policy.h"
#include "unit.h"

static struct bg_rule_src parse_ok(const char *text)
{
	struct bg_rule_src r;
	char err[BG_ERRLEN] = "";

	if (bg_rule_parse(text, &r, err, sizeof(err))) {
		char m[512];

		snprintf(m, sizeof(m), "bg_rule_parse(\"%s\") failed: %s", text, err);
		unit_fail(__FILE__, __LINE__, m);
	}
	return r;
}

static void parse_bad(const char *text, const char *needle)
{
	struct bg_rule_src r;
	char err[BG_ERRLEN] = "", m[512];

	if (!bg_rule_parse(text, &r, err, sizeof(err))) {
		snprintf(m, sizeof(m), "bg_rule_parse(\"%s\") accepted", text);
		unit_fail(__FILE__, __LINE__, m);
	} else if (!strstr(err, needle) || strchr(err, '\n')) {
		snprintf(m, sizeof(m), "error for \"%s\": \"%s\" lacks \"%s\"", text, err, needle);
		unit_fail(__FILE__, __LINE__, m);
	}
}

static const char *fmt(const char *text)
{
	static char buf[128];
	struct bg_rule_src r = parse_ok(text);

	bg_rule_format(&r, buf, sizeof(buf));
	return buf;
}

TEST(rule_forms)
{
	struct bg_rule_src r;

	r = parse_ok("0.0.0.0:8080");
	CHECK(r.family == 4 && r.prefixlen == 128 && r.port_lo == 8080 && r.port_hi == 8080);
	CHECK(r.addr[10] == 0xff && r.addr[11] == 0xff && r.addr[15] == 0);
	r = parse_ok("10.1.2.3");
	CHECK(r.family == 4 && r.prefixlen == 128 && r.port_lo == 0 && r.port_hi == 65535);
	r = parse_ok("192.168.0.0/16:8000-8099");
	CHECK(r.prefixlen == 96 + 16 && r.port_lo == 8000 && r.port_hi == 8099);
	r = parse_ok("[::]:8080");
	CHECK(r.family == 6 && r.prefixlen == 128 && r.port_lo == 8080);
	r = parse_ok("[fd00::/8]");
	CHECK(r.family == 6 && r.prefixlen == 8 && r.addr[0] == 0xfd && r.port_hi == 65535);
	r = parse_ok("fd00::/8");
	CHECK(r.family == 6 && r.prefixlen == 8);
	r = parse_ok("::");
	CHECK(r.family == 6 && r.prefixlen == 128);
	r = parse_ok("*:8080");
	CHECK(r.family == 0 && r.prefixlen == 0 && r.port_lo == 8080);
	r = parse_ok("*");
	CHECK(r.family == 0 && r.port_lo == 0 && r.port_hi == 65535);
	r = parse_ok("0.0.0.0/0");
	CHECK(r.prefixlen == 96);
	r = parse_ok("1.2.3.4:0");
	CHECK(r.port_lo == 0 && r.port_hi == 0);
	r = parse_ok("1.2.3.4:0-65535");
	CHECK(r.port_lo == 0 && r.port_hi == 65535);
}

TEST(rule_rejects)
{
	parse_bad("", "empty");
	parse_bad("10.1.2.3/8", "host bits set; did you mean 10.0.0.0/8?");
	parse_bad("[fd00::1/8]", "did you mean [fd00::/8]?");
	parse_bad("1.2.3.4/33", "prefix length");
	parse_bad("1.2.3.4/", "prefix length");
	parse_bad("1.2.3.4/08", "prefix length");
	parse_bad("/8", "IPv4");
	parse_bad("300.1.1.1", "invalid IPv4 address");
	parse_bad("1.2.3", "invalid IPv4");
	parse_bad("1.2.3.4.5", "invalid IPv4");
	parse_bad("01.2.3.4", "invalid IPv4");
	parse_bad("1.2.3.4:70000", "invalid port");
	parse_bad("1.2.3.4:", "invalid port");
	parse_bad("1.2.3.4:-1", "port");
	parse_bad("1.2.3.4:+80", "invalid port");
	parse_bad("1.2.3.4:80-", "port range");
	parse_bad("1.2.3.4:90-80", "reversed");
	parse_bad("1.2.3.4:080", "invalid port");
	parse_bad("[::1", "missing ]");
	parse_bad("::1]:80", "unmatched ]");
	parse_bad("[::1]80", "expected :PORT");
	parse_bad("[1.2.3.4]", "invalid IPv6");
	parse_bad("[fe80::1%eth0]", "invalid IPv6");
	parse_bad("fe80::/129", "prefix length");
	parse_bad(" 1.2.3.4", "unexpected character");
	parse_bad("1.2.3.4 ", "unexpected character");
	parse_bad("*8080", "expected *");
	parse_bad("*:x", "invalid port");
	parse_bad("localhost", "invalid IPv4");
	char longer[200];

	memset(longer, '1', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	parse_bad(longer, "longer than");
}

TEST(rule_format_round_trip)
{
	const char *forms[] = {
		"0.0.0.0:8080",
		"10.1.2.3",
		"192.168.0.0/16:8000-8099",
		"[::]:8080",
		"[fd00::/8]",
		"*:8080",
		"*",
		"[::ffff:127.0.0.1]",
		"10.0.0.0/8:0",
		"[fe80::/10]:1-2",
		"0.0.0.0/0",
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct bg_rule_src a = parse_ok(forms[i]), b;

		CHECK_STR(fmt(forms[i]), forms[i]);
		b = parse_ok(fmt(forms[i]));
		CHECK(!memcmp(&a, &b, sizeof(a)));
	}
	CHECK_STR(fmt("fd00::/8"), "[fd00::/8]");
	CHECK_STR(fmt("1.2.3.4:0-65535"), "1.2.3.4");
}

TEST(spec_dedup_and_limit)
{
	static struct bg_policy_spec spec;
	char err[BG_ERRLEN], text[32];

	memset(&spec, 0, sizeof(spec));
	CHECK(!bg_spec_add_rule(&spec, "10.0.0.1", err, sizeof(err)));
	CHECK(!bg_spec_add_rule(&spec, "10.0.0.1", err, sizeof(err)));
	CHECK(spec.nrules == 1);
	for (int i = 1; spec.nrules < BG_MAX_RULES; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.%d", i / 65536, i / 256 % 256, i % 256);
		CHECK(!bg_spec_add_rule(&spec, text, err, sizeof(err)));
	}
	CHECK(bg_spec_add_rule(&spec, "11.0.0.1", err, sizeof(err)) == -1);
	CHECK(strstr(err, "more than") != NULL);
}

TEST(names_and_options)
{
	__u8 v;

	CHECK(!bg_proto_parse("tcp", &v) && v == BG_PROTO_TCP);
	CHECK(!bg_proto_parse("udp", &v) && v == BG_PROTO_UDP);
	CHECK(!bg_proto_parse("all", &v) && v == BG_PROTO_ALL);
	CHECK(!bg_proto_parse("TCP", &v) && v == BG_PROTO_TCP); /* values are case-insensitive */
	CHECK(bg_proto_parse("sctp", &v) == -1);
	CHECK(!bg_mode_parse("enforce", &v) && v == BG_MODE_ENFORCE);
	CHECK(!bg_mode_parse("audit", &v) && v == BG_MODE_AUDIT);
	CHECK(!bg_mode_parse("rewrite", &v) && v == BG_MODE_REWRITE);
	CHECK_STR(bg_mode_name(BG_MODE_REWRITE), "rewrite");
	CHECK_STR(bg_verdict_name(BG_VERDICT_REWRITE), "rewrite");
	CHECK(bg_mode_parse("aud", &v) == -1);
	CHECK_STR(bg_proto_name(BG_PROTO_ALL), "all");
	CHECK_STR(bg_preset_name(BG_PRESET_DENY_WILDCARD), "deny-wildcard");
	CHECK_STR(bg_preset_name(7), "unknown");
	CHECK_STR(bg_verdict_name(BG_VERDICT_CONFINE), "confine");
	CHECK_STR(bg_reason_name(BG_REASON_NOT_LOOPBACK), "not-loopback");
	CHECK_STR(bg_udp_autobind_name(BG_F_UDP_DENY), "deny");
	CHECK_STR(bg_udp_autobind_name(0), "allow");
	CHECK_STR(bg_raw_name(BG_F_RAW_DENY), "deny");
}

static int match(const struct bg_lpm_entry *e, int n, const char *addr, int port)
{
	__u8 a[16];

	if (bg_addr_parse4(addr, a) && bg_addr_parse6(addr, a))
		return -1;
	return bg_rules_match(e, (size_t)n, a, (__u16)port);
}

TEST(compile_merges_containing_prefixes)
{
	const char *texts[] = { "0.0.0.0/0:80", "10.0.0.0/8:8000-8099", "10.1.2.3",
				"10.0.0.0/8:8100" };
	struct bg_rule_src rules[4];
	struct bg_lpm_entry e[4];
	char err[BG_ERRLEN];
	int n;

	for (int i = 0; i < 4; i++)
		rules[i] = parse_ok(texts[i]);
	n = bg_rules_compile(rules, 4, 7, e, err, sizeof(err));
	CHECK(n == 3); /* 10.0.0.0/8 appears twice: one entry */
	for (int i = 0; i < n; i++)
		CHECK(e[i].key.ruleset == 7);
	CHECK(match(e, n, "10.1.2.3", 1) == 1);
	CHECK(match(e, n, "10.1.2.3", 0) == 1);
	CHECK(match(e, n, "10.2.0.0", 80) == 1);
	CHECK(match(e, n, "10.2.0.0", 8050) == 1);
	CHECK(match(e, n, "10.2.0.0", 8100) == 1);
	CHECK(match(e, n, "10.2.0.0", 81) == 0);
	CHECK(match(e, n, "11.0.0.1", 80) == 1);
	CHECK(match(e, n, "11.0.0.1", 8050) == 0);
	/* IPv4 rules do not reach native IPv6 addresses. */
	CHECK(match(e, n, "fd00::1", 80) == 0);
	/* 8000-8099 and 8100 are adjacent: merged into one range. */
	for (int i = 0; i < n; i++)
		if (e[i].key.prefixlen == 32 + 96 + 8)
			CHECK(e[i].val.nranges == 2 && e[i].val.r[1].lo == 8000 &&
			      e[i].val.r[1].hi == 8100);
}

TEST(compile_any_address)
{
	struct bg_rule_src rules[2] = { parse_ok("*:53"), parse_ok("[fd00::/8]:443") };
	struct bg_lpm_entry e[2];
	char err[BG_ERRLEN];
	int n = bg_rules_compile(rules, 2, 1, e, err, sizeof(err));

	CHECK(n == 2);
	CHECK(match(e, n, "0.0.0.0", 53) == 1);
	CHECK(match(e, n, "::", 53) == 1);
	CHECK(match(e, n, "fd00::5", 53) == 1);
	CHECK(match(e, n, "fd00::5", 443) == 1);
	CHECK(match(e, n, "fe00::5", 443) == 0);
}

TEST(compile_too_many_ranges)
{
	struct bg_rule_src rules[BG_MAX_PORT_RANGES + 1];
	struct bg_lpm_entry e[BG_MAX_PORT_RANGES + 1];
	char err[BG_ERRLEN], text[32];

	for (int i = 0; i <= BG_MAX_PORT_RANGES; i++) {
		snprintf(text, sizeof(text), "10.0.0.0/8:%d", 1000 + 2 * i);
		rules[i] = parse_ok(text);
	}
	CHECK(bg_rules_compile(rules, BG_MAX_PORT_RANGES, 1, e, err, sizeof(err)) == 1);
	CHECK(bg_rules_compile(rules, BG_MAX_PORT_RANGES + 1, 1, e, err, sizeof(err)) == -1);
	CHECK(strstr(err, "port ranges") != NULL);
}

TEST(addr_helpers)
{
	__u8 a[16];
	char buf[BG_ADDR_STRLEN];

	CHECK(!bg_addr_parse4("192.0.2.1", a));
	bg_addr_format(a, 4, buf, sizeof(buf));
	CHECK_STR(buf, "192.0.2.1");
	bg_addr_format(a, 6, buf, sizeof(buf));
	CHECK_STR(buf, "::ffff:192.0.2.1");
	CHECK(bg_addr_mask(a, 96 + 24) == 1);
	bg_addr_format(a, 4, buf, sizeof(buf));
	CHECK_STR(buf, "192.0.2.0");
	CHECK(bg_addr_mask(a, 96 + 24) == 0);
	CHECK(bg_addr_parse4("256.0.0.1", a) == -1);
	CHECK(bg_addr_parse6("fe80::1%1", a) == -1);
	CHECK(!bg_addr_parse6("2001:db8::1", a));
	CHECK(bg_addr_mask(a, 0) == 1);
	for (int i = 0; i < 16; i++)
		CHECK(a[i] == 0);
}

/* With 1,024 exceptions one lookup still decides: the longest prefix's
 * entry carries the ports of the "*" rule that contains it. */
TEST(one_lookup_whatever_the_rule_count)
{
	enum { N = 1024 };
	static struct bg_rule_src r[N];
	static struct bg_lpm_entry e[N];
	char err[BG_ERRLEN], text[64];
	__u8 a[16];
	int n;

	r[0] = parse_ok("*:1024-65535");
	for (int i = 1; i < N; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.0/24:8000-8099", i / 256, i % 256);
		r[i] = parse_ok(text);
	}
	n = bg_rules_compile(r, N, 1, e, err, sizeof(err));
	CHECK(n == N);
	CHECK(!bg_addr_parse4("0.0.0.0", a));
	CHECK(bg_rules_match(e, (size_t)n, a, 1024) && !bg_rules_match(e, (size_t)n, a, 1023));
	CHECK(!bg_addr_parse6("::", a));
	CHECK(bg_rules_match(e, (size_t)n, a, 65535) && !bg_rules_match(e, (size_t)n, a, 80));
	CHECK(!bg_addr_parse4("10.0.1.1", a)); /* a /24: its own ports and "*"'s */
	CHECK(bg_rules_lookup(e, (size_t)n, a)->nranges ==
	      1); /* 8000-8099 merged into 1024-65535 */
	CHECK(bg_rules_match(e, (size_t)n, a, 8000) && bg_rules_match(e, (size_t)n, a, 8100));
	CHECK(!bg_rules_match(e, (size_t)n, a, 80));
	CHECK(!bg_addr_parse4("11.0.0.1", a)); /* only "*" */
	CHECK(!bg_rules_match(e, (size_t)n, a, 80) && bg_rules_match(e, (size_t)n, a, 1024));
	r[0] = parse_ok("192.0.2.1:80"); /* now no rule covers the wildcards */
	n = bg_rules_compile(r, N, 1, e, err, sizeof(err));
	CHECK(!bg_addr_parse4("0.0.0.0", a));
	CHECK(bg_rules_lookup(e, (size_t)n, a) == NULL);
}

TEST(stats_slots_follow_the_cpu_count)
{
	CHECK(bg_stats_slots(1) == BG_MAX_POLICIES);
	CHECK(bg_stats_slots(2) == BG_MAX_POLICIES);
	CHECK(bg_stats_slots(0) == BG_MAX_POLICIES);
	/* 10,000 policies fit up to 59 CPUs. */
	CHECK(bg_stats_slots(59) > 10000);
	CHECK(bg_stats_slots(128) == BG_STATS_BUDGET / (56 * 128));
	CHECK(bg_stats_slots(1024) == BG_MIN_POLICY_SLOTS);
	for (int c = 1; c <= 4096; c *= 2)
		CHECK((__u64)bg_stats_slots(c) * 56 * c <= BG_STATS_BUDGET ||
		      bg_stats_slots(c) == BG_MIN_POLICY_SLOTS);
}

TEST(spec_check_before_the_kernel)
{
	struct bg_policy_spec spec;
	char err[BG_ERRLEN], text[32];

	memset(&spec, 0, sizeof(spec));
	spec.preset = BG_PRESET_LOOPBACK_ONLY;
	CHECK(bg_spec_check(&spec, err, sizeof(err)) == 0);
	for (int i = 0; i <= BG_MAX_PORT_RANGES; i++) {
		snprintf(text, sizeof(text), "10.0.0.0/8:%d", 1000 + 2 * i);
		CHECK(bg_spec_add_rule(&spec, text, err, sizeof(err)) == 0);
		CHECK(bg_spec_check(&spec, err, sizeof(err)) == (i < BG_MAX_PORT_RANGES ? 0 : -1));
	}
	CHECK(strstr(err, "port ranges") != NULL);
}

TEST(bare_ipv6_that_could_end_in_a_port_is_refused_with_both_spellings)
{
	struct bg_rule_src r;
	char err[BG_ERRLEN];

	CHECK(bg_rule_parse("fd00::2:80", &r, err, sizeof(err)) == -1);
	CHECK_STR(err, "\"fd00::2:80\" is ambiguous: write [fd00::2]:80 for port 80, or "
		       "[fd00::2:80] for that address on any port");
	CHECK(bg_rule_parse("[fd00::2]:80", &r, err, sizeof(err)) == 0 && r.port_lo == 80);
	CHECK(bg_rule_parse("[fd00::2:80]", &r, err, sizeof(err)) == 0 && r.port_hi == 65535);
	/* Only one reading parses: not ambiguous. */
	CHECK(bg_rule_parse("::1", &r, err, sizeof(err)) == 0);
	CHECK(bg_rule_parse("fe80::1", &r, err, sizeof(err)) == 0);
	CHECK(bg_rule_parse("fd00::/8", &r, err, sizeof(err)) == 0);
	CHECK(bg_rule_parse("fd00::2:abcd", &r, err, sizeof(err)) == 0);
	CHECK(bg_rule_parse("fd00::2:70000", &r, err, sizeof(err)) == -1); /* not an address */
}

TEST(exceptions_that_admit_everything_are_refused)
{
	static struct bg_policy_spec spec;
	static const char *const everything[] = { "*", "[::/0]", "::/0", "0.0.0.0/0" };
	static const char *const fine[] = { "*:80", "0.0.0.0/0:1024-65535", "0.0.0.0/1", "[::/1]",
					    "0.0.0.0" };
	char err[BG_ERRLEN];

	for (size_t i = 0; i < sizeof(everything) / sizeof(everything[0]); i++) {
		bg_policy_defaults(&spec, BG_PRESET_LOOPBACK_ONLY);
		CHECK(bg_spec_add_rule(&spec, everything[i], err, sizeof(err)) == 0);
		CHECK(bg_spec_check(&spec, err, sizeof(err)) == -1);
		CHECK(strstr(err, "the policy would refuse nothing") != NULL);
	}
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		bg_policy_defaults(&spec, BG_PRESET_DENY_WILDCARD);
		CHECK(bg_spec_add_rule(&spec, fine[i], err, sizeof(err)) == 0);
		CHECK(bg_spec_check(&spec, err, sizeof(err)) == 0);
	}
}
