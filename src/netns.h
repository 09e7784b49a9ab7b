/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every network namespace of the machine, visited in turn: a socket lives in
 * one, and the kernel's socket tables answer per namespace. Found from every
 * process's /proc/PID/ns/net and the bind mounts of /run/netns (a namespace
 * no process is in), each once.
 */
#ifndef BG_NETNS_H
#define BG_NETNS_H

#include <linux/types.h>

/* Call fn inside each network namespace (the calling thread moves there and
 * back), with the namespace's inode number. A non-zero return of fn stops
 * the walk and is returned; -errno when the walk itself fails (and the
 * thread could not go back: then it is fatal to the caller). */
int bg_netns_each(int (*fn)(__u64 netns, void *arg), void *arg);

#endif
