// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* OCI hook state and annotations (oci.c), and bg_policy_set, which they share with the CLI. */
#include <stdlib.h>
#include <string.h>
#include "container.h"
#include "oci.h"
#include "policy.h"
#include "unit.h"

static int parse(const char *json, struct bg_oci_state *st, char *err)
{
	return bg_oci_parse(json, strlen(json), st, err, BG_ERRLEN);
}

/* 1, 0 or -1 as bg_oci_policy, from a JSON object of annotations. */
static int policy_of(const char *annotations, struct bg_policy_spec *spec, char *err)
{
	char json[1024];
	struct bg_oci_state st;
	int r;

	snprintf(json, sizeof(json),
		 "{\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,"
		 "\"annotations\":%s}",
		 annotations);
	if (parse(json, &st, err)) {
		bg_oci_free(&st);
		return -9;
	}
	r = bg_oci_policy(&st, spec, err, BG_ERRLEN);
	bg_oci_free(&st);
	return r;
}

TEST(oci_state_keeps_id_status_pid_and_our_annotations)
{
	struct bg_oci_state st;
	char err[BG_ERRLEN];

	CHECK(parse("{\"ociVersion\":\"1.0.2\",\"id\":\"abc_1.2-3\",\"status\":\"creating\","
		    "\"pid\":3014,\"bundle\":\"/b\",\"annotations\":{\"io.bindguard.policy\":"
		    "\"loopback-only\",\"io.podman.x\":\"y\",\"io.bindguard.allow\":\"*:80\"}}",
		    &st, err) == 0);
	CHECK_STR(st.id, "abc_1.2-3");
	CHECK_STR(st.status, "creating");
	CHECK(st.pid == 3014);
	CHECK(st.nann == 2);
	bg_oci_free(&st);
	/* poststop: no pid */
	CHECK(parse("{\"id\":\"a\",\"status\":\"stopped\"}", &st, err) == 0);
	CHECK(st.pid == 0 && st.nann == 0);
	bg_oci_free(&st);
}

TEST(oci_state_refuses_what_it_cannot_trust)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"status\":\"creating\"}",
		"{\"id\":\"a\"}",
		"{\"id\":\"\",\"status\":\"creating\"}",
		"{\"id\":\"..\",\"status\":\"creating\"}",
		"{\"id\":\"a/b\",\"status\":\"creating\"}",
		"{\"id\":7,\"status\":\"creating\"}",
		"{\"id\":\"a\",\"status\":\"creating\",\"pid\":\"1\"}",
		"{\"id\":\"a\",\"status\":\"creating\",\"pid\":-1}",
		"{\"id\":\"a\",\"status\":\"creating\",\"pid\":99999999999}",
		"{\"id\":\"a\",\"status\":\"a-very-long-status-word\"}",
		"{\"id\":\"a\",\"status\":\"creating\",\"annotations\":[]}",
		"{\"id\":\"a\",\"status\":\"creating\",\"annotations\":{\"io.bindguard.policy\":1}"
		"}",
		"{\"id\":\"a\",\"id\":\"b\",\"status\":\"creating\"}",
		"{\"id\":\"a\",\"status\":\"creating\"} trailing",
	};
	struct bg_oci_state st;
	char err[BG_ERRLEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(parse(bad[i], &st, err) == -1);
		CHECK(err[0] && !strchr(err, '\n'));
		bg_oci_free(&st);
	}
}

TEST(oci_annotations_select_the_policy)
{
	static struct bg_policy_spec spec;
	char err[BG_ERRLEN], buf[64];

	CHECK(policy_of("{}", &spec, err) == 0);
	CHECK(policy_of("{\"other\":\"x\"}", &spec, err) == 0);
	CHECK(policy_of("{\"io.bindguard.policy\":\"deny-wildcard\"}", &spec, err) == 1);
	CHECK(spec.preset == BG_PRESET_DENY_WILDCARD && spec.mode == BG_MODE_ENFORCE);
	CHECK(spec.flags == BG_F_UDP_AUDIT && spec.nrules == 0);
	CHECK(policy_of("{\"io.bindguard.policy\":\"loopback-only\",\"io.bindguard.allow\":"
			" \" 0.0.0.0:8080, [::]:8080 ,,\",\"io.bindguard.mode\":\"audit\","
			"\"io.bindguard.proto\":\"tcp\",\"io.bindguard.udp-autobind\":\"deny\","
			"\"io.bindguard.raw\":\"deny\",\"io.bindguard.ping\":\"allow\","
			"\"io.bindguard.other-protocols\":\"allow\","
			"\"io.bindguard.count-allowed\":\"true\"}",
			&spec, err) == 1);
	CHECK(spec.preset == BG_PRESET_LOOPBACK_ONLY && spec.mode == BG_MODE_AUDIT);
	CHECK(spec.proto_mask == BG_PROTO_TCP);
	CHECK(spec.flags == (BG_F_UDP_DENY | BG_F_RAW_DENY | BG_F_PING_ALLOW | BG_F_OTHER_ALLOW |
			     BG_F_COUNT_ALLOWED));
	CHECK(spec.nrules == 2);
	bg_rule_format(&spec.rules[0], buf, sizeof(buf));
	CHECK_STR(buf, "0.0.0.0:8080");
	bg_rule_format(&spec.rules[1], buf, sizeof(buf));
	CHECK_STR(buf, "[::]:8080");
}

/* A pod's annotations (bindguard.io/...), as CRI-O and containerd can pass them
 * on: the same names and values as io.bindguard.*. */
TEST(oci_kubernetes_annotations_select_the_policy)
{
	static struct bg_policy_spec spec;
	char err[BG_ERRLEN];

	CHECK(policy_of("{\"bindguard.io/policy\":\"loopback-only\",\"bindguard.io/allow\":"
			"\"0.0.0.0:8080\",\"bindguard.io/mode\":\"rewrite\","
			"\"io.kubernetes.pod.name\":\"web\"}",
			&spec, err) == 1);
	CHECK(spec.preset == BG_PRESET_LOOPBACK_ONLY && spec.mode == BG_MODE_REWRITE);
	CHECK(spec.nrules == 1);
	/* Near misses are not ours: not policed, as any other annotation. */
	CHECK(policy_of("{\"bindguard.io.policy\":\"loopback-only\",\"x.bindguard.io/policy\":"
			"\"loopback-only\"}",
			&spec, err) == 0);
}

TEST(oci_annotations_that_fail_closed)
{
	static const struct {
		const char *ann, *says;
	} bad[] = {
		{ "{\"io.bindguard.mode\":\"audit\"}", "without io.bindguard.policy" },
		{ "{\"io.bindguard.policy\":\"open\"}", "expected loopback-only or deny-wildcard" },
		{ "{\"io.bindguard.policy\":\"loopback-only\",\"io.bindguard.alow\":\"x\"}",
		  "unknown annotation io.bindguard.alow" },
		{ "{\"io.bindguard.policy\":\"loopback-only\",\"io.bindguard.\":\"x\"}",
		  "unknown annotation" },
		{ "{\"io.bindguard.policy\":\"loopback-only\",\"io.bindguard.mode\":\"loose\"}",
		  "io.bindguard.mode: loose: expected enforce, audit or rewrite" },
		{ "{\"io.bindguard.policy\":\"loopback-only\",\"io.bindguard.allow\":\"1.2.3.4/"
		  "40\"}",
		  "io.bindguard.allow" },
		{ "{\"io.bindguard.policy\":\"loopback-only\",\"io.bindguard.count-allowed\":"
		  "\"yes\"}",
		  "expected false or true" },
		/* The Kubernetes spelling: errors name the key as written. */
		{ "{\"bindguard.io/mode\":\"audit\"}",
		  "bindguard.io/mode without bindguard.io/policy" },
		{ "{\"bindguard.io/policy\":\"open\"}", "bindguard.io/policy=open: expected" },
		{ "{\"bindguard.io/policy\":\"loopback-only\",\"bindguard.io/alow\":\"x\"}",
		  "unknown annotation bindguard.io/alow" },
		{ "{\"bindguard.io/policy\":\"loopback-only\",\"bindguard.io/allow\":\"1.2.3.4/"
		  "40\"}",
		  "bindguard.io/allow" },
	};
	static struct bg_policy_spec spec;
	char err[BG_ERRLEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(policy_of(bad[i].ann, &spec, err) == -1);
		if (!strstr(err, bad[i].says))
			unit_fail(__FILE__, __LINE__, err);
	}
	/* Both spellings at once, even agreeing: refused as the state is read. */
	CHECK(policy_of("{\"bindguard.io/policy\":\"loopback-only\",\"io.bindguard.policy\":"
			"\"loopback-only\"}",
			&spec, err) == -9);
	CHECK(strstr(err, "both prefixes") != NULL);
	CHECK(policy_of("{\"io.bindguard.policy\":\"loopback-only\",\"bindguard.io/mode\":"
			"\"audit\"}",
			&spec, err) == -9);
	CHECK(strstr(err, "both prefixes") != NULL);
}

TEST(policy_set_is_the_cli_grammar)
{
	static struct bg_policy_spec spec;
	char err[BG_ERRLEN];

	bg_policy_defaults(&spec, BG_PRESET_LOOPBACK_ONLY);
	CHECK(bg_policy_set(&spec, "udp-autobind", "allow", err, sizeof(err)) == 0);
	CHECK(!(spec.flags & (BG_F_UDP_AUDIT | BG_F_UDP_DENY)));
	CHECK(bg_policy_set(&spec, "udp-autobind", "never", err, sizeof(err)) == -1);
	CHECK_STR(err, "never: expected allow, audit or deny");
	CHECK(!(spec.flags & (BG_F_UDP_AUDIT | BG_F_UDP_DENY))); /* unchanged on error */
	CHECK(bg_policy_set(&spec, "count-allowed", NULL, err, sizeof(err)) == 0);
	CHECK(spec.flags & BG_F_COUNT_ALLOWED);
	CHECK(bg_policy_set(&spec, "count-allowed", "false", err, sizeof(err)) == 0);
	CHECK(!(spec.flags & BG_F_COUNT_ALLOWED));
	CHECK(bg_policy_set(&spec, "proto", NULL, err, sizeof(err)) == -1);
	CHECK(bg_policy_set(&spec, "policy", "x", err, sizeof(err)) == -2);
}

TEST(container_names_are_checked_before_any_runtime_is_asked)
{
	CHECK(bg_container_name_ok("web"));
	CHECK(bg_container_name_ok("3f2a9c_b.d-e"));
	CHECK(!bg_container_name_ok(""));
	CHECK(!bg_container_name_ok("-x"));
	CHECK(!bg_container_name_ok("--format={{.}}"));
	CHECK(!bg_container_name_ok(".hidden"));
	CHECK(!bg_container_name_ok("a b"));
	CHECK(!bg_container_name_ok("a/b"));
}

TEST(oci_pod_namespace_from_crio_or_containerd_exempts_listed_ones)
{
	static const char *const exempt[] = { "bindguard", "kube-system" };
	struct bg_oci_state st;
	char err[BG_ERRLEN];

	CHECK(parse("{\"id\":\"a\",\"status\":\"creating\",\"annotations\":{"
		    "\"io.kubernetes.pod.namespace\":\"bindguard\"}}",
		    &st, err) == 0);
	CHECK_STR(st.pod_ns, "bindguard");
	CHECK(bg_oci_exempt(&st, exempt, 2));
	CHECK(!bg_oci_exempt(&st, exempt, 0));
	bg_oci_free(&st);
	CHECK(parse("{\"id\":\"a\",\"status\":\"creating\",\"annotations\":{"
		    "\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\","
		    "\"bindguard.io/policy\":\"bogus\"}}",
		    &st, err) == 0);
	CHECK(bg_oci_exempt(&st, exempt, 2));
	bg_oci_free(&st);
	/* Another namespace, none, or not a namespace name: not exempt. */
	static const char *const others[] = {
		"{\"io.kubernetes.pod.namespace\":\"default\"}",
		"{}",
		"{\"io.kubernetes.pod.namespace\":\"Bindguard\"}",
		"{\"io.kubernetes.pod.namespace\":\"bindguard/x\"}",
		"{\"io.kubernetes.pod.namespace\":7}",
		"{\"io.bindguard.namespace\":\"bindguard\"}",
		/* containerd's pod passing CRI-O's key through, or two that disagree */
		"{\"io.kubernetes.cri.sandbox-id\":\"abc\",\"io.kubernetes.cri.sandbox-namespace\":"
		"\"web\",\"io.kubernetes.pod.namespace\":\"bindguard\"}",
		"{\"io.kubernetes.cri.sandbox-namespace\":\"web\",\"io.kubernetes.pod.namespace\":"
		"\"bindguard\"}",
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		char json[256];

		snprintf(json, sizeof(json),
			 "{\"id\":\"a\",\"status\":\"creating\",\"annotations\":%s}", others[i]);
		CHECK(parse(json, &st, err) == 0);
		CHECK(!bg_oci_exempt(&st, exempt, 2));
		bg_oci_free(&st);
	}
}

TEST(oci_hooks_file_runs_the_hook_for_either_spelling)
{
	static const char *const ns[] = { "bindguard" };
	char *t = bg_oci_hooks_file("/opt/bindguard/bin/bindguard", ns, 1);

	CHECK(t != NULL);
	CHECK(strstr(t, "\"version\": \"1.0.0\"") != NULL);
	CHECK(strstr(t, "\"path\": \"/opt/bindguard/bin/bindguard\"") != NULL);
	CHECK(strstr(t, "\"oci-hook\",\n      \"--exempt-namespace\",\n      \"bindguard\"") !=
	      NULL);
	CHECK(strstr(t, "\"^(io\\\\.bindguard\\\\.|bindguard\\\\.io/)\": \".*\"") != NULL);
	CHECK(strstr(t, "\"createRuntime\",\n    \"poststop\"") != NULL);
	free(t);
}
