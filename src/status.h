/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What `bindguard status` reports, read from the pinned state: every policy
 * in force with its counters, exceptions and refused sockets still open, and
 * the machine-wide values. Shared by status's text and JSON forms and by the
 * metrics (metrics.h), so they cannot disagree.
 */
#ifndef BG_STATUS_H
#define BG_STATUS_H

#include <limits.h>
#include <stdbool.h>
#include "rules.h"
#include "state.h"

struct bg_status_row {
	__u64 id;
	struct bg_policy pol;
	struct bg_stats stats;
	char path[PATH_MAX]; /* relative to the cgroup2 mount; "?id=N" when unknown */
	bool own_link;
	int nrules;
	struct bg_rule_src *rules;
	long refused_open; /* existing sockets it refuses, still open; -1: unknown */
};

struct bg_status {
	struct bg_status_row *rows; /* sorted by path */
	int n;
	__u64 lost_total; /* slot 0: every lost event, all time */
	int max_policies;
	const char *listen; /* listen() without bind: deny, confine, deny-or-confine */
	int object;	    /* object.h's BG_OBJ_*, or -1 (another build's state) */
};

/* Collect from open state (no garbage collection, no lock taken: the
 * caller's). cmd prefixes the lines a failed socket scan prints. 0, or
 * -ENOMEM (nothing printed); on success free with bg_status_free. */
int bg_status_collect(struct bg_state *st, struct bg_status *out, const char *cmd);
void bg_status_free(struct bg_status *s);

#endif
