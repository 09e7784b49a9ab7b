// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The floor of `make bench`: a cgroup/bind4 program that allows every bind
 * and does nothing else. bench/run.sh loads it with bpftool and attaches it
 * (multi) to a cgroup it created. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("cgroup/bind4")
int bench_empty4(struct bpf_sock_addr *ctx)
{
	return 1;
}
