// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* From a configuration to the policies in force (reconcile.h). */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include "control.h"
#include "log.h"
#include "pins.h"
#include "reconcile.h"
#include "rules.h"

/* What an earlier apply of this configuration made: cgroup id, and the
 * policy's text then (a policy changed by hand since is not its own). */
struct made {
	__u64 id;
	char *text;
};

struct record {
	struct made *v;
	size_t n;
};

void bg_conf_record_path(const char *const *dirs, int ndirs, char *buf, size_t len)
{
	__u64 h = 0xcbf29ce484222325ULL; /* FNV-1a over the directories' real paths */

	for (int i = 0; i < ndirs; i++) {
		char real[PATH_MAX];
		const char *d = realpath(dirs[i], real) ? real : dirs[i];

		for (const char *p = d;; p++) {
			h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
			if (!*p)
				break;
		}
	}
	snprintf(buf, len, "%s/%016llx.json", BG_CONF_RECORDS, (unsigned long long)h);
}

static void record_free(struct record *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].text);
	free(r->v);
}

/* A missing record is an empty one; an unreadable one is an error (never
 * guess what a configuration made). */
static int record_read(const char *path, struct record *r)
{
	json_error_t je;
	json_t *root, *pols, *e;
	size_t i;

	memset(r, 0, sizeof(*r));
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (access(path, F_OK) && errno == ENOENT)
			return 0;
		bg_err("apply: %s: %s: remove it to start afresh", path, je.text);
		return BG_EXIT_FAIL;
	}
	pols = json_object_get(root, "policies");
	r->v = calloc(json_array_size(pols) + 1, sizeof(*r->v));
	if (!r->v) {
		json_decref(root);
		bg_err("out of memory");
		return BG_EXIT_FAIL;
	}
	json_array_foreach(pols, i, e)
	{
		json_t *id = json_object_get(e, "id"), *text = json_object_get(e, "policy");

		if (!json_is_integer(id) || !json_is_string(text))
			continue;
		r->v[r->n].id = (__u64)json_integer_value(id);
		r->v[r->n++].text = strdup(json_string_value(text));
	}
	json_decref(root);
	return 0;
}

static const struct made *record_find(const struct record *r, __u64 id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].id == id)
			return &r->v[i];
	return NULL;
}

/* The policy in force on cgroup id as a spec. 0, or -ENOENT, or -errno. */
static int live_spec(const struct bg_state *st, __u64 id, struct bg_policy_spec *spec, __u32 *ring)
{
	struct bg_policy pol;
	int r, n;

	if (!st)
		return -ENOENT;
	r = bg_state_policy(st, id, &pol);
	if (r)
		return r;
	memset(spec, 0, sizeof(*spec));
	spec->preset = pol.preset;
	spec->mode = pol.mode;
	spec->proto_mask = pol.proto_mask;
	spec->flags = pol.flags;
	*ring = pol.ring;
	n = bg_state_rules(st, &pol, spec->rules, BG_MAX_RULES);
	if (n < 0)
		return n;
	spec->nrules = (size_t)n;
	return 0;
}

static struct bg_plan_item *plan_add(struct bg_plan *pl)
{
	struct bg_plan_item *v = realloc(pl->v, (pl->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	pl->v = v;
	memset(&v[pl->n], 0, sizeof(v[0]));
	return &v[pl->n++];
}

static bool planned(const struct bg_plan *pl, __u64 id)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->v[i].op != BG_PLAN_ABSENT && pl->v[i].cg.id == id)
			return true;
	return false;
}

/* One configured cgroup that exists: add, change, keep or skip. */
static int plan_cgroup(const struct bg_state *st, const struct record *rec,
		       const struct bg_conf_policy *cp, const struct bg_cgroup *cg,
		       struct bg_plan *pl)
{
	struct bg_plan_item *it;
	char want[1024], have[1024];
	__u32 ring = 0;
	int r;

	if (planned(pl, cg->id)) /* two spellings of one cgroup (a symlink) */
		return 0;
	it = plan_add(pl);
	if (!it)
		return -ENOMEM;
	it->cg = *cg;
	it->want = cp;
	r = live_spec(st, cg->id, &it->old, &ring);
	if (r == -ENOENT) {
		it->op = BG_PLAN_ADD;
		return 0;
	}
	if (r)
		return r;
	if (ring) {
		it->op = BG_PLAN_SKIP;
		return 0;
	}
	bg_conf_spec_text(&cp->spec, want, sizeof(want));
	bg_conf_spec_text(&it->old, have, sizeof(have));
	it->op = strcmp(want, have) ? BG_PLAN_CHANGE : BG_PLAN_KEEP;
	it->by_hand = !record_find(rec, cg->id);
	return 0;
}

/* A directory the glob cannot read fails the plan, but one that is not
 * there (a path of the other kubelet cgroup driver, a cgroup removed while
 * listed) only matches nothing. */
static int glob_error(const char *path, int err)
{
	(void)path;
	return err != ENOENT && err != ENOTDIR;
}

/* Every existing directory a glob matches that it governs (an exact
 * Cgroup= or an earlier glob may govern some). */
static int plan_glob(const struct bg_state *st, const struct record *rec, const struct bg_conf *c,
		     const struct bg_conf_policy *cp, const char *mnt, struct bg_plan *pl)
{
	char pattern[PATH_MAX * 2], err[BG_ERRLEN];
	glob_t g;
	int r = 0;

	snprintf(pattern, sizeof(pattern), "%s%s/", mnt, cp->cgroup); /* "/": directories */
	r = glob(pattern, 0, glob_error, &g);
	if (r == GLOB_NOMATCH)
		return 0;
	if (r) {
		bg_err("apply: %s: Cgroup=%s: cannot list the cgroups it matches", cp->where,
		       cp->cgroup);
		globfree(&g);
		return -EIO;
	}
	r = 0;
	for (size_t i = 0; i < g.gl_pathc && !r; i++) {
		char *path = g.gl_pathv[i] + strlen(mnt);
		struct bg_cgroup cg;

		path[strlen(path) - 1] = '\0'; /* the "/" */
		if (bg_conf_match(c, path) != cp)
			continue;
		if (bg_cgroup_resolve(path, &cg, err, sizeof(err)))
			continue; /* removed meanwhile */
		if (cg.is_root)
			continue;
		r = plan_cgroup(st, rec, cp, &cg, pl);
	}
	globfree(&g);
	return r;
}

int bg_plan_make(const struct bg_state *st, const struct bg_conf *c, const char *record,
		 struct bg_plan *pl)
{
	struct record rec;
	char mnt[PATH_MAX], err[BG_ERRLEN];
	int r;

	memset(pl, 0, sizeof(*pl));
	snprintf(pl->record, sizeof(pl->record), "%s", record);
	if (bg_cgroup_mount(mnt, sizeof(mnt))) {
		bg_err("apply: no cgroup v2 mount");
		return BG_EXIT_NOFEATURE;
	}
	r = record_read(record, &rec);
	if (r)
		return r;
	for (size_t i = 0; i < c->n && !r; i++) {
		const struct bg_conf_policy *cp = &c->p[i];
		struct bg_cgroup cg;

		if (cp->glob) {
			r = plan_glob(st, &rec, c, cp, mnt, pl);
			continue;
		}
		if (bg_cgroup_resolve(cp->cgroup, &cg, err, sizeof(err))) {
			struct bg_plan_item *it = plan_add(pl);

			if (!it) {
				r = -ENOMEM;
				break;
			}
			it->op = BG_PLAN_ABSENT;
			it->want = cp;
			snprintf(it->cg.path, sizeof(it->cg.path), "%s", cp->cgroup);
			continue;
		}
		r = cg.is_root ? 0 : plan_cgroup(st, &rec, cp, &cg, pl);
	}
	/* What this configuration made before and no longer governs. */
	for (size_t i = 0; i < rec.n && !r; i++) {
		struct bg_plan_item *it;
		struct bg_policy_spec old;
		char have[1024];
		__u32 ring;

		char path[PATH_MAX];

		/* Still configured, or its cgroup is gone (the stale policy is
		 * garbage the next full pass collects), or its policy is. */
		if (planned(pl, rec.v[i].id) ||
		    bg_cgroup_path_of_id(rec.v[i].id, path, sizeof(path)) ||
		    live_spec(st, rec.v[i].id, &old, &ring))
			continue;
		bg_conf_spec_text(&old, have, sizeof(have));
		if (strcmp(have, rec.v[i].text))
			continue; /* changed by hand since: no longer this configuration's */
		it = plan_add(pl);
		if (!it) {
			r = -ENOMEM;
			break;
		}
		it->op = BG_PLAN_REMOVE;
		it->old = old;
		it->cg.id = rec.v[i].id;
		snprintf(it->cg.path, sizeof(it->cg.path), "%s", path);
	}
	record_free(&rec);
	if (r) {
		if (r < 0)
			bg_err("apply: %s", strerror(-r));
		bg_plan_free(pl);
		return BG_EXIT_FAIL;
	}
	return 0;
}

static int record_write(const struct bg_plan *pl)
{
	json_t *root = json_object(), *pols = json_array();
	char tmp[PATH_MAX + 8];
	int r = 0;

	json_object_set_new(root, "policies", pols);
	for (size_t i = 0; i < pl->n; i++) {
		const struct bg_plan_item *it = &pl->v[i];
		char text[1024];

		if (it->op != BG_PLAN_ADD && it->op != BG_PLAN_CHANGE && it->op != BG_PLAN_KEEP)
			continue;
		bg_conf_spec_text(&it->want->spec, text, sizeof(text));
		json_array_append_new(pols, json_pack("{s:s, s:I, s:s, s:s}", "cgroup", it->cg.path,
						      "id", (json_int_t)it->cg.id, "policy", text,
						      "from", it->want->where));
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", pl->record);
	if (bg_run_dir() || (mkdir(BG_CONF_RECORDS, 0700) && errno != EEXIST) ||
	    json_dump_file(root, tmp, JSON_INDENT(1)) || rename(tmp, pl->record)) {
		bg_err("apply: write %s: %s: the policies are applied, but a later apply will "
		       "not know it made them",
		       pl->record, strerror(errno));
		unlink(tmp);
		r = BG_EXIT_FAIL;
	}
	json_decref(root);
	return r;
}

/* Undo steps done[0..n-1] of the order, last first. */
static void undo(struct bg_state *st, const struct bg_plan *pl, const size_t *order, size_t n)
{
	while (n--) {
		const struct bg_plan_item *it = &pl->v[order[n]];
		int r = it->op == BG_PLAN_ADD ? bg_state_detach(st, it->cg.id, it->cg.path)
					      : bg_state_apply(st, &it->cg, &it->old);

		if (r)
			bg_err("apply: %s: could not undo the %s", it->cg.path,
			       bg_plan_op_name(it->op));
	}
}

int bg_plan_apply(struct bg_state *st, const struct bg_plan *pl)
{
	static const enum bg_plan_op phases[] = { BG_PLAN_REMOVE, BG_PLAN_CHANGE, BG_PLAN_ADD };
	size_t *order = calloc(pl->n + 1, sizeof(*order)), done = 0;
	int r = 0;

	if (!order) {
		bg_err("out of memory");
		return BG_EXIT_FAIL;
	}
	for (size_t p = 0; p < 3 && !r; p++)
		for (size_t i = 0; i < pl->n && !r; i++) {
			const struct bg_plan_item *it = &pl->v[i];

			if (it->op != phases[p])
				continue;
			r = it->op == BG_PLAN_REMOVE ? bg_state_detach(st, it->cg.id, it->cg.path)
						     : bg_state_apply(st, &it->cg, &it->want->spec);
			if (r) {
				bg_err("apply: %s %s failed: undoing the %zu change%s made; "
				       "nothing "
				       "was applied",
				       bg_plan_op_name(it->op), it->cg.path, done,
				       done == 1 ? "" : "s");
				undo(st, pl, order, done);
				break;
			}
			order[done++] = i;
		}
	free(order);
	if (r)
		return r < 0 ? BG_EXIT_FAIL : r;
	return record_write(pl);
}

size_t bg_plan_count(const struct bg_plan *pl, enum bg_plan_op op)
{
	size_t n = 0;

	for (size_t i = 0; i < pl->n; i++)
		n += pl->v[i].op == op;
	return n;
}

const char *bg_plan_op_name(enum bg_plan_op op)
{
	static const char *names[] = { "add", "change", "remove", "keep", "absent", "skip" };

	return op <= BG_PLAN_SKIP ? names[op] : "unknown";
}

void bg_plan_free(struct bg_plan *pl)
{
	free(pl->v);
	pl->v = NULL;
	pl->n = 0;
}
