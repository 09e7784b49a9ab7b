/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The OCI runtime-spec hook protocol, pure: the container state a runtime
 * writes on a hook's stdin (id, status, pid, annotations), and the policy
 * its io.bindguard.* (or bindguard.io/...) annotations select. No syscalls: unit-tested and
 * fuzzed without root.
 */
#ifndef BG_OCI_H
#define BG_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include "policy.h"

/* The most state JSON a hook reads: annotations can be long, not this long. */
#define BG_OCI_STATE_MAX (1 << 20)
/* The annotation prefixes: io.bindguard.policy, io.bindguard.allow, ... (OCI
 * style), or bindguard.io/policy, ... (Kubernetes style: a pod's annotations,
 * which CRI-O and containerd can pass to the container's). One container uses
 * one of them. */
#define BG_OCI_PREFIX	  "io.bindguard."
#define BG_OCI_PREFIX_K8S "bindguard.io/"
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
	struct bg_oci_annotation *ann; /* ours (either prefix), in order */
	size_t nann;
	const char *prefix; /* BG_OCI_PREFIX or BG_OCI_PREFIX_K8S; NULL when none */
	/* The Kubernetes namespace of the container's pod, from the annotation
	 * CRI-O (io.kubernetes.pod.namespace) or containerd
	 * (io.kubernetes.cri.sandbox-namespace) sets; "" when neither is there
	 * or it is not a namespace name (a DNS label). */
	char pod_ns[64];
};

/* Parse state JSON of len bytes (need not be NUL-terminated). 0, or -1 with
 * a one-line reason in err; bg_oci_free either way. */
int bg_oci_parse(const char *buf, size_t len, struct bg_oci_state *st, char *err, size_t errlen);
void bg_oci_free(struct bg_oci_state *st);

/* Whether the container's pod is in one of the namespaces the hook leaves
 * alone (oci-hook --exempt-namespace): the agent's own, so that a hook that
 * fails can never keep the agent from starting. */
#define BG_OCI_EXEMPT_MAX 16
bool bg_oci_valid_ns(const char *s);
bool bg_oci_exempt(const struct bg_oci_state *st, const char *const *ns, int nns);

/* The hooks.d file (oci-hooks(5), version 1.0.0) that runs bin as the
 * hook, with --exempt-namespace for each of exempt, for containers with a
 * policy annotation (either spelling): malloc'ed JSON text, or NULL. */
char *bg_oci_hooks_file(const char *bin, const char *const *exempt, int nexempt);

/* The policy the annotations select: 1 with spec filled, 0 when the state
 * has none of ours at all (not policed), -1 with err (an unknown name after
 * our prefix, a bad value, options without a policy). */
int bg_oci_policy(const struct bg_oci_state *st, struct bg_policy_spec *spec, char *err,
		  size_t errlen);

#endif
