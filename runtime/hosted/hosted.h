/*
 * hosted.h: what the hosted demo programs share: the mapping from host
 * errno values to sys.Errno values, the service names (overridable from
 * the environment, so that tests can run servers side by side), and a
 * server main loop that stops on SIGINT or SIGTERM.
 */
#ifndef IDL_HOSTED_H
#define IDL_HOSTED_H

#include "idl/linux.h"
#include "sys.h"

/* The channel ring size of both servers: 2 * (largest frame + 256) fits. */
#define HOSTED_RING_BYTES 131072u
/* Clients served at once by one server. */
#define HOSTED_CAPACITY 64u

/* A host errno value as the closest sys.Errno. */
sys_errno hosted_errno_from_host(int host_errno);

/* The name a service is reached by: $env_var if set, else fallback. */
const char *hosted_service_name(const char *env_var, const char *fallback);

/*
 * Serves `name` with `handler` until SIGINT or SIGTERM, then closes every
 * channel. on_close (may be NULL) is told about each closed channel, with
 * the slot that hosted_slot() returned for it. Returns the exit status.
 */
int hosted_serve(const char *program, const char *name, uint32_t max_frame_bytes,
                 idl_frame_handler handler, idl_close_fn on_close, void *ctx);

/* The slot (0 .. HOSTED_CAPACITY-1) of the channel a handler was called on:
 * the key of per-session state. */
uint32_t hosted_slot(idl_endpoint *ep);

#endif /* IDL_HOSTED_H */
