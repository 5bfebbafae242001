/*
 * notes.c -- collected warnings, see notes.h.
 */
#include "util/notes.h"
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void notes_add(struct notes *ns, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ns->text = xrealloc(ns->text, (ns->n + 1) * sizeof(*ns->text));
	ns->text[ns->n++] = xstrdup(buf);
}

void notes_more(struct notes *ns, const char *path, size_t n_bad, const char *what)
{
	if (n_bad > NOTES_PER_FILE)
		notes_add(ns, "%s: warning: %zu more %s skipped (%zu in all)", path,
			  n_bad - NOTES_PER_FILE, what, n_bad);
}

void notes_free(struct notes *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->text[i]);
	free(ns->text);
	ns->text = NULL;
	ns->n = 0;
}
