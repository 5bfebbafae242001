/*
 * fuzz_upstream.c -- what the upstream client reads from the network: the reply check
 * (msg_reply_check: is this datagram the answer to our query?) and the length-prefix
 * reassembly of TCP replies (msg_stream_frame), fed the way upstream_tcp_read_cb feeds it.
 *
 * Input: [ctrl][qlen][qlen bytes of query][stream]. With ctrl bit 0 the query is the bytes
 * given (any junk); without it the query is the one megdns would send for the question the
 * reply carries, with its ID, so mutations of the reply reach the full record walk. The
 * stream is checked once as a datagram and once as TCP, read in chunks of 1 + ctrl/2 bytes.
 * Invariants: a frame never extends past what arrived, and an accepted reply is a response
 * with the query's ID and an acceptable rcode that walks to its end.
 */
#include "dns/msg.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The query megdns would send for reply's question, into out; its length or 0. */
static size_t fuzz_our_query(const uint8_t *reply, size_t len, uint8_t *out, size_t cap)
{
	if (len < MSG_HDR_LEN)
		return 0;
	size_t n = msg_name_len(reply + MSG_HDR_LEN, len - MSG_HDR_LEN);
	if (n == 0 || MSG_HDR_LEN + n + 4 > len)
		return 0;
	const uint8_t *tail = reply + MSG_HDR_LEN + n;
	return msg_build_query(reply + MSG_HDR_LEN, n, msg_get16(tail), msg_get16(tail + 2),
			       msg_get16(reply), MSG_RD | MSG_CD, true, 1232, out, cap);
}

static void fuzz_check(const uint8_t *query, size_t qlen, const uint8_t *reply, size_t len)
{
	enum msg_reply v = msg_reply_check(query, qlen, reply, len);
	if (v == MSG_REPLY_IGNORE)
		return;
	if (len < MSG_HDR_LEN || qlen < MSG_HDR_LEN || msg_get16(reply) != msg_get16(query) ||
	    !(msg_get16(reply + 2) & MSG_QR))
		__builtin_trap();
	if (v == MSG_REPLY_TRUNCATED)
		return;
	unsigned rcode = msg_get16(reply + 2) & 0xf;
	if ((v == MSG_REPLY_ACCEPT) != (rcode == MSG_NOERROR || rcode == MSG_NXDOMAIN))
		__builtin_trap();
	struct msg_walk w;
	struct msg_rr rr;
	int r;
	if (msg_walk_init(&w, reply, len) < 0)
		__builtin_trap();
	while ((r = msg_walk_next(&w, &rr)) > 0)
		if (rr.end > len)
			__builtin_trap();
	if (r < 0)
		__builtin_trap();
}

/* Feed stream to a 2 + 65535 byte buffer chunk bytes at a time, as the TCP reader does. */
static void fuzz_stream(const uint8_t *query, size_t qlen, const uint8_t *stream, size_t len,
			size_t chunk)
{
	static uint8_t rbuf[2 + 65535];
	size_t have = 0, off = 0, mlen = 0;
	while (off < len && have < sizeof(rbuf)) {
		size_t n = len - off < chunk ? len - off : chunk;
		if (n > sizeof(rbuf) - have)
			n = sizeof(rbuf) - have;
		memcpy(rbuf + have, stream + off, n);
		have += n;
		off += n;
		int r = msg_stream_frame(rbuf, have, &mlen);
		if (r < 0) {
			if (msg_get16(rbuf) >= MSG_HDR_LEN)
				__builtin_trap();
			return;
		}
		if (r == 1) {
			if (2 + mlen > have || mlen != msg_get16(rbuf))
				__builtin_trap();
			fuzz_check(query, qlen, rbuf + 2, mlen);
			return;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t own[MSG_HDR_LEN + MSG_MAX_NAME + 4 + 11];
	if (size < 2)
		return 0;
	unsigned ctrl = data[0];
	size_t qlen = data[1];
	if (2 + qlen > size)
		return 0;
	const uint8_t *query = data + 2, *stream = data + 2 + qlen;
	size_t slen = size - 2 - qlen;
	if (!(ctrl & 1)) {
		/* Our own query for the datagram's question, and for the framed message's. */
		size_t n = fuzz_our_query(stream, slen, own, sizeof(own));
		fuzz_check(own, n, stream, slen);
		if (slen > 2)
			n = fuzz_our_query(stream + 2, slen - 2, own, sizeof(own));
		fuzz_stream(own, n, stream, slen, 1 + ctrl / 2);
		return 0;
	}
	fuzz_check(query, qlen, stream, slen);
	fuzz_stream(query, qlen, stream, slen, 1 + ctrl / 2);
	return 0;
}
