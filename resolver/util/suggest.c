/*
 * suggest.c -- edit distance for "did you mean", see suggest.h.
 *
 * The classic dynamic programme over three rows (the swap looks two rows back). Config keys are
 * short, so fixed rows on the stack do.
 */
#include "util/suggest.h"

#include <string.h>

#define SUGGEST_MAX_LEN 63
#define SUGGEST_FAR     99

static int suggest_min(int a, int b)
{
	return a < b ? a : b;
}

int suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return SUGGEST_FAR;
	int rows[3][SUGGEST_MAX_LEN + 1];
	int *two = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];
			int d = suggest_min(suggest_min(prev[j] + 1, cur[j - 1] + 1),
					    prev[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				d = suggest_min(d, two[j - 2] + 1);
			cur[j] = d;
		}
		int *t = two;
		two = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

bool suggest_near(const char *typed, const char *known)
{
	size_t n = strlen(typed);
	int max = n >= 10 ? 3 : n >= 5 ? 2 : 1;
	return suggest_distance(typed, known) <= max;
}
