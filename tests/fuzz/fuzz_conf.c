// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Policy files, whatever their bytes. Invariants: no crash or leak; an error
 * is one line that starts with the file's name; nothing is kept from a file
 * that fails; every accepted policy names a cgroup under the root (never the
 * root) and passes the same check as one from the CLI.
 */
#include <stdlib.h>
#include <string.h>
#include "conf.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct bg_conf c = { 0 };
	char err[BG_ERRLEN], *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (bg_conf_parse(&c, "f.conf", text, err, sizeof(err))) {
		if (strncmp(err, "f.conf:", 7) || strchr(err, '\n') || c.n)
			__builtin_trap();
	} else {
		for (size_t i = 0; i < c.n; i++)
			if (c.p[i].cgroup[0] != '/' || !c.p[i].cgroup[1] ||
			    bg_spec_check(&c.p[i].spec, err, sizeof(err)) ||
			    c.p[i].spec.preset == BG_PRESET_NONE)
				__builtin_trap();
	}
	bg_conf_free(&c);
	free(text);
	return 0;
}
