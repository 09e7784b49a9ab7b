// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Prometheus text format: escaping, families, which series exist. */
#include "prom.h"
#include "unit.h"

static void label_fn(FILE *f, void *arg)
{
	bg_prom_label_value(f, arg);
}

static void write_fn(FILE *f, void *arg)
{
	CHECK(bg_prom_write(f, arg) == 0);
}

TEST(prom_label_escaping)
{
	CHECK_STR(unit_capture(label_fn, "/svc"), "/svc");
	CHECK_STR(unit_capture(label_fn, "a\\b"), "a\\\\b");
	CHECK_STR(unit_capture(label_fn, "say \"hi\""), "say \\\"hi\\\"");
	CHECK_STR(unit_capture(label_fn, "two\nlines"), "two\\nlines");
	CHECK_STR(unit_capture(label_fn, "tab\tkept"), "tab\tkept");
	CHECK_STR(unit_capture(label_fn, "caf\xc3\xa9"), "caf\xc3\xa9");
	/* Not UTF-8: the replacement character, never the raw byte. */
	CHECK_STR(unit_capture(label_fn, "x\xffy"), "x\xef\xbf\xbdy");
	CHECK_STR(unit_capture(label_fn, ""), "");
}

static const struct bg_prom_policy two[] = {
	{ .cgroup = "/a\"b\\c\nd",
	  .policy = "loopback-only",
	  .mode = "enforce",
	  .count_allowed = false,
	  .allowed = 99,
	  .denied = 3,
	  .audited = 0,
	  .rewritten = 0,
	  .lost = 1,
	  .refused_open = 2 },
	{ .cgroup = "/ci",
	  .policy = "deny-wildcard",
	  .mode = "audit",
	  .count_allowed = true,
	  .allowed = 7,
	  .denied = 0,
	  .audited = 5,
	  .rewritten = 0,
	  .lost = 0,
	  .refused_open = -1 },
};

TEST(prom_exposition)
{
	struct bg_prom m = { .version = "0.1.0",
			     .lost_total = 4,
			     .max_policies = 16383,
			     .npolicies = 2,
			     .policies = two };
	const char *out = unit_capture(write_fn, &m);

	/* Every family is announced, with its type. */
	CHECK(strstr(out, "# HELP bindguard_binds_total "));
	CHECK(strstr(out, "# TYPE bindguard_binds_total counter\n"));
	CHECK(strstr(out, "# TYPE bindguard_policy_events_lost_total counter\n"));
	CHECK(strstr(out, "# TYPE bindguard_refused_open_sockets gauge\n"));
	CHECK(strstr(out, "# TYPE bindguard_events_lost_total counter\n"));
	CHECK(strstr(out, "# TYPE bindguard_policies gauge\n"));
	CHECK(strstr(out, "# TYPE bindguard_policies_max gauge\n"));
	CHECK(strstr(out, "# TYPE bindguard_build_info gauge\n"));
	/* Counter lines, label values escaped. */
	CHECK(strstr(out,
		     "\nbindguard_binds_total{cgroup=\"/a\\\"b\\\\c\\nd\",policy=\"loopback-only\","
		     "mode=\"enforce\",verdict=\"denied\"} 3\n"));
	CHECK(strstr(out, "\nbindguard_binds_total{cgroup=\"/ci\",policy=\"deny-wildcard\","
			  "mode=\"audit\",verdict=\"allowed\"} 7\n"));
	CHECK(strstr(out, "\nbindguard_binds_total{cgroup=\"/ci\",policy=\"deny-wildcard\","
			  "mode=\"audit\",verdict=\"audited\"} 5\n"));
	CHECK(strstr(out, "\nbindguard_binds_total{cgroup=\"/ci\",policy=\"deny-wildcard\","
			  "mode=\"audit\",verdict=\"rewritten\"} 0\n"));
	/* A policy without --count-allowed has no allowed series (its 99 is no count). */
	CHECK(!strstr(out, "loopback-only\",mode=\"enforce\",verdict=\"allowed\""));
	CHECK(!strstr(out, "} 99\n"));
	CHECK(strstr(out, "\nbindguard_policy_events_lost_total{cgroup=\"/a\\\"b\\\\c\\nd\","
			  "policy=\"loopback-only\",mode=\"enforce\"} 1\n"));
	/* refused_open unknown: no series for /ci. */
	CHECK(strstr(out, "\nbindguard_refused_open_sockets{cgroup=\"/a\\\"b\\\\c\\nd\","
			  "policy=\"loopback-only\",mode=\"enforce\"} 2\n"));
	CHECK(!strstr(out, "bindguard_refused_open_sockets{cgroup=\"/ci\""));
	/* Gauges. */
	CHECK(strstr(out, "\nbindguard_events_lost_total 4\n"));
	CHECK(strstr(out, "\nbindguard_policies 2\n"));
	CHECK(strstr(out, "\nbindguard_policies_max 16383\n"));
	CHECK(strstr(out, "\nbindguard_build_info{version=\"0.1.0\"} 1\n"));
	/* No raw newline inside a sample: every line is a comment or name{...} value. */
	for (const char *l = out; *l; l = strchr(l, '\n') + 1) {
		CHECK(*l == '#' || !strncmp(l, "bindguard_", 10));
		if (!strchr(l, '\n'))
			break;
	}
}

TEST(prom_no_policies)
{
	struct bg_prom m = { .version = "0.1.0", .max_policies = 10 };
	const char *out = unit_capture(write_fn, &m);

	CHECK(strstr(out, "# TYPE bindguard_binds_total counter\n"));
	CHECK(!strstr(out, "\nbindguard_binds_total{"));
	CHECK(strstr(out, "\nbindguard_policies 0\n"));
	CHECK(strstr(out, "\nbindguard_events_lost_total 0\n"));
}
