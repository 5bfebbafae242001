/*
 * xalloc.h -- allocation that cannot fail: out of memory says so and aborts.
 *
 * A resolver that runs out of memory cannot answer anyway, and a NULL check at every call
 * site is code that never runs. Every allocation whose failure would only be reported goes
 * through these; xcheck does the same for what another library allocated (ldns, libc
 * streams), so there is one out-of-memory path in megdns.
 */
#ifndef MEGDNS_XALLOC_H
#define MEGDNS_XALLOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noreturn, cold)) static inline void xalloc_fail(void)
{
	fputs("megdns: out of memory\n", stderr);
	abort();
}

/* p, which an allocation returned; aborts when it is NULL. */
static inline void *xcheck(void *p)
{
	if (!p)
		xalloc_fail();
	return p;
}

static inline void *xmalloc(size_t n)
{
	return xcheck(malloc(n ? n : 1));
}

static inline void *xcalloc(size_t n, size_t size)
{
	return xcheck(calloc(n ? n : 1, size ? size : 1));
}

static inline void *xrealloc(void *old, size_t n)
{
	return xcheck(realloc(old, n ? n : 1));
}

static inline char *xstrdup(const char *s)
{
	return xcheck(strdup(s));
}

#endif
