// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bindguard: global options and the command table; nothing else. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "cgroup.h"
#include "commands.h"
#include "hostview.h"
#include "json.h"
#include "log.h"
#include "object.h"
#include "oci.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv, struct bg_global *g);
	const char *summary;
	/* Its exit status is not bindguard's failure (run: CMD's; check: part
	 * of the report): no JSON error object (json_error). */
	bool own_status;
};

static const struct command commands[] = {
	{ "loopback-only", cmd_loopback_only, "allow binds to loopback addresses only", false },
	{ "deny-wildcard", cmd_deny_wildcard, "deny binds to 0.0.0.0 and :: in every spelling",
	  false },
	{ "detach", cmd_detach, "remove a cgroup's policy (or --all)", false },
	{ "status", cmd_status, "list policed cgroups with counters", false },
	{ "events", cmd_events, "follow denied, audited, confined and rewritten binds", false },
	{ "sockets", cmd_sockets, "list listening sockets with their policy's verdict", false },
	{ "run", cmd_run, "run a command in a policed transient cgroup", true },
	{ "check", cmd_check, "report what this kernel covers", true },
	{ "oci-hook", cmd_oci_hook, "OCI runtime hook: police a container from its start", false },
	{ "install-hook", cmd_install_hook, "put the OCI hook on this host (Kubernetes)", false },
	{ "uninstall-hook", cmd_uninstall_hook, "remove what install-hook put there", false },
	{ "apply", cmd_apply, "apply the policies of policy files, all or nothing", false },
	{ "agent", cmd_agent, "keep the policy files applied as cgroups come and go", false },
};

/* Levenshtein distance of two short words, capped at 9 (enough to rank). */
static int edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	int row[32], prev;

	if (n > 30 || m > 30)
		return 9;
	for (size_t j = 0; j <= m; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= m; j++) {
			int cur = row[j], best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			prev = cur;
			row[j] = best;
		}
	}
	return row[m] > 9 ? 9 : row[m];
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: bindguard [--json] [--verbose] COMMAND [OPTIONS]\n\n"
		   "Keep services in a cgroup from listening where they should not.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-15s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nGlobal options:\n"
		   "  -j, --json      machine-readable output (JSON; JSON Lines for events)\n"
		   "  -v, --verbose   explain what is done (twice: libbpf debug output)\n"
		   "  -h, --help      this help; `bindguard COMMAND --help` for a command\n"
		   "  -V, --version   print the version\n\n"
		   "Exit codes: 0 ok, 1 failure, 2 usage error, 3 kernel lacks a feature.\n\n"
		   "EXAMPLES\n"
		   "  bindguard loopback-only --cgroup /dev\n"
		   "  bindguard deny-wildcard --cgroup /ci --allow 0.0.0.0:8080\n"
		   "  bindguard status --json\n"
		   "  bindguard events --cgroup /dev\n"
		   "  bindguard detach --cgroup /dev\n");
}

int bg_require_privileges(const char *cmd)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	/* CAP_SYS_ADMIN covers bpffs, cgroup attach and, on every supported
	 * kernel, BPF itself; checking it gives one clear line instead of an
	 * EPERM from the middle of a load. */
	if (syscall(SYS_capget, &hdr, data) == 0 &&
	    (data[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32))))
		return 0;
	bg_err("%s: needs root (CAP_SYS_ADMIN and CAP_BPF): run it with sudo", cmd);
	return BG_EXIT_FAIL;
}

void bg_option_error(const char *cmd, char **argv, const char *shorts, const struct option *opts)
{
	const char *word = optind > 0 ? argv[optind - 1] : "";
	bool is_long = !strncmp(word, "--", 2);
	char what[160], help[64];

	/* getopt's own messages are off (opterr = 0): one line, ours. cmd
	 * NULL: the global options. */
	snprintf(help, sizeof(help), "see `bindguard %s%s--help`", cmd ? cmd : "", cmd ? " " : "");
	snprintf(what, sizeof(what), "unknown or ambiguous option '%.*s'", (int)strcspn(word, "="),
		 word);
	if (optopt && !is_long)
		snprintf(what, sizeof(what), "unknown option '-%c'", optopt);
	for (const struct option *o = opts; optopt && o->name; o++) {
		if (o->val != optopt)
			continue;
		if (!is_long && !(optopt < 128 && strchr(shorts, optopt)))
			break; /* a letter only a long option uses */
		snprintf(what, sizeof(what), "--%s %s", o->name,
			 o->has_arg == no_argument ? "takes no value" : "needs a value");
		break;
	}
	if (cmd)
		bg_err("%s: %s (%s)", cmd, what, help);
	else
		bg_err("%s (%s)", what, help);
}

bool bg_no_more_args(const char *cmd, int argc, char **argv)
{
	if (optind >= argc)
		return false;
	bg_err("%s: unexpected argument '%s'", cmd, argv[optind]);
	return true;
}

bool bg_exempt_option(const char *cmd, const char *ns, const char **list, int *n)
{
	if (*n == BG_OCI_EXEMPT_MAX) {
		bg_err("%s: --exempt-namespace %s: too many (at most %d)", cmd, ns,
		       BG_OCI_EXEMPT_MAX);
		return false;
	}
	if (!bg_oci_valid_ns(ns)) {
		bg_err("%s: --exempt-namespace %s: not a namespace name (a DNS label: a-z, 0-9, -)",
		       cmd, ns);
		return false;
	}
	list[(*n)++] = ns;
	return true;
}

int bg_need_cgroup2(const char *cmd)
{
	char mnt[PATH_MAX];
	int r = bg_host_cgroup_view(cmd);

	if (r)
		return r;
	if (!bg_cgroup_mount(mnt, sizeof(mnt)))
		return 0;
	bg_err("%s: no cgroup v2 mount in /proc/self/mountinfo: mount one "
	       "(mount -t cgroup2 none /sys/fs/cgroup) or boot with "
	       "systemd.unified_cgroup_hierarchy",
	       cmd);
	return BG_EXIT_NOFEATURE;
}

/*
 * Under --json a failed command also says why on stdout, as one object:
 * {"error": TEXT, "exit": CODE}, TEXT being its last error line (which
 * stderr has too). Not for exit 4 (the command printed its objects; the
 * warning is on stderr), nor for a command whose status is its own.
 */
static int json_error(const struct bg_global *g, bool own_status, int rc)
{
	struct bg_json j;

	if (!g->json || own_status || rc == BG_EXIT_OK || rc == BG_EXIT_EXPOSED ||
	    !bg_last_error()[0])
		return rc;
	fflush(stdout);
	bg_json_init(&j, stdout);
	bg_json_obj_begin(&j);
	bg_json_kstr(&j, "error", bg_last_error());
	bg_json_ku64(&j, "exit", (__u64)rc);
	bg_json_obj_end(&j);
	fputc('\n', stdout);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	struct bg_global g = {};
	int c;

	opterr = 0; /* option errors are ours: bg_option_error */
	/* '+': stop at the command name; the command parses the rest. */
	while ((c = getopt_long(argc, argv, "+jvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			g.json = true;
			break;
		case 'v':
			bg_verbose++;
			break;
		case 'h':
			usage(stdout);
			return BG_EXIT_OK;
		case 'V':
			printf("bindguard %s\n", BG_VERSION);
			return BG_EXIT_OK;
		default:
			bg_option_error(NULL, argv, "jvhV", opts);
			return BG_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return BG_EXIT_USAGE;
	}
	bg_log_setup();
	{
		const char *obj = getenv(BG_OBJECT_ENV);
		int order[BG_NR_OBJ];

		if (bg_object_order(obj, order) < 0) {
			bg_err("%s must be full or compat (or unset: full, else compat), not '%s'",
			       BG_OBJECT_ENV, obj);
			return BG_EXIT_USAGE;
		}
	}
	/* Exact names only: a security tool does not guess what was meant; it
	 * may say what it thinks was meant. */
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return json_error(&g, commands[i].own_status,
					  commands[i].run(argc - optind, argv + optind, &g));
	{
		const char *near = NULL;
		int best = 3; /* at most two edits away */

		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
			int d = edit_distance(argv[optind], commands[i].name);

			if (d < best) {
				best = d;
				near = commands[i].name;
			}
		}
		if (near)
			bg_err("unknown command '%s' (did you mean %s? see `bindguard --help`)",
			       argv[optind], near);
		else
			bg_err("unknown command '%s' (see `bindguard --help`)", argv[optind]);
	}
	return json_error(&g, false, BG_EXIT_USAGE);
}
