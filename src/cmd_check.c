// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * check: what bindguard covers on this kernel. Every line comes from a real
 * load of the programs (no pinning, nothing attached), so a user never
 * believes they are covered when they are not.
 */
#include <errno.h>
#include <getopt.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "cgroup.h"
#include "commands.h"
#include "diag.h"
#include "hostnet.h"
#include "json.h"
#include "load.h"
#include "log.h"
#include "object.h"
#include "policy.h"
#include "sockets.h"
#include "state.h"

/* What this kernel offers for sockets bound before their policy, tried. */
struct existing {
	bool list_inet; /* TCP and UDP sockets can be listed (sock_diag) */
	bool list_raw;	/* raw sockets too (raw_diag) */
	int close;	/* 0: SOCK_DESTROY and pidfd_getfd work, else -errno */
	char why[160];	/* why closing does not */
	int emit;	/* 0: the close-event program loads, else -errno */
};

static int no_op(const struct bg_sock *s, void *arg)
{
	(void)s;
	(void)arg;
	return 0;
}

static void probe_existing(struct existing *x, const struct bg_probe *p)
{
	x->list_inet = x->list_raw = true;
	for (size_t i = 0; i < bg_diag_nqueries; i++) {
		const struct bg_diag_query *q = &bg_diag_queries[i];
		bool ok = bg_diag_dump(q, no_op, NULL) == 0;

		if (q->protocol == IPPROTO_RAW)
			x->list_raw &= ok;
		else if (q->protocol != IPPROTO_UDPLITE)
			x->list_inet &= ok;
	}
	x->close = bg_close_supported(x->why, sizeof(x->why));
	x->emit = -ENOENT;
	if (p->variant >= 0) {
		int fd = bg_emitter_load(NULL, p->variant);

		x->emit = fd < 0 ? fd : 0;
		if (fd >= 0)
			close(fd);
	}
}

struct item {
	const char *name;
	const char *status; /* enforced, confined, per-policy, not-covered, ok, partial, unknown,
			       missing, warn (the host itself opens a way around) */
	char detail[512];
};

/* What the host opens around the hooks: route_localnet, 32-bit syscalls. */
static int host_items(struct item *it, bool backstop)
{
	char names[sizeof(it[0].detail) / 2];
	int r = bg_route_localnet("/proc/sys/net/ipv4/conf", names, sizeof(names));
	int c = bg_compat_syscalls();

	it[0].name = "route-localnet";
	it[0].status = r > 0 ? "warn" : !backstop ? "not-covered" : "enforced";
	if (r > 0)
		snprintf(it[0].detail, sizeof(it[0].detail),
			 "route_localnet is set on this host (%s): a socket bound to 127.0.0.1 "
			 "receives what other hosts route to it; %s",
			 names,
			 backstop
				 ? "in policed cgroups the backstop (cgroup_skb/ingress) drops it, "
				   "elsewhere it is exposed"
				 : "in policed cgroups too (no backstop)");
	else
		snprintf(it[0].detail, sizeof(it[0].detail),
			 "net.ipv4.conf.*.route_localnet=1 (root in a cgroup's network namespace, "
			 "or the host, as kube-proxy does) lets a socket bound to 127.0.0.1 hear "
			 "other hosts: %s; %s",
			 backstop
				 ? "the backstop (cgroup_skb/ingress) drops that in policed cgroups"
				 : "not covered (no backstop)",
			 r == 0 ? "not set on this host" : "cannot read /proc/sys/net/ipv4/conf");
	it[1].name = "compat-setsockopt";
	it[1].status = c == 0 ? "ok" : backstop ? "enforced" : c == 1 ? "not-covered" : "unknown";
	if (c == 0)
		snprintf(it[1].detail, sizeof(it[0].detail),
			 "this kernel runs no 32-bit system calls (tried int $0x80), so every "
			 "setsockopt meets the guard");
	else
		snprintf(it[1].detail, sizeof(it[0].detail),
			 "a 32-bit setsockopt (a 32-bit program, int $0x80, a compat io_uring "
			 "ring; %s) skips cgroup/setsockopt and can untie a socket bindguard tied "
			 "to lo: %s",
			 c == 1 ? "this kernel runs them" : "cannot tell if this kernel runs them",
			 backstop
				 ? "the backstop (cgroup_skb/ingress) still drops what other hosts "
				   "send it"
				 : "it then hears other hosts (no backstop)");
	return 2;
}

static int build(struct item *it, const struct bg_probe *p, const char *mnt,
		 const struct existing *x)
{
	bool lsm = p->loaded[BG_HOOK_LSM_LISTEN] && p->lsm_active > 0;
	bool lsm_unknown = p->loaded[BG_HOOK_LSM_LISTEN] && p->lsm_active < 0;
	int n = 0;

	it[n].name = "cgroup-v2";
	it[n].status = mnt[0] ? "ok" : "missing";
	snprintf(it[n++].detail, sizeof(it[0].detail), "%s",
		 mnt[0] ? mnt : "no cgroup2 mount in /proc/self/mountinfo");
	it[n].name = "bpf-object";
	it[n].status = p->kernel || p->variant < 0 ? "missing" : bg_object_name(p->variant);
	if (p->kernel)
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "needs a kernel with BTF "
			 "(CONFIG_DEBUG_INFO_BTF=y)");
	else if (p->variant < 0)
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "this kernel refuses every object (%s: %s)", bg_object_name(p->preferred),
			 p->why[p->preferred]);
	else if (p->variant != p->preferred)
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "fallback: this kernel refuses the %s object (%s)",
			 bg_object_name(p->preferred), p->why[p->preferred]);
	else
		snprintf(it[n].detail, sizeof(it[0].detail), "%s",
			 getenv(BG_OBJECT_ENV) && *getenv(BG_OBJECT_ENV)
				 ? "chosen by " BG_OBJECT_ENV
				 : "the preferred object loads");
	n++;
	it[n].name = "socket-cgroup";
	it[n].status = p->kernel || p->variant < 0   ? "missing"
		       : p->variant == BG_OBJ_COMPAT ? "partial"
						     : "ok";
	snprintf(it[n++].detail, sizeof(it[0].detail), "%s%s",
		 p->variant == BG_OBJ_COMPAT ? "TCP and IPv6 UDP sockets follow the cgroup they "
					       "were created in; "
					     : "policy follows the cgroup a socket was created in",
		 p->variant == BG_OBJ_COMPAT ? bg_compat_gives_up : "");
	it[n].name = "bind";
	it[n].status =
		p->loaded[BG_HOOK_BIND4] && p->loaded[BG_HOOK_BIND6] ? "enforced" : "not-covered";
	if (p->variant < 0 && !p->load_err)
		snprintf(it[n++].detail, sizeof(it[0].detail),
			 "the programs were not tried: this kernel lacks what they need (see "
			 "bpf-object)");
	else if (p->variant < 0)
		snprintf(it[n++].detail, sizeof(it[0].detail),
			 "the programs do not load on this kernel (%s; `bindguard -v check` "
			 "shows the verifier's log)",
			 strerror(-p->load_err));
	else
		snprintf(it[n++].detail, sizeof(it[0].detail),
			 "cgroup/bind4, cgroup/bind6: a refused bind() fails with EPERM");
	it[n].name = "listen-autobind";
	if (lsm) {
		it[n].status = "enforced";
		snprintf(
			it[n].detail, sizeof(it[0].detail),
			"lsm_cgroup/socket_listen: listen() on an unbound socket fails with EPERM");
	} else if (p->loaded[BG_HOOK_SOCKOPS]) {
		it[n].status = "confined";
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "sock_ops: the autobound listener is tied to lo (reachable locally "
			 "only); %s",
			 lsm_unknown ? "refused with EPERM instead if BPF LSM is active (cannot "
				       "tell: securityfs is not mounted)"
				     : "BPF LSM unavailable");
	} else {
		it[n].status = "not-covered";
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "neither lsm_cgroup nor sock_ops loads on this kernel");
	}
	n++;
	it[n].name = "setsockopt-guard";
	it[n].status = p->loaded[BG_HOOK_SETSOCKOPT] ? "enforced" : "not-covered";
	snprintf(it[n++].detail, sizeof(it[0].detail),
		 "SO_BINDTODEVICE/SO_BINDTOIFINDEX only to lo in policed cgroups");
	it[n].name = "udp-autobind";
	it[n].status = p->loaded[BG_HOOK_SENDMSG4] && p->loaded[BG_HOOK_SENDMSG6] ? "per-policy"
										  : "not-covered";
	snprintf(it[n++].detail, sizeof(it[0].detail),
		 "unconnected sendto() from a wildcard-autobound socket: --udp-autobind "
		 "audit (default) reports, deny refuses the send, allow ignores");
	it[n].name = "udp-early-fail";
	it[n].status = p->loaded[BG_HOOK_INGRESS] ? "enforced" : "not-covered";
	snprintf(it[n++].detail, sizeof(it[0].detail),
		 "a sendto() that fails before cgroup/sendmsg runs (MSG_OOB, port 0, over "
		 "65,535 bytes) leaves its socket autobound to the wildcard: %s",
		 p->loaded[BG_HOOK_INGRESS]
			 ? "nothing admitted it, so the backstop (cgroup_skb/ingress) drops what "
			   "other hosts send it (an autobind seen at a send is admitted by "
			   "--udp-autobind audit and allow)"
			 : "it receives from any host (no backstop: cgroup_skb/ingress does not "
			   "load)");
	it[n].name = "raw-sockets";
	it[n].status = p->loaded[BG_HOOK_SOCK_CREATE] ? "per-policy" : "not-covered";
	snprintf(it[n++].detail, sizeof(it[0].detail),
		 "raw sockets skip the bind hooks: --raw deny refuses creating them "
		 "(default allow)");
	it[n].name = "ping-sockets";
	it[n].status = p->loaded[BG_HOOK_SOCK_CREATE] ? "per-policy" : "not-covered";
	snprintf(it[n++].detail, sizeof(it[0].detail),
		 "ICMP ping sockets skip the bind hooks: --ping confine (default) ties them to "
		 "lo (ping reaches this machine only), allow lets them hear any host");
	it[n].name = "own-bind-protocols";
	it[n].status = p->loaded[BG_HOOK_SOCK_CREATE] ? "per-policy" : "not-covered";
	snprintf(it[n++].detail, sizeof(it[0].detail),
		 "other protocols with their own bind (SCTP, L2TP/IP, any the kernel adds): "
		 "--other-protocols deny (default) refuses creating them, allow permits");
	it[n].name = "bpf-lsm";
	it[n].status = lsm ? "ok" : lsm_unknown ? "unknown" : "missing";
	if (lsm)
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "lsm_cgroup programs load; active LSMs: %s", p->lsm_list);
	else if (lsm_unknown)
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "lsm_cgroup programs load; whether BPF LSM is active is unknown "
			 "(mount securityfs at /sys/kernel/security to tell)");
	else if (p->loaded[BG_HOOK_LSM_LISTEN])
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "lsm_cgroup programs load but BPF LSM is not active (active LSMs: %s): "
			 "add bpf to lsm= on the kernel command line",
			 p->lsm_list);
	else
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "lsm_cgroup program does not load (%s); active LSMs: %s",
			 p->optional_err ? strerror(-p->optional_err) : "not tried",
			 p->lsm_list[0]
				 ? p->lsm_list
				 : "unknown (securityfs not mounted at /sys/kernel/security)");
	n++;
	it[n].name = "created-outside";
	it[n].status = "not-covered";
	snprintf(it[n++].detail, sizeof(it[0].detail),
		 "a socket created outside the cgroup (inherited, passed over a unix "
		 "socket) follows its creation cgroup%s",
		 p->variant == BG_OBJ_COMPAT ? "; on this kernel an IPv4 UDP socket created "
					       "inside and bound by a task outside escapes too"
					     : "");
	n += host_items(it + n, p->loaded[BG_HOOK_INGRESS]);
	it[n].name = "packet-sockets";
	it[n].status = "not-covered";
	snprintf(it[n++].detail, sizeof(it[0].detail),
		 "AF_PACKET sockets have no address to bind; they are not inet sockets");
	it[n].name = "existing-sockets";
	it[n].status = !x->list_inet ? "missing" : x->list_raw ? "ok" : "partial";
	snprintf(it[n++].detail, sizeof(it[0].detail), "%s%s",
		 x->list_inet ? "sockets bound before their policy are reported by every apply, "
				"`sockets` and `status` (sock_diag): TCP listeners, UDP"
			      : "this kernel cannot list TCP and UDP sockets (sock_diag: "
				"CONFIG_INET_DIAG, CONFIG_INET_UDP_DIAG)",
		 !x->list_inet ? ""
		 : x->list_raw
			 ? ", raw"
			 : "; raw sockets are not listed (no raw_diag: CONFIG_INET_RAW_DIAG)");
	it[n].name = "close-existing";
	it[n].status = !x->close && !x->emit ? "ok" : "missing";
	if (x->close)
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "--close-existing is refused on this kernel: %s", x->why);
	else if (x->emit)
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "--close-existing is refused on this kernel: the close-event program "
			 "does not load (%s)",
			 strerror(-x->emit));
	else
		snprintf(it[n].detail, sizeof(it[0].detail),
			 "--close-existing destroys refused listeners (SOCK_DESTROY); a UDP or "
			 "raw socket is aborted and tied to lo (pidfd_getfd)");
	n++;
	it[n].name = "policy-limit";
	it[n].status = "ok";
	{
		int cpus = libbpf_num_possible_cpus();
		__u32 slots = cpus > 0 ? bg_stats_slots(cpus) : 0;

		if (cpus <= 0) {
			/* No /sys/devices/system/cpu/possible (no /sys mounted). */
			it[n].status = "missing";
			snprintf(it[n++].detail, sizeof(it[0].detail),
				 "the number of possible CPUs is unknown (%s): the counters "
				 "cannot be sized",
				 strerror(-cpus));
		} else {
			snprintf(it[n++].detail, sizeof(it[0].detail),
				 "up to %u policed cgroups (per-CPU counters: %.1f MiB for %d "
				 "possible CPUs)",
				 slots - 1,
				 (double)slots * sizeof(struct bg_stats) * cpus / (1 << 20), cpus);
		}
	}
	return n;
}

int cmd_check(int argc, char **argv, struct bg_global *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct item items[24];
	struct existing x = { 0 };
	struct bg_probe probe;
	struct utsname u;
	char mnt[PATH_MAX] = "";
	int c, n, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			g->json = true;
			break;
		case 'h':
			printf("Usage: bindguard check [--json]\n\n"
			       "Report which protections this kernel enforces, confines or does "
			       "not\n"
			       "cover, by loading every program (nothing is attached).\n\n"
			       "EXAMPLES\n  bindguard check\n  bindguard check --json\n");
			return BG_EXIT_OK;
		default:
			bg_option_error("check", argv, "jh", opts);
			return BG_EXIT_USAGE;
		}
	}
	if (bg_no_more_args("check", argc, argv))
		return BG_EXIT_USAGE;
	r = bg_require_privileges("check");
	if (r)
		return r;
	if (bg_cgroup_mount(mnt, sizeof(mnt)))
		mnt[0] = '\0';
	r = bg_state_probe(&probe);
	probe_existing(&x, &probe);
	n = build(items, &probe, mnt, &x);
	uname(&u);
	if (g->json) {
		struct bg_json j;

		bg_json_init(&j, stdout);
		bg_json_obj_begin(&j);
		bg_json_kstr(&j, "kernel", u.release);
		bg_json_key(&j, "checks");
		bg_json_arr_begin(&j);
		for (int i = 0; i < n; i++) {
			bg_json_obj_begin(&j);
			bg_json_kstr(&j, "name", items[i].name);
			bg_json_kstr(&j, "status", items[i].status);
			bg_json_kstr(&j, "detail", items[i].detail);
			bg_json_obj_end(&j);
		}
		bg_json_arr_end(&j);
		bg_json_obj_end(&j);
		fputc('\n', stdout);
	} else {
		printf("kernel %s\n", u.release);
		for (int i = 0; i < n; i++)
			printf("  %-19s %-12s %s\n", items[i].name, items[i].status,
			       items[i].detail);
	}
	if (!mnt[0] || probe.kernel)
		return BG_EXIT_NOFEATURE;
	return r ? r : BG_EXIT_OK;
}
