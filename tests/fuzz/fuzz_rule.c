// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The --allow grammar and LPM compilation. Input: rules separated by newlines.
 * Invariants: parse(format(r)) == r for every accepted rule; every accepted
 * rule, compiled with the others, admits its own address and first port.
 */
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "policy.h"

#define MAX_RULES 64

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct bg_rule_src rules[MAX_RULES];
	static struct bg_lpm_entry ents[MAX_RULES];
	char *text = malloc(size + 1), *line, *save = NULL, err[BG_ERRLEN], back[128];
	size_t n = 0;
	int m;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line && n < MAX_RULES;
	     line = strtok_r(NULL, "\n", &save)) {
		struct bg_rule_src r, again;

		if (bg_rule_parse(line, &r, err, sizeof(err))) {
			if (strchr(err, '\n'))
				__builtin_trap(); /* errors are one line */
			continue;
		}
		bg_rule_format(&r, back, sizeof(back));
		if (bg_rule_parse(back, &again, err, sizeof(err)) || memcmp(&r, &again, sizeof(r)))
			__builtin_trap();
		rules[n++] = r;
	}
	m = bg_rules_compile(rules, n, 1, ents, err, sizeof(err));
	for (size_t i = 0; m >= 0 && i < n; i++)
		if (!bg_rules_match(ents, (size_t)m, rules[i].addr, rules[i].port_lo))
			__builtin_trap();
	free(text);
	return 0;
}
