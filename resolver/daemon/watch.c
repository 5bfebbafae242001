/*
 * watch.c -- fs events on the folders of data files, see watch.h.
 */
#include "daemon/watch.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One watched folder and the names in it that matter. */
struct watch_dir {
	uv_fs_event_t h; /* first: the handle's close callback frees the struct */
	struct watch *w;
	char *dir;
	char **names;
	size_t n;
};

struct watch {
	uv_loop_t *loop;
	watch_cb cb;
	void *ud;
	struct watch_dir **dirs;
	size_t n_dirs;
	uv_timer_t *timer; /* the quiet time after the last event */
	char *changed;     /* the path that changed, until the timer fires */
};

static void watch_dir_close_cb(uv_handle_t *h)
{
	struct watch_dir *d = (struct watch_dir *)h;
	for (size_t i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
	free(d->dir);
	free(d);
}

static void watch_timer_cb(uv_timer_t *t)
{
	struct watch *w = t->data;
	char *path = w->changed;
	w->changed = NULL;
	if (path)
		w->cb(w->ud, path);
	free(path);
}

static void watch_event_cb(uv_fs_event_t *h, const char *filename, int events, int status)
{
	struct watch_dir *d = (struct watch_dir *)h;
	struct watch *w = d->w;
	(void)events;
	if (status < 0)
		return;
	for (size_t i = 0; i < d->n; i++) {
		if (filename && strcmp(filename, d->names[i]))
			continue;
		if (!w->changed) {
			size_t len = strlen(d->dir) + strlen(d->names[i]) + 2;
			w->changed = xmalloc(len);
			snprintf(w->changed, len, "%s/%s", d->dir, d->names[i]);
		}
		uv_timer_start(w->timer, watch_timer_cb, WATCH_QUIET_MS, 0);
		return;
	}
}

static void watch_timer_close_cb(uv_handle_t *h)
{
	free(h);
}

struct watch *watch_start(uv_loop_t *loop, watch_cb cb, void *ud)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	w->loop = loop;
	w->cb = cb;
	w->ud = ud;
	w->timer = xcalloc(1, sizeof(*w->timer));
	uv_timer_init(loop, w->timer);
	w->timer->data = w;
	return w;
}

static void watch_clear(struct watch *w)
{
	for (size_t i = 0; i < w->n_dirs; i++)
		uv_close((uv_handle_t *)&w->dirs[i]->h, watch_dir_close_cb);
	free(w->dirs);
	w->dirs = NULL;
	w->n_dirs = 0;
}

/* The folder entry for dir, added (and started) if new; NULL when it cannot be watched. */
static struct watch_dir *watch_dir_get(struct watch *w, const char *dir)
{
	for (size_t i = 0; i < w->n_dirs; i++)
		if (!strcmp(w->dirs[i]->dir, dir))
			return w->dirs[i];
	struct watch_dir *d = xcalloc(1, sizeof(*d));
	d->w = w;
	d->dir = xstrdup(dir);
	uv_fs_event_init(w->loop, &d->h);
	int rc = uv_fs_event_start(&d->h, watch_event_cb, dir, 0);
	if (rc < 0) {
		log_warn("cannot watch %s for changed lists: %s; changes apply at SIGHUP", dir,
			 uv_strerror(rc));
		uv_close((uv_handle_t *)&d->h, watch_dir_close_cb);
		return NULL;
	}
	w->dirs = xrealloc(w->dirs, (w->n_dirs + 1) * sizeof(*w->dirs));
	w->dirs[w->n_dirs++] = d;
	return d;
}

void watch_set(struct watch *w, char *const *paths, size_t n)
{
	watch_clear(w);
	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(paths[i], '/');
		char *dir = slash ? strndup(paths[i], (size_t)(slash - paths[i])) : xstrdup(".");
		if (!dir || !dir[0]) {
			free(dir);
			dir = xstrdup("/");
		}
		struct watch_dir *d = watch_dir_get(w, dir);
		free(dir);
		if (!d)
			continue;
		d->names = xrealloc(d->names, (d->n + 1) * sizeof(*d->names));
		d->names[d->n++] = xstrdup(slash ? slash + 1 : paths[i]);
	}
}

void watch_stop(struct watch *w)
{
	if (!w)
		return;
	watch_clear(w);
	free(w->changed);
	w->timer->data = NULL;
	uv_close((uv_handle_t *)w->timer, watch_timer_close_cb);
	free(w);
}
