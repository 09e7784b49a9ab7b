// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Policy files (conf.c): the grammar, its errors (FILE:LINE: what), and the
 * directories' masking and order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "conf.h"
#include "unit.h"

static int parse(const char *text, struct bg_conf *c, char *err)
{
	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	return bg_conf_parse(c, "web.conf", text, err, BG_ERRLEN);
}

TEST(conf_reads_policies_in_systemd_style)
{
	struct bg_conf c;
	char err[BG_ERRLEN], text[512];

	CHECK(parse("# web\n[Policy]\nCgroup=/system.slice/web.service\nPreset=loopback-only\n"
		    "Allow=0.0.0.0:8080\nAllow = [::1]:9000-9001\nMode=audit\nUDPAutobind=deny\n"
		    "Raw=deny\nCountAllowed=yes\n\n; "
		    "next\n[Policy]\nCgroup=/system.slice/*.service\n"
		    "Preset=deny-wildcard\nProto=tcp\n",
		    &c, err) == 0);
	CHECK_STR(err, "");
	CHECK(c.n == 2);
	CHECK(!strcmp(c.p[0].where, "web.conf:2"));
	CHECK(!strcmp(c.p[0].cgroup, "/system.slice/web.service"));
	CHECK(!c.p[0].glob && c.p[1].glob);
	CHECK(c.p[0].spec.nrules == 2);
	bg_conf_spec_text(&c.p[0].spec, text, sizeof(text));
	CHECK_STR(text,
		  "loopback-only mode=audit proto=all udp-autobind=deny raw=deny ping=confine "
		  "other-protocols=deny count-allowed=yes allow=[::1]:9000-9001,0.0.0.0:8080");
	CHECK(!strcmp(c.p[1].where, "web.conf:13"));
	bg_conf_spec_text(&c.p[1].spec, text, sizeof(text));
	CHECK_STR(text, "deny-wildcard mode=enforce proto=tcp udp-autobind=audit raw=allow "
			"ping=confine other-protocols=deny count-allowed=no allow=");
	bg_conf_free(&c);
}

TEST(conf_empty_allow_clears_the_list)
{
	struct bg_conf c;
	char err[BG_ERRLEN];

	CHECK(parse("[Policy]\nCgroup=/a\nPreset=loopback-only\nAllow=10.0.0.0/8\nAllow=\n"
		    "Allow=127.0.0.2\n",
		    &c, err) == 0);
	CHECK(c.n == 1 && c.p[0].spec.nrules == 1);
	bg_conf_free(&c);
}

/* Each broken text gives exactly this one-line error. */
TEST(conf_errors_name_file_line_and_what_was_expected)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "[Policy]\nCgroup=/a\n", "web.conf:1: [Policy] needs Preset= (loopback-only or "
					   "deny-wildcard)" },
		{ "[Policy]\nPreset=loopback-only\n",
		  "web.conf:1: [Policy] needs Cgroup= (the cgroup it polices)" },
		{ "[Policy]\nCgroup=/a\nPreset=open\n",
		  "web.conf:3: Preset=open: expected loopback-only or deny-wildcard" },
		{ "[Policy]\nCgroup=/a\nPreset=loopback-only\nMode=loud\n",
		  "web.conf:4: Mode=loud: expected enforce, audit or rewrite" },
		{ "[Policy]\nCgroup=/a\nPreset=loopback-only\nAllow=1.2.3.4/8\n", NULL },
		{ "[Policy]\nCgroup=/a\nPreset=loopback-only\nColour=red\n",
		  "web.conf:4: Colour=: unknown key (expected Cgroup, Preset, Allow, Mode, Proto, "
		  "UDPAutobind, Raw, Ping, OtherProtocols or CountAllowed)" },
		{ "Cgroup=/a\n",
		  "web.conf:1: Cgroup= before any section (expected [Policy] first)" },
		{ "[Service]\nCgroup=/a\n",
		  "web.conf:1: [Service]: unknown section (expected [Policy])" },
		{ "[Policy]\n[Policy]\nCgroup=/a\nPreset=loopback-only\n",
		  "web.conf:1: [Policy] with no keys (expected Cgroup= and Preset=)" },
		{ "[Policy]\nCgroup=/a\nPreset=loopback-only\n[Policy]\n",
		  "web.conf:4: [Policy] with no keys (expected Cgroup= and Preset=)" },
		{ "[Policy]\nCgroup=/\nPreset=loopback-only\n",
		  "web.conf:2: Cgroup=/: bindguard never polices the root cgroup" },
		{ "[Policy]\nCgroup=a/b\n",
		  "web.conf:2: Cgroup=a/b: expected a path from the cgroup "
		  "v2 root, such as /system.slice/web.service" },
		{ "[Policy]\nCgroup=/a/../b\n",
		  "web.conf:2: Cgroup=/a/../b: expected a plain path (no //, . or ..)" },
		{ "[Policy]\nCgroup=/a\nCgroup=/b\n",
		  "web.conf:3: Cgroup= given twice in one [Policy] (one section per cgroup)" },
		{ "[Policy]\nCgroup=/a\nPreset=loopback-only\nCountAllowed=maybe\n",
		  "web.conf:4: CountAllowed=maybe: expected yes or no" },
		{ "[Policy]\nCgroup=/a\nPreset=loopback-only\nMode=\n",
		  "web.conf:4: Mode=: needs a value" },
		{ "[Policy]\nCgroup /a\n",
		  "web.conf:2: expected [Section], Key=Value or a comment (# or ;)" },
		{ "[Policy]\nCgroup=/a\x01\n",
		  "web.conf:2: control character 0x01 (expected text)" },
		{ "[Policy]\nCgroup=/a\nPreset=loopback-only ; inline\n",
		  "web.conf:3: Preset=loopback-only ; inline: expected loopback-only or "
		  "deny-wildcard" },
	};
	char err[BG_ERRLEN];
	struct bg_conf c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(parse(cases[i].text, &c, err) == -1);
		CHECK(c.n == 0);
		CHECK(!strchr(err, '\n'));
		if (cases[i].err)
			CHECK_STR(err, cases[i].err);
		else
			CHECK(!strncmp(err, "web.conf:4: Allow=", 18));
		bg_conf_free(&c);
	}
}

TEST(conf_overlong_line_is_an_error_not_two_lines)
{
	char *text = malloc(9000), err[BG_ERRLEN];
	struct bg_conf c;

	strcpy(text, "[Policy]\nCgroup=/");
	memset(text + strlen(text), 'a', 8000);
	strcpy(text + 17 + 8000, "\nPreset=loopback-only\n");
	CHECK(parse(text, &c, err) == -1);
	CHECK(!strncmp(err, "web.conf:2: line longer than", 28));
	free(text);
}

TEST(conf_match_prefers_exact_then_first_glob)
{
	struct bg_conf c;
	char err[BG_ERRLEN];

	CHECK(parse("[Policy]\nCgroup=/s/*.service\nPreset=deny-wildcard\n"
		    "[Policy]\nCgroup=/s/web*\nPreset=deny-wildcard\nMode=audit\n"
		    "[Policy]\nCgroup=/s/web.service\nPreset=loopback-only\n",
		    &c, err) == 0);
	CHECK(bg_conf_match(&c, "/s/web.service") == &c.p[2]);
	CHECK(bg_conf_match(&c, "/s/db.service") == &c.p[0]);
	CHECK(bg_conf_match(&c, "/s/webby") == &c.p[1]);
	CHECK(bg_conf_match(&c, "/s/x/y.service") == NULL); /* * stays in one directory */
	CHECK(bg_conf_match(&c, "/s/.hidden.service") == NULL);
	CHECK(bg_conf_match(&c, "/t") == NULL);
	bg_conf_free(&c);
}

/* Every container of a QoS class, with each kubelet cgroup driver's layout:
 * systemd (kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid>.slice/
 * <runtime>-<id>.scope; a pod uid's dashes become underscores) and cgroupfs
 * (kubepods/<qos>/pod<uid>/<id>). Guaranteed pods sit right below kubepods. */
TEST(conf_globs_select_kubernetes_pods_by_qos_class)
{
	static const char *text =
		"[Policy]\nCgroup=/kubepods.slice/kubepods-besteffort.slice/"
		"kubepods-besteffort-pod*.slice/*.scope\nPreset=loopback-only\n"
		"[Policy]\nCgroup=/kubepods/besteffort/pod*/*\nPreset=loopback-only\n"
		"[Policy]\nCgroup=/kubepods.slice/kubepods-pod*.slice/cri-containerd-*.scope\n"
		"Preset=deny-wildcard\n";
	const char *uid_sd = "0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0";
	const char *uid_fs = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
	char path[512], err[BG_ERRLEN];
	struct bg_conf c;

	CHECK(parse(text, &c, err) == 0);
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%s.slice/"
		 "cri-containerd-4f2a9c.scope",
		 uid_sd);
	CHECK(bg_conf_match(&c, path) == &c.p[0]);
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%s.slice/"
		 "crio-4f2a9c.scope",
		 uid_sd);
	CHECK(bg_conf_match(&c, path) == &c.p[0]);
	/* The pod's own slice is not a container. */
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%s.slice",
		 uid_sd);
	CHECK(bg_conf_match(&c, path) == NULL);
	/* Another QoS class is not matched. */
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s.slice/"
		 "cri-containerd-4f2a9c.scope",
		 uid_sd);
	CHECK(bg_conf_match(&c, path) == NULL);
	snprintf(path, sizeof(path), "/kubepods/besteffort/pod%s/4f2a9c0d1e", uid_fs);
	CHECK(bg_conf_match(&c, path) == &c.p[1]);
	snprintf(path, sizeof(path), "/kubepods/burstable/pod%s/4f2a9c0d1e", uid_fs);
	CHECK(bg_conf_match(&c, path) == NULL);
	snprintf(path, sizeof(path), "/kubepods.slice/kubepods-pod%s.slice/cri-containerd-9e.scope",
		 uid_sd);
	CHECK(bg_conf_match(&c, path) == &c.p[2]);
	bg_conf_free(&c);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

TEST(conf_directories_mask_by_name_and_read_in_lexical_order)
{
	char etc[] = "/tmp/bg-conf-etc-XXXXXX", vendor[] = "/tmp/bg-conf-lib-XXXXXX";
	const char *dirs[2];
	char err[BG_ERRLEN], cmd[128];
	struct bg_conf c = { 0 };

	CHECK(mkdtemp(etc) && mkdtemp(vendor));
	dirs[0] = etc;
	dirs[1] = vendor;
	put(vendor, "50-web.conf", "[Policy]\nCgroup=/web\nPreset=deny-wildcard\n");
	put(vendor, "10-db.conf", "[Policy]\nCgroup=/db\nPreset=deny-wildcard\n");
	put(vendor, "70-off.conf", "[Policy]\nCgroup=/off\nPreset=deny-wildcard\n");
	put(vendor, "README", "not a policy file");
	put(etc, "50-web.conf", "[Policy]\nCgroup=/web\nPreset=loopback-only\n");
	put(etc, "70-off.conf", ""); /* masks the vendor file, polices nothing */
	put(etc, "20-cache.conf", "[Policy]\nCgroup=/cache\nPreset=loopback-only\n");
	CHECK(bg_conf_load(&c, dirs, 2, true, err, sizeof(err)) == 0);
	CHECK(c.n == 3);
	CHECK(!strcmp(c.p[0].cgroup, "/db"));
	CHECK(!strcmp(c.p[1].cgroup, "/cache"));
	CHECK(!strcmp(c.p[2].cgroup, "/web"));
	CHECK(c.p[2].spec.preset == BG_PRESET_LOOPBACK_ONLY);
	bg_conf_free(&c);

	put(etc, "60-web-again.conf", "[Policy]\nCgroup=/web\nPreset=deny-wildcard\n");
	CHECK(bg_conf_load(&c, dirs, 2, true, err, sizeof(err)) == -1);
	CHECK(strstr(err, "/60-web-again.conf:1: Cgroup=/web is named already at ") &&
	      strstr(err, "/50-web.conf:1"));
	bg_conf_free(&c);

	dirs[1] = "/nonexistent/bindguard";
	CHECK(bg_conf_load(&c, dirs, 2, true, err, sizeof(err)) == -1);
	CHECK_STR(err, "/nonexistent/bindguard: No such file or directory");
	bg_conf_free(&c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", etc, vendor);
	CHECK(system(cmd) == 0);
}

/* The agent watches a directory only where a configured cgroup could appear below it. */
TEST(conf_may_hold_follows_the_patterns_components)
{
	struct bg_conf c;
	char err[BG_ERRLEN];

	CHECK(parse("[Policy]\nCgroup=/s/web.service\nPreset=loopback-only\n"
		    "[Policy]\nCgroup=/k/*/pod?\nPreset=deny-wildcard\n",
		    &c, err) == 0);
	CHECK(bg_conf_may_hold(&c, "/"));
	CHECK(bg_conf_may_hold(&c, "/s"));
	CHECK(!bg_conf_may_hold(&c, "/s/web.service")); /* the cgroup itself: nothing below */
	CHECK(!bg_conf_may_hold(&c, "/t"));
	CHECK(bg_conf_may_hold(&c, "/k"));
	CHECK(bg_conf_may_hold(&c, "/k/node1"));
	CHECK(!bg_conf_may_hold(&c, "/k/node1/pod1"));
	CHECK(!bg_conf_may_hold(&c, "/k/.hidden"));
	CHECK(!bg_conf_may_hold(&c, "/sx"));
	bg_conf_free(&c);
}
