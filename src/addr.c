// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "addr.h"

int bg_addr_parse4(const char *s, __u8 out[16])
{
	unsigned octet[4];
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = 0;
		int digits = 0;

		while (*s >= '0' && *s <= '9') {
			/* "0" alone is fine; "01" would read as octal elsewhere. */
			if (digits == 1 && v == 0)
				return -1;
			v = v * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3 || v > 255)
				return -1;
		}
		if (!digits)
			return -1;
		octet[i] = v;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	if (*s)
		return -1;
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	for (i = 0; i < 4; i++)
		out[12 + i] = (__u8)octet[i];
	return 0;
}

int bg_addr_parse6(const char *s, __u8 out[16])
{
	struct in6_addr a;

	if (strchr(s, '%') || inet_pton(AF_INET6, s, &a) != 1)
		return -1;
	memcpy(out, &a, 16);
	return 0;
}

void bg_addr_format(const __u8 addr[16], int family, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	if (family == 4) {
		snprintf(buf, len, "%u.%u.%u.%u", addr[12], addr[13], addr[14], addr[15]);
		return;
	}
	if (!inet_ntop(AF_INET6, addr, tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "?");
	snprintf(buf, len, "%s", tmp);
}

void bg_addr_words(const __u8 addr[16], __u32 w[4])
{
	memcpy(w, addr, 16);
}

int bg_addr_mask(__u8 addr[16], unsigned prefixlen)
{
	int changed = 0;

	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = prefixlen >= (i + 1) * 8 ? 8
				: prefixlen > i * 8	 ? prefixlen - i * 8
							 : 0;
		__u8 mask = keep ? (__u8)(0xff << (8 - keep)) : 0;

		if (addr[i] & ~mask)
			changed = 1;
		addr[i] &= mask;
	}
	return changed;
}
