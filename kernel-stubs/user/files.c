/*
 * files.c: the libc shim's descriptors, on the file server (idl/fs.idl).
 * A descriptor is an index into a table of the server's descriptors with
 * the position the program is at; 0, 1 and 2 are the console. The
 * connection to the server is made at the first call (services.c), and made
 * again after the server went away (it is restarted by init): descriptors
 * of the old connection then fail with EBADF, new ones work.
 *
 * Large reads and writes go through one shared-memory buffer the library
 * creates: each request passes a duplicate of its handle, the server copies
 * the file's bytes in or out of it, and only the request and its reply
 * cross the queue.
 */
#include "files_int.h"

static struct file {
	bool used;
	bool append;
	uint32_t generation; /* the connection it was opened on */
	uint32_t fd;         /* the server's descriptor */
	uint64_t pos;
} files[FILES_MAX];

static struct files_counters counters;
static int shared_handle = -1;
static uint8_t *shared;

void files_counters(struct files_counters *out)
{
	*out = counters;
}

void files_count_request(void)
{
	counters.requests++;
}

/* Maps a failed call's result to errno; returns -1. */
int files_fail(int err, sys_errno error)
{
	if (err == IDL_E_REMOTE)
		errno = (int)error;
	else if (err == IDL_E_PEER_CLOSED) {
		errno = EPIPE;
		files_disconnect();
	} else
		errno = ENOSYS;
	return -1;
}

static struct file *file_of(int fd)
{
	if (fd < 3 || fd >= FILES_MAX || !files[fd].used ||
	    files[fd].generation != files_generation()) {
		errno = EBADF;
		return NULL;
	}
	return &files[fd];
}

static uint32_t open_flags(int flags)
{
	uint32_t f = 0;
	int mode = flags & O_ACCMODE;
	if (mode == O_RDONLY || mode == O_RDWR)
		f |= FS_OPEN_FLAGS_READ;
	if (mode == O_WRONLY || mode == O_RDWR)
		f |= FS_OPEN_FLAGS_WRITE;
	if (flags & O_CREAT)
		f |= FS_OPEN_FLAGS_CREATE;
	if (flags & O_EXCL)
		f |= FS_OPEN_FLAGS_EXCLUSIVE;
	if (flags & O_TRUNC)
		f |= FS_OPEN_FLAGS_TRUNCATE;
	if (flags & O_APPEND)
		f |= FS_OPEN_FLAGS_APPEND;
	if (flags & O_DIRECTORY)
		f |= FS_OPEN_FLAGS_DIRECTORY;
	return f;
}

/* Opens path on the server with its flags; the server's descriptor or -1. */
int64_t files_server_open(const char *path, uint32_t flags, uint32_t mode)
{
	idl_endpoint *fs = files_server();
	if (!fs)
		return -1;
	size_t len = strlen(path);
	if (len > FS_MAX_PATH) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fs_file_open_request req = {
	    .path = {.size = (uint32_t)len, .data = path}, .flags = flags, .mode = mode};
	fs_file_open_reply_buffer rb;
	const fs_file_open_reply *reply;
	sys_errno error;
	files_count_request();
	int err = fs_file_open(fs, &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return files_fail(err, error);
	return reply->fd;
}

/* Closes the server's descriptor fd (of the current connection). */
void files_server_close(uint32_t fd)
{
	idl_endpoint *fs = files_server();
	if (!fs)
		return;
	fs_file_close_request req = {.fd = fd};
	fs_file_close_reply_buffer rb;
	const fs_file_close_reply *reply;
	sys_errno error;
	files_count_request();
	int err = fs_file_close(fs, &req, &rb, &reply, &error);
	if (err != IDL_OK)
		files_fail(err, error);
}

int open(const char *path, int flags, ...)
{
	int fd = 3;
	while (fd < FILES_MAX && files[fd].used)
		fd++;
	if (fd == FILES_MAX) {
		errno = EMFILE;
		return -1;
	}
	int64_t server_fd = files_server_open(path, open_flags(flags), 0644);
	if (server_fd < 0)
		return -1;
	files[fd] = (struct file){true, (flags & O_APPEND) != 0, files_generation(),
	                          (uint32_t)server_fd, 0};
	return fd;
}

int close(int fd)
{
	if (fd >= 0 && fd < 3)
		return 0;
	if (fd >= SOCKETS_FD_BASE)
		return sockets_close(fd);
	struct file *f = file_of(fd);
	if (!f) {
		if (fd >= 3 && fd < FILES_MAX && files[fd].used) {
			files[fd].used = false; /* of a connection that is gone */
			return 0;
		}
		return -1;
	}
	f->used = false;
	files_server_close(f->fd);
	return 0;
}

/* The buffer for large transfers, made at the first use. */
static int ensure_shared(void)
{
	if (shared)
		return 0;
	long h = idlk_shm_create(FILES_SHARED_BYTES);
	if (h < 0) {
		errno = ENOSYS;
		return -1;
	}
	long at = idlk_shm_map((int)h, NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
	if (at < 0) {
		idlk_handle_close((int)h);
		errno = ENOSYS;
		return -1;
	}
	shared_handle = (int)h;
	shared = (uint8_t *)at;
	return 0;
}

/* One read of at most FILES_SHARED_BYTES through the shared buffer. */
static ssize_t read_shared(struct file *f, uint8_t *buf, uint32_t count)
{
	long dup = idlk_handle_dup(shared_handle);
	if (dup < 0) {
		errno = EMFILE;
		return -1;
	}
	fs_file_read_shared_request req = {
	    .fd = f->fd, .offset = f->pos, .count = count, .buffer = (idl_handle)dup};
	fs_file_read_shared_reply_buffer rb;
	const fs_file_read_shared_reply *reply;
	sys_errno error;
	files_count_request();
	int err = fs_file_read_shared(files_server(), &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return files_fail(err, error);
	uint32_t n = reply->count <= count ? reply->count : count;
	memcpy(buf, shared, n);
	counters.shared_bytes += n;
	return n;
}

/* One read of at most FS_MAX_INLINE_IO bytes, carried in the reply. */
static ssize_t read_inline(struct file *f, uint8_t *buf, uint32_t count)
{
	fs_file_read_request req = {.fd = f->fd, .offset = f->pos, .count = count};
	static fs_file_read_reply_buffer rb;
	const fs_file_read_reply *reply;
	sys_errno error;
	files_count_request();
	int err = fs_file_read(files_server(), &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return files_fail(err, error);
	uint32_t n = reply->data.size <= count ? reply->data.size : count;
	memcpy(buf, reply->data.data, n);
	counters.inline_bytes += n;
	return n;
}

ssize_t read(int fd, void *buf, size_t count)
{
	if (fd == 0)
		return console_read(buf, count);
	struct file *f = file_of(fd);
	if (!f)
		return -1;
	size_t done = 0;
	bool big = count >= FILES_SHARED_THRESHOLD && ensure_shared() == 0;
	while (done < count) {
		size_t want = count - done;
		size_t most = big ? FILES_SHARED_BYTES : FS_MAX_INLINE_IO;
		uint32_t n32 = (uint32_t)(want < most ? want : most);
		ssize_t n = big ? read_shared(f, (uint8_t *)buf + done, n32)
		                : read_inline(f, (uint8_t *)buf + done, n32);
		if (n < 0)
			return done ? (ssize_t)done : -1;
		f->pos += (uint64_t)n;
		done += (size_t)n;
		if ((uint32_t)n < n32)
			break; /* the end of the file, or the server's bound: a short read */
	}
	return (ssize_t)done;
}

static ssize_t write_shared(struct file *f, const uint8_t *buf, uint32_t count)
{
	long dup = idlk_handle_dup(shared_handle);
	if (dup < 0) {
		errno = EMFILE;
		return -1;
	}
	memcpy(shared, buf, count);
	fs_file_write_shared_request req = {
	    .fd = f->fd, .offset = f->pos, .count = count, .buffer = (idl_handle)dup};
	fs_file_write_shared_reply_buffer rb;
	const fs_file_write_shared_reply *reply;
	sys_errno error;
	files_count_request();
	int err = fs_file_write_shared(files_server(), &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return files_fail(err, error);
	counters.shared_bytes += reply->count;
	return reply->count;
}

static ssize_t write_inline(struct file *f, const uint8_t *buf, uint32_t count)
{
	fs_file_write_request req = {
	    .fd = f->fd, .offset = f->pos, .data = {.size = count, .data = buf}};
	fs_file_write_reply_buffer rb;
	const fs_file_write_reply *reply;
	sys_errno error;
	files_count_request();
	int err = fs_file_write(files_server(), &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return files_fail(err, error);
	counters.inline_bytes += reply->written;
	return reply->written;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	if (fd == 1 || fd == 2) {
		stdio_write(buf, count);
		return (ssize_t)count;
	}
	struct file *f = file_of(fd);
	if (!f)
		return -1;
	if (f->append) {
		struct stat st;
		if (fstat(fd, &st) < 0)
			return -1;
		f->pos = st.st_size; /* the server appends anyway; this keeps pos right */
	}
	size_t done = 0;
	bool big = count >= FILES_SHARED_THRESHOLD && ensure_shared() == 0;
	while (done < count) {
		size_t want = count - done;
		size_t most = big ? FILES_SHARED_BYTES : FS_MAX_INLINE_IO;
		uint32_t n32 = (uint32_t)(want < most ? want : most);
		ssize_t n = big ? write_shared(f, (const uint8_t *)buf + done, n32)
		                : write_inline(f, (const uint8_t *)buf + done, n32);
		if (n < 0)
			return done ? (ssize_t)done : -1;
		f->pos += (uint64_t)n;
		done += (size_t)n;
		if ((uint32_t)n < n32)
			break; /* the disk is full */
	}
	return (ssize_t)done;
}

off_t lseek(int fd, off_t offset, int whence)
{
	struct file *f = file_of(fd);
	if (!f)
		return -1;
	int64_t base = 0;
	if (whence == SEEK_CUR)
		base = (int64_t)f->pos;
	else if (whence == SEEK_END) {
		struct stat st;
		if (fstat(fd, &st) < 0)
			return -1;
		base = (int64_t)st.st_size;
	} else if (whence != SEEK_SET) {
		errno = EINVAL;
		return -1;
	}
	if (offset < -base) {
		errno = EINVAL;
		return -1;
	}
	f->pos = (uint64_t)(base + offset);
	return (off_t)f->pos;
}

/* The server's stat of its descriptor sfd, as a struct stat. */
int files_server_stat(uint32_t sfd, struct stat *st)
{
	fs_file_stat_request req = {.fd = sfd};
	fs_file_stat_reply_buffer rb;
	const fs_file_stat_reply *reply;
	sys_errno error;
	files_count_request();
	int err = fs_file_stat(files_server(), &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return files_fail(err, error);
	const fs_stat *s = &reply->st;
	*st = (struct stat){
	    .st_ino = s->inode,
	    .st_mode = (s->kind == FS_FILE_KIND_DIRECTORY ? S_IFDIR : S_IFREG) | (s->mode & 07777),
	    .st_nlink = s->link_count,
	    .st_size = s->size,
	    .st_atime_ns = s->access_time_ns,
	    .st_mtime_ns = s->modify_time_ns,
	    .st_ctime_ns = s->change_time_ns,
	};
	return 0;
}

int fstat(int fd, struct stat *st)
{
	struct file *f = file_of(fd);
	if (!f)
		return -1;
	return files_server_stat(f->fd, st);
}

int stat(const char *path, struct stat *st)
{
	int64_t sfd = files_server_open(path, FS_OPEN_FLAGS_READ, 0);
	if (sfd < 0 && errno == EISDIR)
		sfd = files_server_open(path, FS_OPEN_FLAGS_READ | FS_OPEN_FLAGS_DIRECTORY, 0);
	if (sfd < 0)
		return -1;
	int r = files_server_stat((uint32_t)sfd, st);
	int err = errno;
	files_server_close((uint32_t)sfd);
	errno = err;
	return r;
}
