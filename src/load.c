// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bindguard.h" /* before the skeletons: their .bss holds bindguard.h types */
#include "bindguard.skel.h"
#include "bindguard_compat.skel.h"
#include "load.h"
#include "log.h"
#include "pins.h"
#include "policy.h"

/* Pins of maps that earlier builds had (cgroup local storage copies of the
 * policies, a walk cache, the exact-match exceptions and the rule table):
 * removed when this build loads its programs. */
static const char *const legacy_map_pins[] = { "bg_resolve", "bg_pol_store", "bg_rules_exact",
					       "bg_rule_tab" };

/*
 * One BPF object of either build, as its skeleton gives it: the maps and
 * programs by what they are, so that loading, pinning and probing treat both
 * builds alike.
 */
struct bg_obj {
	int variant;
	struct bindguard_bpf *full;	     /* the skeleton of a BG_OBJ_FULL object */
	struct bindguard_compat_bpf *compat; /* the skeleton of a BG_OBJ_COMPAT one */
	struct bpf_object *obj;		     /* NULL: not open */
	struct bpf_map *map[BG_NR_MAPS];
	struct bpf_program *prog[BG_NR_HOOKS];
	struct bpf_program *emit; /* bg_emit: loaded alone, on demand */
};

/* Both skeletons have the same members (one source, two builds): one
 * definition gathers either's, and a map or program renamed in bpf/ fails
 * the build here. */
#define GATHER_MAP(id, name) o->map[id] = skel->maps.name;
#define DEFINE_GATHER(fn, skel_type)                                                               \
	static void fn(struct bg_obj *o, struct skel_type *skel)                                   \
	{                                                                                          \
		o->obj = skel->obj;                                                                \
		BG_PINNED_MAPS(GATHER_MAP)                                                         \
		o->prog[BG_HOOK_BIND4] = skel->progs.bg_bind4;                                     \
		o->prog[BG_HOOK_BIND6] = skel->progs.bg_bind6;                                     \
		o->prog[BG_HOOK_SOCKOPS] = skel->progs.bg_sockops;                                 \
		o->prog[BG_HOOK_SETSOCKOPT] = skel->progs.bg_setsockopt;                           \
		o->prog[BG_HOOK_SENDMSG4] = skel->progs.bg_sendmsg4;                               \
		o->prog[BG_HOOK_SENDMSG6] = skel->progs.bg_sendmsg6;                               \
		o->prog[BG_HOOK_SOCK_CREATE] = skel->progs.bg_sock_create;                         \
		o->prog[BG_HOOK_INGRESS] = skel->progs.bg_ingress;                                 \
		o->prog[BG_HOOK_LSM_LISTEN] = skel->progs.bg_lsm_listen;                           \
		o->emit = skel->progs.bg_emit;                                                     \
	}
DEFINE_GATHER(gather_full, bindguard_bpf)
DEFINE_GATHER(gather_compat, bindguard_compat_bpf)

/* Every object needs the kernel's BTF (CO-RE, kfuncs, BTF pointers). */
static int need_btf(void)
{
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		return 0;
	bg_err("kernel has no BTF (/sys/kernel/btf/vmlinux): bindguard needs a kernel "
	       "built with CONFIG_DEBUG_INFO_BTF=y");
	return BG_EXIT_NOFEATURE;
}

static const unsigned char *object_bytes(int variant, size_t *n)
{
	return variant == BG_OBJ_COMPAT ? bindguard_compat_bpf__elf_bytes(n)
					: bindguard_bpf__elf_bytes(n);
}

/* FNV-1a, 64 bits. */
static __u64 fnv1a(const void *data, size_t n)
{
	const unsigned char *p = data;
	__u64 h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Identity of the BPF object built into this binary (FNV-1a of its bytes):
 * pinned programs from another build are replaced on the next change. */
static __u64 object_build(int variant)
{
	static __u64 cache[2];
	const unsigned char *p;
	size_t n;

	if (cache[variant])
		return cache[variant];
	p = object_bytes(variant, &n);
	return cache[variant] = fnv1a(p, n);
}

int bg_build_variant(__u64 build)
{
	if (build == object_build(BG_OBJ_FULL))
		return BG_OBJ_FULL;
	if (build == object_build(BG_OBJ_COMPAT))
		return BG_OBJ_COMPAT;
	return -1;
}

/*
 * BG_TEST_BREAK_OBJECT=full|compat|full,compat (tests only): load that
 * object's bind4 program as a socket filter, which every verifier refuses,
 * to exercise the fallback and the refusal paths with a real refusal.
 */
static void break_for_tests(struct bg_obj *o)
{
	const char *v = getenv("BG_TEST_BREAK_OBJECT");
	char list[32];

	if (!v || snprintf(list, sizeof(list), ",%s,", v) >= (int)sizeof(list))
		return;
	snprintf(list, sizeof(list), ",%s,", v);
	if (!strstr(list, o->variant == BG_OBJ_FULL ? ",full," : ",compat,"))
		return;
	bpf_program__set_type(o->prog[BG_HOOK_BIND4], BPF_PROG_TYPE_SOCKET_FILTER);
}

/* What to load of an object: the hooks (with or without the optional
 * ones), or the event emitter alone. */
enum { LOAD_HOOKS, LOAD_HOOKS_OPTIONAL, LOAD_EMIT };

/* Open the variant's object through its skeleton, to load what `what`
 * says. The verifier's log of a refusal goes to log. 0 or -errno. */
static int object_open(struct bg_obj *o, int variant, int what, char *log, size_t log_size)
{
	/* The object's name as before the skeletons (theirs: bindguard_bpf). */
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "bindguard",
		    /* Kept by us, not printed by libbpf: the refusal's reason. */
		    .kernel_log_buf = log, .kernel_log_size = log ? log_size : 0);

	memset(o, 0, sizeof(*o));
	o->variant = variant;
	if (variant == BG_OBJ_COMPAT) {
		o->compat = bindguard_compat_bpf__open_opts(&opts);
		if (o->compat)
			gather_compat(o, o->compat);
	} else {
		o->full = bindguard_bpf__open_opts(&opts);
		if (o->full)
			gather_full(o, o->full);
	}
	if (!o->obj)
		return -errno;
	break_for_tests(o);
	for (int h = 0; h < BG_NR_HOOKS; h++)
		if (what == LOAD_EMIT || (bg_hook_optional(h) && what != LOAD_HOOKS_OPTIONAL))
			bpf_program__set_autoload(o->prog[h], false);
	if (what != LOAD_EMIT)
		bpf_program__set_autoload(o->emit, false);
	return 0;
}

static void object_close(struct bg_obj *o)
{
	bindguard_bpf__destroy(o->full);
	bindguard_compat_bpf__destroy(o->compat);
	memset(o, 0, sizeof(*o));
}

/* The size of the per-CPU counters map: what this machine's CPU count
 * allows, or the size pinned state was created with (libbpf reuses a pinned
 * map only when the definitions match). */
static __u32 stats_slots(const struct bg_state *s, const char *pin)
{
	int fd = bpf_obj_get(pin);
	__u32 n = 0;

	if (fd >= 0) {
		n = bg_map_max_entries(fd);
		close(fd);
	}
	return n ? n : bg_stats_slots(s->ncpus);
}

/* Open the object with its maps pointed at the pins (s NULL: no pins, for
 * check) and load it: 0, or -errno with o closed. On a refusal, log holds
 * the verifier's log and failed the program it refused. */
static int open_and_load(struct bg_obj *o, const struct bg_state *s, int variant, int what,
			 char *log, size_t log_size, char failed[64])
{
	struct bpf_program *prog;
	char path[PATH_MAX];
	int err;

	failed[0] = '\0';
	err = object_open(o, variant, what, log, log_size);
	if (err)
		return err;
	for (int i = 0; i < BG_NR_MAPS && s; i++) {
		bg_pin_path(s, bpf_map__name(o->map[i]), path, sizeof(path));
		err = bpf_map__set_pin_path(o->map[i], path);
		if (!err && i == BG_MAP_STATS)
			err = bpf_map__set_max_entries(o->map[i], stats_slots(s, path));
		if (err)
			goto fail;
	}
	/* The counters' size this machine would get, not the declared one. */
	if (!s)
		err = bpf_map__set_max_entries(o->map[BG_MAP_STATS],
					       bg_stats_slots(libbpf_num_possible_cpus()));
	/* bpf_object__load rather than the skeleton's load, which is the same
	 * load plus a second libbpf warning on failure and a re-mmap of global
	 * data (nothing here reads global data through the skeleton). */
	err = err ? err : bpf_object__load(o->obj);
	if (!err)
		return 0;
	/* Programs load in order: the first without a descriptor was refused. */
	bpf_object__for_each_program (prog, o->obj) {
		if (bpf_program__autoload(prog) && bpf_program__fd(prog) < 0) {
			snprintf(failed, 64, "%s", bpf_program__name(prog));
			break;
		}
	}
fail:
	object_close(o);
	return err;
}

/* Trying the objects in turn (bg_object_choose). */
#define VERIFIER_LOG_SIZE (16u << 20)
struct attempt {
	struct bg_state *s;	  /* pins to load against; NULL: none (check) */
	int lsm_active;		  /* bg_bpf_lsm_active() */
	struct bg_obj obj;	  /* the object that loaded */
	int optional_err;	  /* -errno of the load with the LSM program, else 0 */
	char why[BG_NR_OBJ][384]; /* a refused object: "program: the verifier's line" */
	char *log;
	size_t log_size;
};

static int try_object(int variant, void *arg)
{
	struct attempt *a = arg;
	char failed[64], line[300];
	int r;

	a->optional_err = 0;
	a->log[0] = '\0';
	bg_libbpf_mark();
	r = open_and_load(&a->obj, a->s, variant, a->lsm_active ? LOAD_HOOKS_OPTIONAL : LOAD_HOOKS,
			  a->log, a->log_size, failed);
	/* BPF LSM is optional: a kernel without it (or, like some, that
	 * refuses every trampoline program) gets the sock_ops confinement. */
	if (!a->obj.obj && a->lsm_active) {
		a->optional_err = r;
		a->log[0] = '\0';
		bg_libbpf_mark();
		r = open_and_load(&a->obj, a->s, variant, LOAD_HOOKS, a->log, a->log_size, failed);
	}
	if (a->obj.obj)
		return 0;
	/* The verifier's line; else what libbpf said when it gave up before
	 * the kernel saw the program (an extern kfunc this kernel lacks). */
	bg_verifier_reason(a->log, line, sizeof(line));
	if (!line[0]) {
		snprintf(line, sizeof(line), "%s", bg_libbpf_first_warning());
		failed[0] = '\0'; /* libbpf names the program itself if it is one */
	}
	snprintf(a->why[variant], sizeof(a->why[0]), "%s%s%s", failed[0] ? failed : "",
		 failed[0] ? ": " : "", line[0] ? line : strerror(-r));
	if (bg_verbose && a->log[0])
		fprintf(stderr,
			"bindguard: the %s object's %s was refused; the verifier's log:\n%s\n",
			bg_object_name(variant), failed[0] ? failed : "load", a->log);
	return r;
}

int bg_load_order(int order[BG_NR_OBJ])
{
	int n = bg_object_order(getenv(BG_OBJECT_ENV), order);

	if (n < 0) {
		order[0] = BG_OBJ_FULL;
		n = 1;
	}
	return n;
}

/* Every object was refused: say why, in one line. Exit code. */
static int refused(const struct attempt *a, const int *order, int n, const int *errs)
{
	char msg[1024];
	int len = 0, last = errs[order[n - 1]];

	if (last == -EPERM && !a->log[0]) {
		bg_err("load BPF programs: %s (needs root: CAP_BPF, CAP_NET_ADMIN and "
		       "CAP_SYS_ADMIN)",
		       strerror(-last));
		return BG_EXIT_FAIL;
	}
	if (last == -EINVAL && !a->log[0]) {
		bg_err("load BPF programs: %s (pinned maps from another bindguard build? run "
		       "`bindguard detach --all`)",
		       strerror(-last));
		return BG_EXIT_FAIL;
	}
	for (int i = 0; i < n && len < (int)sizeof(msg); i++)
		len += snprintf(msg + len, sizeof(msg) - len, "%s%s object (%s)",
				i ? "; the " : "the ", bg_object_name(order[i]), a->why[order[i]]);
	bg_err("load BPF programs: this kernel refuses %s%s; `bindguard -v check` shows the "
	       "verifier's log",
	       msg, n > 1 ? "" : (" (" BG_OBJECT_ENV " chose it)"));
	return BG_EXIT_NOFEATURE;
}

int bg_load_and_pin(struct bg_state *s)
{
	struct attempt a = { .s = s, .log_size = VERIFIER_LOG_SIZE };
	int order[BG_NR_OBJ], errs[BG_NR_OBJ] = { 0 }, n;
	struct bg_obj *o = &a.obj;
	char path[PATH_MAX];
	struct bg_config cfg;
	bool made_dir;
	__u32 zero = 0;
	int r, variant, cfg_fd, exit_code = BG_EXIT_FAIL;

	r = need_btf();
	if (r)
		return r;
	made_dir = !mkdir(s->dir, 0700);
	if (!made_dir && errno != EEXIST) {
		bg_err("create %s: %s", s->dir, strerror(errno));
		return BG_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/%s", s->dir, BG_LINK_DIR);
	if (mkdir(path, 0700) && errno != EEXIST) {
		bg_err("create %s: %s", path, strerror(errno));
		return BG_EXIT_FAIL;
	}

	/* Where BPF LSM is known to be inactive, its program would never run. */
	a.lsm_active = bg_bpf_lsm_active(NULL, 0);
	if (!a.lsm_active)
		bg_dbg("BPF LSM is not active: listen() without bind() is confined by sock_ops");
	a.log = malloc(a.log_size);
	if (!a.log) {
		bg_err("load BPF programs: %s", strerror(ENOMEM));
		return BG_EXIT_FAIL;
	}
	/* The objects are tried in turn, best first: what this kernel's verifier
	 * accepts decides, not its version or its BTF. */
	n = bg_load_order(order);
	variant = bg_object_choose(order, n, try_object, &a, errs);
	if (variant < 0) {
		exit_code = refused(&a, order, n, errs);
		free(a.log);
		/* A first load leaves nothing behind (libbpf unpins the maps it
		 * pinned for an object that did not load). */
		if (made_dir)
			bg_remove_tree(s->dir);
		return exit_code;
	}
	free(a.log);
	if (variant != order[0])
		bg_err("note: this kernel refuses the %s BPF object (%s); running the %s object, "
		       "where %s (see `bindguard check`)",
		       bg_object_name(order[0]), a.why[order[0]], bg_object_name(variant),
		       bg_compat_gives_up);
	if (a.optional_err)
		bg_err("note: BPF LSM program did not load (%s): listen() without bind() will be "
		       "confined to lo instead of refused (see `bindguard check`)",
		       strerror(-a.optional_err));
	for (int h = 0; h < BG_NR_HOOKS; h++) {
		struct bpf_program *prog = o->prog[h];

		bg_pin_path(s, bg_hook_names[h], path, sizeof(path));
		unlink(path);
		if (!bpf_program__autoload(prog))
			continue;
		r = bpf_program__pin(prog, path);
		if (r) {
			bg_err("pin %s: %s", path, strerror(-r));
			goto out;
		}
	}
	/* Maps of earlier builds go (freed with the last program holding them). */
	for (size_t i = 0; i < sizeof(legacy_map_pins) / sizeof(legacy_map_pins[0]); i++) {
		bg_pin_path(s, legacy_map_pins[i], path, sizeof(path));
		unlink(path);
	}
	cfg_fd = bpf_map__fd(o->map[BG_MAP_CFG]);
	if (!bpf_map_lookup_elem(cfg_fd, &zero, &cfg)) {
		if (cfg.abi == 0) {
			cfg.abi = BG_ABI_VERSION;
			cfg.next_ruleset = 1;
		}
		cfg.build = object_build(variant);
		cfg.last_full_pass = 0; /* new programs: the next change runs the full pass */
		if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY)) {
			bg_err("initialise config map: %s", strerror(errno));
			goto out;
		}
	}
	exit_code = 0;
out:
	object_close(o);
	return exit_code;
}

int bg_bpf_lsm_active(char *list, size_t len)
{
	char buf[256], *tok, *save;
	FILE *f = fopen("/sys/kernel/security/lsm", "re");
	int active = 0;

	if (list && len)
		list[0] = '\0';
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	if (list && len)
		snprintf(list, len, "%s", buf);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		active |= !strcmp(tok, "bpf");
	return active;
}

int bg_state_probe(struct bg_probe *p)
{
	struct attempt a = { .log_size = VERIFIER_LOG_SIZE };
	int order[BG_NR_OBJ], n;

	memset(p, 0, sizeof(*p));
	p->variant = -1;
	p->lsm_active = bg_bpf_lsm_active(p->lsm_list, sizeof(p->lsm_list));
	p->kernel = need_btf();
	if (p->kernel)
		return p->kernel;
	a.lsm_active = p->lsm_active;
	a.log = malloc(a.log_size);
	if (!a.log)
		return BG_EXIT_FAIL;
	n = bg_load_order(order);
	p->preferred = order[0];
	p->variant = bg_object_choose(order, n, try_object, &a, p->errs);
	free(a.log);
	memcpy(p->why, a.why, sizeof(p->why));
	p->optional_err = a.optional_err;
	if (p->variant < 0) {
		p->load_err = p->errs[order[n - 1]];
		return p->load_err == -EPERM ? BG_EXIT_FAIL : BG_EXIT_NOFEATURE;
	}
	for (int h = 0; h < BG_NR_HOOKS; h++)
		p->loaded[h] = bpf_program__fd(a.obj.prog[h]) >= 0;
	object_close(&a.obj);
	return 0;
}

int bg_emitter_load(const struct bg_state *s, int variant)
{
	struct bg_obj o;
	char failed[64];
	int r, fd;

	if (variant < 0)
		return -ENOENT;
	bg_libbpf_mark();
	r = open_and_load(&o, s, variant, LOAD_EMIT, NULL, 0, failed);
	if (r)
		return r;
	fd = fcntl(bpf_program__fd(o.emit), F_DUPFD_CLOEXEC, 0);
	r = fd < 0 ? -errno : fd;
	object_close(&o);
	return r;
}
