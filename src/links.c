// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "links.h"
#include "log.h"
#include "pins.h"
#include "topology.h"

/* Where each hook's program attaches on a cgroup. */
static const enum bpf_attach_type hook_type[BG_NR_HOOKS] = {
	BPF_CGROUP_INET4_BIND,	     BPF_CGROUP_INET6_BIND,   BPF_CGROUP_SOCK_OPS,
	BPF_CGROUP_SETSOCKOPT,	     BPF_CGROUP_UDP4_SENDMSG, BPF_CGROUP_UDP6_SENDMSG,
	BPF_CGROUP_INET_SOCK_CREATE, BPF_CGROUP_INET_INGRESS, BPF_LSM_CGROUP,
};

void bg_unpin_links(const struct bg_state *s, __u64 cgid)
{
	char path[PATH_MAX];

	for (int h = 0; h < BG_NR_HOOKS; h++) {
		bg_link_path(s, cgid, h, path, sizeof(path));
		if (!unlink(path))
			bg_dbg("detached %s from cgroup id %" PRIu64, bg_hook_names[h],
			       (uint64_t)cgid);
	}
}

static int attach_one(struct bg_state *s, __u64 cgid, int hook)
{
	char path[PATH_MAX], cgpath[PATH_MAX];
	int cg_fd, link_fd, r;

	cg_fd = bg_cgroup_open_id(cgid);
	if (cg_fd < 0) {
		bg_err("open cgroup id %" PRIu64 ": %s", (uint64_t)cgid, strerror(-cg_fd));
		return BG_EXIT_FAIL;
	}
	link_fd = bpf_link_create(s->prog_fd[hook], cg_fd, hook_type[hook], NULL);
	close(cg_fd);
	if (link_fd < 0) {
		r = errno;
		if (bg_cgroup_path_of_id(cgid, cgpath, sizeof(cgpath)))
			snprintf(cgpath, sizeof(cgpath), "id %" PRIu64, (uint64_t)cgid);
		bg_err("attach %s program to cgroup %s: %s%s", bg_hook_names[hook], cgpath,
		       strerror(r),
		       r == EPERM ? " (a non-multi BPF program is attached for this hook on the "
				    "cgroup or an ancestor; see `bpftool cgroup tree`)"
				  : "");
		return BG_EXIT_FAIL;
	}
	bg_link_path(s, cgid, hook, path, sizeof(path));
	unlink(path);
	if (bpf_obj_pin(link_fd, path)) {
		r = errno;
		close(link_fd); /* the unpinned link detaches on close */
		bg_err("pin link %s: %s", path, strerror(r));
		return BG_EXIT_FAIL;
	}
	close(link_fd);
	bg_dbg("attached %s to cgroup id %" PRIu64, bg_hook_names[hook], (uint64_t)cgid);
	return 0;
}

int bg_attach_links(struct bg_state *s, const __u64 *ids, int n)
{
	int r = 0, made = 0;

	for (; made < n && !r; made++)
		for (int h = 0; h < BG_NR_HOOKS && !r; h++)
			if (s->prog_fd[h] >= 0)
				r = attach_one(s, ids[made], h);
	if (r)
		for (int i = 0; i < made; i++)
			bg_unpin_links(s, ids[i]);
	return r;
}

int bg_sync_links(struct bg_state *s, struct bg_snap *sn, const struct bg_cgroup *const *inc,
		  int ninc)
{
	int n = sn->n + ninc, nmade = 0, nkeep = 0, npins = 0, r = 0;
	const char **paths = calloc(n ? n : 1, sizeof(*paths));
	__u64 *ids = calloc(n ? n : 1, sizeof(*ids)), *keep = calloc(n ? n : 1, sizeof(*keep));
	bool *want = calloc(n ? n : 1, sizeof(*want));
	struct bg_snap_pin *made = calloc((size_t)(n ? n : 1) * BG_NR_HOOKS, sizeof(*made)), *all;

	if (!paths || !ids || !keep || !want || !made) {
		bg_err("out of memory");
		r = BG_EXIT_FAIL;
		goto out;
	}
	for (int i = 0; i < sn->n; i++) {
		ids[i] = sn->e[i].id;
		paths[i] = sn->e[i].path;
	}
	for (int i = 0; i < ninc; i++) {
		ids[sn->n + i] = inc[i]->id;
		paths[sn->n + i] = inc[i]->path;
	}
	if (bg_top_most(paths, n, want)) {
		bg_err("out of memory");
		r = BG_EXIT_FAIL;
		goto out;
	}
	/* A live cgroup whose path cannot be read keeps (or gets) its own links:
	 * at worst a bind below it is decided twice, never not at all. */
	for (int i = 0; i < n; i++)
		if (!paths[i])
			want[i] = true;
	for (int i = 0; i < n && !r; i++) {
		if (!want[i])
			continue;
		keep[nkeep++] = ids[i];
		for (int h = 0; h < BG_NR_HOOKS && !r; h++) {
			if (s->prog_fd[h] < 0 || bg_snap_has_pin(sn, ids[i], h))
				continue;
			r = attach_one(s, ids[i], h);
			if (!r) {
				made[nmade] = (struct bg_snap_pin){ .id = ids[i],
								    .hook = h,
								    .fresh = true };
				snprintf(made[nmade].name, sizeof(made[nmade].name),
					 "%" PRIu64 "-%s", (uint64_t)ids[i], bg_hook_names[h]);
				nmade++;
			}
		}
	}
	if (r) {
		char path[PATH_MAX];

		for (int i = 0; i < nmade; i++) {
			bg_link_path(s, made[i].id, made[i].hook, path, sizeof(path));
			unlink(path);
		}
		goto out;
	}
	/* Surplus pins: their cgroup keeps no links (detached, covered by an
	 * ancestor, or removed). */
	qsort(keep, nkeep, sizeof(*keep), bg_cmp_u64);
	for (int i = 0; i < sn->npins; i++) {
		struct bg_snap_pin *p = &sn->pins[i];

		if (nkeep && bsearch(&p->id, keep, nkeep, sizeof(*keep), bg_cmp_u64)) {
			sn->pins[npins++] = *p;
			continue;
		}
		char path[PATH_MAX * 2];

		snprintf(path, sizeof(path), "%s/%s/%s", s->dir, BG_LINK_DIR, p->name);
		if (!unlink(path) || errno == ENOENT)
			bg_dbg("removed link pin %s", path);
		else
			sn->pins[npins++] = *p;
	}
	all = realloc(sn->pins, (size_t)(npins + nmade ? npins + nmade : 1) * sizeof(*all));
	if (all) {
		memcpy(all + npins, made, nmade * sizeof(*made));
		sn->pins = all;
		sn->npins = npins + nmade;
		qsort(sn->pins, sn->npins, sizeof(*sn->pins), bg_cmp_pin);
	} else {
		sn->npins = npins; /* only bg_sync_links reads them again */
	}
out:
	free(paths);
	free(ids);
	free(keep);
	free(want);
	free(made);
	return r;
}

void bg_relink_all(struct bg_state *s)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", s->dir, BG_LINK_DIR);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *dot = strchr(de->d_name, '-');
		int link_fd, hook = -1;

		if (!dot)
			continue;
		for (int h = 0; h < BG_NR_HOOKS; h++)
			if (!strcmp(dot + 1, bg_hook_names[h]))
				hook = h;
		if (hook < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		link_fd = bpf_obj_get(path);
		if (link_fd < 0)
			continue;
		if (s->prog_fd[hook] < 0)
			bg_err("repair link %s: this kernel no longer loads its program", path);
		else if (bpf_link_update(link_fd, s->prog_fd[hook], NULL))
			bg_err("repair link %s: %s", path, strerror(errno));
		else
			bg_dbg("re-pointed link %s at the new program", path);
		close(link_fd);
	}
	closedir(d);
}

bool bg_state_has_link(const struct bg_state *s, __u64 cgid)
{
	char path[PATH_MAX];

	bg_link_path(s, cgid, BG_HOOK_BIND4, path, sizeof(path));
	return !access(path, F_OK);
}
