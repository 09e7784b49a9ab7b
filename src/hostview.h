/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * In the agent's image (BINDGUARD_HOST_BPFFS set, pins.h), a command must
 * see the host's cgroup tree as the host does, whatever the container
 * runtime gave it. Two things can hide it: a cgroup namespace of its own
 * (Kubernetes' default on cgroup v2 hosts: /proc/PID/cgroup would then name
 * paths relative to it), and no cgroup2 mount at all (a hybrid host's
 * container may show only the v1 hierarchies). The first is mended by
 * joining the cgroup namespace of PID 1 (the host's, under hostPID), the
 * second by mounting cgroup2 over /sys/fs/cgroup in a mount namespace of
 * the command's own, so nothing is left mounted anywhere when it exits.
 */
#ifndef BG_HOSTVIEW_H
#define BG_HOSTVIEW_H

/* 0 (nothing to mend, or mended), or an exit code after one line. Outside
 * the image: 0 at once. */
int bg_host_cgroup_view(const char *cmd);

#endif
