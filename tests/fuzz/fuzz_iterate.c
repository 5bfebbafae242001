/*
 * fuzz_iterate.c -- classifying an authoritative server's reply (iterate.c).
 *
 * Byte 0 picks the server's zone and the question (the root asked for www.example., example.
 * asked for a.b.example., b.example. asked for its apex); the rest is the reply. Whatever the
 * bytes, a REFERRAL names a zone strictly below the server's and at or above the question,
 * with 1 to ITERATE_MAX_NS NS names, each with at most ITERATE_MAX_GLUE addresses of port 53.
 */
#include "resolve/iterate.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *zone, *qname;
		size_t zone_len, qname_len;
	} cases[] = {
	    {"", "\3www\7example", 1, 13},
	    {"\7example", "\1a\1b\7example", 9, 13},
	    {"\1b\7example", "\1b\7example", 11, 11},
	};
	if (size < 1)
		return 0;
	const size_t c = data[0] % 3;
	struct iterate_referral ref;
	enum iterate_kind k =
	    iterate_classify(data + 1, size - 1, (const uint8_t *)cases[c].qname,
			     cases[c].qname_len, (uint16_t)(1 + (data[0] >> 4)),
			     (const uint8_t *)cases[c].zone, cases[c].zone_len, &ref);
	CHECK(k <= ITERATE_LAME);
	if (k != ITERATE_REFERRAL)
		return 0;
	CHECK(ref.zone_len > cases[c].zone_len && ref.zone_len <= MSG_MAX_NAME);
	CHECK(msg_name_under(ref.zone, ref.zone_len, (const uint8_t *)cases[c].zone,
			     cases[c].zone_len));
	CHECK(msg_name_under((const uint8_t *)cases[c].qname, cases[c].qname_len, ref.zone,
			     ref.zone_len));
	CHECK(ref.n_ns >= 1 && ref.n_ns <= ITERATE_MAX_NS);
	for (size_t i = 0; i < ref.n_ns; i++) {
		CHECK(ref.ns[i].n_addrs <= ITERATE_MAX_GLUE);
		if (ref.ns[i].n_addrs)
			CHECK(msg_name_under(ref.ns[i].name, ref.ns[i].name_len,
					     (const uint8_t *)cases[c].zone, cases[c].zone_len));
		for (size_t j = 0; j < ref.ns[i].n_addrs; j++) {
			const struct sockaddr_in *sin =
			    (const struct sockaddr_in *)&ref.ns[i].addrs[j].ss;
			CHECK(sin->sin_port == htons(53));
		}
	}
	return 0;
}
