/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The maps; their value layouts are in include/bindguard.h. All are pinned. */
#ifndef BG_MAPS_BPF_H
#define BG_MAPS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bg_config);
} bg_cfg SEC(".maps");

/* Policed cgroup id -> policy: the one place the programs find policies
 * (policy.bpf.h, resolve). No preallocation: a replaced element is freed
 * only after an RCU grace period, so a program that looked up the old
 * policy keeps reading it whole while a re-apply swaps in the new one. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BG_MAX_POLICIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct bg_policy);
} bg_policies SEC(".maps");

/* Every policy's exceptions, keyed by ruleset and prefix (bindguard.h):
 * the bind programs' one exception lookup (policy.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, BG_MAX_LPM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bg_rule_key);
	__type(value, struct bg_rule_val);
} bg_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BG_MAX_LPM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct bg_rule_src);
} bg_rule_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BG_MAX_POLICIES);
	__type(key, __u32);
	__type(value, struct bg_stats);
} bg_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BG_RINGBUF_SIZE);
} bg_events SEC(".maps");

/* Private rings: `bindguard run` follows its own cgroup's events without
 * taking the shared ring from `bindguard events` (or from other runs). */
struct bg_run_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BG_RUN_RING_SIZE);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, BG_RUN_RINGS);
	__type(key, __u32);
	__array(values, struct bg_run_ring);
} bg_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BG_MAX_READERS);
	__type(key, __u32);
	__type(value, struct bg_reader);
} bg_readers SEC(".maps");

/* Sockets whose wildcard autobind cgroup/sendmsg saw: reported once each
 * (audit, deny), and admitted by the backstop (audit, allow). */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u8);
} bg_udp_seen SEC(".maps");

/* Sockets already reported for a packet the backstop dropped: one event each. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u8);
} bg_rx_seen SEC(".maps");

#endif
