// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* status: every policed cgroup with its policy, exceptions and counters. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "commands.h"
#include "gc.h"
#include "json.h"
#include "metrics.h"
#include "object.h"
#include "log.h"
#include "pins.h"
#include "policy.h"
#include "rules.h"
#include "state.h"
#include "status.h"

static void print_json(const struct bg_status *s, const char *mnt)
{
	char buf[128];
	struct bg_json j;

	bg_json_init(&j, stdout);
	bg_json_obj_begin(&j);
	bg_json_kstr(&j, "version", BG_VERSION);
	bg_json_kstr(&j, "cgroup2", mnt);
	bg_json_kstr(&j, "pin_dir", BG_BPFFS "/" BG_PIN_DIR);
	bg_json_ku64(&j, "lost_total", s->lost_total);
	bg_json_ku64(&j, "max_policies", (__u64)s->max_policies);
	/* The BPF object the pinned programs came from; null: no state, or
	 * another bindguard build's. */
	if (s->object >= 0)
		bg_json_kstr(&j, "object", bg_object_name(s->object));
	else {
		bg_json_key(&j, "object");
		bg_json_null(&j);
	}
	bg_json_key(&j, "policies");
	bg_json_arr_begin(&j);
	for (int i = 0; i < s->n; i++) {
		const struct bg_status_row *r = &s->rows[i];

		bg_json_obj_begin(&j);
		bg_json_kstr(&j, "cgroup", r->path);
		bg_json_ku64(&j, "cgroup_id", r->id);
		bg_json_kstr(&j, "policy", bg_preset_name(r->pol.preset));
		bg_json_kstr(&j, "mode", bg_mode_name(r->pol.mode));
		bg_json_kstr(&j, "proto", bg_proto_name(r->pol.proto_mask));
		bg_json_key(&j, "allow");
		bg_json_arr_begin(&j);
		for (int k = 0; k < r->nrules; k++) {
			bg_rule_format(&r->rules[k], buf, sizeof(buf));
			bg_json_str(&j, buf);
		}
		bg_json_arr_end(&j);
		bg_json_kstr(&j, "udp_autobind", bg_udp_autobind_name(r->pol.flags));
		bg_json_kstr(&j, "raw", bg_raw_name(r->pol.flags));
		bg_json_kstr(&j, "ping", bg_ping_name(r->pol.flags));
		bg_json_kstr(&j, "other_protocols", bg_other_name(r->pol.flags));
		bg_json_kstr(&j, "listen",
			     r->pol.proto_mask & BG_PROTO_TCP ? s->listen : "not-policed");
		bg_json_kstr(&j, "link", r->own_link ? "own" : "ancestor");
		/* null: the sockets could not be listed. */
		bg_json_key(&j, "refused_open");
		if (r->refused_open >= 0)
			bg_json_u64(&j, (__u64)r->refused_open);
		else
			bg_json_null(&j);
		bg_json_key(&j, "counters");
		bg_json_obj_begin(&j);
		/* null: the policy does not count them (--count-allowed). */
		bg_json_key(&j, "allowed");
		if (r->pol.flags & BG_F_COUNT_ALLOWED)
			bg_json_u64(&j, r->stats.allowed);
		else
			bg_json_null(&j);
		bg_json_ku64(&j, "denied", r->stats.denied);
		bg_json_ku64(&j, "audited", r->stats.audited);
		bg_json_ku64(&j, "rewritten", r->stats.rewritten);
		bg_json_ku64(&j, "lost", r->stats.lost);
		bg_json_obj_end(&j);
		bg_json_obj_end(&j);
	}
	bg_json_arr_end(&j);
	bg_json_obj_end(&j);
	fputc('\n', stdout);
}

static void print_text(const struct bg_status *s)
{
	char buf[128];

	if (!s->n) {
		printf("no policies\n");
		return;
	}
	printf("%-24s %-14s %-8s %-5s %-8s %10s %10s %10s %10s %8s  %s\n", "CGROUP", "POLICY",
	       "MODE", "PROTO", "LINK", "ALLOWED", "DENIED", "AUDITED", "REWRITTEN", "LOST",
	       "ALLOW");
	for (int i = 0; i < s->n; i++) {
		const struct bg_status_row *r = &s->rows[i];

		char allowed[24] = "-"; /* not counted without --count-allowed */

		if (r->pol.flags & BG_F_COUNT_ALLOWED)
			snprintf(allowed, sizeof(allowed), "%" PRIu64, (uint64_t)r->stats.allowed);
		printf("%-24s %-14s %-8s %-5s %-8s %10s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
		       " %8" PRIu64 "  ",
		       r->path, bg_preset_name(r->pol.preset), bg_mode_name(r->pol.mode),
		       bg_proto_name(r->pol.proto_mask), r->own_link ? "own" : "ancestor", allowed,
		       (uint64_t)r->stats.denied, (uint64_t)r->stats.audited,
		       (uint64_t)r->stats.rewritten, (uint64_t)r->stats.lost);
		for (int k = 0; k < r->nrules; k++) {
			bg_rule_format(&r->rules[k], buf, sizeof(buf));
			printf("%s%s", k ? "," : "", buf);
		}
		printf("%s\n", r->nrules ? "" : "-");
		printf("%-24s udp-autobind %s, raw %s, ping %s, other-protocols %s, listen() "
		       "without bind: %s",
		       "", bg_udp_autobind_name(r->pol.flags), bg_raw_name(r->pol.flags),
		       bg_ping_name(r->pol.flags), bg_other_name(r->pol.flags),
		       r->pol.proto_mask & BG_PROTO_TCP ? s->listen : "not policed");
		if (r->refused_open > 0)
			printf("\n%-24s %ld refused socket%s from before the policy still open "
			       "(bindguard sockets --refused)",
			       "", r->refused_open, r->refused_open == 1 ? "" : "s");
		else if (r->refused_open < 0)
			printf("\n%-24s existing sockets: could not be listed", "");
		putchar('\n');
	}
	printf("lost events (all time): %" PRIu64 "\n", (uint64_t)s->lost_total);
	printf("policed cgroups: %d of at most %d on this machine\n", s->n, s->max_policies);
	if (s->object >= 0)
		printf("bpf object: %s%s%s\n", bg_object_name(s->object),
		       s->object == BG_OBJ_COMPAT ? ": " : "",
		       s->object == BG_OBJ_COMPAT ? bg_compat_gives_up : "");
}

/* The metrics, formatted while the state is open, written after it is
 * closed: a slow reader of stdout never holds bindguard's lock. */
static int metrics_text(struct bg_state *st, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	int r;

	if (!f)
		return -errno;
	r = bg_metrics_write(st, f);
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

int cmd_status(int argc, char **argv, struct bg_global *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	enum { TEXT, JSON, PROM } format;
	struct bg_status s = { .object = -1 };
	struct bg_state st;
	char mnt[PATH_MAX] = "", *prom = NULL;
	size_t prom_len = 0;
	int c, r;

	optind = 1;
	format = g->json ? JSON : TEXT;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			format = JSON;
			break;
		case 'F':
			if (!strcmp(optarg, "text"))
				format = TEXT;
			else if (!strcmp(optarg, "json"))
				format = JSON;
			else if (!strcmp(optarg, "prom"))
				format = PROM;
			else {
				bg_err("status: --format %s: expected text, json or prom", optarg);
				return BG_EXIT_USAGE;
			}
			break;
		case 'h':
			printf("Usage: bindguard status [--json] [--format text|json|prom]\n\n"
			       "List every policed cgroup with its policy, exceptions and "
			       "counters.\n\n"
			       "  -j, --json          the same as --format json\n"
			       "  --format text|json|prom\n"
			       "                      a table (default), one JSON document, or\n"
			       "                      Prometheus metrics (the text format "
			       "0.0.4)\n\n"
			       "EXAMPLES\n  bindguard status\n  bindguard --json status\n"
			       "  bindguard status --format prom | promtool check metrics\n");
			return BG_EXIT_OK;
		default:
			bg_option_error("status", argv, "jh", opts);
			return BG_EXIT_USAGE;
		}
	}
	/* Errors under --json are JSON too (main.c); not in the other forms. */
	g->json = format == JSON;
	if (bg_no_more_args("status", argc, argv))
		return BG_EXIT_USAGE;
	r = bg_need_cgroup2("status");
	if (r)
		return r;
	bg_cgroup_mount(mnt, sizeof(mnt));
	r = bg_require_privileges("status");
	if (r)
		return r;
	r = bg_state_open(&st, BG_STATE_LOCK);
	if (r == -ENOENT && !bg_state_bpffs_mounted()) {
		/* Unmounted bpffs drops every pin (and with them the links) in
		 * this mount namespace: say so rather than "no policies". */
		bg_err("status: no bpffs mounted at %s: bindguard state, if any, is not visible "
		       "here",
		       BG_BPFFS);
		return BG_EXIT_FAIL;
	}
	if (r == 0)
		r = bg_state_gc(&st);
	/* -ENOENT: no state; its maps are closed, so no policies. */
	if (r <= 0) {
		r = format == PROM ? metrics_text(&st, &prom, &prom_len)
				   : bg_status_collect(&st, &s, "status");
		if (r < 0) {
			bg_err("status: %s", strerror(-r));
			r = BG_EXIT_FAIL;
		}
	}
	bg_state_close(&st);
	if (r > 0) {
		free(prom);
		return r;
	}
	if (format == PROM)
		fwrite(prom, 1, prom_len, stdout);
	else if (format == JSON)
		print_json(&s, mnt);
	else
		print_text(&s);
	free(prom);
	bg_status_free(&s);
	return BG_EXIT_OK;
}
