/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Facts about the host that open ways around the bind hooks, for `check`:
 * interfaces that route 127.0.0.0/8 from the network (route_localnet), and
 * whether the kernel takes 32-bit system calls (whose setsockopt skips the
 * cgroup setsockopt hook).
 */
#ifndef BG_HOSTNET_H
#define BG_HOSTNET_H

#include <stddef.h>

/* The names of the entries under DIR (/proc/sys/net/ipv4/conf) whose
 * route_localnet is not 0, space separated, into names. "all" set means every
 * interface. Returns how many, or -errno when DIR cannot be read. */
int bg_route_localnet(const char *dir, char *names, size_t len);

/* Does this kernel run 32-bit system calls from a 64-bit process (x86-64:
 * `int $0x80`, IA32 emulation)? Tried in a child process: 1 yes, 0 no,
 * -errno when it cannot tell (other architectures: -ENOSYS). */
int bg_compat_syscalls(void);

#endif
