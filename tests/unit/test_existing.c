// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Sockets bound before their policy: decoding the kernel's answer, and the verdict. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include "diag.h"
#include "existing.h"
#include "json.h"
#include "sockout.h"
#include "unit.h"

#define TCP_ESTABLISHED 1
#define TCP_CLOSE	7
#define TCP_LISTEN	10

static struct bg_sock sock(int family, const char *addr, __u16 port, __u8 type)
{
	struct bg_sock s = { .family = (__u8)family, .port = port, .type = type };

	if (family == AF_INET) {
		s.addr[10] = s.addr[11] = 0xff;
		inet_pton(AF_INET, addr, s.addr + 12);
	} else {
		inet_pton(AF_INET6, addr, s.addr);
	}
	s.protocol = type == SOCK_STREAM ? IPPROTO_TCP : type == SOCK_DGRAM ? IPPROTO_UDP : 1;
	return s;
}

static struct bg_policy policy(__u8 preset, __u8 mode)
{
	struct bg_policy p = { .preset = preset, .mode = mode, .proto_mask = BG_PROTO_ALL };

	return p;
}

TEST(existing_verdicts)
{
	struct bg_policy lo = policy(BG_PRESET_LOOPBACK_ONLY, BG_MODE_ENFORCE);
	struct bg_policy dw = policy(BG_PRESET_DENY_WILDCARD, BG_MODE_ENFORCE);
	struct bg_policy audit = policy(BG_PRESET_LOOPBACK_ONLY, BG_MODE_AUDIT);
	struct bg_policy rewrite = policy(BG_PRESET_LOOPBACK_ONLY, BG_MODE_REWRITE);
	struct bg_sock any4 = sock(AF_INET, "0.0.0.0", 8080, SOCK_STREAM);
	struct bg_sock any6 = sock(AF_INET6, "::", 8080, SOCK_STREAM);
	struct bg_sock local = sock(AF_INET, "127.0.0.1", 8080, SOCK_STREAM);
	struct bg_sock lan = sock(AF_INET6, "fd00::2", 53, SOCK_DGRAM);
	struct bg_sock raw = sock(AF_INET, "0.0.0.0", 0, SOCK_RAW);
	struct bg_rule_val v = { .nranges = 1, .r = { { 8080, 8080 } } };
	__u8 why;

	CHECK(bg_existing_verdict(NULL, &any4, NULL, &why) == BG_VERDICT_ALLOW);
	CHECK(bg_existing_verdict(&lo, &any4, NULL, &why) == BG_VERDICT_DENY);
	CHECK(why == BG_REASON_WILDCARD);
	CHECK(bg_existing_verdict(&lo, &any6, NULL, &why) == BG_VERDICT_DENY);
	CHECK(bg_existing_verdict(&lo, &local, NULL, &why) == BG_VERDICT_ALLOW);
	CHECK(why == BG_REASON_NONE);
	CHECK(bg_existing_verdict(&lo, &lan, NULL, &why) == BG_VERDICT_DENY);
	CHECK(why == BG_REASON_NOT_LOOPBACK);
	CHECK(bg_existing_verdict(&dw, &lan, NULL, &why) == BG_VERDICT_ALLOW);
	CHECK(bg_existing_verdict(&dw, &any6, NULL, &why) == BG_VERDICT_DENY);
	CHECK(bg_existing_verdict(&audit, &any4, NULL, &why) == BG_VERDICT_AUDIT);
	CHECK(bg_existing_verdict(&rewrite, &any4, NULL, &why) == BG_VERDICT_REWRITE);
	/* Rewrite applies to the wildcard only. */
	CHECK(bg_existing_verdict(&rewrite, &lan, NULL, &why) == BG_VERDICT_DENY);

	/* An exception admits its port only, and only when the policy has rules. */
	lo.ruleset = 7;
	CHECK(bg_existing_verdict(&lo, &any4, &v, &why) == BG_VERDICT_ALLOW);
	any4.port = 8081;
	CHECK(bg_existing_verdict(&lo, &any4, &v, &why) == BG_VERDICT_DENY);
	lo.ruleset = 0;
	any4.port = 8080;
	CHECK(bg_existing_verdict(&lo, &any4, &v, &why) == BG_VERDICT_DENY);

	/* Tied to lo: confined, not refused. Tied elsewhere: refused. */
	any4.ifindex = 1;
	CHECK(bg_existing_verdict(&lo, &any4, NULL, &why) == BG_VERDICT_CONFINE);
	CHECK(!bg_verdict_refuses(BG_VERDICT_CONFINE));
	any4.ifindex = 2;
	CHECK(bg_existing_verdict(&lo, &any4, NULL, &why) == BG_VERDICT_DENY);

	/* A socket type the policy does not cover. */
	lo.proto_mask = BG_PROTO_TCP;
	CHECK(bg_existing_verdict(&lo, &lan, NULL, &why) == BG_VERDICT_ALLOW);

	/* Raw sockets: refused only under --raw deny, whatever their address. */
	CHECK(bg_existing_verdict(&dw, &raw, NULL, &why) == BG_VERDICT_ALLOW);
	dw.flags = BG_F_RAW_DENY;
	CHECK(bg_existing_verdict(&dw, &raw, NULL, &why) == BG_VERDICT_DENY);
	CHECK(why == BG_REASON_RAW);
	audit.flags = BG_F_RAW_DENY;
	CHECK(bg_existing_verdict(&audit, &raw, NULL, &why) == BG_VERDICT_AUDIT);

	CHECK(bg_verdict_closes(BG_VERDICT_DENY) && bg_verdict_closes(BG_VERDICT_REWRITE));
	CHECK(!bg_verdict_closes(BG_VERDICT_AUDIT) && bg_verdict_refuses(BG_VERDICT_AUDIT));
}

/* An attribute after the message's end, as the kernel's nla_put appends it. */
static void put_attr(struct nlmsghdr *nlh, __u16 type, const void *data, __u16 len)
{
	struct nlattr *a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = (__u16)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + a->nla_len, 0, NLA_ALIGN(a->nla_len) - a->nla_len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void put_u8(struct nlmsghdr *nlh, __u16 type, __u8 v)
{
	put_attr(nlh, type, &v, sizeof(v));
}

/* A SOCK_DIAG_BY_FAMILY answer as the kernel builds it. */
static struct nlmsghdr *answer(char *buf, int family, __u8 state, const char *src, __u16 sport,
			       __u16 dport, __u64 cgid, int raw_protocol)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct inet_diag_msg *m = NLMSG_DATA(nlh);

	memset(buf, 0, NLMSG_LENGTH(sizeof(*m)));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*m));
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m->idiag_family = (__u8)family;
	m->idiag_state = state;
	inet_pton(family, src, m->id.idiag_src);
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(dport);
	m->id.idiag_if = 0;
	m->idiag_inode = 4242;
	m->idiag_uid = 1000;
	put_u8(nlh, INET_DIAG_SHUTDOWN, 0);
	if (cgid)
		put_attr(nlh, INET_DIAG_CGROUP_ID, &cgid, sizeof(cgid));
	if (family == AF_INET6)
		put_u8(nlh, INET_DIAG_SKV6ONLY, 1);
	if (raw_protocol >= 0)
		put_u8(nlh, INET_DIAG_PROTOCOL, (__u8)raw_protocol);
	return nlh;
}

TEST(diag_parse)
{
	char buf[512] __attribute__((aligned(8)));
	struct bg_sock s;
	struct nlmsghdr *nlh;

	nlh = answer(buf, AF_INET, TCP_LISTEN, "0.0.0.0", 8080, 0, 99, -1);
	CHECK(bg_diag_parse(nlh, IPPROTO_TCP, &s) == 1);
	CHECK(s.family == AF_INET && s.type == SOCK_STREAM && s.port == 8080);
	CHECK(s.cgid == 99 && s.inode == 4242 && s.uid == 1000);
	CHECK(s.addr[10] == 0xff && s.addr[11] == 0xff && s.addr[12] == 0);

	/* An established TCP socket (the dump asks for listeners only). */
	nlh = answer(buf, AF_INET, TCP_ESTABLISHED, "10.0.0.1", 8080, 5555, 99, -1);
	CHECK(bg_diag_parse(nlh, IPPROTO_TCP, &s) == 0);

	nlh = answer(buf, AF_INET6, TCP_CLOSE, "::", 53, 0, 7, -1);
	CHECK(bg_diag_parse(nlh, IPPROTO_UDP, &s) == 1);
	CHECK(s.type == SOCK_DGRAM && s.v6only && s.port == 53 && s.cgid == 7);
	/* Connected UDP hears its peer only; unbound UDP has no port. */
	nlh = answer(buf, AF_INET6, TCP_ESTABLISHED, "::", 53, 9999, 7, -1);
	CHECK(bg_diag_parse(nlh, IPPROTO_UDP, &s) == 0);
	nlh = answer(buf, AF_INET, TCP_CLOSE, "0.0.0.0", 0, 0, 7, -1);
	CHECK(bg_diag_parse(nlh, IPPROTO_UDP, &s) == 0);

	/* Raw: the protocol comes from INET_DIAG_PROTOCOL, required. */
	nlh = answer(buf, AF_INET, TCP_CLOSE, "0.0.0.0", 1, 0, 7, 1);
	CHECK(bg_diag_parse(nlh, IPPROTO_RAW, &s) == 1);
	CHECK(s.type == SOCK_RAW && s.protocol == 1 && s.port == 0);
	nlh = answer(buf, AF_INET, TCP_CLOSE, "0.0.0.0", 1, 0, 7, -1);
	CHECK(bg_diag_parse(nlh, IPPROTO_RAW, &s) == -EINVAL);

	/* Truncated, or a family that is not inet. */
	nlh = answer(buf, AF_INET, TCP_LISTEN, "0.0.0.0", 80, 0, 1, -1);
	nlh->nlmsg_len = NLMSG_HDRLEN + 8;
	CHECK(bg_diag_parse(nlh, IPPROTO_TCP, &s) == -EINVAL);
	nlh = answer(buf, AF_INET, TCP_LISTEN, "0.0.0.0", 80, 0, 1, -1);
	((struct inet_diag_msg *)NLMSG_DATA(nlh))->idiag_family = AF_UNIX;
	CHECK(bg_diag_parse(nlh, IPPROTO_TCP, &s) == -EINVAL);
	/* A malformed attribute (cgroup id of 1 byte, of 16; v6only of 2). */
	nlh = answer(buf, AF_INET, TCP_LISTEN, "0.0.0.0", 80, 0, 0, -1);
	put_u8(nlh, INET_DIAG_CGROUP_ID, 1);
	CHECK(bg_diag_parse(nlh, IPPROTO_TCP, &s) == -EINVAL);
	nlh = answer(buf, AF_INET, TCP_LISTEN, "0.0.0.0", 80, 0, 0, -1);
	put_attr(nlh, INET_DIAG_CGROUP_ID, "0123456789abcdef", 16);
	CHECK(bg_diag_parse(nlh, IPPROTO_TCP, &s) == -EINVAL);
	nlh = answer(buf, AF_INET6, TCP_LISTEN, "::", 80, 0, 0, -1);
	put_attr(nlh, INET_DIAG_SKV6ONLY, "\1\1", 2);
	CHECK(bg_diag_parse(nlh, IPPROTO_TCP, &s) == -EINVAL);
	/* An attribute newer than this build: ignored, whatever its size. */
	nlh = answer(buf, AF_INET, TCP_LISTEN, "0.0.0.0", 80, 0, 5, -1);
	put_u8(nlh, INET_DIAG_MAX + 1, 1);
	CHECK(bg_diag_parse(nlh, IPPROTO_TCP, &s) == 1 && s.cgid == 5);
}

static struct bg_scan one_socket(struct bg_open *o, struct bg_scan_cgroup *cg, struct bg_owner *w)
{
	struct bg_scan sc = { .v = o, .n = 1, .cgs = cg, .ncgs = 1 };

	sc.owners.v = w;
	sc.owners.n = 1;
	return sc;
}

static void json_of(FILE *f, void *arg)
{
	struct bg_json j;

	bg_json_init(&j, f);
	bg_open_json(&j, arg, &((struct bg_scan *)arg)->v[0]);
}

static void text_of(FILE *f, void *arg)
{
	bg_open_text(f, arg, &((struct bg_scan *)arg)->v[0]);
}

TEST(existing_output)
{
	struct bg_scan_cgroup cg = { .id = 5, .path = "/svc\n\"x", .pcgid = 5, .ppath = "/svc" };
	struct bg_owner w = { .inode = 4242, .pid = 77, .fd = 3, .comm = "py\"th\x01on" };
	struct bg_open o = { .verdict = BG_VERDICT_DENY, .reason = BG_REASON_WILDCARD };
	struct bg_scan sc;
	const char *out;

	o.s = sock(AF_INET6, "::", 8080, SOCK_STREAM);
	o.s.inode = 4242;
	cg.pol = policy(BG_PRESET_LOOPBACK_ONLY, BG_MODE_ENFORCE);
	sc = one_socket(&o, &cg, &w);
	out = unit_capture(json_of, &sc);
	CHECK(unit_json_valid(out, strlen(out)));
	CHECK(strstr(out, "\"verdict\":\"deny\"") && strstr(out, "\"refused\":true"));
	CHECK(strstr(out, "\"port\":8080") && strstr(out, "\"pid\":77"));
	out = unit_capture(text_of, &sc);
	CHECK(strstr(out, "tcp [::]:8080 pid 77") != NULL);
	CHECK(strstr(out, "still open") != NULL);
	CHECK(strchr(out, '\n') == out + strlen(out) - 1); /* one line, names escaped */

	o.closed = -EPERM;
	o.close_step = "tie to lo";
	out = unit_capture(json_of, &sc);
	CHECK(unit_json_valid(out, strlen(out)));
	CHECK(strstr(out, "\"close_error\":\"tie to lo: ") != NULL);
}
