// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What status reports, collected from the pinned state (status.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "cgroup.h"
#include "existing.h"
#include "links.h"
#include "load.h"
#include "object.h"
#include "sockets.h"
#include "stats.h"
#include "status.h"

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct bg_status_row *)a)->path,
		      ((const struct bg_status_row *)b)->path);
}

static int collect_rows(struct bg_state *st, struct bg_status *s)
{
	__u64 key, next, *prev = NULL;
	int cap = 0;

	/* No state (its maps are not open): no policies. */
	while (st->map_fd[BG_MAP_POLICIES] >= 0 &&
	       !bpf_map_get_next_key(st->map_fd[BG_MAP_POLICIES], prev, &next)) {
		struct bg_status_row *r;

		key = next;
		prev = &key;
		if (s->n == cap) {
			struct bg_status_row *nr = realloc(s->rows, (cap + 16) * sizeof(*s->rows));

			if (!nr)
				return -ENOMEM;
			s->rows = nr;
			cap += 16;
		}
		r = &s->rows[s->n];
		memset(r, 0, sizeof(*r));
		if (bpf_map_lookup_elem(st->map_fd[BG_MAP_POLICIES], &key, &r->pol))
			continue;
		r->id = key;
		if (bg_cgroup_path_of_id(key, r->path, sizeof(r->path)))
			snprintf(r->path, sizeof(r->path), "?id=%" PRIu64, (uint64_t)key);
		bg_state_stats(st, r->pol.slot, &r->stats);
		r->own_link = bg_state_has_link(st, key);
		/* Counted before anything that can fail: bg_status_free frees it. */
		s->n++;
		if (r->pol.nrules) {
			r->rules = calloc(r->pol.nrules, sizeof(*r->rules));
			if (!r->rules)
				return -ENOMEM;
			r->nrules = bg_state_rules(st, &r->pol, r->rules, r->pol.nrules);
			if (r->nrules < 0)
				r->nrules = 0;
		}
	}
	if (s->n)
		qsort(s->rows, s->n, sizeof(*s->rows), cmp_row);
	return 0;
}

/* Per policy, the sockets bound before it that it refuses and that are
 * still open (bindguard sockets --refused lists them). */
static void count_refused_open(const struct bg_state *st, struct bg_status *s, const char *cmd)
{
	struct bg_scan_filter f = { .policed = true, .refused_only = true };
	struct bg_scan sc;
	bool ok = s->n && bg_scan_sockets(st, &f, &sc, cmd) == 0;

	for (int i = 0; i < s->n; i++) {
		struct bg_status_row *r = &s->rows[i];

		r->refused_open = ok ? 0 : -1;
		for (size_t k = 0; ok && k < sc.n; k++)
			r->refused_open += sc.cgs[sc.v[k].cg].pcgid == r->id &&
					   bg_verdict_refuses(sc.v[k].verdict);
	}
	if (ok)
		bg_scan_free(&sc);
}

int bg_status_collect(struct bg_state *st, struct bg_status *out, const char *cmd)
{
	struct bg_stats global = {};
	int r;

	memset(out, 0, sizeof(*out));
	out->object = -1;
	out->listen = "confine";
	r = collect_rows(st, out);
	if (r) {
		bg_status_free(out);
		return r;
	}
	count_refused_open(st, out, cmd);
	if (st->map_fd[BG_MAP_STATS] >= 0)
		bg_state_stats(st, BG_SLOT_GLOBAL, &global);
	out->lost_total = global.lost;
	/* Which listen() backend runs: the LSM program only where BPF LSM is
	 * active (sock_ops confines either way). */
	if (st->prog_fd[BG_HOOK_LSM_LISTEN] >= 0) {
		int active = bg_bpf_lsm_active(NULL, 0);

		out->listen = active > 0 ? "deny" : active < 0 ? "deny-or-confine" : "confine";
	}
	out->max_policies = bg_state_max_policies(st);
	if (st->map_fd[BG_MAP_CFG] >= 0)
		out->object = bg_state_object(st);
	return 0;
}

void bg_status_free(struct bg_status *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->rows[i].rules);
	free(s->rows);
	s->rows = NULL;
	s->n = 0;
}
