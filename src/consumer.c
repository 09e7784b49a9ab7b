// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "consumer.h"
#include "event.h"
#include "log.h"

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

void bg_consumer_clock(struct bg_consumer *c)
{
	c->boot_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
}

/* Cgroup path of an id, cached: a storm must not cost a syscall per event.
 * A removed cgroup resolves to NULL (printed as null / its id). */
static const char *path_of(struct bg_consumer *c, __u64 id, char *copy, size_t len)
{
	struct bg_path_slot *s = &c->cache[id % BG_PATH_CACHE];

	if (s->id != id || !s->known) {
		s->id = id;
		s->known = !bg_cgroup_path_of_id(id, s->path, sizeof(s->path));
		if (!s->known)
			return NULL;
	}
	/* Two ids may share a slot: hand out a copy. */
	snprintf(copy, len, "%s", s->path);
	return copy;
}

static bool under(const char *filter, const char *path)
{
	return path && (!strcmp(filter, path) || bg_cgroup_is_ancestor(filter, path));
}

/* errno was cleared before printing, so it names the first failed write. */
static int flush(struct bg_consumer *c, FILE *f)
{
	if (f && (ferror(f) || fflush(f))) {
		if (!c->write_failed)
			c->write_errno = errno ? errno : EIO;
		c->write_failed = true;
		return -EPIPE;
	}
	return 0;
}

int bg_consumer_on_event(void *ctx, void *data, size_t len)
{
	static char cgpath[PATH_MAX], polpath[PATH_MAX];
	struct bg_consumer *c = ctx;
	struct bg_event_ctx ec;
	struct bg_event e;

	if (bg_event_decode(data, len, &e)) {
		bg_dbg("dropping a malformed ring record of %zu bytes", len);
		return 0;
	}
	ec.cgroup_path = path_of(c, e.cgroup_id, cgpath, sizeof(cgpath));
	ec.policy_path = path_of(c, e.policy_cgid, polpath, sizeof(polpath));
	ec.boot_to_real_ns = c->boot_to_real;
	if (c->filter && !under(c->filter, ec.cgroup_path ? ec.cgroup_path : ec.policy_path))
		return 0;
	if (c->policy_cgid && e.policy_cgid != c->policy_cgid)
		return 0;
	if (c->verdicts && (e.verdict > 31 || !(c->verdicts & (1u << e.verdict))))
		return 0;
	errno = 0;
	if (c->observe)
		c->observe(c->observe_arg, &e);
	if (c->out) {
		if (c->json)
			bg_event_print_json(c->out, &e, &ec);
		else
			bg_event_print_text(c->out, &e, &ec);
	}
	if (c->json_file)
		bg_event_print_json(c->json_file, &e, &ec);
	if (flush(c, c->out) || flush(c, c->json_file))
		return -EPIPE;
	return 0;
}

int bg_consumer_lost(struct bg_consumer *c, __u64 new_lost, __u64 total)
{
	long long now = clock_ns(CLOCK_REALTIME);

	errno = 0;
	if (c->out) {
		if (c->json)
			bg_lost_print_json(c->out, now, new_lost, total);
		else
			bg_lost_print_text(c->out, now, new_lost, total);
	}
	if (c->json_file)
		bg_lost_print_json(c->json_file, now, new_lost, total);
	if (flush(c, c->out) || flush(c, c->json_file))
		return -EPIPE;
	return 0;
}

int bg_consumer_poll(struct ring_buffer *rb, int timeout_ms)
{
	struct timespec pause = { 0, BG_BATCH_US * 1000L };
	int r = ring_buffer__poll(rb, timeout_ms);

	if (r > 0)
		nanosleep(&pause, NULL);
	return r;
}
