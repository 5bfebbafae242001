/*
 * control.c -- the control socket and its commands. See control.h.
 */
#include "control.h"

#include "cache.h"
#include "cachefile.h"
#include "explain.h"
#include "fetch.h"
#include "keycache.h"
#include "log.h"
#include "msg.h"
#include "stats.h"
#include "upstream.h"
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONTROL_LINE_MAX 4096
#define CONTROL_ARGS_MAX 16

struct control {
	struct control_conn *conns; /* open client connections, closed on stop */
	bool closing;
	bool listener_closed;
	uv_pipe_t pipe;
	char *path;
	struct control_host host;
};

struct control_conn {
	struct control_conn *prev, *next;
	uv_pipe_t pipe;
	uv_write_t write;
	struct control *ctl;
	char *reply; /* from open_memstream */
	size_t reply_len;
	size_t len;
	char line[CONTROL_LINE_MAX];
};

/* ---- status ---- */

static void control_status_job(struct worker *w, size_t index, void *arg)
{
	FILE *out = arg;
	struct upstream_stats us[32];
	fprintf(out, "worker %zu: cache %zu entries, %zu bytes; %zu fetches in flight\n", index,
		cache_count(w->cache), cache_bytes(w->cache), fetch_table_count(w->fetches));
	size_t n = upstream_pool_stats(w->pool, us, 32);
	for (size_t i = 0; i < n && i < 32; i++) {
		char a[ADDR_STRLEN];
		fprintf(out,
			"  upstream %s: %s, rtt %.2f ms, %llu queries, %llu timeouts, "
			"%llu errors\n",
			addr_format(&us[i].addr, a, sizeof(a)),
			us[i].down    ? "down"
			: us[i].known ? "up"
				      : "untried",
			us[i].srtt_us / 1000.0, (unsigned long long)us[i].queries,
			(unsigned long long)us[i].timeouts, (unsigned long long)us[i].errors);
	}
}

static int control_status(const struct control_host *h, FILE *out)
{
	struct state *st = h->state(h->ud);
	fprintf(out, "version %s\nuptime %lds\nconfig %s\nthreads %zu\n", MEGDNS_VERSION,
		(long)(time(NULL) - h->started), st->cfg->path, threads_count(h->threads(h->ud)));
	fprintf(out, "dnssec %s\n", st->anchors ? "validating" : "off");
	for (size_t i = 0; i < st->views.n_views; i++) {
		const struct config_view *v = st->views.views[i].cfg;
		fprintf(out,
			"view %s: %zu client prefixes, %zu interfaces, %zu destinations, "
			"%zu zones, %zu records, %s\n",
			v->name, v->n_clients, v->n_interfaces, v->n_destinations, v->n_zones,
			v->n_records, v->n_upstreams ? "own upstreams" : "shared upstreams");
	}
	return threads_each(h->threads(h->ud), control_status_job, out) < 0 ? -1 : 0;
}

/* ---- flush ---- */

struct control_flush {
	uint8_t name[MSG_MAX_NAME];
	size_t name_len; /* 0: everything */
	bool below;
	size_t removed;
};

/* Does a cache key (scope len, scope, name, type, class, flags) hold the name to flush? */
static bool control_flush_match(void *ud, const uint8_t *key, size_t key_len)
{
	const struct control_flush *f = ud;
	size_t start = 1u + key[0];
	if (key_len < start + 5)
		return false;
	const uint8_t *name = key + start;
	size_t len = key_len - start - 5;
	if (f->below)
		return msg_name_under(name, len, f->name, f->name_len);
	return len == f->name_len && !memcmp(name, f->name, len);
}

static void control_flush_job(struct worker *w, size_t index, void *arg)
{
	struct control_flush *f = arg;
	(void)index;
	if (f->name_len == 0) {
		f->removed += cache_count(w->cache);
		cache_clear(w->cache);
		keycache_clear(w->keycache);
		return;
	}
	f->removed += cache_remove_if(w->cache, control_flush_match, f);
}

static int control_flush(const struct control_host *h, int argc, char **argv, FILE *out)
{
	struct control_flush f = {.name_len = 0};
	if (argc > 1 && msg_name_from_str(argv[1], f.name, &f.name_len) < 0) {
		fprintf(out, "'%s' is not a domain name\n", argv[1]);
		return -1;
	}
	f.below = argc > 2 && !strcmp(argv[2], "--below");
	if (argc > 3 || (argc == 3 && !f.below)) {
		fprintf(out, "usage: flush [NAME [--below]]\n");
		return -1;
	}
	int r = threads_each(h->threads(h->ud), control_flush_job, &f);
	fprintf(out, "flushed %zu cache entries\n", f.removed);
	return r < 0 ? -1 : 0;
}

/* ---- stats ---- */

struct control_stats {
	struct stats sum;
	bool reset;
	size_t entries, bytes;
};

static void control_stats_job(struct worker *w, size_t index, void *arg)
{
	struct control_stats *cs = arg;
	(void)index;
	stats_add(&cs->sum, &w->stats);
	cs->entries += cache_count(w->cache);
	cs->bytes += cache_bytes(w->cache);
	if (cs->reset)
		stats_reset(&w->stats);
}

static int control_stats(const struct control_host *h, int argc, char **argv, FILE *out)
{
	struct control_stats cs = {.reset = argc > 1 && !strcmp(argv[1], "--reset")};
	if (argc > 2 || (argc == 2 && !cs.reset)) {
		fprintf(out, "usage: stats [--reset]\n");
		return -1;
	}
	stats_init(&cs.sum);
	int r = threads_each(h->threads(h->ud), control_stats_job, &cs);
	stats_print(&cs.sum, out);
	fprintf(out, "cache.entries %zu\ncache.bytes %zu\n", cs.entries, cs.bytes);
	stats_close(&cs.sum);
	return r < 0 ? -1 : 0;
}

/* ---- dump-cache / load-cache ---- */

struct control_file {
	FILE *file;
	const char *path;
	size_t count, expired;
	int err;
	char why[512];
};

static void control_dump_job(struct worker *w, size_t index, void *arg)
{
	struct control_file *cf = arg;
	(void)index;
	cf->count += cachefile_dump(w, cf->file);
}

static void control_load_job(struct worker *w, size_t index, void *arg)
{
	struct control_file *cf = arg;
	size_t loaded, expired;
	if (cf->err)
		return;
	cf->err =
	    cachefile_load(w, cf->path, time(NULL), &loaded, &expired, cf->why, sizeof(cf->why));
	if (index == 0) {
		cf->count = loaded;
		cf->expired = expired;
	}
}

static int control_cachefile(const struct control_host *h, int argc, char **argv, FILE *out)
{
	struct control_file cf = {.path = argc == 2 ? argv[1] : NULL};
	bool dump = !strcmp(argv[0], "dump-cache");
	if (!cf.path) {
		fprintf(out, "usage: %s FILE\n", argv[0]);
		return -1;
	}
	if (dump) {
		cf.file = fopen(cf.path, "w");
		if (!cf.file) {
			fprintf(out, "%s: %s\n", cf.path, strerror(errno));
			return -1;
		}
		cachefile_header(cf.file, time(NULL));
		threads_each(h->threads(h->ud), control_dump_job, &cf);
		if (fclose(cf.file) != 0) {
			fprintf(out, "%s: %s\n", cf.path, strerror(errno));
			return -1;
		}
		fprintf(out, "dumped %zu entries to %s\n", cf.count, cf.path);
		return 0;
	}
	threads_each(h->threads(h->ud), control_load_job, &cf);
	if (cf.err) {
		fprintf(out, "%s\n", cf.why);
		return -1;
	}
	fprintf(out,
		"loaded %zu entries (%zu expired since the dump) from %s into each of %zu "
		"worker(s)\n",
		cf.count, cf.expired, cf.path, threads_count(h->threads(h->ud)));
	return 0;
}

/* ---- dispatch ---- */

int control_run(const struct control_host *h, const char *line, FILE *out)
{
	char copy[CONTROL_LINE_MAX], *argv[CONTROL_ARGS_MAX], *save = NULL;
	int argc = 0;
	snprintf(copy, sizeof(copy), "%s", line);
	for (char *tok = strtok_r(copy, " \t\r\n", &save); tok && argc < CONTROL_ARGS_MAX;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = tok;
	if (argc == 0) {
		fprintf(out, "empty command\n");
		return -1;
	}
	if (!h->threads(h->ud)) {
		fprintf(out, "megdns is stopping\n");
		return -1;
	}
	const char *cmd = argv[0];
	if (!strcmp(cmd, "status") && argc == 1)
		return control_status(h, out);
	if (!strcmp(cmd, "reload") && argc == 1) {
		char err[1024];
		if (h->reload(h->ud, err, sizeof(err)) < 0) {
			fprintf(out,
				"reload failed, still serving the previous configuration: %s\n",
				err);
			return -1;
		}
		fprintf(out, "reloaded %s\n", h->state(h->ud)->cfg->path);
		return 0;
	}
	if (!strcmp(cmd, "flush"))
		return control_flush(h, argc, argv, out);
	if (!strcmp(cmd, "stats"))
		return control_stats(h, argc, argv, out);
	if (!strcmp(cmd, "dump-cache") || !strcmp(cmd, "load-cache"))
		return control_cachefile(h, argc, argv, out);
	if (!strcmp(cmd, "explain"))
		return explain_run(h, argc, argv, out);
	fprintf(out,
		"unknown command '%s' (status, reload, flush, stats, dump-cache, load-cache, "
		"explain)\n",
		cmd);
	return -1;
}

/* ---- the socket ---- */

/* The listener and every connection are closed: nothing refers to it any more. */
static void control_maybe_free(struct control *x)
{
	if (!x->closing || !x->listener_closed || x->conns)
		return;
	free(x->path);
	free(x);
}

static void control_conn_close_cb(uv_handle_t *h)
{
	struct control_conn *cc = h->data;
	if (cc->prev)
		cc->prev->next = cc->next;
	else
		cc->ctl->conns = cc->next;
	if (cc->next)
		cc->next->prev = cc->prev;
	free(cc->reply);
	struct control *owner = cc->ctl;
	free(cc);
	control_maybe_free(owner);
}

static void control_write_cb(uv_write_t *req, int status)
{
	struct control_conn *cc = req->data;
	(void)status;
	uv_close((uv_handle_t *)&cc->pipe, control_conn_close_cb);
}

static void control_execute(struct control_conn *cc)
{
	char *text = NULL;
	size_t text_len = 0;
	FILE *tmp = open_memstream(&text, &text_len);
	if (!tmp)
		abort();
	cc->line[cc->len] = '\0';
	int r = control_run(&cc->ctl->host, cc->line, tmp);
	fclose(tmp);
	FILE *out = open_memstream(&cc->reply, &cc->reply_len);
	if (!out)
		abort();
	fprintf(out, "%s\n%s", r == 0 ? "ok" : "error", text);
	fclose(out);
	free(text);
	uv_buf_t b = uv_buf_init(cc->reply, (unsigned)cc->reply_len);
	cc->write.data = cc;
	if (uv_write(&cc->write, (uv_stream_t *)&cc->pipe, &b, 1, control_write_cb) < 0)
		uv_close((uv_handle_t *)&cc->pipe, control_conn_close_cb);
}

static void control_alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct control_conn *cc = h->data;
	(void)size;
	*buf = uv_buf_init(cc->line + cc->len, (unsigned)(sizeof(cc->line) - 1 - cc->len));
}

static void control_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct control_conn *cc = stream->data;
	(void)buf;
	if (nread < 0) {
		uv_close((uv_handle_t *)&cc->pipe, control_conn_close_cb);
		return;
	}
	cc->len += (size_t)nread;
	char *nl = memchr(cc->line, '\n', cc->len);
	if (!nl && cc->len < sizeof(cc->line) - 1)
		return;
	uv_read_stop(stream);
	if (nl)
		cc->len = (size_t)(nl - cc->line);
	control_execute(cc);
}

static void control_accept_cb(uv_stream_t *server, int status)
{
	struct control *c = server->data;
	if (status < 0 || c->closing)
		return;
	struct control_conn *cc = calloc(1, sizeof(*cc));
	if (!cc)
		abort();
	cc->ctl = c;
	uv_pipe_init(server->loop, &cc->pipe, 0);
	cc->pipe.data = cc;
	cc->next = c->conns;
	if (c->conns)
		c->conns->prev = cc;
	c->conns = cc;
	if (uv_accept(server, (uv_stream_t *)&cc->pipe) < 0 ||
	    uv_read_start((uv_stream_t *)&cc->pipe, control_alloc_cb, control_read_cb) < 0)
		uv_close((uv_handle_t *)&cc->pipe, control_conn_close_cb);
}

static void control_close_cb(uv_handle_t *h)
{
	struct control *c = h->data;
	c->listener_closed = true;
	c->closing = true;
	control_maybe_free(c);
}

int control_open(struct control **out, uv_loop_t *loop, const char *path,
		 const struct control_host *host, char *err, size_t errlen)
{
	struct control *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->host = *host;
	c->path = strdup(path);
	uv_pipe_init(loop, &c->pipe, 0);
	c->pipe.data = c;
	unlink(path);             /* a socket left by a previous run */
	mode_t old = umask(0117); /* 0660: the service user and its group */
	int r = uv_pipe_bind(&c->pipe, path);
	umask(old);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&c->pipe, 16, control_accept_cb);
	if (r < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, uv_strerror(r));
		uv_close((uv_handle_t *)&c->pipe, control_close_cb);
		return r;
	}
	*out = c;
	return 0;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	c->closing = true;
	unlink(c->path);
	for (struct control_conn *cc = c->conns; cc; cc = cc->next)
		if (!uv_is_closing((uv_handle_t *)&cc->pipe))
			uv_close((uv_handle_t *)&cc->pipe, control_conn_close_cb);
	uv_close((uv_handle_t *)&c->pipe, control_close_cb);
}
