// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "links.h"
#include "load.h"
#include "log.h"
#include "pins.h"
#include "rules.h"
#include "state.h"

#define MAP_NAME(id, name) [id] = #name,
const char *const bg_map_names[BG_NR_MAPS] = { BG_PINNED_MAPS(MAP_NAME) };
#undef MAP_NAME

/* Pins of programs that earlier builds had (bind programs for plain
 * deny-wildcard subtrees, and frozen pairs under frozen/): removed when this
 * build loads its programs, after every link was re-pointed at its own. */
static const char *const legacy_prog_pins[] = { "bind4_dw", "bind6_dw", "frozen" };

int bg_read_cfg(const struct bg_state *s, struct bg_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(s->map_fd[BG_MAP_CFG], &zero, cfg) ? -errno : 0;
}

int bg_write_cfg(const struct bg_state *s, const struct bg_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_update_elem(s->map_fd[BG_MAP_CFG], &zero, cfg, BPF_ANY) ? -errno : 0;
}

static void close_fds(struct bg_state *s)
{
	for (int i = 0; i < BG_NR_MAPS; i++) {
		if (s->map_fd[i] >= 0)
			close(s->map_fd[i]);
		s->map_fd[i] = -1;
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
	for (int i = 0; i < BG_NR_MAPS + BG_NR_HOOKS; i++) {
		const char *name = i < BG_NR_MAPS ? bg_map_names[i] : bg_hook_names[i - BG_NR_MAPS];
		int fd;

		bg_pin_path(s, name, path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			found++;
			if (i < BG_NR_MAPS)
				s->map_fd[i] = fd;
			else
				s->prog_fd[i - BG_NR_MAPS] = fd;
		} else if (i < BG_NR_MAPS || !bg_hook_optional(i - BG_NR_MAPS)) {
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
			for (int i = 0; i < BG_NR_MAPS; i++) {
				if (s->map_fd[i] >= 0 || strcmp(mi.name, bg_map_names[i]))
					continue;
				bg_pin_path(s, bg_map_names[i], path, sizeof(path));
				if (!bpf_obj_pin(fd, path)) {
					bg_err("re-pinned %s from the running programs", path);
					s->map_fd[i] = fd;
					fd = -1;
				}
				break;
			}
			if (fd >= 0)
				close(fd);
		}
	}
}

/* Load this build's programs (over the pins there are), then open the
 * pins again; repair: re-point the links at the new programs. */
static int load_and_pin(struct bg_state *s, bool repair)
{
	char path[PATH_MAX], missing[256];
	bool complete;
	int r;

	r = bg_load_and_pin(s);
	if (r)
		return r;
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
		bg_relink_all(s);
	}
	/* Earlier builds' extra bind programs go once no link runs them. */
	for (size_t i = 0; i < sizeof(legacy_prog_pins) / sizeof(legacy_prog_pins[0]); i++) {
		bg_pin_path(s, legacy_prog_pins[i], path, sizeof(path));
		if (unlink(path) && errno == EISDIR)
			bg_remove_tree(path);
	}
	return 0;
}

/* BINDGUARD_OBJECT names one object, and this build's state runs the other. */
static bool forced_elsewhere(__u64 build)
{
	int order[BG_NR_OBJ], v = bg_build_variant(build);

	return v >= 0 && bg_load_order(order) == 1 && order[0] != v;
}

int bg_state_object(const struct bg_state *s)
{
	struct bg_config cfg;

	return bg_read_cfg(s, &cfg) ? -1 : bg_build_variant(cfg.build);
}

/* Every map there, but those a later build added (an older build's state
 * lacks them: bg_readers). */
static bool maps_whole(const struct bg_state *s)
{
	for (int i = 0; i < BG_NR_MAPS; i++)
		if (s->map_fd[i] < 0 && i != BG_MAP_READERS)
			return false;
	return true;
}

int bg_state_open(struct bg_state *s, int flags)
{
	char missing[256];
	struct bg_config cfg = {};
	bool complete;
	int r, found;

	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	for (int i = 0; i < BG_NR_MAPS; i++)
		s->map_fd[i] = -1;
	for (int h = 0; h < BG_NR_HOOKS; h++)
		s->prog_fd[h] = -1;
	snprintf(s->dir, sizeof(s->dir), "%s/%s", BG_BPFFS, BG_PIN_DIR);
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		bg_err("count possible CPUs: %s", strerror(-s->ncpus));
		return BG_EXIT_FAIL;
	}

	r = bg_ensure_bpffs(flags & BG_STATE_CREATE);
	if (r)
		return r;
	if (flags & BG_STATE_LOCK) {
		r = bg_state_lock(s);
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
	if (s->map_fd[BG_MAP_CFG] >= 0) {
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
	/* A hook's program or a map missing (never the config), in a state
	 * another build wrote: an older build, before that hook or map existed.
	 * An upgrade, not damage: read as it is (what needs the new map skips
	 * it); a policy command loads the new programs, creates the map and
	 * links the new hook to every policy (bg_sync_links). */
	if (!complete && maps_whole(s) && bg_build_variant(cfg.build) < 0) {
		if (!(flags & BG_STATE_CREATE)) {
			bg_err("note: the pinned programs come from an older bindguard build (no "
			       "%s): "
			       "the next policy command brings in this build's",
			       missing);
			return 0;
		}
		bg_dbg("upgrading pinned programs from an older build (no %s)", missing);
		return load_and_pin(s, true);
	}
	if (complete && (flags & BG_STATE_CREATE) && forced_elsewhere(cfg.build)) {
		bg_dbg("%s=%s: replacing the pinned programs of the other object", BG_OBJECT_ENV,
		       getenv(BG_OBJECT_ENV));
		return load_and_pin(s, true);
	}
	if (complete && bg_build_variant(cfg.build) >= 0)
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

__u32 bg_map_max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

int bg_state_policy(const struct bg_state *s, __u64 cgid, struct bg_policy *out)
{
	return bpf_map_lookup_elem(s->map_fd[BG_MAP_POLICIES], &cgid, out) ? -errno : 0;
}

/* A policy store or removal is one hash update: atomic for the programs,
 * which look policies up there by cgroup id on every decision. */
int bg_policy_store(struct bg_state *s, __u64 cgid, const struct bg_policy *pol)
{
	return bpf_map_update_elem(s->map_fd[BG_MAP_POLICIES], &cgid, pol, BPF_ANY) ? -errno : 0;
}

int bg_policy_remove(struct bg_state *s, __u64 cgid)
{
	return bpf_map_delete_elem(s->map_fd[BG_MAP_POLICIES], &cgid) ? -errno : 0;
}
