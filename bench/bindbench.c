// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bindbench: the timing loops of `make bench` (bench/run.sh drives it).
 *
 *   bindbench rebind [--cgroup DIR] [--cpu N] [--n N] [--addr A] [--expect E]
 *                    [--landlock]
 *       Join DIR, bind one TCP socket to 127.0.0.1:0, then time N re-binds of
 *       it to A (default 127.0.0.1) on the same port. An already bound socket
 *       fails with EINVAL in __inet_bind, right after the cgroup bind hook (and
 *       the LSM hook) ran, so the loop measures the hooks without any port
 *       search. A refused re-bind fails earlier, with EPERM. Every re-bind must
 *       fail with E (EINVAL or EPERM; default EINVAL), else exit 1: a policy
 *       that is not in force cannot pass for a cheap one.
 *       --landlock: restrict the process with Landlock first (handled access
 *       LANDLOCK_ACCESS_NET_BIND_TCP, one rule allowing the bound port).
 *       Prints: ns_per_bind=X n=N binds=B (B counts every bind() made: the
 *       first one, the warm-up and the N timed ones)
 *
 *   bindbench pipeline --bindguard BIN --cgroup DIR --cgpath REL [--procs P]
 *                      [--count C] [--pace-us U [--burst B]]
 *                      [--quiet-cgroup DIR2 --quiet-count Q --quiet-pace-us V]
 *       Start `BIN events --json --cgroup REL`, then P processes in DIR, each
 *       making C refused binds (0.0.0.0:seq) as fast as they can, or one every
 *       U microseconds on average (in bursts of B every B * U microseconds).
 *       With --quiet-cgroup, one more process in DIR2 makes Q refused binds, one
 *       every V microseconds, meanwhile (REL must then cover both cgroups); its
 *       events are counted apart (quiet_*) and not in delivered. Reads the event lines as they
 * arrive and matches each to its bind() by pid and port (the port carries the low 16 bits of the
 *       bind's sequence number). Prints one JSON object: denials made, event
 *       lines delivered, latency from just before bind() to the arrival of the
 *       line (p50, p99, max), the consumer's CPU time.
 *
 * Exit status: 0 ok, 1 a measurement went wrong, 2 usage, 3 `events` could
 * not start (another reader holds the stream).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

/* Landlock ABI 4 (Linux 6.7) net rules; Debian 12's headers predate them. */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule	     445
#define __NR_landlock_restrict_self  446
#endif
#define BB_LANDLOCK_CREATE_RULESET_VERSION (1u << 0)
#define BB_LANDLOCK_RULE_NET_PORT	   2
#define BB_LANDLOCK_ACCESS_NET_BIND_TCP	   (1ull << 0)

struct bb_ruleset_attr {
	__u64 handled_access_fs;
	__u64 handled_access_net;
};

struct bb_net_port_attr {
	__u64 allowed_access;
	__u64 port;
} __attribute__((packed));

static void die(const char *what)
{
	fprintf(stderr, "bindbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bindbench rebind [--cgroup DIR] [--cpu N] [--n N] [--addr A]\n"
		"                        [--expect EINVAL|EPERM|EADDRNOTAVAIL] [--landlock]\n"
		"       bindbench pipeline --bindguard BIN --cgroup DIR --cgpath REL\n"
		"                        [--procs P] [--count C] [--pace-us U [--burst B]]\n"
		"                        [--quiet-cgroup DIR2 --quiet-count Q --quiet-pace-us "
		"V]\n");
	exit(2);
}

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void join_cgroup(const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
		fprintf(stderr, "bindbench: join %s: %s\n", dir, strerror(errno));
		exit(1);
	}
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static void landlock_port(int port)
{
	struct bb_ruleset_attr ra = { .handled_access_net = BB_LANDLOCK_ACCESS_NET_BIND_TCP };
	struct bb_net_port_attr pa = { .allowed_access = BB_LANDLOCK_ACCESS_NET_BIND_TCP,
				       .port = (__u64)port };
	long abi =
		syscall(__NR_landlock_create_ruleset, NULL, 0, BB_LANDLOCK_CREATE_RULESET_VERSION);
	int fd;

	if (abi < 4) {
		fprintf(stderr, "bindbench: Landlock net rules need ABI 4, kernel has %ld (%s)\n",
			abi, abi < 0 ? strerror(errno) : "too old");
		exit(3);
	}
	fd = syscall(__NR_landlock_create_ruleset, &ra, sizeof(ra), 0);
	if (fd < 0)
		die("landlock_create_ruleset");
	if (syscall(__NR_landlock_add_rule, fd, BB_LANDLOCK_RULE_NET_PORT, &pa, 0))
		die("landlock_add_rule");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("PR_SET_NO_NEW_PRIVS");
	if (syscall(__NR_landlock_restrict_self, fd, 0))
		die("landlock_restrict_self");
	close(fd);
}

static int cmd_rebind(int argc, char **argv)
{
	const char *cg = NULL, *addr = "127.0.0.1";
	long n = 1000000, warm;
	int cpu = -1, expect = EINVAL, landlock = 0, fd, one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET }, to;
	socklen_t len = sizeof(sa);
	__u64 t0, t1;

	for (int i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--landlock")) {
			landlock = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(o, "--cgroup"))
			cg = v;
		else if (!strcmp(o, "--cpu"))
			cpu = atoi(v);
		else if (!strcmp(o, "--n"))
			n = atol(v);
		else if (!strcmp(o, "--addr"))
			addr = v;
		else if (!strcmp(o, "--expect"))
			expect = !strcmp(v, "EPERM")	       ? EPERM
				 : !strcmp(v, "EADDRNOTAVAIL") ? EADDRNOTAVAIL
							       : EINVAL;
		else
			usage();
	}
	if (n <= 0)
		usage();
	if (cpu >= 0)
		pin_cpu(cpu);
	/* Join before creating the socket: the socket's cgroup governs. */
	if (cg)
		join_cgroup(cg);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || getsockname(fd, (void *)&sa, &len))
		die("bind 127.0.0.1:0");
	to = sa;
	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		fprintf(stderr, "bindbench: bad address %s\n", addr);
		return 2;
	}
	if (landlock)
		landlock_port(ntohs(sa.sin_port));

	/* Warm up (CPU caches, CPU frequency). */
	warm = n / 10 > 20000 ? 20000 : n / 10 + 1;
	for (long i = 0; i < warm; i++)
		bind(fd, (struct sockaddr *)&to, sizeof(to));
	t0 = now_ns(CLOCK_MONOTONIC);
	for (long i = 0; i < n; i++) {
		int rc = bind(fd, (struct sockaddr *)&to, sizeof(to));

		if (!rc || errno != expect) {
			fprintf(stderr, "bindbench: re-bind %ld to %s: %s, expected %s\n", i, addr,
				rc ? strerror(errno) : "succeeded", strerror(expect));
			return 1;
		}
	}
	t1 = now_ns(CLOCK_MONOTONIC);
	/* binds: every bind() this process made, for the BPF run counts */
	printf("ns_per_bind=%.2f n=%ld binds=%ld\n", (double)(t1 - t0) / (double)n, n,
	       1 + warm + n);
	close(fd);
	return 0;
}

/* --- pipeline ---------------------------------------------------------------- */

struct shared {
	volatile int go;
	long denied[64];
	long other[64];
	int first_errno[64];
	__u64 times[]; /* [proc][count]: CLOCK_MONOTONIC just before each bind() */
};

/* Process idx of a pipeline run: count refused binds; its bind times go to
 * row idx (stride entries each) of sh->times. */
static void storm_child(struct shared *sh, int idx, long stride, const char *cg, long count,
			long pace_us, long burst)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	__u64 *t = sh->times + (size_t)idx * (size_t)stride, next;
	int fd;

	join_cgroup(cg);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	while (!sh->go)
		usleep(1000);
	/* Paced runs sleep tens of microseconds: the default 50 us timer slack
	 * would halve the rate. */
	if (pace_us)
		prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	next = now_ns(CLOCK_MONOTONIC);
	for (long s = 0; s < count; s++) {
		/* Paced: one bind per pace_us on average, in bursts of burst
		 * binds (a 20 us sleep per bind costs more than the bind). */
		if (pace_us && s % burst == 0) {
			struct timespec ts;

			next += (__u64)pace_us * 1000 * (__u64)burst;
			ts.tv_sec = (time_t)(next / 1000000000ull);
			ts.tv_nsec = (long)(next % 1000000000ull);
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
		/* A refused bind leaves the socket unbound: the same socket
		 * serves every bind. The port carries the sequence number. */
		int rc;

		sa.sin_port = htons((uint16_t)(s & 0xffff));
		t[s] = now_ns(CLOCK_MONOTONIC);
		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		if (rc && errno == EPERM) {
			sh->denied[idx]++;
			continue;
		}
		if (!sh->other[idx]++)
			sh->first_errno[idx] = rc ? errno : 0;
		if (!rc) /* bound: the policy is not in force; stop at once */
			break;
	}
	_exit(0);
}

/* Fork a storm_child (it closes the reader's pipe end, rfd); its pid. */
static pid_t spawn_storm(int rfd, struct shared *sh, int idx, long stride, const char *cg,
			 long count, long pace_us, long burst)
{
	pid_t p = fork();

	if (p < 0)
		die("fork");
	if (!p) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(rfd);
		storm_child(sh, idx, stride, cg, count, pace_us, burst);
	}
	return p;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Value of "key":NUMBER in a JSON line, or -1. */
static long long json_num(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	if (!p)
		return -1;
	p += strlen(key);
	return strtoll(p, NULL, 10);
}

/* "ts":"YYYY-MM-DDTHH:MM:SS.uuuuuuZ" as CLOCK_REALTIME ns, or 0. */
static __u64 json_ts(const char *line)
{
	const char *p = strstr(line, "\"ts\":\"");
	struct tm tm = {};
	long usec;

	if (!p || sscanf(p + 6, "%d-%d-%dT%d:%d:%d.%ldZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &usec) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (__u64)timegm(&tm) * 1000000000ull + (__u64)usec * 1000ull;
}

struct reader {
	struct shared *sh;
	pid_t pids[64];
	long next_seq[64];
	int procs;
	long count;
	__u64 real_minus_mono;
	__u64 *lat;
	long nlat, delivered, unmatched, lost_lines, other_lines;
	int quiet_idx; /* -1: none */
	long quiet_delivered;
	__u64 last_arrival;
};

static void on_line(struct reader *r, const char *line, __u64 arrival)
{
	long long pid, port;
	__u64 ts_mono, ts;
	int idx = -1;
	long s;

	if (strstr(line, "\"type\":\"lost\"")) {
		r->lost_lines++;
		return;
	}
	if (!strstr(line, "\"type\":\"bind\"")) {
		r->other_lines++;
		return;
	}
	r->delivered++;
	r->last_arrival = arrival;
	pid = json_num(line, "\"pid\":");
	port = json_num(line, "\"port\":");
	ts = json_ts(line);
	for (int i = 0; i < r->procs; i++)
		if (r->pids[i] == pid || -r->pids[i] == pid)
			idx = i;
	if (idx < 0 || port < 0 || !ts) {
		r->unmatched++;
		return;
	}
	/* The first sequence number at or after the next expected one whose
	 * low 16 bits are the port; past a gap of 65536 or more lost events
	 * the kernel timestamp (1 us resolution, coarse clock conversion)
	 * tells the candidates apart, as they are >= 65536 binds apart. */
	ts_mono = ts - r->real_minus_mono;
	s = r->next_seq[idx];
	s += (long)(((unsigned long)port - (unsigned long)s) & 0xffff);
	while (s < r->count) {
		__u64 t = r->sh->times[(size_t)idx * (size_t)r->count + (size_t)s];
		long long d = (long long)ts_mono - (long long)t;

		if (d > -20000000ll && d < 20000000ll)
			break;
		s += 0x10000;
	}
	if (s >= r->count) {
		r->unmatched++;
		return;
	}
	r->next_seq[idx] = s + 1;
	if (idx == r->quiet_idx) {
		r->delivered--;
		r->quiet_delivered++;
		return;
	}
	r->lat[r->nlat++] = arrival - r->sh->times[(size_t)idx * (size_t)r->count + (size_t)s];
}

static void read_lines(struct reader *r, int fd, char *buf, size_t cap, size_t *have, int *eof)
{
	ssize_t n = read(fd, buf + *have, cap - *have - 1);
	__u64 arrival = now_ns(CLOCK_MONOTONIC);
	char *p, *nl;

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			*eof = 1;
		return;
	}
	*have += (size_t)n;
	buf[*have] = '\0';
	p = buf;
	while ((nl = strchr(p, '\n'))) {
		*nl = '\0';
		on_line(r, p, arrival);
		p = nl + 1;
	}
	*have -= (size_t)(p - buf);
	memmove(buf, p, *have);
	if (*have >= cap - 1) /* a line longer than the buffer: drop it */
		*have = 0;
}

static int file_has(const char *path, const char *needle)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY), found;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	found = strstr(buf, needle) != NULL;
	return found;
}

static double pct(__u64 *v, long n, double q)
{
	long i;

	if (!n)
		return -1;
	i = (long)(q * (double)(n - 1) + 0.5);
	return (double)v[i] / 1000.0;
}

static int cmd_pipeline(int argc, char **argv)
{
	const char *bin = NULL, *cg = NULL, *cgpath = NULL, *qcg = NULL;
	long procs = 4, count = 100000, pace_us = 0, burst = 1, qcount = 0, qpace_us = 0;
	char errfile[] = "/tmp/bindbench-events.XXXXXX", buf[1 << 16];
	struct reader r = {};
	struct shared *sh;
	struct rusage ru;
	size_t shsize, have = 0;
	int pfd[2], efd, eof = 0, status;
	long denied = 0, other = 0;
	pid_t ev;
	__u64 t_start, t_storm_end, deadline, quiet_since;

	for (int i = 0; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];

		if (!strcmp(o, "--bindguard"))
			bin = v;
		else if (!strcmp(o, "--cgroup"))
			cg = v;
		else if (!strcmp(o, "--cgpath"))
			cgpath = v;
		else if (!strcmp(o, "--procs"))
			procs = atol(v);
		else if (!strcmp(o, "--count"))
			count = atol(v);
		else if (!strcmp(o, "--pace-us"))
			pace_us = atol(v);
		else if (!strcmp(o, "--burst"))
			burst = atol(v);
		else if (!strcmp(o, "--quiet-cgroup"))
			qcg = v;
		else if (!strcmp(o, "--quiet-count"))
			qcount = atol(v);
		else if (!strcmp(o, "--quiet-pace-us"))
			qpace_us = atol(v);
		else
			usage();
	}
	if (argc % 2 || !bin || !cg || !cgpath || procs < 1 || procs > 63 || count < 1 ||
	    burst < 1 || (qcg && (qcount < 1 || qcount > count || qpace_us < 1)))
		usage();

	shsize = sizeof(*sh) + (size_t)(procs + (qcg ? 1 : 0)) * (size_t)count * sizeof(__u64);
	sh = mmap(NULL, shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	r.lat = calloc((size_t)procs * (size_t)count, sizeof(__u64));
	if (sh == MAP_FAILED || !r.lat)
		die("allocate");
	r.sh = sh;
	r.procs = (int)procs + (qcg ? 1 : 0);
	r.count = count;
	r.quiet_idx = qcg ? (int)procs : -1;

	efd = mkstemp(errfile);
	if (efd < 0 || pipe(pfd))
		die("pipe");
	ev = fork();
	if (ev < 0)
		die("fork");
	if (!ev) {
		prctl(PR_SET_PDEATHSIG, SIGINT); /* never outlive the benchmark */
		dup2(pfd[1], 1);
		dup2(efd, 2);
		close(pfd[0]);
		close(pfd[1]);
		execl(bin, bin, "events", "--json", "--cgroup", cgpath, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	close(efd);
	/* Wait until the reader follows the ring. */
	deadline = now_ns(CLOCK_MONOTONIC) + 10000000000ull;
	while (!file_has(errfile, "following")) {
		if (waitpid(ev, &status, WNOHANG) == ev || now_ns(CLOCK_MONOTONIC) > deadline) {
			char msg[4096] = "";
			int fd = open(errfile, O_RDONLY);

			if (fd >= 0) {
				ssize_t n = read(fd, msg, sizeof(msg) - 1);

				msg[n > 0 ? n : 0] = '\0';
				close(fd);
			}
			kill(ev, SIGINT);
			waitpid(ev, NULL, 0);
			unlink(errfile);
			fprintf(stderr, "bindbench: `bindguard events` did not start: %s\n", msg);
			return 3;
		}
		usleep(10000);
	}
	unlink(errfile);

	for (int i = 0; i < procs; i++)
		r.pids[i] = spawn_storm(pfd[0], sh, i, count, cg, count, pace_us, burst);
	if (qcg)
		r.pids[procs] =
			spawn_storm(pfd[0], sh, (int)procs, count, qcg, qcount, qpace_us, 1);
	usleep(100000); /* every child joined and made its socket */
	r.real_minus_mono = now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC);
	t_start = now_ns(CLOCK_MONOTONIC);
	sh->go = 1;

	/* Read while the storm runs; then until the line stream has been quiet
	 * for 1.5 s (the ring is drained; `events` checks the lost count once a
	 * second), then stop the reader and read what it flushes. */
	int running = r.procs;

	t_storm_end = 0;
	quiet_since = 0;
	while (!eof) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		int n = poll(&pf, 1, 50);

		if (n > 0)
			read_lines(&r, pfd[0], buf, sizeof(buf), &have, &eof);
		for (int i = 0; i < r.procs; i++)
			if (r.pids[i] > 0 && waitpid(r.pids[i], &status, WNOHANG) == r.pids[i]) {
				r.pids[i] = -r.pids[i]; /* reaped; the pid still names its events */
				if (!--running)
					t_storm_end = now_ns(CLOCK_MONOTONIC);
			}
		if (running)
			continue;
		if (n > 0) {
			quiet_since = 0;
			continue;
		}
		if (!quiet_since)
			quiet_since = now_ns(CLOCK_MONOTONIC);
		if (now_ns(CLOCK_MONOTONIC) - quiet_since > 1500000000ull)
			break;
	}
	kill(ev, SIGINT);
	while (!eof)
		read_lines(&r, pfd[0], buf, sizeof(buf), &have, &eof);
	if (wait4(ev, &status, 0, &ru) < 0)
		die("wait for events");

	for (int i = 0; i < procs; i++) {
		denied += sh->denied[i];
		other += sh->other[i];
		if (sh->other[i])
			fprintf(stderr,
				"bindbench: process %d: %ld binds not refused (first: %s)\n", i,
				sh->other[i],
				sh->first_errno[i] ? strerror(sh->first_errno[i]) : "bound");
	}
	qsort(r.lat, (size_t)r.nlat, sizeof(__u64), cmp_u64);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	double storm_s = (double)(t_storm_end - t_start) / 1e9;
	double drain_s =
		(double)((r.last_arrival > t_start ? r.last_arrival : t_start) - t_start) / 1e9;

	printf("{\"procs\":%ld,\"count_per_proc\":%ld,\"pace_us\":%ld,\"burst\":%ld,"
	       "\"denials\":%ld,"
	       "\"not_refused\":%ld,\"delivered\":%ld,\"matched\":%ld,\"unmatched\":%ld,"
	       "\"lost_lines\":%ld,\"storm_s\":%.3f,\"last_line_s\":%.3f,"
	       "\"consumer_cpu_s\":%.3f,\"consumer_user_s\":%.3f,\"consumer_sys_s\":%.3f,"
	       "\"events_exit\":%d,\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_max_us\":%.1f,"
	       "\"quiet_denials\":%ld,\"quiet_delivered\":%ld}\n",
	       procs, count, pace_us, burst, denied, other, r.delivered, r.nlat, r.unmatched,
	       r.lost_lines, storm_s, drain_s, cpu,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	       pct(r.lat, r.nlat, 0.50), pct(r.lat, r.nlat, 0.99),
	       r.nlat ? (double)r.lat[r.nlat - 1] / 1000.0 : -1.0, qcg ? sh->denied[procs] : 0L,
	       r.quiet_delivered);
	return other || r.unmatched ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "rebind"))
		return cmd_rebind(argc - 2, argv + 2);
	if (!strcmp(argv[1], "pipeline"))
		return cmd_pipeline(argc - 2, argv + 2);
	usage();
	return 2;
}
