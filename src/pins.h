/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where the state lives: bpffs, the pins under <bpffs>/bindguard/ (maps and
 * programs by name, links/<cgid>-<hook>, rings/<slot>), and the flock that
 * serialises changes to them. Everything else bindguard keeps at run time is
 * under one directory, BG_RUN_DIR (a container running the agent mounts the
 * host's, beside bpffs, so that its changes and the host's take one lock).
 */
#ifndef BG_PINS_H
#define BG_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include "state.h"

#define BG_BPFFS "/sys/fs/bpf"
/* Set (not "0") where bpffs must be the host's, never one bindguard mounts
 * itself: the container image sets it. */
#define BG_HOST_BPFFS_ENV   "BINDGUARD_HOST_BPFFS"
#define BG_RUN_DIR	    "/run/bindguard"
#define BG_LOCK_PATH	    BG_RUN_DIR "/lock"
#define BG_EVENTS_LOCK_PATH BG_RUN_DIR "/events.lock"

/* The name of each hook's program pin, and the suffix of its links' pins. */
extern const char *const bg_hook_names[BG_NR_HOOKS];

/* Is bpffs mounted where bindguard pins? */
bool bg_state_bpffs_mounted(void);

/* Make sure bpffs is mounted: 0; -ENOENT when it is not and create is
 * false; otherwise an exit code after printing why. */
int bg_ensure_bpffs(bool create);

/* Create BG_RUN_DIR if it is missing: 0 or -errno. */
int bg_run_dir(void);

/* Take the change lock (for a state opened without BG_STATE_LOCK). */
int bg_state_lock(struct bg_state *s);

/* <pins>/<name> */
void bg_pin_path(const struct bg_state *s, const char *name, char *buf, size_t len);
/* <pins>/links/<cgid>-<hook> */
void bg_link_path(const struct bg_state *s, __u64 cgid, int hook, char *buf, size_t len);
/* <pins>/rings/<slot>, or the directory for slot 0 */
void bg_ring_pin_path(const struct bg_state *s, __u32 slot, char *buf, size_t len);

/* Remove every file below dir and dir itself; the first error is printed.
 * 0 or an exit code. */
int bg_remove_tree(const char *dir);

/* Remove everything bindguard holds in the kernel and in bpffs, whatever
 * version made it. Takes the lock itself. Exit code. */
int bg_state_destroy(void);

/* The same for open state whose lock the caller holds (bg_state_open with
 * BG_STATE_LOCK), so that what it checked stays true. Exit code. */
int bg_state_remove_locked(const struct bg_state *s);

#endif
