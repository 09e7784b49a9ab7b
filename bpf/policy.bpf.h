/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding the policy that governs a socket, and asking its exceptions. */
#ifndef BG_POLICY_BPF_H
#define BG_POLICY_BPF_H

/* The cgroup a socket was created in (not the task's current one). Plain
 * loads from a BTF pointer: the verifier guards them and CO-RE relocates the
 * offsets, without the cost of a bpf_probe_read_kernel call per field. */
static __always_inline struct cgroup *sk_cgroup(struct sock *sk)
{
	return sk->sk_cgrp_data.cgroup;
}

#ifndef BG_COMPAT
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* The kernel socket behind a program context (Linux 6.2+: one kfunc). */
#define ctx_sock(ctx, ksk_type) (((ksk_type *)bpf_cast_to_kern_ctx(ctx))->sk)

#define sock_of_addr(ctx)    ctx_sock(ctx, struct bpf_sock_addr_kern)
#define sock_of_ops(ctx)     ctx_sock(ctx, struct bpf_sock_ops_kern)
#define sock_of_sockopt(ctx) ctx_sock(ctx, struct bpf_sockopt_kern)
#define sock_of_create(ctx)  ((struct sock *)bpf_cast_to_kern_ctx(ctx))

/* The governing cgroup: always the socket's here. */
static __always_inline struct cgroup *sock_cgroup(struct sock *sk)
{
	return sk_cgroup(sk);
}
#else
/*
 * The compat object, for kernels without bpf_cast_to_kern_ctx (Debian 12's
 * 6.1). The socket behind a context is reached through the helpers that
 * convert a bpf_sock: TCP (MPTCP subflows included) and IPv6 UDP. Other
 * sockets (IPv4 UDP, UDP-Lite) are governed by the calling task's cgroup:
 * the same cgroup unless the socket was created elsewhere.
 */
static __always_inline struct sock *bpf_sock_kern(struct bpf_sock *bsk)
{
	struct tcp_sock *tp;

	if (!bsk)
		return NULL;
	tp = bpf_skc_to_tcp_sock(bsk);
	if (tp)
		return (struct sock *)tp;
	return (struct sock *)bpf_skc_to_udp6_sock(bsk);
}

#define sock_of_addr(ctx)    bpf_sock_kern((ctx)->sk)
#define sock_of_ops(ctx)     bpf_sock_kern((ctx)->sk)
/* No bpf_skc_to_* helpers in cgroup/setsockopt on 6.1: the setter's cgroup. */
#define sock_of_sockopt(ctx) ((struct sock *)NULL)
/* At creation the task's cgroup is the socket's: exact. */
#define sock_of_create(ctx)  ((struct sock *)NULL)

static __always_inline struct cgroup *task_cgroup(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return t->cgroups->dfl_cgrp;
}

static __always_inline struct cgroup *sock_cgroup(struct sock *sk)
{
	return sk ? sk_cgroup(sk) : task_cgroup();
}
#endif

/*
 * Governing policy: the socket's own cgroup if policed (its local storage:
 * one cheap lookup, the common case), else the nearest policed ancestor, the
 * cgroup itself included (the compat object has no local storage). The
 * walk runs once per (cgroup, policy-set generation): its result is kept in
 * the cgroup's local storage as a copy of the policy (the full object; see
 * bg_policy.inh_gen) and in an LRU cache of references (the compat object),
 * so a deep sub-cgroup costs a lookup or a few, not a walk. *cgid is the
 * socket's cgroup id and *pcgid the policy's; *cgid 0 when the policy came
 * from local storage (the fast paths read no id; event_init does), *pcgid
 * then 0 too if it is the cgroup's own.
 */
#ifndef BG_COMPAT
/* Keep the policy found for cg in cg's local storage, marked as a copy made
 * at generation gen (a stale copy there first goes; a policy userspace put
 * there meanwhile is kept: F_CREATE does not replace). */
static __always_inline void inherit(struct cgroup *cg, const struct bg_policy *p, __u64 from,
				    __u64 gen, const struct bg_policy *stale)
{
	struct bg_policy copy;

	__builtin_memcpy(&copy, p, sizeof(copy));
	copy.inherited = 1;
	copy.inh_gen = gen;
	copy.inh_from = from;
	if (stale && stale->inherited)
		bpf_cgrp_storage_delete(&bg_pol_store, cg);
	bpf_cgrp_storage_get(&bg_pol_store, cg, &copy, BPF_LOCAL_STORAGE_GET_F_CREATE);
}
#endif

static __always_inline struct bg_policy *resolve_walk(struct cgroup *cg, __u64 *cgid, __u64 *pcgid,
						      const struct bg_policy *stale)
{
	struct bg_resolved fresh = {};
#ifdef BG_COMPAT
	struct bg_resolved *r;
#endif
	struct bg_config *cfg;
	struct bg_policy *p;
	__u32 zero = 0;
	int level;

	*cgid = cg->kn->id;
	cfg = bpf_map_lookup_elem(&bg_cfg, &zero);
	if (!cfg)
		return NULL;
	/* The generation before any policy is read: userspace bumps it after
	 * each change, so what is cached below can only look older than it is.
	 * Read by an atomic add of 0, a full barrier on every architecture (no
	 * policy load moves before it); the walk is rare, so is its cost. */
	fresh.gen = __sync_fetch_and_add(&cfg->gen, 0);
#ifdef BG_COMPAT
	r = bpf_map_lookup_elem(&bg_resolve, cgid);
	if (r && r->gen == fresh.gen && r->policy_cgid) {
		p = bpf_map_lookup_elem(&bg_policies, &r->policy_cgid);
		/* A detached policy makes the entry stale: walk again. */
		if (p) {
			*pcgid = r->policy_cgid;
			return p;
		}
	}
#endif

	p = NULL;
	level = BPF_CORE_READ(cg, level);
	for (int i = 0; i <= BG_MAX_WALK; i++) {
		__u64 id;

		if (level - i < 0)
			break;
		id = BPF_CORE_READ(cg, ancestors[level - i], kn, id);
		p = bpf_map_lookup_elem(&bg_policies, &id);
		if (p) {
			fresh.policy_cgid = id;
			break;
		}
	}
	/* Only a found policy is cached. "None" is seen only below links whose
	 * policy is not stored yet (a change in progress, or killed before
	 * its generation bump): caching it could outlive the store. */
	if (p) {
#ifndef BG_COMPAT
		inherit(cg, p, fresh.policy_cgid, fresh.gen, stale);
#else
		bpf_map_update_elem(&bg_resolve, cgid, &fresh, BPF_ANY);
#endif
	}
	*pcgid = fresh.policy_cgid;
	return p;
}

/* The walk's locals live in resolve_walk so that the fast path does not
 * pay for initialising them. */
static __always_inline struct bg_policy *resolve(struct cgroup *cg, __u64 *cgid, __u64 *pcgid)
{
#ifndef BG_COMPAT
	struct bg_policy *p = bpf_cgrp_storage_get(&bg_pol_store, cg, 0, 0);

	if (p && p->preset) {
		struct bg_config *cfg;
		__u32 zero = 0;

		*cgid = *pcgid = 0; /* event_init reads the socket's cgroup id */
		if (!p->inherited)
			return p; /* its own cgroup's: no generation to read */
		cfg = bpf_map_lookup_elem(&bg_cfg, &zero);
		if (cfg && bg_stored_policy_current(p, cfg->gen)) {
			*pcgid = p->inh_from;
			return p;
		}
	}
	return resolve_walk(cg, cgid, pcgid, p);
#else
	return resolve_walk(cg, cgid, pcgid, NULL);
#endif
}

/* An exact entry first (the longest match there is), else one LPM lookup;
 * each only if the ruleset has such entries. Userspace merged the port
 * ranges of containing prefixes into each entry. */
static __always_inline int exception_in_maps(const struct bg_policy *p, const __u32 w[4],
					     __u16 port)
{
	struct bg_rule_key key = {
		.prefixlen = 32 + 128,
		.ruleset = p->ruleset,
	};
	struct bg_exact_key exact = { .ruleset = p->ruleset };
	struct bg_rule_val *v;

	if (p->inl_flags & BG_INL_EXACT) {
		__builtin_memcpy(exact.addr, w, 16);
		v = bpf_map_lookup_elem(&bg_rules_exact, &exact);
		if (v)
			return bg_ports_match(v, port);
	}
	if (!(p->inl_flags & BG_INL_PREFIX))
		return 0;
	__builtin_memcpy(key.addr, w, 16);
	v = bpf_map_lookup_elem(&bg_rules, &key);
	return v && bg_ports_match(v, port);
}

/* idx is below BG_TAB_BUCKETS by construction (bg_tab_hash keeps its top
 * BG_TAB_BITS bits); the mask shows the verifier. */
static __always_inline const struct bg_tab_bucket *tab_bucket(__u32 idx)
{
	return &bg_rule_tab[idx & (BG_TAB_BUCKETS - 1)];
}

/* exception_in_table(p, w, port): the rule table (bg_decide.h). */
BG_TAB_DECIDE(exception_in_table, tab_bucket)

/* Does an exception of p admit address w and port? The policy's own
 * decision where it carries one (the wildcards, if their ports fit; every
 * address when the rules name only wildcards), else the rule table where
 * the ruleset is there, else the maps. */
static __always_inline int exception_allows(const struct bg_policy *p, const __u32 w[4], int cls,
					    __u16 port)
{
	int d;

	if (!p->ruleset)
		return 0;
	d = bg_inline_decide(p, w, cls, port);
	if (d != BG_INLINE_ASK_MAPS)
		return d;
	if (p->ntab)
		return exception_in_table(p, w, port);
	return exception_in_maps(p, w, port);
}

/* The full address decision for w of class cls: preset, then exceptions.
 * BG_REASON_NONE allows. */
static __always_inline int class_reason(const struct bg_policy *p, const __u32 w[4], int cls,
					__u16 port)
{
	int reason = bg_preset_reason(p->preset, cls);

	if (reason != BG_REASON_NONE && exception_allows(p, w, cls, port))
		return BG_REASON_NONE;
	return reason;
}

static __always_inline int address_reason(const struct bg_policy *p, const __u32 w[4], __u16 port)
{
	return class_reason(p, w, bg_addr_class(w), port);
}

#endif
