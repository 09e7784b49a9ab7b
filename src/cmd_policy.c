// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loopback-only, deny-wildcard and detach: the commands that change policy. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cgroup.h"
#include "commands.h"
#include "container.h"
#include "control.h"
#include "gc.h"
#include "json.h"
#include "load.h"
#include "log.h"
#include "pins.h"
#include "policy.h"
#include "sockets.h"
#include "sockout.h"
#include "state.h"

static void policy_usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"Usage: bindguard %s (--cgroup PATH | --pid PID | --container NAME)...\n"
		"                 [--allow RULE]... [--allow-from FILE]\n"
		"                 [--proto tcp|udp|all] [--mode enforce|audit|rewrite]\n"
		"                 [--udp-autobind allow|audit|deny] [--raw allow|deny] "
		"[--count-allowed]\n"
		"                 [--ping confine|allow] [--other-protocols deny|allow]\n"
		"                 [--host-wide] [--close-existing | --keep-existing]\n"
		"\n"
		"%s\n"
		"\n"
		"  -c, --cgroup PATH   cgroup v2 path, relative to the cgroup2 mount or absolute\n"
		"  -p, --pid PID       the cgroup of process PID\n"
		"      --container NAME\n"
		"                      the cgroup of running container NAME or ID (asks podman,\n"
		"                      then docker)\n"
		"                      (all repeatable: every cgroup named gets the policy, or,\n"
		"                      on any error, none does)\n"
		"  -a, --allow RULE    exception, repeatable: ADDR[/LEN][:PORT[-PORT]],\n"
		"                      [V6ADDR[/LEN]][:PORT[-PORT]], or *:PORT\n"
		"      --allow-from FILE\n"
		"                      the rules of FILE, one per line, # comments (what\n"
		"                      run --suggest writes)\n"
		"  -P, --proto P       tcp (stream sockets), udp (datagram sockets) or all "
		"(default)\n"
		"  -m, --mode M        enforce (default: EPERM), audit (allow and report), or\n"
		"                      rewrite (wildcard binds go to loopback, see below)\n"
		"      --udp-autobind allow|audit|deny\n"
		"                      unconnected UDP sendto() from an unbound socket autobinds\n"
		"                      it to the wildcard: audit (default) reports it, deny\n"
		"                      refuses the send (EPERM; breaks DNS/NTP/QUIC clients\n"
		"                      that send from unbound sockets)\n"
		"      --raw allow|deny\n"
		"                      raw sockets skip the bind hooks: deny refuses creating\n"
		"                      them (ping, DHCP clients, packet tools); default allow\n"
		"      --ping confine|allow\n"
		"                      ICMP ping sockets skip the bind hooks: confine (default)\n"
		"                      ties them to lo, so ping reaches this machine only; allow\n"
		"                      lets them send to and hear from any host\n"
		"      --other-protocols deny|allow\n"
		"                      sockets of other protocols with their own bind (SCTP,\n"
		"                      L2TP/IP): deny (default) refuses creating them (EPERM)\n"
		"      --count-allowed count the binds the policy decides to allow (status\n"
		"                      ALLOWED); off by default: it adds a few ns to each\n"
		"                      such bind\n"
		"      --host-wide     allow the root cgroup as target (the whole host)\n"
		"      --close-existing\n"
		"                      close the sockets that were bound before the policy and\n"
		"                      that it refuses: a listener is destroyed (its process\n"
		"                      sees the socket fail), a UDP or raw socket is aborted\n"
		"                      and tied to lo; each is an event (verdict close)\n"
		"      --keep-existing leave them open and exit 0 (they are still reported)\n"
		"\n"
		"Sockets bound before the policy keep their address: each one the policy\n"
		"refuses is reported on stderr, and the exit status is 4 while any is open\n"
		"(not in audit mode), unless --close-existing closed them all or\n"
		"--keep-existing was given. `bindguard sockets` lists them later.\n"
		"Applying to a cgroup that already has a policy replaces it atomically.\n"
		"With --json, one object per cgroup, one per line.\n"
		"Rewrite mode: 0.0.0.0 becomes 127.0.0.1, an IPv6-only :: becomes ::1, and a\n"
		"dual-stack :: stays but is tied to lo (IPv4 and IPv6 loopback clients both "
		"work).\n"
		"Other refused addresses are denied as in enforce mode.\n"
		"\n"
		"EXAMPLES\n"
		"  bindguard %s --cgroup /dev\n"
		"  bindguard %s --cgroup /ci --allow 0.0.0.0:8080 --allow '[::]:8080'\n"
		"  bindguard %s --pid 1234 --mode audit\n",
		cmd,
		!strcmp(cmd, "loopback-only")
			? "Allow binds only to loopback: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104."
			: "Deny binds to the wildcard: 0.0.0.0, ::, ::ffff:0.0.0.0 (any port).",
		cmd, cmd, cmd);
}

/* The sockets of the scan that cg's policy governs. */
static bool governed_by(const struct bg_scan *sc, const struct bg_open *o,
			const struct bg_cgroup *cg)
{
	return sc->cgs[o->cg].pcgid == cg->id;
}

static void print_applied(const struct bg_global *g, const struct bg_cgroup *cg,
			  const struct bg_policy_spec *spec, const struct bg_scan *sc)
{
	char buf[128];

	for (size_t i = 0; sc && !g->json && i < sc->n; i++) {
		if (!governed_by(sc, &sc->v[i], cg))
			continue;
		fputs("bindguard: existing socket: ", stderr);
		bg_open_text(stderr, sc, &sc->v[i]);
	}
	if (g->json) {
		struct bg_json j;

		bg_json_init(&j, stdout);
		bg_json_obj_begin(&j);
		bg_json_kstr(&j, "cgroup", cg->path);
		bg_json_ku64(&j, "cgroup_id", cg->id);
		bg_json_kstr(&j, "policy", bg_preset_name(spec->preset));
		bg_json_kstr(&j, "mode", bg_mode_name(spec->mode));
		bg_json_kstr(&j, "proto", bg_proto_name(spec->proto_mask));
		bg_json_kstr(&j, "udp_autobind", bg_udp_autobind_name(spec->flags));
		bg_json_kstr(&j, "raw", bg_raw_name(spec->flags));
		bg_json_kstr(&j, "ping", bg_ping_name(spec->flags));
		bg_json_kstr(&j, "other_protocols", bg_other_name(spec->flags));
		bg_json_kbool(&j, "count_allowed", spec->flags & BG_F_COUNT_ALLOWED);
		bg_json_key(&j, "allow");
		bg_json_arr_begin(&j);
		for (size_t i = 0; i < spec->nrules; i++) {
			bg_rule_format(&spec->rules[i], buf, sizeof(buf));
			bg_json_str(&j, buf);
		}
		bg_json_arr_end(&j);
		/* null: the existing sockets could not be listed. */
		bg_json_key(&j, "existing");
		if (sc) {
			bg_json_arr_begin(&j);
			for (size_t i = 0; i < sc->n; i++)
				if (governed_by(sc, &sc->v[i], cg))
					bg_open_json(&j, sc, &sc->v[i]);
			bg_json_arr_end(&j);
		} else {
			bg_json_null(&j);
		}
		bg_json_obj_end(&j);
		fputc('\n', stdout);
		return;
	}
	printf("%s: %s (%s, proto %s, udp-autobind %s, raw %s, ping %s, other-protocols %s%s)",
	       cg->path, bg_preset_name(spec->preset), bg_mode_name(spec->mode),
	       bg_proto_name(spec->proto_mask), bg_udp_autobind_name(spec->flags),
	       bg_raw_name(spec->flags), bg_ping_name(spec->flags), bg_other_name(spec->flags),
	       spec->flags & BG_F_COUNT_ALLOWED ? ", counting allowed binds" : "");
	for (size_t i = 0; i < spec->nrules; i++) {
		bg_rule_format(&spec->rules[i], buf, sizeof(buf));
		printf("%s%s", i ? ", " : ", allow ", buf);
	}
	putchar('\n');
}

/* --allow-from FILE: rules one per line, as run --suggest writes them. */
static int allow_from(const char *path, struct bg_policy_spec *spec, const char *cmd)
{
	char err[BG_ERRLEN], *text = NULL;
	size_t cap = 0, n = 0;
	int line, r = BG_EXIT_USAGE;
	FILE *f = fopen(path, "re");

	if (!f) {
		bg_err("%s: --allow-from %s: %s", cmd, path, strerror(errno));
		return BG_EXIT_USAGE;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *more = cap > (1 << 22) ? NULL : realloc(text, cap + 65536);

			if (!more) {
				bg_err("%s: --allow-from %s: too large", cmd, path);
				goto out;
			}
			text = more;
			cap += 65536;
		}
		size_t k = fread(text + n, 1, 4096, f);

		n += k;
		if (k < 4096)
			break;
	}
	if (ferror(f)) {
		bg_err("%s: --allow-from %s: %s", cmd, path, strerror(errno));
		goto out;
	}
	text[n] = '\0';
	if (strlen(text) != n) {
		bg_err("%s: --allow-from %s: not a text file", cmd, path);
		goto out;
	}
	if (bg_spec_add_rules_text(spec, text, err, sizeof(err), &line)) {
		bg_err("%s: --allow-from %s:%d: %s", cmd, path, line, err);
		goto out;
	}
	r = 0;
out:
	free(text);
	fclose(f);
	return r;
}

int bg_policy_option(int opt, const char *arg, struct bg_policy_spec *spec, const char *cmd)
{
	static const struct {
		int opt;
		const char *name;
	} names[] = {
		{ 'a', "allow" },	 { 'P', "proto" },	     { 'm', "mode" },
		{ 'U', "udp-autobind" }, { 'C', "count-allowed" },   { 'R', "raw" },
		{ 'I', "ping" },	 { 'O', "other-protocols" },
	};
	char err[BG_ERRLEN];

	if (opt == 'F')
		return allow_from(arg, spec, cmd);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].opt != opt)
			continue;
		if (bg_policy_set(spec, names[i].name, arg, err, sizeof(err)) == 0)
			return 0;
		bg_err("%s: --%s %s", cmd, names[i].name, err);
		return BG_EXIT_USAGE;
	}
	return BG_EXIT_USAGE;
}

/* The --cgroup, --pid and --container arguments of a command, in order. */
struct targets {
	int n, cap;
	char *kind; /* 'c', 'p' or 'k' */
	const char **arg;
};

static int targets_add(struct targets *t, char kind, const char *arg)
{
	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 16;
		char *kinds = realloc(t->kind, cap);
		const char **args;

		if (!kinds)
			return -1;
		t->kind = kinds;
		args = realloc(t->arg, cap * sizeof(*args));
		if (!args)
			return -1;
		t->arg = args;
		t->cap = cap;
	}
	t->kind[t->n] = kind;
	t->arg[t->n++] = arg;
	return 0;
}

static void targets_free(struct targets *t)
{
	free(t->kind);
	free(t->arg);
}

static const char *target_option(char kind)
{
	return kind == 'c' ? "--cgroup " : kind == 'p' ? "--pid " : "--container ";
}

/* One target to its cgroup: 0, or -1 with err. */
static int target_resolve(char kind, const char *arg, struct bg_cgroup *cg, char *err,
			  size_t errlen)
{
	if (kind == 'c')
		return bg_cgroup_resolve(arg, cg, err, errlen);
	if (kind == 'p')
		return bg_cgroup_of_pid(arg, cg, err, errlen);
	return bg_cgroup_of_container(arg, cg, err, errlen);
}

static const struct bg_cgroup *sort_cgs;

static int cmp_cg_index(const void *a, const void *b)
{
	__u64 x = sort_cgs[*(const int *)a].id, y = sort_cgs[*(const int *)b].id;

	return x < y ? -1 : x > y;
}

/* Is a cgroup named twice (also as --cgroup PATH and --pid of a process in
 * it)? Says which arguments, once. One sort: thousands of targets are fine. */
static bool named_twice(const struct targets *t, const struct bg_cgroup *cgs, const char *cmd)
{
	int *order = calloc(t->n > 0 ? (size_t)t->n : 1, sizeof(*order));
	bool twice = false;

	if (!order) {
		bg_err("%s: out of memory", cmd);
		return true;
	}
	for (int i = 0; i < t->n; i++)
		order[i] = i;
	sort_cgs = cgs;
	qsort(order, t->n, sizeof(*order), cmp_cg_index);
	for (int k = 1; k < t->n && !twice; k++) {
		int i = order[k - 1], j = order[k];

		if (cgs[i].id != cgs[j].id)
			continue;
		if (i > j) {
			int tmp = i;

			i = j;
			j = tmp;
		}
		bg_err("%s: cgroup %s is named twice (%s%s and %s%s)", cmd, cgs[j].path,
		       target_option(t->kind[i]), t->arg[i], target_option(t->kind[j]), t->arg[j]);
		twice = true;
	}
	free(order);
	return twice;
}

/* Resolve every target before anything touches the kernel. Root needs
 * --host-wide (apply), a cgroup named twice is refused. */
static int targets_resolve(const struct targets *t, const char *cmd, bool refuse_root,
			   struct bg_cgroup **out)
{
	struct bg_cgroup *cgs = calloc(t->n, sizeof(*cgs));
	char err[BG_ERRLEN];

	*out = NULL;
	if (!cgs) {
		bg_err("%s: out of memory", cmd);
		return BG_EXIT_FAIL;
	}
	for (int i = 0; i < t->n; i++) {
		int r = target_resolve(t->kind[i], t->arg[i], &cgs[i], err, sizeof(err));

		if (r) {
			bg_err("%s: %s", cmd, err);
			free(cgs);
			return BG_EXIT_USAGE;
		}
		if (cgs[i].is_root && refuse_root) {
			bg_err("%s: refusing the root cgroup: that polices every process on the "
			       "host; add --host-wide if that is what you mean",
			       cmd);
			free(cgs);
			return BG_EXIT_USAGE;
		}
	}
	if (named_twice(t, cgs, cmd)) {
		free(cgs);
		return BG_EXIT_USAGE;
	}
	*out = cgs;
	return 0;
}

/*
 * After an apply: the sockets the new policies govern that were bound before
 * them and that they refuse; closed when emit_fd >= 0. *scanned false: they
 * could not be listed (said on stderr; the apply stands). 0, or an exit code.
 */
static int existing_sockets(const struct bg_state *st, const struct bg_cgroup *cgs, int k,
			    const struct bg_policy_spec *spec, int emit_fd, struct bg_scan *sc,
			    bool *scanned)
{
	struct bg_scan_filter f = { .refused_only = true, .npcgids = (size_t)k };
	__u64 *ids = calloc((size_t)k, sizeof(*ids));

	*scanned = false;
	if (!ids)
		return BG_EXIT_FAIL;
	for (int i = 0; i < k; i++)
		ids[i] = cgs[i].id;
	f.pcgids = ids;
	if (bg_scan_sockets(st, &f, sc, "existing sockets") == 0) {
		*scanned = true;
		if (emit_fd >= 0)
			bg_scan_close(sc, emit_fd);
		if (sc->unlisted[0])
			bg_err("note: this kernel cannot list %s sockets (no sock_diag handler): "
			       "existing ones are not checked",
			       sc->unlisted);
		if (sc->unlisted_raw && (spec->flags & BG_F_RAW_DENY))
			bg_err("note: this kernel cannot list raw sockets (no raw_diag): existing "
			       "ones are not checked");
	}
	free(ids);
	return 0;
}

static int apply_cmd(int argc, char **argv, struct bg_global *g, __u8 preset)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "container", required_argument, NULL, 'k' },
		BG_POLICY_LONGOPTS,
		{ "host-wide", no_argument, NULL, 'H' },
		{ "close-existing", no_argument, NULL, 'X' },
		{ "keep-existing", no_argument, NULL, 'K' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static struct bg_policy_spec spec;
	bool close_existing = false, keep_existing = false;
	const char *cmd = argv[0];
	char err[BG_ERRLEN];
	struct targets t = { 0 };
	struct bg_cgroup *cgs = NULL;
	struct bg_state st;
	struct bg_scan sc;
	bool host_wide = false, scanned = false;
	int c, r, emit_fd = -1;

	bg_policy_defaults(&spec, preset);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:p:a:P:m:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'p':
		case 'k':
			if (targets_add(&t, (char)c, optarg)) {
				bg_err("%s: out of memory", cmd);
				r = BG_EXIT_FAIL;
				goto out;
			}
			break;
		case 'a':
		case 'F':
		case 'P':
		case 'm':
		case 'U':
		case 'R':
		case 'I':
		case 'O':
		case 'C':
			r = bg_policy_option(c, optarg, &spec, cmd);
			if (r)
				goto out;
			break;
		case 'H':
			host_wide = true;
			break;
		case 'X':
			close_existing = true;
			break;
		case 'K':
			keep_existing = true;
			break;
		case 'j':
			g->json = true;
			break;
		case 'h':
			policy_usage(stdout, cmd);
			r = BG_EXIT_OK;
			goto out;
		default:
			bg_option_error(cmd, argv, "c:p:a:P:m:jh", opts);
			r = BG_EXIT_USAGE;
			goto out;
		}
	}
	r = BG_EXIT_USAGE;
	if (bg_no_more_args(cmd, argc, argv))
		goto out;
	if (!t.n) {
		bg_err("%s: give --cgroup PATH, --pid PID or --container NAME (repeatable)", cmd);
		goto out;
	}
	if (close_existing && keep_existing) {
		bg_err("%s: --close-existing and --keep-existing contradict each other", cmd);
		goto out;
	}
	if (bg_spec_check(&spec, err, sizeof(err))) {
		bg_err("%s: --allow: %s", cmd, err);
		goto out;
	}
	r = bg_need_cgroup2(cmd);
	if (r)
		goto out;
	r = targets_resolve(&t, cmd, !host_wide, &cgs);
	if (r)
		goto out;
	r = bg_require_privileges(cmd);
	if (r)
		goto out;

	if (close_existing && spec.mode != BG_MODE_AUDIT) {
		r = bg_close_supported(err, sizeof(err));
		if (r) {
			bg_err("%s: --close-existing: this kernel cannot close sockets (%s); "
			       "nothing was changed",
			       cmd, err);
			r = BG_EXIT_NOFEATURE;
			goto out;
		}
	} else {
		close_existing = false; /* audit mode reports, never closes */
	}

	r = bg_state_open(&st, BG_STATE_CREATE | BG_STATE_LOCK);
	if (r == 0 && close_existing) {
		emit_fd = bg_emitter_load(&st, bg_state_object(&st));
		if (emit_fd < 0) {
			bg_err("%s: --close-existing: this kernel refuses the program that reports "
			       "closed sockets (%s); no policy was changed",
			       cmd, strerror(-emit_fd));
			r = BG_EXIT_NOFEATURE;
		}
	}
	if (r == 0)
		r = bg_state_apply_many(&st, cgs, t.n, &spec);
	if (r == 0)
		r = existing_sockets(&st, cgs, t.n, &spec, close_existing ? emit_fd : -1, &sc,
				     &scanned);
	bg_state_close(&st);
	if (emit_fd >= 0)
		close(emit_fd);
	if (r) {
		r = r < 0 ? BG_EXIT_FAIL : r;
		goto out;
	}
	for (int i = 0; i < t.n; i++)
		print_applied(g, &cgs[i], &spec, scanned ? &sc : NULL);
	r = BG_EXIT_OK;
	if (spec.mode != BG_MODE_AUDIT && !keep_existing &&
	    (!scanned || bg_scan_refused_open(&sc))) {
		bg_err("%s: applied, but %s; --close-existing closes them, --keep-existing "
		       "accepts them",
		       cmd,
		       scanned ? "sockets it refuses are still open (listed above)"
			       : "the sockets that were already open could not be checked");
		r = BG_EXIT_EXPOSED;
	}
	if (scanned)
		bg_scan_free(&sc);
out:
	free(cgs);
	targets_free(&t);
	return r;
}

int cmd_loopback_only(int argc, char **argv, struct bg_global *g)
{
	return apply_cmd(argc, argv, g, BG_PRESET_LOOPBACK_ONLY);
}

int cmd_deny_wildcard(int argc, char **argv, struct bg_global *g)
{
	return apply_cmd(argc, argv, g, BG_PRESET_DENY_WILDCARD);
}

/* detach --all --if-unused: remove the state only while no policy is in
 * force, checked and removed under the change lock (no policy can appear
 * in between). Exit code; 0 also when it is kept (said on stderr). */
static int destroy_if_unused(bool *removed)
{
	struct bg_state st;
	__u64 key;
	int r = bg_state_open(&st, BG_STATE_LOCK);

	/* Policies of removed cgroups and finished runs do not count. */
	if (r == 0)
		r = bg_state_gc(&st);
	if (r == 0) {
		if (bpf_map_get_next_key(st.map_fd[BG_MAP_POLICIES], NULL, &key) == 0)
			bg_err("detach --all --if-unused: policies are in force: nothing removed "
			       "(`bindguard status` lists them)");
		else if ((r = bg_state_remove_locked(&st)) == 0)
			*removed = true;
	} else if (r == -ENOENT) {
		r = 0;
	}
	bg_state_close(&st);
	return r < 0 ? BG_EXIT_FAIL : r;
}

static void print_detached(const struct bg_global *g, const struct bg_cgroup *cg, bool detached)
{
	if (g->json) {
		struct bg_json j;

		bg_json_init(&j, stdout);
		bg_json_obj_begin(&j);
		bg_json_kstr(&j, "cgroup", cg->path);
		bg_json_ku64(&j, "cgroup_id", cg->id);
		bg_json_kbool(&j, "detached", detached);
		bg_json_obj_end(&j);
		fputc('\n', stdout);
	} else {
		printf("%s: %s\n", cg->path, detached ? "detached" : "no policy");
	}
}

static void print_detached_all(const struct bg_global *g, bool removed)
{
	if (g->json)
		printf("{\"all\":true,\"removed\":%s}\n", removed ? "true" : "false");
	else
		printf("%s\n", removed ? "all: bindguard's state removed" : "all: kept");
}

/*
 * Detach the cgroups of cgs that have a policy (have_state: the state
 * exists and is open, locked). One without: exit 2 and nothing changes,
 * unless missing_ok, which skips it. had[i] says which were detached.
 */
static int detach_present(struct bg_state *st, bool have_state, const struct bg_cgroup *cgs, int n,
			  bool missing_ok, bool *had)
{
	struct bg_cgroup *keep = calloc((size_t)n, sizeof(*keep));
	struct bg_policy pol;
	int k = 0, r = 0;

	if (!keep) {
		bg_err("detach: out of memory");
		return BG_EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		had[i] = have_state && bg_state_policy(st, cgs[i].id, &pol) == 0;
		if (had[i]) {
			keep[k++] = cgs[i];
		} else if (!missing_ok) {
			bg_err("detach %s: no bindguard policy on this cgroup; nothing was changed "
			       "(--missing-ok skips such cgroups)",
			       cgs[i].path);
			r = BG_EXIT_USAGE;
			goto out;
		}
	}
	if (k)
		r = bg_state_detach_many(st, keep, k);
out:
	free(keep);
	return r;
}

static void detach_usage(FILE *f)
{
	fprintf(f, "Usage: bindguard detach ((--cgroup PATH | --pid PID | --container NAME)...\n"
		   "                        [--missing-ok] | --all [--if-unused]) [--json]\n"
		   "\n"
		   "Remove a cgroup's policy with its links, map entries and pins. --cgroup,\n"
		   "--pid and --container are repeatable: every cgroup named loses its policy,\n"
		   "or, on any error (one of them has none), none does. --all removes\n"
		   "everything bindguard holds in the kernel and in bpffs; with --if-unused,\n"
		   "only when no policy is in force (for cleanup scripts: exit 0 either way).\n"
		   "A cgroup without a policy is a usage error (exit 2, nothing changed) unless\n"
		   "--missing-ok, which skips it and detaches the others. One line per cgroup\n"
		   "(\"PATH: detached\" or \"PATH: no policy\"); --json: one object per line.\n"
		   "\n"
		   "EXAMPLES\n"
		   "  bindguard detach --cgroup /dev\n"
		   "  bindguard detach --all\n");
}

int cmd_detach(int argc, char **argv, struct bg_global *g)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "container", required_argument, NULL, 'k' },
		{ "all", no_argument, NULL, 'A' },
		{ "if-unused", no_argument, NULL, 'U' },
		{ "missing-ok", no_argument, NULL, 'M' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct targets t = { 0 };
	struct bg_cgroup *cgs = NULL;
	struct bg_state st;
	bool all = false, if_unused = false, missing_ok = false;
	bool *had = NULL;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:p:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'p':
		case 'k':
			if (targets_add(&t, (char)c, optarg)) {
				bg_err("detach: out of memory");
				r = BG_EXIT_FAIL;
				goto out;
			}
			break;
		case 'A':
			all = true;
			break;
		case 'U':
			if_unused = true;
			break;
		case 'M':
			missing_ok = true;
			break;
		case 'j':
			g->json = true;
			break;
		case 'h':
			detach_usage(stdout);
			r = BG_EXIT_OK;
			goto out;
		default:
			bg_option_error("detach", argv, "c:p:jh", opts);
			r = BG_EXIT_USAGE;
			goto out;
		}
	}
	r = BG_EXIT_USAGE;
	if (bg_no_more_args("detach", argc, argv))
		goto out;
	if ((t.n > 0) + all != 1) {
		bg_err("detach: give --cgroup PATH, --pid PID or --container NAME (repeatable), or "
		       "--all");
		goto out;
	}
	if (if_unused && !all) {
		bg_err("detach: --if-unused goes with --all");
		goto out;
	}
	if (missing_ok && all) {
		bg_err("detach: --missing-ok goes with --cgroup, --pid or --container");
		goto out;
	}
	r = bg_need_cgroup2("detach");
	if (r)
		goto out;
	if (!all) {
		r = targets_resolve(&t, "detach", false, &cgs);
		if (r)
			goto out;
	}
	r = bg_require_privileges("detach");
	if (r)
		goto out;
	if (all && if_unused) {
		bool removed = false;

		r = destroy_if_unused(&removed);
		if (r == 0)
			print_detached_all(g, removed);
		goto out;
	} else if (all) {
		r = bg_state_destroy();
	} else {
		r = bg_state_open(&st, BG_STATE_LOCK);
		had = calloc((size_t)t.n, sizeof(*had));
		if (!had) {
			bg_err("detach: out of memory");
			r = BG_EXIT_FAIL;
		}
		if (r == 0 || r == -ENOENT)
			r = detach_present(&st, r == 0, cgs, t.n, missing_ok, had);
		bg_state_close(&st);
		for (int i = 0; r == 0 && i < t.n; i++)
			print_detached(g, &cgs[i], had[i]);
	}
	if (r == 0 && all && bg_state_open(&st, 0) != -ENOENT) {
		bg_state_close(&st);
		bg_err("detach --all: state is still pinned in %s/%s", BG_BPFFS, BG_PIN_DIR);
		r = BG_EXIT_FAIL;
	}
	if (r == 0 && all)
		print_detached_all(g, true);
	r = r < 0 ? BG_EXIT_FAIL : r;
out:
	free(had);
	free(cgs);
	targets_free(&t);
	return r;
}
