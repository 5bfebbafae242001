/*
 * log.h -- messages to stderr with a level.
 *
 * megdns runs in the foreground under systemd or a terminal, so logging is one line per event
 * on stderr ("megdns[pid]: level: message"). The level threshold is the only process-wide
 * setting: the main thread writes it at start-up and reload, workers read it (atomically).
 */
#ifndef MEGDNS_LOG_H
#define MEGDNS_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Set the threshold; messages above it are dropped. */
void log_set_level(enum log_level level);

/* Is a message of this level printed?  Lets callers skip formatting work. */
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line that is not about a problem (the query log): printed whatever the level. */
void log_tagged(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
