/*
 * fuzz_tcp.c -- a client's TCP byte stream: framing in pieces of any size, then query intake
 * for every frame, as server.c does. The first input byte picks how the stream is cut into
 * reads; the rest is the stream.
 */
#include "dns/framer.h"
#include "dns/msg.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = (size_t)data[0] * 37 + 1, done = 0, total = 0;
	data++, size--;
	struct framer f;
	framer_init(&f);
	while (done < size) {
		uint8_t *space;
		size_t room;
		framer_space(&f, &space, &room);
		if (room == 0 || room > FRAMER_MAX)
			__builtin_trap();
		size_t n = size - done < step ? size - done : step;
		n = n < room ? n : room;
		memcpy(space, data + done, n);
		framer_commit(&f, n);
		done += n;
		const uint8_t *msg;
		size_t len;
		int r;
		while ((r = framer_next(&f, &msg, &len)) > 0) {
			struct msg_query q;
			if (len == 0 || msg < f.buf || msg + len > f.buf + f.len)
				__builtin_trap();
			total += 2 + len;
			(void)msg_parse_query(msg, len, &q);
		}
		if (r < 0)
			break;
	}
	if (total > size)
		__builtin_trap();
	framer_close(&f);
	return 0;
}
