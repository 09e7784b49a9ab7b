// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cgroup.h"
#include "existing.h"
#include "log.h"
#include "netns.h"
#include "sockets.h"
#include "topology.h"

#define LOOPBACK_IFINDEX 1

struct walk {
	const struct bg_state *st;
	const struct bg_scan_filter *f;
	struct bg_scan *sc;
	__u64 netns;
	int err;
};

/* The nearest policed cgroup at or above path, as the programs resolve it
 * (the socket's own cgroup first, then each ancestor). */
static void resolve(const struct bg_state *st, struct bg_scan_cgroup *c)
{
	char p[PATH_MAX];

	if (!st || !c->path[0])
		return;
	snprintf(p, sizeof(p), "%s", c->path);
	for (int level = 0; level <= BG_MAX_WALK; level++) {
		__u64 id = level ? bg_cgroup_id_of_path(p) : c->id;

		if (id && !bg_state_policy(st, id, &c->pol)) {
			c->pcgid = id;
			snprintf(c->ppath, sizeof(c->ppath), "%s", p);
			return;
		}
		if (!bg_path_up(p))
			return;
	}
}

static struct bg_scan_cgroup *cgroup_of(struct walk *w, __u64 id, size_t *index)
{
	struct bg_scan *sc = w->sc;
	struct bg_scan_cgroup *c;

	for (size_t i = 0; i < sc->ncgs; i++) {
		if (sc->cgs[i].id == id) {
			*index = i;
			return &sc->cgs[i];
		}
	}
	if (sc->ncgs == sc->cgcap) {
		size_t cap = sc->cgcap ? sc->cgcap * 2 : 8;
		void *v = realloc(sc->cgs, cap * sizeof(*sc->cgs));

		if (!v)
			return NULL;
		sc->cgs = v;
		sc->cgcap = cap;
	}
	c = &sc->cgs[sc->ncgs];
	memset(c, 0, sizeof(*c));
	c->id = id;
	if (!id || bg_cgroup_path_of_id(id, c->path, sizeof(c->path)))
		c->path[0] = '\0';
	resolve(w->st, c);
	*index = sc->ncgs++;
	return c;
}

static bool wanted_policy(const struct bg_scan_filter *f, __u64 pcgid)
{
	if (!f->npcgids)
		return true;
	for (size_t i = 0; i < f->npcgids; i++)
		if (f->pcgids[i] == pcgid)
			return true;
	return false;
}

/* The exceptions entry for (ruleset, address): the programs' own lookup. */
static int lookup_rule(const struct bg_state *st, const struct bg_policy *p, const __u8 addr[16],
		       struct bg_rule_val *v)
{
	struct bg_rule_key key = { .prefixlen = 32 + 128, .ruleset = p->ruleset };

	memcpy(key.addr, addr, 16);
	return p->ruleset && !bpf_map_lookup_elem(st->map_fd[BG_MAP_RULES], &key, v);
}

static int on_socket(const struct bg_sock *s, void *arg)
{
	struct walk *w = arg;
	struct bg_scan *sc = w->sc;
	struct bg_scan_cgroup *c;
	struct bg_rule_val v;
	struct bg_open *o;
	size_t ci;
	__u8 reason;
	int verdict;

	c = cgroup_of(w, s->cgid, &ci);
	if (!c)
		return -ENOMEM;
	/* A removed cgroup has no path to walk up: its socket cannot be tied
	 * to a policy here, and is listed (verdict unknown) rather than hidden,
	 * except where a cgroup or policy was asked for. */
	if (!c->path[0] && (w->f->subtree || w->f->npcgids || w->f->refused_only))
		return 0;
	if (w->f->subtree && strcmp(w->f->subtree, c->path) &&
	    !bg_cgroup_is_ancestor(w->f->subtree, c->path))
		return 0;
	if ((w->f->policed || w->f->npcgids) && !c->pcgid && c->path[0])
		return 0;
	if (c->pcgid && !wanted_policy(w->f, c->pcgid))
		return 0;
	verdict = bg_existing_verdict(
		c->pcgid ? &c->pol : NULL, s,
		c->pcgid && lookup_rule(w->st, &c->pol, s->addr, &v) ? &v : NULL, &reason);
	if (w->f->refused_only && !bg_verdict_refuses(verdict))
		return 0;
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 16;
		void *nv = realloc(sc->v, cap * sizeof(*sc->v));

		if (!nv)
			return -ENOMEM;
		sc->v = nv;
		sc->cap = cap;
	}
	o = &sc->v[sc->n++];
	memset(o, 0, sizeof(*o));
	o->s = *s;
	o->netns = w->netns;
	o->cg = ci;
	o->verdict = (__u8)verdict;
	o->reason = reason;
	return 0;
}

static void note_unlisted(struct bg_scan *sc, const struct bg_diag_query *q)
{
	char item[32];

	if (q->protocol == IPPROTO_RAW) {
		sc->unlisted_raw = true;
		return;
	}
	snprintf(item, sizeof(item), "%s%s", bg_diag_proto_name(q->protocol, 0),
		 q->family == AF_INET6 ? "6" : "");
	if (strstr(sc->unlisted, item))
		return;
	snprintf(sc->unlisted + strlen(sc->unlisted), sizeof(sc->unlisted) - strlen(sc->unlisted),
		 "%s%s", sc->unlisted[0] ? ", " : "", item);
}

static int scan_netns(__u64 netns, void *arg)
{
	struct walk *w = arg;

	w->netns = netns;
	for (size_t i = 0; i < bg_diag_nqueries; i++) {
		int r = bg_diag_dump(&bg_diag_queries[i], on_socket, w);

		if (r == -ENOENT || r == -EOPNOTSUPP) {
			/* UDP-Lite is gone from newer kernels: nothing to list. */
			if (bg_diag_queries[i].protocol != IPPROTO_UDPLITE)
				note_unlisted(w->sc, &bg_diag_queries[i]);
			continue;
		}
		if (r) {
			w->err = r;
			return r;
		}
	}
	return 0;
}

int bg_scan_sockets(const struct bg_state *st, const struct bg_scan_filter *f, struct bg_scan *sc,
		    const char *cmd)
{
	struct walk w = { .st = st, .f = f, .sc = sc };
	__u32 *inodes;
	int r;

	memset(sc, 0, sizeof(*sc));
	r = bg_netns_each(scan_netns, &w);
	if (r) {
		bg_err("%s: list sockets: %s", cmd, strerror(r < 0 ? -r : EIO));
		bg_scan_free(sc);
		return r < 0 ? r : -EIO;
	}
	inodes = calloc(sc->n ? sc->n : 1, sizeof(*inodes));
	if (!inodes) {
		bg_err("%s: list sockets: %s", cmd, strerror(ENOMEM));
		bg_scan_free(sc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < sc->n; i++)
		inodes[i] = sc->v[i].s.inode;
	r = bg_owners_scan(&sc->owners, inodes, sc->n);
	free(inodes);
	if (r) {
		bg_err("%s: find the processes holding sockets: %s", cmd, strerror(-r));
		bg_scan_free(sc);
	}
	return r;
}

size_t bg_scan_refused_open(const struct bg_scan *sc)
{
	size_t n = 0;

	for (size_t i = 0; i < sc->n; i++)
		n += bg_verdict_refuses(sc->v[i].verdict) && sc->v[i].closed != 1;
	return n;
}

void bg_scan_free(struct bg_scan *sc)
{
	free(sc->v);
	free(sc->cgs);
	bg_owners_free(&sc->owners);
	memset(sc, 0, sizeof(*sc));
}

/* --- closing --------------------------------------------------------------- */

/* Act on the socket through a copy of one holder's descriptor
 * (pidfd_getfd), checked to be the same socket (the descriptor number may
 * have been reused meanwhile): lo_only ties it to the loopback device, else
 * it is shut down. */
static int through_holder(const struct bg_scan *sc, const struct bg_open *o, bool lo_only)
{
	const struct bg_owner *w;
	int lo = LOOPBACK_IFINDEX, r = -ESRCH;
	size_t n;

	w = bg_owners_of(&sc->owners, o->s.inode, &n);
	for (size_t i = 0; w && i < n && r; i++) {
		struct stat st;
		int pfd = pidfd_open((pid_t)w[i].pid, 0), fd;

		if (pfd < 0) {
			r = -errno;
			continue;
		}
		fd = pidfd_getfd(pfd, w[i].fd, 0);
		r = fd < 0 ? -errno : 0;
		close(pfd);
		if (r)
			continue;
		if (fstat(fd, &st) || st.st_ino != o->s.inode)
			r = -ESRCH;
		else if (lo_only ? setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &lo, sizeof(lo))
				 : shutdown(fd, SHUT_RDWR))
			r = -errno;
		close(fd);
	}
	return r;
}

struct closing {
	struct bg_scan *sc;
	int emit_fd;
};

static void emit(const struct closing *c, const struct bg_open *o)
{
	const struct bg_scan_cgroup *cg = &c->sc->cgs[o->cg];
	const struct bg_owner *w;
	struct bg_event e = { 0 };
	size_t n;

	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &e, .ctx_size_in = sizeof(e));
	e.cgroup_id = cg->id;
	e.policy_cgid = cg->pcgid;
	w = bg_owners_of(&c->sc->owners, o->s.inode, &n);
	if (w) {
		e.pid = e.tid = w->pid;
		memcpy(e.comm, w->comm, sizeof(e.comm));
	}
	e.uid = o->s.uid;
	e.gid = (__u32)-1;
	memcpy(e.addr, o->s.addr, 16);
	e.port = o->s.port;
	e.family = e.sa_family = o->s.family;
	e.protocol = o->s.protocol;
	e.type = o->s.type;
	e.verdict = BG_VERDICT_CLOSE;
	e.reason = o->reason;
	e.preset = cg->pol.preset;
	e.kind = BG_EV_EXISTING;
	if (bpf_prog_test_run_opts(c->emit_fd, &run) || run.retval)
		bg_dbg("close event for socket %u not queued", o->s.inode);
}

/* After SOCK_DESTROY answered r: what the socket's kind still needs, then
 * the outcome recorded (and the event queued). 0 when it is closed. */
static int finish(struct closing *c, struct bg_open *o, int r)
{
	o->close_step = "destroy";
	/* MPTCP refuses to destroy the TCP listener of its subflow (EINVAL);
	 * a listener the kernel's lookup did not find (ENOENT: one of a
	 * SO_REUSEPORT group it did not pick, see below): shutting the socket
	 * down through its holder stops it listening. */
	if ((r == -EINVAL || r == -ENOENT) && o->s.type == SOCK_STREAM) {
		r = through_holder(c->sc, o, false);
		o->close_step = "shut down";
	} else if ((!r || r == -ENOENT) && o->s.type != SOCK_STREAM) {
		/* The kernel aborts a UDP or raw socket without unhashing it: it
		 * keeps its address and port and would go on receiving. */
		r = through_holder(c->sc, o, true);
		o->close_step = "tie to lo";
	}
	o->closed = r ? r : 1;
	if (r)
		return r;
	o->close_step = NULL;
	emit(c, o);
	return 0;
}

static int close_in_netns(__u64 netns, void *arg)
{
	struct closing *c = arg;
	bool progress = true;

	/* SOCK_DESTROY finds a socket by its addresses, then checks its
	 * cookie: in a SO_REUSEPORT group the lookup picks one member and the
	 * others answer ENOENT until it is gone. Passes repeat while one
	 * closes something; what is left goes through its holder (finish). */
	while (progress) {
		progress = false;
		for (size_t i = 0; i < c->sc->n; i++) {
			struct bg_open *o = &c->sc->v[i];
			int r;

			if (o->netns != netns || !bg_verdict_closes(o->verdict) ||
			    (o->closed && o->closed != -ENOENT))
				continue;
			r = bg_diag_destroy(&o->s);
			if (r == -ENOENT) {
				o->closed = -ENOENT;
				continue;
			}
			progress |= finish(c, o, r) == 0;
		}
	}
	for (size_t i = 0; i < c->sc->n; i++) {
		struct bg_open *o = &c->sc->v[i];

		if (o->netns == netns && bg_verdict_closes(o->verdict) && o->closed == -ENOENT)
			finish(c, o, -ENOENT);
	}
	return 0;
}

int bg_scan_close(struct bg_scan *sc, int emit_fd)
{
	struct closing c = { .sc = sc, .emit_fd = emit_fd };
	int failed = 0;

	/* A namespace that went away took its sockets with it; one that could
	 * not be entered leaves its sockets unclosed, counted below. */
	(void)bg_netns_each(close_in_netns, &c);
	for (size_t i = 0; i < sc->n; i++) {
		if (bg_verdict_closes(sc->v[i].verdict) && sc->v[i].closed != 1) {
			if (!sc->v[i].closed) {
				sc->v[i].closed = -ENOENT;
				sc->v[i].close_step = "enter its network namespace";
			}
			failed++;
		}
	}
	return failed;
}

int bg_close_supported(char *why, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct bg_sock s = { 0 };
	struct stat st;
	int fd, pfd, dup, r;

	why[0] = '\0';
	/* Tests only: the answer of a kernel without SOCK_DESTROY. */
	if (getenv("BG_TEST_NO_SOCK_DESTROY")) {
		snprintf(why, len, "SOCK_DESTROY unavailable (BG_TEST_NO_SOCK_DESTROY)");
		return -EOPNOTSUPP;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) || fstat(fd, &st)) {
		snprintf(why, len, "a test socket: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	/* pidfd_getfd (Linux 5.6) to tie an aborted UDP socket to lo. */
	pfd = pidfd_open(getpid(), 0);
	dup = pfd < 0 ? -1 : pidfd_getfd(pfd, fd, 0);
	if (dup < 0) {
		snprintf(why, len, "pidfd_getfd: %s", strerror(errno));
		r = -EOPNOTSUPP;
		goto out;
	}
	close(dup);
	/* SOCK_DESTROY of that socket, found as a dump would find it. */
	s.family = AF_INET;
	s.protocol = IPPROTO_UDP;
	s.type = SOCK_DGRAM;
	s.id.idiag_sport = a.sin_port;
	s.id.idiag_src[0] = a.sin_addr.s_addr;
	s.id.idiag_cookie[0] = s.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	r = bg_diag_destroy(&s);
	if (r == -EOPNOTSUPP)
		snprintf(why, len, "the kernel has no SOCK_DESTROY (CONFIG_INET_DIAG_DESTROY)");
	else if (r)
		snprintf(why, len, "SOCK_DESTROY: %s", strerror(-r));
	if (r)
		r = -EOPNOTSUPP;
out:
	if (pfd >= 0)
		close(pfd);
	close(fd);
	return r;
}
