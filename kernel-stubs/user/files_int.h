/*
 * files_int.h: what the parts of the libc shim's file layer share
 * (files.c, dirs.c, fstdio.c, fs_connection.c).
 */
#ifndef FILES_INT_H
#define FILES_INT_H

#include "fs.h"
#include "posix.h"
#include "ulib.h"

/* The file server's endpoint, connecting first if need be; NULL (errno set)
 * when there is no file server. */
idl_endpoint *files_server(void);
/* Which connection is current: it changes when the server went away. */
uint32_t files_generation(void);
/* Drops the connection (the server closed it); the next call connects again. */
void files_disconnect(void);

/* Sets errno from a failed call's result; returns -1. */
int files_fail(int err, sys_errno error);
void files_count_request(void);

/* The server's own descriptors, for stat and opendir. */
int64_t files_server_open(const char *path, uint32_t flags, uint32_t mode);
void files_server_close(uint32_t fd);
int files_server_stat(uint32_t fd, struct stat *st);

/* close() of a socket's descriptor (sockets.c). */
int sockets_close(int fd);

/* The console, as descriptors 0, 1 and 2 (stdio.c). */
ssize_t console_read(void *buf, size_t count);
void stdio_write(const void *buf, size_t count);

#endif
