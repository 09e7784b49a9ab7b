// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Prometheus metrics of the pinned state (metrics.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "commands.h"
#include "metrics.h"
#include "policy.h"
#include "prom.h"
#include "status.h"

int bg_metrics_write(struct bg_state *st, FILE *f)
{
	struct bg_prom_policy *pp = NULL;
	struct bg_status s;
	struct bg_prom m;
	int r;

	r = bg_status_collect(st, &s, "metrics");
	if (r)
		return r;
	if (s.n && !(pp = calloc(s.n, sizeof(*pp)))) {
		bg_status_free(&s);
		return -ENOMEM;
	}
	for (int i = 0; i < s.n; i++) {
		const struct bg_status_row *row = &s.rows[i];

		pp[i] = (struct bg_prom_policy){
			.cgroup = row->path,
			.policy = bg_preset_name(row->pol.preset),
			.mode = bg_mode_name(row->pol.mode),
			.count_allowed = row->pol.flags & BG_F_COUNT_ALLOWED,
			.allowed = row->stats.allowed,
			.denied = row->stats.denied,
			.audited = row->stats.audited,
			.rewritten = row->stats.rewritten,
			.lost = row->stats.lost,
			.refused_open = row->refused_open,
		};
	}
	m = (struct bg_prom){
		.version = BG_VERSION,
		.lost_total = s.lost_total,
		.max_policies = s.max_policies,
		.npolicies = s.n,
		.policies = pp,
	};
	r = bg_prom_write(f, &m);
	free(pp);
	bg_status_free(&s);
	return r;
}

int bg_metrics_textfile(struct bg_state *st, const char *dir)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	FILE *f = NULL;
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, BG_METRICS_TEXTFILE) >=
		    (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/%s", dir, BG_METRICS_TEXTFILE) >= (int)sizeof(dst))
		return -ENAMETOOLONG;
	/* In the same directory: rename() replaces the file in one step only
	 * within one file system. */
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		goto fail;
	}
	r = bg_metrics_write(st, f);
	if (r)
		goto fail;
	if (fflush(f) || fsync(fd) || fchmod(fd, 0644)) {
		r = -errno;
		goto fail;
	}
	if (fclose(f)) {
		f = NULL;
		r = -errno;
		goto fail;
	}
	f = NULL;
	if (rename(tmp, dst)) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	if (f)
		fclose(f);
	unlink(tmp);
	return r;
}
