// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bgdecide: the two sides of the differential test (tests/unit/corpus.h).
 *
 *   bgdecide cases BASE
 *       every case of the corpus, its ports relative to BASE, one a line:
 *       "ID CASE VERDICT" (CASE as bg_case_format writes it, VERDICT the
 *       pure decision of include/bg_decide.h: allow deny audit rewrite)
 *   bgdecide [--cgroup DIR] bind
 *       joins DIR, then for each line "ID CASE ..." on stdin makes that bind
 *       for real and prints "ID OUTCOME DETAIL": OUTCOME deny (EPERM),
 *       rewrite (a wildcard bound to loopback, by address or by device) or
 *       allow (anything else got past the hooks: bound as asked, or refused
 *       by the kernel after them, e.g. EADDRNOTAVAIL); DETAIL says what
 *       happened (errno name, or the bound address and device).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "addr.h"
#include "bg_decide.h"
#include "corpus.h"
#include "join.h"
#include "policy.h"

#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62
#endif

static int cases(int base)
{
	char line[512];

	if (base < 1024 || base > 65535 - 19) {
		fprintf(stderr, "bgdecide: BASE must be 1024..65516\n");
		return 2;
	}
	for (int i = 0; i < bg_corpus_size(); i++) {
		struct bg_case c;
		int v;

		bg_corpus_case(i, base, &c);
		v = bg_case_verdict(&c);
		bg_case_format(&c, line, sizeof(line));
		if (v < 0) {
			fprintf(stderr, "bgdecide: case %d does not compile: %s\n", i, line);
			return 1;
		}
		printf("%d %s %s\n", i, line, bg_verdict_name((__u8)v));
	}
	return 0;
}

/* One real bind; writes OUTCOME and DETAIL. */
static void bind_one(const struct bg_case *c, char *out, size_t len)
{
	int v6 = c->spelling == BG_SP_INET6 || c->spelling == BG_SP_MAPPED, off = 0, fd, r;
	int type = c->stream ? SOCK_STREAM : SOCK_DGRAM, dev = 0;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl, dl = sizeof(dev);
	char text[INET6_ADDRSTRLEN] = "?";
	__u8 asked[16], got[16];
	__u32 wa[4], wg[4];

	if (v6 ? bg_addr_parse6(c->addr, asked) : bg_addr_parse4(c->addr, asked)) {
		snprintf(out, len, "error bad-address");
		return;
	}
	fd = socket(v6 ? AF_INET6 : AF_INET, type, 0);
	if (fd < 0) {
		snprintf(out, len, "error socket:%s", strerrorname_np(errno));
		return;
	}
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((__u16)c->port);
		memcpy(&s6->sin6_addr, asked, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = c->spelling == BG_SP_UNSPEC ? AF_UNSPEC : AF_INET;
		s4->sin_port = htons((__u16)c->port);
		memcpy(&s4->sin_addr, asked + 12, 4);
		sl = sizeof(*s4);
	}
	r = bind(fd, (struct sockaddr *)&ss, sl);
	if (r) {
		snprintf(out, len, "%s %s", errno == EPERM ? "deny" : "allow",
			 strerrorname_np(errno));
		close(fd);
		return;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &dev, &dl);
	close(fd);
	if (ss.ss_family == AF_INET6) {
		memcpy(got, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		inet_ntop(AF_INET6, got, text, sizeof(text));
	} else {
		bg_addr_parse4("0.0.0.0", got);
		memcpy(got + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		inet_ntop(AF_INET, got + 12, text, sizeof(text));
	}
	bg_addr_words(asked, wa);
	bg_addr_words(got, wg);
	snprintf(out, len, "%s bound=%s dev=%d",
		 bg_addr_class(wa) == BG_ADDR_WILDCARD &&
				 (bg_addr_class(wg) == BG_ADDR_LOOPBACK || dev == 1)
			 ? "rewrite"
			 : "allow",
		 text, dev);
}

static int binds(void)
{
	char line[512], out[128];

	while (fgets(line, sizeof(line), stdin)) {
		struct bg_case c;
		char *rest;
		long id = strtol(line, &rest, 10);

		if (rest == line || bg_case_parse(rest, &c)) {
			fprintf(stderr, "bgdecide: not a case: %s", line);
			return 2;
		}
		bind_one(&c, out, sizeof(out));
		printf("%ld %s\n", id, out);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc > 3 && !strcmp(argv[1], "--cgroup")) {
		if (bg_join_cgroup("bgdecide", argv[2]))
			return 1;
		i = 3;
	}
	if (i < argc && !strcmp(argv[i], "cases") && i + 1 < argc)
		return cases(atoi(argv[i + 1]));
	if (i < argc && !strcmp(argv[i], "bind"))
		return binds();
	fprintf(stderr, "usage: bgdecide cases BASE | bgdecide [--cgroup DIR] bind\n");
	return 2;
}
