// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The OCI hook's input: state JSON from a runtime, annotations from whoever
 * starts a container. Invariants: no crash or leak whatever the bytes;
 * every error is one line; an accepted state has a valid id; a policy
 * the annotations select passes the same check as one from the CLI.
 */
#include <stdlib.h>
#include <string.h>
#include "oci.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct bg_policy_spec spec;
	struct bg_oci_state st;
	char err[BG_ERRLEN];
	int r;

	err[0] = '\0';
	if (bg_oci_parse((const char *)data, size, &st, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			__builtin_trap();
		bg_oci_free(&st);
		return 0;
	}
	if (!st.id[0] || strchr(st.id, '/') || st.pid < 0)
		__builtin_trap();
	err[0] = '\0';
	r = bg_oci_policy(&st, &spec, err, sizeof(err));
	if (r < 0 && (!err[0] || strchr(err, '\n')))
		__builtin_trap();
	if (r == 1 && bg_spec_check(&spec, err, sizeof(err)))
		__builtin_trap();
	if (r == 0 && st.nann)
		__builtin_trap();
	bg_oci_free(&st);
	return 0;
}
