// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * agent: keep the policy files applied. At start it applies them (apply's
 * transaction); then, whenever a directory appears in the cgroup tree where
 * a configured Cgroup= could be (inotify), it applies again, so a cgroup
 * removed and made again (a service restart) gets its policy back and a new
 * cgroup that matches a glob gets one. SIGHUP reads the files again: a
 * broken file keeps the policies in force and says why. Denials go to
 * stdout (or --events FILE) as JSON Lines; metrics to a node-exporter
 * textfile and, optionally, /metrics on a loopback address. Stopping the
 * agent detaches nothing: the pinned state keeps enforcing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "commands.h"
#include "conf.h"
#include "consumer.h"
#include "gc.h"
#include "log.h"
#include "pins.h"
#include "metrics.h"
#include "metrics_http.h"
#include "oci.h"
#include "ociscan.h"
#include "reconcile.h"
#include "rings.h"
#include "state.h"

#define AGENT_LOCK	       BG_RUN_DIR "/agent.lock"
#define MAX_WATCH_DEPTH	       64
#define BG_AGENT_OCI_ROOTS_MAX 8

struct agent {
	const char **dirs;
	int ndirs;
	bool must_exist;
	char record[PATH_MAX];
	struct bg_conf conf;
	char mnt[PATH_MAX];
	int ino_fd, sig_fd, timer_fd, ep_fd;
	/* events */
	const char *events_path; /* NULL or "-": stdout */
	FILE *events;
	struct bg_state st;
	bool have_state;
	__u32 idx, slot;
	int ring_fd;
	struct ring_buffer *rb;
	struct bg_consumer cons;
	__u64 lost_seen;
	/* metrics */
	const char *textfile_dir;
	unsigned interval_s;
	struct bg_metrics_http *http;
	/* containers: runc roots to rescan, namespaces to leave alone */
	const char *oci_roots[BG_AGENT_OCI_ROOTS_MAX];
	int noci_roots;
	const char *exempt[BG_OCI_EXEMPT_MAX];
	int nexempt;
};

static void agent_usage(FILE *f)
{
	fprintf(f,
		"usage: bindguard agent [--config DIR]... [--events FILE|none] [--textfile-dir "
		"DIR]\n"
		"                       [--metrics-address 127.0.0.1:PORT] [--interval SECONDS]\n"
		"                       [--oci-root DIR]... [--exempt-namespace NS]... "
		"[--wait-lock]\n"
		"\n"
		"Apply the policy files (as `bindguard apply`) and keep them applied: a\n"
		"cgroup made again, or a new one that matches a glob, gets its policy\n"
		"within milliseconds. SIGHUP reads the files again (a broken file keeps\n"
		"the policies in force). Stopping the agent detaches nothing.\n"
		"\n"
		"  --config DIR            policy files (repeatable; default\n"
		"                          " BG_SYSCONF_POLICYDIR ", " BG_VENDOR_POLICYDIR ")\n"
		"  --events FILE           denials as JSON Lines to FILE (appended; reopened on\n"
		"                          SIGHUP); default stdout; --events none: not read\n"
		"  --textfile-dir DIR      write DIR/bindguard.prom (node-exporter textfile)\n"
		"  --metrics-address A:P   serve /metrics on a loopback address A, port P\n"
		"  --interval SECONDS      how often metrics are written and --oci-root is\n"
		"                          scanned again (default 15)\n"
		"  --oci-root DIR          runc's state directory (runc --root): police its\n"
		"                          live containers with bindguard annotations that\n"
		"                          have no policy, as the OCI hook would (repeatable)\n"
		"  --exempt-namespace NS   leave the containers of Kubernetes namespace NS\n"
		"                          alone, as oci-hook --exempt-namespace (repeatable)\n"
		"  --wait-lock             when another agent runs, wait for it to stop instead\n"
		"                          of exiting 1 (a rolling update's new pod)\n");
}

/* --- the configuration and the cgroup tree -------------------------------- */

static int reconcile(struct agent *a, const char *why)
{
	int r = bg_apply_conf(&a->conf, a->record, BG_APPLY_QUIET_KEEP | BG_APPLY_KEEP_EXISTING,
			      stderr);

	if (r)
		bg_err("agent: %s: applying the policy files failed (above); the policies "
		       "in force are unchanged",
		       why);
	return r;
}

/* Police the annotated containers that started while no hook ran. */
static void rescan(struct agent *a)
{
	struct bg_oci_scan_result res;

	if (!a->noci_roots)
		return;
	bg_oci_scan(a->oci_roots, a->noci_roots, a->exempt, a->nexempt, &res);
	bg_dbg("agent: rescan: %u annotated containers, %u policed now, %u failed", res.seen,
	       res.policed, res.failed);
}

/* Watch every directory where a configured cgroup could appear. inotify
 * returns the same watch for a directory watched already. */
static void watch_tree(struct agent *a, const char *rel, int level)
{
	char abs[PATH_MAX * 2];
	char *names = NULL;
	int n;

	if (level > MAX_WATCH_DEPTH || !bg_conf_may_hold(&a->conf, rel))
		return;
	snprintf(abs, sizeof(abs), "%s%s", a->mnt, strcmp(rel, "/") ? rel : "");
	if (inotify_add_watch(a->ino_fd, abs, IN_CREATE | IN_ONLYDIR) < 0) {
		if (errno != ENOENT)
			bg_err("agent: watch %s: %s", abs, strerror(errno));
		return;
	}
	n = bg_cgroup_children(rel, &names);
	for (char *p = names; n > 0; n--, p += strlen(p) + 1) {
		char child[PATH_MAX];

		snprintf(child, sizeof(child), "%s/%s", strcmp(rel, "/") ? rel : "", p);
		watch_tree(a, child, level + 1);
	}
	free(names);
}

static int load_conf(struct agent *a, struct bg_conf *c)
{
	char err[BG_ERRLEN * 2];

	memset(c, 0, sizeof(*c));
	if (bg_conf_load(c, a->dirs, a->ndirs, a->must_exist, err, sizeof(err))) {
		bg_err("agent: %s", err);
		bg_conf_free(c);
		return BG_EXIT_USAGE;
	}
	return 0;
}

/* --- events ------------------------------------------------------------ */

static void events_close(struct agent *a)
{
	if (!a->have_state)
		return;
	if (a->rb) {
		ring_buffer__consume(a->rb);
		ring_buffer__free(a->rb);
		a->rb = NULL;
	}
	if (bg_state_is_current(&a->st) && bg_state_lock(&a->st) == 0)
		bg_reader_remove(&a->st, a->idx, a->slot);
	if (a->ring_fd >= 0)
		close(a->ring_fd);
	a->ring_fd = -1;
	bg_state_close(&a->st);
	a->have_state = false;
}

static int events_open(struct agent *a)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 4 };
	int r;

	r = bg_state_open(&a->st, BG_STATE_CREATE | BG_STATE_LOCK);
	if (r)
		return r < 0 ? BG_EXIT_FAIL : r;
	a->have_state = true;
	a->ring_fd = -1;
	r = bg_state_gc(&a->st);
	if (!r && a->events)
		r = bg_reader_add(&a->st, &a->idx, &a->slot, &a->ring_fd);
	close(a->st.lock_fd); /* never hold up policy changes */
	a->st.lock_fd = -1;
	if (r)
		goto fail;
	if (!a->events)
		return 0;
	a->lost_seen = 0;
	a->rb = ring_buffer__new(a->ring_fd, bg_consumer_on_event, &a->cons, NULL);
	if (!a->rb) {
		bg_err("agent: open ring buffer: %s", strerror(errno));
		r = BG_EXIT_FAIL;
		goto fail;
	}
	if (epoll_ctl(a->ep_fd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(a->rb), &ev)) {
		bg_err("agent: epoll: %s", strerror(errno));
		r = BG_EXIT_FAIL;
		goto fail;
	}
	return 0;
fail:
	events_close(a);
	return r < 0 ? BG_EXIT_FAIL : r;
}

static void report_lost(struct agent *a)
{
	__u64 lost;

	if (a->rb && !bg_reader_lost(&a->st, a->idx, &lost) && lost > a->lost_seen) {
		bg_consumer_lost(&a->cons, lost - a->lost_seen, lost);
		a->lost_seen = lost;
	}
}

static int open_events_file(struct agent *a)
{
	FILE *f;

	if (!a->events_path || !strcmp(a->events_path, "-")) {
		a->events = stdout;
		return 0;
	}
	if (!strcmp(a->events_path, "none")) {
		a->events = NULL;
		return 0;
	}
	f = fopen(a->events_path, "ae");
	if (!f) {
		bg_err("agent: --events %s: %s", a->events_path, strerror(errno));
		return BG_EXIT_FAIL;
	}
	if (a->events && a->events != stdout)
		fclose(a->events);
	a->events = f;
	a->cons.out = f; /* the consumer writes here from now on, never to the closed one */
	setvbuf(f, NULL, _IOLBF, 0);
	return 0;
}

/* --- metrics ------------------------------------------------------------ */

static void write_textfile(struct agent *a)
{
	int r;

	if (!a->textfile_dir || !a->have_state)
		return;
	r = bg_metrics_textfile(&a->st, a->textfile_dir);
	if (r)
		bg_err("agent: write %s/bindguard.prom: %s", a->textfile_dir, strerror(-r));
}

/* --- the loop ----------------------------------------------------------- */

/* Read what inotify has; true when a directory appeared. */
static bool drain_inotify(int fd)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool created = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			created |= (e->mask & (IN_CREATE | IN_Q_OVERFLOW)) != 0;
			p += sizeof(*e) + e->len;
		}
	return created;
}

static void reload(struct agent *a)
{
	struct bg_conf c;

	if (a->events_path && strcmp(a->events_path, "-") && strcmp(a->events_path, "none"))
		open_events_file(a); /* logrotate's new file */
	if (load_conf(a, &c)) {
		bg_err("agent: SIGHUP: the policy files are broken (above): the policies in "
		       "force stay as they are");
		return;
	}
	bg_conf_free(&a->conf);
	a->conf = c;
	fprintf(stderr, "bindguard: agent: reloaded %zu polic%s\n", c.n, c.n == 1 ? "y" : "ies");
	watch_tree(a, "/", 0);
	reconcile(a, "SIGHUP");
	rescan(a);
}

static int loop(struct agent *a)
{
	struct itimerspec its = { { a->interval_s, 0 }, { a->interval_s, 0 } };
	int r = 0;

	timerfd_settime(a->timer_fd, 0, &its, NULL);
	write_textfile(a);
	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(a->ep_fd, evs, 8, 1000);

		if (n < 0 && errno != EINTR) {
			bg_err("agent: epoll_wait: %s", strerror(errno));
			return BG_EXIT_FAIL;
		}
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case 1: /* inotify */
				if (drain_inotify(a->ino_fd)) {
					watch_tree(a, "/", 0);
					reconcile(a, "new cgroup");
				}
				break;
			case 2: { /* signals */
				struct signalfd_siginfo si;

				while (read(a->sig_fd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						reload(a);
						continue;
					}
					fprintf(stderr,
						"bindguard: agent: stopping on %s; every "
						"policy stays in force\n",
						strsignal((int)si.ssi_signo));
					return 0;
				}
				break;
			}
			case 3: { /* metrics timer */
				__u64 ticks;

				if (read(a->timer_fd, &ticks, sizeof(ticks)) > 0) {
					rescan(a);
					write_textfile(a);
				}
				break;
			}
			case 4: /* events */
				if (a->rb && ring_buffer__consume(a->rb) < 0 &&
				    a->cons.write_failed) {
					bg_err("agent: --events: write: %s",
					       strerror(a->cons.write_errno));
					return BG_EXIT_FAIL;
				}
				break;
			}
		}
		bg_consumer_clock(&a->cons);
		report_lost(a);
		/* detach --all removed the state: start over with a new one. */
		if (a->have_state && !bg_state_is_current(&a->st)) {
			events_close(a);
			r = reconcile(a, "state removed");
			if (events_open(a) == 0)
				continue;
			return BG_EXIT_FAIL;
		}
	}
	return r;
}

/* One agent per machine: the lock file names the one that runs. */
static int take_lock(bool wait)
{
	char pid[32];
	int fd;

	if (bg_run_dir()) {
		bg_err("agent: create %s: %s", BG_RUN_DIR, strerror(errno));
		return -1;
	}
	fd = open(AGENT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		bg_err("agent: %s: %s", AGENT_LOCK, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (wait) {
			fprintf(stderr,
				"bindguard: agent: another agent is running%s%s%s; waiting for it "
				"to stop (--wait-lock)\n",
				pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
			while (flock(fd, LOCK_EX)) {
				if (errno != EINTR) {
					bg_err("agent: %s: %s", AGENT_LOCK, strerror(errno));
					close(fd);
					return -1;
				}
			}
		} else {
			bg_err("agent: another bindguard agent is running%s%s%s (one per machine)",
			       pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
			close(fd);
			return -1;
		}
	}
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, strlen(pid), 0) < 0)
		bg_dbg("agent: write pid to %s: %s", AGENT_LOCK, strerror(errno));
	return fd;
}

static int parse_interval(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 3600 || s[0] == '-')
		return -1;
	*out = (unsigned)v;
	return 0;
}

int cmd_agent(int argc, char **argv, struct bg_global *g)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "events", required_argument, NULL, 'e' },
		{ "textfile-dir", required_argument, NULL, 't' },
		{ "metrics-address", required_argument, NULL, 'M' },
		{ "interval", required_argument, NULL, 'i' },
		{ "oci-root", required_argument, NULL, 'o' },
		{ "wait-lock", no_argument, NULL, 'w' },
		{ "exempt-namespace", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static const char *defaults[] = BG_CONF_DIRS;
	static struct agent a;
	const char *metrics_addr = NULL;
	bool wait_lock = false;
	char err[BG_ERRLEN];
	struct stat sb;
	sigset_t set;
	int c, r, lock_fd = -1;

	(void)g;
	memset(&a, 0, sizeof(a));
	a.interval_s = 15;
	a.ino_fd = a.sig_fd = a.timer_fd = a.ep_fd = a.ring_fd = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': {
			const char **d = realloc(a.dirs, (a.ndirs + 1) * sizeof(*d));

			if (!d) {
				bg_err("agent: out of memory");
				r = BG_EXIT_FAIL;
				goto out;
			}
			a.dirs = d;
			a.dirs[a.ndirs++] = optarg;
			break;
		}
		case 'e':
			a.events_path = optarg;
			break;
		case 't':
			a.textfile_dir = optarg;
			break;
		case 'M':
			metrics_addr = optarg;
			break;
		case 'i':
			if (parse_interval(optarg, &a.interval_s)) {
				bg_err("agent: --interval %s: expected whole seconds, 1 to 3600",
				       optarg);
				r = BG_EXIT_USAGE;
				goto out;
			}
			break;
		case 'w':
			wait_lock = true;
			break;
		case 'o':
			if (a.noci_roots == BG_AGENT_OCI_ROOTS_MAX || optarg[0] != '/') {
				bg_err("agent: --oci-root %s: %s", optarg,
				       optarg[0] != '/' ? "not an absolute path"
							: "too many (at most 8)");
				r = BG_EXIT_USAGE;
				goto out;
			}
			a.oci_roots[a.noci_roots++] = optarg;
			break;
		case 'x':
			if (!bg_exempt_option("agent", optarg, a.exempt, &a.nexempt)) {
				r = BG_EXIT_USAGE;
				goto out;
			}
			break;
		case 'h':
			agent_usage(stdout);
			r = BG_EXIT_OK;
			goto out;
		default:
			bg_option_error("agent", argv, "c:h", opts);
			r = BG_EXIT_USAGE;
			goto out;
		}
	}
	r = BG_EXIT_USAGE;
	if (bg_no_more_args("agent", argc, argv))
		goto out;
	if (a.textfile_dir) {
		int bad = stat(a.textfile_dir, &sb) ? errno : S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;

		if (bad) {
			bg_err("agent: --textfile-dir %s: %s", a.textfile_dir, strerror(bad));
			goto out;
		}
	}
	if (metrics_addr && bg_metrics_http_check(metrics_addr, err, sizeof(err))) {
		bg_err("agent: --metrics-address %s: %s", metrics_addr, err);
		goto out;
	}
	if (a.ndirs) {
		a.must_exist = true;
	} else {
		a.dirs = malloc(sizeof(defaults));
		if (!a.dirs) {
			r = BG_EXIT_FAIL;
			goto out;
		}
		memcpy(a.dirs, defaults, sizeof(defaults));
		a.ndirs = 2;
	}
	r = load_conf(&a, &a.conf);
	if (r)
		goto out;
	bg_conf_record_path(a.dirs, a.ndirs, a.record, sizeof(a.record));
	r = bg_need_cgroup2("agent");
	if (!r)
		r = bg_require_privileges("agent");
	if (r)
		goto out;
	r = BG_EXIT_FAIL;
	lock_fd = take_lock(wait_lock);
	if (lock_fd < 0)
		goto out;
	if (open_events_file(&a))
		goto out;
	bg_cgroup_mount(a.mnt, sizeof(a.mnt));
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	a.sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	a.ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	a.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	a.ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (a.sig_fd < 0 || a.ino_fd < 0 || a.timer_fd < 0 || a.ep_fd < 0) {
		bg_err("agent: %s", strerror(errno));
		goto out;
	}
	{
		struct epoll_event e1 = { .events = EPOLLIN, .data.u32 = 1 },
				   e2 = { .events = EPOLLIN, .data.u32 = 2 },
				   e3 = { .events = EPOLLIN, .data.u32 = 3 };

		if (epoll_ctl(a.ep_fd, EPOLL_CTL_ADD, a.ino_fd, &e1) ||
		    epoll_ctl(a.ep_fd, EPOLL_CTL_ADD, a.sig_fd, &e2) ||
		    epoll_ctl(a.ep_fd, EPOLL_CTL_ADD, a.timer_fd, &e3)) {
			bg_err("agent: epoll: %s", strerror(errno));
			goto out;
		}
	}
	a.cons.out = a.events;
	a.cons.json = true;
	/* Watch first, then apply: a cgroup made in between is seen. */
	watch_tree(&a, "/", 0);
	if (reconcile(&a, "start")) {
		r = BG_EXIT_FAIL;
		goto out;
	}
	rescan(&a);
	r = events_open(&a);
	if (r)
		goto out;
	if (metrics_addr) {
		a.http = bg_metrics_http_start(metrics_addr, err, sizeof(err));
		if (!a.http) {
			bg_err("agent: --metrics-address %s: %s", metrics_addr, err);
			r = BG_EXIT_FAIL;
			goto out;
		}
	}
	fprintf(stderr,
		"bindguard: agent: %zu polic%s applied from %d director%s; watching the "
		"cgroup tree\n",
		a.conf.n, a.conf.n == 1 ? "y" : "ies", a.ndirs, a.ndirs == 1 ? "y" : "ies");
	r = loop(&a);
	write_textfile(&a);
out:
	if (a.http)
		bg_metrics_http_stop(a.http);
	events_close(&a);
	if (a.events && a.events != stdout)
		fclose(a.events);
	if (a.ino_fd >= 0)
		close(a.ino_fd);
	if (a.sig_fd >= 0)
		close(a.sig_fd);
	if (a.timer_fd >= 0)
		close(a.timer_fd);
	if (a.ep_fd >= 0)
		close(a.ep_fd);
	if (lock_fd >= 0)
		close(lock_fd);
	bg_conf_free(&a.conf);
	free(a.dirs);
	return r;
}
