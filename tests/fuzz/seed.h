/*
 * seed.h -- writing a fuzz target's seed corpus from the target itself.
 *
 * Seeds that must be exact (signed answers, spliced messages) are made with ldns by the
 * target that uses them, so the seed corpus and the target can never drift apart: run the
 * target with MEGDNS_FUZZ_SEEDS=DIR and it writes its seeds into DIR and exits, e.g.
 *   MEGDNS_FUZZ_SEEDS=tests/fuzz/corpus/chase build-fuzz/tests/fuzz/fuzz_chase
 * A seed is the concatenation of parts, each (bytes, length), ending with a NULL part.
 */
#ifndef MEGDNS_FUZZ_SEED_H
#define MEGDNS_FUZZ_SEED_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The seed folder asked for, or NULL for a normal fuzzing run. */
static inline const char *seed_dir(void)
{
	const char *d = getenv("MEGDNS_FUZZ_SEEDS");
	return d && *d ? d : NULL;
}

/* Write dir/name from the parts (const uint8_t *, size_t)... NULL; exits on failure. */
static inline void seed_write(const char *dir, const char *name, ...)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	if (!fp) {
		perror(path);
		exit(1);
	}
	va_list ap;
	va_start(ap, name);
	const uint8_t *p;
	while ((p = va_arg(ap, const uint8_t *)) != NULL) {
		size_t n = va_arg(ap, size_t);
		if (fwrite(p, 1, n, fp) != n) {
			perror(path);
			exit(1);
		}
	}
	va_end(ap);
	if (fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

#endif
