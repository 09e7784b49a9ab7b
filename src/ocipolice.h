/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One container's policy from its OCI state: on the cgroup of its first
 * process, with a record (BG_OCI_RECORDS/ID: the cgroup's id and path) for
 * when the container stops, by which time the runtime has removed the
 * process and usually the cgroup. The hook (cmd_oci.c) and the agent's
 * rescan of the runtimes' state (ociscan.h) both police through here.
 */
#ifndef BG_OCIPOLICE_H
#define BG_OCIPOLICE_H

#include <stdbool.h>
#include <linux/types.h>
#include "oci.h"
#include "pins.h"
#include "policy.h"

#define BG_OCI_RECORDS BG_RUN_DIR "/oci"

/* Put spec on the cgroup of os->pid. if_unpoliced: leave a cgroup that has
 * a policy already as it is. *applied: the id of the cgroup policed, 0 when
 * none was. who prefixes the error lines. Exit code; on failure nothing
 * changed. */
int bg_oci_police(const struct bg_oci_state *os, const struct bg_policy_spec *spec, const char *who,
		  bool if_unpoliced, __u64 *applied);

/* The container stopped: remove its policy, or forget it with its removed
 * cgroup, and its record. Exit code. */
int bg_oci_unpolice(const struct bg_oci_state *os, const char *who);

/* Drop the records whose cgroup is gone (a stop that never reached us). */
void bg_oci_sweep_records(void);

#endif
