// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockets: what can receive from the network right now, and what its policy says of it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cgroup.h"
#include "commands.h"
#include "container.h"
#include "existing.h"
#include "log.h"
#include "sockets.h"
#include "sockout.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bindguard sockets [--cgroup PATH | --pid PID | --container NAME | --all]\n"
		"                         [--refused] [--json]\n"
		"\n"
		"List the sockets that can receive from the network (TCP listeners, unconnected\n"
		"UDP sockets with a port, raw sockets), in every network namespace, with the "
		"verdict\n"
		"of the policy that governs each: the one its creation cgroup resolves to, as at\n"
		"bind time. A socket bound before its policy arrived keeps its address: here it\n"
		"shows as deny, rewrite or audit (refused) until it is closed (--close-existing\n"
		"on loopback-only or deny-wildcard).\n"
		"\n"
		"  -c, --cgroup PATH   the sockets created in PATH and its sub-cgroups, policed "
		"or\n"
		"                      not (verdict none where no policy governs)\n"
		"  -p, --pid PID       the same for the cgroup of process PID\n"
		"      --container NAME\n"
		"                      the same for running container NAME (podman or docker)\n"
		"      --all           every such socket of the machine\n"
		"                      (default: the sockets some policy governs)\n"
		"      --refused       only the sockets their policy refuses\n"
		"\n"
		"EXAMPLES\n"
		"  bindguard sockets\n"
		"  bindguard sockets --cgroup /libpod_parent --refused\n"
		"  bindguard --json sockets --pid 1234\n");
}

static void print_json(const struct bg_scan *sc)
{
	struct bg_json j;

	bg_json_init(&j, stdout);
	bg_json_obj_begin(&j);
	bg_json_key(&j, "sockets");
	bg_json_arr_begin(&j);
	for (size_t i = 0; i < sc->n; i++)
		bg_open_json(&j, sc, &sc->v[i]);
	bg_json_arr_end(&j);
	bg_json_ku64(&j, "refused_open", bg_scan_refused_open(sc));
	bg_json_kstr(&j, "unlisted", sc->unlisted);
	bg_json_obj_end(&j);
	fputc('\n', stdout);
}

int cmd_sockets(int argc, char **argv, struct bg_global *g)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "container", required_argument, NULL, 'k' },
		{ "all", no_argument, NULL, 'A' },
		{ "refused", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct bg_scan_filter f = { .policed = true };
	const char *carg = NULL, *parg = NULL, *karg = NULL;
	char err[BG_ERRLEN];
	struct bg_cgroup cg;
	struct bg_scan sc;
	struct bg_state st;
	bool all = false, have_state;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:p:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			carg = optarg;
			break;
		case 'p':
			parg = optarg;
			break;
		case 'k':
			karg = optarg;
			break;
		case 'A':
			all = true;
			break;
		case 'r':
			f.refused_only = true;
			break;
		case 'j':
			g->json = true;
			break;
		case 'h':
			usage(stdout);
			return BG_EXIT_OK;
		default:
			bg_option_error("sockets", argv, "c:p:jh", opts);
			return BG_EXIT_USAGE;
		}
	}
	if (bg_no_more_args("sockets", argc, argv))
		return BG_EXIT_USAGE;
	if ((carg != NULL) + (parg != NULL) + (karg != NULL) + all > 1) {
		bg_err("sockets: give one of --cgroup, --pid, --container and --all");
		return BG_EXIT_USAGE;
	}
	r = bg_need_cgroup2("sockets");
	if (r)
		return r;
	if (carg || parg || karg) {
		r = carg   ? bg_cgroup_resolve(carg, &cg, err, sizeof(err))
		    : parg ? bg_cgroup_of_pid(parg, &cg, err, sizeof(err))
			   : bg_cgroup_of_container(karg, &cg, err, sizeof(err));
		if (r) {
			bg_err("sockets: %s", err);
			return BG_EXIT_USAGE;
		}
		f.subtree = cg.path;
		f.policed = false;
	}
	if (all)
		f.policed = false;
	r = bg_require_privileges("sockets");
	if (r)
		return r;
	r = bg_state_open(&st, 0);
	if (r && r != -ENOENT) {
		/* bg_state_open said why. */
		return r > 0 ? r : BG_EXIT_FAIL;
	}
	have_state = r == 0;
	r = bg_scan_sockets(have_state ? &st : NULL, &f, &sc, "sockets");
	if (have_state)
		bg_state_close(&st);
	if (r)
		return BG_EXIT_FAIL;
	if (g->json) {
		print_json(&sc);
	} else {
		if (sc.n)
			bg_open_table_header(stdout);
		for (size_t i = 0; i < sc.n; i++)
			bg_open_table_row(stdout, &sc, &sc.v[i]);
		if (!sc.n)
			printf("no %ssockets%s\n", f.refused_only ? "refused " : "",
			       f.policed ? " under a policy" : "");
	}
	if (sc.unlisted[0])
		bg_err("note: this kernel cannot list %s sockets (no sock_diag handler for them)",
		       sc.unlisted);
	if (sc.unlisted_raw) /* `check` says so too; most kernels lack raw_diag */
		bg_dbg("raw sockets are not listed: this kernel has no raw_diag");
	bg_scan_free(&sc);
	return BG_EXIT_OK;
}
