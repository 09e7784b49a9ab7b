/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI shared by the BPF programs (bpf/) and the userspace loader (src/).
 *
 * Everything here is either a constant or a fixed-layout struct that lives in a
 * BPF map or the ring buffer. All structs use fixed-width types with explicit
 * padding so that BPF (clang -target bpf) and userspace (gcc, x86_64) agree on
 * the layout; userspace checks the sizes with _Static_assert (src/abi.c).
 *
 * Byte order: addresses are kept exactly as the kernel holds them, in network
 * byte order, always as a 16-byte IPv6 address. An IPv4 address a.b.c.d is
 * stored IPv4-mapped (::ffff:a.b.c.d), so one LPM trie and one classifier serve
 * both bind4 and bind6. Ports are host byte order. Counters and ids are host
 * byte order.
 */
#ifndef BINDGUARD_H
#define BINDGUARD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Bumped whenever a map or struct below changes shape. Pinned state carries it
 * in the config map; a loader refuses state with another version. */
#define BG_ABI_VERSION 10

/* Pins: <bpffs>/bindguard/<name>. Links: <bpffs>/bindguard/links/<cgid>-<hook>
 * (bpffs refuses dots in names). */
#define BG_PIN_DIR  "bindguard"
#define BG_LINK_DIR "links"
#define BG_RING_DIR "rings" /* a pin per taken private ring slot */

#define BG_MAX_POLICIES	   16384 /* policed cgroups, at most; also the stats slots */
#define BG_MAX_RULES	   1024	 /* --allow exceptions per policy */
#define BG_MAX_LPM	   (BG_MAX_POLICIES * 4 + 2 * BG_MAX_RULES)
#define BG_MAX_PORT_RANGES 16 /* distinct port ranges covering one prefix */
#define BG_MAX_WALK	   64 /* ancestor levels searched for a policy */
#define BG_RINGBUF_SIZE	   (4u << 20)
#define BG_RUN_RINGS	   64 /* private rings of `bindguard run`, slot 0 unused */
#define BG_RUN_RING_SIZE   (1u << 20)
#define BG_MAX_READERS	   16 /* concurrent `bindguard events` readers, each with a ring */

/* The per-CPU counters (bg_stats, one slot per policy) get at most this much
 * memory: on a machine with many CPUs there are fewer slots (never fewer
 * than BG_MIN_POLICY_SLOTS), see bg_stats_slots(). */
#define BG_STATS_BUDGET	    (32u << 20)
#define BG_MIN_POLICY_SLOTS 4096

/*
 * Fairness under a denial storm: once the ring is more than half full, a
 * policy may queue at most BG_FAIR_BURST events per BG_FAIR_WINDOW_NS on one
 * CPU; beyond that its events are dropped and counted as lost. A quiet cgroup
 * stays below the burst and keeps the other half of the ring for itself.
 */
#define BG_FAIR_WINDOW_NS 100000000ull
#define BG_FAIR_BURST	  256

enum bg_preset {
	BG_PRESET_NONE = 0,
	BG_PRESET_LOOPBACK_ONLY = 1,
	BG_PRESET_DENY_WILDCARD = 2,
};

enum bg_mode {
	BG_MODE_ENFORCE = 0,
	BG_MODE_AUDIT = 1,
	BG_MODE_REWRITE = 2, /* wildcard binds go to loopback instead of failing */
};

/* Which sockets a policy applies to, by socket type: TCP and MPTCP are
 * SOCK_STREAM, UDP and UDP-Lite are SOCK_DGRAM. ctx->protocol cannot tell
 * MPTCP from TCP (its subflows run the hooks), the type can tell stream from datagram. */
enum bg_proto_bit {
	BG_PROTO_TCP = 1,
	BG_PROTO_UDP = 2,
	BG_PROTO_OTHER = 4,
	BG_PROTO_ALL = 7,
};

/* The holes the bind hooks leave, one choice each per policy. */
enum bg_policy_flag {
	BG_F_UDP_AUDIT = 1,	/* report unconnected UDP sends from wildcard-autobound sockets */
	BG_F_UDP_DENY = 2,	/* refuse them (EPERM from sendto) */
	BG_F_RAW_DENY = 4,	/* refuse creating raw sockets */
	BG_F_COUNT_ALLOWED = 8, /* count the binds the policy allows (costs each one a few ns) */
	/* Sockets of protocols with their own bind, which the bind hooks never
	 * see. A clear bit is the safe default (and what a policy from an
	 * earlier build gets): */
	BG_F_PING_ALLOW = 16,  /* ICMP ping sockets left free; else tied to lo */
	BG_F_OTHER_ALLOW = 32, /* SCTP, L2TP/IP, ... created freely; else refused */
};

enum bg_verdict {
	BG_VERDICT_ALLOW = 0,
	BG_VERDICT_DENY = 1,
	BG_VERDICT_AUDIT = 2,
	BG_VERDICT_CONFINE = 3, /* listener tied to the loopback device */
	BG_VERDICT_REWRITE = 4, /* wildcard bind moved to loopback */
	BG_VERDICT_CLOSE = 5,	/* an existing socket closed (--close-existing) */
};

/* Which hook produced an event. */
enum bg_event_kind {
	BG_EV_BIND = 0,	      /* cgroup/bind4, cgroup/bind6 */
	BG_EV_LISTEN = 1,     /* listen() autobind: lsm_cgroup or sock_ops */
	BG_EV_UDP_SEND = 2,   /* unconnected sendto() from a wildcard-autobound socket */
	BG_EV_RAW = 3,	      /* raw socket creation */
	BG_EV_SETSOCKOPT = 4, /* SO_BINDTODEVICE / SO_BINDTOIFINDEX to another device */
	BG_EV_EXISTING = 5,   /* a socket older than its policy (queued by bg_emit) */
	BG_EV_SOCKET = 6,     /* creating a ping socket or one of another own-bind protocol */
	BG_EV_RECEIVE = 7,    /* a packet from the network to a socket that must not hear it */
};

/* Why a preset refused an address (0 means the preset allows it). */
enum bg_reason {
	BG_REASON_NONE = 0,
	BG_REASON_WILDCARD = 1,	    /* 0.0.0.0, ::, ::ffff:0.0.0.0, AF_UNSPEC any */
	BG_REASON_NOT_LOOPBACK = 2, /* specific address outside loopback */
	BG_REASON_RAW = 3,	    /* raw socket */
	BG_REASON_DEVICE = 4,	    /* binding to a device other than lo */
	BG_REASON_PING = 5,	    /* ICMP ping socket (its own bind) */
	BG_REASON_OWN_BIND = 6,	    /* SCTP, L2TP/IP or another protocol with its own bind */
	BG_REASON_LOOPBACK_NET = 7, /* to a loopback address, from another interface */
};

/* Address classes; see bg_addr_class() in bg_decide.h. */
enum bg_addr_class {
	BG_ADDR_OTHER = 0,
	BG_ADDR_LOOPBACK = 1,
	BG_ADDR_WILDCARD = 2,
};

/* Map bg_cfg, one entry (key 0). */
struct bg_config {
	__u32 abi;
	__u32 next_ruleset;   /* userspace only: the next ruleset id to hand out */
	__u64 last_full_pass; /* userspace only: CLOCK_BOOTTIME second + 1 of the last full
			       * pass over the state (src/gc.h); was a cache generation */
	__u64 build; /* userspace only: hash of the BPF object the pinned programs came from */
};

/* A port range of an exception, lo..hi inclusive (host order). */
struct bg_port_range {
	__u16 lo;
	__u16 hi;
};

/* Map bg_policies: key __u64 cgroup id (kernfs id) of the policed cgroup. A
 * re-apply replaces the whole value in one map update. */
struct bg_policy {
	__u8 preset;	 /* enum bg_preset */
	__u8 mode;	 /* enum bg_mode */
	__u8 proto_mask; /* enum bg_proto_bit */
	__u8 flags;	 /* enum bg_policy_flag */
	__u32 ruleset;	 /* rules key prefix, unique per applied policy; 0: none */
	__u32 slot;	 /* index into bg_stats, stable while the cgroup is policed */
	__u32 nrules;	 /* entries in bg_rule_src under ruleset */
	__u32 ring;	 /* slot in bg_rings of a private ring (bindguard run); 0: shared */
	/* Unused: earlier builds kept derived copies of the exceptions here
	 * (this one writes zeros and reads nothing). Kept so that the pinned
	 * policies map of an earlier build stays reusable across an upgrade. */
	__u8 pad[140];
};

/* Map bg_rules (LPM trie): every policy's exceptions, the one place the
 * programs look them up. prefixlen counts 32 bits of ruleset followed by the
 * address bits, so one lookup finds the most specific exception of one
 * policy. Userspace merges port ranges: an entry carries the ranges of every
 * rule whose prefix contains it, so the longest match alone decides. */
struct bg_rule_key {
	__u32 prefixlen;
	__u32 ruleset;
	__u8 addr[16];
};

struct bg_rule_val {
	__u32 nranges;
	struct bg_port_range r[BG_MAX_PORT_RANGES];
};

/* Map bg_rule_src: the exceptions as the user wrote them, for status (and
 * to compile bg_rules again on an upgrade). Key: ruleset << 32 | index. */
struct bg_rule_src {
	__u8 addr[16];
	__u8 prefixlen; /* 0..128, in the IPv6 (mapped) space */
	__u8 family;	/* 4, 6, or 0 for "*" (any address) */
	__u16 port_lo;
	__u16 port_hi;
	__u16 pad;
};

/* Map bg_readers (array, BG_MAX_READERS): the readers of `bindguard events`.
 * Every event is also queued on each reader's ring (a slot of bg_rings, the
 * same kind as a run's), so readers do not take events from each other and
 * each counts its own losses. ring 0: a free entry. */
struct bg_reader {
	__u32 ring;  /* its slot in bg_rings */
	__u32 pid;   /* the reader's process, for garbage collection */
	__u64 start; /* its start time (clock ticks since boot), against pid reuse */
	__u64 lost;  /* events its ring could not take */
};

/* Map bg_stats (per-CPU array, bg_stats_slots() entries), indexed by slot.
 * Slot 0 belongs to no policy: its lost counter totals every lost event, so
 * the count survives the detach of the policy that lost them. */
#define BG_SLOT_GLOBAL 0
struct bg_stats {
	__u64 allowed;
	__u64 denied;
	__u64 audited;
	__u64 rewritten;
	__u64 lost; /* events that could not be queued */
	__u64 win_start;
	__u64 win_count;
};

/* Ring buffer record, one per denied or audited bind. */
struct bg_event {
	__u64 ts_ns;	   /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;   /* cgroup the socket was created in */
	__u64 policy_cgid; /* cgroup whose policy decided */
	__u32 pid;	   /* tgid */
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u8 addr[16];	/* network order, IPv4 mapped */
	__u16 port;	/* host order */
	__u8 family;	/* AF_INET or AF_INET6: the socket's family */
	__u8 sa_family; /* family field the caller passed (AF_UNSPEC shows here) */
	__u8 protocol;	/* IPPROTO_* of the socket */
	__u8 type;	/* SOCK_STREAM, SOCK_DGRAM, ... */
	__u8 verdict;	/* enum bg_verdict */
	__u8 reason;	/* enum bg_reason */
	__u8 preset;	/* enum bg_preset of the deciding policy */
	__u8 kind;	/* enum bg_event_kind */
	__u8 pad[2];
	char comm[16];
};

#endif /* BINDGUARD_H */
