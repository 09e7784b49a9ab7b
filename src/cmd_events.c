// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* events: follow what the policies refuse, each reader on a ring of its own. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "commands.h"
#include "consumer.h"
#include "gc.h"
#include "log.h"
#include "pins.h"
#include "policy.h"
#include "rings.h"
#include "state.h"
#include "stats.h"

#define LOST_CHECK_NS 1000000000ll

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void events_usage(FILE *f)
{
	fprintf(f,
		"Usage: bindguard events [--json] [--cgroup PATH] [--policy PATH]\n"
		"                        [--verdict LIST] [--backlog]\n"
		"\n"
		"Follow what the policies refuse, audit, confine and rewrite, until interrupted\n"
		"(verdicts deny, audit, confine, rewrite, close). One line per event; --json\n"
		"prints JSON Lines. Any number of readers can follow at once (up to %d):\n"
		"each has a stream of its own, from the moment it starts, and its own count of\n"
		"events its stream could not take (\"lost\" lines). Filters choose what a\n"
		"reader prints and never take events from another reader.\n"
		"\n"
		"  -c, --cgroup PATH   only events of sockets in PATH or below\n"
		"      --policy PATH   only events the policy of cgroup PATH decided\n"
		"      --verdict LIST  only these verdicts (comma-separated: deny, audit,\n"
		"                      confine, rewrite, close)\n"
		"      --backlog       read the shared stream instead: the events queued since\n"
		"                      its last reader stopped come first (one such reader at a\n"
		"                      time)\n"
		"\n"
		"EXAMPLES\n"
		"  bindguard events\n"
		"  bindguard events --json --cgroup /dev | jq .\n"
		"  bindguard events --verdict deny,confine --policy /ci\n",
		BG_MAX_READERS);
}

/* --verdict LIST: a mask of 1 << enum bg_verdict. 0, or -1. */
static int parse_verdicts(const char *list, unsigned *mask)
{
	char buf[128], *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return -1;
	strcpy(buf, list);
	*mask = 0;
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		unsigned v;

		for (v = 0; v <= BG_VERDICT_CLOSE; v++)
			if (!strcasecmp(w, bg_verdict_name((__u8)v)))
				break;
		if (v > BG_VERDICT_CLOSE)
			return -1;
		*mask |= 1u << v;
	}
	return *mask ? 0 : -1;
}

/* Lost events since the last look: the reader's own count, or (--backlog)
 * the global one of the shared stream. */
static int report_lost(struct bg_state *st, struct bg_consumer *c, bool backlog, __u32 idx,
		       __u64 *seen)
{
	struct bg_stats g;
	__u64 lost;
	int r;

	if (backlog) {
		if (bg_state_stats(st, BG_SLOT_GLOBAL, &g))
			return 0;
		lost = g.lost;
	} else if (bg_reader_lost(st, idx, &lost)) {
		return 0;
	}
	if (lost <= *seen)
		return 0;
	r = bg_consumer_lost(c, lost - *seen, lost);
	*seen = lost;
	return r;
}

int cmd_events(int argc, char **argv, struct bg_global *g)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'P' },
		{ "verdict", required_argument, NULL, 'V' },
		{ "backlog", no_argument, NULL, 'B' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static struct bg_consumer cons;
	struct sigaction sa = { .sa_handler = on_signal };
	struct ring_buffer *rb = NULL;
	struct bg_cgroup filter, policy;
	char err[BG_ERRLEN];
	struct bg_state st;
	long long next_check = 0;
	__u64 seen = 0;
	__u32 idx = 0, slot = 0;
	bool backlog = false;
	int c, r, lock_fd = -1, ring_fd = -1;

	memset(&cons, 0, sizeof(cons));
	cons.out = stdout;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (bg_cgroup_resolve(optarg, &filter, err, sizeof(err))) {
				bg_err("events: %s", err);
				return BG_EXIT_USAGE;
			}
			cons.filter = filter.path;
			break;
		case 'P':
			if (bg_cgroup_resolve(optarg, &policy, err, sizeof(err))) {
				bg_err("events: --policy: %s", err);
				return BG_EXIT_USAGE;
			}
			cons.policy_cgid = policy.id;
			break;
		case 'V':
			if (parse_verdicts(optarg, &cons.verdicts)) {
				bg_err("events: --verdict %s: expected a comma-separated list of "
				       "deny, "
				       "audit, confine, rewrite, close",
				       optarg);
				return BG_EXIT_USAGE;
			}
			break;
		case 'B':
			backlog = true;
			break;
		case 'j':
			g->json = true;
			break;
		case 'h':
			events_usage(stdout);
			return BG_EXIT_OK;
		default:
			bg_option_error("events", argv, "c:jh", opts);
			return BG_EXIT_USAGE;
		}
	}
	if (bg_no_more_args("events", argc, argv))
		return BG_EXIT_USAGE;
	r = bg_need_cgroup2("events");
	if (!r)
		r = bg_require_privileges("events");
	if (r)
		return r;

	/* The shared ring has one consumer position: two readers of it would
	 * each see part of the stream. One --backlog reader at a time. */
	if (backlog) {
		lock_fd = bg_run_dir()
				  ? -1
				  : open(BG_EVENTS_LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB)) {
			bg_err("events: %s",
			       lock_fd < 0 ? strerror(errno)
					   : "another `bindguard events --backlog` is reading the "
					     "shared stream (one at a time; without --backlog, any "
					     "number)");
			if (lock_fd >= 0)
				close(lock_fd);
			return BG_EXIT_FAIL;
		}
	}
	/* Create the state if needed, so events can start before any policy. */
	r = bg_state_open(&st, BG_STATE_CREATE | BG_STATE_LOCK);
	if (r == 0)
		r = bg_state_gc(&st);
	if (r == 0 && !backlog)
		r = bg_reader_add(&st, &idx, &slot, &ring_fd);
	if (r) {
		bg_state_close(&st);
		if (lock_fd >= 0)
			close(lock_fd);
		return r < 0 ? BG_EXIT_FAIL : r;
	}
	close(st.lock_fd); /* do not block policy changes while following */
	st.lock_fd = -1;

	cons.json = g->json;
	/* One thread writes stdout: skip stdio's per-call locking. */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	rb = ring_buffer__new(backlog ? st.map_fd[BG_MAP_EVENTS] : ring_fd, bg_consumer_on_event,
			      &cons, NULL);
	if (!rb) {
		bg_err("events: open ring buffer: %s", strerror(errno));
		r = BG_EXIT_FAIL;
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "bindguard: following events%s%s%s (Ctrl-C to stop)\n",
		cons.filter ? " under " : "", cons.filter ? cons.filter : "",
		backlog ? ", the shared stream with its backlog" : "");

	r = 0;
	while (!stop && !cons.write_failed) {
		long long now = mono_ns();

		if (now >= next_check) {
			bg_consumer_clock(&cons);
			if (report_lost(&st, &cons, backlog, idx, &seen))
				break;
			next_check = now + LOST_CHECK_NS;
			/* detach --all removed the state: holding it would keep
			 * bindguard alive in the kernel, so stop. */
			if (!bg_state_is_current(&st)) {
				ring_buffer__consume(rb);
				bg_err("events: bindguard state was removed (detach --all); "
				       "stopping");
				break;
			}
		}
		r = bg_consumer_poll(rb, 200);
		if (r == -EINTR) {
			r = 0;
			continue;
		}
		if (r < 0 && !cons.write_failed) {
			bg_err("events: poll ring buffer: %s", strerror(-r));
			break;
		}
		r = 0;
	}
	/* Whatever is still queued when asked to stop is printed, then the
	 * final lost count. */
	if (!cons.write_failed) {
		ring_buffer__consume(rb);
		report_lost(&st, &cons, backlog, idx, &seen);
	}
out:
	ring_buffer__free(rb);
	if (!backlog && bg_state_is_current(&st) && bg_state_lock(&st) == 0)
		bg_reader_remove(&st, idx, slot);
	if (ring_fd >= 0)
		close(ring_fd);
	bg_state_close(&st);
	if (lock_fd >= 0)
		close(lock_fd);
	/* A reader that went away (closed pipe) is a normal end; a full disk
	 * or another write error is not. */
	if (cons.write_failed && cons.write_errno != EPIPE) {
		bg_err("events: write: %s", strerror(cons.write_errno));
		return BG_EXIT_FAIL;
	}
	return r < 0 ? BG_EXIT_FAIL : r;
}
