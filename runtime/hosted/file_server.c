/*
 * file_server.c: idl-file-server, fs.File (idl/fs.idl) over a host
 * directory, read-only.
 *
 *     idl-file-server [-n NAME] DIR      (default: $IDL_FS_NAME or "fs")
 *
 * Paths are relative to DIR whether or not they start with '/'. A path
 * never leaves DIR: a ".." component is refused outright, and the file is
 * opened with openat2(RESOLVE_BENEATH), so that a symbolic link that
 * points outside DIR (absolute, or through "..") is refused by the kernel
 * (EXDEV, reported as ACCESS). Where openat2 is missing, the path is walked
 * one component at a time with O_NOFOLLOW and every symbolic link is
 * refused.
 *
 * Descriptors are per session (per client channel): small numbers indexing
 * that session's table, made when the session opens and closed with all it
 * holds when the channel closes. Methods that would change anything answer
 * ACCESS; watch answers NOT_SUPPORTED.
 */
#include "fs.h"
#include "hosted.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FILES_PER_SESSION 32u

typedef struct open_file {
	int fd;   /* -1: free */
	DIR *dir; /* directories: the stream readdir reads (owns fd) */
} open_file;

/* What a session holds: its descriptors. */
typedef struct session_files {
	open_file files[FILES_PER_SESSION];
} session_files;

static int root = -1;

/* Reply data must outlive the handler (the dispatcher encodes it after). */
static uint8_t read_buf[FS_MAX_INLINE_IO];
static fs_dir_entry entries[FS_READDIR_BATCH];
static char names[FS_READDIR_BATCH][FS_MAX_NAME + 1];

static int fail(sys_errno *error, sys_errno e)
{
	*error = e;
	return IDL_E_REMOTE;
}

/* Fallback without openat2: one component at a time, no symbolic links. */
static int open_walk(char *path, int flags)
{
	int dir = dup(root);
	char *save = NULL;
	char *part = strtok_r(path, "/", &save);
	while (dir >= 0 && part != NULL) {
		char *next = strtok_r(NULL, "/", &save);
		int fd =
		    openat(dir, part,
		           (next != NULL ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC);
		int saved = errno;
		close(dir);
		errno = saved;
		dir = fd;
		part = next;
	}
	return dir;
}

/* No ".." component at all, even one that would stay inside: simple to check. */
static bool has_dot_dot(const char *path)
{
	for (const char *p = path; p != NULL; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return true;
	}
	return false;
}

/* Opens `path` below the root; -1 with errno set when refused or missing. */
static int open_beneath(const char *path, int flags)
{
	char rel[FS_MAX_PATH + 2];
	while (*path == '/')
		path++;
	snprintf(rel, sizeof(rel), "%s", *path != '\0' ? path : ".");
	if (has_dot_dot(rel)) {
		errno = EACCES;
		return -1;
	}
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
	                       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = open_walk(rel, flags);
	return fd;
}

static session_files *files_of(idl_request *r)
{
	return r->session->state;
}

static open_file *session_file(idl_request *r, uint32_t fd)
{
	session_files *s = files_of(r);
	if (fd >= FILES_PER_SESSION || s->files[fd].fd < 0)
		return NULL;
	return &s->files[fd];
}

static void close_file(open_file *f)
{
	if (f->dir != NULL)
		closedir(f->dir); /* closes f->fd too */
	else if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->dir = NULL;
}

/* A new session: an empty table of descriptors. */
static int session_open(void *ctx, idl_session *session)
{
	(void)ctx;
	session_files *s = malloc(sizeof(*s));
	if (s == NULL)
		return IDL_E_BUFFER;
	for (uint32_t i = 0; i < FILES_PER_SESSION; i++)
		s->files[i] = (open_file){.fd = -1};
	session->state = s;
	return IDL_OK;
}

/* The channel of a session closed: close everything it left open. */
static void session_close(void *ctx, idl_session *session, int reason)
{
	(void)ctx;
	(void)reason;
	session_files *s = session->state;
	for (uint32_t i = 0; i < FILES_PER_SESSION; i++)
		close_file(&s->files[i]);
	free(s);
}

static int serve_open(idl_request *r, const fs_file_open_request *req, fs_file_open_reply *reply,
                      sys_errno *error)
{
	const fs_open_flags writing = FS_OPEN_FLAGS_WRITE | FS_OPEN_FLAGS_CREATE |
	                              FS_OPEN_FLAGS_TRUNCATE | FS_OPEN_FLAGS_APPEND |
	                              FS_OPEN_FLAGS_EXCLUSIVE;
	if ((req->flags & writing) != 0)
		return fail(error, SYS_ERRNO_ACCESS);
	session_files *s = files_of(r);
	uint32_t i = 0;
	while (i < FILES_PER_SESSION && s->files[i].fd >= 0)
		i++;
	if (i == FILES_PER_SESSION)
		return fail(error, SYS_ERRNO_TOO_MANY);
	bool want_dir = (req->flags & FS_OPEN_FLAGS_DIRECTORY) != 0;
	int fd = open_beneath(req->path.data, O_RDONLY | O_NONBLOCK | (want_dir ? O_DIRECTORY : 0));
	if (fd < 0)
		return fail(error, hosted_errno_from_host(errno));
	struct stat st;
	DIR *dir = NULL;
	if (fstat(fd, &st) != 0 || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
		close(fd); /* devices, fifos and sockets are not served */
		return fail(error, SYS_ERRNO_ACCESS);
	}
	if (S_ISDIR(st.st_mode) && (dir = fdopendir(fd)) == NULL) {
		int saved = errno;
		close(fd);
		return fail(error, hosted_errno_from_host(saved));
	}
	s->files[i] = (open_file){.fd = fd, .dir = dir};
	reply->fd = i;
	return IDL_OK;
}

static int serve_close(idl_request *r, const fs_file_close_request *req, fs_file_close_reply *reply,
                       sys_errno *error)
{
	(void)reply;
	open_file *f = session_file(r, req->fd);
	if (f == NULL)
		return fail(error, SYS_ERRNO_BAD_HANDLE);
	close_file(f);
	return IDL_OK;
}

static int serve_read(idl_request *r, const fs_file_read_request *req, fs_file_read_reply *reply,
                      sys_errno *error)
{
	open_file *f = session_file(r, req->fd);
	if (f == NULL)
		return fail(error, SYS_ERRNO_BAD_HANDLE);
	if (req->count > FS_MAX_INLINE_IO || req->offset > INT64_MAX)
		return fail(error, SYS_ERRNO_INVALID);
	ssize_t n = pread(f->fd, read_buf, req->count, (off_t)req->offset);
	if (n < 0)
		return fail(error, hosted_errno_from_host(errno));
	reply->data.data = read_buf;
	reply->data.size = (uint32_t)n;
	return IDL_OK;
}

static int serve_read_shared(idl_request *r, const fs_file_read_shared_request *req,
                             fs_file_read_shared_reply *reply, sys_errno *error)
{
	open_file *f = session_file(r, req->fd);
	if (f == NULL)
		return fail(error, SYS_ERRNO_BAD_HANDLE);
	if (req->offset > INT64_MAX)
		return fail(error, SYS_ERRNO_INVALID);
	/* The handle is the server's until the handler returns: map a copy.
	 * region_map refuses a memfd that could still shrink under us. */
	idl_linux_region buf;
	if (idl_linux_region_map(&buf, dup((int)req->buffer)) != IDL_OK)
		return fail(error, SYS_ERRNO_INVALID);
	if (req->buffer_offset > buf.bytes || req->count > buf.bytes - req->buffer_offset) {
		idl_linux_region_close(&buf);
		return fail(error, SYS_ERRNO_RANGE);
	}
	/* Straight from the file into the client's memory. */
	uint8_t *to = (uint8_t *)buf.base + req->buffer_offset;
	size_t done = 0;
	while (done < req->count) {
		ssize_t n = pread(f->fd, to + done, req->count - done, (off_t)(req->offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			idl_linux_region_close(&buf);
			return fail(error, hosted_errno_from_host(saved));
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	idl_linux_region_close(&buf);
	reply->count = (uint32_t)done;
	return IDL_OK;
}

static fs_file_kind kind_of(mode_t mode)
{
	if (S_ISDIR(mode))
		return FS_FILE_KIND_DIRECTORY;
	if (S_ISLNK(mode))
		return FS_FILE_KIND_SYMLINK;
	if (S_ISCHR(mode))
		return FS_FILE_KIND_CHAR_DEVICE;
	if (S_ISBLK(mode))
		return FS_FILE_KIND_BLOCK_DEVICE;
	if (S_ISFIFO(mode))
		return FS_FILE_KIND_FIFO;
	if (S_ISSOCK(mode))
		return FS_FILE_KIND_SOCKET;
	return FS_FILE_KIND_REGULAR;
}

static int64_t ns(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int serve_stat(idl_request *r, const fs_file_stat_request *req, fs_file_stat_reply *reply,
                      sys_errno *error)
{
	open_file *f = session_file(r, req->fd);
	struct stat st;
	if (f == NULL)
		return fail(error, SYS_ERRNO_BAD_HANDLE);
	if (fstat(f->fd, &st) != 0)
		return fail(error, hosted_errno_from_host(errno));
	reply->st = (fs_stat){
	    .inode = st.st_ino,
	    .size = (uint64_t)st.st_size,
	    .access_time_ns = ns(st.st_atim),
	    .modify_time_ns = ns(st.st_mtim),
	    .change_time_ns = ns(st.st_ctim),
	    .mode = st.st_mode & 07777,
	    .link_count = (uint32_t)st.st_nlink,
	    .kind = kind_of(st.st_mode),
	};
	return IDL_OK;
}

static fs_file_kind kind_of_entry(DIR *dir, const struct dirent *d)
{
	switch (d->d_type) {
	case DT_DIR:
		return FS_FILE_KIND_DIRECTORY;
	case DT_LNK:
		return FS_FILE_KIND_SYMLINK;
	case DT_CHR:
		return FS_FILE_KIND_CHAR_DEVICE;
	case DT_BLK:
		return FS_FILE_KIND_BLOCK_DEVICE;
	case DT_FIFO:
		return FS_FILE_KIND_FIFO;
	case DT_SOCK:
		return FS_FILE_KIND_SOCKET;
	case DT_REG:
		return FS_FILE_KIND_REGULAR;
	default: {
		struct stat st; /* DT_UNKNOWN: some file systems do not say */
		if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return kind_of(st.st_mode);
		return FS_FILE_KIND_REGULAR;
	}
	}
}

/*
 * The cookie is the directory stream's position (telldir) after the last
 * entry returned; 0 starts from the beginning. A cookie from a hostile
 * client only moves this session's stream.
 */
static int serve_readdir(idl_request *r, const fs_file_readdir_request *req,
                         fs_file_readdir_reply *reply, sys_errno *error)
{
	open_file *f = session_file(r, req->fd);
	if (f == NULL)
		return fail(error, SYS_ERRNO_BAD_HANDLE);
	if (f->dir == NULL)
		return fail(error, SYS_ERRNO_NOT_DIR);
	if (req->cookie == 0)
		rewinddir(f->dir);
	else if (req->cookie > LONG_MAX)
		return fail(error, SYS_ERRNO_INVALID);
	else
		seekdir(f->dir, (long)req->cookie);
	uint32_t n = 0;
	bool done = false;
	long position = req->cookie == 0 ? 0 : (long)req->cookie;
	while (n < FS_READDIR_BATCH) {
		errno = 0;
		struct dirent *d = readdir(f->dir);
		if (d == NULL) {
			if (errno != 0)
				return fail(error, hosted_errno_from_host(errno));
			done = true;
			break;
		}
		position = telldir(f->dir);
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(names[n], sizeof(names[n]), "%s", d->d_name);
		entries[n] = (fs_dir_entry){
		    .inode = d->d_ino,
		    .kind = kind_of_entry(f->dir, d),
		    .name = {.size = (uint32_t)strlen(names[n]), .data = names[n]},
		};
		n++;
	}
	reply->entries.count = n;
	reply->entries.items = entries;
	reply->next_cookie = (uint64_t)position;
	reply->done = done;
	return IDL_OK;
}

/* Everything that would change the tree: a read-only server says ACCESS. */
#define READ_ONLY(method)                                                                          \
	static int serve_##method(idl_request *r, const fs_file_##method##_request *req,           \
	                          fs_file_##method##_reply *reply, sys_errno *error)               \
	{                                                                                          \
		(void)r;                                                                           \
		(void)req;                                                                         \
		(void)reply;                                                                       \
		return fail(error, SYS_ERRNO_ACCESS);                                              \
	}
READ_ONLY(write)
READ_ONLY(write_shared)
READ_ONLY(set_times)
READ_ONLY(truncate)
READ_ONLY(mkdir)
READ_ONLY(unlink)
READ_ONLY(rename)

static int serve_sync(idl_request *r, const fs_file_sync_request *req, fs_file_sync_reply *reply,
                      sys_errno *error)
{
	(void)reply;
	/* Nothing to write back: a read-only descriptor is always in sync. */
	return session_file(r, req->fd) != NULL ? IDL_OK : fail(error, SYS_ERRNO_BAD_HANDLE);
}

static int serve_advise(idl_request *r, const fs_file_advise_request *req)
{
	(void)r;
	(void)req;
	return IDL_OK; /* a hint; ignored */
}

static int serve_watch(idl_request *r, const fs_file_watch_request *req, fs_file_watch_reply *reply,
                       sys_errno *error)
{
	(void)r;
	(void)req;
	(void)reply;
	return fail(error, SYS_ERRNO_NOT_SUPPORTED);
}

static const fs_file_handlers handlers = {
    .open = serve_open,
    .close = serve_close,
    .read = serve_read,
    .write = serve_write,
    .read_shared = serve_read_shared,
    .write_shared = serve_write_shared,
    .stat = serve_stat,
    .set_times = serve_set_times,
    .truncate = serve_truncate,
    .sync = serve_sync,
    .readdir = serve_readdir,
    .mkdir = serve_mkdir,
    .unlink = serve_unlink,
    .rename = serve_rename,
    .advise = serve_advise,
    .watch = serve_watch,
};

int main(int argc, char **argv)
{
	const char *name = hosted_service_name("IDL_FS_NAME", "fs");
	int opt;
	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			break;
		name = optarg;
	}
	if (opt != -1 || optind + 1 != argc) {
		fprintf(stderr, "usage: %s [-n NAME] DIR\n", argv[0]);
		return 2;
	}
	root = open(argv[optind], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[optind], strerror(errno));
		return 1;
	}
	static idl_linux_server ls;
	int err = idl_linux_server_open(&ls, name, HOSTED_CAPACITY);
	if (err == IDL_OK)
		err = idl_server_add_interface(&ls.server, &fs_file_interface, &handlers, NULL);
	if (err != IDL_OK) {
		fprintf(stderr, "idl-file-server: cannot serve \"%s\": %s%s\n", name,
		        idl_error_name(err), err == IDL_E_TRANSPORT ? " (is the name taken?)" : "");
		idl_linux_server_close(&ls);
		close(root);
		return 1;
	}
	idl_server_set_sessions(&ls.server, session_open, session_close, NULL);
	idl_linux_server_stop_on_signals(&ls);
	fprintf(stderr, "idl-file-server: serving \"%s\"\n", name);
	err = idl_linux_server_run(&ls);
	if (err != IDL_OK)
		fprintf(stderr, "idl-file-server: %s\n", idl_error_name(err));
	idl_linux_server_close(&ls);
	close(root);
	return err == IDL_OK ? 0 : 1;
}
