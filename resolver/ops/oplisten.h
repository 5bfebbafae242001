/*
 * oplisten.h -- the listener under the control socket and the metrics endpoint: a client
 * sends one request, gets one reply, and the connection closes.
 *
 * These side doors must never cost the DNS service anything, least of all file descriptors:
 * a flood of idle connections to them once took every fd, after which cache misses got
 * SERVFAIL. So a listener holds at most OPLISTEN_MAX_CONNS clients; when full, the oldest one
 * that has sent nothing yet (else the oldest still sending its request) is closed to admit the
 * newcomer. Each client has
 * OPLISTEN_DEADLINE_MS from accept to deliver its request and as long again to read the
 * reply, and may send at most OPLISTEN_REQ_MAX bytes. A TCP listener can refuse a client by
 * its address: its request is still read (within the same limits, so that closing does not
 * reset the connection before the refusal arrives) and answered with the refusal text. A
 * client that closes before its request is complete gets no reply. The owner says where a
 * request ends and writes the reply; the listener does the rest. Main thread only.
 */
#ifndef MEGDNS_OPLISTEN_H
#define MEGDNS_OPLISTEN_H

#include "util/addr.h"

#include <stdbool.h>
#include <stdio.h>
#include <uv.h>

#define OPLISTEN_MAX_CONNS   16
#define OPLISTEN_DEADLINE_MS 5000
#define OPLISTEN_REQ_MAX     4096

struct oplisten;

/* What the owner of a listener decides. Callbacks get ud. */
struct oplisten_handler {
	void *ud;
	const char *name; /* for messages: "metrics", "control socket" */
	/* TCP only, may be NULL: may this peer connect at all? */
	bool (*admit)(void *ud, const struct sockaddr_storage *peer);
	/* The reply to a client admit refused (instead of answer); NULL: close without one. */
	const char *refusal;
	/* Bytes of a whole request at the start of buf[0..len), or 0 while more may come. */
	size_t (*complete)(const char *buf, size_t len);
	/*
	 * Write the reply to req[0..len) (NUL-terminated) into out. whole is false when the
	 * request filled OPLISTEN_REQ_MAX bytes before it was complete.
	 */
	void (*answer)(void *ud, const char *req, size_t len, bool whole, FILE *out);
};

/*
 * Listen on TCP address a (the handler is copied). On error returns a negative errno with
 * "NAME ADDR: reason" in err.
 */
int oplisten_tcp(struct oplisten **out, uv_loop_t *loop, const struct addr *a,
		 const struct oplisten_handler *h, char *err, size_t errlen);

/* Listen on a unix socket at path, created with mode 0660 (a stale socket is replaced). */
int oplisten_pipe(struct oplisten **out, uv_loop_t *loop, const char *path,
		  const struct oplisten_handler *h, char *err, size_t errlen);

/* Close the listener and every client; frees itself once libuv is done. NULL is a no-op. */
void oplisten_close(struct oplisten *l);

#endif
