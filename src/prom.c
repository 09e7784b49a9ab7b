// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Prometheus text format of status's values (prom.h). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "json.h"
#include "prom.h"

void bg_prom_label_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		size_t u = bg_utf8_len(p + i, n - i);

		if (p[i] == '\\')
			fputs("\\\\", f);
		else if (p[i] == '"')
			fputs("\\\"", f);
		else if (p[i] == '\n')
			fputs("\\n", f);
		else if (u)
			fwrite(p + i, 1, u, f);
		else
			fputs("\xef\xbf\xbd", f); /* U+FFFD for a byte that is not UTF-8 */
		i += u ? u : 1;
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{cgroup="...",policy="...",mode="..." then the caller's labels and value. */
static void policy_labels(FILE *f, const char *name, const struct bg_prom_policy *p)
{
	fprintf(f, "%s{cgroup=\"", name);
	bg_prom_label_value(f, p->cgroup);
	fputs("\",policy=\"", f);
	bg_prom_label_value(f, p->policy);
	fputs("\",mode=\"", f);
	bg_prom_label_value(f, p->mode);
	fputc('"', f);
}

int bg_prom_write(FILE *f, const struct bg_prom *m)
{
	static const char *const verdicts[] = { "allowed", "denied", "audited", "rewritten" };

	family(f, "bindguard_binds_total", "counter",
	       "Binds decided by the policy of a cgroup, by verdict (allowed only where the "
	       "policy counts them: --count-allowed).");
	for (int i = 0; i < m->npolicies; i++) {
		const struct bg_prom_policy *p = &m->policies[i];
		const __u64 v[] = { p->allowed, p->denied, p->audited, p->rewritten };

		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			if (k == 0 && !p->count_allowed)
				continue;
			policy_labels(f, "bindguard_binds_total", p);
			fprintf(f, ",verdict=\"%s\"} %" PRIu64 "\n", verdicts[k], (uint64_t)v[k]);
		}
	}
	family(f, "bindguard_policy_events_lost_total", "counter",
	       "Events of the policy of a cgroup that could not be queued (ring full).");
	for (int i = 0; i < m->npolicies; i++) {
		policy_labels(f, "bindguard_policy_events_lost_total", &m->policies[i]);
		fprintf(f, "} %" PRIu64 "\n", (uint64_t)m->policies[i].lost);
	}
	family(f, "bindguard_refused_open_sockets", "gauge",
	       "Sockets bound before the policy of a cgroup that it refuses, still open.");
	for (int i = 0; i < m->npolicies; i++) {
		if (m->policies[i].refused_open < 0)
			continue;
		policy_labels(f, "bindguard_refused_open_sockets", &m->policies[i]);
		fprintf(f, "} %ld\n", m->policies[i].refused_open);
	}
	family(f, "bindguard_events_lost_total", "counter",
	       "Events that could not be queued, every policy's, including detached ones.");
	fprintf(f, "bindguard_events_lost_total %" PRIu64 "\n", (uint64_t)m->lost_total);
	family(f, "bindguard_policies", "gauge", "Policed cgroups (policies in force).");
	fprintf(f, "bindguard_policies %d\n", m->npolicies);
	if (m->max_policies >= 0) {
		family(f, "bindguard_policies_max", "gauge",
		       "The most policed cgroups this machine holds.");
		fprintf(f, "bindguard_policies_max %d\n", m->max_policies);
	}
	family(f, "bindguard_build_info", "gauge", "Always 1; the version of bindguard.");
	fputs("bindguard_build_info{version=\"", f);
	bg_prom_label_value(f, m->version);
	fputs("\"} 1\n", f);
	return ferror(f) ? -EIO : 0;
}
