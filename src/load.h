/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Loading this build's BPF programs: the objects are tried in turn, best
 * first (object.h), and the first this kernel's verifier accepts is loaded
 * with its maps at the pins and its programs pinned. The same trial, without
 * pins, is what `bindguard check` reports.
 */
#ifndef BG_LOAD_H
#define BG_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include "object.h"
#include "state.h"

/* Is BPF LSM active (is "bpf" in /sys/kernel/security/lsm)? 1 yes, 0 no, -1
 * cannot tell (securityfs not mounted). An lsm_cgroup program loads either
 * way, but only runs where BPF LSM is active. The list goes to list
 * ("" when unreadable) if list is not NULL. */
int bg_bpf_lsm_active(char *list, size_t len);

/* The objects to try, best first (BINDGUARD_OBJECT, validated by main).
 * Returns how many were written to order[]. */
int bg_load_order(int order[BG_NR_OBJ]);

/* Which of this binary's objects pinned state was loaded from (its config's
 * build, the one the kernel accepted when it was created), or -1 for
 * another build's. Reading it from the state spares every command a trial
 * load. */
int bg_build_variant(__u64 build);

/* Load the programs and create (or reuse) the pinned maps, then pin the
 * programs and write the config. s's descriptors are left as they were:
 * the caller opens the pins again. 0, or an exit code after printing why
 * (3 when this kernel refuses every object). */
int bg_load_and_pin(struct bg_state *s);

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

/* The event emitter (bg_emit) of the variant's object, loaded alone against
 * the pinned maps of s (NULL: fresh maps, to see whether this kernel loads
 * it): a program descriptor, or -errno. Not pinned: it lives as long as the
 * descriptor. */
int bg_emitter_load(const struct bg_state *s, int variant);

#endif
