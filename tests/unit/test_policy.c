// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The --allow grammar, formatting, and compilation into LPM entries. */
#include <stdio.h>
#include <stdlib.h>
#include "bg_decide.h"
#include "addr.h"
#include "policy.h"
#include "unit.h"

#define BG_INL_WILD (BG_INL_WILD4 | BG_INL_WILD6)
static const __u8 w4addr[16] = { [10] = 0xff, [11] = 0xff }, w6addr[16];

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
	CHECK(bg_proto_parse("TCP", &v) == -1);
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

/* The BPF maps path as policy.bpf.h takes it: the exact-match hash if the
 * flags say it holds entries, then the trie (every entry) if they say it
 * holds prefixes. */
static int maps_path(const struct bg_policy *p, const struct bg_lpm_entry *e, size_t n,
		     const __u8 addr[16], __u16 port)
{
	if (p->inl_flags & BG_INL_EXACT)
		for (size_t i = 0; i < n; i++)
			if (e[i].key.prefixlen == 32 + 128 && !memcmp(e[i].key.addr, addr, 16))
				return bg_ports_match(&e[i].val, port);
	if (!(p->inl_flags & BG_INL_PREFIX))
		return 0;
	return bg_rules_match(e, n, addr, port);
}

/* An in-memory rule table for the tests: the buckets a round touched are
 * cleared again by tab_reset. */
static struct bg_tab_bucket test_tab[BG_TAB_BUCKETS];
static __u32 test_touched[4096];
static int test_ntouched;

static void tab_reset(void)
{
	for (int i = 0; i < test_ntouched; i++)
		memset(&test_tab[test_touched[i]], 0, sizeof(test_tab[0]));
	test_ntouched = 0;
}

/* Place a ruleset's entries as control.c does; 0, or -1 on a full bucket. */
static int tab_place(const struct bg_lpm_entry *e, size_t n, __u32 ruleset)
{
	for (size_t i = 0; i < n; i++) {
		struct bg_tab_ent ent;
		__u32 idx;
		int way;

		bg_tab_entry(&e[i], ruleset, &ent);
		idx = bg_tab_hash(ent.tag, ent.addr);
		if (test_ntouched < 4096)
			test_touched[test_ntouched++] = idx;
		way = bg_tab_free_way(&test_tab[idx]);
		if (way < 0)
			return -1;
		test_tab[idx].e[way] = ent;
	}
	return 0;
}

static const struct bg_tab_bucket *test_bucket(__u32 idx)
{
	return &test_tab[idx];
}

/* The programs' rule-table decision (bg_decide.h), over test_tab. */
BG_TAB_DECIDE(tab_decide, test_bucket)

/* The policy's own decisions, then the maps where it has none, decide
 * exactly as the maps alone would; and a wildcard is decided in the policy
 * whatever the rule count, when its ports fit. */
TEST(inline_rules_match_maps)
{
	static const char *pool[] = {
		"0.0.0.0:8080",	 "0.0.0.0:80",	    "[::]:8080",      "192.0.2.1",
		"192.0.2.1:443", "10.0.0.1:1-1024", "[fd00::1]:53",   "10.0.0.0/8:80",
		"*:53",		 "0.0.0.0:9000",    "0.0.0.0:9100",   "0.0.0.0:9200",
		"*:1024-65535",	 "0.0.0.0/0:22",    "[::/0]:443",     "[::]:7000-7100",
		"0.0.0.0/1",	 "[fd00::/8]",	    "198.51.100.7:5",
	};
	static const char *probes[] = { "0.0.0.0", "::",       "192.0.2.1",    "10.0.0.1",
					"fd00::1", "10.9.9.9", "192.0.2.2",    "::ffff:0.0.0.0",
					"fd00::2", "1.2.3.4",  "198.51.100.7", "2001:db8::1" };
	static const int ports[] = { 0,	   1,	 5,    22,   53,   80,	 443,  1024,
				     1025, 7050, 8080, 9000, 9100, 9200, 65535 };
	enum {
		NPOOL = sizeof(pool) / sizeof(pool[0]),
		NPROBE = sizeof(probes) / sizeof(probes[0])
	};
	enum { NPORT = sizeof(ports) / sizeof(ports[0]), MAXR = 12 };
	struct bg_rule_src rules[MAXR];
	struct bg_lpm_entry e[MAXR];
	char err[BG_ERRLEN];
	int complete = 0, partial = 0, wild_listed = 0, wild_asked = 0, tabled = 0;

	srand(11);
	for (int round = 0; round < 2000; round++) {
		size_t n = 1 + (size_t)(rand() % (round % 2 ? MAXR : 6));
		struct bg_policy p;
		int ne;

		for (size_t i = 0; i < n; i++)
			rules[i] = parse_ok(pool[rand() % NPOOL]);
		ne = bg_rules_compile(rules, n, 1, e, err, sizeof(err));
		if (ne < 0)
			continue; /* too many ranges for one prefix: refused before any use */
		CHECK(ne > 0);
		memset(&p, 0xff, sizeof(p));
		p.ruleset = (__u32)round * 7 + 1;
		bg_rules_inline(e, (size_t)ne, &p);
		tab_reset();
		if (p.ntab) {
			tabled++;
			CHECK(!(p.inl_flags & BG_INL_COMPLETE));
			CHECK(p.ntab <= BG_TAB_LENS);
			for (__u32 j = 1; j < p.ntab; j++)
				CHECK(bg_tab_plen(p.tab[j].tag) < bg_tab_plen(p.tab[j - 1].tag));
			CHECK(!tab_place(e, (size_t)ne, p.ruleset));
		}
		if ((p.inl_flags & BG_INL_COMPLETE)) {
			complete++;
			CHECK((p.inl_flags & BG_INL_WILD) == BG_INL_WILD && !p.ntab);
			for (int i = 0; i < ne; i++) /* only wildcard rules */
				CHECK(e[i].key.prefixlen == 32 + 128 &&
				      (!memcmp(e[i].key.addr, w4addr, 16) ||
				       !memcmp(e[i].key.addr, w6addr, 16)));
		} else {
			partial++;
		}
		for (int a = 0; a < NPROBE; a++) {
			__u8 addr[16];
			__u32 w[4];
			int wild;

			if (bg_addr_parse4(probes[a], addr))
				CHECK(!bg_addr_parse6(probes[a], addr));
			memcpy(w, addr, 16);
			wild = bg_addr_class(w) == BG_ADDR_WILDCARD;
			for (int k = 0; k < NPORT; k++) {
				__u16 port = (__u16)ports[k];
				int d = bg_inline_decide(&p, w, bg_addr_class(w), port);
				int maps = bg_rules_match(e, (size_t)ne, addr, port);

				CHECK(d == BG_INLINE_ASK_MAPS || d == maps);
				if (d == BG_INLINE_ASK_MAPS)
					CHECK(maps_path(&p, e, (size_t)ne, addr, port) == maps);
				if (d == BG_INLINE_ASK_MAPS && p.ntab)
					CHECK(tab_decide(&p, w, port) == maps);
				if ((p.inl_flags & BG_INL_COMPLETE))
					CHECK(d != BG_INLINE_ASK_MAPS);
				if (wild && !(p.inl_flags & BG_INL_COMPLETE) && k == 0)
					d == BG_INLINE_ASK_MAPS ? wild_asked++ : wild_listed++;
			}
		}
	}
	/* Every kind was exercised: a complete table, a partial one, a wildcard
	 * decided in the policy, and one whose ports did not fit. */
	CHECK(complete > 100);
	CHECK(partial > 100);
	CHECK(wild_listed > 100);
	CHECK(wild_asked > 10);
	CHECK(tabled > 100);
	tab_reset();
}

/* status names where a policy's exceptions are looked up. */
TEST(lookup_names)
{
	struct bg_rule_src wild[2] = { parse_ok("0.0.0.0:8080"), parse_ok("[::]:8080") };
	struct bg_rule_src net[1] = { parse_ok("10.0.0.0/8") };
	struct bg_lpm_entry e[2];
	struct bg_policy p;
	char err[BG_ERRLEN];
	int n;

	memset(&p, 0, sizeof(p));
	CHECK_STR(bg_lookup_name(&p), "none");
	p.ruleset = 1;
	n = bg_rules_compile(wild, 2, p.ruleset, e, err, sizeof(err));
	bg_rules_inline(e, (size_t)n, &p);
	CHECK_STR(bg_lookup_name(&p), "policy");
	n = bg_rules_compile(net, 1, p.ruleset, e, err, sizeof(err));
	bg_rules_inline(e, (size_t)n, &p);
	CHECK_STR(bg_lookup_name(&p), "table");
	p.ntab = 0; /* what control.c does on a full bucket */
	CHECK_STR(bg_lookup_name(&p), "maps");
}

/* A bucket takes BG_TAB_WAYS entries; an entry with ruleset 0 is free. */
TEST(rule_table_buckets)
{
	struct bg_tab_bucket b;
	struct bg_tab_ent ent = { .tag = bg_tab_tag(0x01010101, 128) };

	memset(&b, 0, sizeof(b));
	for (int i = 0; i < BG_TAB_WAYS; i++) {
		CHECK(bg_tab_free_way(&b) == i);
		b.e[i] = ent;
	}
	CHECK(bg_tab_free_way(&b) == -1);
	b.e[2].tag = bg_tab_tag(0, 128); /* a zero ruleset id: free */
	CHECK(bg_tab_free_way(&b) == 2);
}

/* The rule count alone decides nothing: with 1,024 exceptions the wildcards
 * are still decided in the policy, as the bench's rules scale measures. */
TEST(inline_wildcards_whatever_the_rule_count)
{
	enum { N = 1024 };
	static struct bg_rule_src r[N];
	static struct bg_lpm_entry e[N];
	struct bg_policy p = { 0 };
	char err[BG_ERRLEN], text[64];
	__u32 w4[4] = { 0, 0, BG_HTONL(0xffff), 0 }, w6[4] = { 0 }, other[4];
	int n;

	r[0] = parse_ok("*:1024-65535");
	for (int i = 1; i < N; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.0/24:8000-8099", i / 256, i % 256);
		r[i] = parse_ok(text);
	}
	n = bg_rules_compile(r, N, 1, e, err, sizeof(err));
	CHECK(n == N);
	p.ruleset = 5;
	bg_rules_inline(e, (size_t)n, &p);
	CHECK(!(p.inl_flags & BG_INL_COMPLETE));
	CHECK((p.inl_flags & BG_INL_WILD) == BG_INL_WILD);
	CHECK(bg_inline_decide(&p, w4, bg_addr_class(w4), 1024) == 1);
	CHECK(bg_inline_decide(&p, w4, bg_addr_class(w4), 1023) == 0);
	CHECK(bg_inline_decide(&p, w6, bg_addr_class(w6), 65535) == 1);
	CHECK(bg_inline_decide(&p, w6, bg_addr_class(w6), 80) == 0);
	memcpy(other, w4, 16);
	other[3] = BG_HTONL(0x0a000101); /* 10.0.1.1: a prefix, the maps decide */
	CHECK(bg_inline_decide(&p, other, bg_addr_class(other), 8000) == BG_INLINE_ASK_MAPS);
	/* The rule table takes the ruleset: two prefix lengths, /24 first. */
	CHECK(p.ntab == 2 && bg_tab_plen(p.tab[0].tag) == 96 + 24 &&
	      bg_tab_plen(p.tab[1].tag) == 0);
	tab_reset();
	CHECK(!tab_place(e, (size_t)n, p.ruleset));
	CHECK(tab_decide(&p, other, 8000) == 1);
	CHECK(tab_decide(&p, other, 8100) == 1); /* "*:1024-65535", merged in */
	CHECK(tab_decide(&p, other, 80) == 0);
	other[3] = BG_HTONL(0x0b000001); /* 11.0.0.1: only "*" */
	CHECK(tab_decide(&p, other, 80) == 0);
	CHECK(tab_decide(&p, other, 1024) == 1);
	tab_reset();
	/* A wildcard no rule covers is decided too: no exception. */
	r[0] = parse_ok("192.0.2.1:80");
	n = bg_rules_compile(r, N, 1, e, err, sizeof(err));
	bg_rules_inline(e, (size_t)n, &p);
	CHECK((p.inl_flags & BG_INL_WILD) == BG_INL_WILD && !(p.inl_flags & BG_INL_COMPLETE));
	CHECK(bg_inline_decide(&p, w4, bg_addr_class(w4), 80) == 0);
	CHECK(bg_inline_decide(&p, w6, bg_addr_class(w6), 80) == 0);
}

TEST(inline_rules_refuse_what_does_not_fit)
{
	struct bg_rule_src r[5] = { parse_ok("0.0.0.0:1"), parse_ok("0.0.0.0:3"),
				    parse_ok("0.0.0.0:5"), parse_ok("10.0.0.0/8"),
				    parse_ok("[::]:1") };
	struct bg_rule_src two[2] = { parse_ok("0.0.0.0:1"), parse_ok("192.0.2.7") };
	struct bg_lpm_entry e[5];
	struct bg_policy p = { .ruleset = 1 };
	char err[BG_ERRLEN];
	int n;

	/* Two ranges for 0.0.0.0: carried; :: too, as "none"; nothing else. */
	n = bg_rules_compile(r, 2, 1, e, err, sizeof(err));
	bg_rules_inline(e, (size_t)n, &p);
	CHECK(p.inl_flags == (BG_INL_COMPLETE | BG_INL_WILD) && !p.ntab);
	/* Three ranges for 0.0.0.0: not carried (the maps hold it); :: is. */
	n = bg_rules_compile(r, 3, 1, e, err, sizeof(err));
	bg_rules_inline(e, (size_t)n, &p);
	CHECK(p.inl_flags == (BG_INL_EXACT | BG_INL_WILD6) && !p.ntab);
	/* A specific address: not complete; the table takes it. */
	n = bg_rules_compile(two, 2, 1, e, err, sizeof(err));
	bg_rules_inline(e, (size_t)n, &p);
	CHECK(p.inl_flags == (BG_INL_EXACT | BG_INL_WILD) && p.ntab == 1);
	/* A prefix and [::]:1: not complete; both wildcards carried. */
	n = bg_rules_compile(&r[3], 2, 1, e, err, sizeof(err));
	bg_rules_inline(e, (size_t)n, &p);
	CHECK(p.inl_flags == (BG_INL_PREFIX | BG_INL_EXACT | BG_INL_WILD));
	/* A prefix alone: the exact-match hash is not asked. */
	n = bg_rules_compile(&r[3], 1, 1, e, err, sizeof(err));
	bg_rules_inline(e, (size_t)n, &p);
	CHECK(p.inl_flags == (BG_INL_PREFIX | BG_INL_WILD));
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
