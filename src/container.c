// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Container names to pids through the runtimes' own inspect commands. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "container.h"

bool bg_container_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255 ||
	    !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", name[0]))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       n;
}

/* Run `TOOL inspect --type container --format ... NAME`; its first line of
 * stdout in out. The exit status, 127 when TOOL is not installed, -1 when
 * it could not be run. */
static int inspect(const char *tool, const char *name, char *out, size_t len)
{
	int fds[2], status;
	size_t n = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(fds[1], STDOUT_FILENO);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execlp(tool, tool, "inspect", "--type", "container", "--format",
		       "{{.State.Pid}} {{.State.Running}}", name, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t k = read(fds[0], out + n, len - 1 - n);

		if (k > 0 && n + (size_t)k < len - 1) {
			n += (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k > 0)
			n += (size_t)k;
		break;
	}
	close(fds[0]);
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int bg_container_pid(const char *name, long *pid, char *err, size_t errlen)
{
	static const char *const tools[] = { "podman", "docker" };
	char out[128], running[16];
	bool any = false;

	if (!bg_container_name_ok(name)) {
		snprintf(err, errlen, "--container %.64s: not a container name or id", name);
		return -1;
	}
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		int st = inspect(tools[i], name, out, sizeof(out));

		if (st == 127)
			continue;
		any = true;
		if (st != 0)
			continue;
		if (sscanf(out, "%ld %15s", pid, running) != 2) {
			snprintf(err, errlen, "--container %s: %s inspect said '%.40s'", name,
				 tools[i], out);
			return -1;
		}
		if (strcmp(running, "true") || *pid <= 0) {
			snprintf(err, errlen, "--container %s: not running (%s)", name, tools[i]);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "--container %s: %s", name,
		 any ? "no such container (asked podman and docker)"
		     : "neither podman nor docker is installed");
	return -1;
}

int bg_cgroup_of_container(const char *name, struct bg_cgroup *cg, char *err, size_t errlen)
{
	char pid[24];
	long p;

	if (bg_container_pid(name, &p, err, errlen))
		return -1;
	snprintf(pid, sizeof(pid), "%ld", p);
	if (bg_cgroup_of_pid(pid, cg, err, errlen)) {
		/* Stopped between the two questions, or outside cgroup v2. */
		snprintf(err, errlen, "--container %s: its process %ld has no cgroup v2 here", name,
			 p);
		return -1;
	}
	return 0;
}
