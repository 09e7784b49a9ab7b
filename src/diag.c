// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
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

/* The attributes read, each of exactly its type's size (libnl's policy
 * checks a minimum; maxlen makes it exact). Newer ones than this build's
 * INET_DIAG_MAX are ignored. */
static const struct nla_policy attr_policy[INET_DIAG_MAX + 1] = {
	[INET_DIAG_CGROUP_ID] = { .type = NLA_U64, .minlen = 8, .maxlen = 8 },
	[INET_DIAG_SKV6ONLY] = { .type = NLA_U8, .minlen = 1, .maxlen = 1 },
	[INET_DIAG_PROTOCOL] = { .type = NLA_U8, .minlen = 1, .maxlen = 1 },
};

int bg_diag_parse(const struct nlmsghdr *nlh, __u8 protocol, struct bg_sock *out)
{
	const struct inet_diag_msg *m;
	struct nlattr *tb[INET_DIAG_MAX + 1];
	int hdr = sizeof(*m);

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + NLMSG_ALIGN(hdr))
		return -EINVAL;
	m = nlmsg_data(nlh);
	if (nla_parse(tb, INET_DIAG_MAX, nlmsg_attrdata(nlh, hdr), nlmsg_attrlen(nlh, hdr),
		      attr_policy) < 0)
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
	if (tb[INET_DIAG_CGROUP_ID])
		out->cgid = nla_get_u64(tb[INET_DIAG_CGROUP_ID]);
	out->v6only = tb[INET_DIAG_SKV6ONLY] && nla_get_u8(tb[INET_DIAG_SKV6ONLY]);
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
		if (!tb[INET_DIAG_PROTOCOL])
			return -EINVAL;
		out->protocol = nla_get_u8(tb[INET_DIAG_PROTOCOL]);
		return 1;
	}
	return -EINVAL;
}

/* What one read takes: a dump's batch is at most 32 KiB (the kernel sizes
 * them to the reader's buffer, as ss's). */
#define BG_DIAG_BUF 32768

/* One netlink request and its answers on a fresh socket of this namespace.
 * libnl's error codes are coarser than errno, so the callbacks keep the
 * kernel's own. */
struct exchange {
	struct nl_sock *sk;
	__u32 seq;
	bool done;  /* the answer is complete */
	int result; /* -errno of the kernel or a check, the dump's callback's value */
	/* a dump's */
	__u8 protocol;
	bg_diag_cb cb;
	void *arg;
};

static int stop(struct exchange *x, int result)
{
	x->result = result;
	x->done = true;
	return NL_STOP;
}

/* The answer is to this socket (else -ESRCH) and to this request (else
 * -EPROTO); 0 on either side is not checked. */
static int seq_cb(struct nl_msg *msg, void *arg)
{
	struct exchange *x = arg;
	const struct nlmsghdr *nlh = nlmsg_hdr(msg);
	__u32 portid = nl_socket_get_local_port(x->sk);

	if (nlh->nlmsg_pid && portid && nlh->nlmsg_pid != portid)
		return stop(x, -ESRCH);
	if (nlh->nlmsg_seq && x->seq && nlh->nlmsg_seq != x->seq)
		return stop(x, -EPROTO);
	return NL_OK;
}

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	(void)nla;
	return stop(arg, e->error < 0 ? e->error : -e->error);
}

/* A dump ends with NLMSG_DONE, whose payload carries the dump's error (a
 * protocol with no sock_diag handler: -ENOENT). */
static int done_cb(struct nl_msg *msg, void *arg)
{
	const struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err = 0;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(err))
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
	return stop(arg, err < 0 ? err : 0);
}

static int dump_cb(struct nl_msg *msg, void *arg)
{
	struct exchange *x = arg;
	const struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct bg_sock s;
	int r;

	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		return NL_OK;
	r = bg_diag_parse(nlh, x->protocol, &s);
	if (r < 0)
		return stop(x, r);
	r = r ? x->cb(&s, x->arg) : 0;
	return r ? stop(x, r) : NL_OK;
}

/* A dump marked NLM_F_DUMP_INTR (the table changed meanwhile) is taken as
 * it is, not failed at its end as libnl's default does. */
static int proceed(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/* -errno for a libnl call that failed, when no callback said why: the errno
 * of the system call behind it (errno is cleared before each step), else
 * what libnl found wrong. */
static int failed(struct exchange *x, int nle)
{
	if (x->done && x->result)
		return x->result;
	if (errno)
		return -errno;
	return nle == -NLE_NOMEM ? -ENOMEM : nle == -NLE_MSG_TRUNC ? -EBADMSG : -EIO;
}

/* Open x and send it one request (flags besides NLM_F_REQUEST, which libnl
 * adds; auto-ack is off, so nothing else). 0 or -errno. */
static int request(struct exchange *x, __u16 type, __u16 flags, struct inet_diag_req_v2 *req)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT); /* not the one NLCB= chooses */
	struct nl_msg *msg;
	int r;

	errno = 0;
	x->sk = cb ? nl_socket_alloc_cb(cb) : NULL;
	if (x->sk) {
		nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_cb, x);
		nl_cb_err(cb, NL_CB_CUSTOM, err_cb, x);
		nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, proceed, x);
		if (x->cb) {
			nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, dump_cb, x);
			nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, done_cb, x);
		}
		nl_socket_disable_auto_ack(x->sk);
	}
	nl_cb_put(cb);
	if (!x->sk)
		return -ENOMEM;
	/* nl_connect opens it close-on-exec. */
	r = nl_connect(x->sk, NETLINK_SOCK_DIAG);
	if (r < 0)
		return failed(x, r);
	errno = 0; /* nl_connect retries a taken port */
	nl_socket_set_msg_buf_size(x->sk, BG_DIAG_BUF);
	msg = nlmsg_alloc_simple(type, flags);
	r = msg ? nlmsg_append(msg, req, sizeof(*req), NLMSG_ALIGNTO) : -NLE_NOMEM;
	if (!r)
		r = nl_send_auto(x->sk, msg);
	if (r >= 0)
		x->seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	return r < 0 ? failed(x, r) : 0;
}

int bg_diag_dump(const struct bg_diag_query *q, bg_diag_cb cb, void *arg)
{
	struct exchange x = { .protocol = q->protocol, .cb = cb, .arg = arg };
	struct inet_diag_req_v2 req = { .sdiag_family = q->family,
					.sdiag_protocol = q->protocol,
					.idiag_states = wanted_states(q->protocol) };
	int r = request(&x, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req);

	/* Until NLMSG_DONE, an error, or the callback stops it. */
	while (!r && !x.done) {
		errno = 0;
		r = nl_recvmsgs_default(x.sk);
		r = r < 0 ? failed(&x, r) : 0;
	}
	nl_socket_free(x.sk);
	return r ? r : x.result;
}

int bg_diag_destroy(const struct bg_sock *s)
{
	/* A raw socket is found by its own protocol, given in the byte after
	 * sdiag_protocol (struct inet_diag_req_raw's sdiag_raw_protocol). */
	struct exchange x = { 0 };
	struct inet_diag_req_v2 req = {
		.sdiag_family = s->family,
		.sdiag_protocol = s->type == SOCK_RAW ? IPPROTO_RAW : s->protocol,
		.pad = s->type == SOCK_RAW ? s->protocol : 0,
		.idiag_states = ~0u,
		.id = s->id,
	};
	int r = request(&x, SOCK_DESTROY, NLM_F_ACK, &req);

	if (!r) {
		errno = 0;
		r = nl_wait_for_ack(x.sk);
		r = r < 0 ? failed(&x, r) : x.result;
	}
	nl_socket_free(x.sk);
	return r;
}
