/*
 * test_doh.c -- DNS over HTTPS requests from an nghttp2 client session, through memory: GET
 * and POST become queries and their answers 200s with the DNS headers, the refusals get their
 * status without a query, a client that breaks HTTP/2 ends the connection.
 */
#include "check_main.h"
#include "dns/doh.h"

#include <check.h>
#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A query of 29 bytes for www.example. A, and its base64url (no padding). */
static const uint8_t query[] = {0,   7, 1,   0,   0,   1,   0,   0,   0,   0, 0, 0, 3, 'w', 'w',
				'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1};
#define QUERY_B64 "AAcBAAABAAAAAAAAA3d3dwdleGFtcGxlAAABAAE"

struct client {
	nghttp2_session *s;
	int status[16]; /* by stream id / 2 */
	char ctype[16][64];
	char cache[16][64];
	size_t body[16];
};

struct server {
	struct doh *d;
	int queries;
	size_t last_len;
};

static struct server srv;

static void on_query(void *ud, int32_t stream, const uint8_t *msg, size_t len)
{
	struct server *s = ud;
	s->queries++;
	s->last_len = len;
	uint8_t answer[64];
	memcpy(answer, msg, len);
	answer[2] |= 0x80;
	ck_assert_int_eq(doh_answer(s->d, stream, answer, len, 300), 0);
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
	struct client *c = ud;
	(void)session, (void)flags;
	int i = frame->hd.stream_id / 2;
	char v[64];
	snprintf(v, sizeof(v), "%.*s", (int)valuelen, value);
	if (namelen == 7 && !memcmp(name, ":status", 7))
		c->status[i] = atoi(v);
	else if (namelen == 12 && !memcmp(name, "content-type", 12))
		snprintf(c->ctype[i], sizeof(c->ctype[i]), "%s", v);
	else if (namelen == 13 && !memcmp(name, "cache-control", 13))
		snprintf(c->cache[i], sizeof(c->cache[i]), "%s", v);
	return 0;
}

static int on_data(nghttp2_session *session, uint8_t flags, int32_t stream, const uint8_t *data,
		   size_t len, void *ud)
{
	struct client *c = ud;
	(void)session, (void)flags, (void)data;
	c->body[stream / 2] += len;
	return 0;
}

static void client_init(struct client *c)
{
	nghttp2_session_callbacks *cbs;
	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(nghttp2_session_callbacks_new(&cbs), 0);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
	ck_assert_int_eq(nghttp2_session_client_new(&c->s, cbs, c), 0);
	nghttp2_session_callbacks_del(cbs);
	ck_assert_int_eq(nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, NULL, 0), 0);
	memset(&srv, 0, sizeof(srv));
	srv.d = doh_new("/dns-query", 8, on_query, &srv);
	ck_assert_ptr_nonnull(srv.d);
}

/* Move bytes both ways until neither side has more. */
static void pump(struct client *c)
{
	for (int round = 0; round < 20; round++) {
		const uint8_t *p;
		ssize_t n;
		bool moved = false;
		while ((n = nghttp2_session_mem_send(c->s, &p)) > 0) {
			ck_assert_int_eq(doh_input(srv.d, p, (size_t)n), 0);
			moved = true;
		}
		size_t m;
		while ((m = doh_output(srv.d, &p)) > 0) {
			ck_assert_int_eq(nghttp2_session_mem_recv(c->s, p, m), (ssize_t)m);
			moved = true;
		}
		if (!moved)
			break;
	}
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE         \
	}

static int32_t get(struct client *c, const char *method, const char *path)
{
	nghttp2_nv nv[] = {NV(":method", method), NV(":scheme", "https"),
			   NV(":authority", "dns.test"), NV(":path", path)};
	return nghttp2_submit_request(c->s, NULL, nv, 4, NULL, NULL);
}

static ssize_t read_body(nghttp2_session *s, int32_t stream, uint8_t *buf, size_t length,
			 uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	(void)s, (void)stream, (void)ud;
	size_t n = src->fd < (int)length ? (size_t)src->fd : length;
	memset(buf, 0, n);
	if (n == sizeof(query))
		memcpy(buf, query, n);
	src->fd -= (int)n;
	if (!src->fd)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* A POST to path of len bytes (the query when len is its size, zeroes else) as ctype. */
static int32_t post_to(struct client *c, const char *path, const char *ctype, int len)
{
	nghttp2_nv nv[] = {NV(":method", "POST"), NV(":scheme", "https"),
			   NV(":authority", "dns.test"), NV(":path", path),
			   NV("content-type", ctype)};
	nghttp2_data_provider body = {.source.fd = len, .read_callback = read_body};
	return nghttp2_submit_request(c->s, NULL, nv, 5, &body, NULL);
}

static int32_t post(struct client *c, const char *ctype, int len)
{
	return post_to(c, "/dns-query", ctype, len);
}

START_TEST(get_and_post_answered)
{
	struct client c;
	client_init(&c);
	int32_t g = get(&c, "GET", "/dns-query?x=1&dns=" QUERY_B64);
	post_to(&c, "/dns-query?dns=" QUERY_B64, "application/dns-message", (int)sizeof(query));
	int32_t p = post(&c, "application/dns-message", (int)sizeof(query));
	pump(&c);
	ck_assert_int_eq(srv.queries, 3); /* the POST with dns= in its path: its body alone */
	ck_assert_uint_eq(srv.last_len, sizeof(query));
	for (int32_t s = g; s <= p; s += 2) {
		ck_assert_int_eq(c.status[s / 2], 200);
		ck_assert_str_eq(c.ctype[s / 2], "application/dns-message");
		ck_assert_str_eq(c.cache[s / 2], "max-age=300");
		ck_assert_uint_eq(c.body[s / 2], sizeof(query));
	}
	doh_free(srv.d);
	nghttp2_session_del(c.s);
}
END_TEST

START_TEST(refusals)
{
	struct client c;
	client_init(&c);
	int32_t s[6];
	s[0] = get(&c, "GET", "/other?dns=" QUERY_B64);
	s[1] = get(&c, "DELETE", "/dns-query");
	s[2] = get(&c, "GET", "/dns-query?dns=AA*A");
	s[3] = get(&c, "GET", "/dns-query");
	s[4] = post(&c, "text/plain", (int)sizeof(query));
	s[5] = post(&c, "application/dns-message", 70000);
	static const int want[6] = {404, 405, 400, 400, 415, 413};
	pump(&c);
	ck_assert_int_eq(srv.queries, 0);
	for (int i = 0; i < 6; i++)
		ck_assert_msg(c.status[s[i] / 2] == want[i], "request %d: status %d, not %d", i,
			      c.status[s[i] / 2], want[i]);
	doh_free(srv.d);
	nghttp2_session_del(c.s);
}
END_TEST

START_TEST(broken_http2_ends)
{
	struct client c;
	client_init(&c);
	static const uint8_t junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	ck_assert_int_eq(doh_input(srv.d, junk, sizeof(junk) - 1), -EPROTO);
	const uint8_t *p;
	while (doh_output(srv.d, &p) > 0)
		;
	ck_assert(doh_done(srv.d));
	doh_free(srv.d);
	nghttp2_session_del(c.s);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("doh");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, get_and_post_answered);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, broken_http2_ends);
	suite_add_tcase(su, tc);
	return check_main_run(su);
}
