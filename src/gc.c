// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cgroup.h"
#include "gc.h"
#include "links.h"
#include "log.h"
#include "pins.h"
#include "rings.h"
#include "rules.h"

/*
 * A `bindguard run` that was killed leaves its cgroup policed (fail closed).
 * While processes remain, their events move to the shared ring so that
 * `bindguard events` sees them; once the cgroup is empty it is removed with
 * its policy. Returns true when the policy and cgroup are gone.
 */
static bool gc_orphaned_run(struct bg_state *s, struct bg_snap_entry *e)
{
	char mnt[PATH_MAX], dir[PATH_MAX * 2];

	if (bg_cgroup_populated(e->path) != 0) {
		if (e->pol.ring) {
			struct bg_policy was = e->pol;

			e->pol.ring = 0;
			if (bg_policy_store(s, e->id, &e->pol))
				e->pol = was;
			bg_dbg("orphaned run %s: events go to the shared ring", e->path);
		}
		return false;
	}
	bg_unpin_links(s, e->id);
	bg_policy_remove(s, e->id);
	if (!bg_cgroup_mount(mnt, sizeof(mnt))) {
		snprintf(dir, sizeof(dir), "%s%s", mnt, e->path);
		if (rmdir(dir))
			bg_err("remove orphaned run cgroup %s: %s", dir, strerror(errno));
	}
	bg_dbg("removed orphaned run cgroup %s", e->path);
	return true;
}

/* Run cgroups without a policy whose run died before applying it (or while
 * removing it): nothing polices them, so remove them once empty. */
static void gc_orphaned_run_dirs(void)
{
	char mnt[PATH_MAX], dir[PATH_MAX + 32], path[PATH_MAX * 2], rel[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (bg_cgroup_mount(mnt, sizeof(mnt)))
		return;
	snprintf(dir, sizeof(dir), "%s%s", mnt, BG_RUN_PARENT);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "run-", 4))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", BG_RUN_PARENT, de->d_name);
		if (!bg_run_cgroup_orphaned(rel) || bg_cgroup_populated(rel) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		/* A policed one is handled with its policy (gc_orphaned_run). */
		if (!rmdir(path))
			bg_dbg("removed orphaned run cgroup %s", rel);
	}
	closedir(d);
	rmdir(dir); /* only succeeds when empty */
}

/* Free the ring slots no live policy or events reader names (rings of
 * killed runs and readers). */
static void gc_rings(struct bg_state *s, const struct bg_snap *sn)
{
	char dir[PATH_MAX], path[PATH_MAX];
	bool named[BG_RUN_RINGS] = { false };
	struct dirent *de;
	DIR *d;

	for (int i = 0; i < sn->n; i++)
		if (sn->e[i].pol.ring < BG_RUN_RINGS)
			named[sn->e[i].pol.ring] = true;
	/* The rings of live events readers are theirs; killed readers' go. */
	bg_readers_gc(s, named);
	bg_ring_pin_path(s, 0, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		unsigned long slot = strtoul(de->d_name, &end, 10);

		if (*end || !slot || slot >= BG_RUN_RINGS)
			continue;
		if (named[slot] || slot == bg_reserved_ring)
			continue;
		bpf_map_delete_elem(s->map_fd[BG_MAP_RINGS], &(__u32){ (__u32)slot });
		bg_ring_pin_path(s, (__u32)slot, path, sizeof(path));
		unlink(path);
		bg_dbg("freed private ring slot %lu", slot);
	}
	closedir(d);
}

int bg_gc(struct bg_state *s, struct bg_snap *sn)
{
	__u64 *gone = calloc(sn->n ? sn->n : 1, sizeof(*gone));
	int ngone = 0, live = 0, r = 0;

	if (!gone) {
		bg_err("out of memory");
		return BG_EXIT_FAIL;
	}
	for (int i = 0; i < sn->n; i++) {
		struct bg_snap_entry *e = &sn->e[i];

		if (e->gone) {
			bg_dbg("cgroup id %" PRIu64 " is gone: dropping its policy",
			       (uint64_t)e->id);
			bg_unpin_links(s, e->id);
			bg_policy_remove(s, e->id);
		} else if (!e->path || !bg_run_cgroup_orphaned(e->path) || !gc_orphaned_run(s, e)) {
			sn->e[live++] = *e;
			continue;
		}
		gone[ngone++] = e->id;
		free(e->path);
	}
	sn->n = live;
	free(gone);
	bg_gc_rulesets(s, sn, (struct bg_ruleset){ 0, 0 });
	gc_orphaned_run_dirs();
	gc_rings(s, sn);
	return r;
}

int bg_state_gc(struct bg_state *s)
{
	struct bg_snap sn;
	int r = bg_snap_load(s, &sn, true);

	if (r)
		return r;
	r = bg_gc(s, &sn);
	if (!r)
		r = bg_sync_links(s, &sn, NULL, 0);
	if (!r)
		bg_full_pass_done(s);
	bg_snap_free(&sn);
	return r;
}

/* Seconds since boot, plus one: never 0, which means "never". */
static __u64 boot_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec + 1;
}

bool bg_full_pass_due(const struct bg_state *s)
{
	struct bg_config cfg;

	if (getenv("BG_FULL_PASS") || bg_read_cfg(s, &cfg) || !cfg.last_full_pass)
		return true;
	/* A value from the future (an earlier build's generation) wraps: due. */
	return boot_seconds() - cfg.last_full_pass >= BG_FULL_PASS_S;
}

void bg_full_pass_done(struct bg_state *s)
{
	struct bg_config cfg;

	if (!bg_read_cfg(s, &cfg)) {
		cfg.last_full_pass = boot_seconds();
		bg_write_cfg(s, &cfg);
	}
}
