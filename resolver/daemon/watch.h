/*
 * watch.h -- noticing that data files changed on disk: blocklists, hosts and lease files.
 *
 * A watch holds a set of paths and tells its owner, once things are quiet, that one of them
 * changed. It watches each path's folder (libuv fs events, inotify on Linux), not the file:
 * list and lease writers replace a file by renaming a new one over it, which a watch on the
 * old inode would never see. Events come in bursts (a write, then a rename), so the callback
 * runs WATCH_QUIET_MS after the last one. The owner then reloads and hands the new state's
 * paths to watch_set.
 */
#ifndef MEGDNS_WATCH_H
#define MEGDNS_WATCH_H

#include <stddef.h>
#include <uv.h>

#define WATCH_QUIET_MS 500

struct watch;

/* Called on the loop with one of the paths that changed (more may have). */
typedef void (*watch_cb)(void *ud, const char *path);

struct watch *watch_start(uv_loop_t *loop, watch_cb cb, void *ud);

/* Watch exactly these paths from now on (copied). A folder that cannot be watched is logged. */
void watch_set(struct watch *w, char *const *paths, size_t n);

/* Stop and free (the handles close on the loop). NULL is a no-op. */
void watch_stop(struct watch *w);

#endif
