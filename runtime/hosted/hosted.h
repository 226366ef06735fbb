/*
 * hosted.h: what the hosted demo programs share: the mapping from host
 * errno values to sys.Errno values, and the service names (overridable from
 * the environment, so that tests can run servers side by side). Serving is
 * the runtime's (idl_linux_server in idl/linux.h).
 */
#ifndef IDL_HOSTED_H
#define IDL_HOSTED_H

#include "idl/linux.h"
#include "sys.h"

/* Clients served at once by one server. */
#define HOSTED_CAPACITY 64u
/* Sessions one client process may hold at once: a share, not all. */
#define HOSTED_SESSIONS_PER_CLIENT 8u

/* A host errno value as the closest sys.Errno. */
sys_errno hosted_errno_from_host(int host_errno);

/* The name a service is reached by: $env_var if set, else fallback. */
const char *hosted_service_name(const char *env_var, const char *fallback);

/* Opens /dev/null on whichever of descriptors 0, 1 and 2 is closed, before
 * the server opens anything: else its first shared memory would be
 * "stdout", and what it prints would land in every client's mapping. */
void hosted_standard_descriptors(void);

#endif /* IDL_HOSTED_H */
