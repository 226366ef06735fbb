/*
 * console_client.h: connects the libc shim's stdio to the console server.
 */
#ifndef CONSOLE_CLIENT_H
#define CONSOLE_CLIENT_H

#include "chan.h"
#include "ulib.h"

/* Opens the client end of the channel behind handle and sends stdio there. */
int console_client_connect(int handle, idl_chan_end *end);

#endif
