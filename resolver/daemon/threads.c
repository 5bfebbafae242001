/*
 * threads.c -- N workers on N threads; reload and stop fan-out. See threads.h.
 */
#include "daemon/threads.h"

#include "util/log.h"
#include "daemon/server.h"
#include "daemon/worker.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#define THREADS_GRACE_MS 1500 /* after a stop, a loop that still has handles is left anyway */
#define THREADS_JOB_NS   2000000000ull /* a worker job that takes longer is given up */

struct threads_one {
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t wake;
	uv_timer_t grace;
	struct worker *worker;
	_Atomic(struct state *) pending; /* a new state to take, or NULL */
	atomic_bool stop;
	bool started;
	size_t index;
	/* A job from the main thread, under threads.lock. */
	void (*job)(struct worker *w, size_t index, void *arg);
	void *job_arg;
	bool job_done;
	struct threads *all;
};

struct threads {
	struct threads_one *one;
	size_t n;
	uv_mutex_t lock;
	uv_cond_t done;
};

static void threads_grace_cb(uv_timer_t *timer)
{
	uv_stop(timer->loop); /* handles still open: end uv_run anyway, the process is exiting */
}

static void threads_close_cb(uv_handle_t *h)
{
	(void)h;
}

/* In the worker's thread: take a pending state, or stop. */
static void threads_wake_cb(uv_async_t *a)
{
	struct threads_one *o = a->data;
	uv_mutex_lock(&o->all->lock);
	if (o->job && !o->job_done) {
		o->job(o->worker, o->index, o->job_arg);
		o->job_done = true;
		uv_cond_broadcast(&o->all->done);
	}
	uv_mutex_unlock(&o->all->lock);
	struct state *s = atomic_exchange(&o->pending, NULL);
	if (s)
		worker_set_state(o->worker, s);
	if (atomic_load(&o->stop)) {
		worker_stop(o->worker);
		uv_close((uv_handle_t *)&o->wake, threads_close_cb);
		uv_timer_start(&o->grace, threads_grace_cb, THREADS_GRACE_MS, 0);
		uv_unref((uv_handle_t *)&o->grace);
	}
}

static void threads_run(void *arg)
{
	struct threads_one *o = arg;
	uv_run(&o->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&o->grace, threads_close_cb);
	uv_run(&o->loop, UV_RUN_NOWAIT);
}

/* A loop and a worker with open listeners, not yet running. */
static int threads_prepare(struct threads_one *o, struct state *state, char *err, size_t errlen)
{
	int r = uv_loop_init(&o->loop);
	if (r < 0) {
		snprintf(err, errlen, "event loop: %s", uv_strerror(r));
		return r;
	}
	atomic_init(&o->pending, NULL);
	atomic_init(&o->stop, false);
	r = worker_new(&o->loop, state_ref(state), &o->worker, err, errlen);
	if (r < 0) {
		state_unref(state);
		/* The listeners opened before the one that failed are closing: let their close
		 * callbacks free them, then the loop can be closed. */
		uv_run(&o->loop, UV_RUN_DEFAULT);
		uv_loop_close(&o->loop);
		return r;
	}
	uv_async_init(&o->loop, &o->wake, threads_wake_cb);
	o->wake.data = o;
	uv_timer_init(&o->loop, &o->grace);
	return 0;
}

/* Close what threads_prepare made, for a worker whose thread never ran. */
static void threads_unprepare(struct threads_one *o)
{
	worker_stop(o->worker);
	uv_close((uv_handle_t *)&o->wake, threads_close_cb);
	uv_close((uv_handle_t *)&o->grace, threads_close_cb);
	uv_run(&o->loop, UV_RUN_DEFAULT);
	worker_free(o->worker);
	uv_loop_close(&o->loop);
}

int threads_start(struct threads **out, struct state *state, char *err, size_t errlen)
{
	struct threads *t = xcalloc(1, sizeof(*t));
	size_t n = state->cfg->threads ? state->cfg->threads : 1;
	t->one = xcalloc(n, sizeof(*t->one));
	uv_mutex_init(&t->lock);
	uv_cond_init(&t->done);
	for (size_t i = 0; i < n; i++) {
		t->one[i].index = i;
		t->one[i].all = t;
	}
	int r = server_probe(state->cfg, err, errlen);
	for (t->n = 0; t->n < n && r == 0; t->n++) {
		r = threads_prepare(&t->one[t->n], state, err, errlen);
		if (r < 0)
			break;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = uv_thread_create(&t->one[i].thread, threads_run, &t->one[i]);
		if (r < 0)
			snprintf(err, errlen, "thread: %s", uv_strerror(r));
		t->one[i].started = r == 0;
	}
	if (r < 0) {
		threads_stop(t);
		return r;
	}
	*out = t;
	return 0;
}

void threads_set_state(struct threads *t, struct state *state)
{
	for (size_t i = 0; i < t->n; i++) {
		struct state *old = atomic_exchange(&t->one[i].pending, state_ref(state));
		if (old) /* a reload the worker had not taken yet: superseded */
			state_unref(old);
		uv_async_send(&t->one[i].wake);
	}
}

void threads_stop(struct threads *t)
{
	for (size_t i = 0; i < t->n; i++) {
		if (!t->one[i].started)
			continue;
		atomic_store(&t->one[i].stop, true);
		uv_async_send(&t->one[i].wake);
	}
	for (size_t i = 0; i < t->n; i++) {
		struct threads_one *o = &t->one[i];
		if (o->started) {
			uv_thread_join(&o->thread);
			worker_free(o->worker);
			if (uv_loop_close(&o->loop) < 0)
				log_debug("worker %zu: handles still open at exit", i);
		} else {
			threads_unprepare(o);
		}
		state_unref(atomic_exchange(&o->pending, NULL));
	}
	uv_mutex_destroy(&t->lock);
	uv_cond_destroy(&t->done);
	free(t->one);
	free(t);
}

size_t threads_count(const struct threads *t)
{
	return t->n;
}

int threads_each(struct threads *t, void (*fn)(struct worker *w, size_t index, void *arg),
		 void *arg)
{
	int r = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct threads_one *o = &t->one[i];
		uv_mutex_lock(&t->lock);
		o->job = fn;
		o->job_arg = arg;
		o->job_done = false;
		uv_mutex_unlock(&t->lock);
		uv_async_send(&o->wake);
		uv_mutex_lock(&t->lock);
		while (!o->job_done)
			if (uv_cond_timedwait(&t->done, &t->lock, THREADS_JOB_NS) != 0)
				break;
		if (!o->job_done)
			r = -ETIMEDOUT;
		o->job = NULL; /* a late worker will not run it any more */
		uv_mutex_unlock(&t->lock);
	}
	return r;
}
