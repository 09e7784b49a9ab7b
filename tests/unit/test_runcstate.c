// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* runc's state.json and a bundle's annotations (runcstate.c). */
#include <string.h>
#include "oci.h"
#include "runcstate.h"
#include "unit.h"

TEST(runc_state_gives_pid_start_and_bundle)
{
	static const char js[] =
		"{\"id\":\"c1\",\"init_process_pid\":4242,\"init_process_start\":98765,"
		"\"created\":\"2026-12-06T00:00:00Z\",\"config\":{\"rootfs\":\"/r\","
		"\"labels\":[\"io.x=y\",\"bundle=/run/containerd/io.containerd.runtime.v2.task/"
		"k8s.io/c1\"]},\"cgroup_paths\":{}}";
	struct bg_runc_state rs;
	char err[BG_ERRLEN];

	CHECK(bg_runc_state_parse(js, strlen(js), &rs, err, sizeof(err)) == 0);
	CHECK(rs.pid == 4242);
	CHECK(rs.start == 98765);
	CHECK(!strcmp(rs.bundle, "/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1"));
	/* An annotation named bundle comes first (runc lists annotations, then
	 * its own bundle= last): not the bundle read. */
	static const char ann[] = "{\"init_process_pid\":7,\"init_process_start\":9,\"config\":{"
				  "\"labels\":[\"bundle=/evil\",\"bundle=/real\"]}}";
	CHECK(bg_runc_state_parse(ann, strlen(ann), &rs, err, sizeof(err)) == 0);
	CHECK(!strcmp(rs.bundle, "/real"));
}

TEST(runc_state_refuses_what_it_cannot_use)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"init_process_start\":1,\"config\":{\"labels\":[\"bundle=/b\"]}}",
		"{\"init_process_pid\":0,\"init_process_start\":1,\"config\":{\"labels\":[\"bundle="
		"/b\"]}}",
		"{\"init_process_pid\":\"7\",\"init_process_start\":1,\"config\":{\"labels\":["
		"\"bundle=/b\"]}}",
		"{\"init_process_pid\":7,\"config\":{\"labels\":[\"bundle=/b\"]}}",
		"{\"init_process_pid\":7,\"init_process_start\":1,\"config\":{}}",
		"{\"init_process_pid\":7,\"init_process_start\":1,\"config\":{\"labels\":[\"bundle="
		"rel\"]}}",
		"{\"init_process_pid\":7,\"init_process_start\":0,\"config\":{\"labels\":[\"bundle="
		"/b\"]}}",
		"{\"init_process_pid\":7,\"init_process_start\":1,\"config\":{\"labels\":[\"bundle="
		"/b\",\"x=y\"]}}",
	};
	struct bg_runc_state rs;
	char err[BG_ERRLEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(bg_runc_state_parse(bad[i], strlen(bad[i]), &rs, err, sizeof(err)) == -1);
		CHECK(err[0] != '\0');
	}
}

TEST(runc_bundle_config_gives_the_hook_state)
{
	static const char cfg[] =
		"{\"ociVersion\":\"1.0.2\",\"process\":{},\"annotations\":{"
		"\"bindguard.io/policy\":\"loopback-only\",\"bindguard.io/allow\":\"*:8080\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"web\"}}";
	struct bg_oci_state os;
	char err[BG_ERRLEN];

	CHECK(bg_runc_oci_state("c1", 4242, cfg, strlen(cfg), &os, err, sizeof(err)) == 0);
	CHECK_STR(os.id, "c1");
	CHECK(os.pid == 4242);
	CHECK(os.nann == 2);
	CHECK_STR(os.pod_ns, "web");
	bg_oci_free(&os);
	/* No annotations (absent or null): a container that is not ours. */
	CHECK(bg_runc_oci_state("c2", 1, "{}", 2, &os, err, sizeof(err)) == 0);
	CHECK(os.nann == 0);
	bg_oci_free(&os);
	CHECK(bg_runc_oci_state("c2", 1, "{\"annotations\":null}", 20, &os, err, sizeof(err)) == 0);
	CHECK(os.nann == 0);
	bg_oci_free(&os);
	/* Duplicate keys, a bad id: refused. */
	CHECK(bg_runc_oci_state("c3", 1, "{\"a\":1,\"a\":2}", 13, &os, err, sizeof(err)) == -1);
	bg_oci_free(&os);
	CHECK(bg_runc_oci_state("../x", 1, cfg, strlen(cfg), &os, err, sizeof(err)) == -1);
	bg_oci_free(&os);
}
