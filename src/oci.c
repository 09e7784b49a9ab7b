// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* OCI hook state and annotations (oci.h), parsed with jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "oci.h"

void bg_oci_free(struct bg_oci_state *st)
{
	for (size_t i = 0; i < st->nann; i++) {
		free(st->ann[i].name);
		free(st->ann[i].value);
	}
	free(st->ann);
	st->ann = NULL;
	st->nann = 0;
}

static bool valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > BG_OCI_ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-",
			    id[i]))
			return false;
	return true;
}

/* A string member that must be there (or may be absent, when optional). */
static const char *str_member(json_t *root, const char *key, bool optional, char *err,
			      size_t errlen)
{
	json_t *v = json_object_get(root, key);

	if (!v && optional)
		return "";
	if (!json_is_string(v)) {
		snprintf(err, errlen, "state JSON: \"%s\" %s", key,
			 v ? "is not a string" : "is missing");
		return NULL;
	}
	return json_string_value(v);
}

/* Control characters would break the one-line errors that echo annotations. */
static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Our prefix of key, or NULL. */
static const char *our_prefix(const char *key)
{
	if (!strncmp(key, BG_OCI_PREFIX, strlen(BG_OCI_PREFIX)))
		return BG_OCI_PREFIX;
	if (!strncmp(key, BG_OCI_PREFIX_K8S, strlen(BG_OCI_PREFIX_K8S)))
		return BG_OCI_PREFIX_K8S;
	return NULL;
}

/* A Kubernetes namespace name: a DNS label (RFC 1123), 1 to 63 characters. */
bool bg_oci_valid_ns(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* The pod namespace as the runtime set it: containerd (its sandbox-id
 * annotation there) in io.kubernetes.cri.sandbox-namespace, CRI-O in
 * io.kubernetes.pod.namespace. A pod may pass annotations of its own through
 * (containerd's pod_annotations): the other runtime's key then does not
 * count, and two that disagree name no namespace. */
static void take_pod_ns(json_t *ann, struct bg_oci_state *st)
{
	const char *crio = json_string_value(json_object_get(ann, "io.kubernetes.pod.namespace"));
	const char *ctrd =
		json_string_value(json_object_get(ann, "io.kubernetes.cri.sandbox-namespace"));
	const char *ns;

	if (json_object_get(ann, "io.kubernetes.cri.sandbox-id"))
		ns = ctrd;
	else if (crio && ctrd && strcmp(crio, ctrd))
		ns = NULL;
	else
		ns = crio ? crio : ctrd;
	if (ns && bg_oci_valid_ns(ns))
		strcpy(st->pod_ns, ns);
}

bool bg_oci_exempt(const struct bg_oci_state *st, const char *const *ns, int nns)
{
	for (int i = 0; st->pod_ns[0] && i < nns; i++)
		if (!strcmp(st->pod_ns, ns[i]))
			return true;
	return false;
}

static int take_annotations(json_t *ann, struct bg_oci_state *st, char *err, size_t errlen)
{
	const char *key, *prefix;
	json_t *v;

	if (!ann)
		return 0;
	if (!json_is_object(ann)) {
		snprintf(err, errlen, "state JSON: \"annotations\" is not an object");
		return -1;
	}
	take_pod_ns(ann, st);
	st->ann = calloc(json_object_size(ann) + 1, sizeof(*st->ann));
	if (!st->ann) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_object_foreach(ann, key, v)
	{
		struct bg_oci_annotation *a;

		prefix = our_prefix(key);
		if (!prefix)
			continue;
		if (has_control(key)) {
			snprintf(err, errlen, "an %s* annotation name has a control character",
				 prefix);
			return -1;
		}
		/* Two spellings of one policy could disagree: one prefix only. */
		if (st->prefix && st->prefix != prefix) {
			snprintf(err, errlen,
				 "annotations with both prefixes, " BG_OCI_PREFIX
				 "* and " BG_OCI_PREFIX_K8S "*: use one");
			return -1;
		}
		st->prefix = prefix;
		if (!json_is_string(v)) {
			snprintf(err, errlen, "annotation %.64s: the value is not a string", key);
			return -1;
		}
		if (has_control(json_string_value(v))) {
			snprintf(err, errlen, "annotation %.64s: the value has a control character",
				 key);
			return -1;
		}
		a = &st->ann[st->nann];
		a->name = strdup(key + strlen(prefix));
		a->value = strdup(json_string_value(v));
		st->nann++;
		if (!a->name || !a->value) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

int bg_oci_parse(const char *buf, size_t len, struct bg_oci_state *st, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *pid;
	const char *id, *status;
	int r = -1;

	memset(st, 0, sizeof(*st));
	if (len > BG_OCI_STATE_MAX) {
		snprintf(err, errlen, "state JSON: longer than %d bytes", BG_OCI_STATE_MAX);
		return -1;
	}
	/* Duplicate keys would let two values of one annotation disagree. */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "state JSON: %.120s (line %d, column %d)", jerr.text,
			 jerr.line, jerr.column);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "state JSON: not an object");
		goto out;
	}
	id = str_member(root, "id", false, err, errlen);
	status = id ? str_member(root, "status", false, err, errlen) : NULL;
	if (!status)
		goto out;
	if (!valid_id(id)) {
		snprintf(err, errlen,
			 "state JSON: \"id\" is not a container id (1 to %d of "
			 "A-Z a-z 0-9 _ . + -)",
			 BG_OCI_ID_MAX);
		goto out;
	}
	if (strlen(status) >= sizeof(st->status) ||
	    strspn(status, "abcdefghijklmnopqrstuvwxyz") != strlen(status)) {
		snprintf(err, errlen, "state JSON: \"status\" is not a container status");
		goto out;
	}
	strcpy(st->id, id);
	strcpy(st->status, status);
	pid = json_object_get(root, "pid");
	if (pid) {
		json_int_t p = json_is_integer(pid) ? json_integer_value(pid) : -1;

		if (p < 0 || p > 4194304) {
			snprintf(err, errlen, "state JSON: \"pid\" is not a process id");
			goto out;
		}
		st->pid = (long)p;
	}
	r = take_annotations(json_object_get(root, "annotations"), st, err, errlen);
out:
	json_decref(root);
	return r;
}

/* Apply one comma-separated io.bindguard.allow value, item by item. */
static int add_allow(struct bg_policy_spec *spec, const char *value, char *err, size_t errlen)
{
	char *copy = strdup(value), *item, *save = NULL;
	int r = 0;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (item = strtok_r(copy, ",", &save); item && !r; item = strtok_r(NULL, ",", &save)) {
		char *end;

		item += strspn(item, " \t");
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*item)
			continue;
		r = bg_policy_set(spec, "allow", item, err, errlen);
	}
	free(copy);
	return r;
}

int bg_oci_policy(const struct bg_oci_state *st, struct bg_policy_spec *spec, char *err,
		  size_t errlen)
{
	const char *preset = NULL;
	char why[BG_ERRLEN];

	if (!st->nann)
		return 0;
	for (size_t i = 0; i < st->nann; i++)
		if (!strcmp(st->ann[i].name, "policy"))
			preset = st->ann[i].value;
	if (!preset) {
		snprintf(err, errlen,
			 "annotation %s%.64s without %spolicy (loopback-only or deny-wildcard)",
			 st->prefix, st->ann[0].name, st->prefix);
		return -1;
	}
	if (!strcasecmp(preset, "loopback-only")) {
		bg_policy_defaults(spec, BG_PRESET_LOOPBACK_ONLY);
	} else if (!strcasecmp(preset, "deny-wildcard")) {
		bg_policy_defaults(spec, BG_PRESET_DENY_WILDCARD);
	} else {
		snprintf(err, errlen,
			 "annotation %spolicy=%.64s: expected loopback-only or deny-wildcard",
			 st->prefix, preset);
		return -1;
	}
	for (size_t i = 0; i < st->nann; i++) {
		const struct bg_oci_annotation *a = &st->ann[i];
		int r;

		if (!strcmp(a->name, "policy"))
			continue;
		r = !strcmp(a->name, "allow")
			    ? add_allow(spec, a->value, why, sizeof(why))
			    : bg_policy_set(spec, a->name, a->value, why, sizeof(why));
		if (r == -2) {
			snprintf(err, errlen,
				 "unknown annotation %s%.64s (known: policy, allow, mode, proto, "
				 "udp-autobind, raw, ping, other-protocols, count-allowed)",
				 st->prefix, a->name);
			return -1;
		}
		if (r) {
			snprintf(err, errlen, "annotation %s%.32s: %s", st->prefix, a->name, why);
			return -1;
		}
	}
	if (bg_spec_check(spec, why, sizeof(why))) {
		snprintf(err, errlen, "annotation %sallow: %s", st->prefix, why);
		return -1;
	}
	return 1;
}

char *bg_oci_hooks_file(const char *bin, const char *const *exempt, int nexempt)
{
	json_t *args = json_pack("[s, s]", "bindguard", "oci-hook");
	json_t *f = NULL;
	char *text = NULL;

	for (int i = 0; args && i < nexempt; i++)
		if (json_array_append_new(args, json_string("--exempt-namespace")) ||
		    json_array_append_new(args, json_string(exempt[i]))) {
			json_decref(args);
			return NULL;
		}
	if (args)
		f = json_pack("{s:s, s:{s:s, s:o}, s:{s:{s:s}}, s:[s, s]}", "version", "1.0.0",
			      "hook", "path", bin, "args", args, "when", "annotations",
			      "^(io\\.bindguard\\.|bindguard\\.io/)", ".*", "stages",
			      "createRuntime", "poststop");
	if (f)
		text = json_dumps(f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(f);
	if (text) {
		char *nl = realloc(text, strlen(text) + 2);

		if (!nl) {
			free(text);
			return NULL;
		}
		text = strcat(nl, "\n");
	}
	return text;
}
