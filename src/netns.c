// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "netns.h"

struct ns_set {
	struct {
		dev_t dev;
		ino_t ino;
		int fd;
	} * v;
	size_t n, cap;
};

/* Open path if it is a network namespace not in the set yet (most
 * processes share one: they are told apart by stat before any open). */
static int add(struct ns_set *set, const char *path)
{
	struct stat st, again;
	int fd;

	if (stat(path, &st))
		return 0; /* the process exited, or a stale entry: nothing to visit */
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].dev == st.st_dev && set->v[i].ino == st.st_ino)
			return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* The process may have exited and its pid been reused in between. */
	if (fstat(fd, &again) || again.st_dev != st.st_dev || again.st_ino != st.st_ino) {
		close(fd);
		return 0;
	}
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		void *v = realloc(set->v, cap * sizeof(*set->v));

		if (!v) {
			close(fd);
			return -ENOMEM;
		}
		set->v = v;
		set->cap = cap;
	}
	set->v[set->n].dev = st.st_dev;
	set->v[set->n].ino = st.st_ino;
	set->v[set->n].fd = fd;
	set->n++;
	return 0;
}

static int add_dir(struct ns_set *set, const char *dir, const char *suffix, int only_pids)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d)
		return 0;
	while (!r && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    (only_pids && (de->d_name[0] < '1' || de->d_name[0] > '9')))
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", dir, de->d_name, suffix);
		r = add(set, path);
	}
	closedir(d);
	return r;
}

int bg_netns_each(int (*fn)(__u64 netns, void *arg), void *arg)
{
	struct ns_set set = { 0 };
	int self, r;

	r = add(&set, "/proc/self/ns/net");
	if (!r && !set.n)
		r = -ENOENT;
	if (!r)
		r = add_dir(&set, "/proc", "/ns/net", 1);
	if (!r)
		r = add_dir(&set, "/run/netns", "", 0);
	self = set.n ? set.v[0].fd : -1;
	for (size_t i = 0; !r && i < set.n; i++) {
		if (i && setns(set.v[i].fd, CLONE_NEWNET)) {
			if (errno == EINVAL)
				continue; /* a /run/netns entry that is not a namespace */
			r = -errno;
			break;
		}
		r = fn((__u64)set.v[i].ino, arg);
		if (i && setns(self, CLONE_NEWNET)) {
			r = -errno;
			break;
		}
	}
	for (size_t i = 0; i < set.n; i++)
		close(set.v[i].fd);
	free(set.v);
	return r;
}
