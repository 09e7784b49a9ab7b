/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Pinned kernel state: the maps and programs under <bpffs>/bindguard/ and
 * one link per hook on each top-most policed cgroup under links/. This
 * header has the state itself: opening it (loading this build's programs
 * when asked: load.h), closing it, and the few reads and writes of its maps
 * that the other modules share. Where it lives is pins.h; the changes to it
 * are control.h's. Every change runs under an exclusive flock and leaves
 * either the old or the new state, never a mix.
 */
#ifndef BG_STATE_H
#define BG_STATE_H

#include <stdbool.h>
#include "bindguard.h"

/* One program per hook; each top-most policed cgroup gets a link for each. */
enum bg_hook {
	BG_HOOK_BIND4,
	BG_HOOK_BIND6,
	BG_HOOK_SOCKOPS,    /* listen() confinement where LSM is unavailable */
	BG_HOOK_SETSOCKOPT, /* no unconfining */
	BG_HOOK_SENDMSG4,   /* unconnected UDP autobind */
	BG_HOOK_SENDMSG6,
	BG_HOOK_SOCK_CREATE, /* raw sockets */
	BG_HOOK_INGRESS,     /* the backstop: packets from the network */
	BG_HOOK_LSM_LISTEN,  /* optional: only where BPF LSM loads */
	BG_NR_HOOKS,
};

static inline bool bg_hook_optional(int hook)
{
	return hook == BG_HOOK_LSM_LISTEN;
}

/*
 * The pinned maps, each by its name in bpf/maps.bpf.h. That one name is the
 * skeletons' member (load.c takes the maps from there, so a map renamed in
 * bpf/ fails the build), the name of the map's pin and the name the kernel
 * reports for it. bg_udp_seen (socket storage) is not pinned: each load of
 * the programs has its own.
 */
#define BG_PINNED_MAPS(X)                                                                          \
	X(BG_MAP_CFG, bg_cfg)                                                                      \
	X(BG_MAP_POLICIES, bg_policies)                                                            \
	X(BG_MAP_RULES, bg_rules)                                                                  \
	X(BG_MAP_RULE_SRC, bg_rule_src)                                                            \
	X(BG_MAP_STATS, bg_stats)                                                                  \
	X(BG_MAP_EVENTS, bg_events)                                                                \
	X(BG_MAP_RINGS, bg_rings)                                                                  \
	X(BG_MAP_READERS, bg_readers)

#define BG_MAP_ENUM(id, name) id,
enum bg_map { BG_PINNED_MAPS(BG_MAP_ENUM) BG_NR_MAPS };
#undef BG_MAP_ENUM

/* Each pinned map's name ("bg_cfg", ...), by enum bg_map. */
extern const char *const bg_map_names[BG_NR_MAPS];

struct bg_state {
	char dir[64]; /* <bpffs>/bindguard */
	int lock_fd;
	int map_fd[BG_NR_MAPS];	  /* by enum bg_map */
	int prog_fd[BG_NR_HOOKS]; /* -1 for a hook this kernel cannot run */
	int ncpus;
};

enum {
	BG_STATE_CREATE = 1, /* load and pin the programs and maps if absent */
	BG_STATE_LOCK = 2,   /* take the change lock (for commands that write) */
};

/* Open pinned state. Returns 0; -ENOENT when there is none and CREATE was
 * not asked; otherwise an exit code > 0 after printing the error. */
int bg_state_open(struct bg_state *s, int flags);
void bg_state_close(struct bg_state *s);

/* The object pinned state runs (object.h: BG_OBJ_FULL or BG_OBJ_COMPAT), or
 * -1 for state of another build. */
int bg_state_object(const struct bg_state *s);

/* The config, bg_cfg's one entry: 0 or -errno. */
int bg_read_cfg(const struct bg_state *s, struct bg_config *cfg);
int bg_write_cfg(const struct bg_state *s, const struct bg_config *cfg);

/* The policy of a cgroup: 0, or -ENOENT. */
int bg_state_policy(const struct bg_state *s, __u64 cgid, struct bg_policy *out);

/* A map's max_entries; 0 when it cannot be read. */
__u32 bg_map_max_entries(int fd);

/* Store or remove the policy of a cgroup: 0 or -errno. */
int bg_policy_store(struct bg_state *s, __u64 cgid, const struct bg_policy *pol);
int bg_policy_remove(struct bg_state *s, __u64 cgid);

#endif
