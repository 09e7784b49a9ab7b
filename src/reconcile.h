/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Bring the policies in force to what a configuration (conf.h) says: the
 * plan (what to add, change, remove), then its application as one
 * transaction. What a configuration made is recorded per configuration
 * (its directories) in /run/bindguard/config/, like the pins it lives as
 * long as: a later apply of the same configuration removes what it made and
 * no longer names, and never a policy it did not make (made by hand, by
 * another configuration, by `bindguard run` or the OCI hook).
 */
#ifndef BG_RECONCILE_H
#define BG_RECONCILE_H

#include <stdbool.h>
#include "cgroup.h"
#include "conf.h"
#include "pins.h"
#include "state.h"

#define BG_CONF_RECORDS BG_RUN_DIR "/config"

enum bg_plan_op {
	BG_PLAN_ADD,	/* no policy yet: apply */
	BG_PLAN_CHANGE, /* another policy: replace */
	BG_PLAN_REMOVE, /* made by this configuration, no longer in it: detach */
	BG_PLAN_KEEP,	/* already as configured */
	BG_PLAN_ABSENT, /* an exact Cgroup= that does not exist (yet) */
	BG_PLAN_SKIP,	/* a `bindguard run` cgroup a glob matched: never touched */
};

struct bg_plan_item {
	enum bg_plan_op op;
	struct bg_cgroup cg;
	const struct bg_conf_policy *want; /* NULL for REMOVE */
	bool by_hand;			   /* CHANGE: replaces a policy this config did not make */
	struct bg_policy_spec old;	   /* CHANGE, REMOVE: the policy in force */
};

struct bg_plan {
	struct bg_plan_item *v;
	size_t n;
	char record[PATH_MAX]; /* this configuration's record */
};

/* The record of a configuration, from its directories. */
void bg_conf_record_path(const char *const *dirs, int ndirs, char *buf, size_t len);

/* The plan for c against the policies in force (st NULL: there are none yet).
 * 0, or an exit code after one error line. */
int bg_plan_make(const struct bg_state *st, const struct bg_conf *c, const char *record,
		 struct bg_plan *pl);

/* Apply a plan made under st's change lock: removals, then changes, then
 * additions; on a failure every step already taken is undone, in reverse,
 * and nothing has changed. Then the record is rewritten. Exit code. */
int bg_plan_apply(struct bg_state *st, const struct bg_plan *pl);

/* Counts of an op in a plan. */
size_t bg_plan_count(const struct bg_plan *pl, enum bg_plan_op op);

const char *bg_plan_op_name(enum bg_plan_op op);

void bg_plan_free(struct bg_plan *pl);

#endif
