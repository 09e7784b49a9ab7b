// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * workload: the per-socket, per-connection and per-packet loops of
 * `make bench` (bench/run.sh drives it). A client and a server process, both
 * in one cgroup, talk over 127.0.0.1 for a fixed time; the figure is what the
 * client got done.
 *
 *   workload KIND --cgroup DIR [--secs S] [--cpu N]
 *
 *   churn   TCP connection churn: connect, the server accepts, writes one
 *           byte and closes, the client reads it and closes (SO_LINGER 0, so
 *           no TIME_WAIT piles up over millions of connections). One op is
 *           one connection.
 *   udp     Unconnected UDP request/response: the client (bound to
 *           127.0.0.1:0, as a well-behaved client in a policed cgroup is)
 *           sendto()s 32 bytes with the server's address and receives the
 *           echo, which the server sendto()s back to the sender's address.
 *           One op is one round trip: two sends with an address.
 *   socket  socket(AF_INET, SOCK_STREAM) + close(), no server. One op is one
 *           socket.
 *   stream  Bulk TCP: one connection, the client writes 64 KiB at a time, the
 *           server reads. One op is one byte; also reports the segments the
 *           client sent (TCP_INFO tcpi_segs_out).
 *
 * The process joins DIR first (its cgroup.procs), then forks the server, so
 * both sides run under the cgroup's programs. The client is pinned to CPU N
 * (default: the last), the server to another one when there is one. A
 * warm-up of a tenth of the time (at most 0.2 s) is not counted.
 *
 * Prints: ops=N secs=S ops_per_s=X ns_per_op=Y all_ops=A [segs_per_s=Z all_segs=G]
 * (all_*: the warm-up included, for per-operation counts of whole runs)
 * Exit status: 0 ok, 1 a step failed (said on stderr), 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum kind { K_CHURN, K_UDP, K_SOCKET, K_STREAM };

static const char *const kind_names[] = { "churn", "udp", "socket", "stream" };

struct run {
	enum kind kind;
	double secs;
	int cpu;
	struct sockaddr_in srv; /* the server's address, once it listens */
};

static void usage(void)
{
	fprintf(stderr, "usage: workload churn|udp|socket|stream --cgroup DIR [--secs S] "
			"[--cpu N]\n");
	exit(2);
}

static void fail(const char *what)
{
	fprintf(stderr, "workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail("sched_setaffinity");
}

static void join_cgroup(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "0", 1) != 1)
		fail(path);
	close(fd);
}

static int make_socket(int type)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail("socket");
	return fd;
}

static struct sockaddr_in loopback(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* Bind to 127.0.0.1:0 and return the port the kernel chose. */
static void bind_loopback(int fd, struct sockaddr_in *out)
{
	struct sockaddr_in a = loopback();
	socklen_t len = sizeof(a);

	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		fail("bind 127.0.0.1:0");
	if (getsockname(fd, (struct sockaddr *)&a, &len))
		fail("getsockname");
	if (out)
		*out = a;
}

/* The server side of churn, udp and stream; never returns. Runs until the
 * parent ends it. */
static void serve(enum kind kind, int fd)
{
	static char buf[1 << 18];
	struct sockaddr_in from;
	socklen_t len;
	ssize_t n;
	int c;

	for (;;) {
		switch (kind) {
		case K_CHURN:
			c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				fail("accept");
			if (write(c, "x", 1) != 1)
				fail("server write");
			close(c);
			break;
		case K_UDP:
			len = sizeof(from);
			n = recvfrom(fd, buf, 64, 0, (struct sockaddr *)&from, &len);
			if (n < 0)
				fail("server recvfrom");
			if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len) != n)
				fail("server sendto");
			break;
		case K_STREAM:
			c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				fail("accept");
			while ((n = read(c, buf, sizeof(buf))) > 0)
				;
			close(c);
			break;
		case K_SOCKET:
			_exit(0);
		}
	}
}

/* One client op; returns the units it counts (1, or bytes for stream). */
static long one_op(struct run *r, int *udp, int *stream)
{
	static char buf[65536];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd;
	ssize_t n;

	switch (r->kind) {
	case K_CHURN:
		fd = make_socket(SOCK_STREAM);
		if (connect(fd, (struct sockaddr *)&r->srv, sizeof(r->srv)))
			fail("connect");
		if (read(fd, buf, 1) != 1)
			fail("client read");
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
			fail("SO_LINGER");
		close(fd);
		return 1;
	case K_UDP:
		if (sendto(*udp, buf, 32, 0, (struct sockaddr *)&r->srv, sizeof(r->srv)) != 32)
			fail("client sendto");
		if (recv(*udp, buf, 64, 0) != 32)
			fail("client recv (1 s timeout)");
		return 1;
	case K_SOCKET:
		close(make_socket(SOCK_STREAM));
		return 1;
	case K_STREAM:
		n = write(*stream, buf, sizeof(buf));
		if (n <= 0)
			fail("client write");
		return n;
	}
	return 0;
}

static int run_client(struct run *r)
{
	struct timeval tmo = { .tv_sec = 1 };
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	double t0, t1, end, warm = r->secs / 10 < 0.2 ? r->secs / 10 : 0.2;
	long ops = 0, warm_ops = 0, k = 0;
	unsigned long segs0 = 0;
	int udp = -1, stream = -1;

	if (r->kind == K_UDP) {
		udp = make_socket(SOCK_DGRAM);
		bind_loopback(udp, NULL);
		if (setsockopt(udp, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)))
			fail("SO_RCVTIMEO");
	} else if (r->kind == K_STREAM) {
		stream = make_socket(SOCK_STREAM);
		if (connect(stream, (struct sockaddr *)&r->srv, sizeof(r->srv)))
			fail("connect");
	}
	end = now() + warm;
	while (now() < end)
		warm_ops += one_op(r, &udp, &stream);
	if (r->kind == K_STREAM) {
		if (getsockopt(stream, IPPROTO_TCP, TCP_INFO, &ti, &len))
			fail("TCP_INFO");
		segs0 = ti.tcpi_segs_out;
	}
	t0 = now();
	end = t0 + r->secs;
	/* The clock is read every 16 ops for the shortest op (socket()). */
	for (t1 = t0; t1 < end; k++) {
		ops += one_op(r, &udp, &stream);
		if (r->kind != K_SOCKET || !(k & 15))
			t1 = now();
	}
	printf("ops=%ld secs=%.6f ops_per_s=%.1f ns_per_op=%.2f all_ops=%ld", ops, t1 - t0,
	       (double)ops / (t1 - t0), (t1 - t0) * 1e9 / (double)ops, ops + warm_ops);
	if (r->kind == K_STREAM) {
		len = sizeof(ti);
		if (getsockopt(stream, IPPROTO_TCP, TCP_INFO, &ti, &len))
			fail("TCP_INFO");
		printf(" segs_per_s=%.1f all_segs=%u",
		       (double)(ti.tcpi_segs_out - segs0) / (t1 - t0), ti.tcpi_segs_out);
		close(stream);
	}
	printf("\n");
	if (udp >= 0)
		close(udp);
	return 0;
}

int main(int argc, char **argv)
{
	struct run r = { .secs = 1.0, .cpu = -1 };
	const char *cgroup = NULL;
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), lfd = -1, status, rc, k;
	pid_t srv = 0;

	if (argc < 2)
		usage();
	for (k = 0; k < 4 && strcmp(argv[1], kind_names[k]); k++)
		;
	if (k == 4)
		usage();
	r.kind = (enum kind)k;
	for (int i = 2; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--cgroup"))
			cgroup = argv[++i];
		else if (!strcmp(argv[i], "--secs"))
			r.secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "--cpu"))
			r.cpu = atoi(argv[++i]);
		else
			usage();
	}
	if (!cgroup || r.secs <= 0 || r.secs > 600)
		usage();
	if (r.cpu < 0 || r.cpu >= ncpu)
		r.cpu = ncpu - 1;
	join_cgroup(cgroup);
	if (r.kind != K_SOCKET) {
		int one = 1;

		lfd = make_socket(r.kind == K_UDP ? SOCK_DGRAM : SOCK_STREAM);
		if (r.kind != K_UDP && setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
			fail("SO_REUSEADDR");
		bind_loopback(lfd, &r.srv);
		if (r.kind != K_UDP && listen(lfd, 1024))
			fail("listen");
		srv = fork();
		if (srv < 0)
			fail("fork");
		if (srv == 0) {
			/* Ends with the client, also when the client fails. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1)
				_exit(1);
			signal(SIGPIPE, SIG_IGN);
			pin(ncpu > 1 ? (r.cpu + 1) % ncpu : -1);
			serve(r.kind, lfd);
		}
		close(lfd);
	}
	pin(r.cpu);
	signal(SIGPIPE, SIG_IGN);
	rc = run_client(&r);
	if (srv > 0) {
		kill(srv, SIGKILL);
		waitpid(srv, &status, 0);
	}
	fflush(stdout);
	return rc;
}
