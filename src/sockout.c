// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include <sys/socket.h>
#include "addr.h"
#include "event.h"
#include "existing.h"
#include "policy.h"
#include "sockout.h"

/* "0.0.0.0:80", "[::]:80"; a raw socket "0.0.0.0 (protocol 1)". */
static void endpoint(const struct bg_open *o, char *buf, size_t len)
{
	char a[BG_ADDR_STRLEN];

	bg_addr_format(o->s.addr, o->s.family == AF_INET ? 4 : 6, a, sizeof(a));
	if (o->s.type == SOCK_RAW)
		snprintf(buf, len, "%s (protocol %u)", a, o->s.protocol);
	else if (o->s.family == AF_INET)
		snprintf(buf, len, "%s:%u", a, o->s.port);
	else
		snprintf(buf, len, "[%s]:%u", a, o->s.port);
}

/* Untrusted names (comm, cgroup paths), escaped as events escape them. */
static void safe(FILE *f, const char *s)
{
	bg_text_escape(f, s, strlen(s), false);
}

static void holders(FILE *f, const struct bg_scan *sc, const struct bg_open *o)
{
	const struct bg_owner *w;
	size_t n;

	w = bg_owners_of(&sc->owners, o->s.inode, &n);
	if (!n) {
		fputs("no process", f);
		return;
	}
	for (size_t i = 0; i < n && i < 4; i++) {
		fprintf(f, "%spid %u (", i ? ", " : "", w[i].pid);
		safe(f, w[i].comm);
		fputc(')', f);
	}
	if (n > 4)
		fprintf(f, " and %zu more", n - 4);
}

/* none: no policy governs it; unknown: its cgroup was removed, so which
 * policy governs it cannot be told from userspace. */
static const char *verdict_shown(const struct bg_scan_cgroup *cg, const struct bg_open *o)
{
	if (!cg->path[0])
		return "unknown";
	return cg->pcgid ? bg_verdict_name(o->verdict) : "none";
}

static const char *outcome(const struct bg_open *o)
{
	if (o->closed == 1)
		return "closed";
	if (o->closed < 0)
		return "still open: closing failed";
	return bg_verdict_refuses(o->verdict) ? "still open" : "allowed";
}

void bg_open_text(FILE *f, const struct bg_scan *sc, const struct bg_open *o)
{
	const struct bg_scan_cgroup *cg = &sc->cgs[o->cg];
	char ep[BG_ADDR_STRLEN + 32];

	endpoint(o, ep, sizeof(ep));
	fprintf(f, "%s %s ", bg_diag_proto_name(o->s.protocol, o->s.type), ep);
	holders(f, sc, o);
	fputs(" in ", f);
	safe(f, cg->path[0] ? cg->path : "(a removed cgroup)");
	fprintf(f, ": %s (%s) by %s@", bg_verdict_name(o->verdict), bg_reason_name(o->reason),
		bg_preset_name(cg->pol.preset));
	safe(f, cg->ppath);
	fprintf(f, ", %s", outcome(o));
	if (o->closed < 0)
		fprintf(f, " (%s: %s)", o->close_step ? o->close_step : "close",
			strerror(-o->closed));
	fputc('\n', f);
}

void bg_open_table_header(FILE *f)
{
	fprintf(f, "%-8s %-7s %-28s %-24s %-20s %s\n", "VERDICT", "PROTO", "ADDRESS", "PROCESS",
		"CGROUP", "POLICY");
}

void bg_open_table_row(FILE *f, const struct bg_scan *sc, const struct bg_open *o)
{
	const struct bg_scan_cgroup *cg = &sc->cgs[o->cg];
	const struct bg_owner *w;
	char ep[BG_ADDR_STRLEN + 32], who[48];
	size_t n;

	endpoint(o, ep, sizeof(ep));
	w = bg_owners_of(&sc->owners, o->s.inode, &n);
	if (n)
		snprintf(who, sizeof(who), "%u/%s%s", w->pid, w->comm, n > 1 ? ",+" : "");
	else
		snprintf(who, sizeof(who), "-");
	fprintf(f, "%-8s %-7s %-28s ", verdict_shown(cg, o),
		bg_diag_proto_name(o->s.protocol, o->s.type), ep);
	safe(f, who);
	fprintf(f, "%*s ", (int)(strlen(who) < 24 ? 24 - strlen(who) : 0), "");
	safe(f, cg->path[0] ? cg->path : "(removed)");
	fprintf(f, "%*s ", (int)(strlen(cg->path) < 20 ? 20 - strlen(cg->path) : 0), "");
	if (cg->pcgid) {
		fprintf(f, "%s@", bg_preset_name(cg->pol.preset));
		safe(f, cg->ppath);
		if (cg->pol.mode == BG_MODE_AUDIT)
			fputs(" (audit)", f);
	} else {
		fputc('-', f);
	}
	fputc('\n', f);
}

void bg_open_json(struct bg_json *j, const struct bg_scan *sc, const struct bg_open *o)
{
	const struct bg_scan_cgroup *cg = &sc->cgs[o->cg];
	const struct bg_owner *w;
	char a[BG_ADDR_STRLEN];
	size_t n;

	bg_addr_format(o->s.addr, o->s.family == AF_INET ? 4 : 6, a, sizeof(a));
	bg_json_obj_begin(j);
	bg_json_kstr(j, "proto", bg_diag_proto_name(o->s.protocol, o->s.type));
	bg_json_kstr(j, "family", o->s.family == AF_INET ? "inet" : "inet6");
	bg_json_kstr(j, "address", a);
	if (o->s.type == SOCK_RAW)
		bg_json_ku64(j, "protocol", o->s.protocol);
	else
		bg_json_ku64(j, "port", o->s.port);
	if (o->s.family == AF_INET6)
		bg_json_kbool(j, "v6only", o->s.v6only);
	bg_json_ku64(j, "ifindex", o->s.ifindex);
	bg_json_ku64(j, "netns", o->netns);
	bg_json_ku64(j, "inode", o->s.inode);
	bg_json_ku64(j, "uid", o->s.uid);
	bg_json_key(j, "processes");
	bg_json_arr_begin(j);
	w = bg_owners_of(&sc->owners, o->s.inode, &n);
	for (size_t i = 0; i < n; i++) {
		bg_json_obj_begin(j);
		bg_json_ku64(j, "pid", w[i].pid);
		bg_json_kstr(j, "comm", w[i].comm);
		bg_json_obj_end(j);
	}
	bg_json_arr_end(j);
	bg_json_key(j, "cgroup");
	if (cg->path[0])
		bg_json_str(j, cg->path);
	else
		bg_json_null(j);
	bg_json_ku64(j, "cgroup_id", cg->id);
	bg_json_key(j, "policy_cgroup");
	if (cg->pcgid)
		bg_json_str(j, cg->ppath);
	else
		bg_json_null(j);
	bg_json_key(j, "policy");
	if (cg->pcgid)
		bg_json_str(j, bg_preset_name(cg->pol.preset));
	else
		bg_json_null(j);
	bg_json_key(j, "mode");
	if (cg->pcgid)
		bg_json_str(j, bg_mode_name(cg->pol.mode));
	else
		bg_json_null(j);
	bg_json_kstr(j, "verdict", verdict_shown(cg, o));
	bg_json_kstr(j, "reason", bg_reason_name(o->reason));
	bg_json_kbool(j, "refused", bg_verdict_refuses(o->verdict));
	bg_json_kbool(j, "closed", o->closed == 1);
	if (o->closed < 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s: %s", o->close_step ? o->close_step : "close",
			 strerror(-o->closed));
		bg_json_kstr(j, "close_error", msg);
	}
	bg_json_obj_end(j);
}
