// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "log.h"
#include "pins.h"

const char *const bg_hook_names[BG_NR_HOOKS] = {
	"bind4",    "bind6",	   "sockops", "setsockopt", "sendmsg4",
	"sendmsg6", "sock_create", "ingress", "lsm_listen",
};

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* May bindguard mount a bpffs of its own here? Not where it would live only as
 * long as a container: when BG_HOST_BPFFS_ENV is set (the image sets it), or
 * when this mount namespace is not PID 1's (a container that sees the host's
 * PID 1, --pid host; when /proc/1/ns/mnt cannot be read, only the variable
 * tells). */
static bool may_mount_bpffs(void)
{
	const char *v = getenv(BG_HOST_BPFFS_ENV);
	struct stat self, init;

	if (v && *v && strcmp(v, "0"))
		return false;
	if (stat("/proc/1/ns/mnt", &init) || stat("/proc/self/ns/mnt", &self))
		return true;
	return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

bool bg_state_bpffs_mounted(void)
{
	return is_bpffs(BG_BPFFS);
}

int bg_ensure_bpffs(bool create)
{
	if (is_bpffs(BG_BPFFS))
		return 0;
	if (!create)
		return -ENOENT;
	/* A bpffs mounted here in another mount namespace than the host's (PID 1's
	 * with --pid host: a container that forgot the host's /sys/fs/bpf) would
	 * hold the pins only as long as that namespace lives: the policies would
	 * vanish with the container. Refused. */
	if (!may_mount_bpffs()) {
		bg_err("%s is not a bpffs, and one mounted in this mount namespace (not the "
		       "host's) would vanish with it, and the policies with it: mount the host's "
		       "bpffs here (podman -v %s:%s)",
		       BG_BPFFS, BG_BPFFS, BG_BPFFS);
		return BG_EXIT_FAIL;
	}
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

int bg_run_dir(void)
{
	return mkdir(BG_RUN_DIR, 0755) && errno != EEXIST ? -errno : 0;
}

static int take_lock(struct bg_state *s)
{
	int r = bg_run_dir();

	if (r) {
		bg_err("create %s: %s%s", BG_RUN_DIR, strerror(-r),
		       r == -EACCES ? " (needs root)" : "");
		return BG_EXIT_FAIL;
	}
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

int bg_state_lock(struct bg_state *s)
{
	return s->lock_fd >= 0 ? 0 : take_lock(s);
}

void bg_pin_path(const struct bg_state *s, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", s->dir, name);
}

void bg_link_path(const struct bg_state *s, __u64 cgid, int hook, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%" PRIu64 "-%s", s->dir, BG_LINK_DIR, (uint64_t)cgid,
		 bg_hook_names[hook]);
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

int bg_remove_tree(const char *dir)
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
				r |= bg_remove_tree(path);
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

/* Links first: once they are gone nothing runs the programs. */
static int remove_state(const char *dir)
{
	char links[PATH_MAX];
	int r;

	snprintf(links, sizeof(links), "%s/%s", dir, BG_LINK_DIR);
	r = bg_remove_tree(links);
	if (!r)
		r = bg_remove_tree(dir);
	return r;
}

int bg_state_destroy(void)
{
	struct bg_state s = { .lock_fd = -1 };
	int r;

	/* No map is read: this works on state of any bindguard version. */
	snprintf(s.dir, sizeof(s.dir), "%s/%s", BG_BPFFS, BG_PIN_DIR);
	if (!is_bpffs(BG_BPFFS))
		return 0;
	r = take_lock(&s);
	if (r)
		return r;
	r = remove_state(s.dir);
	close(s.lock_fd);
	return r;
}

int bg_state_remove_locked(const struct bg_state *s)
{
	return s->lock_fd >= 0 ? remove_state(s->dir) : BG_EXIT_FAIL;
}
