// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hostnet.h"

int bg_route_localnet(const char *dir, char *names, size_t len)
{
	struct dirent *d;
	size_t used = 0;
	int n = 0;
	DIR *dp;

	if (len)
		names[0] = '\0';
	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((d = readdir(dp))) {
		char path[512], v[16] = "";
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/route_localnet", dir, d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(v, sizeof(v), f))
			v[0] = '\0';
		fclose(f);
		if (v[0] == '\0' || (v[0] == '0' && (v[1] == '\n' || v[1] == '\0')))
			continue;
		n++;
		if (used < len) {
			int w = snprintf(names + used, len - used, "%s%s", used ? " " : "",
					 d->d_name);

			used += w > 0 ? (size_t)w : 0;
		}
	}
	closedir(dp);
	return n;
}

int bg_compat_syscalls(void)
{
#if defined(__x86_64__)
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		long r = 20; /* getpid in the i386 table */

		/* Without IA32 emulation the instruction faults: no core file. */
		prctl(PR_SET_DUMPABLE, 0);
		signal(SIGSEGV, SIG_DFL);
		__asm__ volatile("int $0x80" : "+a"(r) : : "memory");
		_exit(r == (long)getpid() ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	return WIFSIGNALED(status) ? 0 : -EIO;
#else
	return -ENOSYS;
#endif
}
