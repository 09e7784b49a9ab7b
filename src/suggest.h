/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * run --suggest: from the events of a run, the smallest set of specific
 * exceptions that lets what was refused or audited through, each with why,
 * and what no exception can admit, with the option that does. Pure.
 */
#ifndef BG_SUGGEST_H
#define BG_SUGGEST_H

#include <stdbool.h>
#include <stdio.h>
#include "bindguard.h"

#define BG_MAX_SUGGEST 1024

struct bg_suggestion {
	char rule[64]; /* an --allow rule; "" when no exception admits it */
	char addr[56]; /* the rule's address part ("0.0.0.0", "[::]") */
	bool any_port; /* the rule matches every port of addr */
	bool covered;  /* an any-port rule of the same address admits it too */
	char why[200]; /* one line, no newline */
	char comm[16];
	__u32 pid;
	__u8 kind; /* enum bg_event_kind */
};

struct bg_suggestions {
	int n;
	bool full; /* more distinct suggestions than BG_MAX_SUGGEST */
	struct bg_suggestion v[BG_MAX_SUGGEST];
};

/* Take one event (any verdict but allow); repeats and what a broader rule
 * already admits are dropped. */
void bg_suggest_observe(struct bg_suggestions *s, const struct bg_event *e);

/* Mark the rules another one covers (ADDR:PORT under ADDR): printed as
 * comments, for when that broader rule is dropped. Called before printing. */
void bg_suggest_finish(struct bg_suggestions *s);

/* Text: one rule per line with "# why" after it, lines without a rule as
 * comments; what --allow-from reads back. JSON: one object per line,
 * {"allow": RULE or null, "covered_by" (when covered), "kind", "comm", "pid",
 * "why"}. */
void bg_suggest_print(const struct bg_suggestions *s, FILE *f, bool json);

#endif
