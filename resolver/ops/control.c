/*
 * control.c -- the control socket and its commands. See control.h.
 */
#include "ops/control.h"

#include "dns/cache.h"
#include "resolve/cachefile.h"
#include "ops/explain.h"
#include "daemon/cachesave.h"
#include "daemon/fetch.h"
#include "dnssec/keycache.h"
#include "util/log.h"
#include "ops/oplisten.h"
#include "dns/msg.h"
#include "daemon/stats.h"
#include "daemon/upstream.h"
#include "daemon/worker.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- status ---- */

static void control_count_deleg(void *ud, const uint8_t *key, size_t key_len,
				const struct cache_entry *e)
{
	(void)e;
	*(size_t *)ud += (key[key_len - 1] & CACHE_KEY_DELEG) != 0;
}

/* What a server's last failure was, for people. */
static const char *control_fail_text(const struct upstream_stats *u)
{
	int err = u->fail_err;
	if (u->tls_name && u->tls_why[0] && err != -EREMOTEIO)
		return u->tls_why; /* what the TLS connection said: the certificate, ... */
	switch (err) {
	case -ETIMEDOUT:
		return "no reply in time";
	case -EREMOTEIO:
		return "an error rcode (REFUSED, SERVFAIL, ...)";
	case -EBADMSG:
		return "a reply that does not parse";
	default:
		return strerror(-err);
	}
}

static void control_status_server(FILE *out, const char *what, const struct upstream_stats *u)
{
	static const char *const health[] = {[UPSTREAM_UNTRIED] = "untried",
					     [UPSTREAM_UP] = "up",
					     [UPSTREAM_FAILING] = "down, asked again",
					     [UPSTREAM_HELD_DOWN] = "down, held down",
					     [UPSTREAM_PROBING] = "down, probing"};
	char a[ADDR_STRLEN], held[48] = "", why[300] = "";
	int n = 0;
	if (u->health == UPSTREAM_HELD_DOWN)
		snprintf(held, sizeof(held), " for %.1f s", u->held_ms / 1000.0);
	if (u->fails)
		n = snprintf(why, sizeof(why), " (%u failures since its last reply", u->fails);
	if (u->fail_age_ms != UINT64_MAX)
		snprintf(why + n, sizeof(why) - (size_t)n, "%slast failure %.1f s ago: %s)",
			 n ? "; " : " (", u->fail_age_ms / 1000.0, control_fail_text(u));
	else if (n)
		snprintf(why + n, sizeof(why) - (size_t)n, ")");
	char tls[300] = "";
	if (u->tls_name)
		snprintf(tls, sizeof(tls), "#%s (TLS, %llu handshakes, %llu resumed)", u->tls_name,
			 (unsigned long long)u->tls_handshakes, (unsigned long long)u->tls_resumed);
	fprintf(out, "  %s %s%s: %s%s%s, rtt %.2f ms, %llu queries, %llu timeouts, %llu errors\n",
		what, addr_format(&u->addr, a, sizeof(a)), tls, health[u->health], held, why,
		u->srtt_us / 1000.0, (unsigned long long)u->queries,
		(unsigned long long)u->timeouts, (unsigned long long)u->errors);
}

static void control_status_job(struct worker *w, size_t index, void *arg)
{
	FILE *out = arg;
	struct upstream_stats us[32];
	size_t delegs = 0, learned;
	cache_walk(w->cache, control_count_deleg, &delegs);
	fprintf(out,
		"worker %zu: cache %zu entries (%zu delegations), %zu bytes; %zu fetches in "
		"flight\n",
		index, cache_count(w->cache), delegs, cache_bytes(w->cache),
		fetch_table_count(w->fetches));
	size_t n = upstream_pool_stats(w->pool, us, 32);
	for (size_t i = 0; i < n && i < 32; i++)
		control_status_server(out, "upstream", &us[i]);
	n = upstream_pool_slowest(w->pool, us, 5, &learned);
	if (learned)
		fprintf(out, "  authoritative servers: %zu known, the slowest:\n", learned);
	for (size_t i = 0; i < n; i++)
		control_status_server(out, "  server", &us[i]);
}

static int control_status(const struct control_host *h, FILE *out)
{
	struct state *st = h->state(h->ud);
	fprintf(out, "version %s\nuptime %lds\nconfig %s\nthreads %zu\n", MEGDNS_VERSION,
		(long)(time(NULL) - h->started), st->cfg->path, threads_count(h->threads(h->ud)));
	fprintf(out, "dnssec %s\n", st->anchors ? "validating" : "off");
	if (!st->fwd.n_defaults)
		fprintf(out, "recursion from the root (%s, %zu servers)\n",
			st->cfg->root_hints.path ? st->cfg->root_hints.path : "built-in hints",
			st->hints->n);
	for (size_t i = 0; i < st->views.n_views; i++) {
		const struct config_view *v = st->views.views[i].cfg;
		fprintf(out,
			"view %s: %zu client prefixes, %zu interfaces, %zu destinations, "
			"%zu zones, %zu records, %s\n",
			v->name, v->n_clients, v->n_interfaces, v->n_destinations, v->n_zones,
			v->n_records, v->n_upstreams ? "own upstreams" : "shared upstreams");
	}
	int r = threads_each(h->threads(h->ud), control_status_job, out);
	return r < 0 ? r : 0;
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

static int control_flush(const struct control_host *h, const struct control_cmd *cmd, FILE *out)
{
	struct control_flush f = {.name_len = cmd->name_len, .below = cmd->below};
	memcpy(f.name, cmd->name, cmd->name_len);
	int r = threads_each(h->threads(h->ud), control_flush_job, &f);
	fprintf(out, "flushed %zu cache entries\n", f.removed);
	return r < 0 ? r : 0;
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

static int control_stats(const struct control_host *h, const struct control_cmd *cmd, FILE *out)
{
	struct control_stats cs = {.reset = cmd->reset};
	stats_init(&cs.sum);
	int r = threads_each(h->threads(h->ud), control_stats_job, &cs);
	stats_print(&cs.sum, out);
	fprintf(out, "cache.entries %zu\ncache.bytes %zu\n", cs.entries, cs.bytes);
	stats_close(&cs.sum);
	return r < 0 ? r : 0;
}

/* ---- dump-cache / load-cache ---- */

static int control_cachefile(const struct control_host *h, const struct control_cmd *cmd, FILE *out)
{
	struct threads *t = h->threads(h->ud);
	if (cmd->kind == CONTROL_DUMP) {
		FILE *f = fopen(cmd->path, "w");
		if (!f) {
			int e = errno;
			fprintf(out, "%s: %s\n", cmd->path, strerror(e));
			return -e;
		}
		size_t n = cachesave_dump(t, f);
		if (fclose(f) != 0) {
			int e = errno;
			fprintf(out, "%s: %s\n", cmd->path, strerror(e));
			return -e;
		}
		fprintf(out, "dumped %zu entries to %s\n", n, cmd->path);
		return 0;
	}
	char why[512];
	size_t loaded, expired;
	int r = cachesave_load(t, cmd->path, &loaded, &expired, why, sizeof(why));
	if (r < 0) {
		fprintf(out, "%s\n", why);
		return r;
	}
	fprintf(out,
		"loaded %zu entries (%zu expired since the dump) from %s into each of %zu "
		"worker(s)\n",
		loaded, expired, cmd->path, threads_count(t));
	return 0;
}

/* ---- dispatch ---- */

/* The arguments of flush, stats, dump-cache and load-cache. */
static int control_parse_args(struct control_cmd *c, FILE *out)
{
	switch (c->kind) {
	case CONTROL_FLUSH:
		if (c->argc > 1 && (c->argv[1][0] == '-' ||
				    msg_name_from_str(c->argv[1], c->name, &c->name_len) < 0)) {
			fprintf(out, "'%s' is not a domain name\n", c->argv[1]);
			return -EINVAL;
		}
		c->below = c->argc > 2 && !strcmp(c->argv[2], "--below");
		if (c->argc > 3 || (c->argc == 3 && !c->below))
			break;
		return 0;
	case CONTROL_STATS:
		c->reset = c->argc > 1 && !strcmp(c->argv[1], "--reset");
		if (c->argc > 2 || (c->argc == 2 && !c->reset))
			break;
		return 0;
	case CONTROL_DUMP:
	case CONTROL_LOAD:
		if (c->argc != 2)
			break;
		c->path = c->argv[1];
		if (c->path[0] != '/') { /* megdns's working folder is not the caller's */
			fprintf(out, "%s needs an absolute path, not '%s'\n", c->argv[0], c->path);
			return -EINVAL;
		}
		return 0;
	case CONTROL_EXPLAIN:
		return explain_parse(c->argc, c->argv, &c->expl, out);
	default:
		return c->argc == 1
			   ? 0
			   : (fprintf(out, "%s takes no arguments\n", c->argv[0]), -EINVAL);
	}
	static const char *const usage[] = {[CONTROL_FLUSH] = "flush [NAME [--below]]",
					    [CONTROL_STATS] = "stats [--reset]",
					    [CONTROL_DUMP] = "dump-cache FILE",
					    [CONTROL_LOAD] = "load-cache FILE"};
	fprintf(out, "usage: %s\n", usage[c->kind]);
	return -EINVAL;
}

int control_parse(const char *line, struct control_cmd *c, FILE *out)
{
	static const char *const names[] = {
	    [CONTROL_STATUS] = "status",   [CONTROL_RELOAD] = "reload",
	    [CONTROL_FLUSH] = "flush",     [CONTROL_STATS] = "stats",
	    [CONTROL_DUMP] = "dump-cache", [CONTROL_LOAD] = "load-cache",
	    [CONTROL_EXPLAIN] = "explain"};
	char *save = NULL;
	c->argc = 0;
	c->name_len = 0;
	c->path = NULL;
	snprintf(c->buf, sizeof(c->buf), "%s", line);
	for (char *tok = strtok_r(c->buf, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (c->argc == CONTROL_ARGS_MAX) {
			fprintf(out, "more than %d words\n", CONTROL_ARGS_MAX);
			return -EINVAL;
		}
		c->argv[c->argc++] = tok;
	}
	if (c->argc == 0) {
		fprintf(out, "empty command\n");
		return -EINVAL;
	}
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (!strcmp(c->argv[0], names[k])) {
			c->kind = (enum control_kind)k;
			return control_parse_args(c, out);
		}
	fprintf(out,
		"unknown command '%s' (status, reload, flush, stats, dump-cache, load-cache, "
		"explain)\n",
		c->argv[0]);
	return -EINVAL;
}

static int control_reload(const struct control_host *h, FILE *out)
{
	char err[1024];
	int r = h->reload(h->ud, err, sizeof(err));
	if (r < 0) {
		fprintf(out, "reload failed, still serving the previous configuration: %s\n", err);
		return r;
	}
	fprintf(out, "reloaded %s\n", h->state(h->ud)->cfg->path);
	return 0;
}

int control_run(const struct control_host *h, const char *line, FILE *out)
{
	struct control_cmd *cmd = xmalloc(sizeof(*cmd));
	int r = -1;
	if (control_parse(line, cmd, out) < 0)
		goto done;
	if (!h->threads(h->ud)) {
		fprintf(out, "megdns is stopping\n");
		goto done;
	}
	switch (cmd->kind) {
	case CONTROL_STATUS:
		r = control_status(h, out);
		break;
	case CONTROL_RELOAD:
		r = control_reload(h, out);
		break;
	case CONTROL_FLUSH:
		r = control_flush(h, cmd, out);
		break;
	case CONTROL_STATS:
		r = control_stats(h, cmd, out);
		break;
	case CONTROL_DUMP:
	case CONTROL_LOAD:
		r = control_cachefile(h, cmd, out);
		break;
	case CONTROL_EXPLAIN:
		r = explain_run(h->state(h->ud), h->threads(h->ud), &cmd->expl, out);
		break;
	}
done:
	free(cmd);
	return r;
}

/* ---- the socket ---- */

struct control {
	struct oplisten *listener;
	struct control_host host;
};

size_t control_request_end(const char *buf, size_t len)
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
	FILE *tmp = xcheck(open_memstream(&text, &text_len));
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
				     .complete = control_request_end,
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
