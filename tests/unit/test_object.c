// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Choosing the BPF object by loading it: order, fallback, forcing, refusal. */
#include <errno.h>
#include "object.h"
#include "unit.h"

/* A kernel that accepts the objects whose bit is set in *arg, and records
 * the order it was asked in. */
struct fake_kernel {
	unsigned accepts;
	int asked[4];
	int nasked;
};

static int fake_load(int obj, void *arg)
{
	struct fake_kernel *k = arg;

	k->asked[k->nasked++] = obj;
	return k->accepts & (1u << obj) ? 0 : -EACCES;
}

TEST(object_order_from_environment)
{
	int order[BG_NR_OBJ];

	CHECK(bg_object_order(NULL, order) == 2 && order[0] == BG_OBJ_FULL &&
	      order[1] == BG_OBJ_COMPAT);
	CHECK(bg_object_order("", order) == 2 && order[0] == BG_OBJ_FULL);
	CHECK(bg_object_order("full", order) == 1 && order[0] == BG_OBJ_FULL);
	CHECK(bg_object_order("compat", order) == 1 && order[0] == BG_OBJ_COMPAT);
	/* Exact names only: a security tool does not guess. */
	CHECK(bg_object_order("Full", order) < 0);
	CHECK(bg_object_order("full,compat", order) < 0);
	CHECK(bg_object_order("comp", order) < 0);
	CHECK(bg_object_order(" full", order) < 0);
	CHECK_STR(bg_object_name(BG_OBJ_FULL), "full");
	CHECK_STR(bg_object_name(BG_OBJ_COMPAT), "compat");
}

TEST(object_preferred_then_fallback)
{
	int order[BG_NR_OBJ], errs[BG_NR_OBJ] = { 0 }, n = bg_object_order(NULL, order);
	struct fake_kernel both = { .accepts = 3 }, strict = { .accepts = 1u << BG_OBJ_COMPAT };

	/* Both load: the preferred one, and the fallback is never tried. */
	CHECK(bg_object_choose(order, n, fake_load, &both, errs) == BG_OBJ_FULL);
	CHECK(both.nasked == 1 && errs[BG_OBJ_FULL] == 0);
	/* The preferred one refused (a strict verifier): the fallback, with the
	 * refusal kept for the note. */
	CHECK(bg_object_choose(order, n, fake_load, &strict, errs) == BG_OBJ_COMPAT);
	CHECK(strict.nasked == 2 && strict.asked[0] == BG_OBJ_FULL &&
	      strict.asked[1] == BG_OBJ_COMPAT);
	CHECK(errs[BG_OBJ_FULL] == -EACCES && errs[BG_OBJ_COMPAT] == 0);
}

TEST(object_forced_and_refused)
{
	int order[BG_NR_OBJ], errs[BG_NR_OBJ] = { 0 }, n;
	struct fake_kernel only_full = { .accepts = 1u << BG_OBJ_FULL }, none = { 0 };

	/* Forced: that object alone, even where the other would load. */
	n = bg_object_order("compat", order);
	CHECK(bg_object_choose(order, n, fake_load, &only_full, errs) == -1);
	CHECK(only_full.nasked == 1 && only_full.asked[0] == BG_OBJ_COMPAT);
	/* Every object refused: -1, each error kept. */
	n = bg_object_order(NULL, order);
	CHECK(bg_object_choose(order, n, fake_load, &none, errs) == -1);
	CHECK(none.nasked == 2 && errs[BG_OBJ_FULL] == -EACCES && errs[BG_OBJ_COMPAT] == -EACCES);
}

TEST(verifier_reason_line)
{
	char buf[128];
	const char *strict =
		"9: (85) call bpf_cast_to_kern_ctx#62980  ; "
		"R0=trusted_ptr_bpf_sock_addr_kern()\n"
		"17: (85) call bpf_cgrp_storage_get#210\n"
		"R2 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_\n"
		"processed 17 insns (limit 1000000) max_states_per_insn 0 total_states 1 "
		"peak_states 1 mark_read 1\n";

	CHECK_STR(bg_verifier_reason(strict, buf, sizeof(buf)),
		  "R2 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_");
	CHECK_STR(bg_verifier_reason("R0 !read_ok\n\n  \n", buf, sizeof(buf)), "R0 !read_ok");
	CHECK_STR(bg_verifier_reason("", buf, sizeof(buf)), "");
	CHECK_STR(bg_verifier_reason(NULL, buf, sizeof(buf)), "");
	CHECK_STR(bg_verifier_reason("processed 3 insns\nverification time 5 usec\n", buf,
				     sizeof(buf)),
		  "");
	/* Truncated to the buffer, still terminated. */
	CHECK_STR(bg_verifier_reason("abcdefgh\n", buf, 4), "abc");
	CHECK_STR(bg_verifier_reason("no newline at the end", buf, sizeof(buf)),
		  "no newline at the end");
}
