/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup v2 resolution: find the mount from /proc/self/mountinfo, turn a
 * --cgroup or --pid argument into a checked cgroup, and a cgroup id back
 * into a path.
 */
#ifndef BG_CGROUP_H
#define BG_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct bg_cgroup {
	char path[PATH_MAX]; /* relative to the mount: "/", "/dev", "/a/b" */
	__u64 id;	     /* kernfs id, what BPF sees */
	bool is_root;
};

/* The cgroup2 mount point. 0, or -ENOENT when there is none. */
int bg_cgroup_mount(char *buf, size_t len);

/* Find the cgroup2 mount in mountinfo text (pure, for tests). */
int bg_cgroup_mount_parse(const char *mountinfo, char *buf, size_t len);

/* Resolve --cgroup ARG: a path relative to the mount ("/dev", "dev") or an
 * absolute path inside it. The result must exist, be a directory on cgroup2
 * and stay inside the mount after symlinks. -1 with err on failure. */
int bg_cgroup_resolve(const char *arg, struct bg_cgroup *out, char *err, size_t errlen);

/* Resolve --pid PID: the process's cgroup v2 from /proc/PID/cgroup. */
int bg_cgroup_of_pid(const char *pid, struct bg_cgroup *out, char *err, size_t errlen);

/* Path (relative to the mount) of a cgroup directory fd; -ENOENT if it is
 * not below the cgroup2 mount. */
int bg_cgroup_path_of_fd(int fd, char *buf, size_t len);

/* Path (relative to the mount) of a cgroup id. -ENOENT if it is gone. */
int bg_cgroup_path_of_id(__u64 id, char *buf, size_t len);

/* The id of the cgroup at path (relative to the mount: "/", "/a/b"); 0
 * when there is none. One name_to_handle_at, no open. */
__u64 bg_cgroup_id_of_path(const char *path);

/* The names of the child cgroups of path (relative to the mount), back to
 * back with their NULs in *names (malloc'd; NULL when there are none).
 * Returns their count (0 for a removed cgroup), or -errno. */
int bg_cgroup_children(const char *path, char **names);

/* An O_RDONLY|O_DIRECTORY fd of a cgroup by id, -errno if gone. */
int bg_cgroup_open_id(__u64 id);

/* Transient cgroups of `bindguard run` live below this bindguard-owned
 * parent, named run-<pid>-<start time> after the run process. */
#define BG_RUN_PARENT "/bindguard.run"

/* This process's run cgroup path (relative to the mount). */
int bg_run_cgroup_path(char *buf, size_t len);

/* Is path a run cgroup whose bindguard run process is gone? */
bool bg_run_cgroup_orphaned(const char *path);

/* Does the cgroup (relative path) hold processes, itself or below? 1, 0,
 * or -errno. */
int bg_cgroup_populated(const char *path);

/* A process's start time in clock ticks since boot; 0 when it is gone.
 * With the pid it names one process, whatever pids are reused. */
unsigned long long bg_process_start_time(long pid);

/* Is a a strict ancestor of b? Paths relative to the mount (pure). */
bool bg_cgroup_is_ancestor(const char *a, const char *b);

#endif
