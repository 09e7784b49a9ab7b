// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* runc's state.json and a bundle's annotations (runcstate.h), with jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "runcstate.h"

int bg_runc_state_parse(const char *buf, size_t len, struct bg_runc_state *rs, char *err,
			size_t errlen)
{
	json_error_t jerr;
	json_t *root, *pid, *start, *labels, *l;
	size_t i;
	int r = -1;

	memset(rs, 0, sizeof(*rs));
	if (len > BG_RUNC_FILE_MAX) {
		snprintf(err, errlen, "state.json: longer than %d bytes", BG_RUNC_FILE_MAX);
		return -1;
	}
	root = json_loadb(buf, len, 0, &jerr);
	if (!root) {
		snprintf(err, errlen, "state.json: %.120s (line %d)", jerr.text, jerr.line);
		return -1;
	}
	pid = json_object_get(root, "init_process_pid");
	start = json_object_get(root, "init_process_start");
	labels = json_object_get(json_object_get(root, "config"), "labels");
	if (!json_is_integer(pid) || json_integer_value(pid) <= 0 ||
	    json_integer_value(pid) > 4194304) {
		snprintf(err, errlen, "state.json: no init_process_pid");
		goto out;
	}
	/* 0 is what a process that is gone has (bg_process_start_time). */
	if (!json_is_integer(start) || json_integer_value(start) <= 0) {
		snprintf(err, errlen, "state.json: no init_process_start");
		goto out;
	}
	rs->pid = (long)json_integer_value(pid);
	rs->start = (unsigned long long)json_integer_value(start);
	/* runc lists the annotations as labels, then its own bundle= last: an
	 * annotation named "bundle" must not choose the config read. */
	json_array_foreach(labels, i, l)
	{
		const char *s = json_string_value(l);

		rs->bundle[0] = '\0';
		if (s && !strncmp(s, "bundle=", 7) && s[7] == '/' &&
		    strlen(s + 7) < sizeof(rs->bundle))
			strcpy(rs->bundle, s + 7);
	}
	if (!rs->bundle[0]) {
		snprintf(err, errlen, "state.json: no bundle= label");
		goto out;
	}
	r = 0;
out:
	json_decref(root);
	return r;
}

int bg_runc_oci_state(const char *id, long pid, const char *config, size_t len,
		      struct bg_oci_state *os, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *cfg, *ann, *state = NULL;
	char *text = NULL;
	int r = -1;

	memset(os, 0, sizeof(*os));
	if (len > BG_RUNC_FILE_MAX) {
		snprintf(err, errlen, "config.json: longer than %d bytes", BG_RUNC_FILE_MAX);
		return -1;
	}
	cfg = json_loadb(config, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(cfg)) {
		snprintf(err, errlen, "config.json: %.120s", cfg ? "not an object" : jerr.text);
		goto out;
	}
	/* The state a runtime gives its hooks (OCI runtime spec, "State"). */
	ann = json_object_get(cfg, "annotations");
	if (json_is_null(ann))
		ann = NULL; /* as absent */
	state = json_pack("{s:s, s:s, s:s, s:I, s:O*}", "ociVersion", "1.0.2", "id", id, "status",
			  "running", "pid", (json_int_t)pid, "annotations", ann);
	text = state ? json_dumps(state, JSON_COMPACT) : NULL;
	if (!text) {
		snprintf(err, errlen, "config.json: cannot restate it (id %.64s)", id);
		goto out;
	}
	r = bg_oci_parse(text, strlen(text), os, err, errlen);
out:
	free(text);
	json_decref(state);
	json_decref(cfg);
	return r;
}
