// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* run --suggest (suggest.c) and --allow-from's text (bg_spec_add_rules_text). */
#include <stdlib.h>
#include <string.h>
#include "policy.h"
#include "suggest.h"
#include "unit.h"

static struct bg_event ev(__u8 kind, __u8 verdict, const char *addr4, __u16 port, const char *comm)
{
	struct bg_event e = {
		.kind = kind, .verdict = verdict, .port = port, .family = 2, .pid = 42
	};
	unsigned a, b, c, d;

	sscanf(addr4, "%u.%u.%u.%u", &a, &b, &c, &d);
	e.addr[10] = e.addr[11] = 0xff;
	e.addr[12] = (__u8)a;
	e.addr[13] = (__u8)b;
	e.addr[14] = (__u8)c;
	e.addr[15] = (__u8)d;
	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	return e;
}

TEST(suggestions_are_specific_deduplicated_and_explained)
{
	static struct bg_suggestions s;
	struct bg_event e;

	memset(&s, 0, sizeof(s));
	e = ev(BG_EV_BIND, BG_VERDICT_AUDIT, "0.0.0.0", 8080, "python3");
	bg_suggest_observe(&s, &e);
	bg_suggest_observe(&s, &e); /* a repeat */
	e = ev(BG_EV_BIND, BG_VERDICT_DENY, "0.0.0.0", 0, "server");
	bg_suggest_observe(&s, &e);
	e = ev(BG_EV_UDP_SEND, BG_VERDICT_AUDIT, "0.0.0.0", 0, "dig");
	bg_suggest_observe(&s, &e);
	bg_suggest_observe(&s, &e);
	e = ev(BG_EV_BIND, BG_VERDICT_ALLOW, "0.0.0.0", 9, "x"); /* allowed: nothing to do */
	bg_suggest_observe(&s, &e);
	bg_suggest_finish(&s);
	CHECK(s.n == 3);
	CHECK_STR(s.v[0].rule, "0.0.0.0:8080");
	CHECK_STR(s.v[1].rule, "0.0.0.0:0"); /* port-0 binds only, not every port */
	CHECK(strstr(s.v[1].why, "port-0 binds only") != NULL);
	CHECK_STR(s.v[2].rule, ""); /* no exception admits an autobind at a send */
	CHECK(strstr(s.v[2].why, "--udp-autobind") != NULL);
}

TEST(a_listen_autobind_gets_an_any_port_rule_that_covers_the_others)
{
	static struct bg_suggestions s;
	struct bg_event e;

	memset(&s, 0, sizeof(s));
	e = ev(BG_EV_BIND, BG_VERDICT_DENY, "0.0.0.0", 8080, "a");
	bg_suggest_observe(&s, &e);
	e = ev(BG_EV_LISTEN, BG_VERDICT_CONFINE, "0.0.0.0", 41234, "nc");
	bg_suggest_observe(&s, &e);
	bg_suggest_finish(&s);
	CHECK(s.n == 2);
	CHECK(s.v[0].covered); /* 0.0.0.0:8080 is inside 0.0.0.0: a comment */
	CHECK_STR(s.v[1].rule, "0.0.0.0");
	CHECK(!s.v[1].covered);
	CHECK(strstr(s.v[1].why, "binding first") != NULL);
}

TEST(suggestions_read_back_as_the_same_rules)
{
	static struct bg_suggestions s;
	static struct bg_policy_spec spec;
	struct bg_event e;
	char *text = NULL, err[BG_ERRLEN], buf[64];
	size_t len = 0;
	int line;
	FILE *f;

	memset(&s, 0, sizeof(s));
	e = ev(BG_EV_BIND, BG_VERDICT_AUDIT, "0.0.0.0", 8080, "py # tricky\n");
	bg_suggest_observe(&s, &e);
	e = ev(BG_EV_RAW, BG_VERDICT_DENY, "0.0.0.0", 0, "ping");
	bg_suggest_observe(&s, &e);
	e = ev(BG_EV_BIND, BG_VERDICT_AUDIT, "10.1.2.3", 53, "dns");
	bg_suggest_observe(&s, &e);
	bg_suggest_finish(&s);
	f = open_memstream(&text, &len);
	bg_suggest_print(&s, f, false);
	fclose(f);
	bg_policy_defaults(&spec, BG_PRESET_LOOPBACK_ONLY);
	CHECK(bg_spec_add_rules_text(&spec, text, err, sizeof(err), &line) == 0);
	CHECK(spec.nrules == 2);
	bg_rule_format(&spec.rules[0], buf, sizeof(buf));
	CHECK_STR(buf, "0.0.0.0:8080");
	bg_rule_format(&spec.rules[1], buf, sizeof(buf));
	CHECK_STR(buf, "10.1.2.3:53");
	free(text);
	/* The JSON form is one valid object per line. */
	text = NULL;
	f = open_memstream(&text, &len);
	bg_suggest_print(&s, f, true);
	fclose(f);
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		CHECK(unit_json_valid(l, strlen(l)));
	free(text);
}

TEST(rules_text_names_the_line_at_fault)
{
	static struct bg_policy_spec spec;
	char err[BG_ERRLEN];
	int line;

	bg_policy_defaults(&spec, BG_PRESET_DENY_WILDCARD);
	CHECK(bg_spec_add_rules_text(&spec, "# c\n\n  0.0.0.0:80  # web\r\n1.2.3.4/40\n", err,
				     sizeof(err), &line) == -1);
	CHECK(line == 4);
	CHECK(spec.nrules == 1);
	CHECK(bg_spec_add_rules_text(&spec, "", err, sizeof(err), &line) == 0);
}
