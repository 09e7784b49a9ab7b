// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Policy files (conf.h): libinih reads the lines, this file checks them. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ini.h>
#include "conf.h"

/* Longest line accepted; a longer one is an error, never cut in two. */
#define LINE_MAX_LEN 4096
/* The most policies one configuration holds: more than the kernel side. */
#define CONF_MAX_POLICIES 4096

/* The keys of [Policy] that are policy options, and their bg_policy_set names. */
static const struct {
	const char *key, *option;
} keys[] = {
	{ "Allow", "allow" },
	{ "Mode", "mode" },
	{ "Proto", "proto" },
	{ "UDPAutobind", "udp-autobind" },
	{ "Raw", "raw" },
	{ "Ping", "ping" },
	{ "OtherProtocols", "other-protocols" },
	{ "CountAllowed", "count-allowed" },
};

struct parse {
	struct bg_conf *c;
	const char *name, *text, *pos;
	int line;     /* of the line libinih has just read */
	int sections; /* section headers read so far */
	int in;	      /* the section the current policy came from (0: none yet) */
	int header_line;
	bool have_cgroup, have_preset, failed;
	char *err;
	size_t errlen;
};

/* libinih's reader: one line of the text, counted, headers noted. */
static int fail(struct parse *p, const char *fmt, const char *a, const char *b);

/* A section header: [Policy] only, and never an empty one before it. */
static bool header(struct parse *p, const char *s)
{
	if (p->sections && p->in != p->sections) {
		snprintf(p->err, p->errlen,
			 "%s:%d: [Policy] with no keys (expected Cgroup= and "
			 "Preset=)",
			 p->name, p->header_line);
		p->failed = true;
		return false;
	}
	p->header_line = p->line;
	if (strncmp(s, "[Policy]", 8) || strspn(s + 8, " \t\r\n") != strlen(s + 8)) {
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(s, "\r\n"), s);
		fail(p, "%s: unknown section (expected [Policy])", name, NULL);
		return false;
	}
	return true;
}

static char *reader(char *buf, int size, void *arg)
{
	struct parse *p = arg;
	size_t n = strcspn(p->pos, "\n"), take;
	const char *s = buf;

	if (!*p->pos)
		return NULL;
	take = n + (p->pos[n] == '\n');
	if ((int)take >= size) { /* never cut a line in two: stop with an error */
		char what[64];

		snprintf(what, sizeof(what), "line longer than %d characters", size - 1);
		p->line++;
		fail(p, "%s", what, NULL);
		return NULL;
	}
	memcpy(buf, p->pos, take);
	buf[take] = '\0';
	p->pos += take;
	p->line++;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '[') {
		if (!header(p, s))
			return NULL;
		p->sections++;
	}
	return buf;
}

static int fail(struct parse *p, const char *fmt, const char *a, const char *b)
{
	char what[BG_ERRLEN * 2];

	if (!p->failed) {
		snprintf(what, sizeof(what), fmt, a, b);
		snprintf(p->err, p->errlen, "%s:%d: %s", p->name, p->line, what);
		p->failed = true;
	}
	return 0;
}

/* Close the policy being read: it must have named its cgroup and preset. */
static int finish(struct parse *p)
{
	struct bg_conf_policy *cp;

	if (!p->in)
		return 0;
	cp = &p->c->p[p->c->n - 1];
	if (!p->have_cgroup || !p->have_preset) {
		snprintf(p->err, p->errlen, "%s: [Policy] needs %s", cp->where,
			 !p->have_cgroup ? "Cgroup= (the cgroup it polices)"
					 : "Preset= (loopback-only or deny-wildcard)");
		return -1;
	}
	if (bg_spec_check(&cp->spec, p->err, p->errlen)) {
		char why[BG_ERRLEN];

		snprintf(why, sizeof(why), "%s", p->err);
		snprintf(p->err, p->errlen, "%s: %s", cp->where, why);
		return -1;
	}
	return 0;
}

static bool bool_word(const char *v, const char **out)
{
	static const char *yes[] = { "yes", "true", "on", "1" },
			  *no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = "true", true;
		if (!strcasecmp(v, no[i]))
			return *out = "false", true;
	}
	return false;
}

static int set_cgroup(struct parse *p, struct bg_conf_policy *cp, const char *v)
{
	if (p->have_cgroup)
		return fail(p, "Cgroup= given twice in one [Policy] (one section per cgroup)", NULL,
			    NULL);
	if (v[0] != '/')
		return fail(p,
			    "Cgroup=%s: expected a path from the cgroup v2 root, such as "
			    "/system.slice/web.service",
			    v, NULL);
	if (!strncmp(v, "/sys/", 5))
		return fail(p,
			    "Cgroup=%s: write the path from the cgroup v2 mount (%s), not "
			    "through /sys",
			    v, "e.g. /system.slice/web.service");
	if (!strcmp(v, "/") || strspn(v, "/") == strlen(v))
		return fail(p, "Cgroup=%s: bindguard never polices the root cgroup", v, NULL);
	if (strstr(v, "/../") || strstr(v, "/./") || !strcmp(v + strlen(v) - 3, "/..") ||
	    !strcmp(v + strlen(v) - 2, "/.") || strstr(v, "//"))
		return fail(p, "Cgroup=%s: expected a plain path (no //, . or ..)", v, NULL);
	if (strlen(v) >= sizeof(cp->cgroup))
		return fail(p, "Cgroup=: the path is too long", NULL, NULL);
	snprintf(cp->cgroup, sizeof(cp->cgroup), "%s", v);
	{
		size_t n = strlen(cp->cgroup);

		if (n > 1 && cp->cgroup[n - 1] == '/')
			cp->cgroup[n - 1] = '\0';
	}
	cp->glob = strpbrk(cp->cgroup, "*?[") != NULL;
	p->have_cgroup = true;
	return 1;
}

static int handler(void *arg, const char *section, const char *name, const char *value)
{
	struct parse *p = arg;
	struct bg_conf_policy *cp;
	char why[BG_ERRLEN];
	const char *v = value;

	if (p->failed)
		return 0;
	(void)section; /* the reader checked the headers: only [Policy] gets here */
	if (!p->sections)
		return fail(p, "%s= before any section (expected [Policy] first)", name, NULL);
	if (p->in != p->sections) { /* the first key of a new [Policy] */
		if (finish(p))
			return p->failed = true, 0;
		if (p->c->n >= CONF_MAX_POLICIES)
			return fail(p, "more than %s policies", "4096", NULL);
		cp = realloc(p->c->p, (p->c->n + 1) * sizeof(*cp));
		if (!cp)
			return fail(p, "out of memory", NULL, NULL);
		p->c->p = cp;
		cp = &p->c->p[p->c->n++];
		memset(cp, 0, sizeof(*cp));
		bg_policy_defaults(&cp->spec, BG_PRESET_NONE);
		snprintf(cp->where, sizeof(cp->where), "%s:%d", p->name, p->header_line);
		p->in = p->sections;
		p->have_cgroup = p->have_preset = false;
	}
	cp = &p->c->p[p->c->n - 1];
	if (!strcmp(name, "Cgroup"))
		return set_cgroup(p, cp, v);
	if (!strcmp(name, "Preset")) {
		if (!strcasecmp(v, "loopback-only"))
			cp->spec.preset = BG_PRESET_LOOPBACK_ONLY;
		else if (!strcasecmp(v, "deny-wildcard"))
			cp->spec.preset = BG_PRESET_DENY_WILDCARD;
		else
			return fail(p, "Preset=%s: expected loopback-only or deny-wildcard", v,
				    NULL);
		p->have_preset = true;
		return 1;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(name, keys[i].key))
			continue;
		if (!strcmp(name, "Allow") && !*v) { /* systemd's way: empty resets */
			cp->spec.nrules = 0;
			return 1;
		}
		if (!strcmp(name, "CountAllowed") && !bool_word(v, &v))
			return fail(p, "CountAllowed=%s: expected yes or no", value, NULL);
		if (!*v)
			return fail(p, "%s=: needs a value", name, NULL);
		if (bg_policy_set(&cp->spec, keys[i].option, v, why, sizeof(why)))
			return fail(p, "%s=%s", name, why);
		return 1;
	}
	return fail(p,
		    "%s=: unknown key (expected Cgroup, Preset, Allow, Mode, Proto, "
		    "UDPAutobind, Raw, Ping, OtherProtocols or CountAllowed)",
		    name, NULL);
}

/* What libinih cannot say well: overlong lines (it would cut them), NUL
 * bytes, and control characters that would garble one-line errors. */
static int check_text(const char *name, const char *text, size_t len, char *err, size_t errlen)
{
	int line = 1;
	size_t col = 0;

	for (size_t i = 0; i < len; i++, col++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch == '\n') {
			line++;
			col = 0;
			continue;
		}
		if (col >= LINE_MAX_LEN - 3) {
			snprintf(err, errlen, "%s:%d: line longer than %d characters", name, line,
				 LINE_MAX_LEN - 3);
			return -1;
		}
		if (ch == 0 || (ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f) {
			snprintf(err, errlen, "%s:%d: control character 0x%02x (expected text)",
				 name, line, ch);
			return -1;
		}
	}
	return 0;
}

static int parse_len(struct bg_conf *c, const char *name, const char *text, size_t len, char *err,
		     size_t errlen)
{
	struct parse p = {
		.c = c, .name = name, .text = text, .pos = text, .err = err, .errlen = errlen
	};
	size_t before = c->n;
	int r;

	if (check_text(name, text, len, err, errlen))
		return -1;
	/* systemd's grammar: whole-line comments only, one line per value. */
	ini_allow_multiline = false;
	ini_allow_inline_comments = false;
	ini_stop_on_first_error = true;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_initial_alloc = LINE_MAX_LEN;
	ini_max_line = LINE_MAX_LEN;
	r = ini_parse_stream(reader, &p, handler, &p);
	if (!p.failed && r > 0) { /* libinih's own complaint: the line's syntax */
		p.line = r;
		fail(&p, "expected [Section], Key=Value or a comment (# or ;)", NULL, NULL);
	} else if (!p.failed && r < 0) {
		snprintf(err, errlen, "%s: out of memory", name);
		p.failed = true;
	}
	if (!p.failed && p.sections && p.in != p.sections) {
		snprintf(err, errlen, "%s:%d: [Policy] with no keys (expected Cgroup= and Preset=)",
			 name, p.header_line);
		p.failed = true;
	}
	if (!p.failed && finish(&p))
		p.failed = true;
	if (p.failed) {
		c->n = before;
		return -1;
	}
	return 0;
}

int bg_conf_parse(struct bg_conf *c, const char *name, const char *text, char *err, size_t errlen)
{
	return parse_len(c, name, text, strlen(text), err, errlen);
}

static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);

			if (!nb || cap > (16u << 20)) {
				snprintf(err, errlen, "%s: %s", path,
					 nb ? "larger than 16 MiB" : "out of memory");
				free(nb ? nb : buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		size_t k = fread(buf + n, 1, cap - n - 1, f);

		n += k;
		if (k == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

struct found {
	char name[256];
	int dir;
};

static int cmp_found(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->name, ((const struct found *)b)->name);
}

static bool conf_name(const char *n)
{
	size_t k = strlen(n);

	return n[0] != '.' && k > 5 && !strcmp(n + k - 5, ".conf");
}

int bg_conf_load(struct bg_conf *c, const char *const *dirs, int ndirs, bool must_exist, char *err,
		 size_t errlen)
{
	struct found *fs = NULL;
	size_t nf = 0;
	int r = 0;

	for (int d = 0; d < ndirs && !r; d++) {
		DIR *dp = opendir(dirs[d]);
		struct dirent *de;

		if (!dp) {
			if (errno == ENOENT && !must_exist)
				continue;
			snprintf(err, errlen, "%s: %s", dirs[d], strerror(errno));
			r = -1;
			break;
		}
		while ((de = readdir(dp))) {
			bool masked = false;
			struct found *nfs;

			if (!conf_name(de->d_name) || strlen(de->d_name) >= sizeof(fs->name))
				continue;
			for (size_t i = 0; i < nf; i++)
				masked |= !strcmp(fs[i].name, de->d_name);
			if (masked) /* an earlier directory's file of that name wins */
				continue;
			nfs = realloc(fs, (nf + 1) * sizeof(*fs));
			if (!nfs) {
				snprintf(err, errlen, "out of memory");
				r = -1;
				break;
			}
			fs = nfs;
			snprintf(fs[nf].name, sizeof(fs[nf].name), "%s", de->d_name);
			fs[nf++].dir = d;
		}
		closedir(dp);
	}
	if (nf)
		qsort(fs, nf, sizeof(*fs), cmp_found);
	for (size_t i = 0; i < nf && !r; i++) {
		char path[PATH_MAX + 256], *text;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", dirs[fs[i].dir], fs[i].name);
		r = read_file(path, &text, &len, err, errlen);
		if (r)
			break;
		r = parse_len(c, path, text, len, err, errlen);
		free(text);
	}
	free(fs);
	return r ? r : bg_conf_check(c, err, errlen);
}

int bg_conf_check(const struct bg_conf *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->p[i].cgroup, c->p[j].cgroup)) {
				snprintf(err, errlen, "%s: Cgroup=%s is named already at %s",
					 c->p[i].where, c->p[i].cgroup, c->p[j].where);
				return -1;
			}
	return 0;
}

const struct bg_conf_policy *bg_conf_match(const struct bg_conf *c, const char *path)
{
	for (size_t i = 0; i < c->n; i++)
		if (!c->p[i].glob && !strcmp(c->p[i].cgroup, path))
			return &c->p[i];
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].glob && !fnmatch(c->p[i].cgroup, path, FNM_PATHNAME | FNM_PERIOD))
			return &c->p[i];
	return NULL;
}

/* Components of a path ("/a/b" -> 2). */
static int depth(const char *p)
{
	int n = 0;

	for (; *p; p++)
		n += *p == '/';
	return n;
}

bool bg_conf_may_hold(const struct bg_conf *c, const char *rel)
{
	int d = strcmp(rel, "/") ? depth(rel) : 0;

	for (size_t i = 0; i < c->n; i++) {
		char prefix[PATH_MAX];
		const char *p = c->p[i].cgroup;
		int k = 0;

		if (depth(p) <= d)
			continue;
		/* the pattern's first d components */
		while (*p && k <= d) {
			if (*p == '/' && ++k > d)
				break;
			p++;
		}
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(p - c->p[i].cgroup), c->p[i].cgroup);
		if (!d || !fnmatch(prefix, rel, FNM_PATHNAME | FNM_PERIOD))
			return true;
	}
	return false;
}

static int cmp_rule(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct bg_rule_src));
}

void bg_conf_spec_text(const struct bg_policy_spec *spec, char *buf, size_t len)
{
	struct bg_rule_src rules[BG_MAX_RULES];
	size_t n = spec->nrules, off;

	off = (size_t)snprintf(buf, len,
			       "%s mode=%s proto=%s udp-autobind=%s raw=%s ping=%s "
			       "other-protocols=%s count-allowed=%s allow=",
			       bg_preset_name(spec->preset), bg_mode_name(spec->mode),
			       bg_proto_name(spec->proto_mask), bg_udp_autobind_name(spec->flags),
			       bg_raw_name(spec->flags), bg_ping_name(spec->flags),
			       bg_other_name(spec->flags),
			       spec->flags & BG_F_COUNT_ALLOWED ? "yes" : "no");
	memcpy(rules, spec->rules, n * sizeof(*rules));
	qsort(rules, n, sizeof(*rules), cmp_rule);
	for (size_t i = 0; i < n && off < len; i++) {
		char r[96];

		bg_rule_format(&rules[i], r, sizeof(r));
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "", r);
	}
}

void bg_conf_free(struct bg_conf *c)
{
	free(c->p);
	c->p = NULL;
	c->n = 0;
}
