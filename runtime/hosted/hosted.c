/*
 * hosted.c: the helpers in hosted.h.
 */
#include "hosted.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

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

void hosted_standard_descriptors(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
			if (null >= 0 && null != fd) { /* the lowest free: fd itself, normally */
				dup2(null, fd);
				close(null);
			}
		}
}

const char *hosted_service_name(const char *env_var, const char *fallback)
{
	const char *name = getenv(env_var);
	return name != NULL && name[0] != '\0' ? name : fallback;
}
