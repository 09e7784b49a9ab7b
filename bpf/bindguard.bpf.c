// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bindguard's BPF programs. Every entry point finds the governing policy of
 * the socket's cgroup (policy.bpf.h) and decides with the shared logic of
 * include/bg_decide.h; refusals and audits go to the ring (report.bpf.h).
 *
 *   cgroup/bind4, cgroup/bind6   every bind()                     -> deny
 *   lsm_cgroup/socket_listen     listen() that would autobind     -> deny
 *   sockops TCP_LISTEN_CB        the same where LSM cannot load   -> confine to lo
 *   cgroup/setsockopt            SO_BINDTODEVICE/SO_BINDTOIFINDEX -> deny (no unconfining)
 *   cgroup/sendmsg4, sendmsg6    unconnected UDP from a wildcard  -> audit or deny
 *   cgroup/sock_create           raw, ping, own-bind sockets      -> deny or confine
 *   cgroup_skb/ingress           a packet from the network that a
 *                                hook upstream let through        -> drop (the backstop)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "bindguard.h"
#include "bg_decide.h"
#include "maps.bpf.h"
#include "policy.bpf.h"
#include "report.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define BG_AF_INET	    2
#define BG_AF_INET6	    10
#define BG_SOL_SOCKET	    1
#define BG_SO_BINDTODEVICE  25
#define BG_SO_BINDTOIFINDEX 62
#define BG_LOOPBACK_IFINDEX 1 /* lo is ifindex 1 in every network namespace */

/* cgid: the socket's cgroup; pcgid: the policed cgroup whose policy decided. */
static __always_inline void event_init(struct bg_event *e, __u64 cgid, __u64 pcgid,
				       const struct bg_policy *p, int kind)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->cgroup_id = cgid;
	e->policy_cgid = pcgid;
	e->preset = p->preset;
	e->kind = kind;
	e->verdict = p->mode == BG_MODE_AUDIT ? BG_VERDICT_AUDIT : BG_VERDICT_DENY;
}

/*
 * Rewrite mode: a wildcard bind goes to loopback instead of failing.
 * 0.0.0.0 and ::ffff:0.0.0.0 become 127.0.0.1; an IPv6-only :: becomes ::1.
 * A dual-stack :: cannot be both 127.0.0.1 and ::1, so it keeps its address
 * and is tied to the loopback device: IPv4 and IPv6 loopback clients both
 * reach it, nothing else does. Returns 0 if the rewrite could not be done
 * (AF_UNSPEC, a failed setsockopt): the bind is then denied.
 */
static __always_inline int rewrite_to_loopback(struct bpf_sock_addr *ctx, struct sock *sk,
					       const __u32 w[4], const int v6)
{
	int lo = BG_LOOPBACK_IFINDEX;

	/* v6 is a constant per entry point: each program holds only the
	 * context writes of its own family (the verifier refuses a write
	 * through a pointer that depends on a branch). */
	if (!v6) {
		/* AF_UNSPEC is accepted with INADDR_ANY only: cannot rewrite. */
		if (ctx->user_family != BG_AF_INET)
			return 0;
		ctx->user_ip4 = BG_HTONL(0x7f000001);
		return 1;
	}
	if (w[2] == BG_HTONL(0xffff)) {
		ctx->user_ip6[3] = BG_HTONL(0x7f000001);
		return 1;
	}
	if (sk && BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_ipv6only)) {
		ctx->user_ip6[3] = BG_HTONL(1);
		return 1;
	}
	return !bpf_setsockopt(ctx, BG_SOL_SOCKET, BG_SO_BINDTOIFINDEX, &lo, sizeof(lo));
}

/*
 * bind(), in the steps of bg_decide.h: allowed when the address is loopback
 * (every preset admits it: no map is read), no policy governs the socket,
 * the policy does not cover this socket type, the preset admits the address
 * class, or an exception covers address and port (one trie lookup, made
 * only when the preset refuses). Otherwise EPERM; audit mode allows and
 * reports; rewrite mode moves a wildcard to loopback.
 */
static __always_inline int decide_bind(struct bpf_sock_addr *ctx, const __u32 w[4], const int v6)
{
	struct sock *sk;
	__u64 cgid = 0, pcgid = 0;
	struct cgroup *cg;
	struct bg_policy *p;
	struct bg_stats *st;
	struct bg_event e;
	__u16 port;
	int reason, rewritten, cls = bg_addr_class(w);

	if (bg_always_allowed(cls))
		return 1;
	sk = sock_of_addr(ctx);
	cg = sock_cgroup(sk);
	p = resolve(cg, &cgid, &pcgid);
	if (!p || !(p->proto_mask & bg_proto_bit(ctx->type)))
		return 1;
	port = bpf_ntohs(ctx->user_port);
	reason = address_reason(p, w, cls, port);
	if (reason == BG_REASON_NONE) {
		/* Counted only if asked (--count-allowed): the slot lookup and the
		 * add cost this path a few ns. Per-CPU and informational: a plain
		 * add, no locked instruction. (Refusals, which the loss accounting
		 * must match, count exactly.) */
		if (p->flags & BG_F_COUNT_ALLOWED) {
			st = policy_stats(p);
			if (st)
				st->allowed++;
		}
		return 1;
	}
	st = policy_stats(p);
	if (!st)
		return 0; /* a policy without its stats slot is broken: fail closed */
	event_init(&e, cgid, pcgid, p, BG_EV_BIND);
	__builtin_memcpy(e.addr, w, 16);
	e.port = port;
	e.family = ctx->family;
	e.sa_family = ctx->user_family;
	e.protocol = ctx->protocol;
	e.type = ctx->type;
	e.reason = reason;
	rewritten = p->mode == BG_MODE_REWRITE && reason == BG_REASON_WILDCARD &&
		    rewrite_to_loopback(ctx, sk, w, v6);
	e.verdict = bg_refusal_verdict(p, reason, rewritten);
	report(p, st, &e);
	return e.verdict == BG_VERDICT_AUDIT || e.verdict == BG_VERDICT_REWRITE;
}

/*
 * A program's verdict, known to the verifier to be 0 or 1 at exit. Clang may
 * keep the return value in a stack slot as 32 bits, and Linux 6.1's verifier
 * does not keep the bounds of such a spill: it then refuses the program
 * ("R0 ... should have been in (0x0; 0x1)"). The empty asm hides the range
 * from clang, so the AND stays and the verifier sees it.
 */
static __always_inline int verdict(int v)
{
	asm volatile("" : "+r"(v));
	return v & 1;
}

/* bind4 sees AF_INET sockets; the sockaddr may say AF_UNSPEC (the kernel
 * accepts it with INADDR_ANY), so decide on the address alone. */
SEC("cgroup/bind4")
int bg_bind4(struct bpf_sock_addr *ctx)
{
	__u32 w[4] = { 0, 0, BG_HTONL(0xffff), ctx->user_ip4 };

	return verdict(decide_bind(ctx, w, 0));
}

SEC("cgroup/bind6")
int bg_bind6(struct bpf_sock_addr *ctx)
{
	__u32 w[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };

	return verdict(decide_bind(ctx, w, 1));
}

/* Keep clang from sinking a context load into a branch (see addr_pick). */
#define bg_materialize(v) asm volatile("" : "+r"(v))

/*
 * A socket's address from context fields, IPv4 mapped. The caller reads
 * every field (the arguments) and the choice is made after: the verifier
 * refuses a context access at an offset that depends on a branch, so the
 * loads are pinned before the branch.
 */
static __always_inline void addr_pick(__u32 w[4], int family, __u32 v4, __u32 a, __u32 b, __u32 c,
				      __u32 d)
{
	bg_materialize(v4);
	bg_materialize(a);
	bg_materialize(b);
	bg_materialize(c);
	bg_materialize(d);
	if (family == BG_AF_INET) {
		w[0] = w[1] = 0;
		w[2] = BG_HTONL(0xffff);
		w[3] = v4;
	} else {
		w[0] = a;
		w[1] = b;
		w[2] = c;
		w[3] = d;
	}
}

/* The wildcard an unbound socket of this family autobinds to. */
static __always_inline void wildcard_of(int family, __u32 w[4])
{
	w[0] = w[1] = w[3] = 0;
	w[2] = family == BG_AF_INET ? BG_HTONL(0xffff) : 0;
}

/*
 * listen() on an unbound TCP socket autobinds to the wildcard inside the
 * kernel, where no bind hook runs. Where BPF LSM works, refuse that listen()
 * before it happens. The port is not chosen yet: exceptions are asked for
 * port 0, which only a rule without a port matches.
 */
SEC("lsm_cgroup/socket_listen")
int BPF_PROG(bg_lsm_listen, struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk; /* trusted argument: a BTF pointer */
	__u64 cgid = 0, pcgid = 0;
	struct cgroup *cg;
	struct bg_policy *p;
	struct bg_stats *st;
	struct bg_event e;
	__u32 w[4];
	int family;

	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_num) != 0)
		return 1; /* already bound: the bind hooks decided */
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != BG_AF_INET && family != BG_AF_INET6)
		return 1;
	cg = sk_cgroup(sk);
	p = resolve(cg, &cgid, &pcgid);
	if (!p || !(p->proto_mask & BG_PROTO_TCP))
		return 1;
	wildcard_of(family, w);
	if (address_reason(p, w, bg_addr_class(w), 0) == BG_REASON_NONE)
		return 1;
	st = policy_stats(p);
	if (!st)
		return 0;
	event_init(&e, cgid, pcgid, p, BG_EV_LISTEN);
	__builtin_memcpy(e.addr, w, 16);
	e.family = family;
	e.protocol = BPF_CORE_READ(sk, sk_protocol);
	e.type = BPF_CORE_READ(sk, sk_type);
	e.reason = BG_REASON_WILDCARD;
	report(p, st, &e);
	return e.verdict == BG_VERDICT_AUDIT;
}

/*
 * Where LSM cannot load: when a listener starts on an address the policy
 * refuses (an autobound wildcard), tie it to the loopback device. Remote
 * peers can no longer reach it; local clients still connect. The
 * setsockopt guard below keeps the process from undoing it.
 */
SEC("sockops")
int bg_sockops(struct bpf_sock_ops *skops)
{
	struct sock *sk;
	__u64 cgid = 0, pcgid = 0;
	struct cgroup *cg;
	struct bg_policy *p;
	struct bg_stats *st;
	struct bg_event e;
	int lo = BG_LOOPBACK_IFINDEX, family;
	__u32 w[4];
	__u16 port;

	if (skops->op != BPF_SOCK_OPS_TCP_LISTEN_CB)
		return 1;
	sk = sock_of_ops(skops);
	/* Already tied to lo (rewrite mode, or the process did it): nothing to do. */
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if) == BG_LOOPBACK_IFINDEX)
		return 1;
	cg = sk_cgroup(sk);
	p = resolve(cg, &cgid, &pcgid);
	if (!p || !(p->proto_mask & BG_PROTO_TCP))
		return 1;
	family = skops->family;
	addr_pick(w, family, skops->local_ip4, skops->local_ip6[0], skops->local_ip6[1],
		  skops->local_ip6[2], skops->local_ip6[3]);
	port = skops->local_port; /* host order in sock_ops */
	if (address_reason(p, w, bg_addr_class(w), port) == BG_REASON_NONE)
		return 1;
	st = policy_stats(p);
	if (!st)
		return 1;
	event_init(&e, cgid, pcgid, p, BG_EV_LISTEN);
	__builtin_memcpy(e.addr, w, 16);
	e.port = port;
	e.family = family;
	e.protocol = BPF_CORE_READ(sk, sk_protocol);
	e.type = BPF_CORE_READ(sk, sk_type);
	e.reason = bg_preset_reason(p->preset, bg_addr_class(w));
	if (e.verdict != BG_VERDICT_AUDIT) {
		if (bpf_setsockopt(skops, BG_SOL_SOCKET, BG_SO_BINDTOIFINDEX, &lo, sizeof(lo)))
			e.verdict = BG_VERDICT_ALLOW; /* reported: confinement failed */
		else
			e.verdict = BG_VERDICT_CONFINE;
	}
	report(p, st, &e);
	return 1;
}

/* Is this SO_BINDTODEVICE / SO_BINDTOIFINDEX value the loopback device? */
static __always_inline int is_loopback_device(struct bpf_sockopt *ctx)
{
	char *v = ctx->optval, *end = ctx->optval_end;

	if (ctx->optname == BG_SO_BINDTOIFINDEX) {
		if (v + sizeof(int) > end || ctx->optlen < (int)sizeof(int))
			return 0;
		return *(int *)v == BG_LOOPBACK_IFINDEX;
	}
	/* "lo", optionally NUL-terminated. The buffer may hold just optlen
	 * bytes (Linux 6.1 copies no more). */
	if (v + 2 > end || ctx->optlen < 2 || ctx->optlen > 3)
		return 0;
	if (v[0] != 'l' || v[1] != 'o')
		return 0;
	if (ctx->optlen == 2)
		return 1;
	return v + 3 <= end && v[2] == '\0';
}

/*
 * No unconfining: in a policed cgroup a socket may be tied to the loopback
 * device but to no other, and not untied (SO_BINDTODEVICE ""), whoever asks
 * (root included). Binding to a device never bypasses the address checks.
 */
SEC("cgroup/setsockopt")
int bg_setsockopt(struct bpf_sockopt *ctx)
{
	__u64 cgid = 0, pcgid = 0;
	struct cgroup *cg;
	struct bg_policy *p;
	struct bg_stats *st;
	struct bg_event e;
	int family;

	if (ctx->level != BG_SOL_SOCKET ||
	    (ctx->optname != BG_SO_BINDTODEVICE && ctx->optname != BG_SO_BINDTOIFINDEX))
		return 1;
	if (!ctx->sk)
		return 1;
	family = ctx->sk->family;
	if (family != BG_AF_INET && family != BG_AF_INET6)
		return 1;
	cg = sock_cgroup(sock_of_sockopt(ctx));
	p = resolve(cg, &cgid, &pcgid);
	if (!p || is_loopback_device(ctx))
		return 1;
	st = policy_stats(p);
	if (!st)
		return 0;
	event_init(&e, cgid, pcgid, p, BG_EV_SETSOCKOPT);
	e.family = family;
	e.protocol = ctx->sk->protocol;
	e.type = ctx->sk->type;
	e.reason = BG_REASON_DEVICE;
	report(p, st, &e);
	return e.verdict == BG_VERDICT_AUDIT;
}

/*
 * Report e, about socket sk (address w, port), once per socket: seen_map, a
 * socket storage, remembers the sockets reported. Returns the hook's answer:
 * 1 lets the operation through (audit), 0 refuses it, also when the policy's
 * counters are missing (fail closed).
 */
static __always_inline int report_once(void *seen_map, struct bpf_sock *sk, struct bg_policy *p,
				       struct bg_event *e, const __u32 w[4], __u16 port, int reason)
{
	struct bg_stats *st;
	__u8 *seen = bpf_sk_storage_get(seen_map, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (seen && *seen)
		return e->verdict == BG_VERDICT_AUDIT; /* reported already */
	if (seen)
		*seen = 1;
	st = policy_stats(p);
	if (!st)
		return 0;
	__builtin_memcpy(e->addr, w, 16);
	e->port = port;
	e->family = sk->family;
	e->protocol = sk->protocol;
	e->type = sk->type;
	e->reason = reason;
	report(p, st, e);
	return e->verdict == BG_VERDICT_AUDIT;
}

/*
 * An unconnected UDP sendto() autobinds an unbound socket to the wildcard
 * before this hook runs; from then on the socket receives that port's
 * datagrams from every interface. A socket whose bound address the policy
 * refuses can only have got there that way (an explicit bind was checked).
 * Reported once per socket; refused with --udp-autobind deny. A socket bound
 * to a specific address (every well-behaved client and server in a policed
 * cgroup) leaves before any map is read: this runs for every datagram sent
 * with an address.
 */
static __always_inline int decide_udp_send(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	__u64 cgid = 0, pcgid = 0;
	struct cgroup *cg;
	struct bg_policy *p;
	struct bg_event e;
	int lo = BG_LOOPBACK_IFINDEX;
	__u8 *seen;
	__u32 w[4];
	__u16 port;

	if (!sk)
		return 1;
	addr_pick(w, sk->family, sk->src_ip4, sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2],
		  sk->src_ip6[3]);
	if (bg_addr_class(w) != BG_ADDR_WILDCARD)
		return 1;
	cg = sock_cgroup(sock_of_addr(ctx));
	p = resolve(cg, &cgid, &pcgid);
	if (!p || !(p->proto_mask & BG_PROTO_UDP))
		return 1;
	if (!(p->flags & (BG_F_UDP_AUDIT | BG_F_UDP_DENY))) {
		/* --udp-autobind allow: admitted, marked so that the backstop
		 * lets the socket hear its replies. */
		seen = bpf_sk_storage_get(&bg_udp_seen, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (seen)
			*seen = 1;
		return 1;
	}
	port = sk->src_port; /* host order */
	if (address_reason(p, w, bg_addr_class(w), port) == BG_REASON_NONE)
		return 1;
	event_init(&e, cgid, pcgid, p, BG_EV_UDP_SEND);
	if (p->flags & BG_F_UDP_AUDIT)
		e.verdict = BG_VERDICT_AUDIT;
	if (report_once(&bg_udp_seen, sk, p, &e, w, port, BG_REASON_WILDCARD))
		return 1;
	/* The kernel bound the socket to the wildcard before this hook ran:
	 * refusing the send alone would leave it receiving from every
	 * interface, so tie it to lo as well. */
	bpf_setsockopt(ctx, BG_SOL_SOCKET, BG_SO_BINDTOIFINDEX, &lo, sizeof(lo));
	return 0;
}

SEC("cgroup/sendmsg4")
int bg_sendmsg4(struct bpf_sock_addr *ctx)
{
	return verdict(decide_udp_send(ctx));
}

SEC("cgroup/sendmsg6")
int bg_sendmsg6(struct bpf_sock_addr *ctx)
{
	return verdict(decide_udp_send(ctx));
}

/*
 * Sockets with a bind of their own skip the bind hooks, so they are judged
 * here, when they are made: a raw socket is refused under --raw deny; an
 * ICMP ping socket, which bound to the wildcard hears echo replies from any
 * host, is tied to lo unless --ping allow; any other protocol (SCTP, L2TP/IP,
 * one a kernel adds) is refused unless --other-protocols allow. TCP, MPTCP,
 * UDP and UDP-Lite, which the bind hooks see, leave before any map is read.
 */
SEC("cgroup/sock_create")
int bg_sock_create(struct bpf_sock *ctx)
{
	int kind = bg_sock_kind(ctx->type, ctx->protocol);
	__u64 cgid = 0, pcgid = 0;
	struct cgroup *cg;
	struct bg_policy *p;
	struct bg_stats *st;
	struct bg_event e;
	int reason;

	if (kind == BG_KIND_BINDS)
		return 1;
	cg = sock_cgroup(sock_of_create(ctx));
	p = resolve(cg, &cgid, &pcgid);
	if (!p)
		return 1;
	reason = bg_create_reason(p, kind);
	if (reason == BG_REASON_NONE)
		return 1;
	st = policy_stats(p);
	if (!st)
		return 0;
	event_init(&e, cgid, pcgid, p, kind == BG_KIND_RAW ? BG_EV_RAW : BG_EV_SOCKET);
	e.family = ctx->family;
	e.protocol = ctx->protocol;
	e.type = ctx->type;
	e.reason = reason;
	if (kind == BG_KIND_PING && e.verdict != BG_VERDICT_AUDIT)
		e.verdict = BG_VERDICT_CONFINE;
	report(p, st, &e);
	if (e.verdict == BG_VERDICT_CONFINE) {
		/* Writable here: the socket hears and reaches this machine only,
		 * and the setsockopt guard keeps it so. */
		ctx->bound_dev_if = BG_LOOPBACK_IFINDEX;
		return 1;
	}
	return e.verdict == BG_VERDICT_AUDIT;
}

/*
 * The governing policy of a received packet's socket, from ids alone: the
 * socket's cgroup (bpf_skb_cgroup_id), else the nearest policed ancestor,
 * found going down from the root (bpf_skb_ancestor_cgroup_id) to the
 * socket's own level, the deepest match kept: what resolve() finds going
 * up, for cgroups up to BG_MAX_WALK levels deep. The same in both objects:
 * no socket pointer is needed, and the softirq that runs this has no
 * meaningful current task.
 */
static __always_inline struct bg_policy *resolve_skb(struct __sk_buff *skb, __u64 *cgid,
						     __u64 *pcgid)
{
	struct bg_policy *p, *q;
	__u64 id = bpf_skb_cgroup_id(skb), a;

	*cgid = id;
	if (!id)
		return NULL;
	p = bpf_map_lookup_elem(&bg_policies, &id);
	if (p) {
		*pcgid = id;
		return p;
	}
	for (int l = 0; l < BG_MAX_WALK; l++) {
		a = bpf_skb_ancestor_cgroup_id(skb, l);
		if (!a || a == id)
			break;
		q = bpf_map_lookup_elem(&bg_policies, &a);
		if (q) {
			p = q;
			*pcgid = a;
		}
	}
	return p;
}

/*
 * Was this socket's wildcard autobind seen and admitted at a send
 * (cgroup/sendmsg marks it in bg_udp_seen under --udp-autobind audit or
 * allow)? A send that failed before that hook admitted nothing, and neither
 * did a bind() to the wildcard made before the policy.
 */
static __always_inline int autobind_admitted(struct bpf_sock *sk)
{
	__u8 *seen = bpf_sk_storage_get(&bg_udp_seen, sk, 0, 0);

	return seen && *seen;
}

/*
 * The backstop: whatever the hooks above missed (a UDP send that failed
 * before cgroup/sendmsg, route_localnet, a 32-bit setsockopt that untied a
 * socket from lo, a way nobody has found yet), a packet that came in over
 * another interface than lo is dropped before a socket of a policed cgroup
 * that must not hear the network receives it (bg_receive_reason). Runs for
 * every packet a socket of the cgroup receives: loopback traffic, connected
 * sockets and established connections (whose peer the socket chose, or
 * whose listener was judged here) leave on the first two tests, before
 * any map is read. Reported once per socket.
 */
SEC("cgroup_skb/ingress")
int bg_ingress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	__u64 cgid = 0, pcgid = 0;
	struct bg_policy *p;
	struct bg_event e;
	int kind, cls, reason, admitted;
	__u32 w[4];
	__u16 port;

	if (skb->ingress_ifindex == BG_LOOPBACK_IFINDEX || !sk || sk->dst_port)
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk || (sk->family != BG_AF_INET && sk->family != BG_AF_INET6))
		return 1;
	p = resolve_skb(skb, &cgid, &pcgid);
	if (!p)
		return 1;
	addr_pick(w, sk->family, sk->src_ip4, sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2],
		  sk->src_ip6[3]);
	cls = bg_addr_class(w);
	port = sk->src_port; /* host order */
	kind = bg_sock_kind(sk->type, sk->protocol);
	/* The socket storage is read only where it can matter: UDP on the wildcard. */
	admitted = cls == BG_ADDR_WILDCARD && sk->type == BG_SOCK_DGRAM && autobind_admitted(sk);
	reason = bg_receive_reason(p, kind, sk->type, cls,
				   cls == BG_ADDR_LOOPBACK ? BG_REASON_NONE
							   : address_reason(p, w, cls, port),
				   admitted);
	if (reason == BG_REASON_NONE)
		return 1;
	event_init(&e, cgid, pcgid, p, BG_EV_RECEIVE);
	return report_once(&bg_rx_seen, sk, p, &e, w, port, reason);
}

/*
 * Not attached to anything: bindguard runs it (BPF_PROG_RUN) to queue an
 * event that userspace made, an existing socket closed by --close-existing,
 * on the deciding policy's ring, so that every reader of the stream sees it
 * where it sees the hooks' events. Loaded on demand, never pinned.
 */
SEC("syscall")
int bg_emit(struct bg_event *ctx)
{
	struct bg_event e;
	struct bg_policy *p;
	struct bg_stats *st;

	__builtin_memcpy(&e, ctx, sizeof(e));
	p = bpf_map_lookup_elem(&bg_policies, &e.policy_cgid);
	if (!p)
		return 1;
	st = policy_stats(p);
	if (!st)
		return 1;
	enqueue(p, st, &e, false);
	return 0;
}
