// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One container's policy and its record (ocipolice.h). */
#include <dirent.h>
#include <errno.h>
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
#include "ocipolice.h"
#include "state.h"

static int write_record(const char *id, const struct bg_cgroup *cg)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;

	if (bg_run_dir() || (mkdir(BG_OCI_RECORDS, 0700) && errno != EEXIST))
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", BG_OCI_RECORDS, id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", BG_OCI_RECORDS, id);
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

	snprintf(path, sizeof(path), "%s/%s", BG_OCI_RECORDS, id);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &cgid) != 1)
		cgid = 0;
	fclose(f);
	return cgid;
}

int bg_oci_police(const struct bg_oci_state *os, const struct bg_policy_spec *spec, const char *who,
		  bool if_unpoliced, __u64 *applied)
{
	char pid[24], err[BG_ERRLEN];
	struct bg_cgroup cg;
	struct bg_state st;
	int r;

	*applied = 0;
	if (os->pid <= 0) {
		bg_err("%s: container %s: the state has no pid (is the hook at the "
		       "createRuntime stage?)",
		       who, os->id);
		return BG_EXIT_FAIL;
	}
	r = bg_need_cgroup2(who);
	if (r)
		return BG_EXIT_FAIL; /* any failure keeps the container from starting */
	snprintf(pid, sizeof(pid), "%ld", os->pid);
	if (bg_cgroup_of_pid(pid, &cg, err, sizeof(err))) {
		bg_err("%s: container %s: %s", who, os->id, err);
		return BG_EXIT_FAIL;
	}
	if (cg.is_root) {
		bg_err("%s: container %s: its process is in the root cgroup v2; refusing "
		       "to police the whole host",
		       who, os->id);
		return BG_EXIT_FAIL;
	}
	r = bg_require_privileges(who);
	if (r)
		return r;
	r = bg_state_open(&st, BG_STATE_CREATE | BG_STATE_LOCK);
	if (r == 0 && if_unpoliced) {
		struct bg_policy pol;

		if (bg_state_policy(&st, cg.id, &pol) == 0) {
			bg_state_close(&st);
			return BG_EXIT_OK;
		}
	}
	if (r == 0)
		r = bg_state_apply_many(&st, &cg, 1, spec);
	bg_state_close(&st);
	if (r)
		return BG_EXIT_FAIL;
	*applied = cg.id;
	r = write_record(os->id, &cg);
	if (r) {
		/* Enforcing, but poststop could not find the cgroup while it
		 * lives; gc still forgets the policy once the cgroup is gone. */
		bg_err("%s: container %s: note: could not record its cgroup in %s: %s", who, os->id,
		       BG_OCI_RECORDS, strerror(-r));
	}
	bg_dbg("container %s: %s on %s", os->id, bg_preset_name(spec->preset), cg.path);
	return BG_EXIT_OK;
}

/* Records of containers whose poststop never came (a runtime killed midway):
 * those whose cgroup is gone are dropped; gc already forgot their policies. */
void bg_oci_sweep_records(void)
{
	DIR *d = opendir(BG_OCI_RECORDS);
	struct dirent *e;
	char path[PATH_MAX];

	while (d && (e = readdir(d))) {
		__u64 cgid;

		if (e->d_name[0] == '.')
			continue;
		cgid = read_record(e->d_name);
		if (cgid && bg_cgroup_path_of_id(cgid, path, sizeof(path)) == -ENOENT) {
			snprintf(path, sizeof(path), "%s/%s", BG_OCI_RECORDS, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
}

int bg_oci_unpolice(const struct bg_oci_state *os, const char *who)
{
	char path[PATH_MAX];
	struct bg_state st;
	__u64 cgid = read_record(os->id);
	int r;

	r = bg_require_privileges(who);
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
		snprintf(path, sizeof(path), "%s/%s", BG_OCI_RECORDS, os->id);
		unlink(path);
		bg_oci_sweep_records();
	}
	return r ? BG_EXIT_FAIL : BG_EXIT_OK;
}
