/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Decoding ring buffer records and printing them as text or JSON Lines. Pure. */
#ifndef BG_EVENT_H
#define BG_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "bindguard.h"

/* Copy a ring record into e after checking its size. -1 if the record is
 * truncated or its enum fields are out of range (never trust the bytes). */
int bg_event_decode(const void *data, size_t len, struct bg_event *e);

/* Context for printing: cgroup paths relative to the cgroup2 mount ("/dev"),
 * or NULL when the cgroup is gone; boot_to_real_ns converts ts_ns (boot time)
 * to wall-clock nanoseconds since the epoch. */
struct bg_event_ctx {
	const char *cgroup_path;
	const char *policy_path;
	long long boot_to_real_ns;
};

/* "2026-11-24T21:30:00.123456Z" from wall-clock ns. */
void bg_format_ts(long long real_ns, char *buf, size_t len);

/* One line, e.g.
 * 2026-11-24T21:30:00.123456Z deny pid=42 uid=0 comm="python3" cgroup=/dev
 *   tcp inet 0.0.0.0:8000 reason=wildcard policy=loopback-only@/dev
 * (on one line). comm is escaped like a C string. */
void bg_event_print_text(FILE *f, const struct bg_event *e, const struct bg_event_ctx *c);

/* One JSON object and a newline, keys: type ("bind"), ts, verdict, pid, tid,
 * uid, gid, comm, cgroup, cgroup_id, family, proto, addr, port, reason,
 * policy, policy_cgroup, policy_cgroup_id. */
void bg_event_print_json(FILE *f, const struct bg_event *e, const struct bg_event_ctx *c);

/* Lost-event notice: newly lost events since the last notice, and the total. */
void bg_lost_print_text(FILE *f, long long real_ns, __u64 new_lost, __u64 total_lost);
void bg_lost_print_json(FILE *f, long long real_ns, __u64 new_lost, __u64 total_lost);

/* IPPROTO_TCP "tcp", IPPROTO_UDP "udp", IPPROTO_UDPLITE "udplite"; else NULL */
const char *bg_proto_str(__u8 protocol);
const char *bg_family_str(__u8 family); /* "inet" "inet6" or NULL */

/* Untrusted text (comm, cgroup names) as a C string literal body: printable
 * ASCII as is, the rest \xNN, so no name can break or forge a line; spaces
 * escaped too unless quoted. Stops at NUL or n. */
void bg_text_escape(FILE *f, const char *s, size_t n, bool quoted);

#endif
