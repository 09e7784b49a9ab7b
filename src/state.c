// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bindguard.h" /* before the skeletons: their .bss holds bindguard.h types */
#include "bindguard.skel.h"
#include "bindguard_compat.skel.h"
#include "log.h"
#include "state.h"
#include "state_priv.h"
#include "object.h"

#define NR_MAPS 7

/* The private ring slot this process reserved but may not have named in a
 * policy yet: garbage collection must leave it alone. */
__u32 bg_reserved_ring;

static const char *const map_names[NR_MAPS] = {
	"bg_cfg", "bg_policies", "bg_rules", "bg_rule_src", "bg_stats", "bg_events", "bg_rings",
};
/* Pins of maps that earlier builds had (cgroup local storage copies of the
 * policies, a walk cache, the exact-match exceptions and the rule table):
 * removed when this build loads its programs. */
static const char *const legacy_map_pins[] = { "bg_resolve", "bg_pol_store", "bg_rules_exact",
					       "bg_rule_tab" };

const char *const bg_hook_names[BG_NR_HOOKS] = {
	"bind4",    "bind6",	"sockops",     "setsockopt",
	"sendmsg4", "sendmsg6", "sock_create", "lsm_listen",
};
#define prog_pins bg_hook_names
static const char *const prog_names[BG_NR_HOOKS] = {
	"bg_bind4",    "bg_bind6",    "bg_sockops",	"bg_setsockopt",
	"bg_sendmsg4", "bg_sendmsg6", "bg_sock_create", "bg_lsm_listen",
};
const enum bpf_attach_type bg_hook_type[BG_NR_HOOKS] = {
	BPF_CGROUP_INET4_BIND,	     BPF_CGROUP_INET6_BIND,   BPF_CGROUP_SOCK_OPS,
	BPF_CGROUP_SETSOCKOPT,	     BPF_CGROUP_UDP4_SENDMSG, BPF_CGROUP_UDP6_SENDMSG,
	BPF_CGROUP_INET_SOCK_CREATE, BPF_LSM_CGROUP,
};

static bool hook_optional(int hook)
{
	return hook == BG_HOOK_LSM_LISTEN;
}

/* Pins of programs that earlier builds had (bind programs for plain
 * deny-wildcard subtrees, and frozen pairs under frozen/): removed when this
 * build loads its programs, after every link was re-pointed at its own. */
static const char *const legacy_prog_pins[] = { "bind4_dw", "bind6_dw", "frozen" };

static int *map_fd(struct bg_state *s, int i)
{
	int *fds[NR_MAPS] = { &s->cfg_fd,   &s->policies_fd, &s->rules_fd, &s->rule_src_fd,
			      &s->stats_fd, &s->events_fd,   &s->rings_fd };
	return fds[i];
}

static void pin_path(const struct bg_state *s, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", s->dir, name);
}

void bg_link_path(const struct bg_state *s, __u64 cgid, int hook, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%" PRIu64 "-%s", s->dir, BG_LINK_DIR, (uint64_t)cgid,
		 prog_pins[hook]);
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

static int ensure_bpffs(bool create)
{
	if (is_bpffs(BG_BPFFS))
		return 0;
	if (!create)
		return -ENOENT;
	if (mkdir(BG_BPFFS, 0700) && errno != EEXIST) {
		bg_err("create %s: %s", BG_BPFFS, strerror(errno));
		return BG_EXIT_FAIL;
	}
	if (mount("bpf", BG_BPFFS, "bpf", 0, "mode=0700")) {
		bg_err("mount bpffs at %s: %s%s", BG_BPFFS, strerror(errno),
		       errno == EPERM ? " (needs root)" : "");
		return BG_EXIT_FAIL;
	}
	bg_dbg("mounted bpffs at %s", BG_BPFFS);
	return 0;
}

static int take_lock(struct bg_state *s)
{
	s->lock_fd = open(BG_LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		bg_err("open lock %s: %s%s", BG_LOCK_PATH, strerror(errno),
		       errno == EACCES ? " (needs root)" : "");
		return BG_EXIT_FAIL;
	}
	if (flock(s->lock_fd, LOCK_EX)) {
		bg_err("lock %s: %s", BG_LOCK_PATH, strerror(errno));
		return BG_EXIT_FAIL;
	}
	return 0;
}

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

/* Which of this binary's objects pinned state was loaded from (the one the
 * kernel accepted when it was created), or -1 for another build's. Reading
 * it from the state spares every command a trial load. */
static int build_variant(__u64 build)
{
	if (build == object_build(BG_OBJ_FULL))
		return BG_OBJ_FULL;
	if (build == object_build(BG_OBJ_COMPAT))
		return BG_OBJ_COMPAT;
	return -1;
}

static int read_cfg_fd(int fd, struct bg_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(fd, &zero, cfg) ? -errno : 0;
}

int bg_read_cfg(const struct bg_state *s, struct bg_config *cfg)
{
	return read_cfg_fd(s->cfg_fd, cfg);
}

int bg_write_cfg(const struct bg_state *s, const struct bg_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_update_elem(s->cfg_fd, &zero, cfg, BPF_ANY) ? -errno : 0;
}

static void close_fds(struct bg_state *s)
{
	for (int i = 0; i < NR_MAPS; i++) {
		if (*map_fd(s, i) >= 0)
			close(*map_fd(s, i));
		*map_fd(s, i) = -1;
	}
	for (int h = 0; h < BG_NR_HOOKS; h++) {
		if (s->prog_fd[h] >= 0)
			close(s->prog_fd[h]);
		s->prog_fd[h] = -1;
	}
}

/* Open the pins present and count them; *complete when nothing required is
 * missing (the optional LSM program may be absent). */
static int open_pins(struct bg_state *s, char *missing, size_t len, bool *complete)
{
	char path[PATH_MAX];
	int found = 0;

	*complete = true;
	missing[0] = '\0';
	for (int i = 0; i < NR_MAPS + BG_NR_HOOKS; i++) {
		const char *name = i < NR_MAPS ? map_names[i] : prog_pins[i - NR_MAPS];
		int fd;

		pin_path(s, name, path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			found++;
			if (i < NR_MAPS)
				*map_fd(s, i) = fd;
			else
				s->prog_fd[i - NR_MAPS] = fd;
		} else if (i < NR_MAPS || !hook_optional(i - NR_MAPS)) {
			*complete = false;
			if (strlen(missing) + strlen(name) + 2 < len) {
				strcat(missing, missing[0] ? " " : "");
				strcat(missing, name);
			}
		}
	}
	return found;
}

/*
 * Map pins removed by hand while the programs live on: the maps still exist
 * (the programs hold them), so pin them again rather than starting from
 * empty maps, which would silently drop policies and exceptions.
 */
static void recover_map_pins(struct bg_state *s)
{
	for (int h = 0; h < BG_NR_HOOKS; h++) {
		__u32 ids[32], n;
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (s->prog_fd[h] < 0)
			continue;
		info.nr_map_ids = 32;
		info.map_ids = (__u64)(unsigned long)ids;
		if (bpf_obj_get_info_by_fd(s->prog_fd[h], &info, &len))
			continue;
		n = info.nr_map_ids < 32 ? info.nr_map_ids : 32;
		for (__u32 k = 0; k < n; k++) {
			struct bpf_map_info mi = {};
			__u32 mlen = sizeof(mi);
			char path[PATH_MAX];
			int fd = bpf_map_get_fd_by_id(ids[k]);

			if (fd < 0)
				continue;
			if (bpf_obj_get_info_by_fd(fd, &mi, &mlen)) {
				close(fd);
				continue;
			}
			for (int i = 0; i < NR_MAPS; i++) {
				if (*map_fd(s, i) >= 0 || strcmp(mi.name, map_names[i]))
					continue;
				pin_path(s, map_names[i], path, sizeof(path));
				if (!bpf_obj_pin(fd, path)) {
					bg_err("re-pinned %s from the running programs", path);
					*map_fd(s, i) = fd;
					fd = -1;
				}
				break;
			}
			if (fd >= 0)
				close(fd);
		}
	}
}

/* Re-point every pinned link at the freshly loaded programs, so links made
 * by an earlier load stop using maps that are no longer pinned. */
static void relink_all(struct bg_state *s)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", s->dir, BG_LINK_DIR);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *dot = strchr(de->d_name, '-');
		int link_fd, hook = -1;

		if (!dot)
			continue;
		for (int h = 0; h < BG_NR_HOOKS; h++)
			if (!strcmp(dot + 1, prog_pins[h]))
				hook = h;
		if (hook < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		link_fd = bpf_obj_get(path);
		if (link_fd < 0)
			continue;
		if (s->prog_fd[hook] < 0)
			bg_err("repair link %s: this kernel no longer loads its program", path);
		else if (bpf_link_update(link_fd, s->prog_fd[hook], NULL))
			bg_err("repair link %s: %s", path, strerror(errno));
		else
			bg_dbg("re-pointed link %s at the new program", path);
		close(link_fd);
	}
	closedir(d);
}

static struct bpf_program *obj_prog(struct bpf_object *obj, int hook)
{
	return bpf_object__find_program_by_name(obj, prog_names[hook]);
}

/*
 * BG_TEST_BREAK_OBJECT=full|compat|full,compat (tests only): load that
 * object's bind4 program as a socket filter, which every verifier refuses,
 * to exercise the fallback and the refusal paths with a real refusal.
 */
static void break_for_tests(struct bpf_object *obj, int variant)
{
	const char *v = getenv("BG_TEST_BREAK_OBJECT");
	char list[32];

	if (!v || snprintf(list, sizeof(list), ",%s,", v) >= (int)sizeof(list))
		return;
	snprintf(list, sizeof(list), ",%s,", v);
	if (!strstr(list, variant == BG_OBJ_FULL ? ",full," : ",compat,"))
		return;
	bpf_program__set_type(obj_prog(obj, BG_HOOK_BIND4), BPF_PROG_TYPE_SOCKET_FILTER);
}

/* Open the variant's object; optional programs are left out when
 * with_optional is false. The verifier's log of a refusal goes to log. */
static struct bpf_object *object_open(int variant, bool with_optional, char *log, size_t log_size)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "bindguard",
		    /* Kept by us, not printed by libbpf: the refusal's reason. */
		    .kernel_log_buf = log, .kernel_log_size = log ? log_size : 0);
	struct bpf_object *obj;
	const unsigned char *bytes;
	size_t n;

	bytes = object_bytes(variant, &n);
	obj = bpf_object__open_mem(bytes, n, &opts);
	if (!obj)
		return NULL;
	break_for_tests(obj, variant);
	for (int h = 0; h < BG_NR_HOOKS; h++)
		if (hook_optional(h) && !with_optional)
			bpf_program__set_autoload(obj_prog(obj, h), false);
	return obj;
}

__u32 bg_map_max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
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
 * check) and load it. On a refusal, *err is set, log holds the verifier's
 * log and failed the program it refused. */
static struct bpf_object *open_and_load(struct bg_state *s, int variant, bool with_optional,
					char *log, size_t log_size, char failed[64], int *err)
{
	struct bpf_object *obj = object_open(variant, with_optional, log, log_size);
	struct bpf_program *prog;
	char path[PATH_MAX];

	failed[0] = '\0';
	if (!obj) {
		*err = -errno;
		return NULL;
	}
	for (int i = 0; i < NR_MAPS && s; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, map_names[i]);

		pin_path(s, map_names[i], path, sizeof(path));
		*err = map ? bpf_map__set_pin_path(map, path) : -ENOENT;
		if (!*err && !strcmp(map_names[i], "bg_stats"))
			*err = bpf_map__set_max_entries(map, stats_slots(s, path));
		if (*err)
			goto fail;
	}
	/* The counters' size this machine would get, not the declared one. */
	if (!s)
		*err = bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "bg_stats"),
						bg_stats_slots(libbpf_num_possible_cpus()));
	*err = *err ? *err : bpf_object__load(obj);
	if (!*err)
		return obj;
	/* Programs load in order: the first without a descriptor was refused. */
	bpf_object__for_each_program (prog, obj) {
		if (bpf_program__autoload(prog) && bpf_program__fd(prog) < 0) {
			snprintf(failed, 64, "%s", bpf_program__name(prog));
			break;
		}
	}
fail:
	bpf_object__close(obj);
	return NULL;
}

/* Trying the objects in turn (bg_object_choose). */
#define VERIFIER_LOG_SIZE (16u << 20)
struct attempt {
	struct bg_state *s; /* pins to load against; NULL: none (check) */
	int lsm_active;	    /* bg_bpf_lsm_active() */
	struct bpf_object *obj;
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
	a->obj = open_and_load(a->s, variant, a->lsm_active != 0, a->log, a->log_size, failed, &r);
	/* BPF LSM is optional: a kernel without it (or, like some, that
	 * refuses every trampoline program) gets the sock_ops confinement. */
	if (!a->obj && a->lsm_active) {
		a->optional_err = r;
		a->log[0] = '\0';
		bg_libbpf_mark();
		a->obj = open_and_load(a->s, variant, false, a->log, a->log_size, failed, &r);
	}
	if (a->obj)
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

/* The objects to try (BINDGUARD_OBJECT, validated by main). */
static int object_order(int order[BG_NR_OBJ])
{
	int n = bg_object_order(getenv(BG_OBJECT_ENV), order);

	if (n < 0) {
		order[0] = BG_OBJ_FULL;
		n = 1;
	}
	return n;
}

/* Load the programs and create (or reuse) the pinned maps, then pin. */
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

/* Remove every file below dir and dir itself; the first error is printed. */
static int remove_tree(const char *dir);

/* Load the programs and create (or reuse) the pinned maps, then pin. */
static int load_and_pin(struct bg_state *s, bool repair)
{
	struct attempt a = { .s = s, .log_size = VERIFIER_LOG_SIZE };
	int order[BG_NR_OBJ], errs[BG_NR_OBJ] = { 0 }, n;
	struct bpf_object *obj;
	char path[PATH_MAX], missing[256];
	struct bg_config cfg;
	bool complete, made_dir;
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
	n = object_order(order);
	variant = bg_object_choose(order, n, try_object, &a, errs);
	if (variant < 0) {
		exit_code = refused(&a, order, n, errs);
		free(a.log);
		/* A first load leaves nothing behind (libbpf unpins the maps it
		 * pinned for an object that did not load). */
		if (made_dir)
			remove_tree(s->dir);
		return exit_code;
	}
	free(a.log);
	obj = a.obj;
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
		struct bpf_program *prog = obj_prog(obj, h);

		pin_path(s, prog_pins[h], path, sizeof(path));
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
		pin_path(s, legacy_map_pins[i], path, sizeof(path));
		unlink(path);
	}
	cfg_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "bg_cfg"));
	if (read_cfg_fd(cfg_fd, &cfg) == 0) {
		__u32 zero = 0;

		if (cfg.abi == 0) {
			cfg.abi = BG_ABI_VERSION;
			cfg.next_ruleset = 1;
		}
		cfg.build = object_build(variant);
		if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY)) {
			bg_err("initialise config map: %s", strerror(errno));
			goto out;
		}
	}
	exit_code = 0;
out:
	bpf_object__close(obj);
	if (exit_code)
		return exit_code;
	close_fds(s);
	open_pins(s, missing, sizeof(missing), &complete);
	if (!complete) {
		bg_err("reopen pinned state: missing %s", missing);
		return BG_EXIT_FAIL;
	}
	/* Every exception in the trie before a link runs the new programs: if
	 * that fails, the links keep the old ones (which still hold their maps). */
	if (repair) {
		r = bg_state_rebuild_rules(s);
		if (r)
			return r;
		relink_all(s);
	}
	/* Earlier builds' extra bind programs go once no link runs them. */
	for (size_t i = 0; i < sizeof(legacy_prog_pins) / sizeof(legacy_prog_pins[0]); i++) {
		pin_path(s, legacy_prog_pins[i], path, sizeof(path));
		if (unlink(path) && errno == EISDIR)
			remove_tree(path);
	}
	return 0;
}

/* BINDGUARD_OBJECT names one object, and this build's state runs the other. */
static bool forced_elsewhere(__u64 build)
{
	int order[BG_NR_OBJ], v = build_variant(build);

	return v >= 0 && object_order(order) == 1 && order[0] != v;
}

int bg_state_object(const struct bg_state *s)
{
	struct bg_config cfg;

	return bg_read_cfg(s, &cfg) ? -1 : build_variant(cfg.build);
}

int bg_state_open(struct bg_state *s, int flags)
{
	char missing[256];
	struct bg_config cfg = {};
	bool complete;
	int r, found;

	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	for (int i = 0; i < NR_MAPS; i++)
		*map_fd(s, i) = -1;
	for (int h = 0; h < BG_NR_HOOKS; h++)
		s->prog_fd[h] = -1;
	snprintf(s->dir, sizeof(s->dir), "%s/%s", BG_BPFFS, BG_PIN_DIR);
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		bg_err("count possible CPUs: %s", strerror(-s->ncpus));
		return BG_EXIT_FAIL;
	}

	r = ensure_bpffs(flags & BG_STATE_CREATE);
	if (r)
		return r;
	if (flags & BG_STATE_LOCK) {
		r = take_lock(s);
		if (r)
			return r;
	}
	found = open_pins(s, missing, sizeof(missing), &complete);
	if (found == 0 && !(flags & BG_STATE_CREATE))
		return -ENOENT;
	if (!complete && (flags & BG_STATE_CREATE) && found) {
		recover_map_pins(s);
		close_fds(s);
		found = open_pins(s, missing, sizeof(missing), &complete);
	}
	if (s->cfg_fd >= 0) {
		if (bg_read_cfg(s, &cfg)) {
			bg_err("read %s/bg_cfg: %s", s->dir, strerror(errno));
			return BG_EXIT_FAIL;
		}
		/* ABI 0: a command was killed while creating the state, before
		 * the config was written. No policy can exist yet (they are
		 * stored only after), so it is no state; creating finishes it. */
		if (cfg.abi == 0) {
			if (!(flags & BG_STATE_CREATE))
				return -ENOENT;
			bg_dbg("finishing state creation that was interrupted");
			return load_and_pin(s, true);
		}
		if (cfg.abi != BG_ABI_VERSION) {
			bg_err("state in %s has ABI %u, this bindguard speaks %u: remove it with "
			       "`bindguard detach --all` and apply the policies again",
			       s->dir, cfg.abi, BG_ABI_VERSION);
			return BG_EXIT_FAIL;
		}
	}
	if (complete && (flags & BG_STATE_CREATE) && forced_elsewhere(cfg.build)) {
		bg_dbg("%s=%s: replacing the pinned programs of the other object", BG_OBJECT_ENV,
		       getenv(BG_OBJECT_ENV));
		return load_and_pin(s, true);
	}
	if (complete && build_variant(cfg.build) >= 0)
		return 0;
	if (complete && !(flags & BG_STATE_CREATE)) {
		bg_dbg("pinned programs come from another bindguard build");
		return 0;
	}
	if (complete) {
		/* Upgrade: new programs, then every link re-pointed in place. */
		bg_dbg("replacing pinned programs from another bindguard build");
		return load_and_pin(s, true);
	}
	if (!(flags & BG_STATE_CREATE)) {
		bg_err("pinned state in %s is incomplete (missing: %s); a policy command repairs "
		       "it, `bindguard detach --all` clears it",
		       s->dir, missing);
		return BG_EXIT_FAIL;
	}
	if (found)
		bg_err("pinned state in %s was incomplete (missing: %s): repairing", s->dir,
		       missing);
	return load_and_pin(s, found > 0);
}

void bg_state_close(struct bg_state *s)
{
	close_fds(s);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
}

int bg_state_stats(const struct bg_state *s, __u32 slot, struct bg_stats *out)
{
	struct bg_stats *v = calloc(s->ncpus, sizeof(*v));

	memset(out, 0, sizeof(*out));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(s->stats_fd, &slot, v)) {
		free(v);
		return -errno;
	}
	for (int c = 0; c < s->ncpus; c++) {
		out->allowed += v[c].allowed;
		out->denied += v[c].denied;
		out->audited += v[c].audited;
		out->rewritten += v[c].rewritten;
		out->lost += v[c].lost;
	}
	free(v);
	return 0;
}

int bg_zero_stats(const struct bg_state *s, __u32 slot)
{
	struct bg_stats *v = calloc(s->ncpus, sizeof(*v));
	int r = 0;

	if (!v)
		return -ENOMEM;
	if (bpf_map_update_elem(s->stats_fd, &slot, v, BPF_ANY))
		r = -errno;
	free(v);
	return r;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

bool bg_state_is_current(const struct bg_state *s)
{
	char path[PATH_MAX];
	bool same;
	int fd;

	pin_path(s, "bg_events", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	same = map_id(fd) == map_id(s->events_fd);
	close(fd);
	return same;
}

bool bg_state_has_link(const struct bg_state *s, __u64 cgid)
{
	char path[PATH_MAX];

	bg_link_path(s, cgid, BG_HOOK_BIND4, path, sizeof(path));
	return !access(path, F_OK);
}

/* <pins>/rings/<slot>: which private ring slots are taken. Reading the
 * ring-of-rings map itself costs an RCU grace period per lookup on Linux 6.1
 * (maps of maps wait for running programs even on lookups). */
void bg_ring_pin_path(const struct bg_state *s, __u32 slot, char *buf, size_t len)
{
	if (slot)
		snprintf(buf, len, "%s/%s/%u", s->dir, BG_RING_DIR, slot);
	else
		snprintf(buf, len, "%s/%s", s->dir, BG_RING_DIR);
}

static int remove_tree(const char *dir)
{
	char path[PATH_MAX * 2];
	struct dirent *de;
	int r = 0;
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (de->d_type == DT_DIR) {
				r |= remove_tree(path);
			} else if (unlink(path)) {
				bg_err("remove %s: %s", path, strerror(errno));
				r = BG_EXIT_FAIL;
			}
		}
		closedir(d);
	}
	if (rmdir(dir) && errno != ENOENT) {
		bg_err("remove %s: %s", dir, strerror(errno));
		r = BG_EXIT_FAIL;
	}
	return r;
}

int bg_state_destroy(void)
{
	struct bg_state s = { .lock_fd = -1 };
	char links[PATH_MAX];
	int r;

	/* No map is read: this works on state of any bindguard version. */
	snprintf(s.dir, sizeof(s.dir), "%s/%s", BG_BPFFS, BG_PIN_DIR);
	if (!is_bpffs(BG_BPFFS))
		return 0;
	r = take_lock(&s);
	if (r)
		return r;
	/* Links first: once they are gone nothing runs the programs. */
	snprintf(links, sizeof(links), "%s/%s", s.dir, BG_LINK_DIR);
	r = remove_tree(links);
	if (!r)
		r = remove_tree(s.dir);
	close(s.lock_fd);
	return r;
}

int bg_state_rules(const struct bg_state *s, const struct bg_policy *p, struct bg_rule_src *out,
		   size_t max)
{
	size_t n = 0;

	for (__u32 i = 0; i < p->nrules && n < max; i++) {
		__u64 k = (__u64)p->ruleset << 32 | i;

		if (bpf_map_lookup_elem(s->rule_src_fd, &k, &out[n]))
			return -errno;
		n++;
	}
	return (int)n;
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
	n = object_order(order);
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
		p->loaded[h] = bpf_program__fd(obj_prog(a.obj, h)) >= 0;
	bpf_object__close(a.obj);
	return 0;
}

int bg_state_ring_create(struct bg_state *s, __u32 *slot, int *ring_fd)
{
	char path[PATH_MAX];
	__u32 id;

	*ring_fd =
		bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bg_run_ring", 0, 0, BG_RUN_RING_SIZE, NULL);
	if (*ring_fd < 0) {
		bg_err("create a private event ring: %s", strerror(errno));
		return BG_EXIT_FAIL;
	}
	bg_ring_pin_path(s, 0, path, sizeof(path));
	if (mkdir(path, 0700) && errno != EEXIST) {
		bg_err("create %s: %s", path, strerror(errno));
		close(*ring_fd);
		*ring_fd = -1;
		return BG_EXIT_FAIL;
	}
	for (*slot = 1; *slot < BG_RUN_RINGS; (*slot)++) {
		bg_ring_pin_path(s, *slot, path, sizeof(path));
		if (!access(path, F_OK))
			continue; /* taken */
		/* Taken by a bindguard that kept no pin (an older build)? */
		if (!bpf_map_lookup_elem(s->rings_fd, slot, &id))
			continue;
		/* Arrays refuse BPF_NOEXIST; the lock makes the checks above enough. */
		if (bpf_map_update_elem(s->rings_fd, slot, ring_fd, BPF_ANY))
			continue;
		if (bpf_obj_pin(*ring_fd, path)) {
			bg_err("pin %s: %s", path, strerror(errno));
			bpf_map_delete_elem(s->rings_fd, slot);
			break;
		}
		bg_reserved_ring = *slot;
		return 0;
	}
	close(*ring_fd);
	*ring_fd = -1;
	bg_err("all %d private event rings are in use (too many `bindguard run` at once)",
	       BG_RUN_RINGS - 1);
	return BG_EXIT_FAIL;
}

void bg_state_ring_free(struct bg_state *s, __u32 slot)
{
	char path[PATH_MAX];

	if (!slot)
		return;
	bpf_map_delete_elem(s->rings_fd, &slot);
	bg_ring_pin_path(s, slot, path, sizeof(path));
	unlink(path);
}

int bg_state_lock(struct bg_state *s)
{
	return s->lock_fd >= 0 ? 0 : take_lock(s);
}

int bg_state_policy(const struct bg_state *s, __u64 cgid, struct bg_policy *out)
{
	return bpf_map_lookup_elem(s->policies_fd, &cgid, out) ? -errno : 0;
}

int bg_state_max_policies(const struct bg_state *s)
{
	__u32 n = s->stats_fd >= 0 ? bg_map_max_entries(s->stats_fd) : 0;

	if (!n || n > BG_MAX_POLICIES)
		n = n ? BG_MAX_POLICIES : bg_stats_slots(s->ncpus);
	return (int)n - 1; /* slot 0 is no policy's */
}

bool bg_state_bpffs_mounted(void)
{
	return is_bpffs(BG_BPFFS);
}
