// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "log.h"

int bg_verbose;
int bg_err_quiet;

static char last_error[512];

void bg_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	if (bg_err_quiet)
		return;
	fputs("bindguard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *bg_last_error(void)
{
	return last_error;
}

void bg_dbg(const char *fmt, ...)
{
	va_list ap;

	if (!bg_verbose)
		return;
	fputs("bindguard: debug: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* libbpf's first warning since bg_libbpf_mark(): why an object failed
 * before the kernel saw it (an extern kfunc the kernel lacks, say). */
static char first_warning[256];

void bg_libbpf_mark(void)
{
	first_warning[0] = '\0';
}

const char *bg_libbpf_first_warning(void)
{
	return first_warning;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && !first_warning[0]) {
		const char *p = first_warning;
		va_list copy;

		va_copy(copy, ap);
		vsnprintf(first_warning, sizeof(first_warning), fmt, copy);
		va_end(copy);
		first_warning[strcspn(first_warning, "\n")] = '\0';
		if (!strncmp(p, "libbpf: ", 8))
			memmove(first_warning, p + 8, strlen(p + 8) + 1);
	}
	if (bg_verbose < (level == LIBBPF_DEBUG ? 2 : 1))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void bg_log_setup(void)
{
	libbpf_set_print(libbpf_print);
}
