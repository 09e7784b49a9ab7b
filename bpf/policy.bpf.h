/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding the policy that governs a socket, and asking its exceptions. */
#ifndef BG_POLICY_BPF_H
#define BG_POLICY_BPF_H

/* The cgroup a socket was created in (not the task's current one). A
 * pointer reached by walking: only its fields are read (resolve), it is
 * never handed to a helper. Plain loads, which the verifier guards (a fault
 * reads 0) and CO-RE relocates, without a bpf_probe_read_kernel call each. */
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
 * The governing policy: the nearest policed cgroup, the socket's own cgroup
 * first, then its ancestors, looked up by id in the policies hash. Only ids
 * are read on the way (scalars): no pointer reached by walking kernel
 * structures is ever passed to a helper or kfunc, which stricter verifiers
 * refuse (an untrusted_ptr_) and lenient ones accept only through a path
 * the kernel calls deprecated. No per-socket or per-cgroup state is kept,
 * so sockets created before the programs were attached are governed alike.
 * A bind in a policed cgroup costs one hash lookup; each level of
 * sub-cgroup below it one more (docs/DESIGN.md). *cgid is the socket's
 * cgroup id and *pcgid the policed cgroup's.
 */
static __always_inline struct bg_policy *resolve(struct cgroup *cg, __u64 *cgid, __u64 *pcgid)
{
	struct bg_policy *p;
	__u64 id;
	int level;

	if (!cg)
		return NULL;
	id = cg->kn->id;
	*cgid = id;
	p = bpf_map_lookup_elem(&bg_policies, &id);
	if (p) {
		*pcgid = id;
		return p;
	}
	level = BPF_CORE_READ(cg, level);
	for (int i = 1; i <= BG_MAX_WALK; i++) {
		if (level - i < 0)
			break;
		/* A variable index into the ancestors array: read by a probe
		 * (the verifier refuses variable offsets into BTF pointers). */
		id = BPF_CORE_READ(cg, ancestors[level - i], kn, id);
		p = bpf_map_lookup_elem(&bg_policies, &id);
		if (p) {
			*pcgid = id;
			return p;
		}
	}
	return NULL;
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
