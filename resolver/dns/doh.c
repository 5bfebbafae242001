/*
 * doh.c -- DNS over HTTPS on an nghttp2 server session, see doh.h.
 *
 * Each request stream gets a struct doh_stream when its headers begin: what the headers said
 * (method, path, content type), the DNS message (the GET parameter decoded, or the POST body
 * as it arrives) and, once answered, the response body nghttp2 reads from. When the request
 * ends (END_STREAM) it is either refused with its status or handed up as a query. nghttp2
 * frees nothing of ours: the stream's memory goes in its close callback.
 */
#include "dns/doh.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOH_MAX_HEADERS 16384 /* SETTINGS_MAX_HEADER_LIST_SIZE: a GET's dns= fits in 4 KiB */

struct doh_stream;

struct doh {
	nghttp2_session *session;
	struct doh_stream *streams; /* every one we allocated: nghttp2 does not always close them */
	size_t held;                /* bytes of messages the streams hold (DOH_MAX_HELD at most) */
	char *path;
	doh_query_cb cb;
	void *ud;
};

struct doh_stream {
	int status; /* 0: fine so far; else the error status to answer with */
	bool post;
	bool body; /* a POST's body has begun: it is the message, whatever the path said */
	bool ctype_ok;
	uint8_t *msg; /* the query (GET decoded, POST body), then the answer */
	size_t len, cap;
	size_t sent; /* of the answer, read by nghttp2 so far */
	struct doh_stream *prev, *next;
};

static void doh_stream_free(struct doh *d, struct doh_stream *st)
{
	d->held -= st->cap;
	if (st->prev)
		st->prev->next = st->next;
	else
		d->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	free(st->msg);
	free(st);
}

/* First error wins: a request is refused for the first thing wrong with it. */
static void doh_refuse(struct doh_stream *st, int status)
{
	if (!st->status)
		st->status = status;
}

/* Add to st's message; a request's bytes (bounded) count against the connection's DOH_MAX_HELD,
 * our answers (one per query being answered: bounded by the caller) do not refuse. */
static bool doh_append(struct doh *d, struct doh_stream *st, const uint8_t *data, size_t len,
		       bool bounded)
{
	if (st->len + len > DOH_MAX_MSG) {
		doh_refuse(st, 413);
		return false;
	}
	if (st->len + len > st->cap) {
		size_t cap = st->cap ? st->cap : 512;
		while (cap < st->len + len)
			cap *= 2;
		if (bounded &&
		    d->held + cap - st->cap > DOH_MAX_HELD) { /* big bodies on many streams */
			doh_refuse(st, 503);
			return false;
		}
		uint8_t *m = realloc(st->msg, cap);
		if (!m) {
			doh_refuse(st, 500);
			return false;
		}
		st->msg = m;
		d->held += cap - st->cap;
		st->cap = cap;
	}
	memcpy(st->msg + st->len, data, len);
	st->len += len;
	return true;
}

/* dns=BASE64URL without padding (RFC 8484 4.1) into the stream's message, with OpenSSL. */
static void doh_dns_param(struct doh *d, struct doh_stream *st, const char *v, size_t n)
{
	if (n == 0 || n > (DOH_MAX_MSG + 2) / 3 * 4) {
		doh_refuse(st, n ? 413 : 400);
		return;
	}
	/* Queries are small: the stack unless this one is not. */
	char sb[1028];
	uint8_t so[772];
	bool heap = n + 4 > sizeof(sb);
	char *b = heap ? malloc(n + 4) : sb;
	uint8_t *out = heap ? malloc(n / 4 * 3 + 3) : so;
	if (!b || !out) {
		if (heap) {
			free(b);
			free(out);
		}
		doh_refuse(st, 500);
		return;
	}
	size_t i, pad = (4 - n % 4) % 4;
	for (i = 0; i < n; i++) {
		char c = v[i];
		bool ok =
		    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		b[i] = c == '-' ? '+' : c == '_' ? '/' : c;
		if (!ok && c != '-' && c != '_')
			break;
	}
	int got = -1;
	if (i == n && pad < 3) {
		memset(b + n, '=', pad);
		got = EVP_DecodeBlock(out, (const unsigned char *)b, (int)(n + pad));
	}
	if (got < 0)
		doh_refuse(st, 400);
	else
		doh_append(d, st, out, (size_t)got - pad, true);
	if (heap) {
		free(b);
		free(out);
	}
}

/* :path: ours, and for a GET its dns parameter. */
static void doh_path(struct doh *d, struct doh_stream *st, const char *v, size_t n)
{
	size_t plen = strlen(d->path);
	const char *q = memchr(v, '?', n);
	size_t head = q ? (size_t)(q - v) : n;
	if (head != plen || memcmp(v, d->path, plen) != 0) {
		doh_refuse(st, 404);
		return;
	}
	const char *end = v + n, *p = q ? q + 1 : end;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		if (stop - p >= 4 && !memcmp(p, "dns=", 4) && st->len == 0) {
			doh_dns_param(d, st, p + 4, (size_t)(stop - p - 4));
			return;
		}
		p = stop + 1;
	}
}

static bool doh_is(const uint8_t *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !memcmp(s, lit, n);
}

static int doh_on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
			 size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
			 void *ud)
{
	struct doh *d = ud;
	(void)flags;
	struct doh_stream *st = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (!st || frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	if (doh_is(name, namelen, ":method")) {
		st->post = doh_is(value, valuelen, "POST");
		if (!st->post && !doh_is(value, valuelen, "GET"))
			doh_refuse(st, 405);
	} else if (doh_is(name, namelen, ":path")) {
		doh_path(d, st, (const char *)value, valuelen);
	} else if (doh_is(name, namelen, "content-type")) {
		st->ctype_ok = doh_is(value, valuelen, "application/dns-message");
	} else if (doh_is(name, namelen, "content-length")) {
		if (valuelen > 5 || (valuelen == 5 && memcmp(value, "65535", 5) > 0))
			doh_refuse(st, 413);
	}
	return 0;
}

static int doh_on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
	struct doh *d = ud;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	struct doh_stream *st = calloc(1, sizeof(*st));
	if (!st)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	st->next = d->streams;
	if (d->streams)
		d->streams->prev = st;
	d->streams = st;
	nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, st);
	return 0;
}

static int doh_on_data(nghttp2_session *session, uint8_t flags, int32_t stream_id,
		       const uint8_t *data, size_t len, void *ud)
{
	struct doh *d = ud;
	(void)flags;
	struct doh_stream *st = nghttp2_session_get_stream_user_data(session, stream_id);
	if (!st || !st->post || st->status)
		return 0;
	if (!st->body) { /* a dns= in a POST's path is not its query */
		st->body = true;
		st->len = 0;
	}
	doh_append(d, st, data, len, true);
	return 0;
}

static int doh_respond(struct doh *d, int32_t stream, int status)
{
	char code[8];
	snprintf(code, sizeof(code), "%d", status);
	nghttp2_nv nv[] = {
	    {(uint8_t *)":status", (uint8_t *)code, 7, strlen(code), NGHTTP2_NV_FLAG_NONE},
	    {(uint8_t *)"content-length", (uint8_t *)"0", 14, 1, NGHTTP2_NV_FLAG_NONE}};
	return nghttp2_submit_response(d->session, stream, nv, 2, NULL);
}

/* The request is whole: refuse it, or hand its query up. */
static void doh_request(struct doh *d, int32_t stream, struct doh_stream *st)
{
	if (st->post && !st->ctype_ok)
		doh_refuse(st, 415);
	if (!st->status && st->len < 12) /* no dns=, an empty body, less than a header */
		doh_refuse(st, 400);
	if (st->status) {
		doh_respond(d, stream, st->status);
		return;
	}
	uint8_t *msg = st->msg;
	size_t len = st->len;
	st->msg = NULL; /* the answer takes the buffer's place */
	d->held -= st->cap;
	st->len = st->cap = 0;
	d->cb(d->ud, stream, msg, len);
	free(msg);
}

static int doh_on_frame(nghttp2_session *session, const nghttp2_frame *frame, void *ud)
{
	struct doh *d = ud;
	if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
	    !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	struct doh_stream *st = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (st)
		doh_request(d, frame->hd.stream_id, st);
	return 0;
}

static int doh_on_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code, void *ud)
{
	(void)error_code;
	struct doh_stream *st = nghttp2_session_get_stream_user_data(session, stream_id);
	if (st) {
		nghttp2_session_set_stream_user_data(session, stream_id, NULL);
		doh_stream_free(ud, st);
	}
	return 0;
}

/* nghttp2 reads the answer body from the stream. */
static ssize_t doh_read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
			     size_t length, uint32_t *data_flags, nghttp2_data_source *source,
			     void *ud)
{
	(void)session, (void)stream_id, (void)ud;
	struct doh_stream *st = source->ptr;
	size_t n = st->len - st->sent;
	n = n < length ? n : length;
	memcpy(buf, st->msg + st->sent, n);
	st->sent += n;
	if (st->sent == st->len)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

int doh_answer(struct doh *d, int32_t stream, const uint8_t *msg, size_t len, uint32_t max_age)
{
	struct doh_stream *st = nghttp2_session_get_stream_user_data(d->session, stream);
	if (!st || st->msg)
		return -ENOENT;
	if (!doh_append(d, st, msg, len, false))
		return -ENOMEM;
	char clen[16], cc[32];
	snprintf(clen, sizeof(clen), "%zu", len);
	snprintf(cc, sizeof(cc), "max-age=%u", max_age);
	nghttp2_nv nv[] = {
	    {(uint8_t *)":status", (uint8_t *)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
	    {(uint8_t *)"content-type", (uint8_t *)"application/dns-message", 12, 23,
	     NGHTTP2_NV_FLAG_NONE},
	    {(uint8_t *)"content-length", (uint8_t *)clen, 14, strlen(clen), NGHTTP2_NV_FLAG_NONE},
	    {(uint8_t *)"cache-control", (uint8_t *)cc, 13, strlen(cc), NGHTTP2_NV_FLAG_NONE},
	};
	nghttp2_data_provider body = {.source.ptr = st, .read_callback = doh_read_body};
	return nghttp2_submit_response(d->session, stream, nv, 4, &body) == 0 ? 0 : -ENOENT;
}

struct doh *doh_new(const char *path, uint32_t max_streams, doh_query_cb cb, void *ud)
{
	struct doh *d = calloc(1, sizeof(*d));
	nghttp2_session_callbacks *cbs = NULL;
	nghttp2_option *opt = NULL;
	if (!d || nghttp2_session_callbacks_new(&cbs) != 0 || nghttp2_option_new(&opt) != 0)
		goto fail;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, doh_on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, doh_on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, doh_on_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, doh_on_frame);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, doh_on_close);
	/* nghttp2 refuses streams beyond the limit we advertise (before it is acked, too) */
	nghttp2_option_set_max_settings(opt, 32);
	nghttp2_settings_entry set[] = {
	    {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams},
	    {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, DOH_MAX_HEADERS},
	};
	d->path = strdup(path);
	d->cb = cb;
	d->ud = ud;
	if (!d->path || nghttp2_session_server_new2(&d->session, cbs, d, opt) != 0 ||
	    nghttp2_submit_settings(d->session, NGHTTP2_FLAG_NONE, set, 2) != 0)
		goto fail;
	nghttp2_session_callbacks_del(cbs);
	nghttp2_option_del(opt);
	return d;
fail:
	nghttp2_session_callbacks_del(cbs);
	nghttp2_option_del(opt);
	doh_free(d);
	return NULL;
}

void doh_free(struct doh *d)
{
	if (!d)
		return;
	nghttp2_session_del(d->session);
	while (d->streams) /* the ones nghttp2 dropped without closing (a broken session) */
		doh_stream_free(d, d->streams);
	free(d->path);
	free(d);
}

int doh_input(struct doh *d, const uint8_t *data, size_t len)
{
	ssize_t r = nghttp2_session_mem_recv(d->session, data, len);
	if (r >= 0 && (size_t)r == len)
		return 0;
	/* A GOAWAY says why, if nghttp2 has not queued one itself; then nothing more. */
	nghttp2_session_terminate_session(d->session, NGHTTP2_PROTOCOL_ERROR);
	return -EPROTO;
}

size_t doh_output(struct doh *d, const uint8_t **out)
{
	ssize_t n = nghttp2_session_mem_send(d->session, out);
	return n > 0 ? (size_t)n : 0;
}

bool doh_done(const struct doh *d)
{
	return !nghttp2_session_want_read(d->session) && !nghttp2_session_want_write(d->session);
}
