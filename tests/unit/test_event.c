// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Decoding ring records and printing them: exact text, valid JSON, hostile bytes. */
#include <stdlib.h>
#include "addr.h"
#include "event.h"
#include "unit.h"

static struct bg_event sample(void)
{
	struct bg_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = 5000000000ull; /* 5 s after boot */
	e.cgroup_id = 42;
	e.policy_cgid = 41;
	e.pid = 1234;
	e.tid = 1235;
	e.uid = 1000;
	e.gid = 100;
	bg_addr_parse4("0.0.0.0", e.addr);
	e.port = 8000;
	e.family = 2;
	e.sa_family = 2;
	e.protocol = 6;
	e.type = 1;
	e.verdict = BG_VERDICT_DENY;
	e.reason = BG_REASON_WILDCARD;
	e.preset = BG_PRESET_LOOPBACK_ONLY;
	e.kind = BG_EV_BIND;
	memcpy(e.comm, "python3", 8);
	return e;
}

struct pr {
	struct bg_event e;
	struct bg_event_ctx c;
	int json;
};

static void print_fn(FILE *f, void *arg)
{
	struct pr *p = arg;

	if (p->json)
		bg_event_print_json(f, &p->e, &p->c);
	else
		bg_event_print_text(f, &p->e, &p->c);
}

/* 2026-11-24T00:00:00Z minus 5 s, so the sample prints at midnight. */
#define BOOT_TO_REAL (1795478400ll * 1000000000ll - 5000000000ll)

TEST(event_text_line)
{
	struct pr p = { sample(), { "/dev", "/", BOOT_TO_REAL }, 0 };

	CHECK_STR(unit_capture(print_fn, &p),
		  "2026-11-24T00:00:00.000000Z deny bind pid=1234 uid=1000 comm=\"python3\" "
		  "cgroup=/dev tcp inet 0.0.0.0:8000 reason=wildcard policy=loopback-only@/\n");
	p.c.cgroup_path = NULL;
	p.c.policy_path = NULL;
	p.e.family = 10;
	bg_addr_parse6("fd00::1", p.e.addr);
	p.e.reason = BG_REASON_NOT_LOOPBACK;
	p.e.verdict = BG_VERDICT_AUDIT;
	p.e.protocol = 99;
	memcpy(p.e.comm, "a\"b\\c\x01\xff", 8);
	CHECK_STR(unit_capture(print_fn, &p),
		  "2026-11-24T00:00:00.000000Z audit bind pid=1234 uid=1000 "
		  "comm=\"a\\\"b\\\\c\\x01\\xff\" "
		  "cgroup=cgroup-id:42 proto-99 inet6 [fd00::1]:8000 reason=not-loopback "
		  "policy=loopback-only@cgroup-id:41\n");
}

TEST(event_text_escapes_cgroup_names)
{
	/* Found by fuzzing: a cgroup name may hold a newline; it must not
	 * break the line (or forge another event line). */
	struct pr p = { sample(), { "/evil\n2026-01-01T00:00:00Z deny", "/a b", BOOT_TO_REAL }, 0 };
	const char *out = unit_capture(print_fn, &p);

	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
	CHECK(strstr(out, "cgroup=/evil\\x0a2026-01-01T00:00:00Z\\x20deny ") != NULL);
	CHECK(strstr(out, "policy=loopback-only@/a\\x20b\n") != NULL);
}

TEST(event_json_line)
{
	struct pr p = { sample(), { "/dev", "/", BOOT_TO_REAL }, 1 };
	const char *out = unit_capture(print_fn, &p);

	CHECK_STR(
		out,
		"{\"type\":\"bind\",\"ts\":\"2026-11-24T00:00:00.000000Z\",\"verdict\":\"deny\","
		"\"pid\":1234,\"tid\":1235,\"uid\":1000,\"gid\":100,\"comm\":\"python3\","
		"\"cgroup\":\"/dev\",\"cgroup_id\":42,\"family\":\"inet\",\"proto\":\"tcp\","
		"\"addr\":\"0.0.0.0\",\"port\":8000,\"reason\":\"wildcard\","
		"\"policy\":\"loopback-only\",\"policy_cgroup\":\"/\",\"policy_cgroup_id\":41}\n");
	/* Unknown paths are null; events without an address have null addr/port. */
	p.c.cgroup_path = NULL;
	p.e.kind = BG_EV_RAW;
	p.e.reason = BG_REASON_RAW;
	out = unit_capture(print_fn, &p);
	CHECK(strstr(out, "\"cgroup\":null") != NULL);
	CHECK(strstr(out, "\"addr\":null,\"port\":null") != NULL);
	CHECK(strstr(out, "\"type\":\"raw\"") != NULL);
	CHECK(unit_json_valid(out, strlen(out) - 1));
}

TEST(event_json_hostile_comm)
{
	struct pr p = { sample(), { "/a \"b\"", NULL, 0 }, 1 };

	/* Every 16-byte comm, no NUL: quotes, control bytes, broken UTF-8. */
	for (int seed = 0; seed < 2000; seed++) {
		const char *out;

		srand((unsigned)seed);
		for (int i = 0; i < 16; i++)
			p.e.comm[i] = (char)(rand() % 255 + 1);
		out = unit_capture(print_fn, &p);
		if (!unit_json_valid(out, strlen(out) - 1) || out[strlen(out) - 1] != '\n') {
			unit_fail(__FILE__, __LINE__, out);
			return;
		}
	}
}

TEST(event_decode)
{
	struct bg_event e = sample(), out;
	unsigned char buf[sizeof(e) + 8];

	memcpy(buf + 1, &e, sizeof(e)); /* unaligned */
	CHECK(bg_event_decode(buf + 1, sizeof(e), &out) == 0);
	CHECK(out.pid == 1234 && out.port == 8000);
	CHECK(bg_event_decode(&e, sizeof(e) - 1, &out) == -1);
	CHECK(bg_event_decode(&e, 0, &out) == -1);
	e.verdict = 9;
	CHECK(bg_event_decode(&e, sizeof(e), &out) == -1);
	e = sample();
	e.reason = 200;
	CHECK(bg_event_decode(&e, sizeof(e), &out) == -1);
	e = sample();
	e.family = 1;
	CHECK(bg_event_decode(&e, sizeof(e), &out) == -1);
	e = sample();
	e.kind = 77;
	CHECK(bg_event_decode(&e, sizeof(e), &out) == -1);
	e = sample();
	e.preset = 3;
	CHECK(bg_event_decode(&e, sizeof(e), &out) == -1);
}

static void lost_fn(FILE *f, void *arg)
{
	if (arg)
		bg_lost_print_json(f, BOOT_TO_REAL + 5000000000ll, 3, 10);
	else
		bg_lost_print_text(f, BOOT_TO_REAL + 5000000000ll, 3, 10);
}

TEST(lost_lines)
{
	CHECK_STR(unit_capture(lost_fn, NULL),
		  "2026-11-24T00:00:00.000000Z lost 3 events (total 10)\n");
	CHECK_STR(unit_capture(lost_fn, (void *)1),
		  "{\"type\":\"lost\",\"ts\":\"2026-11-24T00:00:00.000000Z\",\"lost\":3,"
		  "\"lost_total\":10}\n");
}

TEST(abi_sizes)
{
	/* The layout BPF writes; a change here must bump BG_ABI_VERSION. */
	CHECK(sizeof(struct bg_event) == 88);
	CHECK(sizeof(struct bg_policy) == 160); /* ABI 10's size: pinned maps stay reusable */
	CHECK(sizeof(struct bg_rule_key) == 24);
	CHECK(sizeof(struct bg_rule_val) == 4 + 4 * BG_MAX_PORT_RANGES);
	CHECK(sizeof(struct bg_rule_src) == 24);
	CHECK(sizeof(struct bg_stats) == 56);
	CHECK(sizeof(struct bg_config) == 24);
}
