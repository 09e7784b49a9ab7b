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
#include "pins.h"
#include "state.h"

/* Which cgroup a container's policy went on, by container id: poststop
 * comes after the runtime removed the process (and usually the cgroup). */
#define OCI_RECORDS BG_RUN_DIR "/oci"

static void oci_usage(FILE *f)
{
	fprintf(f,
		"Usage: bindguard oci-hook [--stage createRuntime|poststop]\n"
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

static int write_record(const char *id, const struct bg_cgroup *cg)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;

	if (bg_run_dir() || (mkdir(OCI_RECORDS, 0700) && errno != EEXIST))
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", OCI_RECORDS, id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", OCI_RECORDS, id);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%llu %s\n", (unsigned long long)cg->id, cg->path);
	if (fclose(f) || rename(tmp, path)) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}

/* The cgroup id a container's record names; 0 when there is none. */
static __u64 read_record(const char *id)
{
	char path[PATH_MAX];
	unsigned long long cgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", OCI_RECORDS, id);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &cgid) != 1)
		cgid = 0;
	fclose(f);
	return cgid;
}

static int create_runtime(const struct bg_oci_state *os, const struct bg_policy_spec *spec)
{
	char pid[24], err[BG_ERRLEN];
	struct bg_cgroup cg;
	struct bg_state st;
	int r;

	if (os->pid <= 0) {
		bg_err("oci-hook: container %s: the state has no pid (is the hook at the "
		       "createRuntime stage?)",
		       os->id);
		return BG_EXIT_FAIL;
	}
	r = bg_need_cgroup2("oci-hook");
	if (r)
		return BG_EXIT_FAIL; /* any failure keeps the container from starting */
	snprintf(pid, sizeof(pid), "%ld", os->pid);
	if (bg_cgroup_of_pid(pid, &cg, err, sizeof(err))) {
		bg_err("oci-hook: container %s: %s", os->id, err);
		return BG_EXIT_FAIL;
	}
	if (cg.is_root) {
		bg_err("oci-hook: container %s: its process is in the root cgroup v2; refusing "
		       "to police the whole host",
		       os->id);
		return BG_EXIT_FAIL;
	}
	r = bg_require_privileges("oci-hook");
	if (r)
		return r;
	r = bg_state_open(&st, BG_STATE_CREATE | BG_STATE_LOCK);
	if (r == 0)
		r = bg_state_apply_many(&st, &cg, 1, spec);
	bg_state_close(&st);
	if (r)
		return BG_EXIT_FAIL;
	r = write_record(os->id, &cg);
	if (r) {
		/* Enforcing, but poststop could not find the cgroup while it
		 * lives; gc still forgets the policy once the cgroup is gone. */
		bg_err("oci-hook: container %s: note: could not record its cgroup in %s: %s",
		       os->id, OCI_RECORDS, strerror(-r));
	}
	bg_dbg("container %s: %s on %s", os->id, bg_preset_name(spec->preset), cg.path);
	return BG_EXIT_OK;
}

/* Records of containers whose poststop never came (a runtime killed midway):
 * those whose cgroup is gone are dropped; gc already forgot their policies. */
static void sweep_records(void)
{
	DIR *d = opendir(OCI_RECORDS);
	struct dirent *e;
	char path[PATH_MAX];

	while (d && (e = readdir(d))) {
		__u64 cgid;

		if (e->d_name[0] == '.')
			continue;
		cgid = read_record(e->d_name);
		if (cgid && bg_cgroup_path_of_id(cgid, path, sizeof(path)) == -ENOENT) {
			snprintf(path, sizeof(path), "%s/%s", OCI_RECORDS, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
}

static int poststop(const struct bg_oci_state *os)
{
	char path[PATH_MAX];
	struct bg_state st;
	__u64 cgid = read_record(os->id);
	int r;

	r = bg_require_privileges("oci-hook");
	if (r)
		return r;
	r = bg_state_open(&st, BG_STATE_LOCK);
	if (r == -ENOENT) {
		bg_state_close(&st);
		r = 0;
		goto out;
	}
	/* A runtime that leaves the cgroup in place: remove its policy now. */
	if (r == 0 && cgid && bg_cgroup_path_of_id(cgid, path, sizeof(path)) == 0) {
		struct bg_policy pol;

		if (bg_state_policy(&st, cgid, &pol) == 0)
			r = bg_state_detach(&st, cgid, path);
	}
	/* Removed cgroups (this container's, usually): forget their policies. */
	if (r == 0)
		r = bg_state_gc(&st);
	bg_state_close(&st);
out:
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/%s", OCI_RECORDS, os->id);
		unlink(path);
		sweep_records();
	}
	return r ? BG_EXIT_FAIL : BG_EXIT_OK;
}

int cmd_oci_hook(int argc, char **argv, struct bg_global *g)
{
	static const struct option opts[] = {
		{ "stage", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct bg_policy_spec *spec = NULL;
	struct bg_oci_state os = { 0 };
	const char *stage = NULL;
	char err[BG_ERRLEN];
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
	if (!strcmp(stage, "poststop")) {
		/* Whatever the annotations say now: what was applied goes. */
		r = os.nann ? poststop(&os) : BG_EXIT_OK;
		goto out;
	}
	r = bg_oci_policy(&os, spec, err, sizeof(err));
	if (r < 0) {
		bg_err("oci-hook: container %s: %s", os.id, err);
		r = BG_EXIT_FAIL;
	} else if (r == 0) {
		r = BG_EXIT_OK; /* not annotated: not ours */
	} else {
		r = create_runtime(&os, spec);
	}
out:
	bg_oci_free(&os);
	free(spec);
	free(buf);
	return r;
}
