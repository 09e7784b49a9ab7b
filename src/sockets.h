/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Sockets that were there before their policy: every socket of the machine
 * that can receive from the network (every network namespace), with the
 * policy that governs it now (the one its creation cgroup resolves to, as
 * the programs resolve it) and that policy's verdict on it; and closing the
 * ones it refuses (--close-existing).
 */
#ifndef BG_SOCKETS_H
#define BG_SOCKETS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include "diag.h"
#include "owners.h"
#include "state.h"

/* A cgroup some socket was created in, resolved once. */
struct bg_scan_cgroup {
	__u64 id;
	char path[PATH_MAX]; /* "" when the cgroup is gone (removed since) */
	__u64 pcgid;	     /* the cgroup whose policy governs it; 0: none */
	char ppath[PATH_MAX];
	struct bg_policy pol; /* that policy (valid when pcgid) */
};

struct bg_open {
	struct bg_sock s;
	__u64 netns; /* inode of its network namespace */
	size_t cg;   /* index into bg_scan.cgs */
	__u8 verdict;
	__u8 reason;
	int closed;		/* 0: not tried; 1: closed; -errno: closing failed */
	const char *close_step; /* the step that failed: "destroy", "tie to lo", "find owner" */
};

struct bg_scan {
	struct bg_open *v;
	size_t n, cap;
	struct bg_scan_cgroup *cgs;
	size_t ncgs, cgcap;
	struct bg_owners owners;
	/* Socket kinds the kernel could not list (no sock_diag handler): one
	 * line, "" when every kind was listed; raw sockets apart (they matter
	 * only under --raw deny, and many kernels lack raw_diag). */
	char unlisted[160];
	bool unlisted_raw;
};

/* Which sockets to keep. */
struct bg_scan_filter {
	const char *subtree; /* only sockets created in this cgroup or below it */
	const __u64 *pcgids; /* only sockets these policies govern (npcgids) */
	size_t npcgids;
	bool policed;	   /* only sockets some policy governs */
	bool refused_only; /* only sockets their policy refuses */
};

/* Scan every network namespace. st NULL: no policy state (nothing is
 * governed). 0, or -errno with a line already printed for cmd. */
int bg_scan_sockets(const struct bg_state *st, const struct bg_scan_filter *f, struct bg_scan *sc,
		    const char *cmd);

/* Close every socket of sc whose verdict closes it (bg_verdict_closes),
 * queueing a close event for each through the emitter program emit_fd:
 * SOCK_DESTROY in its namespace; a UDP or raw socket, which the kernel only
 * aborts (it keeps its port and would go on receiving), is then also tied to
 * the loopback device through a copy of its descriptor (pidfd_getfd).
 * Returns how many could not be closed. */
int bg_scan_close(struct bg_scan *sc, int emit_fd);

/* Can this kernel close sockets (SOCK_DESTROY)? 0, or -EOPNOTSUPP with a
 * reason in why. Tried on a socket of our own. */
int bg_close_supported(char *why, size_t len);

/* Refused sockets still open in sc (verdict refuses, not closed). */
size_t bg_scan_refused_open(const struct bg_scan *sc);

void bg_scan_free(struct bg_scan *sc);

#endif
