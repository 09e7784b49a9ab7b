/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which of the two BPF objects built into bindguard runs (see the Makefile):
 * chosen by loading them, never by guessing from the kernel version or BTF.
 * Pure logic, no libbpf: the loader (load.c) passes the load itself in.
 */
#ifndef BG_OBJECT_H
#define BG_OBJECT_H

#include <stddef.h>

/* full: the socket behind every hook through the bpf_cast_to_kern_ctx kfunc
 * (Linux 6.2+). compat: through bpf_skc_to_* helpers, which reach TCP and
 * IPv6 UDP sockets only (Linux 6.1). */
enum { BG_OBJ_FULL, BG_OBJ_COMPAT, BG_NR_OBJ };

#define BG_OBJECT_ENV "BINDGUARD_OBJECT"

/* "full" or "compat". */
const char *bg_object_name(int obj);

/* What the compat object gives up against the full one, in one phrase. */
extern const char bg_compat_gives_up[];

/* The objects to try, best first, from the value of BINDGUARD_OBJECT: unset
 * or empty, full then compat; "full" or "compat", that one alone. Returns
 * how many were written to order[], or -1 for any other value. */
int bg_object_order(const char *env, int order[BG_NR_OBJ]);

/* Try the objects of order[0..n) in turn with try_load(obj, arg), which
 * returns 0 when the object loaded and -errno when not; errs[obj] gets each
 * attempt's result (objects not tried keep theirs). Returns the object that
 * loaded, or -1 when every one was refused. */
int bg_object_choose(const int *order, int n, int (*try_load)(int obj, void *arg), void *arg,
		     int errs[BG_NR_OBJ]);

/* The line of a verifier log that says why a program was refused: the last
 * line with text that is not the closing statistics ("processed N insns",
 * "verification time"). Copied to buf (truncated to len); "" when there is
 * none. Returns buf. */
char *bg_verifier_reason(const char *log, char *buf, size_t len);

#endif
