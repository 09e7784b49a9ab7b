/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The differential corpus: binds under every preset and mode, with every
 * exception form, decided here by the pure decision of include/bg_decide.h
 * (over the rules as src/policy.c compiles them) and, in
 * tests/integration/t_decide.sh, by real binds in real cgroups
 * (tests/helpers/bgdecide.c). Both must agree on every case.
 */
#ifndef BG_CORPUS_H
#define BG_CORPUS_H

/* How the address reaches bind(). */
enum bg_spelling {
	BG_SP_INET,   /* AF_INET socket, AF_INET sockaddr */
	BG_SP_UNSPEC, /* AF_INET socket, AF_UNSPEC sockaddr */
	BG_SP_INET6,  /* AF_INET6 socket (dual-stack), IPv6 address */
	BG_SP_MAPPED, /* AF_INET6 socket (dual-stack), ::ffff:a.b.c.d */
};

struct bg_case {
	int policy;	    /* index of the case's policy, 0 .. bg_corpus_policies() - 1 */
	const char *preset; /* "loopback-only" or "deny-wildcard" */
	const char *mode;   /* "enforce", "audit" or "rewrite" */
	char allow[256];    /* the policy's --allow rules, space-separated ("" none) */
	int child;	    /* 1: bound from a sub-cgroup of the policed cgroup */
	int stream;	    /* 1: TCP, 0: UDP */
	int spelling;	    /* enum bg_spelling */
	char addr[64];	    /* the address as passed to bind() (mapped: ::ffff:a.b.c.d) */
	int port;	    /* 0, inside the rules' port range, or outside it */
};

/* The number of cases and of distinct policies. */
int bg_corpus_size(void);
int bg_corpus_policies(void);

/* Case i, its ports relative to base (the rules' range is base+10 ..
 * base+19; base + 19 must be <= 65535). */
void bg_corpus_case(int i, int base, struct bg_case *c);

/* The pure verdict on the case (enum bg_verdict), or -1 if its rules do not
 * parse or compile (a corpus error). */
int bg_case_verdict(const struct bg_case *c);

/* The case as one line of text without the verdict:
 * "POLICY PRESET MODE [ALLOW,...|-] self|child tcp|udp inet|unspec|inet6|mapped ADDR PORT". */
void bg_case_format(const struct bg_case *c, char *buf, int len);

/* Parse what bg_case_format wrote. 0, or -1. allow gets the rules with
 * spaces. */
int bg_case_parse(const char *line, struct bg_case *c);

#endif
