/*
 * fuzz_proxy.c -- PROXY protocol headers (v1 and v2) in front of the bytes a proxy forwards,
 * as a PROXY listener reads them: the first input byte picks UDP (v2 only) or TCP (v1 too)
 * and how the bytes arrive in pieces; each growing prefix is parsed as server_tcp.c does,
 * and what follows a whole header goes to query intake as server_udp.c hands it on. A prefix
 * may only ask for more bytes, never decide otherwise than the whole input does.
 */
#include "dns/msg.h"
#include "dns/proxy.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(const struct proxy_header *h)
{
	if (h->local)
		return;
	if ((h->src.ss_family != AF_INET && h->src.ss_family != AF_INET6) ||
	    h->src.ss_family != h->dst.ss_family)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool tcp = data[0] & 1;
	size_t step = (size_t)(data[0] >> 1) + 1;
	data++, size--;
	struct proxy_header whole;
	int all = proxy_parse(data, size, tcp, &whole);
	if (all > (int)size)
		__builtin_trap();
	for (size_t n = step < size ? step : size; tcp && n < size; n += step) {
		struct proxy_header h;
		int part = proxy_parse(data, n, tcp, &h);
		if (part > 0 && part != all)
			__builtin_trap(); /* decided on a prefix, otherwise on the whole */
		if (part < 0 && all >= 0)
			__builtin_trap();
		if (part != 0)
			break;
	}
	if (all > 0) {
		fuzz_check(&whole);
		struct msg_query q;
		(void)msg_parse_query(data + all, size - (size_t)all, &q);
	}
	return 0;
}
