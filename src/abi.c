// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sizes of the structs shared with the BPF programs (include/bindguard.h),
 * as the BPF object's BTF has them (`bpftool btf dump file
 * .output/bindguard.bpf.o`; bg_event is not in a map, only in the ring). A
 * change of layout fails the build here first: bump BG_ABI_VERSION with it.
 */
#include "bindguard.h"

_Static_assert(sizeof(struct bg_config) == 24, "bg_config layout");
_Static_assert(sizeof(struct bg_port_range) == 4, "bg_port_range layout");
_Static_assert(sizeof(struct bg_policy) == 160, "bg_policy layout");
_Static_assert(sizeof(struct bg_rule_key) == 24, "bg_rule_key layout");
_Static_assert(sizeof(struct bg_rule_val) == 68, "bg_rule_val layout");
_Static_assert(sizeof(struct bg_rule_src) == 24, "bg_rule_src layout");
_Static_assert(sizeof(struct bg_stats) == 56, "bg_stats layout");
_Static_assert(sizeof(struct bg_event) == 88, "bg_event layout");
