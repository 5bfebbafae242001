/*
 * fuzz_oplisten.c -- the requests of the two side listeners (oplisten.c): the control
 * protocol and the metrics endpoint's HTTP request head. The first input byte picks which
 * (low bit) and the size of the pieces the bytes arrive in; they go into a buffer as big as
 * the listener's, a request ends where the protocol says (control_request_end,
 * metrics_request_end) or when the buffer is full, and is then read as the listener's owner
 * reads it: control_parse checks the command and its arguments (before anything runs),
 * metrics_request_kind decides what was asked for.
 */
#include "ops/control.h"
#include "ops/metrics.h"
#include "ops/oplisten.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A control request as the socket hands it to control_run: without its newline. */
static void fuzz_control(const char *req, size_t len, bool whole)
{
	static struct control_cmd cmd;
	static FILE *sink;
	char line[OPLISTEN_REQ_MAX + 1];
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	if (!whole)
		return; /* answered "command too long" without parsing */
	memcpy(line, req, len);
	line[len && line[len - 1] == '\n' ? len - 1 : len] = '\0';
	if (control_parse(line, &cmd, sink) < 0)
		return;
	if (cmd.argc < 1 || cmd.argc > CONTROL_ARGS_MAX || cmd.name_len > MSG_MAX_NAME)
		__builtin_trap();
	if ((cmd.kind == CONTROL_DUMP || cmd.kind == CONTROL_LOAD) &&
	    (!cmd.path || cmd.path[0] != '/'))
		__builtin_trap();
}

static void fuzz_metrics(const char *req, bool whole)
{
	enum metrics_req k = metrics_request_kind(req, whole);
	if (k == METRICS_REQ_GET && strncmp(req, "GET /metrics", 12) != 0)
		__builtin_trap();
	if ((k == METRICS_REQ_TOO_LONG) != !whole)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[OPLISTEN_REQ_MAX + 1];
	if (size < 1)
		return 0;
	bool metrics = data[0] & 1;
	size_t step = (size_t)(data[0] >> 1) * 37 + 1, len = 0;
	for (size_t done = 1; done < size;) {
		size_t n = size - done < step ? size - done : step;
		if (n > OPLISTEN_REQ_MAX - len)
			n = OPLISTEN_REQ_MAX - len;
		memcpy(buf + len, data + done, n);
		len += n;
		done += n;
		buf[len] = '\0';
		size_t end =
		    metrics ? metrics_request_end(buf, len) : control_request_end(buf, len);
		if (end > len)
			__builtin_trap();
		if (end == 0 && len < OPLISTEN_REQ_MAX)
			continue;
		buf[end ? end : len] = '\0';
		if (metrics)
			fuzz_metrics(buf, end != 0);
		else
			fuzz_control(buf, end ? end : len, end != 0);
		len = 0; /* one request per connection: what follows is another client's */
	}
	return 0;
}
