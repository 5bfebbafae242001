/*
 * oplisten.c -- one-request stream listeners for control and metrics. See oplisten.h.
 *
 * Ownership: the owner holds the listener until oplisten_close; the listener owns its
 * connections. A connection has two handles (stream, deadline timer) and is freed when both
 * have closed; the listener is freed when it is closing, its handle has closed and no
 * connection is left.
 */
#include "ops/oplisten.h"

#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

union oplisten_stream {
	uv_handle_t handle;
	uv_stream_t stream;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
};

struct oplisten_conn {
	struct oplisten_conn *prev, *next; /* newest first */
	struct oplisten *l;
	union oplisten_stream s;
	uv_timer_t deadline;
	uv_write_t write;
	unsigned open; /* handles not yet closed */
	bool closing;
	bool answering; /* the request is in: the reply is being written */
	bool refused;   /* admit said no: the reply is the refusal */
	char *reply;    /* from open_memstream */
	size_t reply_len;
	size_t len;
	char req[OPLISTEN_REQ_MAX + 1];
};

struct oplisten {
	union oplisten_stream s;
	struct oplisten_handler h;
	struct oplisten_conn *conns;
	unsigned n_open; /* connections not closing */
	bool closing, listener_closed;
	char *path; /* unix socket, removed on close */
};

static void oplisten_maybe_free(struct oplisten *l)
{
	if (!l->closing || !l->listener_closed || l->conns)
		return;
	free(l->path);
	free(l);
}

static void oplisten_conn_close_cb(uv_handle_t *h)
{
	struct oplisten_conn *c = h->data;
	if (--c->open > 0)
		return;
	struct oplisten *l = c->l;
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->reply);
	free(c);
	oplisten_maybe_free(l);
}

static void oplisten_conn_close(struct oplisten_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->l->n_open--;
	uv_close(&c->s.handle, oplisten_conn_close_cb);
	uv_close((uv_handle_t *)&c->deadline, oplisten_conn_close_cb);
}

static void oplisten_deadline_cb(uv_timer_t *t)
{
	struct oplisten_conn *c = t->data;
	log_debug("%s: closing a client that took too long", c->l->h.name);
	oplisten_conn_close(c);
}

static void oplisten_write_cb(uv_write_t *req, int status)
{
	(void)status;
	oplisten_conn_close(req->data);
}

/* The request is in (whole or not): write the reply, then close. */
static void oplisten_respond(struct oplisten_conn *c, size_t len, bool whole)
{
	struct oplisten *l = c->l;
	FILE *out = xcheck(open_memstream(&c->reply, &c->reply_len));
	c->answering = true;
	c->req[len] = '\0';
	if (c->refused)
		fputs(l->h.refusal ? l->h.refusal : "", out);
	else
		l->h.answer(l->h.ud, c->req, len, whole, out);
	fclose(out);
	/* Answering may have taken a while (a reload): the client gets a full period to read. */
	uv_timer_start(&c->deadline, oplisten_deadline_cb, OPLISTEN_DEADLINE_MS, 0);
	uv_buf_t b = uv_buf_init(c->reply, (unsigned)c->reply_len);
	c->write.data = c;
	if (!c->reply_len || uv_write(&c->write, &c->s.stream, &b, 1, oplisten_write_cb) < 0)
		oplisten_conn_close(c);
}

static void oplisten_alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct oplisten_conn *c = h->data;
	(void)size;
	*buf = uv_buf_init(c->req + c->len, (unsigned)(OPLISTEN_REQ_MAX - c->len));
}

static void oplisten_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct oplisten_conn *c = s->data;
	(void)buf;
	if (nread < 0) {
		oplisten_conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	c->req[c->len] = '\0';
	size_t n = c->l->h.complete(c->req, c->len);
	if (n == 0 && c->len < OPLISTEN_REQ_MAX)
		return;
	uv_read_stop(s);
	oplisten_respond(c, n ? n : c->len, n != 0);
}

/*
 * Has the client sent anything, read or still in the kernel's buffer? A burst of connects is
 * accepted in one go before any of them is read, so a scrape whose request is already in was
 * closed as "idle" by the flood connections accepted after it (seen in CI).
 */
static bool oplisten_conn_sent(struct oplisten_conn *c)
{
	uv_os_fd_t fd;
	int pending = 0;
	if (c->len > 0)
		return true;
	return uv_fileno(&c->s.handle, &fd) == 0 && ioctl(fd, FIONREAD, &pending) == 0 &&
	       pending > 0;
}

/*
 * Full: close the oldest client (other than the newcomer) that has sent nothing yet, else the
 * oldest still sending its request. False if all are being answered.
 */
static bool oplisten_make_room(struct oplisten *l, const struct oplisten_conn *newcomer)
{
	struct oplisten_conn *oldest = NULL, *oldest_silent = NULL;
	for (struct oplisten_conn *c = l->conns; c; c = c->next) {
		if (c->closing || c->answering || c == newcomer)
			continue;
		oldest = c;
		if (!oplisten_conn_sent(c))
			oldest_silent = c;
	}
	if (oldest_silent)
		oldest = oldest_silent;
	if (!oldest)
		return false;
	log_debug("%s: %u clients, closing the oldest", l->h.name, l->n_open);
	oplisten_conn_close(oldest);
	return true;
}

static struct oplisten_conn *oplisten_conn_new(struct oplisten *l, uv_loop_t *loop)
{
	struct oplisten_conn *c = xcalloc(1, sizeof(*c));
	c->l = l;
	if (l->path)
		uv_pipe_init(loop, &c->s.pipe, 0);
	else
		uv_tcp_init(loop, &c->s.tcp);
	uv_timer_init(loop, &c->deadline);
	c->s.handle.data = c->deadline.data = c;
	c->open = 2;
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->n_open++;
	return c;
}

static void oplisten_accept_cb(uv_stream_t *server, int status)
{
	struct oplisten *l = server->data;
	if (status < 0 || l->closing)
		return;
	/* Accept even when full: a connection left in the kernel's queue holds its slot too. */
	struct oplisten_conn *c = oplisten_conn_new(l, server->loop);
	if (uv_accept(server, &c->s.stream) < 0 ||
	    (l->n_open > OPLISTEN_MAX_CONNS && !oplisten_make_room(l, c))) {
		oplisten_conn_close(c);
		return;
	}
	if (!l->path && l->h.admit) {
		struct sockaddr_storage peer;
		int len = sizeof(peer);
		c->refused = uv_tcp_getpeername(&c->s.tcp, (struct sockaddr *)&peer, &len) < 0 ||
			     !l->h.admit(l->h.ud, &peer);
	}
	uv_timer_start(&c->deadline, oplisten_deadline_cb, OPLISTEN_DEADLINE_MS, 0);
	if (uv_read_start(&c->s.stream, oplisten_alloc_cb, oplisten_read_cb) < 0)
		oplisten_conn_close(c);
}

static void oplisten_listener_close_cb(uv_handle_t *h)
{
	struct oplisten *l = h->data;
	l->listener_closed = true;
	oplisten_maybe_free(l);
}

static struct oplisten *oplisten_new(const struct oplisten_handler *h)
{
	struct oplisten *l = xcalloc(1, sizeof(*l));
	l->h = *h;
	return l;
}

int oplisten_tcp(struct oplisten **out, uv_loop_t *loop, const struct addr *a,
		 const struct oplisten_handler *h, char *err, size_t errlen)
{
	struct oplisten *l = oplisten_new(h);
	char buf[ADDR_STRLEN];
	uv_tcp_init(loop, &l->s.tcp);
	l->s.handle.data = l;
	int r = uv_tcp_bind(&l->s.tcp, (const struct sockaddr *)&a->ss, 0);
	if (r == 0)
		r = uv_listen(&l->s.stream, OPLISTEN_MAX_CONNS, oplisten_accept_cb);
	if (r < 0) {
		snprintf(err, errlen, "%s %s: %s%s", h->name, addr_format(a, buf, sizeof(buf)),
			 uv_strerror(r), addr_bind_hint(a, r));
		oplisten_close(l);
		return r;
	}
	*out = l;
	return 0;
}

/*
 * Why binding the socket at path failed, for a person: libuv reports a missing folder as
 * EACCES (as Windows would), which sends people chasing permissions that are fine.
 */
static void oplisten_pipe_error(const char *name, const char *path, int r, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	struct stat st;
	if (r == UV_EACCES && slash && slash != path && stat(dir, &st) < 0 && errno == ENOENT)
		snprintf(err, errlen,
			 "%s %s: the folder %s does not exist (create it, e.g. systemd's "
			 "RuntimeDirectory=megdns for /run/megdns, or choose another path)",
			 name, path, dir);
	else if (r == UV_EACCES)
		snprintf(err, errlen,
			 "%s %s: permission denied: this user (uid %u) cannot create files in %s",
			 name, path, (unsigned)geteuid(), dir);
	else
		snprintf(err, errlen, "%s %s: %s", name, path, uv_strerror(r));
}

int oplisten_pipe(struct oplisten **out, uv_loop_t *loop, const char *path,
		  const struct oplisten_handler *h, char *err, size_t errlen)
{
	struct oplisten *l = oplisten_new(h);
	l->path = xstrdup(path);
	uv_pipe_init(loop, &l->s.pipe, 0);
	l->s.handle.data = l;
	unlink(path);             /* a socket left by a previous run */
	mode_t old = umask(0117); /* 0660: the service user and its group */
	int r = uv_pipe_bind(&l->s.pipe, path);
	umask(old);
	if (r == 0)
		r = uv_listen(&l->s.stream, OPLISTEN_MAX_CONNS, oplisten_accept_cb);
	if (r < 0) {
		oplisten_pipe_error(h->name, path, r, err, errlen);
		oplisten_close(l);
		return r;
	}
	*out = l;
	return 0;
}

void oplisten_close(struct oplisten *l)
{
	if (!l || l->closing)
		return;
	l->closing = true;
	if (l->path)
		unlink(l->path);
	for (struct oplisten_conn *c = l->conns; c; c = c->next)
		oplisten_conn_close(c);
	uv_close(&l->s.handle, oplisten_listener_close_cb);
}
