/*
 * fuzz_doh.c -- DNS over HTTPS requests as a client's HTTP/2 bytes, after TLS: the first input
 * byte says how the rest is cut into reads. Each query that comes up is answered at once (the
 * cache-hit path: a response submitted from inside nghttp2's callbacks), and what the session
 * has to send is taken after each read, as server_https.c does. A query is never shorter than
 * a DNS header or longer than a DNS message. Seeds: GET and POST requests, and the refusals.
 */
#include "dns/doh.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_query(void *ud, int32_t stream, const uint8_t *msg, size_t len)
{
	struct doh *d = *(struct doh **)ud;
	if (len < 12 || len > DOH_MAX_MSG || stream <= 0)
		__builtin_trap();
	uint8_t answer[512];
	size_t n = len < sizeof(answer) ? len : sizeof(answer);
	memcpy(answer, msg, n);
	answer[2] |= 0x80;
	doh_answer(d, stream, answer, n, 60);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] * 7 + 1;
	data++, size--;
	struct doh *d = NULL;
	d = doh_new("/dns-query", 8, fuzz_query, &d);
	if (!d)
		return 0;
	const uint8_t *out;
	while (doh_output(d, &out) > 0)
		;
	for (size_t off = 0; off < size && !doh_done(d);) {
		size_t n = size - off < step ? size - off : step;
		if (doh_input(d, data + off, n) < 0)
			break;
		off += n;
		while (doh_output(d, &out) > 0)
			;
	}
	doh_free(d);
	return 0;
}
