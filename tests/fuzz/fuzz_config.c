/*
 * fuzz_config.c -- YAML configs: any file gives a config or a positioned error, never a crash.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/megdns-fuzz-config-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	struct config *cfg = NULL;
	char err[1024] = "";
	if (config_load(path, &cfg, err, sizeof(err)) == 0) {
		config_free(cfg);
	} else if (err[0] == '\0') {
		__builtin_trap(); /* every failure must say what is wrong */
	}
	unlink(path);
	return 0;
}
