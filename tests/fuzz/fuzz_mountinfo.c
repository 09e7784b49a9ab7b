// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cgroup path handling: mountinfo parsing and path ancestry on arbitrary text. */
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *text = malloc(size + 1), mnt[256], *nl;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!bg_cgroup_mount_parse(text, mnt, sizeof(mnt)) && strlen(mnt) >= sizeof(mnt))
		__builtin_trap();
	/* First line and the rest as two cgroup paths. */
	nl = strchr(text, '\n');
	if (nl) {
		*nl = '\0';
		/* Ancestry is strict: nothing is its own ancestor. */
		if (bg_cgroup_is_ancestor(text, text))
			__builtin_trap();
		if (bg_cgroup_is_ancestor(text, nl + 1) && bg_cgroup_is_ancestor(nl + 1, text))
			__builtin_trap();
	}
	free(text);
	return 0;
}
