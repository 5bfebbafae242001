/*
 * cachesave.c -- every worker's cache to a file and back. See cachesave.h.
 *
 * Ownership: main.c owns the struct cachesave (cache.file's timer) from cachesave_start to
 * cachesave_stop; the timer handle is freed in its close callback.
 */
#include "daemon/cachesave.h"

#include "daemon/worker.h"
#include "resolve/cachefile.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cachesave {
	uv_timer_t timer;
	struct threads *threads;
	char *path;
	uint64_t interval_ms;
};

struct cachesave_job {
	FILE *file;
	const char *path;
	size_t count, expired;
	int err;
	char *why;
	size_t why_len;
};

static void cachesave_dump_job(struct worker *w, size_t index, void *arg)
{
	struct cachesave_job *j = arg;
	(void)index;
	j->count += cachefile_dump(w->cache, worker_now(w), j->file);
}

size_t cachesave_dump(struct threads *t, FILE *out)
{
	struct cachesave_job j = {.file = out};
	cachefile_header(out, time(NULL));
	threads_each(t, cachesave_dump_job, &j);
	return j.count;
}

static void cachesave_load_job(struct worker *w, size_t index, void *arg)
{
	struct cachesave_job *j = arg;
	size_t loaded, expired;
	if (j->err)
		return;
	j->err = cachefile_load(w->cache, worker_now(w), w->state->cfg->cache_size, j->path,
				time(NULL), &loaded, &expired, j->why, j->why_len);
	if (index == 0) {
		j->count = loaded;
		j->expired = expired;
	}
}

int cachesave_load(struct threads *t, const char *path, size_t *loaded, size_t *expired, char *why,
		   size_t len)
{
	struct cachesave_job j = {.path = path, .why = why, .why_len = len};
	threads_each(t, cachesave_load_job, &j);
	*loaded = j.count;
	*expired = j.expired;
	return j.err;
}

int cachesave_write(struct threads *t, const char *path, size_t *count, char *why, size_t len)
{
	size_t n = strlen(path) + 5;
	char *tmp = xmalloc(n);
	snprintf(tmp, n, "%s.tmp", path);
	/* 0600: the names a household looked up are nobody else's business. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int r = 0;
	const char *at = f ? path : tmp;
	if (!f) {
		r = -errno;
		if (fd >= 0)
			close(fd);
	} else {
		*count = cachesave_dump(t, f);
		if (fflush(f) != 0 || fsync(fileno(f)) != 0)
			r = -errno;
		if (fclose(f) != 0 && r == 0)
			r = -errno;
		if (r == 0 && rename(tmp, path) != 0)
			r = -errno;
	}
	if (r < 0) {
		snprintf(why, len, "%s: %s", at, strerror(-r));
		unlink(tmp);
	}
	free(tmp);
	return r;
}

static void cachesave_now(struct cachesave *s, const char *when)
{
	char why[512];
	size_t n = 0;
	if (cachesave_write(s->threads, s->path, &n, why, sizeof(why)) < 0)
		log_warn("cache.file: cannot save the cache (%s): %s", when, why);
	else
		log_info("cache.file: saved %zu entries to %s (%s)", n, s->path, when);
}

static void cachesave_timer_cb(uv_timer_t *timer)
{
	cachesave_now(timer->data, "every cache.save-interval");
}

static void cachesave_close_cb(uv_handle_t *h)
{
	struct cachesave *s = h->data;
	free(s->path);
	free(s);
}

/* Load cfg's file into the workers, as megdns starts; a bad file only costs its contents. */
static void cachesave_load_at_start(struct threads *t, const char *path)
{
	char why[512];
	size_t loaded, expired;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		log_info("cache.file: %s does not exist yet: starting with an empty cache", path);
		return;
	}
	if (cachesave_load(t, path, &loaded, &expired, why, sizeof(why)) < 0)
		log_warn("cache.file: %s; starting with an empty cache", why);
	else
		log_info("cache.file: loaded %zu entries from %s (%zu expired while megdns was "
			 "stopped)",
			 loaded, path, expired);
}

struct cachesave *cachesave_configure(struct cachesave *s, uv_loop_t *loop, struct threads *t,
				      const struct config *cfg)
{
	if (!cfg->cache_file) {
		if (s)
			uv_close((uv_handle_t *)&s->timer, cachesave_close_cb);
		return NULL;
	}
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		uv_timer_init(loop, &s->timer);
		s->timer.data = s;
	}
	s->threads = t;
	free(s->path);
	s->path = xstrdup(cfg->cache_file);
	s->interval_ms = (uint64_t)cfg->cache_save_interval * 1000;
	uv_timer_start(&s->timer, cachesave_timer_cb, s->interval_ms, s->interval_ms);
	return s;
}

struct cachesave *cachesave_start(uv_loop_t *loop, struct threads *t, const struct config *cfg)
{
	if (!cfg->cache_file)
		return NULL;
	cachesave_load_at_start(t, cfg->cache_file);
	return cachesave_configure(NULL, loop, t, cfg);
}

void cachesave_stop(struct cachesave *s)
{
	if (!s)
		return;
	cachesave_now(s, "at stop");
	uv_close((uv_handle_t *)&s->timer, cachesave_close_cb);
}
