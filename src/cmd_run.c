// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * run: start a command in a transient cgroup under a policy, stream what it
 * is refused, and clean up after it. The policy is in force before the
 * command exists (the child joins the cgroup before exec), and stays in force
 * if run itself is killed: the next bindguard command removes it once the
 * cgroup is empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "addr.h"
#include "cgroup.h"
#include "commands.h"
#include "consumer.h"
#include "control.h"
#include "gc.h"
#include "json.h"
#include "log.h"
#include "pins.h"
#include "rings.h"
#include "state.h"
#include "stats.h"
#include "suggest.h"

#define LEFTOVER_WAIT_MS 5000

struct run_opts {
	bool json, quiet, suggest, leftovers_wait;
	const char *user, *events_file, *suggest_file;
	uid_t uid;
	gid_t gid;
	char home[PATH_MAX], name[256];
};

/* Forwarded signals: set by the handler, sent to the child by the loop. */
static volatile sig_atomic_t pending[NSIG];

static void on_child(int sig)
{
	(void)sig;
}

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* A terminal's ^C reaches the whole process group, the child included:
	 * forward only what was sent to run itself. */
	if (si && si->si_code == SI_KERNEL)
		return;
	pending[sig] = 1;
}

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: bindguard run (--loopback-only | --deny-wildcard) [POLICY OPTIONS]\n"
		"                     [--user NAME|UID] [--events FILE] [--json] [--quiet]\n"
		"                     [--suggest[=FILE]] [--leftovers kill|wait] -- CMD [ARG]...\n"
		"\n"
		"Run CMD in a transient cgroup under a policy. CMD joins the cgroup before it\n"
		"execs, so every socket it or its children create is policed. Refused binds are\n"
		"printed to stderr as they happen; at the end a summary, then the policy and the\n"
		"cgroup are removed. The exit status is CMD's (128+N when killed by signal N).\n"
		"\n"
		"  --loopback-only / --deny-wildcard   the preset (one is required)\n"
		"  -a, --allow RULE, --allow-from FILE, -P, --proto P,\n"
		"  -m, --mode enforce|audit|rewrite,\n"
		"  --udp-autobind allow|audit|deny, --raw allow|deny, --count-allowed,\n"
		"  --ping confine|allow, --other-protocols deny|allow\n"
		"                                      as for loopback-only\n"
		"  -u, --user NAME|UID   run CMD as this user (uid, gid, groups, HOME); bindguard\n"
		"                        itself needs root, the job should not\n"
		"  --events FILE         also write events as JSON Lines to FILE\n"
		"  -j, --json            events and the summary on stderr as JSON Lines, and\n"
		"                        the suggestions as JSON Lines\n"
		"  -q, --quiet           no event lines on stderr (summary only)\n"
		"  --suggest[=FILE]      at the end, write to stdout (or FILE) the fewest\n"
		"                        specific exceptions that let what was refused or\n"
		"                        audited through, one per line with why: read them\n"
		"                        back with --allow-from FILE\n"
		"  --leftovers kill|wait what to do with processes CMD left in the cgroup:\n"
		"                        kill them (default) or wait for them to exit\n"
		"\n"
		"If run is killed (even SIGKILL), CMD stays under the policy; the next bindguard\n"
		"command removes the policy and the cgroup once they are empty.\n"
		"\n"
		"EXAMPLES\n"
		"  bindguard run --loopback-only --user runner -- make test\n"
		"  bindguard run --deny-wildcard --allow 0.0.0.0:8080 -- ./start-services.sh\n"
		"  bindguard run --loopback-only --mode rewrite -- python3 -m http.server 8000\n"
		"  bindguard run --loopback-only --mode audit --suggest -- npm test\n");
}

static int resolve_user(struct run_opts *o)
{
	struct passwd *pw;
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(o->user, &end, 10);
	if (*o->user && !*end && !errno && v < (1ul << 31))
		pw = getpwuid((uid_t)v);
	else
		pw = getpwnam(o->user);
	if (!pw) {
		if (*o->user && !*end && !errno && v < (1ul << 31)) {
			/* A uid without a passwd entry: its own group, no HOME. */
			o->uid = (uid_t)v;
			o->gid = (gid_t)v;
			snprintf(o->name, sizeof(o->name), "%lu", v);
			snprintf(o->home, sizeof(o->home), "/");
			return 0;
		}
		bg_err("run: --user %s: no such user", o->user);
		return BG_EXIT_USAGE;
	}
	o->uid = pw->pw_uid;
	o->gid = pw->pw_gid;
	snprintf(o->name, sizeof(o->name), "%s", pw->pw_name);
	snprintf(o->home, sizeof(o->home), "%s", pw->pw_dir);
	return 0;
}

/* In the child: join the cgroup, drop privileges, exec. Never returns. A
 * failure before exec ends the child: CMD never runs outside the policy. */
static void child(const char *cgdir, const struct run_opts *o, char **argv)
{
	char procs[PATH_MAX * 2 + 16];
	sigset_t none;
	int fd;

	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgdir);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		fprintf(stderr, "bindguard: run: join %s: %s\n", cgdir, strerror(errno));
		_exit(126);
	}
	close(fd);
	if (o->user) {
		if ((getpwuid(o->uid) ? initgroups(o->name, o->gid) : setgroups(0, NULL)) ||
		    setgid(o->gid) || setuid(o->uid)) {
			fprintf(stderr, "bindguard: run: become %s: %s\n", o->user,
				strerror(errno));
			_exit(126);
		}
		if (o->uid != 0 && setuid(0) == 0) {
			fprintf(stderr, "bindguard: run: could not drop root\n");
			_exit(126);
		}
		setenv("HOME", o->home, 1);
		setenv("USER", o->name, 1);
		setenv("LOGNAME", o->name, 1);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "bindguard: run: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* What run learns from its own events: suggestions, and how many
 * listeners were confined (counted as denied, but nothing failed). */
struct observed {
	bool suggest;
	__u64 confined;
	struct bg_suggestions sugg;
};

static void observe(void *arg, const struct bg_event *e)
{
	struct observed *ob = arg;

	if (e->verdict == BG_VERDICT_CONFINE)
		ob->confined++;
	if (ob->suggest)
		bg_suggest_observe(&ob->sugg, e);
}

/* The processes still in a cgroup, said before they are stopped. */
static void say_leftovers(const char *cgdir, const char *cgpath)
{
	char file[PATH_MAX * 2 + 16], comm[64], list[512] = "";
	size_t len = 0;
	int n = 0;
	long pid;
	FILE *f;

	snprintf(file, sizeof(file), "%s/cgroup.procs", cgdir);
	f = fopen(file, "re");
	while (f && fscanf(f, "%ld", &pid) == 1) {
		FILE *c;

		snprintf(file, sizeof(file), "/proc/%ld/comm", pid);
		c = fopen(file, "re");
		if (!c || !fgets(comm, sizeof(comm), c))
			snprintf(comm, sizeof(comm), "?");
		if (c)
			fclose(c);
		comm[strcspn(comm, "\n")] = '\0';
		if (len < sizeof(list) - 1)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%ld (%s)",
						n ? ", " : "", pid, comm);
		n++;
	}
	if (f)
		fclose(f);
	if (n)
		fprintf(stderr, "bindguard: run: stopping %d process%s CMD left in %s: %s%s\n", n,
			n == 1 ? "" : "es", cgpath, list, len >= sizeof(list) - 1 ? "..." : "");
}

/* Stop (or wait for) what CMD left behind, so the cgroup can go. */
static void settle_leftovers(const char *cgpath, const char *cgdir, bool wait_for_them)
{
	char file[PATH_MAX * 2 + 16];
	int fd;

	if (bg_cgroup_populated(cgpath) != 1)
		return;
	if (wait_for_them) {
		fprintf(stderr, "bindguard: run: waiting for processes left in %s\n", cgpath);
		while (bg_cgroup_populated(cgpath) == 1)
			usleep(100000);
		return;
	}
	say_leftovers(cgdir, cgpath);
	snprintf(file, sizeof(file), "%s/cgroup.kill", cgdir);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		/* Before 5.14: kill them one by one until the cgroup is empty. */
		FILE *f;
		long pid;

		snprintf(file, sizeof(file), "%s/cgroup.procs", cgdir);
		for (int round = 0; round < 50 && bg_cgroup_populated(cgpath) == 1; round++) {
			f = fopen(file, "re");
			while (f && fscanf(f, "%ld", &pid) == 1)
				kill((pid_t)pid, SIGKILL);
			if (f)
				fclose(f);
			usleep(20000);
		}
	}
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < LEFTOVER_WAIT_MS / 10 && bg_cgroup_populated(cgpath) == 1; i++)
		usleep(10000);
}

/* The parent goes when the last run leaves (EBUSY while others run). */
static void remove_empty_parent(const char *mnt)
{
	char dir[PATH_MAX * 2];

	snprintf(dir, sizeof(dir), "%s%s", mnt, BG_RUN_PARENT);
	rmdir(dir);
}

static int parse(int argc, char **argv, struct run_opts *o, struct bg_policy_spec *spec)
{
	static const struct option opts[] = {
		{ "loopback-only", no_argument, NULL, 'L' },
		{ "deny-wildcard", no_argument, NULL, 'D' },
		BG_POLICY_LONGOPTS,
		{ "user", required_argument, NULL, 'u' },
		{ "events", required_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "suggest", optional_argument, NULL, 'S' },
		{ "leftovers", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	__u8 preset = BG_PRESET_NONE;
	int c, r;

	/* Policy options may come before the preset: collect them after. */
	static struct bg_policy_spec tmp;

	bg_policy_defaults(&tmp, BG_PRESET_NONE);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+a:P:m:u:jqh", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
		case 'D':
			if (preset) {
				bg_err("run: give one of --loopback-only or --deny-wildcard");
				return BG_EXIT_USAGE;
			}
			preset = c == 'L' ? BG_PRESET_LOOPBACK_ONLY : BG_PRESET_DENY_WILDCARD;
			break;
		case 'a':
		case 'F':
		case 'P':
		case 'm':
		case 'U':
		case 'R':
		case 'I':
		case 'O':
		case 'C':
			r = bg_policy_option(c, optarg, &tmp, "run");
			if (r)
				return r;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'E':
			o->events_file = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'S':
			o->suggest = true;
			o->suggest_file = optarg;
			break;
		case 'K':
			if (strcmp(optarg, "kill") && strcmp(optarg, "wait")) {
				bg_err("run: --leftovers %s: expected kill or wait", optarg);
				return BG_EXIT_USAGE;
			}
			o->leftovers_wait = !strcmp(optarg, "wait");
			break;
		case 'h':
			run_usage(stdout);
			return -1;
		default:
			bg_option_error("run", argv, "a:P:m:u:jqh", opts);
			return BG_EXIT_USAGE;
		}
	}
	if (!preset) {
		bg_err("run: give --loopback-only or --deny-wildcard");
		return BG_EXIT_USAGE;
	}
	if (optind >= argc) {
		bg_err("run: no command given (bindguard run --loopback-only -- CMD)");
		return BG_EXIT_USAGE;
	}
	*spec = tmp;
	spec->preset = preset;
	if (o->user)
		return resolve_user(o);
	return 0;
}

/*
 * The end of a run on stderr: how CMD ended and what the policy did. A
 * confined listener counts as denied in the policy's counters, but its
 * listen() worked: the summary tells the two apart.
 */
static void summary(const struct bg_stats *st, __u64 confined, const char *cgpath, int status,
		    bool json)
{
	__u64 refused = st->denied > confined ? st->denied - confined : 0;
	char how[64];

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
	if (json) {
		struct bg_json j;

		bg_json_init(&j, stderr);
		bg_json_obj_begin(&j);
		bg_json_kstr(&j, "type", "summary");
		bg_json_kstr(&j, "cgroup", cgpath);
		if (WIFSIGNALED(status))
			bg_json_ku64(&j, "signal", (__u64)WTERMSIG(status));
		else
			bg_json_ku64(&j, "exit", (__u64)WEXITSTATUS(status));
		bg_json_ku64(&j, "denied", refused);
		bg_json_ku64(&j, "confined", confined);
		bg_json_ku64(&j, "rewritten", st->rewritten);
		bg_json_ku64(&j, "audited", st->audited);
		bg_json_ku64(&j, "lost", st->lost);
		bg_json_obj_end(&j);
		fputc('\n', stderr);
		return;
	}
	fprintf(stderr,
		"bindguard: run: %s; %" PRIu64 " denied, %" PRIu64 " confined to lo, %" PRIu64
		" rewritten, %" PRIu64 " audited, %" PRIu64 " lost (cgroup %s)\n",
		how, (uint64_t)refused, (uint64_t)confined, (uint64_t)st->rewritten,
		(uint64_t)st->audited, (uint64_t)st->lost, cgpath);
}

int cmd_run(int argc, char **argv, struct bg_global *g)
{
	static struct bg_policy_spec spec;
	static struct bg_consumer cons;
	static struct observed ob;
	FILE *sugg_out = NULL;
	struct run_opts o = { .json = g->json };
	char mnt[PATH_MAX], cgpath[PATH_MAX], cgdir[PATH_MAX * 2], err[BG_ERRLEN];
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	struct ring_buffer *rb = NULL;
	struct bg_stats stats = {};
	struct bg_cgroup cg;
	struct bg_state st;
	FILE *events = NULL;
	int r, status = 0, ring_fd = -1, exit_code;
	pid_t pid;

	r = parse(argc, argv, &o, &spec);
	if (r)
		return r < 0 ? BG_EXIT_OK : r;
	if (bg_spec_check(&spec, err, sizeof(err))) {
		bg_err("run: --allow: %s", err);
		return BG_EXIT_USAGE;
	}
	if (o.suggest_file) {
		/* Opened now: a bad path is a usage error before CMD runs. */
		sugg_out = fopen(o.suggest_file, "we");
		if (!sugg_out) {
			bg_err("run: --suggest=%s: %s", o.suggest_file, strerror(errno));
			return BG_EXIT_USAGE;
		}
	}
	if (o.events_file) {
		events = fopen(o.events_file, "we");
		if (!events) {
			bg_err("run: --events %s: %s", o.events_file, strerror(errno));
			return BG_EXIT_USAGE;
		}
	}
	r = bg_need_cgroup2("run");
	if (!r)
		r = bg_require_privileges("run");
	if (r)
		goto out_file;
	bg_cgroup_mount(mnt, sizeof(mnt));
	bg_run_cgroup_path(cgpath, sizeof(cgpath));
	/* Another run may remove the empty parent between the two mkdirs. */
	for (int tries = 0;; tries++) {
		snprintf(cgdir, sizeof(cgdir), "%s%s", mnt, BG_RUN_PARENT);
		if (mkdir(cgdir, 0755) && errno != EEXIST) {
			bg_err("run: create %s: %s", cgdir, strerror(errno));
			r = BG_EXIT_FAIL;
			goto out_file;
		}
		snprintf(cgdir, sizeof(cgdir), "%s%s", mnt, cgpath);
		if (!mkdir(cgdir, 0755))
			break;
		if (errno != ENOENT || tries == 3) {
			bg_err("run: create %s: %s", cgdir, strerror(errno));
			r = BG_EXIT_FAIL;
			goto out_file;
		}
	}
	if (bg_cgroup_resolve(cgpath, &cg, err, sizeof(err))) {
		bg_err("run: %s", err);
		r = BG_EXIT_FAIL;
		goto out_cgroup;
	}

	/* Policy and private ring first: nothing runs before they are in force. */
	r = bg_state_open(&st, BG_STATE_CREATE | BG_STATE_LOCK);
	if (!r)
		r = bg_state_gc(&st);
	if (!r)
		r = bg_state_ring_create(&st, &spec.ring, &ring_fd);
	if (!r)
		r = bg_state_apply(&st, &cg, &spec);
	if (r) {
		if (ring_fd >= 0)
			bg_state_ring_free(&st, spec.ring);
		bg_state_close(&st);
		r = r < 0 ? BG_EXIT_FAIL : r;
		goto out_cgroup;
	}
	close(st.lock_fd);
	st.lock_fd = -1;

	cons.out = o.quiet ? NULL : stderr;
	cons.json = o.json;
	cons.json_file = events;
	ob.suggest = o.suggest;
	cons.observe = observe;
	cons.observe_arg = &ob;
	bg_consumer_clock(&cons);
	rb = ring_buffer__new(ring_fd, bg_consumer_on_event, &cons, NULL);
	if (!rb)
		bg_err("run: follow events: %s (the policy is enforced all the same)",
		       strerror(errno));

	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	/* The child's exit interrupts the wait for events at once (no
	 * SA_RESTART), instead of after the poll's timeout. */
	sigaction(SIGCHLD, &(struct sigaction){ .sa_handler = on_child }, NULL);
	signal(SIGPIPE, SIG_IGN);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		bg_err("run: fork: %s", strerror(errno));
		status = 1 << 8;
	} else if (pid == 0) {
		child(cgdir, &o, argv + optind);
	} else {
		bg_dbg("started %s as pid %d in %s", argv[optind], (int)pid, cgpath);
		for (;;) {
			pid_t w;

			if (rb)
				bg_consumer_poll(rb, 100);
			else
				usleep(100000);
			for (int s = 1; s < NSIG; s++)
				if (pending[s]) {
					pending[s] = 0;
					kill(pid, s);
				}
			w = waitpid(pid, &status, WNOHANG);
			if (w == pid || (w < 0 && errno != EINTR))
				break;
		}
	}

	settle_leftovers(cgpath, cgdir, o.leftovers_wait);
	if (rb) {
		bg_consumer_clock(&cons);
		ring_buffer__consume(rb);
	}
	{
		struct bg_policy pol;

		if (!bg_state_policy(&st, cg.id, &pol))
			bg_state_stats(&st, pol.slot, &stats);
	}
	summary(&stats, ob.confined, cgpath, status, o.json);
	if (cons.write_failed)
		bg_err("run: writing events: %s%s%s%s", strerror(cons.write_errno),
		       o.events_file ? " (--events " : "", o.events_file ? o.events_file : "",
		       o.events_file ? ")" : "");
	if (o.suggest) {
		bg_suggest_finish(&ob.sugg);
		fflush(stdout);
		bg_suggest_print(&ob.sugg, sugg_out ? sugg_out : stdout, o.json);
		if (sugg_out && fclose(sugg_out)) {
			bg_err("run: --suggest=%s: %s", o.suggest_file, strerror(errno));
			cons.write_failed = true;
		}
		sugg_out = NULL;
	}

	/* Remove the policy, the ring and the cgroup. */
	exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	r = 0;
	if (bg_state_lock(&st) || bg_state_detach(&st, cg.id, cgpath) || cons.write_failed)
		r = BG_EXIT_FAIL;
	bg_state_ring_free(&st, spec.ring);
	if (rb)
		ring_buffer__free(rb);
	close(ring_fd);
	bg_state_close(&st);
	if (rmdir(cgdir)) {
		bg_err("run: remove %s: %s", cgdir, strerror(errno));
		r = BG_EXIT_FAIL;
	}
	remove_empty_parent(mnt);
	if (events && fclose(events)) {
		bg_err("run: --events %s: %s", o.events_file, strerror(errno));
		r = BG_EXIT_FAIL;
	}
	return exit_code ? exit_code : r;

out_cgroup:
	rmdir(cgdir);
	remove_empty_parent(mnt);
out_file:
	if (events)
		fclose(events);
	if (sugg_out)
		fclose(sugg_out);
	return r;
}
