// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* status: every policed cgroup with its policy, exceptions and counters. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "cgroup.h"
#include "commands.h"
#include "existing.h"
#include "gc.h"
#include "json.h"
#include "links.h"
#include "load.h"
#include "log.h"
#include "pins.h"
#include "policy.h"
#include "rules.h"
#include "sockets.h"
#include "state.h"
#include "stats.h"

struct row {
	__u64 id;
	struct bg_policy pol;
	struct bg_stats stats;
	char path[PATH_MAX];
	bool own_link;
	int nrules;
	struct bg_rule_src *rules;
	long refused_open; /* existing sockets it refuses, still open; -1: unknown */
};

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->path, ((const struct row *)b)->path);
}

static int collect(struct bg_state *st, struct row **out, int *n)
{
	__u64 key, next, *prev = NULL;
	struct row *rows = NULL;
	int cap = 0;

	*n = 0;
	while (!bpf_map_get_next_key(st->map_fd[BG_MAP_POLICIES], prev, &next)) {
		struct row *r;

		key = next;
		prev = &key;
		if (*n == cap) {
			struct row *nr = realloc(rows, (cap + 16) * sizeof(*rows));

			if (!nr)
				goto oom;
			rows = nr;
			cap += 16;
		}
		r = &rows[*n];
		memset(r, 0, sizeof(*r));
		if (bpf_map_lookup_elem(st->map_fd[BG_MAP_POLICIES], &key, &r->pol))
			continue;
		r->id = key;
		if (bg_cgroup_path_of_id(key, r->path, sizeof(r->path)))
			snprintf(r->path, sizeof(r->path), "?id=%" PRIu64, (uint64_t)key);
		bg_state_stats(st, r->pol.slot, &r->stats);
		r->own_link = bg_state_has_link(st, key);
		if (r->pol.nrules) {
			r->rules = calloc(r->pol.nrules, sizeof(*r->rules));
			if (!r->rules)
				goto oom;
			r->nrules = bg_state_rules(st, &r->pol, r->rules, r->pol.nrules);
			if (r->nrules < 0)
				r->nrules = 0;
		}
		(*n)++;
	}
	if (*n)
		qsort(rows, *n, sizeof(*rows), cmp_row);
	*out = rows;
	return 0;
oom:
	for (int i = 0; i < *n; i++)
		free(rows[i].rules);
	free(rows);
	bg_err("status: out of memory");
	return BG_EXIT_FAIL;
}

/* Per policy, the sockets bound before it that it refuses and that are
 * still open (bindguard sockets --refused lists them). */
static void count_refused_open(const struct bg_state *st, struct row *rows, int n)
{
	struct bg_scan_filter f = { .policed = true, .refused_only = true };
	struct bg_scan sc;
	bool ok = n && bg_scan_sockets(st, &f, &sc, "status") == 0;

	for (int i = 0; i < n; i++) {
		rows[i].refused_open = ok ? 0 : -1;
		for (size_t k = 0; ok && k < sc.n; k++)
			rows[i].refused_open += sc.cgs[sc.v[k].cg].pcgid == rows[i].id &&
						bg_verdict_refuses(sc.v[k].verdict);
	}
	if (ok)
		bg_scan_free(&sc);
}

static void print_json(const struct row *rows, int n, __u64 lost_total, int max_policies,
		       const char *mnt, const char *listen, int object)
{
	char buf[128];
	struct bg_json j;

	bg_json_init(&j, stdout);
	bg_json_obj_begin(&j);
	bg_json_kstr(&j, "version", BG_VERSION);
	bg_json_kstr(&j, "cgroup2", mnt);
	bg_json_kstr(&j, "pin_dir", BG_BPFFS "/" BG_PIN_DIR);
	bg_json_ku64(&j, "lost_total", lost_total);
	bg_json_ku64(&j, "max_policies", (__u64)max_policies);
	/* The BPF object the pinned programs came from; null: no state, or
	 * another bindguard build's. */
	if (object >= 0)
		bg_json_kstr(&j, "object", bg_object_name(object));
	else {
		bg_json_key(&j, "object");
		bg_json_null(&j);
	}
	bg_json_key(&j, "policies");
	bg_json_arr_begin(&j);
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];

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
			     r->pol.proto_mask & BG_PROTO_TCP ? listen : "not-policed");
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

static void print_text(const struct row *rows, int n, __u64 lost_total, int max_policies,
		       const char *listen, int object)
{
	char buf[128];

	if (!n) {
		printf("no policies\n");
		return;
	}
	printf("%-24s %-14s %-8s %-5s %-8s %10s %10s %10s %10s %8s  %s\n", "CGROUP", "POLICY",
	       "MODE", "PROTO", "LINK", "ALLOWED", "DENIED", "AUDITED", "REWRITTEN", "LOST",
	       "ALLOW");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];

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
		       r->pol.proto_mask & BG_PROTO_TCP ? listen : "not policed");
		if (r->refused_open > 0)
			printf("\n%-24s %ld refused socket%s from before the policy still open "
			       "(bindguard sockets --refused)",
			       "", r->refused_open, r->refused_open == 1 ? "" : "s");
		else if (r->refused_open < 0)
			printf("\n%-24s existing sockets: could not be listed", "");
		putchar('\n');
	}
	printf("lost events (all time): %" PRIu64 "\n", (uint64_t)lost_total);
	printf("policed cgroups: %d of at most %d on this machine\n", n, max_policies);
	if (object >= 0)
		printf("bpf object: %s%s%s\n", bg_object_name(object),
		       object == BG_OBJ_COMPAT ? ": " : "",
		       object == BG_OBJ_COMPAT ? bg_compat_gives_up : "");
}

int cmd_status(int argc, char **argv, struct bg_global *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct row *rows = NULL;
	struct bg_stats global = {};
	struct bg_state st;
	char mnt[PATH_MAX] = "";
	const char *listen = "confine";
	int c, r, n = 0, max_policies, object = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			g->json = true;
			break;
		case 'h':
			printf("Usage: bindguard status [--json]\n\n"
			       "List every policed cgroup with its policy, exceptions and "
			       "counters.\n\n"
			       "EXAMPLES\n  bindguard status\n  bindguard --json status\n");
			return BG_EXIT_OK;
		default:
			bg_option_error("status", argv, "jh", opts);
			return BG_EXIT_USAGE;
		}
	}
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
	if (r == 0)
		r = collect(&st, &rows, &n);
	if (r == 0)
		count_refused_open(&st, rows, n);
	if (r == 0) {
		bg_state_stats(&st, BG_SLOT_GLOBAL, &global);
		/* Which listen() backend runs: the LSM program only where
		 * BPF LSM is active (sock_ops confines either way). */
		if (st.prog_fd[BG_HOOK_LSM_LISTEN] >= 0) {
			int active = bg_bpf_lsm_active(NULL, 0);

			listen = active > 0 ? "deny" : active < 0 ? "deny-or-confine" : "confine";
		}
	}
	max_policies = bg_state_max_policies(&st);
	if (r == 0)
		object = bg_state_object(&st);
	bg_state_close(&st);
	if (r > 0)
		return r;
	if (g->json)
		print_json(rows, n, global.lost, max_policies, mnt, listen, object);
	else
		print_text(rows, n, global.lost, max_policies, listen, object);
	for (int i = 0; i < n; i++)
		free(rows[i].rules);
	free(rows);
	return BG_EXIT_OK;
}
