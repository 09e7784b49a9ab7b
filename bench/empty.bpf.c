// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The floor of `make bench`: one program per hook bindguard attaches, each
 * allowing everything and doing nothing else. bench/run.sh loads them with
 * bpftool (loadall) and attaches (multi) to cgroups it created: bench_bind4
 * alone for the per-bind cost, and on the workloads' floor cgroup each
 * program whose hook bindguard attached to the policed cgroup. (The LSM
 * listen hook is not among them: it needs BPF LSM, and bindguard attaches it
 * only where that loads; the report says when the floor lacks it.) */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("cgroup/bind4")
int bench_bind4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/bind6")
int bench_bind6(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("sockops")
int bench_sockops(struct bpf_sock_ops *ctx)
{
	return 1;
}

SEC("cgroup/setsockopt")
int bench_setsockopt(struct bpf_sockopt *ctx)
{
	return 1;
}

SEC("cgroup/sendmsg4")
int bench_sendmsg4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sendmsg6")
int bench_sendmsg6(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sock_create")
int bench_sock_create(struct bpf_sock *ctx)
{
	return 1;
}

SEC("cgroup_skb/ingress")
int bench_ingress(struct __sk_buff *ctx)
{
	return 1;
}
