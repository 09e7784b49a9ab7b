// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * apply: the policies of policy files (conf.h), all or nothing, with a plan
 * first (reconcile.h). The agent runs the same on every change it sees.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "conf.h"
#include "json.h"
#include "load.h"
#include "log.h"
#include "reconcile.h"
#include "sockets.h"
#include "sockout.h"

static void apply_usage(FILE *f)
{
	fprintf(f,
		"usage: bindguard apply [--config DIR]... [--dry-run] [--json]\n"
		"                       [--close-existing | --keep-existing]\n"
		"\n"
		"Apply the policies of the *.conf files in DIR (repeatable: a file in an\n"
		"earlier DIR masks a same-named one in a later DIR), all or nothing. Without\n"
		"--config: " BG_SYSCONF_POLICYDIR ", then " BG_VENDOR_POLICYDIR ".\n"
		"Policies an earlier apply of the same directories made and the files no\n"
		"longer name are removed; policies made otherwise are never removed.\n"
		"\n"
		"  --config DIR   a directory of policy files (docs/CONFIG.md)\n"
		"  --dry-run      print the plan (add, change, remove, keep), change nothing\n"
		"  --json         the plan as one JSON document\n"
		"  --close-existing  close the sockets bound before that the new policies\n"
		"                 refuse (listed on stderr; without it exit 4 while any is open)\n"
		"  --keep-existing   accept them (exit 0)\n");
}

static void print_item(const struct bg_plan_item *it, bool json, struct bg_json *j, FILE *out)
{
	char text[1024] = "";

	if (it->want)
		bg_conf_spec_text(&it->want->spec, text, sizeof(text));
	if (json) {
		bg_json_obj_begin(j);
		bg_json_kstr(j, "op", bg_plan_op_name(it->op));
		bg_json_kstr(j, "cgroup", it->cg.path);
		if (it->want) {
			bg_json_kstr(j, "policy", text);
			bg_json_kstr(j, "from", it->want->where);
		}
		if (it->op == BG_PLAN_CHANGE || it->op == BG_PLAN_REMOVE) {
			char old[1024];

			bg_conf_spec_text(&it->old, old, sizeof(old));
			bg_json_kstr(j, "was", old);
		}
		if (it->op == BG_PLAN_CHANGE)
			bg_json_kbool(j, "made_by_hand", it->by_hand);
		bg_json_obj_end(j);
		return;
	}
	switch (it->op) {
	case BG_PLAN_REMOVE:
		fprintf(out,
			"remove  %s  (an earlier apply made it; the files no longer name it)\n",
			it->cg.path);
		break;
	case BG_PLAN_ABSENT:
		fprintf(out,
			"absent  %s  (%s: no such cgroup; the agent applies it when it appears)\n",
			it->cg.path, it->want->where);
		break;
	case BG_PLAN_SKIP:
		fprintf(out, "skip    %s  (%s: a `bindguard run` cgroup, never changed)\n",
			it->cg.path, it->want->where);
		break;
	default:
		fprintf(out, "%-7s %s  %s  (%s%s)\n", bg_plan_op_name(it->op), it->cg.path, text,
			it->want->where,
			it->op == BG_PLAN_CHANGE && it->by_hand ? "; replaces a policy made by hand"
								: "");
	}
}

/*
 * After an apply: the sockets bound before it that the added or changed
 * policies refuse, one line each on stderr (closed first when emit_fd >= 0).
 * Returns how many stay open, or -1 when they could not be listed.
 */
static int existing_sockets(const struct bg_state *st, const struct bg_plan *pl, int emit_fd)
{
	struct bg_scan_filter f = { .refused_only = true };
	__u64 *ids = calloc(pl->n + 1, sizeof(*ids));
	struct bg_scan sc;
	int open;

	if (!ids)
		return -1;
	for (size_t i = 0; i < pl->n; i++)
		if (pl->v[i].op == BG_PLAN_ADD || pl->v[i].op == BG_PLAN_CHANGE)
			ids[f.npcgids++] = pl->v[i].cg.id;
	if (!f.npcgids) {
		free(ids);
		return 0;
	}
	f.pcgids = ids;
	if (bg_scan_sockets(st, &f, &sc, "apply")) {
		free(ids);
		return -1;
	}
	if (emit_fd >= 0)
		bg_scan_close(&sc, emit_fd);
	for (size_t i = 0; i < sc.n; i++) {
		fputs("bindguard: existing socket: ", stderr);
		bg_open_text(stderr, &sc, &sc.v[i]);
	}
	if (sc.unlisted[0])
		bg_err("note: this kernel cannot list %s sockets (no sock_diag handler): existing "
		       "ones are not checked",
		       sc.unlisted);
	open = (int)bg_scan_refused_open(&sc);
	bg_scan_free(&sc);
	free(ids);
	return open;
}

int bg_apply_config(const char *const *dirs, int ndirs, bool must_exist, unsigned flags, FILE *out)
{
	struct bg_conf c = { 0 };
	char err[BG_ERRLEN * 2], record[PATH_MAX];
	int r;

	if (bg_conf_load(&c, dirs, ndirs, must_exist, err, sizeof(err))) {
		bg_err("apply: %s; nothing was changed", err);
		bg_conf_free(&c); /* the files read before the broken one */
		return BG_EXIT_USAGE;
	}
	bg_conf_record_path(dirs, ndirs, record, sizeof(record));
	r = bg_apply_conf(&c, record, flags, out);
	bg_conf_free(&c);
	return r;
}

int bg_apply_conf(const struct bg_conf *c, const char *record, unsigned flags, FILE *out)
{
	bool dry = flags & BG_APPLY_DRY_RUN, json = flags & BG_APPLY_JSON;
	struct bg_plan pl = { 0 };
	struct bg_state st;
	bool have_state = false;
	struct bg_json j;
	int r, exposed = 0, emit_fd = -1;

	r = bg_state_open(&st, dry ? 0 : BG_STATE_CREATE | BG_STATE_LOCK);
	if (r && !(dry && r == -ENOENT))
		return r < 0 ? BG_EXIT_FAIL : r;
	have_state = r == 0;
	if (r == 0 && (flags & BG_APPLY_CLOSE_EXISTING)) {
		emit_fd = bg_emitter_load(&st, bg_state_object(&st));
		if (emit_fd < 0) {
			bg_err("apply: --close-existing: this kernel refuses the program that "
			       "reports "
			       "closed sockets (%s); nothing was changed",
			       strerror(-emit_fd));
			bg_state_close(&st);
			return BG_EXIT_NOFEATURE;
		}
	}
	r = bg_plan_make(have_state ? &st : NULL, c, record, &pl);
	if (r == 0 && !dry)
		r = bg_plan_apply(&st, &pl);
	if (r == 0 && !dry)
		exposed = existing_sockets(&st, &pl, emit_fd);
	if (emit_fd >= 0)
		close(emit_fd);
	if (have_state)
		bg_state_close(&st);
	if (r == 0) {
		size_t add = bg_plan_count(&pl, BG_PLAN_ADD),
		       chg = bg_plan_count(&pl, BG_PLAN_CHANGE),
		       rm = bg_plan_count(&pl, BG_PLAN_REMOVE),
		       keep = bg_plan_count(&pl, BG_PLAN_KEEP),
		       absent = bg_plan_count(&pl, BG_PLAN_ABSENT);

		if (json) {
			bg_json_init(&j, out);
			bg_json_obj_begin(&j);
			bg_json_kbool(&j, "dry_run", dry);
			bg_json_kstr(&j, "record", record);
			bg_json_key(&j, "plan");
			bg_json_arr_begin(&j);
		}
		for (size_t i = 0; i < pl.n; i++)
			if (!(flags & BG_APPLY_QUIET_KEEP) || pl.v[i].op != BG_PLAN_KEEP)
				print_item(&pl.v[i], json, &j, out);
		if (json) {
			bg_json_arr_end(&j);
			bg_json_ku64(&j, "added", add);
			bg_json_ku64(&j, "changed", chg);
			bg_json_ku64(&j, "removed", rm);
			bg_json_ku64(&j, "kept", keep);
			bg_json_ku64(&j, "absent", absent);
			bg_json_obj_end(&j);
			fputc('\n', out);
		} else if (!(flags & BG_APPLY_QUIET_KEEP) || add || chg || rm) {
			fprintf(out, "%s: %zu added, %zu changed, %zu removed, %zu unchanged%s\n",
				dry ? "dry run, would apply" : "applied", add, chg, rm, keep,
				absent ? "; some cgroups do not exist (absent above)" : "");
		}
		fflush(out);
	}
	bg_plan_free(&pl);
	if (r == 0 && exposed && !(flags & BG_APPLY_KEEP_EXISTING)) {
		bg_err("apply: applied, but %s; --close-existing closes them, --keep-existing "
		       "accepts them",
		       exposed > 0 ? "sockets the policies refuse are still open (listed above)"
				   : "the sockets that were already open could not be checked");
		r = BG_EXIT_EXPOSED;
	}
	return r;
}

int cmd_apply(int argc, char **argv, struct bg_global *g)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "close-existing", no_argument, NULL, 'X' },
		{ "keep-existing", no_argument, NULL, 'K' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static const char *defaults[] = BG_CONF_DIRS;
	const char **dirs = NULL;
	unsigned flags = 0;
	int ndirs = 0, c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:njh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': {
			const char **d = realloc(dirs, (ndirs + 1) * sizeof(*d));

			if (!d) {
				free(dirs);
				bg_err("apply: out of memory");
				return BG_EXIT_FAIL;
			}
			dirs = d;
			dirs[ndirs++] = optarg;
			break;
		}
		case 'n':
			flags |= BG_APPLY_DRY_RUN;
			break;
		case 'X':
			flags |= BG_APPLY_CLOSE_EXISTING;
			break;
		case 'K':
			flags |= BG_APPLY_KEEP_EXISTING;
			break;
		case 'j':
			g->json = true;
			break;
		case 'h':
			apply_usage(stdout);
			free(dirs);
			return BG_EXIT_OK;
		default:
			bg_option_error("apply", argv, "c:njh", opts);
			free(dirs);
			return BG_EXIT_USAGE;
		}
	}
	if (g->json)
		flags |= BG_APPLY_JSON;
	if (bg_no_more_args("apply", argc, argv)) {
		free(dirs);
		return BG_EXIT_USAGE;
	}
	if ((flags & BG_APPLY_CLOSE_EXISTING) && (flags & BG_APPLY_KEEP_EXISTING)) {
		bg_err("apply: --close-existing and --keep-existing contradict each other");
		free(dirs);
		return BG_EXIT_USAGE;
	}
	r = bg_need_cgroup2("apply");
	if (!r)
		r = bg_require_privileges("apply");
	if (!r && (flags & BG_APPLY_CLOSE_EXISTING) && !(flags & BG_APPLY_DRY_RUN)) {
		char why[BG_ERRLEN];

		if (bg_close_supported(why, sizeof(why))) {
			bg_err("apply: --close-existing: this kernel cannot close sockets (%s); "
			       "nothing was changed",
			       why);
			r = BG_EXIT_NOFEATURE;
		}
	}
	if (!r)
		r = ndirs ? bg_apply_config(dirs, ndirs, true, flags, stdout)
			  : bg_apply_config(defaults, 2, false, flags, stdout);
	free(dirs);
	return r;
}
