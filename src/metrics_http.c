// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /metrics over HTTP with libmicrohttpd (metrics_http.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include "addr.h"
#include "bg_decide.h"
#include "metrics.h"
#include "metrics_http.h"
#include "prom.h"
#include "state.h"

struct bg_metrics_http {
	struct MHD_Daemon *d;
};

static int parse(const char *addr, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(addr, ':');
	__u8 a[16];
	__u32 w[4];
	bool v4;
	char *end;
	unsigned long port;
	size_t n;

	if (!colon) {
		snprintf(err, errlen, "expected ADDRESS:PORT, such as 127.0.0.1:9847");
		return -1;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 1 || port > 65535) {
		snprintf(err, errlen, "expected a port from 1 to 65535 after the last ':'");
		return -1;
	}
	n = (size_t)(colon - addr);
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	if (n >= sizeof(host)) {
		snprintf(err, errlen, "expected ADDRESS:PORT, such as 127.0.0.1:9847");
		return -1;
	}
	memcpy(host, addr, n);
	host[n] = '\0';
	v4 = bg_addr_parse4(host, a) == 0;
	if (!v4 && bg_addr_parse6(host, a)) {
		snprintf(err, errlen, "%s: not an IPv4 or IPv6 address", host);
		return -1;
	}
	/* Loopback as the policies judge it (bg_decide.h). */
	bg_addr_words(a, w);
	if (bg_addr_class(w) != BG_ADDR_LOOPBACK) {
		snprintf(err, errlen,
			 "%s is not a loopback address (127.0.0.0/8 or [::1]): bindguard "
			 "serves metrics to this machine only",
			 host);
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	if (v4) {
		struct sockaddr_in *in4 = (struct sockaddr_in *)ss;

		in4->sin_family = AF_INET;
		in4->sin_port = htons((unsigned short)port);
		memcpy(&in4->sin_addr, a + 12, 4); /* the mapped form's last word */
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		memcpy(&in6->sin6_addr, a, 16);
	}
	return 0;
}

int bg_metrics_http_check(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;

	return parse(addr, &ss, err, errlen);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **req)
{
	struct MHD_Response *resp;
	struct bg_state st;
	unsigned code = MHD_HTTP_OK;
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	enum MHD_Result r;

	(void)cls, (void)version, (void)upload, (void)upload_len, (void)req;
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
		fputs("GET /metrics\n", f);
	} else if (strcmp(url, "/metrics")) {
		code = MHD_HTTP_NOT_FOUND;
		fputs("bindguard serves /metrics\n", f);
	} else if (bg_state_open(&st, 0)) {
		code = MHD_HTTP_SERVICE_UNAVAILABLE;
		fputs("bindguard: no pinned state\n", f);
	} else {
		if (bg_metrics_write(&st, f))
			code = MHD_HTTP_INTERNAL_SERVER_ERROR;
		bg_state_close(&st);
	}
	if (fclose(f)) {
		free(body);
		return MHD_NO;
	}
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
				code == MHD_HTTP_OK ? BG_PROM_CONTENT_TYPE
						    : "text/plain; charset=utf-8");
	r = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return r;
}

struct bg_metrics_http *bg_metrics_http_start(const char *addr, char *err, size_t errlen)
{
	struct bg_metrics_http *h;
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (parse(addr, &ss, err, errlen))
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 16U,
				MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "cannot listen there (%s)",
			 errno ? strerror(errno) : "libmicrohttpd refused");
		free(h);
		return NULL;
	}
	return h;
}

void bg_metrics_http_stop(struct bg_metrics_http *h)
{
	MHD_stop_daemon(h->d);
	free(h);
}
