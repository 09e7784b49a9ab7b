// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Policy changes: apply, detach and garbage collection, and the link set that
 * follows them. A command reads the policy set once (a snapshot: ids, values,
 * cgroup paths and link pins, a few syscalls per policy in force) and works
 * from it; an apply or detach of many cgroups reads it once for all of them.
 *
 * The switch point of a change is the policy map update of each cgroup. New
 * links go in before it (inert until the map names their cgroup), surplus
 * links come out after it, and a failure puts back the cgroups already
 * switched. Each cgroup is always under its old or its new policy, never a
 * mix of the two; a command killed half-way may leave some cgroups switched
 * and others not, plus inert links and rules that the next command removes.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bg_decide.h"
#include "log.h"
#include "policy.h"
#include "pins.h"
#include "rings.h"
#include "state.h"
#include "stats.h"
#include "topology.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's "operation not supported" */
#endif

static const enum bpf_attach_type bg_hook_type[BG_NR_HOOKS] = {
	BPF_CGROUP_INET4_BIND,	     BPF_CGROUP_INET6_BIND,   BPF_CGROUP_SOCK_OPS,
	BPF_CGROUP_SETSOCKOPT,	     BPF_CGROUP_UDP4_SENDMSG, BPF_CGROUP_UDP6_SENDMSG,
	BPF_CGROUP_INET_SOCK_CREATE, BPF_LSM_CGROUP,
};

struct entry {
	__u64 id; /* first: bsearch by id */
	struct bg_policy pol;
	char *path; /* relative to the cgroup2 mount; NULL when unknown */
	bool gone;  /* the cgroup was removed */
};

struct pin {
	__u64 id;   /* first: bsearch by id */
	int hook;   /* -1: a name no hook of this build has */
	bool fresh; /* made by this command */
	char name[48];
};

struct snap {
	int n, npins;
	struct entry *e;  /* sorted by id */
	struct pin *pins; /* sorted by id, then hook */
};

/* A ruleset and its rule count (sorted by ruleset). */
struct rs {
	__u32 ruleset;
	__u32 nrules;
};

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int cmp_pin(const void *a, const void *b)
{
	const struct pin *x = a, *y = b;
	int c = cmp_u64(&x->id, &y->id);

	return c ? c : (x->hook > y->hook) - (x->hook < y->hook);
}

static int cmp_rs(const void *a, const void *b)
{
	__u32 x = ((const struct rs *)a)->ruleset, y = ((const struct rs *)b)->ruleset;

	return x < y ? -1 : x > y;
}

static const struct rs *find_rs(const struct rs *set, int n, __u32 ruleset)
{
	struct rs key = { .ruleset = ruleset };

	return n ? bsearch(&key, set, n, sizeof(*set), cmp_rs) : NULL;
}

static struct entry *find_entry(const struct snap *sn, __u64 id)
{
	return sn->n ? bsearch(&id, sn->e, sn->n, sizeof(*sn->e), cmp_u64) : NULL;
}

static bool has_pin(const struct snap *sn, __u64 id, int hook)
{
	struct pin key = { .id = id, .hook = hook };

	return sn->npins && bsearch(&key, sn->pins, sn->npins, sizeof(*sn->pins), cmp_pin);
}

static void snap_free(struct snap *sn)
{
	for (int i = 0; i < sn->n; i++)
		free(sn->e[i].path);
	free(sn->e);
	free(sn->pins);
	memset(sn, 0, sizeof(*sn));
}

/*
 * Every entry of a map. dense: by batch lookups (a few syscalls for
 * thousands of entries), falling back to key by key where the kernel has no
 * batch for the map type; otherwise key by key, which is cheaper for a large
 * and mostly empty hash (a hash batch locks every bucket on its way). The
 * batch position is a bucket number for hashes but the last key for generic
 * batches (LPM tries), so its buffer is key-sized. vals may be NULL when
 * only the keys are wanted. Returns the count, or -errno.
 */
static int map_dump(int fd, size_t ksz, size_t vsz, bool dense, void **keys, void **vals)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 cap = bg_map_max_entries(fd) + 1;
	char *k, *v, *token, *prev = NULL;
	void *in = NULL;
	int n = 0;

	*keys = NULL;
	if (vals)
		*vals = NULL;
	if (cap == 1)
		return -EINVAL;
	k = calloc(cap, ksz);
	v = dense || vals ? calloc(cap, vsz) : NULL;
	token = calloc(1, ksz > 8 ? ksz : 8);
	if (!k || (!v && (dense || vals)) || !token) {
		n = -ENOMEM;
		goto fail;
	}
	while (dense) {
		__u32 count = cap - n;
		int r = bpf_map_lookup_batch(fd, in, token, k + n * ksz, v + n * vsz, &count,
					     &opts);
		int err = r ? errno : 0;

		if (r && err != ENOENT) {
			if (!n && (err == EINVAL || err == ENOTSUPP || err == EOPNOTSUPP))
				goto one_by_one;
			n = -err;
			goto fail;
		}
		n += count;
		if (err == ENOENT || (__u32)n >= cap)
			break;
		in = token;
	}
	if (dense)
		goto done;
one_by_one:
	n = 0;
	while ((__u32)n < cap && !bpf_map_get_next_key(fd, prev, k + n * ksz)) {
		/* The next key follows this one, whether or not it is kept. */
		memcpy(token, k + n * ksz, ksz);
		prev = token;
		if (vals && bpf_map_lookup_elem(fd, k + n * ksz, v + n * vsz))
			continue; /* deleted under us */
		n++;
	}
done:
	free(token);
	*keys = k;
	if (vals)
		*vals = v;
	else
		free(v);
	return n;
fail:
	free(token);
	free(k);
	free(v);
	return n;
}

static int load_pins(const struct bg_state *s, struct snap *sn)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int cap = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", s->dir, BG_LINK_DIR);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct pin *p;
		char *end;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(p->name))
			continue;
		if (sn->npins == cap) {
			struct pin *more = realloc(sn->pins, (cap ? cap * 2 : 256) * sizeof(*more));

			if (!more) {
				closedir(d);
				return -ENOMEM;
			}
			sn->pins = more;
			cap = cap ? cap * 2 : 256;
		}
		p = &sn->pins[sn->npins++];
		p->id = strtoull(de->d_name, &end, 10);
		p->hook = -1;
		p->fresh = false;
		if (*end == '-')
			for (int h = 0; h < BG_NR_HOOKS; h++)
				if (!strcmp(end + 1, bg_hook_names[h]))
					p->hook = h;
		snprintf(p->name, sizeof(p->name), "%s", de->d_name);
	}
	closedir(d);
	if (sn->npins)
		qsort(sn->pins, sn->npins, sizeof(*sn->pins), cmp_pin);
	return 0;
}

/* The policies in force, their cgroups' paths, and the link pins. */
static int snap_load(const struct bg_state *s, struct snap *sn)
{
	__u64 *ids;
	struct bg_policy *pols;
	int n, r;

	memset(sn, 0, sizeof(*sn));
	n = map_dump(s->policies_fd, sizeof(*ids), sizeof(*pols), true, (void **)&ids,
		     (void **)&pols);
	if (n < 0) {
		bg_err("read the policy map: %s", strerror(-n));
		return BG_EXIT_FAIL;
	}
	sn->e = calloc(n ? n : 1, sizeof(*sn->e));
	if (!sn->e) {
		free(ids);
		free(pols);
		bg_err("out of memory");
		return BG_EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		struct entry *e = &sn->e[sn->n++];
		char path[PATH_MAX];
		int fd;

		e->id = ids[i];
		e->pol = pols[i];
		fd = bg_cgroup_open_id(e->id);
		e->gone = fd == -ENOENT;
		if (fd >= 0) {
			if (!bg_cgroup_path_of_fd(fd, path, sizeof(path)))
				e->path = strdup(path);
			close(fd);
		}
	}
	free(ids);
	free(pols);
	qsort(sn->e, sn->n, sizeof(*sn->e), cmp_u64);
	r = load_pins(s, sn);
	if (r) {
		bg_err("read %s/%s: %s", s->dir, BG_LINK_DIR, strerror(-r));
		snap_free(sn);
		return BG_EXIT_FAIL;
	}
	return 0;
}

/* Delete the keys of a map that match(key). Keys are collected first and
 * deleted after: deleting while walking restarts the walk. */
static int delete_where(int fd, size_t ksz, size_t vsz,
			bool (*match)(const void *key, const void *arg), const void *arg)
{
	char *keys;
	int n = map_dump(fd, ksz, vsz, false, (void **)&keys, NULL), deleted = 0;

	for (int i = 0; i < n; i++)
		if (match(keys + i * ksz, arg))
			deleted += !bpf_map_delete_elem(fd, keys + i * ksz);
	if (n >= 0)
		free(keys);
	return deleted;
}

/* The rulesets in use (sorted; policies of one command share one). */
struct rs_used {
	const struct rs *set;
	int n;
};

static bool unused_rule(const void *key, const void *arg)
{
	const struct rs_used *u = arg;

	return !find_rs(u->set, u->n, ((const struct bg_rule_key *)key)->ruleset);
}

/* A source entry is kept for a ruleset in use, within its rule count. */
static bool unused_src(const void *key, const void *arg)
{
	const struct rs_used *u = arg;
	__u64 k = *(const __u64 *)key;
	const struct rs *r = find_rs(u->set, u->n, (__u32)(k >> 32));

	return !r || (__u32)k >= r->nrules;
}

/* Remove rule entries whose ruleset neither a policy of the snapshot nor
 * keep uses (left by a command killed between writing rules and switching
 * the policy, by a failed change, or no longer used after one). */
static void gc_rulesets(struct bg_state *s, const struct snap *sn, struct rs keep)
{
	struct rs *used = calloc(sn->n + 1, sizeof(*used));
	struct rs_used u = { used, 0 };

	if (!used)
		return;
	for (int i = 0; i < sn->n; i++)
		if (sn->e[i].pol.ruleset)
			used[u.n++] = (struct rs){ sn->e[i].pol.ruleset, sn->e[i].pol.nrules };
	if (keep.ruleset)
		used[u.n++] = keep;
	qsort(used, u.n, sizeof(*used), cmp_rs);
	delete_where(s->rules_fd, sizeof(struct bg_rule_key), sizeof(struct bg_rule_val),
		     unused_rule, &u);
	delete_where(s->rule_src_fd, sizeof(__u64), sizeof(struct bg_rule_src), unused_src, &u);
	free(used);
}

/* A policy store or removal is one hash update: atomic for the programs,
 * which look policies up there by cgroup id on every decision. */
static int policy_store(struct bg_state *s, __u64 cgid, const struct bg_policy *pol)
{
	return bpf_map_update_elem(s->policies_fd, &cgid, pol, BPF_ANY) ? -errno : 0;
}

static int policy_remove(struct bg_state *s, __u64 cgid)
{
	return bpf_map_delete_elem(s->policies_fd, &cgid) ? -errno : 0;
}

static void unpin_links(const struct bg_state *s, __u64 cgid)
{
	char path[PATH_MAX];

	for (int h = 0; h < BG_NR_HOOKS; h++) {
		bg_link_path(s, cgid, h, path, sizeof(path));
		if (!unlink(path))
			bg_dbg("detached %s from cgroup id %" PRIu64, bg_hook_names[h],
			       (uint64_t)cgid);
	}
}

/*
 * A `bindguard run` that was killed leaves its cgroup policed (fail closed).
 * While processes remain, their events move to the shared ring so that
 * `bindguard events` sees them; once the cgroup is empty it is removed with
 * its policy. Returns true when the policy and cgroup are gone.
 */
static bool gc_orphaned_run(struct bg_state *s, struct entry *e)
{
	char mnt[PATH_MAX], dir[PATH_MAX * 2];

	if (bg_cgroup_populated(e->path) != 0) {
		if (e->pol.ring) {
			struct bg_policy was = e->pol;

			e->pol.ring = 0;
			if (policy_store(s, e->id, &e->pol))
				e->pol = was;
			bg_dbg("orphaned run %s: events go to the shared ring", e->path);
		}
		return false;
	}
	unpin_links(s, e->id);
	policy_remove(s, e->id);
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

/* Free the ring slots no live policy names (rings of killed runs). */
static void gc_rings(struct bg_state *s, const struct snap *sn)
{
	char dir[PATH_MAX], path[PATH_MAX];
	bool named[BG_RUN_RINGS] = { false };
	struct dirent *de;
	DIR *d;

	for (int i = 0; i < sn->n; i++)
		if (sn->e[i].pol.ring < BG_RUN_RINGS)
			named[sn->e[i].pol.ring] = true;
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
		bpf_map_delete_elem(s->rings_fd, &(__u32){ (__u32)slot });
		bg_ring_pin_path(s, (__u32)slot, path, sizeof(path));
		unlink(path);
		bg_dbg("freed private ring slot %lu", slot);
	}
	closedir(d);
}

/* Forget the policies of removed cgroups and of finished runs, and what
 * killed commands left behind. The snapshot keeps the live policies. */
static int gc(struct bg_state *s, struct snap *sn)
{
	__u64 *gone = calloc(sn->n ? sn->n : 1, sizeof(*gone));
	int ngone = 0, live = 0, r = 0;

	if (!gone) {
		bg_err("out of memory");
		return BG_EXIT_FAIL;
	}
	for (int i = 0; i < sn->n; i++) {
		struct entry *e = &sn->e[i];

		if (e->gone) {
			bg_dbg("cgroup id %" PRIu64 " is gone: dropping its policy",
			       (uint64_t)e->id);
			unpin_links(s, e->id);
			policy_remove(s, e->id);
		} else if (!e->path || !bg_run_cgroup_orphaned(e->path) || !gc_orphaned_run(s, e)) {
			sn->e[live++] = *e;
			continue;
		}
		gone[ngone++] = e->id;
		free(e->path);
	}
	sn->n = live;
	free(gone);
	gc_rulesets(s, sn, (struct rs){ 0, 0 });
	gc_orphaned_run_dirs();
	gc_rings(s, sn);
	return r;
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
	link_fd = bpf_link_create(s->prog_fd[hook], cg_fd, bg_hook_type[hook], NULL);
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

/*
 * Links live on the top-most policed cgroups only (topology.h). inc are
 * cgroups about to get their policy: their links go in first, inert until
 * the policy map names them. New links are made first, surplus ones removed
 * after, so no socket is ever without a program during the change. The
 * snapshot's pins follow.
 */
static int sync_links(struct bg_state *s, struct snap *sn, const struct bg_cgroup *const *inc,
		      int ninc)
{
	int n = sn->n + ninc, nmade = 0, nkeep = 0, npins = 0, r = 0;
	const char **paths = calloc(n ? n : 1, sizeof(*paths));
	__u64 *ids = calloc(n ? n : 1, sizeof(*ids)), *keep = calloc(n ? n : 1, sizeof(*keep));
	bool *want = calloc(n ? n : 1, sizeof(*want));
	struct pin *made = calloc((size_t)(n ? n : 1) * BG_NR_HOOKS, sizeof(*made)), *all;

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
			if (s->prog_fd[h] < 0 || has_pin(sn, ids[i], h))
				continue;
			r = attach_one(s, ids[i], h);
			if (!r) {
				made[nmade] =
					(struct pin){ .id = ids[i], .hook = h, .fresh = true };
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
	qsort(keep, nkeep, sizeof(*keep), cmp_u64);
	for (int i = 0; i < sn->npins; i++) {
		struct pin *p = &sn->pins[i];

		if (nkeep && bsearch(&p->id, keep, nkeep, sizeof(*keep), cmp_u64)) {
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
		qsort(sn->pins, sn->npins, sizeof(*sn->pins), cmp_pin);
	} else {
		sn->npins = npins; /* only sync_links reads them again */
	}
out:
	free(paths);
	free(ids);
	free(keep);
	free(want);
	free(made);
	return r;
}

int bg_state_gc(struct bg_state *s)
{
	struct snap sn;
	int r = snap_load(s, &sn);

	if (r)
		return r;
	r = gc(s, &sn);
	if (!r)
		r = sync_links(s, &sn, NULL, 0);
	snap_free(&sn);
	return r;
}

/* Compile rules (n of them) for ruleset and write the entries into the
 * exceptions trie. 0, -1 when they cannot be compiled (err says why), or a
 * positive errno. */
static int store_trie(struct bg_state *s, const struct bg_rule_src *rules, size_t n, __u32 ruleset,
		      char *err, size_t errlen)
{
	struct bg_lpm_entry *ents = calloc(n ? n : 1, sizeof(*ents));
	int m, r = 0;

	if (!ents)
		return ENOMEM;
	m = bg_rules_compile(rules, n, ruleset, ents, err, errlen);
	if (m < 0)
		r = -1;
	for (int i = 0; i < m && !r; i++)
		if (bpf_map_update_elem(s->rules_fd, &ents[i].key, &ents[i].val, BPF_ANY))
			r = errno;
	free(ents);
	return r;
}

/* Write the exceptions of spec under a fresh ruleset id (*ruleset; 0 when
 * it has none): the compiled entries into the trie, the rules as written
 * into bg_rule_src. On failure the caller removes what was written. */
static int write_rules(struct bg_state *s, const struct bg_policy_spec *spec, __u32 *ruleset)
{
	struct bg_config cfg;
	char err[BG_ERRLEN];
	int r;

	*ruleset = 0;
	if (!spec->nrules)
		return 0;
	r = bg_read_cfg(s, &cfg);
	if (r) {
		bg_err("read config map: %s", strerror(-r));
		return BG_EXIT_FAIL;
	}
	*ruleset = cfg.next_ruleset ? cfg.next_ruleset : 1; /* 0 means none */
	cfg.next_ruleset = *ruleset + 1;
	r = bg_write_cfg(s, &cfg);
	if (r) {
		bg_err("update config map: %s", strerror(-r));
		return BG_EXIT_FAIL;
	}
	r = store_trie(s, spec->rules, spec->nrules, *ruleset, err, sizeof(err));
	if (r < 0) {
		bg_err("--allow: %s", err);
		return BG_EXIT_USAGE;
	}
	for (size_t i = 0; i < spec->nrules && !r; i++) {
		__u64 k = (__u64)*ruleset << 32 | i;

		if (bpf_map_update_elem(s->rule_src_fd, &k, &spec->rules[i], BPF_ANY))
			r = errno;
	}
	if (!r)
		return 0;
	bg_err("store exceptions: %s%s", strerror(r),
	       r == E2BIG || r == ENOMEM ? " (exception maps are full)" : "");
	return BG_EXIT_FAIL;
}

int bg_state_rebuild_rules(struct bg_state *s)
{
	struct bg_rule_src *src = calloc(BG_MAX_RULES, sizeof(*src));
	struct bg_policy *pols = NULL;
	__u64 *ids = NULL;
	char err[BG_ERRLEN];
	int n, r = 0;

	n = src ? map_dump(s->policies_fd, sizeof(*ids), sizeof(*pols), true, (void **)&ids,
			   (void **)&pols)
		: -ENOMEM;
	for (int i = 0; i < n && !r; i++) {
		struct bg_policy *p = &pols[i];
		__u32 m = p->nrules < BG_MAX_RULES ? p->nrules : BG_MAX_RULES;

		for (__u32 j = 0; j < m && p->ruleset && !r; j++) {
			__u64 k = (__u64)p->ruleset << 32 | j;

			if (bpf_map_lookup_elem(s->rule_src_fd, &k, &src[j]))
				r = errno;
		}
		if (!r && p->ruleset)
			r = store_trie(s, src, m, p->ruleset, err, sizeof(err));
		if (r)
			bg_err("upgrade: rewrite the exceptions of the policy of cgroup id %llu: "
			       "%s",
			       (unsigned long long)ids[i], r < 0 ? err : strerror(r));
	}
	if (n < 0)
		bg_err("upgrade: read the policies: %s", strerror(-n));
	free(src);
	free(ids);
	free(pols);
	return n < 0 || r ? BG_EXIT_FAIL : 0;
}

struct change {
	struct bg_policy pol, old;
	bool replace;
};

/*
 * A policy store failed at cgroup `failed`: put cgroups 0..failed-1 back
 * (the failing one's store changed nothing). A cgroup that cannot be
 * put back keeps the new policy, and its links and rules with it.
 */
static void undo_apply(struct bg_state *s, struct snap *sn, const struct bg_cgroup *cgs,
		       const struct change *ch, int failed, const char *why, struct rs keep)
{
	const struct bg_cgroup **stuck = calloc(failed ? failed : 1, sizeof(*stuck));
	int nstuck = 0, nkept = 0;

	bg_err("store policy for %s: %s%s", cgs[failed].path, why,
	       failed ? "; putting back the cgroups already switched" : "");
	for (int j = 0; j < failed; j++) {
		int r = ch[j].replace ? policy_store(s, cgs[j].id, &ch[j].old)
				      : policy_remove(s, cgs[j].id);

		if (!r)
			continue;
		bg_err("%s: could not put the old policy back (%s): it keeps the new one",
		       cgs[j].path, strerror(-r));
		nkept++;
		if (!ch[j].replace && stuck)
			stuck[nstuck++] = &cgs[j];
	}
	/* The new cgroups' links are surplus now, unless their policy stayed. */
	sync_links(s, sn, stuck, nstuck);
	gc_rulesets(s, sn, nkept ? keep : (struct rs){ 0, 0 });
	free(stuck);
}

/* The start of every apply and detach: the snapshot, then gc. On failure
 * the snapshot is freed. */
static int begin_change(struct bg_state *s, struct snap *sn)
{
	int r = snap_load(s, sn);

	if (r)
		return r;
	r = gc(s, sn);
	if (r)
		snap_free(sn);
	return r;
}

int bg_state_apply_many(struct bg_state *s, const struct bg_cgroup *cgs, int k,
			const struct bg_policy_spec *spec)
{
	struct change *ch = calloc(k ? k : 1, sizeof(*ch));
	const struct bg_cgroup **inc = calloc(k ? k : 1, sizeof(*inc));
	bool *used = calloc(BG_MAX_POLICIES, sizeof(*used));
	int ninc = 0, max = bg_state_max_policies(s), r;
	__u32 ruleset;
	bool stale = false;
	struct rs keep;
	__u32 next = 0;
	struct snap sn;

	if (!ch || !inc || !used) {
		free(ch);
		free(inc);
		free(used);
		bg_err("out of memory");
		return BG_EXIT_FAIL;
	}
	r = begin_change(s, &sn);
	if (r)
		goto out_nosnap;
	for (int i = 0; i < k; i++) {
		const struct entry *e = find_entry(&sn, cgs[i].id);

		ch[i].replace = e != NULL;
		if (e)
			ch[i].old = e->pol;
		else
			inc[ninc++] = &cgs[i];
	}
	if (sn.n + ninc > max) {
		if (k == 1)
			bg_err("policy %s: %d cgroups are policed already (the most bindguard "
			       "holds on this machine)",
			       cgs[0].path, sn.n);
		else
			bg_err("policy: %d cgroups are policed and %d more do not fit (bindguard "
			       "holds at most %d on this machine); nothing was applied",
			       sn.n, ninc, max);
		r = BG_EXIT_FAIL;
		goto out;
	}
	used[BG_SLOT_GLOBAL] = true;
	for (int i = 0; i < sn.n; i++)
		if (sn.e[i].pol.slot < BG_MAX_POLICIES)
			used[sn.e[i].pol.slot] = true;
	for (int i = 0; i < k; i++) {
		ch[i].pol = (struct bg_policy){
			.preset = spec->preset,
			.mode = spec->mode,
			.proto_mask = spec->proto_mask,
			.flags = spec->flags,
			.nrules = spec->nrules,
			.ring = spec->ring,
			.slot = ch[i].old.slot,
		};
		if (ch[i].replace)
			continue;
		while ((int)next <= max && used[next])
			next++;
		if ((int)next > max) { /* a slot held twice: cannot happen */
			bg_err("policy %s: no free statistics slot", cgs[i].path);
			r = BG_EXIT_FAIL;
			goto out;
		}
		used[next] = true;
		ch[i].pol.slot = next;
		r = bg_zero_stats(s, next);
		if (r) {
			bg_err("policy %s: reset statistics: %s", cgs[i].path, strerror(-r));
			r = BG_EXIT_FAIL;
			goto out;
		}
	}
	/* One ruleset for the command: every cgroup gets the same exceptions. */
	r = write_rules(s, spec, &ruleset);
	if (r) {
		gc_rulesets(s, &sn, (struct rs){ 0, 0 });
		goto out;
	}
	keep = (struct rs){ ruleset, (__u32)spec->nrules };
	for (int i = 0; i < k; i++)
		ch[i].pol.ruleset = ruleset;
	/* The new policies' links first: inert until the map names the cgroup. */
	r = sync_links(s, &sn, inc, ninc);
	if (r) {
		gc_rulesets(s, &sn, (struct rs){ 0, 0 });
		goto out;
	}
	/* The switch: one update per map replaces preset, mode and ruleset at once. */
	for (int i = 0; i < k; i++) {
		r = -policy_store(s, cgs[i].id, &ch[i].pol);
		if (r) {
			undo_apply(s, &sn, cgs, ch, i, strerror(r), keep);
			r = BG_EXIT_FAIL;
			goto out;
		}
	}
	/* The rulesets the replaced policies used, unless another policy shares them. */
	for (int i = 0; i < k; i++) {
		struct entry *e = ch[i].replace ? find_entry(&sn, cgs[i].id) : NULL;

		if (e) {
			stale |= e->pol.ruleset != 0;
			e->pol = ch[i].pol;
		}
	}
	if (stale)
		gc_rulesets(s, &sn, keep);
out:
	snap_free(&sn);
out_nosnap:
	free(ch);
	free(inc);
	free(used);
	return r;
}

int bg_state_apply(struct bg_state *s, const struct bg_cgroup *cg,
		   const struct bg_policy_spec *spec)
{
	return bg_state_apply_many(s, cg, 1, spec);
}

int bg_state_detach_many(struct bg_state *s, const struct bg_cgroup *cgs, int k)
{
	struct bg_policy *old = calloc(k ? k : 1, sizeof(*old));
	__u64 *ids = calloc(k ? k : 1, sizeof(*ids));
	bool stale = false;
	struct snap sn;
	int r, live = 0;

	if (!old || !ids) {
		free(old);
		free(ids);
		bg_err("out of memory");
		return BG_EXIT_FAIL;
	}
	r = begin_change(s, &sn);
	if (r)
		goto out_nosnap;
	for (int i = 0; i < k; i++) {
		const struct entry *e = find_entry(&sn, cgs[i].id);

		if (!e) {
			bg_err("detach %s: no bindguard policy on this cgroup", cgs[i].path);
			r = BG_EXIT_FAIL;
			goto out;
		}
		old[i] = e->pol;
		ids[i] = cgs[i].id;
	}
	/* The switch: from here each cgroup is unpoliced; its links are inert. */
	for (int i = 0; i < k; i++) {
		r = policy_remove(s, cgs[i].id);
		if (!r)
			continue;
		bg_err("detach %s: delete policy: %s%s", cgs[i].path, strerror(-r),
		       i ? "; putting back the policies already removed" : "");
		for (int j = 0; j < i; j++)
			if (policy_store(s, cgs[j].id, &old[j]))
				bg_err("%s: could not put its policy back: it is detached",
				       cgs[j].path);
		r = BG_EXIT_FAIL;
		goto out;
	}
	qsort(ids, k, sizeof(*ids), cmp_u64);
	for (int i = 0; i < sn.n; i++) {
		if (bsearch(&sn.e[i].id, ids, k, sizeof(*ids), cmp_u64)) {
			free(sn.e[i].path);
			continue;
		}
		sn.e[live++] = sn.e[i];
	}
	sn.n = live;
	/* Children with their own policy get their own links before ours go. */
	r = sync_links(s, &sn, NULL, 0);
	if (r)
		goto out;
	for (int i = 0; i < k; i++)
		stale |= old[i].ruleset != 0;
	if (stale) /* unless another policy shares them */
		gc_rulesets(s, &sn, (struct rs){ 0, 0 });
out:
	snap_free(&sn);
out_nosnap:
	free(old);
	free(ids);
	return r;
}

int bg_state_detach(struct bg_state *s, __u64 cgid, const char *shown)
{
	static struct bg_cgroup cg;

	cg.id = cgid;
	snprintf(cg.path, sizeof(cg.path), "%s", shown);
	return bg_state_detach_many(s, &cg, 1);
}
