// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "frozen.h"
#include "log.h"
#include "state_priv.h"

/* The pins' names. A pin is used only after its program's read-only data
 * is checked against the key, so a collision costs a reload, never a wrong
 * program. */
static __u64 key_hash(const struct bg_policy *key)
{
	return bg_fnv1a(key, sizeof(*key));
}

static void frozen_dir(const struct bg_state *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", s->dir, BG_FROZEN_DIR);
}

static void frozen_path(const struct bg_state *s, __u64 hash, int hook, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%016" PRIx64 "-%s", s->dir, BG_FROZEN_DIR, (uint64_t)hash,
		 bg_hook_names[hook]);
}

/* Does program fd carry exactly key as its (frozen) read-only data? */
static bool prog_holds(int fd, const struct bg_policy *key)
{
	struct bpf_prog_info info = {};
	__u32 ids[16], len = sizeof(info), n;

	info.nr_map_ids = 16;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	n = info.nr_map_ids < 16 ? info.nr_map_ids : 16;
	for (__u32 i = 0; i < n; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi), zero = 0;
		struct bg_policy v;
		int mfd = bpf_map_get_fd_by_id(ids[i]);
		bool same;

		if (mfd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(mfd, &mi, &mlen) ||
		    !(mi.map_flags & BPF_F_RDONLY_PROG) || mi.value_size != sizeof(v) ||
		    mi.max_entries != 1) {
			close(mfd);
			continue;
		}
		same = !bpf_map_lookup_elem(mfd, &zero, &v) && !memcmp(&v, key, sizeof(v));
		close(mfd);
		return same;
	}
	return false;
}

/* Calls fn(name, hash) for each pin in the directory; stops at nonzero. */
static int each_pin(const struct bg_state *s,
		    int (*fn)(const struct bg_state *s, const char *name, __u64 hash, void *arg),
		    void *arg)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int r = 0;
	DIR *d;

	frozen_dir(s, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return 0;
	while (!r && (de = readdir(d))) {
		char *end;
		__u64 hash;

		if (de->d_name[0] == '.')
			continue;
		hash = strtoull(de->d_name, &end, 16);
		r = fn(s, de->d_name, *end == '-' ? hash : 0, arg);
	}
	closedir(d);
	return r;
}

static int count_pin(const struct bg_state *s, const char *name, __u64 hash, void *arg)
{
	(void)s;
	(void)name;
	(void)hash;
	++*(int *)arg;
	return 0;
}

static void unpin(const struct bg_state *s, const char *name)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s/%s", s->dir, BG_FROZEN_DIR, name);
	if (unlink(path) && errno != ENOENT)
		bg_dbg("remove %s: %s", path, strerror(errno));
	else
		bg_dbg("removed frozen program pin %s", path);
}

/* Close fds[] and unpin the pair of hash. */
static void drop_pair(const struct bg_state *s, __u64 hash, int fds[2])
{
	char path[PATH_MAX];

	for (int h = 0; h < 2; h++) {
		if (fds[h] >= 0)
			close(fds[h]);
		fds[h] = -1;
		frozen_path(s, hash, h, path, sizeof(path));
		unlink(path);
	}
}

int bg_frozen_get(struct bg_state *s, const struct bg_policy *key, int fds[2])
{
	__u64 hash = key_hash(key);
	char path[PATH_MAX];
	int ok = 0, pins = 0, r;

	for (int h = 0; h < 2; h++) {
		frozen_path(s, hash, h, path, sizeof(path));
		fds[h] = bpf_obj_get(path);
		ok += fds[h] >= 0 && prog_holds(fds[h], key);
	}
	if (ok == 2)
		return 0;
	drop_pair(s, hash, fds); /* half a pair, or another key's: replaced */
	each_pin(s, count_pin, &pins);
	if (pins / 2 >= BG_MAX_FROZEN)
		return -ENOSPC;
	frozen_dir(s, path, sizeof(path));
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	r = bg_state_load_frozen(s, key, fds);
	for (int h = 0; h < 2 && !r; h++) {
		frozen_path(s, hash, h, path, sizeof(path));
		if (bpf_obj_pin(fds[h], path))
			r = -errno;
	}
	if (r) {
		drop_pair(s, hash, fds);
		return r;
	}
	bg_dbg("loaded frozen bind programs %016" PRIx64 " (ruleset %u)", (uint64_t)hash,
	       key->ruleset);
	return 0;
}

struct keep {
	__u64 *hash; /* sorted */
	int n;
};

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int gc_pin(const struct bg_state *s, const char *name, __u64 hash, void *arg)
{
	const struct keep *k = arg;

	if (!hash || !k->n || !bsearch(&hash, k->hash, k->n, sizeof(*k->hash), cmp_u64))
		unpin(s, name);
	return 0;
}

void bg_frozen_gc(struct bg_state *s, const struct bg_policy *keys, int n)
{
	struct keep k = { calloc(n ? n : 1, sizeof(*k.hash)), n };
	char dir[PATH_MAX];

	if (!k.hash)
		return; /* kept until the next change */
	for (int i = 0; i < n; i++)
		k.hash[i] = key_hash(&keys[i]);
	if (n)
		qsort(k.hash, n, sizeof(*k.hash), cmp_u64);
	each_pin(s, gc_pin, &k);
	free(k.hash);
	frozen_dir(s, dir, sizeof(dir));
	rmdir(dir); /* only when empty */
}

struct find {
	__u32 id;
	bool found;
};

static int find_pin(const struct bg_state *s, const char *name, __u64 hash, void *arg)
{
	struct find *f = arg;
	char path[PATH_MAX * 2];
	int fd;

	(void)hash;
	snprintf(path, sizeof(path), "%s/%s/%s", s->dir, BG_FROZEN_DIR, name);
	fd = bpf_obj_get(path);
	f->found = fd >= 0 && bg_prog_id(fd) == f->id;
	if (fd >= 0)
		close(fd);
	return f->found;
}

bool bg_frozen_pinned(const struct bg_state *s, __u32 prog_id)
{
	struct find f = { prog_id, false };

	each_pin(s, find_pin, &f);
	return f.found;
}
