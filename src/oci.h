/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The OCI runtime-spec hook protocol, pure: the container state a runtime
 * writes on a hook's stdin (id, status, pid, annotations), and the policy
 * its io.bindguard.* annotations select. No syscalls: unit-tested and
 * fuzzed without root.
 */
#ifndef BG_OCI_H
#define BG_OCI_H

#include <stddef.h>
#include "policy.h"

/* The most state JSON a hook reads: annotations can be long, not this long. */
#define BG_OCI_STATE_MAX (1 << 20)
/* The annotation prefix: io.bindguard.policy, io.bindguard.allow, ... */
#define BG_OCI_PREFIX "io.bindguard."
/* Container ids as runc accepts them: [A-Za-z0-9_.+-], not "." or "..". */
#define BG_OCI_ID_MAX 255

struct bg_oci_annotation {
	char *name; /* after the prefix: "policy", "allow", ... */
	char *value;
};

struct bg_oci_state {
	char id[BG_OCI_ID_MAX + 1];
	char status[16];	       /* "creating", "created", "running", "stopped" */
	long pid;		       /* 0 when absent (after the container stopped) */
	struct bg_oci_annotation *ann; /* the io.bindguard.* ones, in order */
	size_t nann;
};

/* Parse state JSON of len bytes (need not be NUL-terminated). 0, or -1 with
 * a one-line reason in err; bg_oci_free either way. */
int bg_oci_parse(const char *buf, size_t len, struct bg_oci_state *st, char *err, size_t errlen);
void bg_oci_free(struct bg_oci_state *st);

/* The policy the annotations select: 1 with spec filled, 0 when the state
 * has no io.bindguard.* annotation at all (not policed), -1 with err (an
 * unknown io.bindguard.* name, a bad value, options without a policy). */
int bg_oci_policy(const struct bg_oci_state *st, struct bg_policy_spec *spec, char *err,
		  size_t errlen);

#endif
