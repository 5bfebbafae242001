/*
 * fuzz_query.c -- client packets: intake checks and the reply finisher must accept any bytes.
 */
#include "dns/msg.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t body[MSG_MAX_UDP], out[MSG_MAX_UDP + 512];
	struct msg_query q;
	enum msg_parse r = msg_parse_query(data, size, &q);
	if (r == MSG_PARSE_DROP)
		return 0;
	size_t n = msg_error_body(&q, MSG_SERVFAIL, body, sizeof(body));
	struct msg_finish_args a = {
	    .q = &q, .ede = 22, .ede_text = "x", .max_size = q.udp_size, .server_udp = 1232};
	msg_finish(body, n, &a, out, sizeof(out));
	return 0;
}
