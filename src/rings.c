// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cgroup.h"
#include "log.h"
#include "pins.h"
#include "rings.h"

__u32 bg_reserved_ring;

int bg_state_ring_create(struct bg_state *s, __u32 *slot, int *ring_fd)
{
	char path[PATH_MAX];
	__u32 id;

	*ring_fd =
		bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bg_run_ring", 0, 0, BG_RUN_RING_SIZE, NULL);
	if (*ring_fd < 0) {
		bg_err("create a private event ring: %s", strerror(errno));
		return BG_EXIT_FAIL;
	}
	bg_ring_pin_path(s, 0, path, sizeof(path));
	if (mkdir(path, 0700) && errno != EEXIST) {
		bg_err("create %s: %s", path, strerror(errno));
		close(*ring_fd);
		*ring_fd = -1;
		return BG_EXIT_FAIL;
	}
	for (*slot = 1; *slot < BG_RUN_RINGS; (*slot)++) {
		bg_ring_pin_path(s, *slot, path, sizeof(path));
		if (!access(path, F_OK))
			continue; /* taken */
		/* Taken by a bindguard that kept no pin (an older build)? */
		if (!bpf_map_lookup_elem(s->map_fd[BG_MAP_RINGS], slot, &id))
			continue;
		/* Arrays refuse BPF_NOEXIST; the lock makes the checks above enough. */
		if (bpf_map_update_elem(s->map_fd[BG_MAP_RINGS], slot, ring_fd, BPF_ANY))
			continue;
		if (bpf_obj_pin(*ring_fd, path)) {
			bg_err("pin %s: %s", path, strerror(errno));
			bpf_map_delete_elem(s->map_fd[BG_MAP_RINGS], slot);
			break;
		}
		bg_reserved_ring = *slot;
		return 0;
	}
	close(*ring_fd);
	*ring_fd = -1;
	bg_err("all %d private event rings are in use (too many `bindguard run` at once)",
	       BG_RUN_RINGS - 1);
	return BG_EXIT_FAIL;
}

void bg_state_ring_free(struct bg_state *s, __u32 slot)
{
	char path[PATH_MAX];

	if (!slot)
		return;
	bpf_map_delete_elem(s->map_fd[BG_MAP_RINGS], &slot);
	bg_ring_pin_path(s, slot, path, sizeof(path));
	unlink(path);
}

int bg_reader_add(struct bg_state *s, __u32 *idx, __u32 *slot, int *ring_fd)
{
	int fd = s->map_fd[BG_MAP_READERS], r;
	struct bg_reader rd;

	if (fd < 0) {
		bg_err("events: the pinned state has no readers map (an older build's): a policy "
		       "command upgrades it");
		return BG_EXIT_FAIL;
	}
	for (*idx = 0; *idx < BG_MAX_READERS; (*idx)++)
		if (!bpf_map_lookup_elem(fd, idx, &rd) && !rd.ring)
			break;
	if (*idx == BG_MAX_READERS) {
		bg_err("events: %d readers follow the events already (at most %d at once)",
		       BG_MAX_READERS, BG_MAX_READERS);
		return BG_EXIT_FAIL;
	}
	r = bg_state_ring_create(s, slot, ring_fd);
	if (r)
		return r;
	rd = (struct bg_reader){ .ring = *slot, .pid = (__u32)getpid() };
	rd.start = bg_process_start_time((long)rd.pid);
	if (bpf_map_update_elem(fd, idx, &rd, BPF_ANY)) {
		bg_err("events: register as a reader: %s", strerror(errno));
		bg_state_ring_free(s, *slot);
		close(*ring_fd);
		*ring_fd = -1;
		return BG_EXIT_FAIL;
	}
	return 0;
}

void bg_reader_remove(struct bg_state *s, __u32 idx, __u32 slot)
{
	struct bg_reader rd = {};

	/* The entry first: from then on nothing is queued on the ring. */
	if (s->map_fd[BG_MAP_READERS] >= 0)
		bpf_map_update_elem(s->map_fd[BG_MAP_READERS], &idx, &rd, BPF_ANY);
	bg_state_ring_free(s, slot);
}

int bg_reader_lost(const struct bg_state *s, __u32 idx, __u64 *lost)
{
	struct bg_reader rd;

	if (s->map_fd[BG_MAP_READERS] < 0 ||
	    bpf_map_lookup_elem(s->map_fd[BG_MAP_READERS], &idx, &rd))
		return -errno;
	*lost = rd.lost;
	return 0;
}

void bg_readers_gc(struct bg_state *s, bool held[BG_RUN_RINGS])
{
	int fd = s->map_fd[BG_MAP_READERS];
	struct bg_reader rd;

	for (__u32 i = 0; fd >= 0 && i < BG_MAX_READERS; i++) {
		if (bpf_map_lookup_elem(fd, &i, &rd) || !rd.ring)
			continue;
		if (bg_process_start_time((long)rd.pid) == rd.start && rd.start) {
			if (rd.ring < BG_RUN_RINGS)
				held[rd.ring] = true;
			continue;
		}
		bg_dbg("events reader %u (pid %u) is gone: freeing its ring slot %u", i, rd.pid,
		       rd.ring);
		bg_reader_remove(s, i, rd.ring);
	}
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

bool bg_state_is_current(const struct bg_state *s)
{
	char path[PATH_MAX];
	bool same;
	int fd;

	bg_pin_path(s, bg_map_names[BG_MAP_EVENTS], path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	same = map_id(fd) == map_id(s->map_fd[BG_MAP_EVENTS]);
	close(fd);
	return same;
}
