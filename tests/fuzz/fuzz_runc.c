// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The agent's rescan input: runc's state.json and a bundle's config.json,
 * files written by the runtime (root) from what whoever starts a container
 * gave it. The input is split at the first NUL: state.json, then
 * config.json. Invariants: no crash or leak whatever the bytes; every
 * error is one line; an accepted state has a pid and an absolute bundle; a
 * restated hook state has a valid id and our annotations only.
 */
#include <stdlib.h>
#include <string.h>
#include "oci.h"
#include "runcstate.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *s = (const char *)data, *nul = memchr(s, '\0', size);
	size_t slen = nul ? (size_t)(nul - s) : size;
	struct bg_runc_state rs;
	struct bg_oci_state os;
	char err[BG_ERRLEN];

	err[0] = '\0';
	if (bg_runc_state_parse(s, slen, &rs, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			__builtin_trap();
	} else if (rs.pid <= 0 || rs.bundle[0] != '/') {
		__builtin_trap();
	}
	if (!nul)
		return 0;
	err[0] = '\0';
	if (bg_runc_oci_state("c1", 42, nul + 1, size - slen - 1, &os, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			__builtin_trap();
	} else {
		if (strcmp(os.id, "c1") || os.pid != 42)
			__builtin_trap();
		for (size_t i = 0; i < os.nann; i++)
			if (!os.ann[i].name || !os.ann[i].value)
				__builtin_trap();
	}
	bg_oci_free(&os);
	return 0;
}
