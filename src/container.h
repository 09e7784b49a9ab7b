/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --container NAME|ID: a running container's host pid, asked of podman, then docker. */
#ifndef BG_CONTAINER_H
#define BG_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include "cgroup.h"

/* Is name a container name or id as podman and docker spell them
 * ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 255)? Pure. */
bool bg_container_name_ok(const char *name);

/* The host pid of running container name: 0 with *pid, or -1 with err
 * (neither runtime knows it, or it is not running). */
int bg_container_pid(const char *name, long *pid, char *err, size_t errlen);

/* The cgroup v2 of running container name: 0, or -1 with err. */
int bg_cgroup_of_container(const char *name, struct bg_cgroup *cg, char *err, size_t errlen);

#endif
