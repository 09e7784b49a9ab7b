/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The test helpers' way into a cgroup: write our pid to DIR/cgroup.procs. */
#ifndef BG_JOIN_H
#define BG_JOIN_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* 0, or -1 after printing "WHO: join DIR: reason". */
static inline int bg_join_cgroup(const char *who, const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
		fprintf(stderr, "%s: join %s: %s\n", who, dir, strerror(errno));
		return -1;
	}
	return 0;
}

#endif
