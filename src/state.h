/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Pinned kernel state: the maps and programs under <bpffs>/bindguard/, one
 * link per hook on each top-most policed cgroup under links/ (state.c), and
 * the changes to them (control.c). Every change runs under an exclusive flock and leaves either the
 * old or the new state, never a mix.
 */
#ifndef BG_STATE_H
#define BG_STATE_H

#include <limits.h>
#include <stdbool.h>
#include "bindguard.h"
#include "cgroup.h"
#include "object.h"
#include "policy.h"

#define BG_BPFFS	    "/sys/fs/bpf"
#define BG_LOCK_PATH	    "/run/bindguard.lock"
#define BG_EVENTS_LOCK_PATH "/run/bindguard-events.lock"

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

extern const char *const bg_hook_names[BG_NR_HOOKS];

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

/* After loading this build's programs over an earlier build's state: compile
 * every policy's exceptions again, from its source rules, into the trie (an
 * earlier build kept some only in the policy or in other maps). The
 * policies themselves are left as they are: the old programs, still linked
 * until the caller re-points the links, read their old bytes, which this
 * build ignores. 0, or an exit code after printing why. */
int bg_state_rebuild_rules(struct bg_state *s);

/* How many cgroups this state can police: one per slot of the per-CPU
 * counters, less the reserved slot 0 (see bg_stats_slots()). */
int bg_state_max_policies(const struct bg_state *s);

/* Is bpffs mounted where bindguard pins? */
bool bg_state_bpffs_mounted(void);

/* Is BPF LSM active (is "bpf" in /sys/kernel/security/lsm)? 1 yes, 0 no, -1
 * cannot tell (securityfs not mounted). An lsm_cgroup program loads either
 * way, but only runs where BPF LSM is active. The list goes to list
 * ("" when unreadable) if list is not NULL. */
int bg_bpf_lsm_active(char *list, size_t len);

/* Take the change lock (for a state opened without BG_STATE_LOCK). */
int bg_state_lock(struct bg_state *s);

/* The policy of a cgroup: 0, or -ENOENT. */
int bg_state_policy(const struct bg_state *s, __u64 cgid, struct bg_policy *out);

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

/* Remove everything bindguard holds in the kernel and in bpffs, whatever
 * version made it. Takes the lock itself. Exit code. */
int bg_state_destroy(void);

/* Sum of the per-CPU counters of a stats slot. */
int bg_state_stats(const struct bg_state *s, __u32 slot, struct bg_stats *out);

/* Is the pinned event ring still the one this state holds open? */
bool bg_state_is_current(const struct bg_state *s);

/* Does a link pin exist for this cgroup (its own attachment)? */
bool bg_state_has_link(const struct bg_state *s, __u64 cgid);

/* Read back the exceptions of a policy. Returns the count or -errno. */
int bg_state_rules(const struct bg_state *s, const struct bg_policy *p, struct bg_rule_src *out,
		   size_t max);

/* A private event ring for `bindguard run`, in a free slot of "rings". The
 * caller owns ring_fd; the slot is freed by bg_state_ring_free or, once no
 * policy names it, by the next garbage collection. */
int bg_state_ring_create(struct bg_state *s, __u32 *slot, int *ring_fd);
void bg_state_ring_free(struct bg_state *s, __u32 slot);

/* The object pinned state runs (object.h: BG_OBJ_FULL or BG_OBJ_COMPAT), or
 * -1 for state of another build. */
int bg_state_object(const struct bg_state *s);

/* What this kernel can run, found by loading the objects in turn (the way
 * a policy command does) without pinning anything. */
struct bg_probe {
	int kernel;		  /* 0, or the exit code of a missing prerequisite (BTF) */
	int variant;		  /* the object that loaded (object.h), or -1: none */
	int preferred;		  /* the first object tried */
	int errs[BG_NR_OBJ];	  /* -errno of each object's load; 0: loaded or not tried */
	char why[BG_NR_OBJ][384]; /* a refused object: "program: the verifier's line" */
	bool loaded[BG_NR_HOOKS]; /* each program passed the verifier */
	int optional_err;	  /* -errno of the load with the optional programs */
	int load_err;		  /* -errno of the load without them (0: loaded) */
	char lsm_list[256];	  /* /sys/kernel/security/lsm, "" when unreadable */
	int lsm_active;		  /* bg_bpf_lsm_active() */
};
int bg_state_probe(struct bg_probe *p);

#endif
