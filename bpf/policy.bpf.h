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

/* Does an exception of p admit address w and port? One lookup in the
 * exceptions trie: the longest prefix of w among p's rules, whose entry
 * carries the ports of every rule containing it (userspace merged them). */
static __always_inline int exception_allows(const struct bg_policy *p, const __u32 w[4], __u16 port)
{
	struct bg_rule_key key = {
		.prefixlen = 32 + 128,
		.ruleset = p->ruleset,
	};

	if (!p->ruleset)
		return 0;
	__builtin_memcpy(key.addr, w, 16);
	return bg_excepted(bpf_map_lookup_elem(&bg_rules, &key), port);
}

/* Why p refuses address w (class cls) after its exceptions: the preset's
 * reason, unless an exception admits the address and port (bg_decide.h,
 * steps 1 and 2: the callers have checked the policy and its protocol).
 * BG_REASON_NONE allows. */
static __always_inline int address_reason(const struct bg_policy *p, const __u32 w[4], int cls,
					  __u16 port)
{
	int reason = bg_preset_reason(p->preset, cls);

	if (reason != BG_REASON_NONE && exception_allows(p, w, port))
		return BG_REASON_NONE;
	return reason;
}

#endif
