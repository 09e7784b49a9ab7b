/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small streaming JSON writer. It tracks nesting and commas so callers
 * cannot emit malformed documents, and escapes strings completely: quotes,
 * backslashes, control bytes as \u00XX, and invalid UTF-8 bytes as \u00XX of
 * the byte (so arbitrary comm names round-trip visibly and stay valid JSON).
 */
#ifndef BG_JSON_H
#define BG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#define BG_JSON_MAX_DEPTH 16

struct bg_json {
	FILE *f;
	int depth;
	bool need_comma[BG_JSON_MAX_DEPTH];
};

/* Length of the valid UTF-8 sequence at s (at most n bytes, n > 0), 0 if
 * invalid: no overlongs, no surrogates, nothing above U+10FFFF. Shared with
 * the Prometheus writer (prom.c). */
size_t bg_utf8_len(const unsigned char *s, size_t n);

void bg_json_init(struct bg_json *j, FILE *f);
void bg_json_obj_begin(struct bg_json *j);
void bg_json_obj_end(struct bg_json *j);
void bg_json_arr_begin(struct bg_json *j);
void bg_json_arr_end(struct bg_json *j);
void bg_json_key(struct bg_json *j, const char *key); /* next value belongs to key */
void bg_json_str(struct bg_json *j, const char *s);
void bg_json_strn(struct bg_json *j, const char *s, size_t n); /* stops at NUL or n */
void bg_json_u64(struct bg_json *j, __u64 v);
void bg_json_i64(struct bg_json *j, long long v);
void bg_json_bool(struct bg_json *j, bool v);
void bg_json_null(struct bg_json *j);
/* Convenience: key + value. */
void bg_json_kstr(struct bg_json *j, const char *key, const char *s);
void bg_json_ku64(struct bg_json *j, const char *key, __u64 v);
void bg_json_kbool(struct bg_json *j, const char *key, bool v);

/* Escape s[0..n) (stopping at NUL) into a JSON string body, without quotes. */
void bg_json_escape(FILE *f, const char *s, size_t n);

#endif
