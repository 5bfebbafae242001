/*
 * textfile.h -- reading a whole text file, and walking its lines.
 *
 * Lists, hosts and lease files are read in one go (they are rewritten by renaming a new file
 * over the old one, so one read sees one version) and then parsed line by line. The file's
 * identity comes back with it, so a reload can tell a file that did not change.
 */
#ifndef MEGDNS_TEXTFILE_H
#define MEGDNS_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What makes two reads of a path the same file, unchanged. */
struct textfile_id {
	uint64_t dev, ino, size;
	int64_t mtime_ns;
};

/*
 * Read path into a new NUL-terminated buffer (*buf, *len; free it). Returns 0, -EFBIG when
 * the file holds more than max bytes, -EISDIR, or -errno. id (may be NULL) gets its identity.
 */
int textfile_read(const char *path, size_t max, char **buf, size_t *len, struct textfile_id *id);

/* The identity of path now; false when it cannot be read. */
bool textfile_stat(const char *path, struct textfile_id *id);

bool textfile_same(const struct textfile_id *a, const struct textfile_id *b);

/*
 * Call cb for every line of buf[0..len) (without its "\n"), numbered from 1; stops when cb
 * returns nonzero and returns that, else 0.
 */
typedef int (*textfile_line_cb)(void *ud, const char *line, size_t len, size_t lineno);
int textfile_lines(const char *buf, size_t len, textfile_line_cb cb, void *ud);

#endif
