// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "cgroup.h"

/* File handle type of kernfs (cgroupfs) handles: the 8-byte cgroup id. */
#define BG_FILEID_KERNFS 0xfe

struct bg_kernfs_handle {
	unsigned int handle_bytes;
	int handle_type;
	__u64 id;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

int bg_cgroup_mount_parse(const char *mountinfo, char *buf, size_t len)
{
	const char *line = mountinfo;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char tmp[4096], *sep, *fields[5], *save = NULL, *fstype;
		int i;

		if (n < sizeof(tmp)) {
			memcpy(tmp, line, n);
			tmp[n] = '\0';
			/* Optional fields come before " - "; fstype right after. */
			sep = strstr(tmp, " - ");
			if (sep) {
				*sep = '\0';
				fstype = strtok_r(sep + 3, " ", &save);
				save = NULL;
				for (i = 0; i < 5; i++)
					fields[i] = strtok_r(i ? NULL : tmp, " ", &save);
				if (fstype && fields[4] && !strcmp(fstype, "cgroup2")) {
					unescape_octal(fields[4]);
					if (strlen(fields[4]) >= len)
						return -ENAMETOOLONG;
					strcpy(buf, fields[4]);
					return 0;
				}
			}
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

int bg_cgroup_mount(char *buf, size_t len)
{
	static char cached[PATH_MAX];
	char *text = NULL;
	size_t cap = 0, used = 0;
	FILE *f;
	int err;

	if (!cached[0]) {
		f = fopen("/proc/self/mountinfo", "re");
		if (!f)
			return -errno;
		for (;;) {
			if (used + 4096 + 1 > cap) {
				char *n = realloc(text, cap + 65536);

				if (!n) {
					free(text);
					fclose(f);
					return -ENOMEM;
				}
				text = n;
				cap += 65536;
			}
			size_t got = fread(text + used, 1, 4096, f);

			used += got;
			if (got == 0)
				break;
		}
		fclose(f);
		text[used] = '\0';
		err = bg_cgroup_mount_parse(text, cached, sizeof(cached));
		free(text);
		if (err)
			return err;
	}
	if (strlen(cached) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, cached);
	return 0;
}

/* The id of the cgroup directory at abs. The handle of a cgroupfs dir is
 * its id; the inode number (of st, or stat'ed when st is NULL) is the same
 * id on 64-bit hosts and serves as the fallback. 0 when neither is known. */
static __u64 id_of(const char *abs, const struct stat *st)
{
	struct bg_kernfs_handle h = { .handle_bytes = sizeof(__u64) };
	struct stat own;
	int mount_id;

	if (!name_to_handle_at(AT_FDCWD, abs, (struct file_handle *)&h, &mount_id, 0) &&
	    h.handle_bytes == sizeof(__u64))
		return h.id;
	if (!st && stat(abs, &own))
		return 0;
	return st ? st->st_ino : own.st_ino;
}

/* Fill out from an existing absolute path, checking it is a cgroup2 dir
 * inside the mount. */
static int from_abs(const char *mnt, const char *abs, const char *shown, struct bg_cgroup *out,
		    char *err, size_t errlen)
{
	char real[PATH_MAX], realmnt[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	size_t mlen;

	if (!realpath(abs, real)) {
		if (errno == ENOENT || errno == ENOTDIR)
			snprintf(err, errlen, "cgroup %s does not exist (looked at %s)", shown,
				 abs);
		else
			snprintf(err, errlen, "cgroup %s: %s", shown, strerror(errno));
		return -1;
	}
	if (!realpath(mnt, realmnt)) {
		snprintf(err, errlen, "cgroup2 mount %s: %s", mnt, strerror(errno));
		return -1;
	}
	mlen = strlen(realmnt);
	if (strncmp(real, realmnt, mlen) || (real[mlen] != '/' && real[mlen] != '\0')) {
		snprintf(err, errlen, "cgroup %s resolves to %s, outside the cgroup v2 mount %s",
			 shown, real, realmnt);
		return -1;
	}
	if (stat(real, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cgroup %s: %s is not a cgroup directory", shown, real);
		return -1;
	}
	if (statfs(real, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(err, errlen, "cgroup %s: %s is not on cgroup v2", shown, real);
		return -1;
	}
	snprintf(out->path, sizeof(out->path), "%s", real[mlen] ? real + mlen : "/");
	out->is_root = !real[mlen];
	out->id = id_of(real, &st);
	return 0;
}

int bg_cgroup_resolve(const char *arg, struct bg_cgroup *out, char *err, size_t errlen)
{
	char mnt[PATH_MAX], abs[PATH_MAX];
	size_t mlen;
	int r;

	if (!arg || !*arg) {
		snprintf(err, errlen, "--cgroup needs a path");
		return -1;
	}
	r = bg_cgroup_mount(mnt, sizeof(mnt));
	if (r) {
		snprintf(err, errlen, "no cgroup v2 mount in /proc/self/mountinfo");
		return -1;
	}
	mlen = strlen(mnt);
	if (!strncmp(arg, mnt, mlen) && (arg[mlen] == '/' || arg[mlen] == '\0'))
		r = snprintf(abs, sizeof(abs), "%s", arg);
	else
		r = snprintf(abs, sizeof(abs), "%s%s%s", mnt, arg[0] == '/' ? "" : "/", arg);
	if (r < 0 || (size_t)r >= sizeof(abs)) {
		snprintf(err, errlen, "cgroup path too long");
		return -1;
	}
	/* "/sys/fs/cgroup/x" on a host whose v2 mount is elsewhere: a path
	 * under /sys that is not below the mount was meant as itself. */
	if (!strncmp(arg, "/sys/", 5) && strncmp(arg, mnt, mlen) && access(abs, F_OK)) {
		const char *rest = !strncmp(arg, "/sys/fs/cgroup/", 15) ? arg + 15 : NULL;

		snprintf(err, errlen, "cgroup %s is outside the cgroup v2 mount at %s%s%s%s%s", arg,
			 mnt, rest ? " (did you mean " : "", rest ? mnt : "", rest ? "/" : "",
			 rest ? rest : "");
		if (rest && strlen(err) + 2 <= errlen)
			strcat(err, "?)");
		return -1;
	}
	return from_abs(mnt, abs, arg, out, err, errlen);
}

int bg_cgroup_of_pid(const char *pid, struct bg_cgroup *out, char *err, size_t errlen)
{
	char path[64], line[PATH_MAX + 16], mnt[PATH_MAX], abs[PATH_MAX];
	char *end;
	long v;
	FILE *f;
	int found = 0;

	errno = 0;
	v = strtol(pid, &end, 10);
	if (!*pid || *end || errno || v <= 0 || v > 4194304) {
		snprintf(err, errlen, "--pid %s: not a process id", pid);
		return -1;
	}
	if (bg_cgroup_mount(mnt, sizeof(mnt))) {
		snprintf(err, errlen, "no cgroup v2 mount in /proc/self/mountinfo");
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", v);
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "--pid %ld: %s", v,
			 errno == ENOENT ? "no such process" : strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (snprintf(abs, sizeof(abs), "%s%s", mnt, line + 3) < (int)sizeof(abs))
			found = 1;
		break;
	}
	fclose(f);
	if (!found) {
		snprintf(err, errlen, "--pid %ld: process has no cgroup v2 membership", v);
		return -1;
	}
	return from_abs(mnt, abs, abs, out, err, errlen);
}

int bg_cgroup_open_id(__u64 id)
{
	struct bg_kernfs_handle h = {
		.handle_bytes = sizeof(__u64),
		.handle_type = BG_FILEID_KERNFS,
		.id = id,
	};
	static int mfd = -1; /* the mount, opened once: ids are looked up often */
	char mnt[PATH_MAX];
	int fd, r;

	if (mfd < 0) {
		r = bg_cgroup_mount(mnt, sizeof(mnt));
		if (r)
			return r;
		mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (mfd < 0)
			return -errno;
	}
	fd = open_by_handle_at(mfd, (struct file_handle *)&h, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = fd < 0 ? -errno : fd;
	/* A removed cgroup's handle is stale. */
	if (r == -ESTALE)
		r = -ENOENT;
	return r;
}

/* The absolute path of a cgroup (relative to the mount): 0 or -errno. */
static int abs_path(const char *path, char *buf, size_t len)
{
	char mnt[PATH_MAX];
	int r = bg_cgroup_mount(mnt, sizeof(mnt));

	if (r)
		return r;
	if ((size_t)snprintf(buf, len, "%s%s", mnt, strcmp(path, "/") ? path : "") >= len)
		return -ENAMETOOLONG;
	return 0;
}

__u64 bg_cgroup_id_of_path(const char *path)
{
	char abs[PATH_MAX];

	return abs_path(path, abs, sizeof(abs)) ? 0 : id_of(abs, NULL);
}

int bg_cgroup_children(const char *path, char **names)
{
	char abs[PATH_MAX];
	size_t used = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	int n = 0, r;
	DIR *d;

	*names = NULL;
	r = abs_path(path, abs, sizeof(abs));
	if (r)
		return r;
	/* A kernfs directory's link count is 2 + its subdirectories: most
	 * cgroups have none, and cost this one call. */
	if (stat(abs, &st))
		return errno == ENOENT ? 0 : -errno;
	if (st.st_nlink == 2)
		return 0;
	d = opendir(abs);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name) + 1;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (used + len > cap) {
			char *more = realloc(*names, cap * 2 + len);

			if (!more) {
				n = -ENOMEM;
				break;
			}
			*names = more;
			cap = cap * 2 + len;
		}
		memcpy(*names + used, de->d_name, len);
		used += len;
		n++;
	}
	closedir(d);
	if (n < 0) {
		free(*names);
		*names = NULL;
	}
	return n;
}

int bg_cgroup_path_of_fd(int fd, char *buf, size_t len)
{
	char mnt[PATH_MAX], link[64], real[PATH_MAX];
	size_t mlen;
	ssize_t n;

	if (bg_cgroup_mount(mnt, sizeof(mnt)))
		return -ENOENT;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n < 0)
		return -errno;
	real[n] = '\0';
	mlen = strlen(mnt);
	if (strncmp(real, mnt, mlen) || (real[mlen] != '/' && real[mlen] != '\0'))
		return -ENOENT;
	if ((size_t)snprintf(buf, len, "%s", real[mlen] ? real + mlen : "/") >= len)
		return -ENAMETOOLONG;
	return 0;
}

int bg_cgroup_path_of_id(__u64 id, char *buf, size_t len)
{
	int fd = bg_cgroup_open_id(id), r;

	if (fd < 0)
		return fd;
	r = bg_cgroup_path_of_fd(fd, buf, len);
	close(fd);
	return r;
}

bool bg_cgroup_is_ancestor(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (a[0] != '/' || b[0] != '/')
		return false; /* not a cgroup path */
	if (!strcmp(a, "/"))
		return strcmp(b, "/") != 0;
	return !strncmp(a, b, n) && b[n] == '/';
}

/* Start time of a process in clock ticks since boot (field 22 of stat). */
unsigned long long bg_process_start_time(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		/* comm may contain spaces and parentheses: skip to the last ')'. */
		p = strrchr(buf, ')');
		for (int field = 2; p && field < 22; field++)
			p = strchr(p + 1, ' ');
		if (p)
			t = strtoull(p + 1, NULL, 10);
	}
	fclose(f);
	return t;
}

int bg_run_cgroup_path(char *buf, size_t len)
{
	long pid = (long)getpid();

	if ((size_t)snprintf(buf, len, "%s/run-%ld-%llu", BG_RUN_PARENT, pid,
			     bg_process_start_time(pid)) >= len)
		return -ENAMETOOLONG;
	return 0;
}

bool bg_run_cgroup_orphaned(const char *path)
{
	size_t n = strlen(BG_RUN_PARENT "/run-");
	unsigned long long start;
	long pid;

	if (strncmp(path, BG_RUN_PARENT "/run-", n) ||
	    sscanf(path + n, "%ld-%llu", &pid, &start) != 2 || pid <= 0)
		return false;
	/* Gone, or the pid was reused by another process. */
	return bg_process_start_time(pid) != start;
}

int bg_cgroup_populated(const char *path)
{
	char mnt[PATH_MAX], file[PATH_MAX * 2], line[128];
	int populated = -ENOENT;
	FILE *f;

	if (bg_cgroup_mount(mnt, sizeof(mnt)))
		return -ENOENT;
	snprintf(file, sizeof(file), "%s%s/cgroup.events", mnt, path);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "populated ", 10))
			populated = line[10] == '1';
	fclose(f);
	return populated;
}
