// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sock_diag answers as a kernel (or anything on the other end of the netlink
 * socket) could send them: arbitrary bytes under a netlink header whose
 * length is the input's. Invariants: decoding never reads past the message;
 * every socket decoded prints as one text line and as valid JSON.
 */
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"
#include "existing.h"
#include "sockout.h"
#include "unit.h"

static char out[65536];
static union {
	struct nlmsghdr h;
	char b[8192];
} msg;

static void check_output(struct bg_scan *sc, int json)
{
	FILE *f;

	memset(out, 0, sizeof(out));
	f = fmemopen(out, sizeof(out) - 1, "w");
	if (!f)
		return;
	if (json) {
		struct bg_json j;

		bg_json_init(&j, f);
		bg_open_json(&j, sc, &sc->v[0]);
	} else {
		bg_open_text(f, sc, &sc->v[0]);
	}
	fclose(f);
	if (json && !unit_json_valid(out, strlen(out)))
		abort();
	if (!json && strchr(out, '\n') != out + strlen(out) - 1)
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_RAW };
	struct bg_scan_cgroup cg = { .id = 1, .path = "/fuzz", .pcgid = 1, .ppath = "/fuzz" };
	struct bg_open o = { 0 };
	struct bg_scan sc = { .v = &o, .n = 1, .cgs = &cg, .ncgs = 1 };

	if (size < sizeof(struct nlmsghdr) || size > sizeof(msg.b))
		return 0;
	memcpy(msg.b, data, size);
	msg.h.nlmsg_len = (__u32)size;
	cg.pol.preset = data[0] % 3;
	cg.pol.mode = data[1] % 3;
	cg.pol.proto_mask = BG_PROTO_ALL;
	cg.pol.flags = BG_F_RAW_DENY;
	for (size_t i = 0; i < sizeof(protos); i++) {
		if (bg_diag_parse(&msg.h, protos[i], &o.s) != 1)
			continue;
		o.verdict = (__u8)bg_existing_verdict(&cg.pol, &o.s, NULL, &o.reason);
		check_output(&sc, 0);
		check_output(&sc, 1);
	}
	return 0;
}
