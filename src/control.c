// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "control.h"
#include "gc.h"
#include "links.h"
#include "log.h"
#include "rules.h"
#include "snapshot.h"
#include "stats.h"
#include "topology.h"

struct change {
	struct bg_policy pol, old;
	bool replace;
};

/* The start of every apply and detach: the snapshot, then on the full pass
 * gc. On failure the snapshot is freed. */
static int begin_change(struct bg_state *s, struct bg_snap *sn, bool full)
{
	int r;

	bg_dbg("%s", full ? "the full pass: every policy's cgroup and link pin"
			  : "the fast path: the named cgroups' links");
	r = bg_snap_load(s, sn, full);
	if (r || !full)
		return r;
	r = bg_gc(s, sn);
	if (r)
		bg_snap_free(sn);
	return r;
}

/*
 * A policy store failed at cgroup `failed`: put cgroups 0..failed-1 back
 * (the failing one's store changed nothing), then a full pass over the
 * policies now in force removes the links and rules none of them needs. A
 * cgroup that cannot be put back keeps the new policy, and its links and
 * rules with it. sn is the full pass's snapshot on return.
 */
static void undo_apply(struct bg_state *s, struct bg_snap *sn, const struct bg_cgroup *cgs,
		       const struct change *ch, int failed, const char *why)
{
	bg_err("store policy for %s: %s%s", cgs[failed].path, why,
	       failed ? "; putting back the cgroups already switched" : "");
	for (int j = 0; j < failed; j++) {
		int r = ch[j].replace ? bg_policy_store(s, cgs[j].id, &ch[j].old)
				      : bg_policy_remove(s, cgs[j].id);

		if (r)
			bg_err("%s: could not put the old policy back (%s): it keeps the new one",
			       cgs[j].path, strerror(-r));
	}
	bg_snap_free(sn);
	if (!begin_change(s, sn, true) && !bg_sync_links(s, sn, NULL, 0))
		bg_full_pass_done(s);
}

/* The cgroup tree as topology.h walks it. */
static const struct bg_tree cgroup_fs = { bg_cgroup_id_of_path, bg_cgroup_children };

/* The fast path's link change for the command's cgroups (topology.h). 0,
 * or -errno: then the full pass does it. */
static int fast_links(const struct bg_snap *sn, const struct bg_cgroup *const *cgs, int k,
		      bool detach, struct bg_link_change *lc)
{
	__u64 *ids = malloc((sn->n ? sn->n : 1) * sizeof(*ids));
	int r;

	if (!ids)
		return -ENOMEM;
	for (int i = 0; i < sn->n; i++) /* sorted: the snapshot is */
		ids[i] = sn->e[i].id;
	r = detach ? bg_top_most_detach(&cgroup_fs, ids, sn->n, cgs, k, lc)
		   : bg_top_most_apply(&cgroup_fs, ids, sn->n, cgs, k, lc);
	free(ids);
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
	bool stale = false, full = bg_full_pass_due(s);
	struct bg_link_change lc = { 0 };
	struct bg_ruleset keep;
	__u32 next = 0;
	struct bg_snap sn;

	if (!ch || !inc || !used) {
		free(ch);
		free(inc);
		free(used);
		bg_err("out of memory");
		return BG_EXIT_FAIL;
	}
again:
	r = begin_change(s, &sn, full);
	if (r)
		goto out_nosnap;
	ninc = 0;
	for (int i = 0; i < k; i++) {
		const struct bg_snap_entry *e = bg_snap_find(&sn, cgs[i].id);

		ch[i].replace = e != NULL;
		if (e)
			ch[i].old = e->pol;
		else
			inc[ninc++] = &cgs[i];
	}
	/* The full pass instead when policies of removed cgroups may hold the
	 * slots needed, or the cgroup tree could not be walked. */
	if (!full && (sn.n + ninc > max || fast_links(&sn, inc, ninc, false, &lc))) {
		bg_snap_free(&sn);
		full = true;
		goto again;
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
	r = bg_write_rules(s, spec, &ruleset);
	if (r) {
		bg_gc_rulesets(s, &sn, (struct bg_ruleset){ 0, 0 });
		goto out;
	}
	keep = (struct bg_ruleset){ ruleset, (__u32)spec->nrules };
	for (int i = 0; i < k; i++)
		ch[i].pol.ruleset = ruleset;
	/* The new policies' links first: inert until the map names the cgroup.
	 * The full pass also removes the links no longer top-most here. */
	r = full ? bg_sync_links(s, &sn, inc, ninc) : bg_attach_links(s, lc.add.id, lc.add.n);
	if (r) {
		bg_gc_rulesets(s, &sn, (struct bg_ruleset){ 0, 0 });
		goto out;
	}
	/* The switch: one update per map replaces preset, mode and ruleset at once. */
	for (int i = 0; i < k; i++) {
		r = -bg_policy_store(s, cgs[i].id, &ch[i].pol);
		if (r) {
			undo_apply(s, &sn, cgs, ch, i, strerror(r));
			r = BG_EXIT_FAIL;
			goto out;
		}
	}
	/* The fast path's links no longer top-most: covered by a new policy. */
	for (int i = 0; i < lc.drop.n; i++)
		bg_unpin_links(s, lc.drop.id[i]);
	/* The rulesets the replaced policies used, unless another policy shares them. */
	for (int i = 0; i < k; i++) {
		struct bg_snap_entry *e = ch[i].replace ? bg_snap_find(&sn, cgs[i].id) : NULL;

		if (e) {
			stale |= e->pol.ruleset != 0;
			e->pol = ch[i].pol;
		}
	}
	if (stale)
		bg_gc_rulesets(s, &sn, keep);
	if (full)
		bg_full_pass_done(s);
out:
	bg_snap_free(&sn);
out_nosnap:
	bg_link_change_free(&lc);
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
	const struct bg_cgroup **named = calloc(k ? k : 1, sizeof(*named));
	bool stale = false, full = bg_full_pass_due(s);
	struct bg_link_change lc = { 0 };
	struct bg_snap sn;
	int r, live = 0;

	if (!old || !ids || !named) {
		free(old);
		free(ids);
		free(named);
		bg_err("out of memory");
		return BG_EXIT_FAIL;
	}
again:
	r = begin_change(s, &sn, full);
	if (r)
		goto out_nosnap;
	for (int i = 0; i < k; i++) {
		const struct bg_snap_entry *e = bg_snap_find(&sn, cgs[i].id);

		if (!e) {
			bg_err("detach %s: no bindguard policy on this cgroup", cgs[i].path);
			r = BG_EXIT_FAIL;
			goto out;
		}
		old[i] = e->pol;
		ids[i] = cgs[i].id;
		named[i] = &cgs[i];
	}
	if (!full && fast_links(&sn, named, k, true, &lc)) {
		bg_snap_free(&sn);
		full = true;
		goto again;
	}
	/* The switch: from here each cgroup is unpoliced; its links are inert. */
	for (int i = 0; i < k; i++) {
		r = bg_policy_remove(s, cgs[i].id);
		if (!r)
			continue;
		bg_err("detach %s: delete policy: %s%s", cgs[i].path, strerror(-r),
		       i ? "; putting back the policies already removed" : "");
		for (int j = 0; j < i; j++)
			if (bg_policy_store(s, cgs[j].id, &old[j]))
				bg_err("%s: could not put its policy back: it is detached",
				       cgs[j].path);
		r = BG_EXIT_FAIL;
		goto out;
	}
	qsort(ids, k, sizeof(*ids), bg_cmp_u64);
	for (int i = 0; i < sn.n; i++) {
		if (bsearch(&sn.e[i].id, ids, k, sizeof(*ids), bg_cmp_u64)) {
			free(sn.e[i].path);
			continue;
		}
		sn.e[live++] = sn.e[i];
	}
	sn.n = live;
	/* Children with their own policy get their own links before ours go. */
	r = full ? bg_sync_links(s, &sn, NULL, 0) : bg_attach_links(s, lc.add.id, lc.add.n);
	if (r)
		goto out;
	for (int i = 0; i < lc.drop.n; i++)
		bg_unpin_links(s, lc.drop.id[i]);
	for (int i = 0; i < k; i++)
		stale |= old[i].ruleset != 0;
	if (stale) /* unless another policy shares them */
		bg_gc_rulesets(s, &sn, (struct bg_ruleset){ 0, 0 });
	if (full)
		bg_full_pass_done(s);
out:
	bg_snap_free(&sn);
out_nosnap:
	bg_link_change_free(&lc);
	free(old);
	free(ids);
	free(named);
	return r;
}

int bg_state_detach(struct bg_state *s, __u64 cgid, const char *shown)
{
	static struct bg_cgroup cg;

	cg.id = cgid;
	snprintf(cg.path, sizeof(cg.path), "%s", shown);
	return bg_state_detach_many(s, &cg, 1);
}
