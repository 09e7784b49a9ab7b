// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include "diag.h"
#include "event.h"

/* Kernel TCP states (include/net/tcp_states.h), for the state filter. */
#define TCP_ESTABLISHED 1
#define TCP_CLOSE	7
#define TCP_LISTEN	10

const struct bg_diag_query bg_diag_queries[] = {
	{ AF_INET, IPPROTO_TCP },  { AF_INET6, IPPROTO_TCP },	 { AF_INET, IPPROTO_UDP },
	{ AF_INET6, IPPROTO_UDP }, { AF_INET, IPPROTO_UDPLITE }, { AF_INET6, IPPROTO_UDPLITE },
	{ AF_INET, IPPROTO_RAW },  { AF_INET6, IPPROTO_RAW },
};
const size_t bg_diag_nqueries = sizeof(bg_diag_queries) / sizeof(bg_diag_queries[0]);

const char *bg_diag_proto_name(__u8 protocol, __u8 type)
{
	const char *name = bg_proto_str(protocol);

	return type == SOCK_RAW ? "raw" : name ? name : "other";
}

/* Which states can receive from the network: listening TCP; UDP and raw in
 * any state (connectedness is judged per socket below). */
static __u32 wanted_states(__u8 protocol)
{
	return protocol == IPPROTO_TCP ? 1u << TCP_LISTEN : ~0u;
}

struct parse_attrs {
	const struct nlattr *tb[INET_DIAG_MAX + 1];
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct parse_attrs *a = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, INET_DIAG_MAX) < 0)
		return MNL_CB_OK; /* newer than this build: ignore */
	if ((type == INET_DIAG_CGROUP_ID && mnl_attr_validate(attr, MNL_TYPE_U64) < 0) ||
	    ((type == INET_DIAG_SKV6ONLY || type == INET_DIAG_PROTOCOL) &&
	     mnl_attr_validate(attr, MNL_TYPE_U8) < 0))
		return MNL_CB_ERROR;
	a->tb[type] = attr;
	return MNL_CB_OK;
}

int bg_diag_parse(const struct nlmsghdr *nlh, __u8 protocol, struct bg_sock *out)
{
	const struct inet_diag_msg *m;
	struct parse_attrs a = { 0 };
	size_t hdr = sizeof(*m);

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(hdr))
		return -EINVAL;
	m = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, MNL_ALIGN(hdr), attr_cb, &a) < 0)
		return -EINVAL;
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EINVAL;
	out->id = m->id;
	out->family = m->idiag_family;
	out->protocol = protocol;
	out->port = ntohs(m->id.idiag_sport);
	out->ifindex = m->id.idiag_if;
	out->inode = m->idiag_inode;
	out->uid = m->idiag_uid;
	if (a.tb[INET_DIAG_CGROUP_ID])
		out->cgid = mnl_attr_get_u64(a.tb[INET_DIAG_CGROUP_ID]);
	out->v6only = a.tb[INET_DIAG_SKV6ONLY] && mnl_attr_get_u8(a.tb[INET_DIAG_SKV6ONLY]);
	if (m->idiag_family == AF_INET) {
		out->addr[10] = out->addr[11] = 0xff;
		memcpy(out->addr + 12, &m->id.idiag_src[0], 4);
	} else {
		memcpy(out->addr, m->id.idiag_src, 16);
	}
	switch (protocol) {
	case IPPROTO_TCP:
		out->type = SOCK_STREAM;
		return m->idiag_state == TCP_LISTEN;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		out->type = SOCK_DGRAM;
		/* A connected socket hears only its peer; no port: not bound. */
		return m->id.idiag_dport == 0 && out->port != 0;
	case IPPROTO_RAW:
		out->type = SOCK_RAW;
		out->port = 0; /* the kernel shows the protocol number there */
		if (!a.tb[INET_DIAG_PROTOCOL])
			return -EINVAL;
		out->protocol = mnl_attr_get_u8(a.tb[INET_DIAG_PROTOCOL]);
		return 1;
	}
	return -EINVAL;
}

/* What one read takes: a dump's batch is at most 32 KiB (the kernel sizes
 * them to the reader's buffer, as ss's). */
#define BG_DIAG_BUF 32768

/* One netlink request and its answers on a fresh socket of this namespace. */
struct exchange {
	struct mnl_socket *nl;
	char *buf;
	unsigned portid;
	unsigned seq;
};

static int exchange_open(struct exchange *x)
{
	x->buf = malloc(BG_DIAG_BUF);
	x->nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!x->buf || !x->nl || mnl_socket_bind(x->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = x->buf ? errno : ENOMEM;

		if (x->nl)
			mnl_socket_close(x->nl);
		free(x->buf);
		return -(e ? e : EIO);
	}
	x->portid = mnl_socket_get_portid(x->nl);
	x->seq = (unsigned)time(NULL);
	return 0;
}

static void exchange_close(struct exchange *x)
{
	mnl_socket_close(x->nl);
	free(x->buf);
}

/* Open an exchange and put one request in it: its inet_diag_req_v2 to fill
 * in, or NULL with *err set. */
static struct inet_diag_req_v2 *begin(struct exchange *x, __u16 type, __u16 flags, __u8 family,
				      __u8 protocol, int *err)
{
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;

	*err = exchange_open(x);
	if (*err)
		return NULL;
	nlh = mnl_nlmsg_put_header(x->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++x->seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = protocol;
	return req;
}

static int send_request(struct exchange *x)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)x->buf;

	return mnl_socket_sendto(x->nl, x->buf, nlh->nlmsg_len) < 0 ? -errno : 0;
}

struct dump_ctx {
	__u8 protocol;
	bg_diag_cb cb;
	void *arg;
	int result; /* the callback's non-zero value, or -EINVAL */
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct bg_sock s;
	int r = bg_diag_parse(nlh, d->protocol, &s);

	if (r < 0) {
		d->result = r;
		return MNL_CB_ERROR;
	}
	if (r == 0)
		return MNL_CB_OK;
	r = d->cb(&s, d->arg);
	if (r) {
		d->result = r;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

/* A dump ends with NLMSG_DONE, whose payload carries the dump's error (a
 * protocol with no sock_diag handler: -ENOENT); libmnl reads it as a plain
 * end, so it is read here. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	int err = 0;

	(void)data;
	if (nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(err))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

int bg_diag_dump(const struct bg_diag_query *q, bg_diag_cb cb, void *arg)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_DONE] = done_cb };
	struct dump_ctx d = { .protocol = q->protocol, .cb = cb, .arg = arg };
	struct exchange x;
	struct inet_diag_req_v2 *req =
		begin(&x, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, q->family, q->protocol, &d.result);
	ssize_t n;
	int r;

	if (!req)
		return d.result;
	req->idiag_states = wanted_states(q->protocol);
	r = send_request(&x);
	while (!r) {
		n = mnl_socket_recvfrom(x.nl, x.buf, BG_DIAG_BUF);
		if (n < 0) {
			r = -errno;
			break;
		}
		r = mnl_cb_run2(x.buf, (size_t)n, x.seq, x.portid, dump_cb, &d, ctl,
				NLMSG_MIN_TYPE);
		if (r == MNL_CB_OK) {
			r = 0; /* more to come */
			continue;
		}
		/* STOP: the dump's end, or the callback stopped it. */
		r = r == MNL_CB_STOP ? d.result : (d.result ? d.result : -errno);
		break;
	}
	exchange_close(&x);
	return r;
}

int bg_diag_destroy(const struct bg_sock *s)
{
	/* A raw socket is found by its own protocol, given in the byte after
	 * sdiag_protocol (struct inet_diag_req_raw's sdiag_raw_protocol). */
	struct exchange x;
	int r;
	struct inet_diag_req_v2 *req = begin(&x, SOCK_DESTROY, NLM_F_ACK, s->family,
					     s->type == SOCK_RAW ? IPPROTO_RAW : s->protocol, &r);
	ssize_t n;

	if (!req)
		return r;
	req->idiag_states = ~0u;
	req->id = s->id;
	if (s->type == SOCK_RAW)
		req->pad = s->protocol;
	r = send_request(&x);
	if (!r) {
		n = mnl_socket_recvfrom(x.nl, x.buf, BG_DIAG_BUF);
		if (n < 0)
			r = -errno;
		else
			r = mnl_cb_run(x.buf, (size_t)n, x.seq, x.portid, NULL, NULL) < 0 ? -errno
											  : 0;
	}
	exchange_close(&x);
	return r;
}
