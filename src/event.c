// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "addr.h"
#include "event.h"
#include "json.h"
#include "policy.h"

#define BG_AF_INET  2
#define BG_AF_INET6 10

int bg_event_decode(const void *data, size_t len, struct bg_event *e)
{
	if (len < sizeof(*e))
		return -1;
	memcpy(e, data, sizeof(*e));
	if (e->verdict > BG_VERDICT_CLOSE || e->reason > BG_REASON_OWN_BIND ||
	    e->preset > BG_PRESET_DENY_WILDCARD || e->kind > BG_EV_SOCKET ||
	    (e->family != BG_AF_INET && e->family != BG_AF_INET6))
		return -1;
	return 0;
}

void bg_format_ts(long long real_ns, char *buf, size_t len)
{
	time_t sec = (time_t)(real_ns / 1000000000ll);
	long usec = (long)(real_ns % 1000000000ll) / 1000;
	struct tm tm;

	if (real_ns < 0 || !gmtime_r(&sec, &tm)) {
		snprintf(buf, len, "1970-01-01T00:00:00.000000Z");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}

const char *bg_proto_str(__u8 protocol)
{
	switch (protocol) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmpv6";
	case 115:
		return "l2tp";
	case 132:
		return "sctp";
	case 136:
		return "udplite";
	case 255:
		return "raw";
	default:
		return NULL;
	}
}

const char *bg_family_str(__u8 family)
{
	return family == BG_AF_INET ? "inet" : family == BG_AF_INET6 ? "inet6" : NULL;
}

static const char *kind_str(__u8 kind)
{
	static const char *const names[] = { "bind",	   "listen",   "udp-autobind", "raw",
					     "setsockopt", "existing", "socket",       "receive" };
	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

/* Events without an address (raw socket, setsockopt) leave it all zero. */
static bool has_addr(const struct bg_event *e)
{
	return e->kind == BG_EV_BIND || e->kind == BG_EV_LISTEN || e->kind == BG_EV_UDP_SEND ||
	       e->kind == BG_EV_RECEIVE ||
	       (e->kind == BG_EV_EXISTING && e->reason != BG_REASON_RAW);
}

static void addr_text(const struct bg_event *e, char *buf, size_t len)
{
	bg_addr_format(e->addr, e->family == BG_AF_INET ? 4 : 6, buf, len);
}

/* Untrusted text (comm, cgroup names) as a C string literal body: printable
 * ASCII as is, the rest \xNN, so no name can break or forge a line. Spaces
 * are escaped too where the text is not quoted. */
void bg_text_escape(FILE *f, const char *s, size_t n, bool quoted)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f || (c == ' ' && !quoted))
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

/* Boot-time stamp to wall clock; a hostile stamp wraps instead of
 * overflowing (signed overflow is undefined). */
static long long wall_ns(const struct bg_event *e, const struct bg_event_ctx *c)
{
	return (long long)(e->ts_ns + (unsigned long long)c->boot_to_real_ns);
}

void bg_event_print_text(FILE *f, const struct bg_event *e, const struct bg_event_ctx *c)
{
	char ts[40], addr[BG_ADDR_STRLEN];
	const char *proto = bg_proto_str(e->protocol);

	bg_format_ts(wall_ns(e, c), ts, sizeof(ts));
	fprintf(f, "%s %s %s pid=%u uid=%u comm=\"", ts, bg_verdict_name(e->verdict),
		kind_str(e->kind), e->pid, e->uid);
	bg_text_escape(f, e->comm, sizeof(e->comm), true);
	fputs("\" cgroup=", f);
	if (c->cgroup_path)
		bg_text_escape(f, c->cgroup_path, strlen(c->cgroup_path), false);
	else
		fprintf(f, "cgroup-id:%" PRIu64, (uint64_t)e->cgroup_id);
	if (proto)
		fprintf(f, " %s", proto);
	else
		fprintf(f, " proto-%u", e->protocol);
	fprintf(f, " %s", bg_family_str(e->family));
	if (has_addr(e)) {
		addr_text(e, addr, sizeof(addr));
		if (e->family == BG_AF_INET)
			fprintf(f, " %s:%u", addr, e->port);
		else
			fprintf(f, " [%s]:%u", addr, e->port);
	}
	fprintf(f, " reason=%s policy=%s@", bg_reason_name(e->reason), bg_preset_name(e->preset));
	if (c->policy_path)
		bg_text_escape(f, c->policy_path, strlen(c->policy_path), false);
	else
		fprintf(f, "cgroup-id:%" PRIu64, (uint64_t)e->policy_cgid);
	fputc('\n', f);
	fflush(f);
}

void bg_event_print_json(FILE *f, const struct bg_event *e, const struct bg_event_ctx *c)
{
	char ts[40], addr[BG_ADDR_STRLEN], num[8];
	const char *proto = bg_proto_str(e->protocol);
	struct bg_json j;

	bg_format_ts(wall_ns(e, c), ts, sizeof(ts));
	if (!proto) {
		snprintf(num, sizeof(num), "%u", e->protocol);
		proto = num;
	}
	bg_json_init(&j, f);
	bg_json_obj_begin(&j);
	bg_json_kstr(&j, "type", kind_str(e->kind));
	bg_json_kstr(&j, "ts", ts);
	bg_json_kstr(&j, "verdict", bg_verdict_name(e->verdict));
	bg_json_ku64(&j, "pid", e->pid);
	bg_json_ku64(&j, "tid", e->tid);
	bg_json_ku64(&j, "uid", e->uid);
	bg_json_ku64(&j, "gid", e->gid);
	bg_json_key(&j, "comm");
	bg_json_strn(&j, e->comm, sizeof(e->comm));
	bg_json_kstr(&j, "cgroup", c->cgroup_path);
	bg_json_ku64(&j, "cgroup_id", e->cgroup_id);
	bg_json_kstr(&j, "family", bg_family_str(e->family));
	bg_json_kstr(&j, "proto", proto);
	if (has_addr(e)) {
		addr_text(e, addr, sizeof(addr));
		bg_json_kstr(&j, "addr", addr);
		bg_json_ku64(&j, "port", e->port);
	} else {
		bg_json_kstr(&j, "addr", NULL);
		bg_json_key(&j, "port");
		bg_json_null(&j);
	}
	bg_json_kstr(&j, "reason", bg_reason_name(e->reason));
	bg_json_kstr(&j, "policy", bg_preset_name(e->preset));
	bg_json_kstr(&j, "policy_cgroup", c->policy_path);
	bg_json_ku64(&j, "policy_cgroup_id", e->policy_cgid);
	bg_json_obj_end(&j);
	fputc('\n', f);
	fflush(f);
}

void bg_lost_print_text(FILE *f, long long real_ns, __u64 new_lost, __u64 total_lost)
{
	char ts[40];

	bg_format_ts(real_ns, ts, sizeof(ts));
	fprintf(f, "%s lost %" PRIu64 " events (total %" PRIu64 ")\n", ts, (uint64_t)new_lost,
		(uint64_t)total_lost);
	fflush(f);
}

void bg_lost_print_json(FILE *f, long long real_ns, __u64 new_lost, __u64 total_lost)
{
	struct bg_json j;
	char ts[40];

	bg_format_ts(real_ns, ts, sizeof(ts));
	bg_json_init(&j, f);
	bg_json_obj_begin(&j);
	bg_json_kstr(&j, "type", "lost");
	bg_json_kstr(&j, "ts", ts);
	bg_json_ku64(&j, "lost", new_lost);
	bg_json_ku64(&j, "lost_total", total_lost);
	bg_json_obj_end(&j);
	fputc('\n', f);
	fflush(f);
}
