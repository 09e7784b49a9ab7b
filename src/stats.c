// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "policy.h"
#include "stats.h"

int bg_state_stats(const struct bg_state *s, __u32 slot, struct bg_stats *out)
{
	struct bg_stats *v = calloc(s->ncpus, sizeof(*v));

	memset(out, 0, sizeof(*out));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(s->map_fd[BG_MAP_STATS], &slot, v)) {
		free(v);
		return -errno;
	}
	for (int c = 0; c < s->ncpus; c++) {
		out->allowed += v[c].allowed;
		out->denied += v[c].denied;
		out->audited += v[c].audited;
		out->rewritten += v[c].rewritten;
		out->lost += v[c].lost;
	}
	free(v);
	return 0;
}

int bg_zero_stats(const struct bg_state *s, __u32 slot)
{
	struct bg_stats *v = calloc(s->ncpus, sizeof(*v));
	int r = 0;

	if (!v)
		return -ENOMEM;
	if (bpf_map_update_elem(s->map_fd[BG_MAP_STATS], &slot, v, BPF_ANY))
		r = -errno;
	free(v);
	return r;
}

int bg_state_max_policies(const struct bg_state *s)
{
	__u32 n = s->map_fd[BG_MAP_STATS] >= 0 ? bg_map_max_entries(s->map_fd[BG_MAP_STATS]) : 0;

	if (!n || n > BG_MAX_POLICIES)
		n = n ? BG_MAX_POLICIES : bg_stats_slots(s->ncpus);
	return (int)n - 1; /* slot 0 is no policy's */
}
