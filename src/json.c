// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <string.h>
#include "json.h"

void bg_json_init(struct bg_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* Before a value (or a key in an object): the comma, if one is due. */
static void sep(struct bg_json *j)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
}

static void open_level(struct bg_json *j, char c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth < BG_JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_level(struct bg_json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void bg_json_obj_begin(struct bg_json *j)
{
	open_level(j, '{');
}

void bg_json_obj_end(struct bg_json *j)
{
	close_level(j, '}');
}

void bg_json_arr_begin(struct bg_json *j)
{
	open_level(j, '[');
}

void bg_json_arr_end(struct bg_json *j)
{
	close_level(j, ']');
}

size_t bg_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp, min;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		len = 2, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		len = 3, cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void bg_json_escape(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strnlen(str, n), run = 0;

	/* Bytes that need no escape go out in runs: one write per run, not per
	 * byte (the event stream prints hundreds of thousands of strings). */
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		size_t u = 0;

		if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\' &&
		    (c < 0x80 || (u = bg_utf8_len(s + i, len - i)) > 0)) {
			i += u ? u : 1;
			run += u ? u : 1;
			continue;
		}
		if (run)
			fwrite(s + i - run, 1, run, f);
		run = 0;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else /* control byte, or a byte that is not UTF-8: its value */
			fprintf(f, "\\u%04x", c);
		i++;
	}
	if (run)
		fwrite(s + len - run, 1, run, f);
}

void bg_json_key(struct bg_json *j, const char *key)
{
	sep(j);
	fputc('"', j->f);
	bg_json_escape(j->f, key, strlen(key));
	fputs("\":", j->f);
	/* The value that follows takes no comma of its own. */
	j->need_comma[j->depth] = false;
}

void bg_json_strn(struct bg_json *j, const char *s, size_t n)
{
	sep(j);
	fputc('"', j->f);
	bg_json_escape(j->f, s, n);
	fputc('"', j->f);
}

void bg_json_str(struct bg_json *j, const char *s)
{
	bg_json_strn(j, s, strlen(s));
}

void bg_json_u64(struct bg_json *j, __u64 v)
{
	sep(j);
	fprintf(j->f, "%" PRIu64, (uint64_t)v);
}

void bg_json_i64(struct bg_json *j, long long v)
{
	sep(j);
	fprintf(j->f, "%lld", v);
}

void bg_json_bool(struct bg_json *j, bool v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void bg_json_null(struct bg_json *j)
{
	sep(j);
	fputs("null", j->f);
}

void bg_json_kstr(struct bg_json *j, const char *key, const char *s)
{
	bg_json_key(j, key);
	if (s)
		bg_json_str(j, s);
	else
		bg_json_null(j);
}

void bg_json_ku64(struct bg_json *j, const char *key, __u64 v)
{
	bg_json_key(j, key);
	bg_json_u64(j, v);
}

void bg_json_kbool(struct bg_json *j, const char *key, bool v)
{
	bg_json_key(j, key);
	bg_json_bool(j, v);
}
