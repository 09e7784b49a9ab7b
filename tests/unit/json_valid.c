// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A strict JSON validator (RFC 8259, one value), used by unit tests and fuzzers
 * to check what the formatters print. */
#include <string.h>
#include "unit.h"

struct jp {
	const char *s, *end;
};

static void ws(struct jp *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int value(struct jp *p, int depth);

static int string(struct jp *p)
{
	if (p->s >= p->end || *p->s != '"')
		return 0;
	p->s++;
	while (p->s < p->end && *p->s != '"') {
		unsigned char c = (unsigned char)*p->s;

		if (c < 0x20)
			return 0;
		if (c == '\\') {
			p->s++;
			if (p->s >= p->end)
				return 0;
			if (*p->s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (p->s + i >= p->end ||
					    !strchr("0123456789abcdefABCDEF", p->s[i]) || !p->s[i])
						return 0;
				p->s += 4;
			} else if (!strchr("\"\\/bfnrt", *p->s) || !*p->s) {
				return 0;
			}
		} else if (c >= 0x80) {
			/* Must be well-formed UTF-8 (the writer promises it). */
			int len = (c & 0xe0) == 0xc0   ? 2
				  : (c & 0xf0) == 0xe0 ? 3
				  : (c & 0xf8) == 0xf0 ? 4
						       : 0;

			if (!len || p->s + len > p->end)
				return 0;
			for (int i = 1; i < len; i++)
				if ((p->s[i] & 0xc0) != 0x80)
					return 0;
			p->s += len - 1;
		}
		p->s++;
	}
	if (p->s >= p->end)
		return 0;
	p->s++;
	return 1;
}

static int number(struct jp *p)
{
	const char *start = p->s;

	if (p->s < p->end && *p->s == '-')
		p->s++;
	if (p->s >= p->end || *p->s < '0' || *p->s > '9')
		return 0;
	if (*p->s == '0')
		p->s++;
	else
		while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
			p->s++;
	if (p->s < p->end && *p->s == '.') {
		p->s++;
		if (p->s >= p->end || *p->s < '0' || *p->s > '9')
			return 0;
		while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
			p->s++;
	}
	return p->s > start;
}

static int literal(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(p->end - p->s) < n || strncmp(p->s, w, n))
		return 0;
	p->s += n;
	return 1;
}

static int value(struct jp *p, int depth)
{
	if (depth > 64)
		return 0;
	ws(p);
	if (p->s >= p->end)
		return 0;
	if (*p->s == '{' || *p->s == '[') {
		char close = *p->s == '{' ? '}' : ']';
		int obj = *p->s == '{';

		p->s++;
		ws(p);
		if (p->s < p->end && *p->s == close) {
			p->s++;
			return 1;
		}
		for (;;) {
			if (obj) {
				ws(p);
				if (!string(p))
					return 0;
				ws(p);
				if (p->s >= p->end || *p->s++ != ':')
					return 0;
			}
			if (!value(p, depth + 1))
				return 0;
			ws(p);
			if (p->s < p->end && *p->s == ',') {
				p->s++;
				continue;
			}
			if (p->s < p->end && *p->s == close) {
				p->s++;
				return 1;
			}
			return 0;
		}
	}
	if (*p->s == '"')
		return string(p);
	if (*p->s == 't')
		return literal(p, "true");
	if (*p->s == 'f')
		return literal(p, "false");
	if (*p->s == 'n')
		return literal(p, "null");
	return number(p);
}

int unit_json_valid(const char *s, size_t n)
{
	struct jp p = { s, s + n };

	if (!value(&p, 0))
		return 0;
	ws(&p);
	return p.s == p.end;
}
