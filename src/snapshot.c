// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "log.h"
#include "pins.h"
#include "snapshot.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's "operation not supported" */
#endif

int bg_cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

int bg_cmp_pin(const void *a, const void *b)
{
	const struct bg_snap_pin *x = a, *y = b;
	int c = bg_cmp_u64(&x->id, &y->id);

	return c ? c : (x->hook > y->hook) - (x->hook < y->hook);
}

struct bg_snap_entry *bg_snap_find(const struct bg_snap *sn, __u64 id)
{
	return sn->n ? bsearch(&id, sn->e, sn->n, sizeof(*sn->e), bg_cmp_u64) : NULL;
}

bool bg_snap_has_pin(const struct bg_snap *sn, __u64 id, int hook)
{
	struct bg_snap_pin key = { .id = id, .hook = hook };

	return sn->npins && bsearch(&key, sn->pins, sn->npins, sizeof(*sn->pins), bg_cmp_pin);
}

void bg_snap_free(struct bg_snap *sn)
{
	for (int i = 0; i < sn->n; i++)
		free(sn->e[i].path);
	free(sn->e);
	free(sn->pins);
	memset(sn, 0, sizeof(*sn));
}

int bg_map_dump(int fd, size_t ksz, size_t vsz, bool dense, void **keys, void **vals)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 cap = bg_map_max_entries(fd) + 1;
	char *k, *v, *token, *prev = NULL;
	void *in = NULL;
	int n = 0;

	*keys = NULL;
	if (vals)
		*vals = NULL;
	if (cap == 1)
		return -EINVAL;
	k = calloc(cap, ksz);
	v = dense || vals ? calloc(cap, vsz) : NULL;
	token = calloc(1, ksz > 8 ? ksz : 8);
	if (!k || (!v && (dense || vals)) || !token) {
		n = -ENOMEM;
		goto fail;
	}
	while (dense) {
		__u32 count = cap - n;
		int r = bpf_map_lookup_batch(fd, in, token, k + n * ksz, v + n * vsz, &count,
					     &opts);
		int err = r ? errno : 0;

		if (r && err != ENOENT) {
			if (!n && (err == EINVAL || err == ENOTSUPP || err == EOPNOTSUPP))
				goto one_by_one;
			n = -err;
			goto fail;
		}
		n += count;
		if (err == ENOENT || (__u32)n >= cap)
			break;
		in = token;
	}
	if (dense)
		goto done;
one_by_one:
	n = 0;
	while ((__u32)n < cap && !bpf_map_get_next_key(fd, prev, k + n * ksz)) {
		/* The next key follows this one, whether or not it is kept. */
		memcpy(token, k + n * ksz, ksz);
		prev = token;
		if (vals && bpf_map_lookup_elem(fd, k + n * ksz, v + n * vsz))
			continue; /* deleted under us */
		n++;
	}
done:
	free(token);
	*keys = k;
	if (vals)
		*vals = v;
	else
		free(v);
	return n;
fail:
	free(token);
	free(k);
	free(v);
	return n;
}

static int load_pins(const struct bg_state *s, struct bg_snap *sn)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int cap = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", s->dir, BG_LINK_DIR);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct bg_snap_pin *p;
		char *end;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(p->name))
			continue;
		if (sn->npins == cap) {
			struct bg_snap_pin *more =
				realloc(sn->pins, (cap ? cap * 2 : 256) * sizeof(*more));

			if (!more) {
				closedir(d);
				return -ENOMEM;
			}
			sn->pins = more;
			cap = cap ? cap * 2 : 256;
		}
		p = &sn->pins[sn->npins++];
		p->id = strtoull(de->d_name, &end, 10);
		p->hook = -1;
		p->fresh = false;
		if (*end == '-')
			for (int h = 0; h < BG_NR_HOOKS; h++)
				if (!strcmp(end + 1, bg_hook_names[h]))
					p->hook = h;
		snprintf(p->name, sizeof(p->name), "%s", de->d_name);
	}
	closedir(d);
	if (sn->npins)
		qsort(sn->pins, sn->npins, sizeof(*sn->pins), bg_cmp_pin);
	return 0;
}

/*
 * The policies alone (the fast path): batches straight into the entries,
 * no buffer of max_entries values (2.6 MiB) to fault in and unmap. 0, or
 * -errno (the caller takes the generic way).
 */
static int load_policies(int fd, struct bg_snap *sn)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	static __u64 ids[256];
	static struct bg_policy pols[256];
	__u64 pos; /* a hash's batch position: a bucket number */
	int cap = 0, err = 0;

	for (bool first = true; err != ENOENT; first = false) {
		__u32 count = 256;
		int r = bpf_map_lookup_batch(fd, first ? NULL : &pos, &pos, ids, pols, &count,
					     &opts);

		err = r ? errno : 0;
		if (err && err != ENOENT)
			return -err;
		if (sn->n + (int)count > cap) {
			struct bg_snap_entry *more;

			cap = (sn->n + count) * 2;
			more = realloc(sn->e, cap * sizeof(*more));
			if (!more)
				return -ENOMEM;
			sn->e = more;
		}
		for (__u32 i = 0; i < count; i++)
			sn->e[sn->n++] = (struct bg_snap_entry){ .id = ids[i], .pol = pols[i] };
	}
	if (sn->n)
		qsort(sn->e, sn->n, sizeof(*sn->e), bg_cmp_u64);
	return 0;
}

int bg_snap_load(const struct bg_state *s, struct bg_snap *sn, bool full)
{
	__u64 *ids;
	struct bg_policy *pols;
	int n, r;

	memset(sn, 0, sizeof(*sn));
	if (!full && !load_policies(s->map_fd[BG_MAP_POLICIES], sn))
		return 0;
	bg_snap_free(sn);
	n = bg_map_dump(s->map_fd[BG_MAP_POLICIES], sizeof(*ids), sizeof(*pols), true,
			(void **)&ids, (void **)&pols);
	if (n < 0) {
		bg_err("read the policy map: %s", strerror(-n));
		return BG_EXIT_FAIL;
	}
	sn->e = calloc(n ? n : 1, sizeof(*sn->e));
	if (!sn->e) {
		free(ids);
		free(pols);
		bg_err("out of memory");
		return BG_EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		struct bg_snap_entry *e = &sn->e[sn->n++];
		char path[PATH_MAX];
		int fd;

		e->id = ids[i];
		e->pol = pols[i];
		if (!full)
			continue;
		fd = bg_cgroup_open_id(e->id);
		e->gone = fd == -ENOENT;
		if (fd >= 0) {
			if (!bg_cgroup_path_of_fd(fd, path, sizeof(path)))
				e->path = strdup(path);
			close(fd);
		}
	}
	free(ids);
	free(pols);
	qsort(sn->e, sn->n, sizeof(*sn->e), bg_cmp_u64);
	r = full ? load_pins(s, sn) : 0;
	if (r) {
		bg_err("read %s/%s: %s", s->dir, BG_LINK_DIR, strerror(-r));
		bg_snap_free(sn);
		return BG_EXIT_FAIL;
	}
	return 0;
}
