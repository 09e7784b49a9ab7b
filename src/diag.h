/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's socket table, through sock_diag (NETLINK_SOCK_DIAG, with
 * libnl-3): list the sockets of one network namespace that can receive from
 * the network (TCP listeners, unconnected bound UDP and UDP-Lite sockets, raw
 * sockets), each with the cgroup it was created in, and destroy one
 * (SOCK_DESTROY). Everything acts on the calling thread's network namespace.
 */
#ifndef BG_DIAG_H
#define BG_DIAG_H

#include <stddef.h>
#include <linux/inet_diag.h>
#include <linux/types.h>

struct nlmsghdr;

/* One socket as the kernel reports it. */
struct bg_sock {
	struct inet_diag_sockid id; /* the kernel's key for it (SOCK_DESTROY) */
	__u8 addr[16];		    /* local address, network order, IPv4 mapped */
	__u16 port;		    /* local port, host order */
	__u8 family;		    /* AF_INET, AF_INET6 */
	__u8 protocol;		    /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, raw: its own */
	__u8 type;		    /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW */
	__u8 v6only;		    /* an AF_INET6 socket with IPV6_V6ONLY */
	__u32 ifindex;		    /* SO_BINDTODEVICE; 0 none */
	__u32 inode;		    /* of its file; 0: no file (closing) */
	__u32 uid;
	__u64 cgid; /* cgroup v2 id of the cgroup it was created in; 0: not reported */
};

/* What to ask the kernel for: one protocol of one family. */
struct bg_diag_query {
	__u8 family;   /* AF_INET, AF_INET6 */
	__u8 protocol; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_RAW (every raw) */
};

/* The queries that cover every socket kind a policy governs. */
extern const struct bg_diag_query bg_diag_queries[];
extern const size_t bg_diag_nqueries;

/* Decode one SOCK_DIAG_BY_FAMILY reply message of a query for protocol into
 * out. 1: a socket that can receive from the network (listening TCP,
 * unconnected UDP with a port, any raw socket), 0: one that cannot (skip),
 * -EINVAL: malformed. Pure: the unit tests and the fuzzer call it. */
int bg_diag_parse(const struct nlmsghdr *nlh, __u8 protocol, struct bg_sock *out);

typedef int (*bg_diag_cb)(const struct bg_sock *s, void *arg);

/* Dump the sockets of q in this network namespace, calling cb for each that
 * can receive (a non-zero return stops the dump and is returned). 0, the
 * callback's value, or -errno: -ENOENT / -EOPNOTSUPP when this kernel has no
 * sock_diag handler for the protocol (a module not loaded, not built). */
int bg_diag_dump(const struct bg_diag_query *q, bg_diag_cb cb, void *arg);

/* Destroy s (in this network namespace): SOCK_DESTROY, which the kernel
 * answers with tcp_abort/udp_abort/raw_abort. 0 or -errno (-EOPNOTSUPP: the
 * kernel was built without CONFIG_INET_DIAG_DESTROY; -ENOENT: gone). */
int bg_diag_destroy(const struct bg_sock *s);

/* "tcp", "udp", "udplite", "raw" */
const char *bg_diag_proto_name(__u8 protocol, __u8 type);

#endif
