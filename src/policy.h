/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The policy model: presets, modes, protocols, and --allow exceptions, parsed
 * from text and compiled into LPM trie entries. Pure: no libbpf, no syscalls,
 * so every line of it is unit-tested without root.
 */
#ifndef BG_POLICY_H
#define BG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "bindguard.h"

/* One line of error text, for "bindguard: ...: <err>". */
#define BG_ERRLEN 256

struct bg_policy_spec {
	__u8 preset;	 /* enum bg_preset */
	__u8 mode;	 /* enum bg_mode */
	__u8 proto_mask; /* enum bg_proto_bit; BG_PROTO_ALL by default */
	__u8 flags;	 /* enum bg_policy_flag; BG_F_UDP_AUDIT by default */
	__u32 ring;	 /* private ring slot (bindguard run), 0: the shared ring */
	size_t nrules;
	struct bg_rule_src rules[BG_MAX_RULES];
};

/*
 * Parse one --allow exception. Accepted forms (PORTS is PORT or LO-HI, 0..65535):
 *   A.B.C.D  A.B.C.D/N  A.B.C.D:PORTS  A.B.C.D/N:PORTS
 *   [V6]  [V6/N]  [V6]:PORTS  [V6/N]:PORTS   and bare V6 or V6/N (no port)
 *   *:PORTS  or  *   (any address, IPv4 and IPv6)
 * A prefix with host bits set is rejected (the message suggests the network).
 * Returns 0, or -1 with a one-line reason in err.
 */
int bg_rule_parse(const char *text, struct bg_rule_src *out, char *err, size_t errlen);

/* The canonical text of a rule; parsing it gives the same rule back. */
void bg_rule_format(const struct bg_rule_src *r, char *buf, size_t len);

/* Append a parsed rule; duplicates are dropped. -1 with err when full. */
int bg_spec_add_rule(struct bg_policy_spec *spec, const char *text, char *err, size_t errlen);

/* Add the rules of a text, one per line; "#" starts a comment, blank lines
 * are skipped (what run --suggest writes). 0, or -1 with err and *line the
 * 1-based line at fault. */
int bg_spec_add_rules_text(struct bg_policy_spec *spec, const char *text, char *err, size_t errlen,
			   int *line);

/* Can the exceptions of spec be compiled (port ranges per prefix within
 * BG_MAX_PORT_RANGES)? Checked before anything touches the kernel. 0, or -1
 * with err. */
int bg_spec_check(const struct bg_policy_spec *spec, char *err, size_t errlen);

/* The defaults of a new policy: enforce, every protocol, UDP autobind
 * audited, nothing else set. */
void bg_policy_defaults(struct bg_policy_spec *spec, __u8 preset);

/*
 * Set one policy option by its long name, as --NAME VALUE on the command
 * line and io.bindguard.NAME in a container annotation: allow, proto, mode,
 * udp-autobind, raw, ping, other-protocols, count-allowed (VALUE true or
 * false; NULL means true). 0, or -1 with err, the text that follows
 * "--NAME " in a message ("VALUE: expected ..."); -2 for an unknown NAME.
 */
int bg_policy_set(struct bg_policy_spec *spec, const char *name, const char *value, char *err,
		  size_t errlen);

int bg_proto_parse(const char *s, __u8 *mask); /* "tcp" "udp" "all"; -1 if unknown */
int bg_mode_parse(const char *s, __u8 *mode);  /* "enforce" "audit" "rewrite"; -1 if unknown */
const char *bg_proto_name(__u8 mask);	       /* "tcp" "udp" "all" or "mixed" */
const char *bg_mode_name(__u8 mode);	       /* "enforce" "audit" "rewrite" "unknown" */
const char *bg_preset_name(__u8 preset);       /* "loopback-only" "deny-wildcard" "unknown" */
const char *bg_reason_name(__u8 reason);       /* "wildcard" "not-loopback" "none" */
const char *bg_verdict_name(__u8 verdict);     /* "allow" "deny" "audit" "confine" "rewrite" */
const char *bg_udp_autobind_name(__u8 flags);  /* "allow" "audit" "deny" */
const char *bg_raw_name(__u8 flags);
const char *bg_ping_name(__u8 flags);			    /* "confine" "allow" */
const char *bg_other_name(__u8 flags); /* "deny" "allow" */ /* "allow" "deny" */
/* One LPM trie entry; key.ruleset is filled in by bg_rules_compile. */
struct bg_lpm_entry {
	struct bg_rule_key key;
	struct bg_rule_val val;
};

/*
 * Compile rules into LPM entries for ruleset: one entry per distinct prefix,
 * whose value holds the merged (sorted, overlaps and neighbours joined) port
 * ranges of every rule whose prefix contains that prefix, so that the single
 * longest-prefix match decides. out must hold n entries. Returns the number
 * of entries, or -1 with err (too many distinct port ranges for one prefix).
 */
int bg_rules_compile(const struct bg_rule_src *rules, size_t n, __u32 ruleset,
		     struct bg_lpm_entry *out, char *err, size_t errlen);

/* Slots of the per-CPU "stats" map for a machine with ncpus possible CPUs:
 * BG_MAX_POLICIES, or fewer where that would take more than
 * BG_STATS_BUDGET (never fewer than BG_MIN_POLICY_SLOTS). One slot is
 * reserved, so bindguard holds one policy fewer. */
__u32 bg_stats_slots(int ncpus);

/* Userspace model of the programs' exception lookup over compiled entries:
 * the value of the longest prefix containing addr (NULL: none), as the
 * trie lookup of bpf/policy.bpf.h returns it; bg_rules_match adds the
 * port check (bg_excepted). For the tests. */
const struct bg_rule_val *bg_rules_lookup(const struct bg_lpm_entry *e, size_t n,
					  const __u8 addr[16]);
int bg_rules_match(const struct bg_lpm_entry *e, size_t n, const __u8 addr[16], __u16 port);

#endif
