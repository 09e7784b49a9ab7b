// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * oci-hook: the OCI runtime hook. At createRuntime the container's first
 * process is in its cgroup and has not run the workload yet: the policy
 * its annotations select goes on that cgroup, or the hook fails and the
 * runtime does not start the container. At poststop the policy goes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cgroup.h"
#include "commands.h"
#include "control.h"
#include "gc.h"
#include "log.h"
#include "oci.h"
#include "ocipolice.h"
#include "pins.h"
#include "state.h"

static void oci_usage(FILE *f)
{
	fprintf(f,
		"Usage: bindguard oci-hook [--stage createRuntime|poststop] [--exempt-namespace "
		"NS]...\n"
		"\n"
		"An OCI runtime hook: reads the container state JSON on stdin. At\n"
		"createRuntime it applies the policy the container's annotations select to\n"
		"the container's cgroup v2, before the workload runs; any error exits 1 with\n"
		"one line on stderr, so the runtime does not start the container. At poststop\n"
		"it removes that policy. A container without io.bindguard.* annotations is\n"
		"left alone.\n"
		"\n"
		"  --stage S   createRuntime or poststop (default: from the state's status,\n"
		"              creating or stopped)\n"
		"  --exempt-namespace NS\n"
		"              leave the containers of Kubernetes namespace NS alone, whatever\n"
		"              their annotations (the agent's own; repeatable)\n"
		"\n"
		"Annotations: io.bindguard.policy (loopback-only or deny-wildcard, required),\n"
		"io.bindguard.allow (comma-separated --allow rules), and io.bindguard.mode,\n"
		"proto, udp-autobind, raw, ping, other-protocols, count-allowed (true or\n"
		"false), each taking the value of the option of the same name. Or the\n"
		"Kubernetes spelling, bindguard.io/policy, bindguard.io/allow, ... (one\n"
		"spelling per container).\n"
		"\n"
		"EXAMPLES\n"
		"  podman run --runtime runc --annotation io.bindguard.policy=loopback-only IMAGE\n"
		"  (with the hooks.d file bindguard installs; see docs/CONTAINERS.md)\n");
}

/* stdin, whole, up to the limit (one byte more tells it was too long). */
static char *read_state(size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t k;

		if (n == cap) {
			char *more = cap > BG_OCI_STATE_MAX ? NULL : realloc(buf, cap * 2);

			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
		k = read(STDIN_FILENO, buf + n, cap - n);
		if (k == 0) {
			*len = n;
			return buf;
		}
		if (k < 0 && errno != EINTR)
			break;
		if (k > 0)
			n += (size_t)k;
	}
	if (buf && n == cap)
		bg_err("oci-hook: state JSON: longer than %d bytes", BG_OCI_STATE_MAX);
	else
		bg_err("oci-hook: read the state JSON from stdin: %s", strerror(errno));
	free(buf);
	return NULL;
}

int cmd_oci_hook(int argc, char **argv, struct bg_global *g)
{
	static const struct option opts[] = {
		{ "stage", required_argument, NULL, 's' },
		{ "exempt-namespace", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct bg_policy_spec *spec = NULL;
	struct bg_oci_state os = { 0 };
	const char *stage = NULL, *exempt[BG_OCI_EXEMPT_MAX];
	char err[BG_ERRLEN];
	__u64 applied;
	int nexempt = 0;
	char *buf = NULL;
	size_t len = 0;
	int c, r = BG_EXIT_FAIL;

	(void)g;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			stage = optarg;
			if (strcmp(stage, "createRuntime") && strcmp(stage, "poststop")) {
				bg_err("oci-hook: --stage %s: expected createRuntime or poststop",
				       stage);
				return BG_EXIT_USAGE;
			}
			break;
		case 'x':
			if (!bg_exempt_option("oci-hook", optarg, exempt, &nexempt))
				return BG_EXIT_USAGE;
			break;
		case 'h':
			oci_usage(stdout);
			return BG_EXIT_OK;
		default:
			bg_option_error("oci-hook", argv, "h", opts);
			return BG_EXIT_USAGE;
		}
	}
	if (bg_no_more_args("oci-hook", argc, argv))
		return BG_EXIT_USAGE;
	buf = read_state(&len);
	if (!buf)
		return BG_EXIT_FAIL;
	spec = calloc(1, sizeof(*spec));
	if (!spec) {
		bg_err("oci-hook: out of memory");
		goto out;
	}
	if (bg_oci_parse(buf, len, &os, err, sizeof(err))) {
		bg_err("oci-hook: %s", err);
		goto out;
	}
	if (!stage)
		stage = !strcmp(os.status, "creating")	? "createRuntime"
			: !strcmp(os.status, "stopped") ? "poststop"
							: NULL;
	if (!stage) {
		bg_err("oci-hook: container %s: status \"%s\" is neither creating nor stopped: "
		       "give --stage createRuntime or --stage poststop",
		       os.id, os.status);
		goto out;
	}
	/* The agent's pods: never touched, so no hook error can stop them. */
	if (bg_oci_exempt(&os, exempt, nexempt)) {
		bg_dbg("container %s: namespace %s is exempt", os.id, os.pod_ns);
		r = BG_EXIT_OK;
		goto out;
	}
	if (!strcmp(stage, "poststop")) {
		/* Whatever the annotations say now: what was applied goes. */
		r = os.nann ? bg_oci_unpolice(&os, "oci-hook") : BG_EXIT_OK;
		goto out;
	}
	r = bg_oci_policy(&os, spec, err, sizeof(err));
	if (r < 0) {
		bg_err("oci-hook: container %s: %s", os.id, err);
		r = BG_EXIT_FAIL;
	} else if (r == 0) {
		r = BG_EXIT_OK; /* not annotated: not ours */
	} else {
		r = bg_oci_police(&os, spec, "oci-hook", false, &applied);
	}
out:
	bg_oci_free(&os);
	free(spec);
	free(buf);
	return r;
}
