/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Policy files: the *.conf files of one or more directories, in systemd's
 * style. A file in an earlier directory masks a same-named one in a later
 * directory (/etc/bindguard/policies.d before /usr/lib/bindguard/policies.d);
 * the files left are read in lexical order of their names. Each [Policy]
 * section names one cgroup, or a glob of them, and its policy:
 *
 *   [Policy]
 *   Cgroup=/system.slice/web.service     (or /system.slice/ *.service, no space)
 *   Preset=loopback-only                 (or deny-wildcard)
 *   Allow=0.0.0.0:8080                   (repeatable; empty clears the list)
 *   Mode=enforce  Proto=all  UDPAutobind=audit  Raw=deny  Ping=confine
 *   OtherProtocols=deny  CountAllowed=no
 *
 * Parsed with libinih; the rest is checked here. Pure: file reads only, no
 * kernel, so all of it runs in the unit tests and the fuzzer.
 */
#ifndef BG_CONF_H
#define BG_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include "policy.h"

/* Where files are looked for when no directory is named, first wins. */
#define BG_CONF_DIRS                                                                               \
	{                                                                                          \
		"/etc/bindguard/policies.d", "/usr/lib/bindguard/policies.d"                       \
	}

struct bg_conf_policy {
	char where[PATH_MAX + 16]; /* "FILE:LINE" of its [Policy] line */
	char cgroup[PATH_MAX];	   /* relative to the cgroup2 mount, "/a/b" */
	bool glob;		   /* cgroup has *, ? or [ in it */
	struct bg_policy_spec spec;
};

struct bg_conf {
	struct bg_conf_policy *p;
	size_t n;
};

/* Parse one file's text; name is shown in errors. Appends its policies.
 * 0, or -1 with err "NAME:LINE: what was expected". */
int bg_conf_parse(struct bg_conf *c, const char *name, const char *text, char *err, size_t errlen);

/* Read the *.conf files of dirs (see above). A directory that does not
 * exist is an error when must_exist, else skipped. Then bg_conf_check.
 * 0, or -1 with err. */
int bg_conf_load(struct bg_conf *c, const char *const *dirs, int ndirs, bool must_exist, char *err,
		 size_t errlen);

/* The same cgroup named twice (not a glob) is an error naming both places. */
int bg_conf_check(const struct bg_conf *c, char *err, size_t errlen);

/* Which policy governs cgroup path: an exact Cgroup= before any glob, then
 * the first glob (in reading order) that matches. NULL: none. */
const struct bg_conf_policy *bg_conf_match(const struct bg_conf *c, const char *path);

/* Could a Cgroup= of c lie strictly below rel ("/" or "/a/b")? rel's
 * components must match the pattern's first ones (the agent watches such
 * directories for new cgroups). */
bool bg_conf_may_hold(const struct bg_conf *c, const char *rel);

/* The canonical one-line text of a spec ("loopback-only mode=enforce ...
 * allow=A,B"): equal texts, equal policies. */
void bg_conf_spec_text(const struct bg_policy_spec *spec, char *buf, size_t len);

void bg_conf_free(struct bg_conf *c);

#endif
