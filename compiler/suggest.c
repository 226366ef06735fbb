/*
 * suggest.c: the closest name to a misspelt one (suggest.h).
 */
#include "suggest.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/* Identifiers are at most 255 bytes (lexer.l); longer words get no
 * suggestion rather than a bigger table. */
#define LONGEST_WORD 255u

void suggest_init(suggester *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->best_distance = 0;
}

static bool same_letter(char a, char b)
{
	return tolower((unsigned char)a) == tolower((unsigned char)b);
}

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;
	return m < c ? m : c;
}

/* The optimal string alignment distance of a and b: three rows of the
 * classic table (the one before last for swaps). */
static unsigned distance(const char *a, size_t na, const char *b, size_t nb)
{
	unsigned rows[3][LONGEST_WORD + 1];
	unsigned *before = rows[0], *last = rows[1], *row = rows[2];
	for (size_t j = 0; j <= nb; j++)
		last[j] = (unsigned)j;
	for (size_t i = 1; i <= na; i++) {
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= nb; j++) {
			unsigned cost = same_letter(a[i - 1], b[j - 1]) ? 0 : 1;
			row[j] = min3(last[j] + 1, row[j - 1] + 1, last[j - 1] + cost);
			if (i > 1 && j > 1 && same_letter(a[i - 1], b[j - 2]) &&
			    same_letter(a[i - 2], b[j - 1]) && before[j - 2] + 1 < row[j])
				row[j] = before[j - 2] + 1;
		}
		unsigned *oldest = before;
		before = last;
		last = row;
		row = oldest;
	}
	return last[nb];
}

void suggest_consider(suggester *s, const char *candidate)
{
	size_t na = strlen(s->word), nb = strlen(candidate);
	if (na > LONGEST_WORD || nb > LONGEST_WORD || strcmp(s->word, candidate) == 0)
		return;
	unsigned limit = na / 3 > 1 ? (unsigned)(na / 3) : 1;
	/* The length difference alone is a lower bound of the distance. */
	size_t apart = na > nb ? na - nb : nb - na;
	if (apart > limit)
		return;
	unsigned d = distance(s->word, na, candidate, nb);
	if (d > limit || d >= na)
		return;
	if (s->best == NULL || d < s->best_distance) {
		s->best = candidate;
		s->best_distance = d;
	}
}

const char *suggest_result(const suggester *s)
{
	return s->best;
}
