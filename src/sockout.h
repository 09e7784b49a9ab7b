/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The sockets of a scan as text and JSON (sockets, the apply commands, status). */
#ifndef BG_SOCKOUT_H
#define BG_SOCKOUT_H

#include <stdio.h>
#include "json.h"
#include "sockets.h"

/* "tcp 0.0.0.0:8080 pid 42 (python3) in /svc: denied (wildcard) by loopback-only@/svc" */
void bg_open_text(FILE *f, const struct bg_scan *sc, const struct bg_open *o);

/* Header and one row of the sockets table. */
void bg_open_table_header(FILE *f);
void bg_open_table_row(FILE *f, const struct bg_scan *sc, const struct bg_open *o);

/* One socket as a JSON object (the value of the current key or array slot). */
void bg_open_json(struct bg_json *j, const struct bg_scan *sc, const struct bg_open *o);

#endif
