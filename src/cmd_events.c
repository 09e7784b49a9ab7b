// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* events: follow the ring buffer of denied and audited binds. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
		"Usage: bindguard events [--json] [--cgroup PATH]\n"
		"\n"
		"Follow what the policies refuse, audit, confine and rewrite, until interrupted\n"
		"(verdicts deny, audit, confine, rewrite, close). One line per event; --json\n"
		"prints JSON Lines. Events that could not be queued are counted and reported as\n"
		"\"lost\" lines. Only one events reader can run at a time.\n"
		"\n"
		"  -c, --cgroup PATH   only events of sockets in PATH or below\n"
		"\n"
		"EXAMPLES\n"
		"  bindguard events\n"
		"  bindguard events --json --cgroup /dev | jq .\n");
}

static int report_lost(struct bg_state *st, struct bg_consumer *c, __u64 *seen)
{
	struct bg_stats g;
	int r;

	if (bg_state_stats(st, BG_SLOT_GLOBAL, &g) || g.lost <= *seen)
		return 0;
	r = bg_consumer_lost(c, g.lost - *seen, g.lost);
	*seen = g.lost;
	return r;
}

int cmd_events(int argc, char **argv, struct bg_global *g)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static struct bg_consumer cons;
	struct sigaction sa = { .sa_handler = on_signal };
	struct ring_buffer *rb = NULL;
	struct bg_cgroup filter;
	char err[BG_ERRLEN];
	struct bg_state st;
	long long next_check = 0;
	__u64 seen = 0;
	int c, r, lock_fd;

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

	/* A BPF ring buffer has one consumer position: two readers would each
	 * see part of the stream. Refuse a second one. */
	lock_fd = open(BG_EVENTS_LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB)) {
		bg_err("events: %s", lock_fd < 0 ? strerror(errno)
						 : "another `bindguard events` is reading the "
						   "stream (one reader at a time)");
		if (lock_fd >= 0)
			close(lock_fd);
		return BG_EXIT_FAIL;
	}
	/* Create the state if needed, so events can start before any policy. */
	r = bg_state_open(&st, BG_STATE_CREATE | BG_STATE_LOCK);
	if (r == 0)
		r = bg_state_gc(&st);
	if (r) {
		bg_state_close(&st);
		close(lock_fd);
		return r < 0 ? BG_EXIT_FAIL : r;
	}
	close(st.lock_fd); /* do not block policy changes while following */
	st.lock_fd = -1;

	cons.json = g->json;
	/* One thread writes stdout: skip stdio's per-call locking. */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	rb = ring_buffer__new(st.map_fd[BG_MAP_EVENTS], bg_consumer_on_event, &cons, NULL);
	if (!rb) {
		bg_err("events: open ring buffer: %s", strerror(errno));
		bg_state_close(&st);
		close(lock_fd);
		return BG_EXIT_FAIL;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "bindguard: following events%s%s (Ctrl-C to stop)\n",
		cons.filter ? " under " : "", cons.filter ? cons.filter : "");

	r = 0;
	while (!stop && !cons.write_failed) {
		long long now = mono_ns();

		if (now >= next_check) {
			bg_consumer_clock(&cons);
			if (report_lost(&st, &cons, &seen))
				break;
			next_check = now + LOST_CHECK_NS;
			/* detach --all removed the ring: holding it would keep
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
		report_lost(&st, &cons, &seen);
	}
	ring_buffer__free(rb);
	bg_state_close(&st);
	close(lock_fd);
	/* A reader that went away (closed pipe) is a normal end; a full disk
	 * or another write error is not. */
	if (cons.write_failed && cons.write_errno != EPIPE) {
		bg_err("events: write: %s", strerror(cons.write_errno));
		return BG_EXIT_FAIL;
	}
	return r < 0 ? BG_EXIT_FAIL : BG_EXIT_OK;
}
