/*
 * errno.c: errno, and strerror for its values (sys.Errno's, and the two of
 * the transport).
 */
#include "posix.h"

int errno;

const char *strerror(int err)
{
	static const char *const messages[] = {
	    [ENOENT] = "no such file or directory",
	    [EACCES] = "permission denied",
	    [EEXIST] = "it exists already",
	    [ENOTDIR] = "not a directory",
	    [EISDIR] = "is a directory",
	    [EINVAL] = "invalid argument",
	    [ENOSPC] = "no space left on the device",
	    [EIO] = "input/output error",
	    [EBADF] = "bad file descriptor",
	    [EMFILE] = "too many open files",
	    [ENOTSUP] = "not supported",
	    [EAGAIN] = "it would block",
	    [EADDRINUSE] = "address in use",
	    [ENETUNREACH] = "network unreachable",
	    [EBUSY] = "busy",
	    [ENAMETOOLONG] = "name too long",
	    [ENOTEMPTY] = "directory not empty",
	    [ENOTCONN] = "not connected",
	    [ECONNREFUSED] = "connection refused",
	    [ECONNRESET] = "connection reset",
	    [ETIMEDOUT] = "timed out",
	    [ERANGE] = "buffer too small",
	};
	if (err == EPIPE)
		return "the server went away";
	if (err == ENOSYS)
		return "no server for it";
	if (err > 0 && err < (int)(sizeof(messages) / sizeof(messages[0])) && messages[err])
		return messages[err];
	return "unknown error";
}
