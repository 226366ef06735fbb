/*
 * console_client.h: connects the libc shim's stdio to the console server.
 */
#ifndef CONSOLE_CLIENT_H
#define CONSOLE_CLIENT_H

#include "ulib.h"

/* Looks the console up through the directory and sends stdio there; until
 * then (or if there is none) stdio goes to the kernel's debug log. */
int console_client_connect(void);

#endif
