// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The host's cgroup tree from inside the agent's image (hostview.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "cgroup.h"
#include "commands.h"
#include "hostview.h"
#include "log.h"
#include "pins.h"

#define OWN_CGROUP2 "/sys/fs/cgroup"

static bool in_image(void)
{
	const char *v = getenv(BG_HOST_BPFFS_ENV);

	return v && *v && strcmp(v, "0");
}

/* Join PID 1's cgroup namespace when it is not ours. */
static int join_host_cgroupns(const char *cmd)
{
	struct stat self, init;
	int fd;

	if (stat("/proc/self/ns/cgroup", &self))
		return 0; /* no cgroup namespaces (or no /proc): nothing to mend */
	if (stat("/proc/1/ns/cgroup", &init)) {
		bg_dbg("%s: /proc/1/ns/cgroup: %s: staying in this cgroup namespace", cmd,
		       strerror(errno));
		return 0;
	}
	if (self.st_ino == init.st_ino && self.st_dev == init.st_dev)
		return 0;
	fd = open("/proc/1/ns/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWCGROUP)) {
		bg_err("%s: this container has a cgroup namespace of its own and cannot join "
		       "the host's (/proc/1/ns/cgroup: %s): run it privileged with the host's "
		       "PID namespace (hostPID) or the host's cgroup namespace",
		       cmd, strerror(errno));
		if (fd >= 0)
			close(fd);
		return BG_EXIT_FAIL;
	}
	close(fd);
	bg_dbg("%s: joined the host's cgroup namespace", cmd);
	return 0;
}

/* A container's process at the root of the cgroup tree is a process in a
 * cgroup namespace of its own that could not join the host's (no hostPID:
 * /proc/1 is the container's): paths would be the container's, not the
 * host's. */
static int refuse_own_cgroupns(const char *cmd)
{
	char line[PATH_MAX + 8];
	bool at_root = false;
	FILE *f = fopen("/proc/self/cgroup", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3))
			at_root = !strcmp(line + 3, "/\n");
	if (f)
		fclose(f);
	if (!at_root)
		return 0;
	bg_err("%s: this container sees itself at the root of the cgroup tree: a cgroup "
	       "namespace of its own, and PID 1 is in the same one; run it with the host's PID "
	       "namespace (hostPID) or the host's cgroup namespace",
	       cmd);
	return BG_EXIT_FAIL;
}

/* No cgroup2 mount in sight: one of our own, in a mount namespace of our own
 * that receives the host's mounts and sends none back. */
static int mount_own_cgroup2(const char *cmd)
{
	char mnt[PATH_MAX];

	if (bg_cgroup_mount(mnt, sizeof(mnt)) != -ENOENT)
		return 0;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
	    mount("cgroup2", OWN_CGROUP2, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
		bg_err("%s: no cgroup v2 mount in this container, and mounting one on %s "
		       "failed: %s (mount the host's /sys/fs/cgroup, or run privileged)",
		       cmd, OWN_CGROUP2, strerror(errno));
		return BG_EXIT_FAIL;
	}
	bg_dbg("%s: mounted cgroup2 on %s (a mount namespace of its own)", cmd, OWN_CGROUP2);
	return 0;
}

int bg_host_cgroup_view(const char *cmd)
{
	static int done = -1;

	if (done >= 0)
		return done;
	if (!in_image())
		return done = 0;
	done = join_host_cgroupns(cmd);
	if (!done)
		done = refuse_own_cgroupns(cmd);
	if (!done)
		done = mount_own_cgroup2(cmd);
	return done;
}
