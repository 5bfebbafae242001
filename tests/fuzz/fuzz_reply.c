/*
 * fuzz_reply.c -- upstream replies: walking records and reading compressed names.
 */
#include "dns/msg.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_walk w;
	struct msg_rr rr;
	uint8_t name[MSG_MAX_NAME];
	size_t nlen;
	if (msg_walk_init(&w, data, size) < 0)
		return 0;
	while (msg_walk_next(&w, &rr) > 0) {
		size_t pos = rr.owner;
		if (msg_name_read(data, size, &pos, name, &nlen) == 0 && nlen > MSG_MAX_NAME)
			__builtin_trap();
		if (rr.end > size)
			__builtin_trap();
	}
	return 0;
}
