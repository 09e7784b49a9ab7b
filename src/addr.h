/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Address text <-> the ABI's 16-byte form (IPv4 held as ::ffff:a.b.c.d). Pure. */
#ifndef BG_ADDR_H
#define BG_ADDR_H

#include <stddef.h>
#include <linux/types.h>

/* Longest text bg_addr_format() writes, with the NUL. */
#define BG_ADDR_STRLEN 46

/* Parse a dotted IPv4 address (strict: four decimal octets, no leading zeros
 * beyond "0") into the mapped form. 0 on success, -1 if malformed. */
int bg_addr_parse4(const char *s, __u8 out[16]);
/* Parse an IPv6 address (inet_pton syntax, no scope, no brackets). */
int bg_addr_parse6(const char *s, __u8 out[16]);

/* Write addr as text. family 4 prints the IPv4 part of a mapped address as
 * dotted quad; family 6 prints IPv6 (a mapped address as ::ffff:a.b.c.d). */
void bg_addr_format(const __u8 addr[16], int family, char *buf, size_t len);

/* addr as the four network-order words bg_addr_class() takes. */
void bg_addr_words(const __u8 addr[16], __u32 w[4]);

/* Zero every bit past prefixlen (0..128). Returns 1 if any bit was set. */
int bg_addr_mask(__u8 addr[16], unsigned prefixlen);

#endif
