// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cgroup v2 discovery from mountinfo text, and ancestry of paths. */
#include "cgroup.h"
#include "unit.h"

TEST(mountinfo_hybrid_and_unified)
{
	char buf[256];
	const char *hybrid =
		"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
	const char *unified =
		"25 20 0:22 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
	const char *escaped = "25 20 0:22 / /mnt/my\\040cgroups rw - cgroup2 none rw\n";
	const char *none = "22 1 0:21 / /proc rw - proc proc rw\n";

	CHECK(bg_cgroup_mount_parse(hybrid, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "/sys/fs/cgroup/unified");
	CHECK(bg_cgroup_mount_parse(unified, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "/sys/fs/cgroup");
	CHECK(bg_cgroup_mount_parse(escaped, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "/mnt/my cgroups");
	CHECK(bg_cgroup_mount_parse(none, buf, sizeof(buf)) < 0);
	CHECK(bg_cgroup_mount_parse("", buf, sizeof(buf)) < 0);
	CHECK(bg_cgroup_mount_parse("garbage without fields\n - \n", buf, sizeof(buf)) < 0);
}

TEST(cgroup_ancestry)
{
	CHECK(bg_cgroup_is_ancestor("/", "/a"));
	CHECK(!bg_cgroup_is_ancestor("/", "/"));
	CHECK(bg_cgroup_is_ancestor("/a", "/a/b"));
	CHECK(bg_cgroup_is_ancestor("/a", "/a/b/c"));
	CHECK(!bg_cgroup_is_ancestor("/a", "/a"));
	CHECK(!bg_cgroup_is_ancestor("/a", "/ab"));
	CHECK(!bg_cgroup_is_ancestor("/a/b", "/a"));
	/* Found by fuzzing: relative or empty input is no cgroup path. */
	CHECK(!bg_cgroup_is_ancestor("", "/"));
	CHECK(!bg_cgroup_is_ancestor("/", ""));
	CHECK(!bg_cgroup_is_ancestor("a", "a/b"));
}
