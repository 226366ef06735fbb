/*
 * hosted.c: the helpers in hosted.h.
 */
#include "hosted.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

sys_errno hosted_errno_from_host(int host_errno)
{
	switch (host_errno) {
	case ENOENT:
		return SYS_ERRNO_NOT_FOUND;
	case EACCES:
	case EPERM:
	case EROFS:
	case EXDEV: /* openat2 RESOLVE_BENEATH: the path leaves the served directory */
	case ELOOP: /* a symbolic link we refuse to follow */
		return SYS_ERRNO_ACCESS;
	case EEXIST:
		return SYS_ERRNO_EXISTS;
	case ENOTDIR:
		return SYS_ERRNO_NOT_DIR;
	case EISDIR:
		return SYS_ERRNO_IS_DIR;
	case EINVAL:
		return SYS_ERRNO_INVALID;
	case ENOSPC:
		return SYS_ERRNO_NO_SPACE;
	case EBADF:
		return SYS_ERRNO_BAD_HANDLE;
	case EMFILE:
	case ENFILE:
		return SYS_ERRNO_TOO_MANY;
	case ENAMETOOLONG:
		return SYS_ERRNO_NAME_TOO_LONG;
	case ENOTEMPTY:
		return SYS_ERRNO_NOT_EMPTY;
	case EAGAIN:
		return SYS_ERRNO_WOULD_BLOCK;
	default:
		return SYS_ERRNO_IO;
	}
}

const char *hosted_service_name(const char *env_var, const char *fallback)
{
	const char *name = getenv(env_var);
	return name != NULL && name[0] != '\0' ? name : fallback;
}

/* One server per process: the signal handler needs to find it. */
static idl_linux_server server;
static idl_linux_conn conns[HOSTED_CAPACITY];
static idl_chan_end *slots[HOSTED_CAPACITY];

static void stop(int sig)
{
	(void)sig;
	idl_linux_server_stop(&server); /* an atomic store and a futex wake */
}

uint32_t hosted_slot(idl_endpoint *ep)
{
	/* The endpoint is the first member of the conn's idl_chan_end. */
	idl_linux_conn *c = (idl_linux_conn *)(void *)((char *)ep - offsetof(idl_linux_conn, end));
	return (uint32_t)(c - conns);
}

int hosted_serve(const char *program, const char *name, uint32_t max_frame_bytes,
                 idl_frame_handler handler, idl_close_fn on_close, void *ctx)
{
	/* The request frame, decoded in place by the dispatcher. */
	void *buf = aligned_alloc(8, max_frame_bytes);
	if (buf == NULL)
		return 1;
	int err =
	    idl_linux_server_open(&server, name, conns, slots, HOSTED_CAPACITY, HOSTED_RING_BYTES,
	                          max_frame_bytes, handler, ctx, buf, max_frame_bytes);
	if (err != IDL_OK) {
		fprintf(stderr, "%s: cannot serve \"%s\": %s%s\n", program, name,
		        idl_error_name(err), err == IDL_E_TRANSPORT ? " (is the name taken?)" : "");
		free(buf);
		return 1;
	}
	server.on_close = on_close;
	server.close_ctx = ctx;
	struct sigaction sa = {.sa_handler = stop};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "%s: serving \"%s\"\n", program, name);
	err = idl_linux_server_run(&server);
	if (err != IDL_OK)
		fprintf(stderr, "%s: cannot accept clients: %s\n", program, idl_error_name(err));
	idl_linux_server_close(&server);
	free(buf);
	return err == IDL_OK ? 0 : 1;
}
