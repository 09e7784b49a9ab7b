// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "addr.h"
#include "bg_decide.h"
#include "policy.h"

#define RULE_MAXLEN 128

/* Decimal number without sign, spaces or superfluous leading zeros. */
static int parse_uint(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_ports(const char *s, struct bg_rule_src *r, const char *text, char *err,
		       size_t errlen)
{
	const char *dash = strchr(s, '-');
	unsigned lo, hi;

	if (dash) {
		if (parse_uint(s, (size_t)(dash - s), 65535, &lo) ||
		    parse_uint(dash + 1, strlen(dash + 1), 65535, &hi)) {
			snprintf(err, errlen,
				 "\"%s\": invalid port range (expected LO-HI, 0-65535)", text);
			return -1;
		}
		if (lo > hi) {
			snprintf(err, errlen, "\"%s\": port range %u-%u is reversed", text, lo, hi);
			return -1;
		}
	} else {
		if (parse_uint(s, strlen(s), 65535, &lo)) {
			snprintf(err, errlen, "\"%s\": invalid port (expected 0-65535)", text);
			return -1;
		}
		hi = lo;
	}
	r->port_lo = (__u16)lo;
	r->port_hi = (__u16)hi;
	return 0;
}

/* ADDR[/LEN] of one family into r; LEN is in that family's bits. */
static int parse_prefix(char *s, int family, struct bg_rule_src *r, const char *text, char *err,
			size_t errlen)
{
	char *slash = strchr(s, '/');
	unsigned len = family == 4 ? 32 : 128, max = len;
	char net[BG_ADDR_STRLEN];
	__u8 masked[16];

	if (slash) {
		*slash = '\0';
		if (parse_uint(slash + 1, strlen(slash + 1), max, &len)) {
			snprintf(err, errlen, "\"%s\": invalid prefix length (expected 0-%u)", text,
				 max);
			return -1;
		}
	}
	if (family == 4 ? bg_addr_parse4(s, r->addr) : bg_addr_parse6(s, r->addr)) {
		snprintf(err, errlen, "\"%s\": invalid IPv%d address \"%s\"", text, family, s);
		return -1;
	}
	r->family = (__u8)family;
	r->prefixlen = (__u8)(family == 4 ? 96 + len : len);
	memcpy(masked, r->addr, 16);
	if (bg_addr_mask(masked, r->prefixlen)) {
		bg_addr_format(masked, family, net, sizeof(net));
		snprintf(err, errlen, "\"%s\": host bits set; did you mean %s%s/%u%s?", text,
			 family == 6 ? "[" : "", net, len, family == 6 ? "]" : "");
		return -1;
	}
	return 0;
}

/* Is bare IPv6 text also an address and a port ("fd00::2:80": fd00::2 port
 * 80, or the address fd00::2:80)? Both readings must parse. */
static bool ambiguous_v6(const char *text)
{
	const char *last = strrchr(text, ':');
	char head[RULE_MAXLEN + 1];
	__u8 a[16];
	size_t k, digits;

	if (!last || strchr(text, '/'))
		return false;
	digits = strlen(last + 1);
	if (digits == 0 || digits > 5 || strspn(last + 1, "0123456789") != digits ||
	    atol(last + 1) > 65535)
		return false;
	k = (size_t)(last - text);
	memcpy(head, text, k);
	head[k] = '\0';
	return bg_addr_parse6(head, a) == 0 && bg_addr_parse6(text, a) == 0;
}

int bg_rule_parse(const char *text, struct bg_rule_src *out, char *err, size_t errlen)
{
	char buf[RULE_MAXLEN + 1], *ports = NULL;
	size_t n = strlen(text);
	int colons = 0;

	memset(out, 0, sizeof(*out));
	out->port_hi = 65535;
	if (n == 0) {
		snprintf(err, errlen, "empty exception");
		return -1;
	}
	if (n > RULE_MAXLEN) {
		snprintf(err, errlen, "exception longer than %d characters", RULE_MAXLEN);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)text[i] <= ' ' || (unsigned char)text[i] >= 0x7f) {
			snprintf(err, errlen, "\"%s\": unexpected character", text);
			return -1;
		}
		colons += text[i] == ':';
	}
	memcpy(buf, text, n + 1);

	if (buf[0] == '*') {
		/* Any address: ::/0 also covers every IPv4-mapped address. */
		out->family = 0;
		out->prefixlen = 0;
		if (buf[1] == '\0')
			return 0;
		if (buf[1] != ':') {
			snprintf(err, errlen, "\"%s\": expected * or *:PORT", text);
			return -1;
		}
		return parse_ports(buf + 2, out, text, err, errlen);
	}
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close) {
			snprintf(err, errlen, "\"%s\": missing ]", text);
			return -1;
		}
		*close = '\0';
		if (close[1] == ':')
			ports = close + 2;
		else if (close[1] != '\0') {
			snprintf(err, errlen, "\"%s\": expected :PORT after ]", text);
			return -1;
		}
		if (parse_prefix(buf + 1, 6, out, text, err, errlen))
			return -1;
	} else if (colons >= 2) {
		/* Bare IPv6 carries no port: the brackets say where the address ends. */
		if (strchr(buf, ']')) {
			snprintf(err, errlen, "\"%s\": unmatched ]", text);
			return -1;
		}
		if (ambiguous_v6(buf)) {
			size_t k = strrchr(buf, ':') - buf;

			snprintf(err, errlen,
				 "\"%s\" is ambiguous: write [%.*s]:%s for port %s, or [%s] for "
				 "that "
				 "address on any port",
				 text, (int)k, buf, buf + k + 1, buf + k + 1, buf);
			return -1;
		}
		if (parse_prefix(buf, 6, out, text, err, errlen))
			return -1;
	} else {
		char *colon = strchr(buf, ':');

		if (colon) {
			*colon = '\0';
			ports = colon + 1;
		}
		if (parse_prefix(buf, 4, out, text, err, errlen))
			return -1;
	}
	if (ports)
		return parse_ports(ports, out, text, err, errlen);
	return 0;
}

void bg_rule_format(const struct bg_rule_src *r, char *buf, size_t len)
{
	char addr[BG_ADDR_STRLEN + 8] = "*", ports[16] = "";

	if (r->family == 4) {
		bg_addr_format(r->addr, 4, addr, sizeof(addr));
		if (r->prefixlen < 128)
			snprintf(addr + strlen(addr), sizeof(addr) - strlen(addr), "/%u",
				 r->prefixlen - 96u);
	} else if (r->family == 6) {
		char a6[BG_ADDR_STRLEN];

		bg_addr_format(r->addr, 6, a6, sizeof(a6));
		if (r->prefixlen < 128)
			snprintf(addr, sizeof(addr), "[%s/%u]", a6, r->prefixlen);
		else
			snprintf(addr, sizeof(addr), "[%s]", a6);
	}
	if (r->port_lo == r->port_hi)
		snprintf(ports, sizeof(ports), ":%u", r->port_lo);
	else if (r->port_lo != 0 || r->port_hi != 65535)
		snprintf(ports, sizeof(ports), ":%u-%u", r->port_lo, r->port_hi);
	snprintf(buf, len, "%s%s", addr, ports);
}

int bg_spec_add_rule(struct bg_policy_spec *spec, const char *text, char *err, size_t errlen)
{
	struct bg_rule_src r;

	if (bg_rule_parse(text, &r, err, errlen))
		return -1;
	for (size_t i = 0; i < spec->nrules; i++)
		if (!memcmp(&spec->rules[i], &r, sizeof(r)))
			return 0;
	if (spec->nrules >= BG_MAX_RULES) {
		snprintf(err, errlen, "\"%s\": more than %d exceptions", text, BG_MAX_RULES);
		return -1;
	}
	spec->rules[spec->nrules++] = r;
	return 0;
}

void bg_policy_defaults(struct bg_policy_spec *spec, __u8 preset)
{
	memset(spec, 0, sizeof(*spec));
	spec->preset = preset;
	spec->mode = BG_MODE_ENFORCE;
	spec->proto_mask = BG_PROTO_ALL;
	spec->flags = BG_F_UDP_AUDIT;
}

/* NAME clear|set: one policy flag, cleared by the first word, set by the second. */
static int set_flag(__u8 *flags, __u8 flag, const char *value, const char *clear, const char *set,
		    char *err, size_t errlen)
{
	if (!strcasecmp(value, set)) {
		*flags |= flag;
	} else if (!strcasecmp(value, clear)) {
		*flags &= (__u8)~flag;
	} else {
		snprintf(err, errlen, "%s: expected %s or %s", value, clear, set);
		return -1;
	}
	return 0;
}

int bg_policy_set(struct bg_policy_spec *spec, const char *name, const char *value, char *err,
		  size_t errlen)
{
	if (!strcmp(name, "count-allowed"))
		return set_flag(&spec->flags, BG_F_COUNT_ALLOWED, value ? value : "true", "false",
				"true", err, errlen);
	if (!value) {
		snprintf(err, errlen, "needs a value");
		return -1;
	}
	if (!strcmp(name, "allow"))
		return bg_spec_add_rule(spec, value, err, errlen);
	if (!strcmp(name, "proto")) {
		if (bg_proto_parse(value, &spec->proto_mask) == 0)
			return 0;
		snprintf(err, errlen, "%s: expected tcp, udp or all", value);
		return -1;
	}
	if (!strcmp(name, "mode")) {
		if (bg_mode_parse(value, &spec->mode) == 0)
			return 0;
		snprintf(err, errlen, "%s: expected enforce, audit or rewrite", value);
		return -1;
	}
	if (!strcmp(name, "udp-autobind")) {
		__u8 f = spec->flags & (__u8) ~(BG_F_UDP_AUDIT | BG_F_UDP_DENY);

		if (!strcasecmp(value, "audit")) {
			f |= BG_F_UDP_AUDIT;
		} else if (!strcasecmp(value, "deny")) {
			f |= BG_F_UDP_DENY;
		} else if (strcasecmp(value, "allow")) {
			snprintf(err, errlen, "%s: expected allow, audit or deny", value);
			return -1;
		}
		spec->flags = f;
		return 0;
	}
	if (!strcmp(name, "raw"))
		return set_flag(&spec->flags, BG_F_RAW_DENY, value, "allow", "deny", err, errlen);
	if (!strcmp(name, "ping"))
		return set_flag(&spec->flags, BG_F_PING_ALLOW, value, "confine", "allow", err,
				errlen);
	if (!strcmp(name, "other-protocols"))
		return set_flag(&spec->flags, BG_F_OTHER_ALLOW, value, "deny", "allow", err,
				errlen);
	snprintf(err, errlen, "unknown option");
	return -2;
}

int bg_spec_add_rules_text(struct bg_policy_spec *spec, const char *text, char *err, size_t errlen,
			   int *line)
{
	char buf[RULE_MAXLEN * 2];

	*line = 0;
	while (*text) {
		size_t n = strcspn(text, "\n"), k;
		char *p = buf;

		++*line;
		if (n >= sizeof(buf)) {
			snprintf(err, errlen, "line longer than %zu characters", sizeof(buf) - 1);
			return -1;
		}
		memcpy(buf, text, n);
		buf[n] = '\0';
		text += n + (text[n] == '\n');
		buf[strcspn(buf, "#")] = '\0';
		p += strspn(p, " \t\r");
		k = strlen(p);
		while (k && strchr(" \t\r", p[k - 1]))
			p[--k] = '\0';
		if (*p && bg_spec_add_rule(spec, p, err, errlen))
			return -1;
	}
	return 0;
}

int bg_proto_parse(const char *s, __u8 *mask)
{
	if (!strcasecmp(s, "tcp"))
		*mask = BG_PROTO_TCP;
	else if (!strcasecmp(s, "udp"))
		*mask = BG_PROTO_UDP;
	else if (!strcasecmp(s, "all"))
		*mask = BG_PROTO_ALL;
	else
		return -1;
	return 0;
}

int bg_mode_parse(const char *s, __u8 *mode)
{
	if (!strcasecmp(s, "enforce"))
		*mode = BG_MODE_ENFORCE;
	else if (!strcasecmp(s, "audit"))
		*mode = BG_MODE_AUDIT;
	else if (!strcasecmp(s, "rewrite"))
		*mode = BG_MODE_REWRITE;
	else
		return -1;
	return 0;
}

const char *bg_proto_name(__u8 mask)
{
	switch (mask) {
	case BG_PROTO_TCP:
		return "tcp";
	case BG_PROTO_UDP:
		return "udp";
	case BG_PROTO_ALL:
		return "all";
	default:
		return "mixed";
	}
}

const char *bg_mode_name(__u8 mode)
{
	return mode == BG_MODE_ENFORCE	 ? "enforce"
	       : mode == BG_MODE_AUDIT	 ? "audit"
	       : mode == BG_MODE_REWRITE ? "rewrite"
					 : "unknown";
}

const char *bg_preset_name(__u8 preset)
{
	return preset == BG_PRESET_LOOPBACK_ONLY   ? "loopback-only"
	       : preset == BG_PRESET_DENY_WILDCARD ? "deny-wildcard"
						   : "unknown";
}

const char *bg_reason_name(__u8 reason)
{
	switch (reason) {
	case BG_REASON_WILDCARD:
		return "wildcard";
	case BG_REASON_NOT_LOOPBACK:
		return "not-loopback";
	case BG_REASON_RAW:
		return "raw-socket";
	case BG_REASON_DEVICE:
		return "bind-to-device";
	case BG_REASON_PING:
		return "ping-socket";
	case BG_REASON_OWN_BIND:
		return "own-bind-protocol";
	case BG_REASON_LOOPBACK_NET:
		return "loopback-from-network";
	default:
		return "none";
	}
}

const char *bg_verdict_name(__u8 verdict)
{
	switch (verdict) {
	case BG_VERDICT_DENY:
		return "deny";
	case BG_VERDICT_AUDIT:
		return "audit";
	case BG_VERDICT_CONFINE:
		return "confine";
	case BG_VERDICT_REWRITE:
		return "rewrite";
	case BG_VERDICT_CLOSE:
		return "close";
	default:
		return "allow";
	}
}

const char *bg_udp_autobind_name(__u8 flags)
{
	return flags & BG_F_UDP_DENY ? "deny" : flags & BG_F_UDP_AUDIT ? "audit" : "allow";
}

const char *bg_ping_name(__u8 flags)
{
	return flags & BG_F_PING_ALLOW ? "allow" : "confine";
}

const char *bg_other_name(__u8 flags)
{
	return flags & BG_F_OTHER_ALLOW ? "allow" : "deny";
}

const char *bg_raw_name(__u8 flags)
{
	return flags & BG_F_RAW_DENY ? "deny" : "allow";
}

/* Does prefix (a, alen) contain address b? */
static int contains(const __u8 a[16], unsigned alen, const __u8 b[16])
{
	__u8 masked[16];

	memcpy(masked, b, 16);
	bg_addr_mask(masked, alen);
	return !memcmp(masked, a, 16);
}

static int cmp_range(const void *x, const void *y)
{
	const struct bg_port_range *a = x, *b = y;

	return a->lo != b->lo ? (a->lo < b->lo ? -1 : 1) : (a->hi < b->hi ? -1 : a->hi > b->hi);
}

int bg_rules_compile(const struct bg_rule_src *rules, size_t n, __u32 ruleset,
		     struct bg_lpm_entry *out, char *err, size_t errlen)
{
	struct bg_port_range *tmp = calloc(n ? n : 1, sizeof(*tmp));
	size_t nout = 0;

	if (!tmp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct bg_lpm_entry *e;
		size_t k = 0, merged = 0;
		bool dup = false;

		for (size_t j = 0; j < nout && !dup; j++)
			dup = out[j].key.prefixlen == 32u + rules[i].prefixlen &&
			      !memcmp(out[j].key.addr, rules[i].addr, 16);
		if (dup)
			continue;
		/* Every rule whose prefix contains this one lends its ports. */
		for (size_t j = 0; j < n; j++)
			if (rules[j].prefixlen <= rules[i].prefixlen &&
			    contains(rules[j].addr, rules[j].prefixlen, rules[i].addr)) {
				tmp[k].lo = rules[j].port_lo;
				tmp[k++].hi = rules[j].port_hi;
			}
		qsort(tmp, k, sizeof(*tmp), cmp_range);
		for (size_t j = 1; j < k; j++) {
			if ((unsigned)tmp[j].lo <= (unsigned)tmp[merged].hi + 1) {
				if (tmp[j].hi > tmp[merged].hi)
					tmp[merged].hi = tmp[j].hi;
			} else {
				tmp[++merged] = tmp[j];
			}
		}
		merged = k ? merged + 1 : 0;
		if (merged > BG_MAX_PORT_RANGES) {
			char text[96];

			bg_rule_format(&rules[i], text, sizeof(text));
			snprintf(err, errlen,
				 "%s: %zu separate port ranges apply to this prefix; at most %d",
				 text, merged, BG_MAX_PORT_RANGES);
			free(tmp);
			return -1;
		}
		e = &out[nout++];
		memset(e, 0, sizeof(*e));
		e->key.prefixlen = 32 + rules[i].prefixlen;
		e->key.ruleset = ruleset;
		memcpy(e->key.addr, rules[i].addr, 16);
		e->val.nranges = (__u32)merged;
		memcpy(e->val.r, tmp, merged * sizeof(*tmp));
	}
	free(tmp);
	return (int)nout;
}

int bg_spec_check(const struct bg_policy_spec *spec, char *err, size_t errlen)
{
	struct bg_lpm_entry *ents;
	int n;

	/* An exception for every address of a family on every port leaves the
	 * policy nothing to refuse there: a mistake, never a policy. */
	for (size_t i = 0; i < spec->nrules; i++) {
		const struct bg_rule_src *r = &spec->rules[i];
		const char *what = NULL;
		char text[64];

		if (r->port_lo != 0 || r->port_hi != 65535)
			continue;
		if (r->family == 0 || (r->family == 6 && r->prefixlen == 0))
			what = "every address";
		else if (r->family == 4 && r->prefixlen == 96)
			what = "every IPv4 address";
		if (!what)
			continue;
		bg_rule_format(r, text, sizeof(text));
		snprintf(err, errlen,
			 "\"%s\" admits %s on every port: the policy would refuse nothing there "
			 "(name the ports, *:PORT, or the addresses; `bindguard detach` removes a "
			 "policy, --mode audit reports without refusing)",
			 text, what);
		return -1;
	}
	if (!spec->nrules)
		return 0;
	ents = calloc(spec->nrules, sizeof(*ents));
	if (!ents) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = bg_rules_compile(spec->rules, spec->nrules, 1, ents, err, errlen);
	free(ents);
	return n < 0 ? -1 : 0;
}

__u32 bg_stats_slots(int ncpus)
{
	__u64 n = BG_STATS_BUDGET / ((__u64)sizeof(struct bg_stats) * (ncpus > 0 ? ncpus : 1));

	if (n > BG_MAX_POLICIES)
		n = BG_MAX_POLICIES;
	if (n < BG_MIN_POLICY_SLOTS)
		n = BG_MIN_POLICY_SLOTS;
	return (__u32)n;
}

/* The entry that decides for addr: the longest prefix containing it. */
static const struct bg_lpm_entry *longest_match(const struct bg_lpm_entry *e, size_t n,
						const __u8 addr[16])
{
	const struct bg_lpm_entry *best = NULL;

	for (size_t i = 0; i < n; i++) {
		unsigned len = e[i].key.prefixlen - 32;

		if (contains(e[i].key.addr, len, addr) &&
		    (!best || e[i].key.prefixlen > best->key.prefixlen))
			best = &e[i];
	}
	return best;
}

const struct bg_rule_val *bg_rules_lookup(const struct bg_lpm_entry *e, size_t n,
					  const __u8 addr[16])
{
	const struct bg_lpm_entry *best = longest_match(e, n, addr);

	return best ? &best->val : NULL;
}

int bg_rules_match(const struct bg_lpm_entry *e, size_t n, const __u8 addr[16], __u16 port)
{
	return bg_excepted(bg_rules_lookup(e, n, addr), port);
}
