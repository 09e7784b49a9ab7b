/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Prometheus metrics of the pinned state: what status collects
 * (status.h), in the text format (prom.h). For `status --format prom` and
 * for the agent (a node-exporter textfile, or /metrics).
 */
#ifndef BG_METRICS_H
#define BG_METRICS_H

#include <stdio.h>
#include "state.h"

/* The file bg_metrics_textfile writes in its directory. */
#define BG_METRICS_TEXTFILE "bindguard.prom"

/* Write the metrics of st to f. st is open state (bg_state_open; -ENOENT
 * state, whose maps are closed, gives no policies); neither lock nor garbage
 * collection is taken or run here: the caller's. Prints nothing itself but
 * what a failed socket scan prints (prefixed "metrics"). 0, or -errno
 * (-ENOMEM, or -EIO when f reports a write error). */
int bg_metrics_write(struct bg_state *st, FILE *f);

/* Replace DIR/bindguard.prom atomically (node-exporter's textfile
 * collector never reads a partial file): write DIR/.bindguard.prom.XXXXXX,
 * fflush and fsync it, make it 0644, rename it over the old one. 0, or
 * -errno with the temporary file removed and the old file untouched. */
int bg_metrics_textfile(struct bg_state *st, const char *dir);

#endif
