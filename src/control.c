// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
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

struct change {
	struct bg_policy pol, old;
	bool replace;
};

/*
 * A policy store failed at cgroup `failed`: put cgroups 0..failed-1 back
 * (the failing one's store changed nothing). A cgroup that cannot be
 * put back keeps the new policy, and its links and rules with it.
 */
static void undo_apply(struct bg_state *s, struct bg_snap *sn, const struct bg_cgroup *cgs,
		       const struct change *ch, int failed, const char *why, struct bg_ruleset keep)
{
	const struct bg_cgroup **stuck = calloc(failed ? failed : 1, sizeof(*stuck));
	int nstuck = 0, nkept = 0;

	bg_err("store policy for %s: %s%s", cgs[failed].path, why,
	       failed ? "; putting back the cgroups already switched" : "");
	for (int j = 0; j < failed; j++) {
		int r = ch[j].replace ? bg_policy_store(s, cgs[j].id, &ch[j].old)
				      : bg_policy_remove(s, cgs[j].id);

		if (!r)
			continue;
		bg_err("%s: could not put the old policy back (%s): it keeps the new one",
		       cgs[j].path, strerror(-r));
		nkept++;
		if (!ch[j].replace && stuck)
			stuck[nstuck++] = &cgs[j];
	}
	/* The new cgroups' links are surplus now, unless their policy stayed. */
	bg_sync_links(s, sn, stuck, nstuck);
	bg_gc_rulesets(s, sn, nkept ? keep : (struct bg_ruleset){ 0, 0 });
	free(stuck);
}

/* The start of every apply and detach: the snapshot, then gc. On failure
 * the snapshot is freed. */
static int begin_change(struct bg_state *s, struct bg_snap *sn)
{
	int r = bg_snap_load(s, sn);

	if (r)
		return r;
	r = bg_gc(s, sn);
	if (r)
		bg_snap_free(sn);
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
	r = begin_change(s, &sn);
	if (r)
		goto out_nosnap;
	for (int i = 0; i < k; i++) {
		const struct bg_snap_entry *e = bg_snap_find(&sn, cgs[i].id);

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
	r = bg_write_rules(s, spec, &ruleset);
	if (r) {
		bg_gc_rulesets(s, &sn, (struct bg_ruleset){ 0, 0 });
		goto out;
	}
	keep = (struct bg_ruleset){ ruleset, (__u32)spec->nrules };
	for (int i = 0; i < k; i++)
		ch[i].pol.ruleset = ruleset;
	/* The new policies' links first: inert until the map names the cgroup. */
	r = bg_sync_links(s, &sn, inc, ninc);
	if (r) {
		bg_gc_rulesets(s, &sn, (struct bg_ruleset){ 0, 0 });
		goto out;
	}
	/* The switch: one update per map replaces preset, mode and ruleset at once. */
	for (int i = 0; i < k; i++) {
		r = -bg_policy_store(s, cgs[i].id, &ch[i].pol);
		if (r) {
			undo_apply(s, &sn, cgs, ch, i, strerror(r), keep);
			r = BG_EXIT_FAIL;
			goto out;
		}
	}
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
out:
	bg_snap_free(&sn);
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
	struct bg_snap sn;
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
		const struct bg_snap_entry *e = bg_snap_find(&sn, cgs[i].id);

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
	r = bg_sync_links(s, &sn, NULL, 0);
	if (r)
		goto out;
	for (int i = 0; i < k; i++)
		stale |= old[i].ruleset != 0;
	if (stale) /* unless another policy shares them */
		bg_gc_rulesets(s, &sn, (struct bg_ruleset){ 0, 0 });
out:
	bg_snap_free(&sn);
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
