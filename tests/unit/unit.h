/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A tiny unit-test harness: TEST(name) registers a test, CHECK*() record failures. */
#ifndef BG_UNIT_H
#define BG_UNIT_H

#include <stdio.h>
#include <string.h>

typedef void (*unit_fn)(void);
void unit_register(const char *name, unit_fn fn);
void unit_fail(const char *file, int line, const char *what);

#define TEST(name)                                                                                 \
	static void name(void);                                                                    \
	__attribute__((constructor)) static void register_##name(void)                             \
	{                                                                                          \
		unit_register(#name, name);                                                        \
	}                                                                                          \
	static void name(void)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			unit_fail(__FILE__, __LINE__, #cond);                                      \
	} while (0)

#define CHECK_STR(got, want)                                                                       \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		if (strcmp(g_, w_)) {                                                              \
			char m_[1024];                                                             \
			snprintf(m_, sizeof(m_), "%s: got \"%s\", want \"%s\"", #got, g_, w_);     \
			unit_fail(__FILE__, __LINE__, m_);                                         \
		}                                                                                  \
	} while (0)

/* Validate a JSON text (RFC 8259, one value). 1 if valid. */
int unit_json_valid(const char *s, size_t n);

/* Run fn with a FILE* backed by a buffer; returns the NUL-terminated text. */
const char *unit_capture(void (*fn)(FILE *f, void *arg), void *arg);

#endif
