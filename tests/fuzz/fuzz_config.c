/*
 * fuzz_config.c -- YAML configs: any file gives a config or a positioned error, never a crash.
 *
 * config_load only reads the file it is given (zone and anchor files are loaded later, by
 * state.c), so nothing else of the machine is opened. The input is written to one file in a
 * private folder made at start and removed at exit, rather than a new temporary file per
 * input, so a run that dies (a hang in libfyaml, issue 8) leaves at most one folder behind.
 */
#include "conf/config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[] = "/tmp/megdns-fuzz-config.XXXXXX";
static char path[PATH_MAX];

static void fuzz_config_cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir)) {
		perror("fuzz_config: mkdtemp");
		abort();
	}
	snprintf(path, sizeof(path), "%s/megdns.yaml", dir);
	atexit(fuzz_config_cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	struct config *cfg = NULL;
	char err[1024] = "";
	if (config_load(path, &cfg, err, sizeof(err)) == 0) {
		config_free(cfg);
	} else if (err[0] == '\0') {
		__builtin_trap(); /* every failure must say what is wrong */
	}
	return 0;
}
