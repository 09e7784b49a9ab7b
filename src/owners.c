// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "owners.h"

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int cmp_owner(const void *a, const void *b)
{
	const struct bg_owner *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void read_comm(__u32 pid, char comm[16])
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, comm, 15) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

static int push(struct bg_owners *o, size_t *cap, const struct bg_owner *w)
{
	if (o->n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		void *v = realloc(o->v, c * sizeof(*o->v));

		if (!v)
			return -ENOMEM;
		o->v = v;
		*cap = c;
	}
	o->v[o->n++] = *w;
	return 0;
}

/* The descriptors of one process that are sockets in want. */
static int scan_pid(struct bg_owners *o, size_t *cap, __u32 pid, const __u32 *want, size_t n)
{
	char path[64], link[64];
	struct bg_owner w = { .pid = pid };
	struct dirent *de;
	bool named = false;
	unsigned long ino;
	int r = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while (!r && (de = readdir(d))) {
		ssize_t len;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		len = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) != 1 || ino > 0xffffffffu)
			continue;
		w.inode = (__u32)ino;
		if (!bsearch(&w.inode, want, n, sizeof(*want), cmp_u32))
			continue;
		if (!named) {
			read_comm(pid, w.comm);
			named = true;
		}
		w.fd = atoi(de->d_name);
		r = push(o, cap, &w);
	}
	closedir(d);
	return r;
}

int bg_owners_scan(struct bg_owners *o, const __u32 *want, size_t n)
{
	__u32 *sorted;
	struct dirent *de;
	size_t cap = 0, k;
	int r = 0;
	DIR *d;

	memset(o, 0, sizeof(*o));
	if (!n)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, want, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	d = opendir("/proc");
	while (d && !r && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		r = scan_pid(o, &cap, (__u32)strtoul(de->d_name, NULL, 10), sorted, n);
	}
	if (d)
		closedir(d);
	free(sorted);
	if (r) {
		bg_owners_free(o);
		return r;
	}
	qsort(o->v, o->n, sizeof(*o->v), cmp_owner);
	/* One entry per process and socket, whatever its number of descriptors. */
	k = 0;
	for (size_t i = 0; i < o->n; i++)
		if (!k || cmp_owner(&o->v[k - 1], &o->v[i]))
			o->v[k++] = o->v[i];
	o->n = k;
	return 0;
}

const struct bg_owner *bg_owners_of(const struct bg_owners *o, __u32 inode, size_t *count)
{
	size_t lo = 0, hi = o->n, first;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->v[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < o->n && o->v[lo].inode == inode)
		lo++;
	*count = lo - first;
	return *count ? &o->v[first] : NULL;
}

void bg_owners_free(struct bg_owners *o)
{
	free(o->v);
	memset(o, 0, sizeof(*o));
}
