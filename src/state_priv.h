/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared between state.c (loading and pins) and control.c (policy changes);
 * nothing else includes this. */
#ifndef BG_STATE_PRIV_H
#define BG_STATE_PRIV_H

#include <bpf/bpf.h>
#include "state.h"

extern const enum bpf_attach_type bg_hook_type[BG_NR_HOOKS];

/* The private ring slot this process reserved but may not have named in a
 * policy yet: garbage collection must leave it alone. */
extern __u32 bg_reserved_ring;

/* <pins>/links/<cgid>-<hook> */
void bg_link_path(const struct bg_state *s, __u64 cgid, int hook, char *buf, size_t len);
/* <pins>/rings/<slot>, or the directory for slot 0 */
void bg_ring_pin_path(const struct bg_state *s, __u32 slot, char *buf, size_t len);

int bg_read_cfg(const struct bg_state *s, struct bg_config *cfg);
int bg_write_cfg(const struct bg_state *s, const struct bg_config *cfg);
int bg_zero_stats(const struct bg_state *s, __u32 slot);
/* A map's max_entries; 0 when it cannot be read. */
__u32 bg_map_max_entries(int fd);

#endif
