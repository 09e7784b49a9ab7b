// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The differential corpus (corpus.h): its pure side. The real side runs in
 * tests/integration/t_decide.sh. */
#include "bindguard.h"
#include "corpus.h"
#include "unit.h"

#define BASE 30000

static int find(const char *preset, const char *mode, int set_has_star, const char *addr,
		int spelling, int port, int child)
{
	for (int i = 0; i < bg_corpus_size(); i++) {
		struct bg_case c;

		bg_corpus_case(i, BASE, &c);
		if (!strcmp(c.preset, preset) && !strcmp(c.mode, mode) && !strcmp(c.addr, addr) &&
		    c.spelling == spelling && c.port == port && c.child == child && c.stream &&
		    (set_has_star < 0
			     ? !c.allow[0]
			     : !strcmp(c.allow, set_has_star
							? "*:1-65535"
							: "0.0.0.0:30010-30019 [::]:30010-30019")))
			return bg_case_verdict(&c);
	}
	return -2;
}

/* Every case compiles, round-trips through its text, and the corpus spans
 * what the differential test promises. */
TEST(corpus_cases_are_whole)
{
	int seen[4] = { 0 }, verdicts[5] = { 0 }, child = 0, udp = 0;
	char line[512];

	CHECK(bg_corpus_size() > 5000);
	CHECK(bg_corpus_policies() == 2 * 3 * 5);
	for (int i = 0; i < bg_corpus_size(); i++) {
		struct bg_case c, back;
		int v;

		bg_corpus_case(i, BASE, &c);
		v = bg_case_verdict(&c);
		CHECK(v >= 0 && v <= BG_VERDICT_REWRITE);
		if (v >= 0 && v <= BG_VERDICT_REWRITE)
			verdicts[v]++;
		seen[c.spelling]++;
		child += c.child;
		udp += !c.stream;
		bg_case_format(&c, line, sizeof(line));
		CHECK(!bg_case_parse(line, &back));
		CHECK(back.policy == c.policy && !strcmp(back.allow, c.allow) &&
		      !strcmp(back.addr, c.addr) && back.port == c.port &&
		      back.spelling == c.spelling && back.child == c.child &&
		      back.stream == c.stream && !strcmp(back.mode, c.mode) &&
		      !strcmp(back.preset, c.preset));
	}
	for (int k = 0; k < 4; k++)
		CHECK(seen[k] > 0);
	CHECK(verdicts[BG_VERDICT_ALLOW] && verdicts[BG_VERDICT_DENY] &&
	      verdicts[BG_VERDICT_AUDIT] && verdicts[BG_VERDICT_REWRITE]);
	CHECK(child == bg_corpus_size() / 2 && udp == bg_corpus_size() / 2);
}

/* A few cases worked out by hand, so that the pure side is not only
 * compared with itself. */
TEST(corpus_hand_checked_cases)
{
	CHECK(find("loopback-only", "enforce", -1, "0.0.0.0", BG_SP_INET, 0, 0) == BG_VERDICT_DENY);
	CHECK(find("loopback-only", "enforce", -1, "127.0.0.1", BG_SP_INET, 0, 1) ==
	      BG_VERDICT_ALLOW);
	CHECK(find("deny-wildcard", "enforce", -1, "192.0.2.2", BG_SP_INET, 0, 0) ==
	      BG_VERDICT_ALLOW);
	CHECK(find("deny-wildcard", "audit", -1, "::", BG_SP_INET6, 0, 0) == BG_VERDICT_AUDIT);
	CHECK(find("loopback-only", "rewrite", -1, "0.0.0.0", BG_SP_UNSPEC, 0, 0) ==
	      BG_VERDICT_DENY); /* AF_UNSPEC cannot be rewritten */
	CHECK(find("loopback-only", "rewrite", -1, "::ffff:0.0.0.0", BG_SP_MAPPED, 0, 0) ==
	      BG_VERDICT_REWRITE);
	CHECK(find("loopback-only", "rewrite", -1, "::ffff:192.0.2.2", BG_SP_MAPPED, 0, 0) ==
	      BG_VERDICT_DENY); /* rewrite moves wildcards only */
	/* The wildcard exceptions admit their ports only, in every spelling. */
	CHECK(find("loopback-only", "enforce", 0, "0.0.0.0", BG_SP_UNSPEC, BASE + 15, 0) ==
	      BG_VERDICT_ALLOW);
	CHECK(find("loopback-only", "enforce", 0, "::ffff:0.0.0.0", BG_SP_MAPPED, BASE + 15, 1) ==
	      BG_VERDICT_ALLOW);
	CHECK(find("loopback-only", "enforce", 0, "::", BG_SP_INET6, BASE + 50, 0) ==
	      BG_VERDICT_DENY);
	CHECK(find("loopback-only", "enforce", 0, "192.0.2.1", BG_SP_INET, BASE + 15, 0) ==
	      BG_VERDICT_DENY);
	/* "*:1-65535" admits every address on every port but 0. */
	CHECK(find("loopback-only", "enforce", 1, "fd00::1", BG_SP_INET6, BASE + 50, 1) ==
	      BG_VERDICT_ALLOW);
	CHECK(find("loopback-only", "enforce", 1, "fd00::1", BG_SP_INET6, 0, 1) == BG_VERDICT_DENY);
	CHECK(find("deny-wildcard", "enforce", 1, "0.0.0.0", BG_SP_INET, BASE + 50, 0) ==
	      BG_VERDICT_ALLOW);
}
