/*
 * suggest.h -- "did you mean": how far a mistyped word is from a known one.
 *
 * The distance is the optimal string alignment distance (Levenshtein plus the swap of two
 * neighbouring letters, so "listne" is one step from "listen"), counted in bytes. A word is a
 * likely typo of a known one when it is within suggest_max() of it: one step for short words,
 * two from 5 letters on, three from 10; further than that a suggestion misleads more often
 * than it helps. Pure functions, no allocation.
 */
#ifndef MEGDNS_SUGGEST_H
#define MEGDNS_SUGGEST_H

#include <stdbool.h>

/* Distance between a and b; words longer than 63 bytes are never near anything (returns 99). */
int suggest_distance(const char *a, const char *b);

/* Is known close enough to what was typed to suggest it? */
bool suggest_near(const char *typed, const char *known);

#endif
