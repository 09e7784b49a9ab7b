/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's /metrics endpoint (libmicrohttpd, its own thread): each
 * scrape opens the pinned state read-only and formats it (metrics.h). Only
 * a loopback address: bindguard does not listen where it tells others not to.
 */
#ifndef BG_METRICS_HTTP_H
#define BG_METRICS_HTTP_H

#include <stddef.h>

struct bg_metrics_http;

/* Is addr "127.x.y.z:PORT" or "[::1]:PORT"? 0, or -1 with err. */
int bg_metrics_http_check(const char *addr, char *err, size_t errlen);

/* Serve /metrics on addr; NULL with err. */
struct bg_metrics_http *bg_metrics_http_start(const char *addr, char *err, size_t errlen);
void bg_metrics_http_stop(struct bg_metrics_http *h);

#endif
