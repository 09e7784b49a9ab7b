// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "rules.h"

/* Rulesets sorted by id. */
static int cmp_rs(const void *a, const void *b)
{
	__u32 x = ((const struct bg_ruleset *)a)->ruleset,
	      y = ((const struct bg_ruleset *)b)->ruleset;

	return x < y ? -1 : x > y;
}

static const struct bg_ruleset *find_rs(const struct bg_ruleset *set, int n, __u32 ruleset)
{
	struct bg_ruleset key = { .ruleset = ruleset };

	return n ? bsearch(&key, set, n, sizeof(*set), cmp_rs) : NULL;
}

/* Delete the keys of a map that match(key). Keys are collected first and
 * deleted after: deleting while walking restarts the walk. */
static int delete_where(int fd, size_t ksz, size_t vsz,
			bool (*match)(const void *key, const void *arg), const void *arg)
{
	char *keys;
	int n = bg_map_dump(fd, ksz, vsz, false, (void **)&keys, NULL), deleted = 0;

	for (int i = 0; i < n; i++)
		if (match(keys + i * ksz, arg))
			deleted += !bpf_map_delete_elem(fd, keys + i * ksz);
	if (n >= 0)
		free(keys);
	return deleted;
}

/* The rulesets in use (sorted; policies of one command share one). */
struct rs_used {
	const struct bg_ruleset *set;
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
	const struct bg_ruleset *r = find_rs(u->set, u->n, (__u32)(k >> 32));

	return !r || (__u32)k >= r->nrules;
}

void bg_gc_rulesets(struct bg_state *s, const struct bg_snap *sn, struct bg_ruleset keep)
{
	struct bg_ruleset *used = calloc(sn->n + 1, sizeof(*used));
	struct rs_used u = { used, 0 };

	if (!used)
		return;
	for (int i = 0; i < sn->n; i++)
		if (sn->e[i].pol.ruleset)
			used[u.n++] =
				(struct bg_ruleset){ sn->e[i].pol.ruleset, sn->e[i].pol.nrules };
	if (keep.ruleset)
		used[u.n++] = keep;
	qsort(used, u.n, sizeof(*used), cmp_rs);
	delete_where(s->map_fd[BG_MAP_RULES], sizeof(struct bg_rule_key),
		     sizeof(struct bg_rule_val), unused_rule, &u);
	delete_where(s->map_fd[BG_MAP_RULE_SRC], sizeof(__u64), sizeof(struct bg_rule_src),
		     unused_src, &u);
	free(used);
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
		if (bpf_map_update_elem(s->map_fd[BG_MAP_RULES], &ents[i].key, &ents[i].val,
					BPF_ANY))
			r = errno;
	free(ents);
	return r;
}

int bg_write_rules(struct bg_state *s, const struct bg_policy_spec *spec, __u32 *ruleset)
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

		if (bpf_map_update_elem(s->map_fd[BG_MAP_RULE_SRC], &k, &spec->rules[i], BPF_ANY))
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

	n = src ? bg_map_dump(s->map_fd[BG_MAP_POLICIES], sizeof(*ids), sizeof(*pols), true,
			      (void **)&ids, (void **)&pols)
		: -ENOMEM;
	for (int i = 0; i < n && !r; i++) {
		struct bg_policy *p = &pols[i];
		__u32 m = p->nrules < BG_MAX_RULES ? p->nrules : BG_MAX_RULES;

		for (__u32 j = 0; j < m && p->ruleset && !r; j++) {
			__u64 k = (__u64)p->ruleset << 32 | j;

			if (bpf_map_lookup_elem(s->map_fd[BG_MAP_RULE_SRC], &k, &src[j]))
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

int bg_state_rules(const struct bg_state *s, const struct bg_policy *p, struct bg_rule_src *out,
		   size_t max)
{
	size_t n = 0;

	for (__u32 i = 0; i < p->nrules && n < max; i++) {
		__u64 k = (__u64)p->ruleset << 32 | i;

		if (bpf_map_lookup_elem(s->map_fd[BG_MAP_RULE_SRC], &k, &out[n]))
			return -errno;
		n++;
	}
	return (int)n;
}
