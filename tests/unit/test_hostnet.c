// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* route_localnet found under a conf directory laid out as /proc/sys/net/ipv4/conf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hostnet.h"
#include "unit.h"

static void put(const char *root, const char *iface, const char *value)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, iface);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/route_localnet", root, iface);
	f = fopen(path, "w");
	if (f) {
		fputs(value, f);
		fclose(f);
	}
}

static void rm_tree(const char *root, const char *const *ifaces, int n)
{
	char path[512];

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s/route_localnet", root, ifaces[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s", root, ifaces[i]);
		rmdir(path);
	}
	rmdir(root);
}

TEST(route_localnet_names_the_interfaces_that_set_it)
{
	static const char *const ifaces[] = { "all", "default", "lo", "eth0", "veth1" };
	char root[] = "/tmp/bg-unit-conf.XXXXXX", names[64];

	CHECK(mkdtemp(root) != NULL);
	put(root, "all", "0\n");
	put(root, "default", "0\n");
	put(root, "lo", "0\n");
	put(root, "eth0", "0\n");
	put(root, "veth1", "0\n");
	CHECK(bg_route_localnet(root, names, sizeof(names)) == 0);
	CHECK_STR(names, "");
	put(root, "eth0", "1\n");
	CHECK(bg_route_localnet(root, names, sizeof(names)) == 1);
	CHECK_STR(names, "eth0");
	put(root, "all", "1\n");
	CHECK(bg_route_localnet(root, names, sizeof(names)) == 2);
	CHECK(strstr(names, "all") && strstr(names, "eth0"));
	/* A short buffer: the count stays right, the names are cut. */
	CHECK(bg_route_localnet(root, names, 4) == 2);
	CHECK(strlen(names) < 4);
	rm_tree(root, ifaces, 5);
	CHECK(bg_route_localnet(root, names, sizeof(names)) == -ENOENT);
}
