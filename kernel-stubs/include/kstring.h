/*
 * kstring.h: the C string functions of the reference system, one copy
 * (lib/string.c) linked into the kernel and into every user program. The
 * compiler may emit calls to memcpy and memset on its own.
 */
#ifndef KSTRING_H
#define KSTRING_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
