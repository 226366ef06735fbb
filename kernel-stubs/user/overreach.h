/*
 * overreach.h: the stress image's hostile client asking the servers for
 * more than its share, or for what is another's (overreach.c).
 */
#ifndef OVERREACH_H
#define OVERREACH_H

/* Runs every attempt; the number that were not refused as they must be. */
int overreach(void);

#endif
