// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bgprobe: makes sockets do things from inside a cgroup, for the tests.
 *
 *   bgprobe [--cgroup DIR] [--family 4|6|unspec] [--proto tcp|udp|mptcp|udplite]
 *           [--v6only 0|1] [--device IFNAME] CMD ARGS
 *
 *   --cgroup DIR  join DIR (a cgroup directory) before creating any socket
 *   --device IF   SO_BINDTODEVICE IF on each socket before bind
 *   bind ADDR PORT          bind; prints "ok PORT ADDR" (what getsockname says) or the
 *                           errno name (exit 1)
 *   serve ADDR PORT         bind (unless ADDR is "-"), listen, print "listening PORT ADDR
 *                           dev=IFINDEX" (the device the socket is tied to, 0 for none),
 *                           then wait for SIGTERM or SIGINT
 *   loop ADDR PORT SECONDS  socket+bind+close in a loop; prints "ok=N denied=M other=K"
 *   storm ADDR PORT COUNT   COUNT binds of one socket (each refused bind leaves it
 *                           unbound); prints "denied=N ok=M other=K"
 *   connect ADDR PORT       TCP connect; prints "ok", the errno name, or "timeout"
 *                           (no answer in 3 s: the SYN was dropped)
 *   sendto ADDR PORT        unconnected UDP send from an unbound socket; prints
 *                           "ok LOCALADDR PORT" or the errno name
 *   raw                     create a raw ICMP socket; prints "ok" or the errno name
 *   bindtodevice IFNAME     listen on 127.0.0.1, then SO_BINDTODEVICE IFNAME ("" unbinds;
 *                           "ifindex:N" uses SO_BINDTOIFINDEX); prints "ok" or the errno
 *   serve-untie32 ADDR      bind ADDR:0 (unless "-"; a policy may tie it to lo),
 *                           listen, then a 32-bit setsockopt(SO_BINDTODEVICE, "")
 *                           through int $0x80;
 *                           prints "listening PORT ADDR dev=IFINDEX untie=ok|ERRNO",
 *                           then waits like serve (x86-64 kernels with IA32 emulation)
 *   uring-listen PORT       io_uring IORING_OP_LISTEN on an unbound socket (raw
 *                           syscalls), then print the bound address like serve
 *   fork-bind ADDR PORT     fork; the child binds; prints the child's result
 *   fuzzbind COUNT SEED     COUNT binds with random families, lengths and bytes on
 *                           IPv4/IPv6 TCP/UDP sockets; every bind that succeeds must
 *                           be on a loopback address: prints "tries=N ok=M escaped=K"
 * Exit status: 0 when the last operation succeeded, 1 when it failed, 2 on usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include "join.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif

static int family = 0; /* 0: from the address */
static int unspec;
static int type = SOCK_STREAM, proto;
static int v6only = -1;
static const char *device;

static const char *errname(int e)
{
	switch (e) {
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case EADDRNOTAVAIL:
		return "EADDRNOTAVAIL";
	case EADDRINUSE:
		return "EADDRINUSE";
	case EAFNOSUPPORT:
		return "EAFNOSUPPORT";
	case EINVAL:
		return "EINVAL";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case EPROTONOSUPPORT:
		return "EPROTONOSUPPORT";
	case ENODEV:
		return "ENODEV";
	default:
		return strerror(e);
	}
}

static int fail(void)
{
	printf("%s\n", errname(errno));
	return 1;
}

static int join_cgroup(const char *dir)
{
	if (bg_join_cgroup("bgprobe", dir))
		exit(2);
	return 0;
}

/* Fill sa for ADDR PORT; returns the socket family. */
static int make_addr(const char *addr, int port, struct sockaddr_storage *sa, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

	memset(sa, 0, sizeof(*sa));
	if (family != 6 && inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = unspec ? AF_UNSPEC : AF_INET;
		s4->sin_port = htons((unsigned short)port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	fprintf(stderr, "bgprobe: bad address %s\n", addr);
	exit(2);
}

static int new_socket(int fam)
{
	int fd = socket(fam, type, proto);

	if (fd < 0)
		return -1;
	if (fam == AF_INET6 && v6only >= 0)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	if (device &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device))) {
		printf("device %s\n", errname(errno));
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	return fd;
}

/* SO_BINDTOIFINDEX as the kernel has it (ss does not show it on every kernel). */
static int bound_dev(int fd)
{
	int ifindex = -1;
	socklen_t len = sizeof(ifindex);

	if (getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex, &len))
		return -1;
	return ifindex;
}

static const char *bound_addr(int fd)
{
	static char text[INET6_ADDRSTRLEN];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return "?";
	inet_ntop(ss.ss_family,
		  ss.ss_family == AF_INET ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
					  : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
		  text, sizeof(text));
	return text;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int do_bind(const char *addr, int port)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fam = make_addr(addr, port, &sa, &len);
	int fd = new_socket(fam);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len))
		return fail();
	printf("ok %d %s\n", bound_port(fd), bound_addr(fd));
	return 0;
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void wait_for_end(void)
{
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	while (!stop)
		pause();
}

static int do_serve(const char *addr, int port)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fam = make_addr(strcmp(addr, "-") ? addr : (family == 4 ? "0.0.0.0" : "::"), port, &sa,
			    &len);
	int fd = new_socket(fam);

	if (fd < 0)
		return fail();
	if (strcmp(addr, "-") && bind(fd, (struct sockaddr *)&sa, len))
		return fail();
	if (type == SOCK_STREAM && listen(fd, 16))
		return fail();
	printf("listening %d %s dev=%d\n", bound_port(fd), bound_addr(fd), bound_dev(fd));
	fflush(stdout);
	wait_for_end();
	return 0;
}

/* setsockopt through the 32-bit entry (int $0x80, i386 number 366), which
 * skips the cgroup setsockopt hook. The value must lie below 4 GiB. */
static long setsockopt32(int fd, int level, int name, const void *val, int len)
{
#if defined(__x86_64__)
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	long r = 366;

	if (low == MAP_FAILED)
		return -errno;
	memcpy(low, val, (size_t)len);
	__asm__ volatile("int $0x80"
			 : "+a"(r)
			 : "b"(fd), "c"(level), "d"(name), "S"((long)low), "D"(len)
			 : "memory", "r8", "r9", "r10", "r11");
	munmap(low, 4096);
	return r;
#else
	return -ENOSYS;
#endif
}

static int do_serve_untie32(const char *addr)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fam = make_addr(strcmp(addr, "-") ? addr : (family == 6 ? "::" : "0.0.0.0"), 0, &sa,
			    &len);
	int fd = new_socket(fam);
	long r;

	if (fd < 0 || (strcmp(addr, "-") && bind(fd, (struct sockaddr *)&sa, len)) ||
	    listen(fd, 16))
		return fail();
	r = setsockopt32(fd, SOL_SOCKET, SO_BINDTODEVICE, "", 0);
	printf("listening %d %s dev=%d untie=%s\n", bound_port(fd), bound_addr(fd), bound_dev(fd),
	       r ? errname((int)-r) : "ok");
	fflush(stdout);
	wait_for_end();
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int do_loop(const char *addr, int port, double seconds)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fam = make_addr(addr, port, &sa, &len);
	long ok = 0, denied = 0, other = 0;
	double end = now() + seconds;

	while (now() < end) {
		int fd = new_socket(fam);

		if (fd < 0) {
			other++;
			continue;
		}
		if (!bind(fd, (struct sockaddr *)&sa, len))
			ok++;
		else if (errno == EPERM)
			denied++;
		else
			other++;
		close(fd);
	}
	printf("ok=%ld denied=%ld other=%ld\n", ok, denied, other);
	return 0;
}

static int do_storm(const char *addr, int port, long count)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fam = make_addr(addr, port, &sa, &len);
	int fd = new_socket(fam);
	long ok = 0, denied = 0, other = 0;

	if (fd < 0)
		return fail();
	for (long i = 0; i < count; i++) {
		if (!bind(fd, (struct sockaddr *)&sa, len)) {
			ok++;
			close(fd);
			fd = new_socket(fam);
		} else if (errno == EPERM) {
			denied++;
		} else {
			other++;
		}
	}
	printf("denied=%ld ok=%ld other=%ld\n", denied, ok, other);
	return 0;
}

static int do_connect(const char *addr, int port)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fam = make_addr(addr, port, &sa, &len);
	int fd = socket(fam, SOCK_STREAM, 0);
	struct timeval tmo = { .tv_sec = 3 };

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo)))
		return fail();
	if (connect(fd, (struct sockaddr *)&sa, len)) {
		if (errno != EINPROGRESS)
			return fail();
		printf("timeout\n");
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int do_sendto(const char *addr, int port)
{
	struct sockaddr_storage sa, local;
	socklen_t len, llen = sizeof(local);
	int fam = make_addr(addr, port, &sa, &len);
	char text[INET6_ADDRSTRLEN];
	int fd = socket(fam, SOCK_DGRAM, 0);

	if (fd < 0)
		return fail();
	if (sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, len) != 1) {
		char dev[IFNAMSIZ] = "";
		socklen_t dlen = sizeof(dev);
		int e = errno;

		/* Report the device the socket is tied to, if any. */
		getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &dlen);
		printf("%s%s%s\n", errname(e), dev[0] ? " dev=" : "", dev);
		return 1;
	}
	getsockname(fd, (struct sockaddr *)&local, &llen);
	inet_ntop(local.ss_family,
		  local.ss_family == AF_INET ? (void *)&((struct sockaddr_in *)&local)->sin_addr
					     : (void *)&((struct sockaddr_in6 *)&local)->sin6_addr,
		  text, sizeof(text));
	printf("ok %s %d\n", text, bound_port(fd));
	return 0;
}

static int do_raw(void)
{
	int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_RAW,
			family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);

	if (fd < 0)
		return fail();
	printf("ok\n");
	return 0;
}

static int do_bindtodevice(const char *ifname)
{
	int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_storage sa;
	socklen_t len;

	/* A loopback listener: allowed by every policy, so only the option
	 * itself is decided (an unbound listen() may be refused by BPF LSM). */
	make_addr(family == 4 ? "127.0.0.1" : "::1", 0, &sa, &len);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) || listen(fd, 1))
		return fail();
	if (!strncmp(ifname, "ifindex:", 8)) {
		int idx = atoi(ifname + 8);

		if (setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &idx, sizeof(idx)))
			return fail();
	} else if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname))) {
		return fail();
	}
	printf("ok\n");
	return 0;
}

/* io_uring listen without liburing: one SQE, raw syscalls. */
static int do_uring_listen(void)
{
	struct io_uring_params p = { 0 };
	int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM, 0), ring;
	unsigned *sq_tail, *sq_array, *cq_head, *cq_tail, *sq_mask, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq, *cq;

	if (fd < 0)
		return fail();
	ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0)
		return fail();
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return fail();
	sq_tail = (unsigned *)((char *)sq + p.sq_off.tail);
	sq_mask = (unsigned *)((char *)sq + p.sq_off.ring_mask);
	sq_array = (unsigned *)((char *)sq + p.sq_off.array);
	cq_head = (unsigned *)((char *)cq + p.cq_off.head);
	cq_tail = (unsigned *)((char *)cq + p.cq_off.tail);
	cq_mask = (unsigned *)((char *)cq + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);

	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = 57; /* IORING_OP_LISTEN (6.11) */
	sqes[0].fd = fd;
	sqes[0].len = 16; /* backlog */
	sq_array[*sq_tail & *sq_mask] = 0;
	__atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return fail();
	if (__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == *cq_head) {
		fprintf(stderr, "bgprobe: no completion\n");
		return 2;
	}
	if (cqes[*cq_head & *cq_mask].res < 0) {
		errno = -cqes[*cq_head & *cq_mask].res;
		return fail();
	}
	printf("listening %d %s dev=%d\n", bound_port(fd), bound_addr(fd), bound_dev(fd));
	fflush(stdout);
	wait_for_end();
	return 0;
}

static int do_fork_bind(const char *addr, int port)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(do_bind(addr, port));
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

static int do_fuzzbind(long count, unsigned seed)
{
	long ok = 0, escaped = 0;

	srand(seed);
	for (long i = 0; i < count; i++) {
		static const int fams[] = { AF_INET, AF_INET6, AF_UNSPEC, AF_UNIX, 255 };
		unsigned char buf[64];
		struct sockaddr_storage got;
		socklen_t glen = sizeof(got);
		int sfam = rand() % 2 ? AF_INET : AF_INET6;
		int fd = socket(sfam, rand() % 2 ? SOCK_STREAM : SOCK_DGRAM, 0);
		socklen_t len = (socklen_t)(rand() % (int)sizeof(buf));

		if (fd < 0)
			continue;
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (unsigned char)(rand() % 4 ? 0 : rand());
		/* Mostly plausible: the right family field and length. */
		if (rand() % 4) {
			sa_family_t f = (sa_family_t)(rand() % 3 ? sfam : fams[rand() % 5]);

			memcpy(buf, &f, sizeof(f));
			if (rand() % 2)
				len = sfam == AF_INET ? sizeof(struct sockaddr_in)
						      : sizeof(struct sockaddr_in6);
			/* Now and then a loopback address (127/8, ::1 or
			 * ::ffff:127/104) amid the noise, so that some binds
			 * succeed whatever the seed and the check means something. */
			if (rand() % 8 == 0) {
				if (sfam == AF_INET) {
					buf[4] = 127;
				} else {
					memset(buf + 8, 0, 16);
					if (rand() % 2) {
						buf[23] = 1;
					} else {
						buf[18] = buf[19] = 0xff;
						buf[20] = 127;
					}
				}
			}
		}
		if (!bind(fd, (struct sockaddr *)buf, len)) {
			ok++;
			if (getsockname(fd, (struct sockaddr *)&got, &glen) || !is_loopback(&got)) {
				if (++escaped <= 5)
					fprintf(stderr, "bgprobe: escaped: family %d len %u\n",
						sfam, len);
			}
		}
		close(fd);
	}
	printf("tries=%ld ok=%ld escaped=%ld\n", count, ok, escaped);
	return escaped != 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: bgprobe [--cgroup DIR] [--family 4|6|unspec] "
			"[--proto tcp|udp|mptcp|udplite] [--v6only 0|1] CMD ARGS (see source)\n");
	return 2;
}

int main(int argc, char **argv)
{
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		const char *o = argv[i] + 2, *v = argv[i + 1];

		if (!strcmp(o, "cgroup")) {
			join_cgroup(v);
		} else if (!strcmp(o, "family")) {
			family = !strcmp(v, "6") ? 6 : 4;
			unspec = !strcmp(v, "unspec");
		} else if (!strcmp(o, "proto")) {
			if (!strcmp(v, "udp")) {
				type = SOCK_DGRAM;
			} else if (!strcmp(v, "udplite")) {
				type = SOCK_DGRAM;
				proto = IPPROTO_UDPLITE;
			} else if (!strcmp(v, "mptcp")) {
				proto = IPPROTO_MPTCP;
			} else if (strcmp(v, "tcp")) {
				return usage();
			}
		} else if (!strcmp(o, "v6only")) {
			v6only = atoi(v);
		} else if (!strcmp(o, "device")) {
			device = v;
		} else {
			return usage();
		}
	}
	if (i >= argc)
		return usage();
	const char *cmd = argv[i];
	int n = argc - i - 1;
	char **a = argv + i + 1;

	if (!strcmp(cmd, "bind") && n == 2)
		return do_bind(a[0], atoi(a[1]));
	if (!strcmp(cmd, "serve") && n == 2)
		return do_serve(a[0], atoi(a[1]));
	if (!strcmp(cmd, "loop") && n == 3)
		return do_loop(a[0], atoi(a[1]), atof(a[2]));
	if (!strcmp(cmd, "storm") && n == 3)
		return do_storm(a[0], atoi(a[1]), atol(a[2]));
	if (!strcmp(cmd, "connect") && n == 2)
		return do_connect(a[0], atoi(a[1]));
	if (!strcmp(cmd, "sendto") && n == 2)
		return do_sendto(a[0], atoi(a[1]));
	if (!strcmp(cmd, "raw") && n == 0)
		return do_raw();
	if (!strcmp(cmd, "bindtodevice") && n == 1)
		return do_bindtodevice(a[0]);
	if (!strcmp(cmd, "serve-untie32") && n == 1)
		return do_serve_untie32(a[0]);
	if (!strcmp(cmd, "uring-listen") && n == 0)
		return do_uring_listen();
	if (!strcmp(cmd, "fork-bind") && n == 2)
		return do_fork_bind(a[0], atoi(a[1]));
	if (!strcmp(cmd, "fuzzbind") && n == 2)
		return do_fuzzbind(atol(a[0]), (unsigned)atol(a[1]));
	return usage();
}
