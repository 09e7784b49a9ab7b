// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* run --suggest (suggest.h). */
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "event.h"
#include "json.h"
#include "suggest.h"

static const char *kind_name(__u8 kind)
{
	static const char *const names[] = { "bind",	   "listen",   "udp-send", "raw",
					     "setsockopt", "existing", "socket",   "receive" };

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

/* The suggestion for one event: 0, or -1 for events that need none. */
static int suggestion_of(const struct bg_event *e, struct bg_suggestion *g)
{
	bool mapped = e->addr[10] == 0xff && e->addr[11] == 0xff && !e->addr[0];
	bool v4 = e->family == 2 || mapped;
	char a[BG_ADDR_STRLEN], comm[17];

	if (e->verdict == BG_VERDICT_ALLOW || e->verdict == BG_VERDICT_CLOSE)
		return -1;
	memset(g, 0, sizeof(*g));
	memcpy(comm, e->comm, 16);
	comm[16] = '\0';
	comm[strcspn(comm, "\n\r")] = '\0';
	memcpy(g->comm, comm, sizeof(g->comm));
	g->pid = e->pid;
	g->kind = e->kind;
	/* IPv4 rules cover IPv4-mapped binds too. */
	bg_addr_format(e->addr, v4 ? 4 : 6, a, sizeof(a));
	snprintf(g->addr, sizeof(g->addr), v4 ? "%s" : "[%s]", a);
	switch (e->kind) {
	case BG_EV_BIND:
		snprintf(g->rule, sizeof(g->rule), "%s:%u", g->addr, e->port);
		if (e->port)
			snprintf(g->why, sizeof(g->why), "bind() by %s", comm);
		else
			snprintf(g->why, sizeof(g->why),
				 "bind() to port 0 by %s: admits port-0 binds only (the kernel "
				 "picks the port)",
				 comm);
		return 0;
	case BG_EV_LISTEN:
		/* The port is the kernel's pick, and where BPF LSM decides it is
		 * not even chosen yet: only an any-port rule admits it. */
		snprintf(g->rule, sizeof(g->rule), "%s", g->addr);
		g->any_port = true;
		snprintf(g->why, sizeof(g->why),
			 "listen() without bind() by %s: the kernel picks the port, so only an "
			 "any-port exception admits it; binding first (127.0.0.1 for this machine "
			 "only) is narrower",
			 comm);
		return 0;
	case BG_EV_UDP_SEND:
		snprintf(g->why, sizeof(g->why),
			 "unconnected sendto() from an unbound socket by %s: no exception; "
			 "--udp-autobind audit (the default) or allow admits it",
			 comm);
		return 0;
	case BG_EV_RAW:
		snprintf(g->why, sizeof(g->why),
			 "raw socket by %s: no exception; --raw allow "
			 "admits it",
			 comm);
		return 0;
	case BG_EV_SOCKET:
		snprintf(g->why, sizeof(g->why), "%s socket by %s: no exception; %s admits it",
			 e->reason == BG_REASON_PING ? "ping" : "own-bind protocol", comm,
			 e->reason == BG_REASON_PING ? "--ping allow" : "--other-protocols allow");
		return 0;
	case BG_EV_SETSOCKOPT:
		snprintf(g->why, sizeof(g->why),
			 "device binding by %s: no exception admits a device other than lo", comm);
		return 0;
	case BG_EV_RECEIVE:
		snprintf(g->why, sizeof(g->why),
			 "packets from the network dropped for a socket of %s: see its bind or "
			 "send events",
			 comm);
		return 0;
	default:
		return -1;
	}
}

static bool same(const struct bg_suggestion *a, const struct bg_suggestion *b)
{
	if (a->rule[0] || b->rule[0])
		return !strcmp(a->rule, b->rule);
	return a->kind == b->kind && !strcmp(a->comm, b->comm);
}

void bg_suggest_observe(struct bg_suggestions *s, const struct bg_event *e)
{
	struct bg_suggestion g;

	if (suggestion_of(e, &g))
		return;
	for (int i = 0; i < s->n; i++)
		if (same(&s->v[i], &g))
			return;
	if (s->n == BG_MAX_SUGGEST) {
		s->full = true;
		return;
	}
	s->v[s->n++] = g;
}

void bg_suggest_finish(struct bg_suggestions *s)
{
	for (int i = 0; i < s->n; i++)
		for (int j = 0; j < s->n && s->v[i].rule[0] && !s->v[i].any_port; j++)
			s->v[i].covered |= s->v[j].any_port && !strcmp(s->v[j].addr, s->v[i].addr);
}

void bg_suggest_print(const struct bg_suggestions *s, FILE *f, bool json)
{
	int rules = 0;

	for (int i = 0; i < s->n; i++)
		rules += s->v[i].rule[0] && !s->v[i].covered;
	if (!json)
		fprintf(f,
			"# bindguard run --suggest: %d exception%s for what the policy refused or "
			"audited%s\n# (one per line; read back with --allow-from FILE)\n",
			rules, rules == 1 ? "" : "s", s->full ? " (too many: the first ones)" : "");
	for (int i = 0; i < s->n; i++) {
		const struct bg_suggestion *g = &s->v[i];

		if (json) {
			struct bg_json j;

			bg_json_init(&j, f);
			bg_json_obj_begin(&j);
			bg_json_key(&j, "allow");
			if (g->rule[0])
				bg_json_str(&j, g->rule);
			else
				bg_json_null(&j);
			if (g->covered)
				bg_json_kstr(&j, "covered_by", g->addr);
			bg_json_kstr(&j, "kind", kind_name(g->kind));
			bg_json_kstr(&j, "comm", g->comm);
			bg_json_ku64(&j, "pid", g->pid);
			bg_json_kstr(&j, "why", g->why);
			bg_json_obj_end(&j);
			fputc('\n', f);
		} else if (g->rule[0] && g->covered) {
			fprintf(f,
				"# %s: covered by the %s line (needed without it): %s (pid %u)\n",
				g->rule, g->addr, g->why, g->pid);
		} else if (g->rule[0]) {
			fprintf(f, "%-24s # %s (pid %u)\n", g->rule, g->why, g->pid);
		} else {
			fprintf(f, "# %s (pid %u)\n", g->why, g->pid);
		}
	}
}
