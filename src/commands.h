/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The command table: each command parses its own options and returns an exit code. */
#ifndef BG_COMMANDS_H
#define BG_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>
#include "policy.h"

/* The Makefile passes it from the file VERSION. */
#ifndef BG_VERSION
#error "BG_VERSION is set by the Makefile (from VERSION)"
#endif

struct bg_global {
	bool json;
};

int cmd_loopback_only(int argc, char **argv, struct bg_global *g);
int cmd_deny_wildcard(int argc, char **argv, struct bg_global *g);
int cmd_detach(int argc, char **argv, struct bg_global *g);
int cmd_status(int argc, char **argv, struct bg_global *g);
int cmd_events(int argc, char **argv, struct bg_global *g);
int cmd_check(int argc, char **argv, struct bg_global *g);
int cmd_run(int argc, char **argv, struct bg_global *g);
int cmd_sockets(int argc, char **argv, struct bg_global *g);
int cmd_oci_hook(int argc, char **argv, struct bg_global *g);
int cmd_install_hook(int argc, char **argv, struct bg_global *g);
int cmd_uninstall_hook(int argc, char **argv, struct bg_global *g);
int cmd_apply(int argc, char **argv, struct bg_global *g);
int cmd_agent(int argc, char **argv, struct bg_global *g);

/* Apply the policy files of dirs (conf.h, reconcile.h) and print the plan
 * to out; the agent runs it too. must_exist: a missing directory is an
 * error. Exit code; on any error nothing was changed. */
enum {
	BG_APPLY_DRY_RUN = 1,
	BG_APPLY_JSON = 2,
	BG_APPLY_QUIET_KEEP = 4,     /* print only what changes */
	BG_APPLY_CLOSE_EXISTING = 8, /* close the sockets bound before that they refuse */
	BG_APPLY_KEEP_EXISTING = 16, /* accept those (else exit 4 while one is open) */
};
int bg_apply_config(const char *const *dirs, int ndirs, bool must_exist, unsigned flags, FILE *out);
/* The same for a configuration already read; record: its record
 * (reconcile.h: bg_conf_record_path). */
struct bg_conf;
int bg_apply_conf(const struct bg_conf *c, const char *record, unsigned flags, FILE *out);

/* The policy options shared by loopback-only, deny-wildcard and run, by
 * their short letters: a (--allow), F (--allow-from), P (--proto), m
 * (--mode), U (--udp-autobind), R (--raw), I (--ping), O
 * (--other-protocols), C (--count-allowed). 0, or the exit code after one error line. */
#define BG_POLICY_LONGOPTS                                                                         \
	{ "allow", required_argument, NULL, 'a' }, { "proto", required_argument, NULL, 'P' },      \
		{ "mode", required_argument, NULL, 'm' },                                          \
		{ "udp-autobind", required_argument, NULL, 'U' },                                  \
		{ "count-allowed", no_argument, NULL, 'C' },                                       \
		{ "raw", required_argument, NULL, 'R' }, { "ping", required_argument, NULL, 'I' }, \
		{ "allow-from", required_argument, NULL, 'F' },                                    \
	{                                                                                          \
		"other-protocols", required_argument, NULL, 'O'                                    \
	}
int bg_policy_option(int opt, const char *arg, struct bg_policy_spec *spec, const char *cmd);

/* Commands that change or read kernel state need privileges: check them
 * before anything else so the user gets one clear line. Exit code or 0. */
int bg_require_privileges(const char *cmd);

/* getopt returned '?': one line naming the option and what is wrong
 * (unknown, needs a value, takes none). shorts is the optstring. */
struct option;
void bg_option_error(const char *cmd, char **argv, const char *shorts, const struct option *opts);

/* After getopt: anything left over is a usage error (one line, true). */
bool bg_no_more_args(const char *cmd, int argc, char **argv);

/* --exempt-namespace NS: added to list (of *n, at most BG_OCI_EXEMPT_MAX);
 * false after one line when NS is not a namespace name or there are too
 * many. */
bool bg_exempt_option(const char *cmd, const char *ns, const char **list, int *n);

/* No cgroup v2 mount: one line and exit code 3. */
int bg_need_cgroup2(const char *cmd);

#endif
