/*
 * control.h -- the control socket behind megdns-control.
 *
 * A unix stream socket (control.socket, mode 0660) in the main thread's loop. A client sends
 * one line, "COMMAND ARGS...\n"; megdns answers "ok\n" or "error\n" followed by text, and
 * closes the connection. Commands that need a worker's cache, counters or upstream pool run
 * inside each worker's thread through threads_each, so the query path never takes a lock.
 * Commands: status, reload, flush [NAME [--below]], stats [--reset], dump-cache FILE,
 * load-cache FILE, explain CLIENT [--interface IF] NAME [TYPE].
 */
#ifndef MEGDNS_CONTROL_H
#define MEGDNS_CONTROL_H

#include "ops/explain.h"
#include "dns/msg.h"
#include "policy/state.h"
#include "daemon/threads.h"

#include <stdbool.h>
#include <stdio.h>
#include <uv.h>

#define CONTROL_LINE_MAX 4097 /* a request line, with its NUL */
#define CONTROL_ARGS_MAX 16

/* What the control socket needs from the process that owns it. */
struct control_host {
	void *ud;
	struct threads *(*threads)(void *ud);
	struct state *(*state)(void *ud); /* the current state (borrowed) */
	/* Reload like SIGHUP; on failure write the reason into err and return < 0. */
	int (*reload)(void *ud, char *err, size_t errlen);
	time_t started; /* wall clock */
};

struct control;

/*
 * Listen on path in loop (an existing socket file is replaced). Returns 0, or a negative errno
 * with err set; the caller decides whether that is fatal.
 */
int control_open(struct control **out, uv_loop_t *loop, const char *path,
		 const struct control_host *host, char *err, size_t errlen);

/* Stop listening and remove the socket file; NULL is a no-op. */
void control_close(struct control *c);

enum control_kind {
	CONTROL_STATUS,
	CONTROL_RELOAD,
	CONTROL_FLUSH,
	CONTROL_STATS,
	CONTROL_DUMP,
	CONTROL_LOAD,
	CONTROL_EXPLAIN,
};

/* One command line, read and checked: everything but carrying it out. */
struct control_cmd {
	enum control_kind kind;
	uint8_t name[MSG_MAX_NAME]; /* flush: the name (wire), name_len 0: everything */
	size_t name_len;
	bool below;               /* flush --below */
	bool reset;               /* stats --reset */
	const char *path;         /* dump-cache / load-cache: absolute, points into buf */
	struct explain_args expl; /* explain: points into buf */
	char buf[CONTROL_LINE_MAX];
	char *argv[CONTROL_ARGS_MAX];
	int argc;
};

/* A request is one line: the bytes up to and with its newline, or 0 while it has none. */
size_t control_request_end(const char *buf, size_t len);

/*
 * Read one command line (without its newline) into *cmd. Returns 0, or -EINVAL with what is
 * wrong (unknown command, bad arguments, usage) written to out. Pure: touches nothing else.
 */
int control_parse(const char *line, struct control_cmd *cmd, FILE *out);

/* Run one command line, writing the reply text to out. Returns 0, or -1 for an error reply. */
int control_run(const struct control_host *host, const char *line, FILE *out);

#endif
