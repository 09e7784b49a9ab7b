// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The differential corpus (corpus.h) and its pure verdicts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "bg_decide.h"
#include "corpus.h"
#include "policy.h"

static const char *const presets[] = { "loopback-only", "deny-wildcard" };
static const char *const modes[] = { "enforce", "audit", "rewrite" };

/*
 * The exception sets, every form of `--allow` (P is the port range
 * base+10 .. base+19): none; specific addresses (A.B.C.D, A.B.C.D/N,
 * A.B.C.D:P, A.B.C.D/N:P, [V6], [V6/N], [V6]:P, [V6/N]:P); the wildcards
 * (0.0.0.0:P, [::]:P); any address with ports (*:P); any address on every
 * port but 0 (*:1-65535: "*" alone, which admits everything, is refused).
 */
static const char *const sets[] = {
	"",
	"192.0.2.1 198.51.100.0/24 203.0.113.5:P 10.1.0.0/16:P [2001:db8::1] [2001:db8:1::/48] "
	"[2001:db8::2]:P [2001:db8:2::/48]:P",
	"0.0.0.0:P [::]:P",
	"*:P",
	"*:1-65535",
};

/* Where the binds go: each rule's address, one no rule names, loopback and
 * the wildcards. IPv4 ones in three spellings (AF_UNSPEC only where the
 * kernel could accept it: the wildcard, and one address to show it refused
 * first), IPv6 ones in one. */
static const char *const v4[] = { "0.0.0.0",	  "127.0.0.1",	 "192.0.2.1", "192.0.2.2",
				  "198.51.100.7", "203.0.113.5", "10.1.2.3" };
static const char *const v6[] = { "::",		 "::1",		  "2001:db8::1", "2001:db8:1::5",
				  "2001:db8::2", "2001:db8:2::9", "fd00::1" };
#define NV4	  (int)(sizeof(v4) / sizeof(v4[0]))
#define NV6	  (int)(sizeof(v6) / sizeof(v6[0]))
#define NUNSPEC	  2 /* the first two IPv4 targets that get an AF_UNSPEC spelling */
#define NTARGETS  (2 * NV4 + NUNSPEC + NV6)
#define NPORTS	  3
#define NPOLICIES (int)(2 * 3 * (sizeof(sets) / sizeof(sets[0])))
#define PER_POL	  (NTARGETS * NPORTS * 2 * 2) /* targets, ports, protocols, cgroups */

int bg_corpus_size(void)
{
	return NPOLICIES * PER_POL;
}

int bg_corpus_policies(void)
{
	return NPOLICIES;
}

static void expand(const char *set, int base, char *out, size_t len)
{
	size_t o = 0;

	for (; *set && o + 12 < len; set++) {
		if (*set == 'P')
			o += (size_t)snprintf(out + o, len - o, "%d-%d", base + 10, base + 19);
		else
			out[o++] = *set;
	}
	out[o] = 0;
}

void bg_corpus_case(int i, int base, struct bg_case *c)
{
	int pol = i / PER_POL, r = i % PER_POL, t, k;

	memset(c, 0, sizeof(*c));
	c->policy = pol;
	c->preset = presets[pol % 2];
	c->mode = modes[pol / 2 % 3];
	expand(sets[pol / 6], base, c->allow, sizeof(c->allow));
	c->child = r % 2;
	c->stream = r / 2 % 2;
	k = r / 4 % NPORTS;
	c->port = k == 0 ? 0 : k == 1 ? base + 15 : base + 50;
	t = r / 4 / NPORTS;
	if (t < NV4) {
		c->spelling = BG_SP_INET;
		snprintf(c->addr, sizeof(c->addr), "%s", v4[t]);
	} else if (t < 2 * NV4) {
		c->spelling = BG_SP_MAPPED;
		snprintf(c->addr, sizeof(c->addr), "::ffff:%s", v4[t - NV4]);
	} else if (t < 2 * NV4 + NUNSPEC) {
		c->spelling = BG_SP_UNSPEC;
		snprintf(c->addr, sizeof(c->addr), "%s", v4[t - 2 * NV4]);
	} else {
		c->spelling = BG_SP_INET6;
		snprintf(c->addr, sizeof(c->addr), "%s", v6[t - 2 * NV4 - NUNSPEC]);
	}
}

static int preset_of(const char *name)
{
	return !strcmp(name, "loopback-only")	? BG_PRESET_LOOPBACK_ONLY
	       : !strcmp(name, "deny-wildcard") ? BG_PRESET_DENY_WILDCARD
						: -1;
}

int bg_case_verdict(const struct bg_case *c)
{
	static struct bg_policy_spec spec;
	static struct bg_lpm_entry ents[BG_MAX_RULES];
	struct bg_policy p = { .proto_mask = BG_PROTO_ALL };
	char rules[sizeof(c->allow)], err[BG_ERRLEN], *save = NULL;
	const struct bg_rule_val *v;
	__u8 a[16];
	__u32 w[4];
	int n = 0, preset = preset_of(c->preset);

	memset(&spec, 0, sizeof(spec));
	snprintf(rules, sizeof(rules), "%s", c->allow);
	for (char *tok = strtok_r(rules, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (bg_spec_add_rule(&spec, tok, err, sizeof(err)))
			return -1;
	if (spec.nrules) {
		n = bg_rules_compile(spec.rules, spec.nrules, 1, ents, err, sizeof(err));
		if (n < 0)
			return -1;
		p.ruleset = 1;
	}
	if (preset < 0 || bg_mode_parse(c->mode, &p.mode))
		return -1;
	p.preset = (__u8)preset;
	if (c->spelling == BG_SP_INET || c->spelling == BG_SP_UNSPEC ? bg_addr_parse4(c->addr, a)
								     : bg_addr_parse6(c->addr, a))
		return -1;
	bg_addr_words(a, w);
	v = bg_rules_lookup(ents, (size_t)n, a);
	return bg_bind_verdict(&p, w, c->stream ? BG_SOCK_STREAM : BG_SOCK_DGRAM, (__u16)c->port, v,
			       c->spelling != BG_SP_UNSPEC);
}

static const char *const spellings[] = { "inet", "unspec", "inet6", "mapped" };

void bg_case_format(const struct bg_case *c, char *buf, int len)
{
	char allow[sizeof(c->allow)];

	snprintf(allow, sizeof(allow), "%s", c->allow[0] ? c->allow : "-");
	for (char *s = allow; *s; s++)
		if (*s == ' ')
			*s = ',';
	snprintf(buf, (size_t)len, "%d %s %s %s %s %s %s %s %d", c->policy, c->preset, c->mode,
		 allow, c->child ? "child" : "self", c->stream ? "tcp" : "udp",
		 spellings[c->spelling], c->addr, c->port);
}

int bg_case_parse(const char *line, struct bg_case *c)
{
	char preset[32], mode[32], allow[256], where[16], proto[8], sp[16];
	int k;

	memset(c, 0, sizeof(*c));
	if (sscanf(line, "%d %31s %31s %255s %15s %7s %15s %63s %d", &c->policy, preset, mode,
		   allow, where, proto, sp, c->addr, &c->port) != 9)
		return -1;
	c->preset = !strcmp(preset, presets[0]) ? presets[0] : presets[1];
	for (k = 0; k < 3 && strcmp(mode, modes[k]); k++)
		;
	if (k == 3 || preset_of(preset) < 0)
		return -1;
	c->mode = modes[k];
	snprintf(c->allow, sizeof(c->allow), "%s", strcmp(allow, "-") ? allow : "");
	for (char *s = c->allow; *s; s++)
		if (*s == ',')
			*s = ' ';
	c->child = !strcmp(where, "child");
	c->stream = !strcmp(proto, "tcp");
	for (k = 0; k < 4 && strcmp(sp, spellings[k]); k++)
		;
	if (k == 4)
		return -1;
	c->spelling = k;
	return 0;
}
