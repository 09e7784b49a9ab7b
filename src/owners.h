/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which processes hold a socket: the descriptors of every process, from
 * /proc/PID/fd (a socket's link reads "socket:[INODE]"), as ss -p finds them.
 */
#ifndef BG_OWNERS_H
#define BG_OWNERS_H

#include <stddef.h>
#include <linux/types.h>

struct bg_owner {
	__u32 inode;
	__u32 pid; /* tgid */
	int fd;	   /* one descriptor of it in that process */
	char comm[16];
};

struct bg_owners {
	struct bg_owner *v; /* sorted by inode, then pid */
	size_t n;
};

/* Record the holders of each of the n socket inodes in want (any order).
 * 0 or -ENOMEM; processes that exit meanwhile are skipped. */
int bg_owners_scan(struct bg_owners *o, const __u32 *want, size_t n);

/* The holders of inode: *count entries from the returned one (NULL: none). */
const struct bg_owner *bg_owners_of(const struct bg_owners *o, __u32 inode, size_t *count);

void bg_owners_free(struct bg_owners *o);

#endif
