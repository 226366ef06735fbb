/*
 * suggest.h: "did you mean ...?" for a misspelt name. A suggester is given
 * the word that matched nothing and then every name it could have meant;
 * it keeps the closest by edit distance (an insertion, a deletion, a
 * substitution or a swap of two neighbours each count one; case is
 * ignored), if that one is close enough to be a typo rather than another
 * word: at most a third of the word's length, and at least one.
 */
#ifndef IDLC_SUGGEST_H
#define IDLC_SUGGEST_H

typedef struct suggester {
	const char *word;
	const char *best; /* the closest candidate so far, or NULL */
	unsigned best_distance;
} suggester;

void suggest_init(suggester *s, const char *word);
void suggest_consider(suggester *s, const char *candidate);
/* The suggestion, or NULL when nothing was close enough. */
const char *suggest_result(const suggester *s);

#endif
