/*
 * xalloc.h -- allocation that cannot fail: out of memory aborts.
 *
 * A resolver that runs out of memory cannot answer anyway, and a NULL check at every call
 * site is code that never runs. Every allocation whose failure would only be reported goes
 * through these.
 */
#ifndef MEGDNS_XALLOC_H
#define MEGDNS_XALLOC_H

#include <stdlib.h>
#include <string.h>

static inline void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

static inline void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

static inline void *xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static inline char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

#endif
