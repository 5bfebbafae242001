/*
 * fuzz_zone.c -- zone files: load arbitrary text, then answer a few questions from it.
 */
#include "localdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/megdns-fuzz-zone-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	struct localdata *ld = localdata_new();
	char err[512];
	if (localdata_add_zone(ld, path, err, sizeof(err)) == 0) {
		static const char *names[] = {"\7example\0", "\3www\7example\0", "\1x\0"};
		static uint8_t out[MSG_MAX_UDP];
		for (size_t i = 0; i < 3; i++) {
			struct msg_query q = {.id = 1, .qtype = 1, .qclass = 1, .udp_size = 512};
			size_t len = msg_name_len((const uint8_t *)names[i], MSG_MAX_NAME);
			memcpy(q.qname, names[i], len);
			memcpy(q.lname, names[i], len);
			q.qname_len = (uint8_t)len;
			localdata_answer(ld, &q, out, sizeof(out));
		}
	}
	localdata_free(ld);
	unlink(path);
	return 0;
}
