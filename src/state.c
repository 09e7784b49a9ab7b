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
#include "bindguard.skel.h"
#include "bindguard_compat.skel.h"
#include "log.h"
#include "state.h"

#define NR_MAPS 10

/* The private ring slot this process reserved but may not have named in a
 * policy yet: garbage collection must leave it alone. */
static __u32 reserved_ring;

static const char *const map_names[NR_MAPS] = {
	"bg_cfg",   "bg_policies", "bg_resolve", "bg_rules",	 "bg_rule_src",
	"bg_stats", "bg_events",   "bg_rings",	 "bg_pol_store", "bg_rules_exact",
};
const char *const bg_hook_names[BG_NR_HOOKS] = {
	"bind4",    "bind6",	"sockops",     "setsockopt",
	"sendmsg4", "sendmsg6", "sock_create", "lsm_listen",
};
#define prog_pins bg_hook_names
static const char *const prog_names[BG_NR_HOOKS] = {
	"bg_bind4",    "bg_bind6",    "bg_sockops",	"bg_setsockopt",
	"bg_sendmsg4", "bg_sendmsg6", "bg_sock_create", "bg_lsm_listen",
};
static const enum bpf_attach_type hook_type[BG_NR_HOOKS] = {
	BPF_CGROUP_INET4_BIND,	     BPF_CGROUP_INET6_BIND,   BPF_CGROUP_SOCK_OPS,
	BPF_CGROUP_SETSOCKOPT,	     BPF_CGROUP_UDP4_SENDMSG, BPF_CGROUP_UDP6_SENDMSG,
	BPF_CGROUP_INET_SOCK_CREATE, BPF_LSM_CGROUP,
};

static bool hook_optional(int hook)
{
	return hook == BG_HOOK_LSM_LISTEN;
}

static int *map_fd(struct bg_state *s, int i)
{
	int *fds[NR_MAPS] = { &s->cfg_fd,	&s->policies_fd,   &s->resolve_fd, &s->rules_fd,
			      &s->rule_src_fd,	&s->stats_fd,	   &s->events_fd,  &s->rings_fd,
			      &s->pol_store_fd, &s->rules_exact_fd };
	return fds[i];
}

static void pin_path(const struct bg_state *s, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", s->dir, name);
}

static void link_path(const struct bg_state *s, __u64 cgid, int hook, char *buf, size_t len)
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

/*
 * Which of the two BPF objects this kernel loads (see the Makefile): the full
 * one needs the bpf_cast_to_kern_ctx kfunc and cgroup local storage (Linux
 * 6.2); the compat one does without. Returns 0 and sets *variant, or an exit
 * code after printing why bindguard cannot run here at all.
 */
static int probe_kernel(int *variant)
{
	static int cached = -1;
	struct btf *btf;
	int id;

	if (cached >= 0) {
		*variant = cached;
		return 0;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		bg_err("kernel has no BTF (/sys/kernel/btf/vmlinux): bindguard needs a kernel "
		       "built with CONFIG_DEBUG_INFO_BTF=y");
		return BG_EXIT_NOFEATURE;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		bg_err("load kernel BTF: %s", strerror(errno));
		return BG_EXIT_NOFEATURE;
	}
	id = btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC);
	btf__free(btf);
	cached = *variant = id < 0 ? BG_OBJ_COMPAT : BG_OBJ_FULL;
	return 0;
}

static const unsigned char *object_bytes(int variant, size_t *n)
{
	return variant == BG_OBJ_COMPAT ? bindguard_compat_bpf__elf_bytes(n)
					: bindguard_bpf__elf_bytes(n);
}

/* Maps only the full object has. */
static bool map_full_only(int i)
{
	return !strcmp(map_names[i], "bg_pol_store");
}

/* Identity of the BPF object built into this binary (FNV-1a of its bytes):
 * pinned programs from another build are replaced on the next change. */
static __u64 object_build(int variant)
{
	static __u64 cache[2];
	size_t n;
	const unsigned char *p;
	__u64 h = 1469598103934665603ull;

	if (cache[variant])
		return cache[variant];
	p = object_bytes(variant, &n);
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return cache[variant] = h;
}

/* Which of this binary's objects pinned state was loaded from (chosen by
 * probe_kernel when it was created), or -1 for another build's. Reading it
 * from the state spares every command the kernel probe. */
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

static int read_cfg(const struct bg_state *s, struct bg_config *cfg)
{
	return read_cfg_fd(s->cfg_fd, cfg);
}

static int write_cfg(const struct bg_state *s, const struct bg_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_update_elem(s->cfg_fd, &zero, cfg, BPF_ANY) ? -errno : 0;
}

/* Invalidate every cached socket-cgroup -> policy resolution. */
static int bump_gen(const struct bg_state *s)
{
	struct bg_config cfg;
	int r = read_cfg(s, &cfg);

	if (r)
		return r;
	cfg.gen++;
	return write_cfg(s, &cfg);
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
		} else if (i < NR_MAPS ? !map_full_only(i) : !hook_optional(i - NR_MAPS)) {
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

/* Open the variant's object; optional programs are left out when
 * with_optional is false. */
static struct bpf_object *object_open(int variant, bool with_optional)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "bindguard");
	struct bpf_object *obj;
	const unsigned char *bytes;
	size_t n;

	bytes = object_bytes(variant, &n);
	obj = bpf_object__open_mem(bytes, n, &opts);
	if (!obj)
		return NULL;
	for (int h = 0; h < BG_NR_HOOKS; h++)
		if (hook_optional(h) && !with_optional)
			bpf_program__set_autoload(obj_prog(obj, h), false);
	return obj;
}

/* Open the object with its maps pointed at the pins and load it. */
static struct bpf_object *open_and_load(struct bg_state *s, int variant, bool with_optional,
					int *err)
{
	struct bpf_object *obj = object_open(variant, with_optional);
	char path[PATH_MAX];

	if (!obj) {
		*err = -errno;
		return NULL;
	}
	for (int i = 0; i < NR_MAPS; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, map_names[i]);

		if (!map && variant == BG_OBJ_COMPAT && map_full_only(i))
			continue;
		pin_path(s, map_names[i], path, sizeof(path));
		*err = map ? bpf_map__set_pin_path(map, path) : -ENOENT;
		if (*err)
			goto fail;
	}
	*err = bpf_object__load(obj);
	if (*err)
		goto fail;
	return obj;
fail:
	bpf_object__close(obj);
	return NULL;
}

/* Load the programs and create (or reuse) the pinned maps, then pin. */
static int load_and_pin(struct bg_state *s, bool repair)
{
	struct bpf_object *obj;
	char path[PATH_MAX], missing[256];
	struct bg_config cfg;
	bool complete;
	int r, variant, cfg_fd, lsm_active, exit_code = BG_EXIT_FAIL;

	r = probe_kernel(&variant);
	if (r)
		return r;
	if (mkdir(s->dir, 0700) && errno != EEXIST) {
		bg_err("create %s: %s", s->dir, strerror(errno));
		return BG_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/%s", s->dir, BG_LINK_DIR);
	if (mkdir(path, 0700) && errno != EEXIST) {
		bg_err("create %s: %s", path, strerror(errno));
		return BG_EXIT_FAIL;
	}

	/* BPF LSM is optional: a kernel without it (or, like some, that
	 * refuses every trampoline program) gets the sock_ops confinement.
	 * Where it is known to be inactive, its program would never run. */
	lsm_active = bg_bpf_lsm_active(NULL, 0);
	if (!lsm_active)
		bg_dbg("BPF LSM is not active: listen() without bind() is confined by sock_ops");
	obj = open_and_load(s, variant, lsm_active != 0, &r);
	if (!obj && lsm_active) {
		bg_err("note: BPF LSM program did not load (%s): listen() without bind() will be "
		       "confined to lo instead of refused (see `bindguard check`)",
		       strerror(-r));
		obj = open_and_load(s, variant, false, &r);
	}
	if (!obj) {
		bg_err("load BPF programs: %s%s", strerror(-r),
		       r == -EPERM    ? " (needs root: CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)"
		       : r == -EINVAL ? " (pinned maps from another bindguard build? "
					"run `bindguard detach --all`)"
				      : "");
		return BG_EXIT_FAIL;
	}
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
	cfg_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "bg_cfg"));
	if (read_cfg_fd(cfg_fd, &cfg) == 0) {
		__u32 zero = 0;

		if (cfg.abi == 0) {
			cfg.abi = BG_ABI_VERSION;
			cfg.next_ruleset = 1;
			cfg.gen = 1;
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
	if (repair)
		relink_all(s);
	return 0;
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
		if (read_cfg(s, &cfg)) {
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
	/* Maps of the full object only: open_pins cannot know they are due. */
	if (complete && build_variant(cfg.build) == BG_OBJ_FULL && s->pol_store_fd < 0) {
		complete = false;
		snprintf(missing, sizeof(missing), "bg_pol_store");
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

static int zero_stats(const struct bg_state *s, __u32 slot)
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

	link_path(s, cgid, BG_HOOK_BIND4, path, sizeof(path));
	return !access(path, F_OK);
}

/* All policies, as parallel arrays of ids and values. Returns the count. */
static int list_policies(const struct bg_state *s, __u64 *ids, struct bg_policy *pols, int max)
{
	__u64 key, next;
	__u64 *prev = NULL;
	int n = 0;

	while (n < max && !bpf_map_get_next_key(s->policies_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(s->policies_fd, &key, &pols[n]))
			continue; /* deleted under us; cannot happen under the lock */
		ids[n++] = key;
	}
	return n;
}

/* Delete the exact-match entries whose ruleset keep() refuses. Restart
 * after each deletion: the iteration order does not survive it. */
static void prune_exact(const struct bg_state *s, bool (*keep)(__u32 ruleset, const void *arg),
			const void *arg)
{
	struct bg_exact_key key, next;
	bool deleted = true;

	while (deleted) {
		void *prev = NULL;

		deleted = false;
		while (!bpf_map_get_next_key(s->rules_exact_fd, prev, &next)) {
			key = next;
			prev = &key;
			if (!keep(key.ruleset, arg)) {
				bpf_map_delete_elem(s->rules_exact_fd, &key);
				deleted = true;
				break;
			}
		}
	}
}

static bool not_this_ruleset(__u32 ruleset, const void *arg)
{
	return ruleset != *(const __u32 *)arg;
}

struct used_rulesets {
	const struct bg_policy *pols;
	int n;
};

static bool ruleset_in_use(__u32 ruleset, const void *arg)
{
	const struct used_rulesets *u = arg;

	for (int i = 0; i < u->n; i++)
		if (u->pols[i].ruleset == ruleset)
			return true;
	return false;
}

static void delete_ruleset(const struct bg_state *s, __u32 ruleset, __u32 nrules)
{
	struct bg_rule_key key, next;
	void *prev = NULL;
	int r;

	if (!ruleset)
		return;
	prune_exact(s, not_this_ruleset, &ruleset);
	for (__u32 i = 0; i < nrules; i++) {
		__u64 k = (__u64)ruleset << 32 | i;

		bpf_map_delete_elem(s->rule_src_fd, &k);
	}
	/* LPM tries iterate in an order that survives deletion of the current
	 * key only when we restart; entries are few, so restart after each. */
	for (;;) {
		bool deleted = false;

		prev = NULL;
		while (!(r = bpf_map_get_next_key(s->rules_fd, prev, &next))) {
			key = next;
			prev = &key;
			if (key.ruleset == ruleset) {
				bpf_map_delete_elem(s->rules_fd, &key);
				deleted = true;
				break;
			}
		}
		if (!deleted)
			break;
	}
}

/* Remove rule entries whose ruleset no policy references (left by a
 * command killed between writing rules and switching the policy). */
static void gc_rulesets(const struct bg_state *s, const struct bg_policy *pols, int n)
{
	struct used_rulesets used = { pols, n };

	struct bg_rule_key key, next;
	__u64 skey, snext;
	void *prev = NULL;
	bool again = true;

	prune_exact(s, ruleset_in_use, &used);
	while (again) {
		again = false;
		prev = NULL;
		while (!bpf_map_get_next_key(s->rules_fd, prev, &next)) {
			bool used = false;

			key = next;
			prev = &key;
			for (int i = 0; i < n; i++)
				used |= pols[i].ruleset == key.ruleset;
			if (!used) {
				bpf_map_delete_elem(s->rules_fd, &key);
				again = true;
				break;
			}
		}
	}
	prev = NULL;
	while (!bpf_map_get_next_key(s->rule_src_fd, prev, &snext)) {
		bool used = false;

		skey = snext;
		prev = &skey;
		for (int i = 0; i < n; i++)
			used |= pols[i].ruleset == (__u32)(skey >> 32) &&
				(__u32)skey < pols[i].nrules;
		if (!used)
			bpf_map_delete_elem(s->rule_src_fd, &skey);
	}
}

/* Drop cached resolutions that name cgid, as socket cgroup or as policy.
 * The generation bump already makes them stale; this leaves no trace. */
static void purge_resolve_cache(const struct bg_state *s, __u64 cgid)
{
	__u64 key, next, *prev = NULL;
	struct bg_resolved r;

	while (!bpf_map_get_next_key(s->resolve_fd, prev, &next)) {
		key = next;
		if (!bpf_map_lookup_elem(s->resolve_fd, &key, &r) &&
		    (key == cgid || r.policy_cgid == cgid)) {
			/* Deleting the current key restarts the walk safely. */
			bpf_map_delete_elem(s->resolve_fd, &key);
			prev = NULL;
			continue;
		}
		prev = &key;
	}
}

static int attach_one(struct bg_state *s, __u64 cgid, int hook)
{
	char path[PATH_MAX], cgpath[PATH_MAX];
	int cg_fd, link_fd, r;

	cg_fd = bg_cgroup_open_id(cgid);
	if (cg_fd < 0) {
		bg_err("open cgroup id %" PRIu64 ": %s", (uint64_t)cgid, strerror(-cg_fd));
		return BG_EXIT_FAIL;
	}
	link_fd = bpf_link_create(s->prog_fd[hook], cg_fd, hook_type[hook], NULL);
	close(cg_fd);
	if (link_fd < 0) {
		r = errno;
		if (bg_cgroup_path_of_id(cgid, cgpath, sizeof(cgpath)))
			snprintf(cgpath, sizeof(cgpath), "id %" PRIu64, (uint64_t)cgid);
		bg_err("attach %s program to cgroup %s: %s%s", prog_pins[hook], cgpath, strerror(r),
		       r == EPERM ? " (a non-multi BPF program is attached for this hook on the "
				    "cgroup or an ancestor; see `bpftool cgroup tree`)"
				  : "");
		return BG_EXIT_FAIL;
	}
	link_path(s, cgid, hook, path, sizeof(path));
	unlink(path);
	if (bpf_obj_pin(link_fd, path)) {
		r = errno;
		close(link_fd); /* the unpinned link detaches on close */
		bg_err("pin link %s: %s", path, strerror(r));
		return BG_EXIT_FAIL;
	}
	close(link_fd);
	bg_dbg("attached %s to cgroup id %" PRIu64, prog_pins[hook], (uint64_t)cgid);
	return 0;
}

static void unpin_links(const struct bg_state *s, __u64 cgid)
{
	char path[PATH_MAX];

	for (int h = 0; h < BG_NR_HOOKS; h++) {
		link_path(s, cgid, h, path, sizeof(path));
		if (!unlink(path))
			bg_dbg("detached %s from cgroup id %" PRIu64, prog_pins[h], (uint64_t)cgid);
	}
}

static char (*sort_paths)[PATH_MAX];

static int cmp_index(const void *a, const void *b)
{
	return strcmp(sort_paths[*(const int *)a], sort_paths[*(const int *)b]);
}

/* Is path one of the sorted paths? */
static bool listed(const char *path, const int *order, int n, char (*paths)[PATH_MAX])
{
	int lo = 0, hi = n - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2, c = strcmp(path, paths[order[mid]]);

		if (!c)
			return true;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return false;
}

/* want[i]: paths[i] is known and none of its ancestors is among the paths.
 * Sorted once, then one binary search per ancestor: O(n log n * depth),
 * where comparing every pair grew with the square of the policed cgroups. */
static void top_most(char (*paths)[PATH_MAX], int n, bool *want)
{
	static int order[BG_MAX_POLICIES];
	char up[PATH_MAX];

	for (int i = 0; i < n; i++)
		order[i] = i;
	sort_paths = paths;
	qsort(order, n, sizeof(order[0]), cmp_index);
	for (int i = 0; i < n; i++) {
		char *slash;

		size_t len = strnlen(paths[i], PATH_MAX - 1);

		want[i] = paths[i][0] == '/';
		memcpy(up, paths[i], len);
		up[len] = '\0';
		while (want[i] && (slash = strrchr(up, '/'))) {
			/* "/a/b" -> "/a" -> "/" */
			if (slash == up) {
				if (!up[1])
					break;
				up[1] = '\0';
			} else {
				*slash = '\0';
			}
			if (listed(up, order, n, paths))
				want[i] = false;
		}
	}
}

/*
 * Links live on the top-most policed cgroups only: a link on a cgroup runs
 * for all its descendants, and the program resolves the nearest policy
 * itself, so a second link below would decide (and report) the same bind
 * twice. New links are made first, surplus ones removed after, so no
 * socket is ever without a program during the change. include is a cgroup
 * about to get its policy: its links go in first, inert until the policy
 * map names it. That map update is the one switch point of apply and
 * detach, so a command killed anywhere leaves the old or the new policy
 * fully in force; the next command removes inert links.
 */
static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int sync_links(struct bg_state *s, __u64 include)
{
	static __u64 ids[BG_MAX_POLICIES], keep_ids[BG_MAX_POLICIES];
	static struct bg_policy pols[BG_MAX_POLICIES];
	static char paths[BG_MAX_POLICIES][PATH_MAX];
	bool want[BG_MAX_POLICIES], made[BG_MAX_POLICIES][BG_NR_HOOKS];
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n, nkeep, r = 0;

	n = list_policies(s, ids, pols, BG_MAX_POLICIES - 1);
	if (include) {
		bool listed = false;

		for (int i = 0; i < n; i++)
			listed |= ids[i] == include;
		if (!listed)
			ids[n++] = include;
	}
	for (int i = 0; i < n; i++)
		if (bg_cgroup_path_of_id(ids[i], paths[i], PATH_MAX))
			paths[i][0] = '\0';
	top_most(paths, n, want);
	memset(made, 0, sizeof(made));
	for (int i = 0; i < n && !r; i++) {
		char path[PATH_MAX];

		if (!want[i])
			continue;
		for (int h = 0; h < BG_NR_HOOKS && !r; h++) {
			if (s->prog_fd[h] < 0)
				continue;
			link_path(s, ids[i], h, path, sizeof(path));
			if (!access(path, F_OK))
				continue;
			r = attach_one(s, ids[i], h);
			made[i][h] = !r;
		}
	}
	if (r) {
		for (int i = 0; i < n; i++)
			for (int h = 0; h < BG_NR_HOOKS; h++)
				if (made[i][h]) {
					char path[PATH_MAX];

					link_path(s, ids[i], h, path, sizeof(path));
					unlink(path);
				}
		return r;
	}

	snprintf(dir, sizeof(dir), "%s/%s", s->dir, BG_LINK_DIR);
	d = opendir(dir);
	if (!d)
		return 0;
	/* The ids that keep links, sorted: one search per pin, not a scan. */
	nkeep = 0;
	for (int i = 0; i < n; i++)
		if (want[i])
			keep_ids[nkeep++] = ids[i];
	qsort(keep_ids, nkeep, sizeof(keep_ids[0]), cmp_u64);
	while ((de = readdir(d))) {
		char *end;
		__u64 id;

		if (de->d_name[0] == '.')
			continue;
		id = strtoull(de->d_name, &end, 10);
		if (!bsearch(&id, keep_ids, nkeep, sizeof(keep_ids[0]), cmp_u64)) {
			char path[PATH_MAX * 2];

			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
			bg_dbg("removed link pin %s", path);
		}
	}
	closedir(d);
	return 0;
}

/*
 * A policy lives in two maps: the cgroup's local storage (read by binds in
 * the cgroup itself) and the hash (read for its descendants, and the index).
 * Each update is atomic for its readers; a reader reads one of them.
 */
static int policy_store(struct bg_state *s, __u64 cgid, const struct bg_policy *pol)
{
	int fd = bg_cgroup_open_id(cgid), r = 0;

	if (fd < 0)
		return fd;
	if ((s->pol_store_fd >= 0 && bpf_map_update_elem(s->pol_store_fd, &fd, pol, BPF_ANY)) ||
	    bpf_map_update_elem(s->policies_fd, &cgid, pol, BPF_ANY))
		r = -errno;
	close(fd);
	return r;
}

static int policy_remove(struct bg_state *s, __u64 cgid)
{
	int fd = bg_cgroup_open_id(cgid);

	/* A removed cgroup took its storage with it. */
	if (fd >= 0 && s->pol_store_fd >= 0) {
		if (bpf_map_delete_elem(s->pol_store_fd, &fd) && errno != ENOENT) {
			int r = -errno;

			close(fd);
			return r;
		}
		close(fd);
	}
	return bpf_map_delete_elem(s->policies_fd, &cgid) ? -errno : 0;
}

/*
 * A `bindguard run` that was killed leaves its cgroup policed (fail closed).
 * While processes remain, their events move to the shared ring so that
 * `bindguard events` sees them; once the cgroup is empty it is removed with
 * its policy. Returns true when the policy and cgroup are gone.
 */
static bool gc_orphaned_run(struct bg_state *s, __u64 cgid, struct bg_policy *pol)
{
	char path[PATH_MAX], mnt[PATH_MAX], dir[PATH_MAX * 2];

	if (bg_cgroup_path_of_id(cgid, path, sizeof(path)) || !bg_run_cgroup_orphaned(path))
		return false;
	if (bg_cgroup_populated(path) != 0) {
		if (pol->ring) {
			pol->ring = 0;
			policy_store(s, cgid, pol);
			bg_dbg("orphaned run %s: events go to the shared ring", path);
		}
		return false;
	}
	unpin_links(s, cgid);
	policy_remove(s, cgid);
	purge_resolve_cache(s, cgid);
	delete_ruleset(s, pol->ruleset, pol->nrules);
	bump_gen(s);
	if (!bg_cgroup_mount(mnt, sizeof(mnt))) {
		snprintf(dir, sizeof(dir), "%s%s", mnt, path);
		if (rmdir(dir))
			bg_err("remove orphaned run cgroup %s: %s", dir, strerror(errno));
	}
	bg_dbg("removed orphaned run cgroup %s", path);
	return true;
}

/* Run cgroups without a policy whose run died before applying it (or while
 * removing it): nothing polices them, so remove them once empty. */
static void gc_orphaned_run_dirs(void)
{
	char mnt[PATH_MAX], dir[PATH_MAX + 32], path[PATH_MAX * 2], rel[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (bg_cgroup_mount(mnt, sizeof(mnt)))
		return;
	snprintf(dir, sizeof(dir), "%s%s", mnt, BG_RUN_PARENT);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "run-", 4))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", BG_RUN_PARENT, de->d_name);
		if (!bg_run_cgroup_orphaned(rel) || bg_cgroup_populated(rel) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		/* A policed one is handled with its policy (gc_orphaned_run). */
		if (!rmdir(path))
			bg_dbg("removed orphaned run cgroup %s", rel);
	}
	closedir(d);
	rmdir(dir); /* only succeeds when empty */
}

/* <pins>/rings/<slot>: which private ring slots are taken. Reading the
 * ring-of-rings map itself costs an RCU grace period per lookup on Linux 6.1
 * (maps of maps wait for running programs even on lookups). */
static void ring_pin_path(const struct bg_state *s, __u32 slot, char *buf, size_t len)
{
	if (slot)
		snprintf(buf, len, "%s/%s/%u", s->dir, BG_RING_DIR, slot);
	else
		snprintf(buf, len, "%s/%s", s->dir, BG_RING_DIR);
}

/* Free the ring slots no live policy names (rings of killed runs). */
static void gc_rings(struct bg_state *s, const struct bg_policy *pols, int live)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	ring_pin_path(s, 0, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		unsigned long slot = strtoul(de->d_name, &end, 10);
		bool used;

		if (*end || !slot || slot >= BG_RUN_RINGS)
			continue;
		used = slot == reserved_ring;
		for (int i = 0; i < live; i++)
			used |= pols[i].ring == slot;
		if (used)
			continue;
		bpf_map_delete_elem(s->rings_fd, &(__u32){ (__u32)slot });
		ring_pin_path(s, (__u32)slot, path, sizeof(path));
		unlink(path);
		bg_dbg("freed private ring slot %lu", slot);
	}
	closedir(d);
}

int bg_state_gc(struct bg_state *s)
{
	static __u64 ids[BG_MAX_POLICIES];
	static struct bg_policy pols[BG_MAX_POLICIES];
	int n, live = 0;
	bool changed = false;

	n = list_policies(s, ids, pols, BG_MAX_POLICIES);
	for (int i = 0; i < n; i++) {
		int fd = bg_cgroup_open_id(ids[i]);

		if (fd >= 0) {
			close(fd);
			if (gc_orphaned_run(s, ids[i], &pols[i]))
				continue; /* removed with its cgroup */
			ids[live] = ids[i];
			pols[live++] = pols[i];
			continue;
		}
		if (fd != -ENOENT)
			continue;
		bg_dbg("cgroup id %" PRIu64 " is gone: dropping its policy", (uint64_t)ids[i]);
		unpin_links(s, ids[i]);
		policy_remove(s, ids[i]);
		purge_resolve_cache(s, ids[i]);
		changed = true;
	}
	gc_rulesets(s, pols, live);
	gc_orphaned_run_dirs();
	gc_rings(s, pols, live);
	if (changed && bump_gen(s))
		return BG_EXIT_FAIL;
	return sync_links(s, 0);
}

static int alloc_slot(const struct bg_state *s, __u32 *slot)
{
	static __u64 ids[BG_MAX_POLICIES];
	static struct bg_policy pols[BG_MAX_POLICIES];
	static bool used[BG_MAX_POLICIES];
	int n = list_policies(s, ids, pols, BG_MAX_POLICIES);

	memset(used, 0, sizeof(used));
	used[BG_SLOT_GLOBAL] = true;
	for (int i = 0; i < n; i++)
		if (pols[i].slot < BG_MAX_POLICIES)
			used[pols[i].slot] = true;
	for (__u32 i = 0; i < BG_MAX_POLICIES; i++)
		if (!used[i]) {
			*slot = i;
			return zero_stats(s, i);
		}
	return -ENOSPC;
}

/* Write the exceptions of spec under a fresh ruleset id. */
static int write_rules(struct bg_state *s, const struct bg_policy_spec *spec, __u32 *ruleset)
{
	struct bg_lpm_entry *ents;
	struct bg_config cfg;
	char err[BG_ERRLEN];
	int n, r;

	*ruleset = 0;
	if (!spec->nrules)
		return 0;
	r = read_cfg(s, &cfg);
	if (r) {
		bg_err("read config map: %s", strerror(-r));
		return BG_EXIT_FAIL;
	}
	*ruleset = cfg.next_ruleset ? cfg.next_ruleset : 1;
	cfg.next_ruleset = *ruleset + 1;
	r = write_cfg(s, &cfg);
	if (r) {
		bg_err("update config map: %s", strerror(-r));
		return BG_EXIT_FAIL;
	}
	ents = calloc(spec->nrules, sizeof(*ents));
	if (!ents) {
		bg_err("out of memory");
		return BG_EXIT_FAIL;
	}
	n = bg_rules_compile(spec->rules, spec->nrules, *ruleset, ents, err, sizeof(err));
	if (n < 0) {
		free(ents);
		bg_err("--allow: %s", err);
		return BG_EXIT_USAGE;
	}
	for (int i = 0; i < n; i++) {
		struct bg_exact_key exact = { .ruleset = *ruleset };

		if (bpf_map_update_elem(s->rules_fd, &ents[i].key, &ents[i].val, BPF_ANY)) {
			r = errno;
			goto fail;
		}
		if (ents[i].key.prefixlen != 32 + 128)
			continue;
		memcpy(exact.addr, ents[i].key.addr, 16);
		if (bpf_map_update_elem(s->rules_exact_fd, &exact, &ents[i].val, BPF_ANY)) {
			r = errno;
			goto fail;
		}
	}
	for (size_t i = 0; i < spec->nrules; i++) {
		__u64 k = (__u64)*ruleset << 32 | i;

		if (bpf_map_update_elem(s->rule_src_fd, &k, &spec->rules[i], BPF_ANY)) {
			r = errno;
			goto fail;
		}
	}
	free(ents);
	return 0;
fail:
	free(ents);
	delete_ruleset(s, *ruleset, spec->nrules);
	bg_err("store exceptions: %s%s", strerror(r),
	       r == E2BIG || r == ENOMEM ? " (exception maps are full)" : "");
	return BG_EXIT_FAIL;
}

int bg_state_apply(struct bg_state *s, const struct bg_cgroup *cg,
		   const struct bg_policy_spec *spec)
{
	struct bg_policy old, pol = {
		.preset = spec->preset,
		.mode = spec->mode,
		.proto_mask = spec->proto_mask,
		.flags = spec->flags,
		.nrules = spec->nrules,
		.ring = spec->ring,
	};
	bool replace;
	int r;

	r = bg_state_gc(s);
	if (r)
		return r;
	replace = !bpf_map_lookup_elem(s->policies_fd, &cg->id, &old);
	if (replace) {
		pol.slot = old.slot;
	} else if (alloc_slot(s, &pol.slot)) {
		bg_err("policy %s: %d cgroups are policed already", cg->path, BG_MAX_POLICIES - 1);
		return BG_EXIT_FAIL;
	}
	r = write_rules(s, spec, &pol.ruleset);
	if (r)
		return r;
	/* A new policy's links first: inert until the map names the cgroup. */
	if (!replace) {
		r = sync_links(s, cg->id);
		if (r) {
			delete_ruleset(s, pol.ruleset, pol.nrules);
			sync_links(s, 0);
			return r;
		}
	}
	/* The switch: one update per map replaces preset, mode and ruleset at once. */
	r = -policy_store(s, cg->id, &pol);
	if (r) {
		delete_ruleset(s, pol.ruleset, pol.nrules);
		sync_links(s, 0);
		bg_err("store policy for %s: %s", cg->path, strerror(r));
		return BG_EXIT_FAIL;
	}
	if (replace) {
		delete_ruleset(s, old.ruleset, old.nrules);
		return 0;
	}
	if (bump_gen(s)) {
		bg_err("store policy for %s: update config map: %s", cg->path, strerror(errno));
		return BG_EXIT_FAIL;
	}
	return 0;
}

int bg_state_detach(struct bg_state *s, __u64 cgid, const char *shown)
{
	struct bg_policy pol;
	int r;

	r = bg_state_gc(s);
	if (r)
		return r;
	if (bpf_map_lookup_elem(s->policies_fd, &cgid, &pol)) {
		bg_err("detach %s: no bindguard policy on this cgroup", shown);
		return BG_EXIT_FAIL;
	}
	/* The switch: from here the cgroup is unpoliced; its links are inert. */
	r = policy_remove(s, cgid);
	if (r) {
		bg_err("detach %s: delete policy: %s", shown, strerror(-r));
		return BG_EXIT_FAIL;
	}
	if (bump_gen(s)) {
		bg_err("detach %s: update config map: %s", shown, strerror(errno));
		return BG_EXIT_FAIL;
	}
	/* Children with their own policy get their own links before ours go. */
	r = sync_links(s, 0);
	if (r)
		return r;
	unpin_links(s, cgid);
	delete_ruleset(s, pol.ruleset, pol.nrules);
	purge_resolve_cache(s, cgid);
	return 0;
}

/* Remove every file below dir and dir itself; the first error is printed. */
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
	struct bpf_object *obj;
	int r;

	memset(p, 0, sizeof(*p));
	p->lsm_active = bg_bpf_lsm_active(p->lsm_list, sizeof(p->lsm_list));
	p->kernel = probe_kernel(&p->variant);
	if (p->kernel)
		return p->kernel;
	for (int pass = 0; pass < 2; pass++) {
		bool with_optional = pass == 0;

		obj = object_open(p->variant, with_optional);
		if (!obj)
			return BG_EXIT_FAIL;
		r = bpf_object__load(obj);
		if (!r)
			for (int h = 0; h < BG_NR_HOOKS; h++)
				p->loaded[h] = bpf_program__fd(obj_prog(obj, h)) >= 0;
		bpf_object__close(obj);
		if (!r)
			return 0;
		if (with_optional)
			p->optional_err = r;
	}
	p->load_err = r;
	return r == -EPERM ? BG_EXIT_FAIL : BG_EXIT_NOFEATURE;
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
	ring_pin_path(s, 0, path, sizeof(path));
	if (mkdir(path, 0700) && errno != EEXIST) {
		bg_err("create %s: %s", path, strerror(errno));
		close(*ring_fd);
		*ring_fd = -1;
		return BG_EXIT_FAIL;
	}
	for (*slot = 1; *slot < BG_RUN_RINGS; (*slot)++) {
		ring_pin_path(s, *slot, path, sizeof(path));
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
		reserved_ring = *slot;
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
	ring_pin_path(s, slot, path, sizeof(path));
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

bool bg_state_bpffs_mounted(void)
{
	return is_bpffs(BG_BPFFS);
}
