/*
 * port.h: what the Linux port's client side (connect.c) and server side
 * (serve.c) share, and nothing outside runtime/linux sees: the hello a
 * server sends each new client, descriptor passing, socket names.
 */
#ifndef IDL_LINUX_PORT_H
#define IDL_LINUX_PORT_H

#include "idl/linux.h"

#include <sys/socket.h>
#include <sys/un.h>

#define IDL_LINUX_HELLO_MAGIC 0x6f6c6568u /* "helo" */

/*
 * What the server tells a new client, beside three descriptors (the channel
 * region, the server's doorbell, and the client's own kick eventfd): the
 * channel layout's version, the wire format's, the client's doorbell slot,
 * flags, and for each interface served its protocol id (<IFACE>_PROTOCOL),
 * its version and the oldest version it talks to, which a client that
 * expects one checks.
 */
#define IDL_LINUX_HELLO_FDS 3u
/* The server fences its clients' CPUs (membarrier) before it stops looking
 * at a channel: its clients may publish with a compiler barrier. */
#define IDL_LINUX_HELLO_FENCES 0x1u
typedef struct idl_linux_hello {
	uint32_t magic;
	uint32_t version;
	uint32_t wire_version; /* IDL_WIRE_VERSION */
	uint32_t slot;
	uint32_t flags;
	uint32_t protocol_count;
	uint32_t protocols[IDL_SERVER_MAX_INTERFACES];
	uint32_t versions[IDL_SERVER_MAX_INTERFACES];
	uint32_t oldest[IDL_SERVER_MAX_INTERFACES];
} idl_linux_hello;

/* The abstract socket address of a service name ("\0idl/<name>"); its
 * length, or 0 when the name is too long. */
socklen_t idl_linux_socket_name(struct sockaddr_un *addr, const char *name);

/* Whether fd is a region in huge pages and this process does not trust
 * its peers with them (shm.c, idl_linux_trust_huge_pages). */
bool idl_linux_refused_as_huge(int fd);

/*
 * Sends payload with up to IDL_MAX_HANDLES descriptors. flags: MSG_DONTWAIT
 * not to wait for room, IDL_E_WOULD_BLOCK when the socket is full.
 */
int idl_linux_send_fds(int sock, const void *payload, size_t bytes, const int *fds, uint32_t count,
                       int flags);

/*
 * Receives one message of exactly `bytes` and its descriptors (at most
 * `room`). Any surprise closes what came and fails (IDL_E_PROTOCOL);
 * IDL_E_PEER_CLOSED when the peer closed its end instead.
 */
int idl_linux_receive_fds(int sock, void *payload, size_t bytes, int *fds, uint32_t room,
                          uint32_t *count, int flags);

/* Reads old kicks out of a kick pipe (non-blocking), a few pages at most:
 * a client whose kick found the pipe full, and a server on a kernel where
 * kicks do not pile up (serve.c). */
void idl_linux_empty_kick_pipe(int fd);

/*
 * membarrier(2) (futex.c): registers this process for the global expedited
 * command, so that a server's idl_linux_fence_others fences our CPUs too;
 * false when the kernel (or a seccomp filter) does not offer it.
 */
bool idl_linux_fences_register(void);
/* A full fence on every CPU that runs a thread of a registered process. */
void idl_linux_fence_others(void);

#endif /* IDL_LINUX_PORT_H */
