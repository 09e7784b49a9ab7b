/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What runc keeps of a container it runs, in ROOT/ID/state.json (runc
 * --root; CRI-O's and podman's /run/runc, containerd's
 * /run/containerd/runc/NAMESPACE): its first process (pid and start time)
 * and its bundle, whose config.json holds the annotations. The agent reads
 * them to police containers that started while no hook ran (ociscan.h).
 * Pure: unit-tested without root.
 */
#ifndef BG_RUNCSTATE_H
#define BG_RUNCSTATE_H

#include <limits.h>
#include <stddef.h>
#include "oci.h"

/* The most a state.json or config.json may take to be read. */
#define BG_RUNC_FILE_MAX (4 << 20)

struct bg_runc_state {
	long pid;		  /* init_process_pid */
	unsigned long long start; /* init_process_start: clock ticks after boot */
	char bundle[PATH_MAX];	  /* from the config's "bundle=" label */
};

/* Parse state.json. 0, or -1 with a one-line reason in err. */
int bg_runc_state_parse(const char *buf, size_t len, struct bg_runc_state *rs, char *err,
			size_t errlen);

/* The hook state of running container id with first process pid, from its
 * bundle's config.json (its annotations), as the runtime would have given
 * the hook: bg_oci_parse's result (bg_oci_free either way). */
int bg_runc_oci_state(const char *id, long pid, const char *config, size_t len,
		      struct bg_oci_state *os, char *err, size_t errlen);

#endif
