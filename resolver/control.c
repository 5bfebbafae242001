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
#include "oplisten.h"
#include "msg.h"
#include "stats.h"
#include "upstream.h"
#include "worker.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONTROL_ARGS_MAX 16
#define CONTROL_LINE_MAX (OPLISTEN_REQ_MAX + 1)

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

struct control {
	struct oplisten *listener;
	struct control_host host;
};

/* A request is one line. */
static size_t control_complete(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	return nl ? (size_t)(nl - buf) + 1 : 0;
}

static void control_answer(void *ud, const char *req, size_t len, bool whole, FILE *out)
{
	struct control *c = ud;
	char *text = NULL, *line = xmalloc(len + 1);
	size_t text_len = 0;
	memcpy(line, req, len);
	line[len && line[len - 1] == '\n' ? len - 1 : len] = '\0';
	FILE *tmp = open_memstream(&text, &text_len);
	if (!tmp)
		abort();
	int r = -EINVAL;
	if (whole)
		r = control_run(&c->host, line, tmp);
	else
		fprintf(tmp, "command longer than %d bytes\n", OPLISTEN_REQ_MAX);
	fclose(tmp);
	fprintf(out, "%s\n%s", r == 0 ? "ok" : "error", text);
	free(text);
	free(line);
}

int control_open(struct control **out, uv_loop_t *loop, const char *path,
		 const struct control_host *host, char *err, size_t errlen)
{
	struct control *c = xcalloc(1, sizeof(*c));
	c->host = *host;
	struct oplisten_handler h = {.ud = c,
				     .name = "control socket",
				     .complete = control_complete,
				     .answer = control_answer};
	int r = oplisten_pipe(&c->listener, loop, path, &h, err, errlen);
	if (r < 0) {
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	oplisten_close(c->listener); /* no callback reaches c after this */
	free(c);
}
