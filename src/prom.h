/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Prometheus text exposition format (version 0.0.4) of what status
 * reports, from plain values: no libbpf, no syscalls (metrics.h collects
 * them from the pinned state). Every family has # HELP and # TYPE, its
 * samples together. Label values are escaped as the format asks (\\, \",
 * \n); a byte that is not UTF-8 (cgroup paths are any bytes) becomes U+FFFD,
 * which the format requires of label values.
 */
#ifndef BG_PROM_H
#define BG_PROM_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

/* The content type of what bg_prom_write writes (for an HTTP server). */
#define BG_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One policy in force: its labels and the counters status shows. */
struct bg_prom_policy {
	const char *cgroup; /* the path status shows, relative to the cgroup2 mount */
	const char *policy; /* loopback-only, deny-wildcard */
	const char *mode;   /* enforce, audit, rewrite */
	bool count_allowed; /* --count-allowed: the allowed series exists */
	__u64 allowed, denied, audited, rewritten;
	__u64 lost;	   /* events of this policy that could not be queued */
	long refused_open; /* refused sockets from before it still open; -1: unknown (no series) */
};

struct bg_prom {
	const char *version; /* bindguard's */
	__u64 lost_total;    /* every lost event, all time (slot 0) */
	int max_policies;    /* the most this machine holds; < 0: unknown (no series) */
	int npolicies;
	const struct bg_prom_policy *policies;
};

/* Write the exposition of m to f. 0, or -EIO when f reports an error. */
int bg_prom_write(FILE *f, const struct bg_prom *m);

/* A label value as the format quotes it, without the quotes. */
void bg_prom_label_value(FILE *f, const char *s);

#endif
