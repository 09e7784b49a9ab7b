// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON writer: structure, and escaping of anything a comm can hold. */
#include "json.h"
#include "unit.h"

struct esc {
	const char *s;
	size_t n;
};

static void escape_fn(FILE *f, void *arg)
{
	struct esc *e = arg;
	struct bg_json j;

	bg_json_init(&j, f);
	bg_json_strn(&j, e->s, e->n);
}

static const char *esc(const char *s, size_t n)
{
	struct esc e = { s, n };

	return unit_capture(escape_fn, &e);
}

TEST(json_escaping)
{
	CHECK_STR(esc("plain", 5), "\"plain\"");
	CHECK_STR(esc("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	CHECK_STR(esc("t\tn\n", 4), "\"t\\tn\\n\"");
	CHECK_STR(esc("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\\u007f\"");
	CHECK_STR(esc("caf\xc3\xa9", 5), "\"caf\xc3\xa9\"");		/* valid UTF-8 kept */
	CHECK_STR(esc("\xe2\x82\xac", 3), "\"\xe2\x82\xac\"");		/* euro sign */
	CHECK_STR(esc("\xf0\x9f\x98\x80", 4), "\"\xf0\x9f\x98\x80\"");	/* emoji */
	CHECK_STR(esc("\xff", 1), "\"\\u00ff\"");			/* invalid byte */
	CHECK_STR(esc("\xc3", 1), "\"\\u00c3\"");			/* truncated sequence */
	CHECK_STR(esc("\xc0\xaf", 2), "\"\\u00c0\\u00af\"");		/* overlong '/' */
	CHECK_STR(esc("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\""); /* surrogate */
	CHECK_STR(esc("\xf4\x90\x80\x80", 4), "\"\\u00f4\\u0090\\u0080\\u0080\""); /* > U+10FFFF */
	CHECK_STR(esc("ab\0cd", 5), "\"ab\"");				   /* stops at NUL */
	CHECK_STR(esc("0123456789abcdefXYZ", 16), "\"0123456789abcdef\""); /* stops at n */
}

TEST(json_every_byte_stays_valid)
{
	char s[3] = { 0 };

	for (int a = 1; a < 256; a++)
		for (int b = 0; b < 256; b += 17) {
			const char *out;

			s[0] = (char)a;
			s[1] = (char)b;
			out = esc(s, 2);
			if (!unit_json_valid(out, strlen(out))) {
				char m[64];

				snprintf(m, sizeof(m), "bytes %02x %02x give invalid JSON", a, b);
				unit_fail(__FILE__, __LINE__, m);
				return;
			}
		}
}

static void doc_fn(FILE *f, void *arg)
{
	struct bg_json j;

	(void)arg;
	bg_json_init(&j, f);
	bg_json_obj_begin(&j);
	bg_json_kstr(&j, "a", "x");
	bg_json_ku64(&j, "n", 18446744073709551615ull);
	bg_json_key(&j, "list");
	bg_json_arr_begin(&j);
	bg_json_str(&j, "1");
	bg_json_obj_begin(&j);
	bg_json_kbool(&j, "t", true);
	bg_json_obj_end(&j);
	bg_json_i64(&j, -3);
	bg_json_null(&j);
	bg_json_arr_end(&j);
	bg_json_key(&j, "empty");
	bg_json_arr_begin(&j);
	bg_json_arr_end(&j);
	bg_json_kstr(&j, "none", NULL);
	bg_json_obj_end(&j);
}

TEST(json_structure)
{
	const char *out = unit_capture(doc_fn, NULL);

	CHECK_STR(out,
		  "{\"a\":\"x\",\"n\":18446744073709551615,\"list\":[\"1\",{\"t\":true},-3,null],"
		  "\"empty\":[],\"none\":null}");
	CHECK(unit_json_valid(out, strlen(out)));
	CHECK(!unit_json_valid("{\"a\":1,}", 8));
	CHECK(!unit_json_valid("\"\x01\"", 3));
}
