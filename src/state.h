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
#include "cgroup.h"
#include "policy.h"

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

int bg_read_cfg(const struct bg_state *s, struct bg_config *cfg);
int bg_write_cfg(const struct bg_state *s, const struct bg_config *cfg);

/* The policy of a cgroup: 0, or -ENOENT. */
int bg_state_policy(const struct bg_state *s, __u64 cgid, struct bg_policy *out);

/* A map's max_entries; 0 when it cannot be read. */
__u32 bg_map_max_entries(int fd);

/* After loading this build's programs over an earlier build's state: compile
 * every policy's exceptions again, from its source rules, into the trie (an
 * earlier build kept some only in the policy or in other maps). The
 * policies themselves are left as they are: the old programs, still linked
 * until the caller re-points the links, read their old bytes, which this
 * build ignores. 0, or an exit code after printing why. */
int bg_state_rebuild_rules(struct bg_state *s);

/* Forget policies of removed cgroups and drop defunct links. */
int bg_state_gc(struct bg_state *s);

/* Apply (or atomically replace) the policy of cgroup cg. Exit code. */
int bg_state_apply(struct bg_state *s, const struct bg_cgroup *cg,
		   const struct bg_policy_spec *spec);

/* The same policy on k cgroups in one change: all of them get it, or (on
 * any error) none does and the old policies stay. The caller makes sure no
 * cgroup is named twice. Exit code. */
int bg_state_apply_many(struct bg_state *s, const struct bg_cgroup *cgs, int k,
			const struct bg_policy_spec *spec);

/* Remove the policy of cgroup id and every trace of it. Exit code; 1 with a
 * message if the cgroup has no policy. */
int bg_state_detach(struct bg_state *s, __u64 cgid, const char *shown);

/* The same for k cgroups, none named twice: all or none; 1 with a message
 * naming the first cgroup without a policy, before anything changes. */
int bg_state_detach_many(struct bg_state *s, const struct bg_cgroup *cgs, int k);

/* Does a link pin exist for this cgroup (its own attachment)? */
bool bg_state_has_link(const struct bg_state *s, __u64 cgid);

/* Read back the exceptions of a policy. Returns the count or -errno. */
int bg_state_rules(const struct bg_state *s, const struct bg_policy *p, struct bg_rule_src *out,
		   size_t max);

#endif
