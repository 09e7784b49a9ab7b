/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading a ring: decode each record, resolve cgroup paths, filter, print. */
#ifndef BG_CONSUMER_H
#define BG_CONSUMER_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include "bindguard.h"

#define BG_PATH_CACHE 256

struct bg_path_slot {
	__u64 id;
	bool known;
	char path[PATH_MAX];
};

struct bg_consumer {
	FILE *out; /* readable lines, or JSON Lines when json */
	bool json;
	FILE *json_file;    /* a second sink that always gets JSON Lines, or NULL */
	const char *filter; /* only sockets in this cgroup path or below, or NULL */
	__u64 policy_cgid;  /* only events this policy's cgroup decided, or 0 */
	unsigned verdicts;  /* only these (1 << enum bg_verdict), or 0 for all */
	/* Called for every event that passes the filter (run --suggest). */
	void (*observe)(void *arg, const struct bg_event *e);
	void *observe_arg;
	long long boot_to_real; /* refreshed by bg_consumer_clock() */
	bool write_failed;	/* a sink failed (closed pipe, full disk) */
	int write_errno;	/* why: EPIPE is a reader that went away */
	struct bg_path_slot cache[BG_PATH_CACHE];
};

void bg_consumer_clock(struct bg_consumer *c);

/* ring_buffer_sample_fn: ctx is a struct bg_consumer. Returns -EPIPE when
 * a sink fails, which ends ring_buffer__poll. */
int bg_consumer_on_event(void *ctx, void *data, size_t len);

/* Print a lost-events notice to the sinks. */
int bg_consumer_lost(struct bg_consumer *c, __u64 new_lost, __u64 total);

/* Wait up to timeout_ms for events and handle them; returns what
 * ring_buffer__poll returns. After a batch it pauses BG_BATCH_US: the kernel
 * wakes a reader only when an event lands in an empty ring, and each wake-up
 * costs the binding task microseconds (an inter-processor interrupt), so
 * under load events gather and one wake-up serves many. */
#define BG_BATCH_US 500
struct ring_buffer;
int bg_consumer_poll(struct ring_buffer *rb, int timeout_ms);

#endif
