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

#include "state.h"
#include "threads.h"

#include <stdio.h>
#include <uv.h>

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

/* Run one command line, writing the reply text to out. Returns 0, or -1 for an error reply. */
int control_run(const struct control_host *host, const char *line, FILE *out);

#endif
