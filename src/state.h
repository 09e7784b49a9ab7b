/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Pinned kernel state: the maps and programs under <bpffs>/bindguard/ and
 * one link per hook on each top-most policed cgroup under links/. This
 * header has the state itself: opening it (loading this build's programs
 * when asked: load.h), closing it, and the few reads and writes of its maps
 * that the other modules share. Where it lives is pins.h; the changes to it
 * are control.c's. Every change runs under an exclusive flock and leaves
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
	BG_HOOK_LSM_LISTEN,  /* optional: only where BPF LSM loads */
	BG_NR_HOOKS,
};

static inline bool bg_hook_optional(int hook)
{
	return hook == BG_HOOK_LSM_LISTEN;
}

#define BG_NR_MAPS 7
/* The pinned maps' names (and their pins' names). */
extern const char *const bg_map_names[BG_NR_MAPS];

struct bg_state {
	char dir[64]; /* <bpffs>/bindguard */
	int lock_fd;
	int cfg_fd, policies_fd, rules_fd, rule_src_fd, stats_fd, events_fd, rings_fd;
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
