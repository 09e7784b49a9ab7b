/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's rescan (agent --oci-root): the containers runc lists as live
 * under each root, policed as the hook would have policed them, for those
 * that started while no hook ran (the node booted before the agent, the
 * hook was being reinstalled). A container whose cgroup has a policy
 * already is left as it is.
 */
#ifndef BG_OCISCAN_H
#define BG_OCISCAN_H

#include <stdbool.h>

struct bg_oci_scan_result {
	unsigned seen;	  /* live containers with our annotations */
	unsigned policed; /* of those, policed by this scan */
	unsigned failed;  /* could not be policed (said why) */
};

/* Scan roots (runc --root directories; a missing one is empty). Containers
 * of the exempt namespaces are skipped. A container that fails is said once
 * (tried again at each scan, quietly, until it leaves or succeeds); the
 * scan goes on. The listeners the containers policed now bound before,
 * that their policies refuse, are reported. */
void bg_oci_scan(const char *const *roots, int nroots, const char *const *exempt, int nexempt,
		 struct bg_oci_scan_result *res);

#endif
