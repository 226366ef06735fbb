/*
 * dirs.c: the libc shim's directories: opendir/readdir/closedir over the
 * file server's readdir batches, and mkdir, unlink and rename.
 */
#include "files_int.h"

#define DIRS_OPEN 4 /* directories a program may have open at once */

struct DIR {
	bool used;
	uint32_t fd, generation;
	uint64_t cookie;
	bool done;
	uint32_t count, next; /* entries of the current batch, and the next to hand out */
	struct dirent batch[FS_READDIR_BATCH];
	struct dirent out;
};

static DIR dirs[DIRS_OPEN];

DIR *opendir(const char *path)
{
	DIR *d = NULL;
	for (int i = 0; i < DIRS_OPEN && !d; i++)
		if (!dirs[i].used)
			d = &dirs[i];
	if (!d) {
		errno = EMFILE;
		return NULL;
	}
	int64_t fd = files_server_open(path, FS_OPEN_FLAGS_READ | FS_OPEN_FLAGS_DIRECTORY, 0);
	if (fd < 0)
		return NULL;
	d->used = true;
	d->fd = (uint32_t)fd;
	d->generation = files_generation();
	d->cookie = 0;
	d->done = false;
	d->count = d->next = 0;
	return d;
}

/* Fetches the next batch; false at the end or on an error (errno set). */
static bool fetch(DIR *d)
{
	while (!d->done) {
		if (d->generation != files_generation()) {
			errno = EBADF;
			return false;
		}
		fs_file_readdir_request req = {.fd = d->fd, .cookie = d->cookie};
		static fs_file_readdir_reply_buffer rb;
		const fs_file_readdir_reply *reply;
		sys_errno error;
		files_count_request();
		int err = fs_file_readdir(files_server(), &req, &rb, &reply, &error);
		if (err != IDL_OK) {
			files_fail(err, error);
			return false;
		}
		d->count = 0;
		d->next = 0;
		idl_records records = idl_records_of(reply->entries.records, reply->entries.count);
		fs_dir_entry e;
		while (d->count < FS_READDIR_BATCH && fs_dir_entry_next(&records, &e)) {
			struct dirent *out = &d->batch[d->count++];
			uint32_t n = e.name.size < 255 ? e.name.size : 255;
			memcpy(out->d_name, e.name.data, n);
			out->d_name[n] = 0;
			out->d_ino = e.inode;
			out->d_type = e.kind == FS_FILE_KIND_DIRECTORY ? DT_DIR
			              : e.kind == FS_FILE_KIND_REGULAR ? DT_REG
			                                               : DT_UNKNOWN;
		}
		d->cookie = reply->next_cookie;
		d->done = reply->done;
		if (d->count)
			return true;
	}
	return false;
}

struct dirent *readdir(DIR *d)
{
	if (d->next == d->count && !fetch(d))
		return NULL;
	d->out = d->batch[d->next++];
	return &d->out;
}

int closedir(DIR *d)
{
	if (!d->used) {
		errno = EBADF;
		return -1;
	}
	d->used = false;
	if (d->generation == files_generation())
		files_server_close(d->fd);
	return 0;
}

/* Sends a request whose reply is empty; 0 or -1. */
#define SIMPLE_CALL(method, ...)                                                                   \
	do {                                                                                       \
		idl_endpoint *fs = files_server();                                                 \
		if (!fs)                                                                           \
			return -1;                                                                 \
		fs_file_##method##_request req = {__VA_ARGS__};                                    \
		fs_file_##method##_reply_buffer rb;                                                \
		const fs_file_##method##_reply *reply;                                             \
		sys_errno error;                                                                   \
		files_count_request();                                                             \
		int err = fs_file_##method(fs, &req, &rb, &reply, &error);                         \
		return err == IDL_OK ? 0 : files_fail(err, error);                                 \
	} while (0)

static idl_string path_of(const char *path)
{
	return (idl_string){.size = (uint32_t)strlen(path), .data = path};
}

int mkdir(const char *path, int mode)
{
	SIMPLE_CALL(mkdir, .path = path_of(path), .mode = (uint32_t)mode);
}

int unlink(const char *path)
{
	SIMPLE_CALL(unlink, .path = path_of(path));
}

int rename(const char *from, const char *to)
{
	SIMPLE_CALL(rename, .from = path_of(from), .to = path_of(to));
}
