/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Error reporting and exit codes: one line on stderr, prefixed "bindguard: ". */
#ifndef BG_LOG_H
#define BG_LOG_H

/* Exit codes, documented in bindguard(8). */
enum {
	BG_EXIT_OK = 0,
	BG_EXIT_FAIL = 1,
	BG_EXIT_USAGE = 2,
	BG_EXIT_NOFEATURE = 3,
	BG_EXIT_EXPOSED = 4, /* applied, but sockets it refuses are still open */
};

extern int bg_verbose;
/* Set: bg_err records its line (bg_last_error) without printing it. */
extern int bg_err_quiet;

void bg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bg_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The text of the last bg_err ("" if none), for the JSON error object. */
const char *bg_last_error(void);

/* Route libbpf's own messages through bg_verbose. */
void bg_log_setup(void);

/* libbpf's first warning since the last mark, without its "libbpf: " prefix
 * ("" if none): why libbpf gave up before the kernel's verifier ran. */
void bg_libbpf_mark(void);
const char *bg_libbpf_first_warning(void);

#endif
