/*
 * notes.h -- warnings found while loading, kept to be printed later.
 *
 * Loading a state reads many files; what is wrong but not fatal (a garbage line in a list, a
 * bad line in a hosts file) is collected here as "FILE:LINE: warning: ..." and printed by
 * `megdns -t`, at start and at reload. A file reports its first NOTES_PER_FILE problems and
 * the count of the rest, so a broken million-line list cannot flood the log.
 */
#ifndef MEGDNS_NOTES_H
#define MEGDNS_NOTES_H

#include <stddef.h>

#define NOTES_PER_FILE 5

struct notes {
	char **text;
	size_t n;
};

/* Add one note (printf format). */
__attribute__((format(printf, 2, 3))) void notes_add(struct notes *ns, const char *fmt, ...);

/*
 * For a file: the note of its n-th bad line (n from 1) when n <= NOTES_PER_FILE; the caller
 * calls notes_more once the file is done.
 */
void notes_more(struct notes *ns, const char *path, size_t n_bad, const char *what);

void notes_free(struct notes *ns);

#endif
