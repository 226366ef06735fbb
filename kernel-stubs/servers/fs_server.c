/*
 * fs_server.c: the file server. It mounts the FAT32 volume on the disk the
 * block service offers (fs_disk.c), publishes itself as "fs", and serves
 * idl/fs.idl: each client's session has its own table of open files, and
 * closing the session closes them. The bytes of read_shared and
 * write_shared go between the FAT library and the client's shared buffer,
 * which the server maps once per session and knows again by its object id;
 * only the request and the reply cross the queue.
 *
 * One thread serves every session (the FAT library takes no locks); the
 * disk is behind the block service, and the volume is synced after every
 * request that changed it, so a session that ends, or a server that is
 * killed, leaves the disk consistent.
 */
#include "fs_server.h"
#include "kserve.h"

#define SESSIONS          16
#define FILES_PER_SESSION 32

struct fs_session {
	struct fat_file files[FILES_PER_SESSION]; /* open while files[i].vol */
	struct {
		uint64_t object; /* the client's buffer, as handle_info names it; 0: none */
		uint8_t *at;
		uint64_t bytes;
	} buffer;
	uint64_t requests, inline_bytes, shared_bytes;
};

static struct fat_volume volume;
static struct fs_disk disk;
static struct fs_session sessions[SESSIONS];
static kserver server;

static struct fs_session *session_of(idl_request *r)
{
	return r->session->state;
}

/* A FAT error as the error of a reply. */
static int fail(int fat_err, sys_errno *error)
{
	*error = (sys_errno)-fat_err;
	return IDL_E_REMOTE;
}

static struct fat_file *file_of(idl_request *r, uint32_t fd)
{
	struct fs_session *s = session_of(r);
	s->requests++;
	if (fd >= FILES_PER_SESSION || !s->files[fd].vol)
		return NULL;
	return &s->files[fd];
}

/* Writes what changed to the disk: the next request may never come. */
static int settle(int result, sys_errno *error)
{
	int err = fat_sync(&volume);
	if (result == IDL_OK && err < 0)
		return fail(err, error);
	return result;
}

static int on_open(idl_request *r, const fs_file_open_request *req, fs_file_open_reply *reply,
                   sys_errno *error)
{
	struct fs_session *s = session_of(r);
	s->requests++;
	uint32_t fd = 0;
	while (fd < FILES_PER_SESSION && s->files[fd].vol)
		fd++;
	if (fd == FILES_PER_SESSION) {
		*error = SYS_ERRNO_TOO_MANY;
		return IDL_E_REMOTE;
	}
	int err = fat_open(&volume, &s->files[fd], req->path.data, req->flags);
	if (err < 0)
		return fail(err, error);
	reply->fd = fd;
	return req->flags & (FS_OPEN_FLAGS_CREATE | FS_OPEN_FLAGS_TRUNCATE) ? settle(IDL_OK, error)
	                                                                    : IDL_OK;
}

static int on_close(idl_request *r, const fs_file_close_request *req, fs_file_close_reply *reply,
                    sys_errno *error)
{
	(void)reply;
	struct fat_file *f = file_of(r, req->fd);
	if (!f) {
		*error = SYS_ERRNO_BAD_HANDLE;
		return IDL_E_REMOTE;
	}
	int err = fat_close(f);
	return err < 0 ? fail(err, error) : settle(IDL_OK, error);
}

static int on_read(idl_request *r, const fs_file_read_request *req, fs_file_read_reply *reply,
                   sys_errno *error)
{
	static uint8_t data[FS_MAX_INLINE_IO];
	struct fat_file *f = file_of(r, req->fd);
	if (!f) {
		*error = SYS_ERRNO_BAD_HANDLE;
		return IDL_E_REMOTE;
	}
	if (req->count > FS_MAX_INLINE_IO) {
		*error = SYS_ERRNO_INVALID;
		return IDL_E_REMOTE;
	}
	int64_t n = fat_read(f, req->offset, data, req->count);
	if (n < 0)
		return fail((int)n, error);
	reply->data.size = (uint32_t)n;
	reply->data.data = data;
	session_of(r)->inline_bytes += (uint64_t)n;
	return IDL_OK;
}

static int on_write(idl_request *r, const fs_file_write_request *req, fs_file_write_reply *reply,
                    sys_errno *error)
{
	struct fat_file *f = file_of(r, req->fd);
	if (!f) {
		*error = SYS_ERRNO_BAD_HANDLE;
		return IDL_E_REMOTE;
	}
	int64_t n = fat_write(f, req->offset, req->data.data, req->data.size);
	if (n < 0)
		return fail((int)n, error);
	reply->written = (uint32_t)n;
	session_of(r)->inline_bytes += (uint64_t)n;
	return settle(IDL_OK, error);
}

/*
 * The client's shared buffer behind handle h, mapped: the one mapped for
 * this session already when h names the same object, else h's object
 * (replacing the old mapping). NULL with *error set.
 */
static uint8_t *client_buffer(struct fs_session *s, idl_handle h, uint64_t *bytes, sys_errno *error)
{
	struct idlk_handle_info info;
	if (idlk_handle_info((int)h, &info) != IDLK_HANDLE_SHM) {
		*error = SYS_ERRNO_INVALID;
		return NULL;
	}
	if (info.object != s->buffer.object) {
		long at = idlk_shm_map((int)h, NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
		if (at < 0) {
			*error = SYS_ERRNO_TOO_MANY;
			return NULL;
		}
		if (s->buffer.at)
			idlk_unmap(s->buffer.at, s->buffer.bytes);
		s->buffer.object = info.object;
		s->buffer.at = (uint8_t *)at;
		s->buffer.bytes = info.size;
	}
	*bytes = s->buffer.bytes;
	return s->buffer.at;
}

/* The part [offset, offset + count) of the client's buffer, or NULL (RANGE). */
static uint8_t *buffer_range(idl_request *r, idl_handle h, uint64_t offset, uint32_t count,
                             sys_errno *error)
{
	uint64_t bytes;
	uint8_t *at = client_buffer(session_of(r), h, &bytes, error);
	if (!at)
		return NULL;
	if (offset > bytes || count > bytes - offset) {
		*error = SYS_ERRNO_RANGE;
		return NULL;
	}
	return at + offset;
}

static int on_read_shared(idl_request *r, const fs_file_read_shared_request *req,
                          fs_file_read_shared_reply *reply, sys_errno *error)
{
	struct fat_file *f = file_of(r, req->fd);
	if (!f) {
		*error = SYS_ERRNO_BAD_HANDLE;
		return IDL_E_REMOTE;
	}
	uint8_t *at = buffer_range(r, req->buffer, req->buffer_offset, req->count, error);
	if (!at)
		return IDL_E_REMOTE;
	int64_t n = fat_read(f, req->offset, at, req->count);
	if (n < 0)
		return fail((int)n, error);
	reply->count = (uint32_t)n;
	session_of(r)->shared_bytes += (uint64_t)n;
	return IDL_OK;
}

static int on_write_shared(idl_request *r, const fs_file_write_shared_request *req,
                           fs_file_write_shared_reply *reply, sys_errno *error)
{
	struct fat_file *f = file_of(r, req->fd);
	if (!f) {
		*error = SYS_ERRNO_BAD_HANDLE;
		return IDL_E_REMOTE;
	}
	uint8_t *at = buffer_range(r, req->buffer, req->buffer_offset, req->count, error);
	if (!at)
		return IDL_E_REMOTE;
	int64_t n = fat_write(f, req->offset, at, req->count);
	if (n < 0)
		return fail((int)n, error);
	reply->count = (uint32_t)n;
	session_of(r)->shared_bytes += (uint64_t)n;
	return settle(IDL_OK, error);
}

static int on_stat(idl_request *r, const fs_file_stat_request *req, fs_file_stat_reply *reply,
                   sys_errno *error)
{
	struct fat_file *f = file_of(r, req->fd);
	if (!f) {
		*error = SYS_ERRNO_BAD_HANDLE;
		return IDL_E_REMOTE;
	}
	struct fat_stat st;
	int err = fat_stat(f, &st);
	if (err < 0)
		return fail(err, error);
	bool dir = st.kind == FAT_KIND_DIRECTORY;
	bool read_only = st.attributes & FAT_ATTR_READ_ONLY;
	reply->st = (fs_stat){
	    .inode = st.inode,
	    .size = st.size,
	    .access_time_ns = st.access_time_ns,
	    .modify_time_ns = st.modify_time_ns,
	    .change_time_ns = st.modify_time_ns,
	    .mode = dir         ? 0755
	            : read_only ? 0444
	                        : 0644,
	    .link_count = 1,
	    .kind = dir ? FS_FILE_KIND_DIRECTORY : FS_FILE_KIND_REGULAR,
	};
	return IDL_OK;
}

static int on_set_times(idl_request *r, const fs_file_set_times_request *req,
                        fs_file_set_times_reply *reply, sys_errno *error)
{
	(void)reply;
	struct fat_file *f = file_of(r, req->fd);
	if (!f) {
		*error = SYS_ERRNO_BAD_HANDLE;
		return IDL_E_REMOTE;
	}
	int64_t access = req->access_time_ns.value, modify = req->modify_time_ns.value;
	int err = fat_set_times(f, req->access_time_ns.present ? &access : NULL,
	                        req->modify_time_ns.present ? &modify : NULL);
	return err < 0 ? fail(err, error) : settle(IDL_OK, error);
}

static int on_truncate(idl_request *r, const fs_file_truncate_request *req,
                       fs_file_truncate_reply *reply, sys_errno *error)
{
	(void)reply;
	struct fat_file *f = file_of(r, req->fd);
	if (!f) {
		*error = SYS_ERRNO_BAD_HANDLE;
		return IDL_E_REMOTE;
	}
	int err = fat_truncate(f, req->size);
	return err < 0 ? fail(err, error) : settle(IDL_OK, error);
}

static int on_sync(idl_request *r, const fs_file_sync_request *req, fs_file_sync_reply *reply,
                   sys_errno *error)
{
	(void)reply;
	if (!file_of(r, req->fd)) {
		*error = SYS_ERRNO_BAD_HANDLE;
		return IDL_E_REMOTE;
	}
	return settle(IDL_OK, error);
}

static int on_readdir(idl_request *r, const fs_file_readdir_request *req,
                      fs_file_readdir_reply *reply, sys_errno *error)
{
	static struct fat_dirent found[FS_READDIR_BATCH];
	static fs_dir_entry entries[FS_READDIR_BATCH];
	struct fat_file *f = file_of(r, req->fd);
	if (!f) {
		*error = SYS_ERRNO_BAD_HANDLE;
		return IDL_E_REMOTE;
	}
	uint32_t count;
	uint64_t next;
	bool done;
	int err = fat_readdir(f, req->cookie, found, FS_READDIR_BATCH, &count, &next, &done);
	if (err < 0)
		return fail(err, error);
	for (uint32_t i = 0; i < count; i++)
		entries[i] = (fs_dir_entry){
		    .inode = found[i].inode,
		    .kind = found[i].kind == FAT_KIND_DIRECTORY ? FS_FILE_KIND_DIRECTORY
		                                                : FS_FILE_KIND_REGULAR,
		    .name = {.size = found[i].name_len, .data = found[i].name},
		};
	reply->entries.count = count;
	reply->entries.items = entries;
	reply->next_cookie = next;
	reply->done = done;
	return IDL_OK;
}

static int on_mkdir(idl_request *r, const fs_file_mkdir_request *req, fs_file_mkdir_reply *reply,
                    sys_errno *error)
{
	(void)reply;
	session_of(r)->requests++;
	int err = fat_mkdir(&volume, req->path.data);
	return err < 0 ? fail(err, error) : settle(IDL_OK, error);
}

static int on_unlink(idl_request *r, const fs_file_unlink_request *req, fs_file_unlink_reply *reply,
                     sys_errno *error)
{
	(void)reply;
	session_of(r)->requests++;
	int err = fat_unlink(&volume, req->path.data);
	return err < 0 ? fail(err, error) : settle(IDL_OK, error);
}

static int on_rename(idl_request *r, const fs_file_rename_request *req, fs_file_rename_reply *reply,
                     sys_errno *error)
{
	(void)reply;
	session_of(r)->requests++;
	int err = fat_rename(&volume, req->from.data, req->to.data);
	return err < 0 ? fail(err, error) : settle(IDL_OK, error);
}

static int on_advise(idl_request *r, const fs_file_advise_request *req)
{
	(void)r, (void)req; /* a hint; the cache reads whole runs anyway */
	return IDL_OK;
}

static int on_watch(idl_request *r, const fs_file_watch_request *req, fs_file_watch_reply *reply,
                    sys_errno *error)
{
	(void)r, (void)req, (void)reply;
	*error = SYS_ERRNO_NOT_SUPPORTED;
	return IDL_E_REMOTE;
}

static const fs_file_handlers handlers = {
    .open = on_open,
    .close = on_close,
    .read = on_read,
    .write = on_write,
    .read_shared = on_read_shared,
    .write_shared = on_write_shared,
    .stat = on_stat,
    .set_times = on_set_times,
    .truncate = on_truncate,
    .sync = on_sync,
    .readdir = on_readdir,
    .mkdir = on_mkdir,
    .unlink = on_unlink,
    .rename = on_rename,
    .advise = on_advise,
    .watch = on_watch,
};

static int session_open(void *ctx, idl_session *session)
{
	(void)ctx;
	struct fs_session *s = &sessions[session->id];
	memset(s, 0, sizeof(*s));
	session->state = s;
	return IDL_OK;
}

static void session_close(void *ctx, idl_session *session, int reason)
{
	(void)ctx, (void)reason;
	struct fs_session *s = session->state;
	for (int i = 0; i < FILES_PER_SESSION; i++)
		if (s->files[i].vol)
			fat_close(&s->files[i]);
	fat_sync(&volume);
	if (s->buffer.at)
		idlk_unmap(s->buffer.at, s->buffer.bytes);
	if (s->requests)
		printf("fs: session %u of process %lu ended: %lu requests, %lu bytes inline, %lu "
		       "bytes through its shared buffer\n",
		       session->id, (unsigned long)session->client, (unsigned long)s->requests,
		       (unsigned long)s->inline_bytes, (unsigned long)s->shared_bytes);
}

int umain(const char *args, long nhandles)
{
	(void)args, (void)nhandles;
	int err = fs_disk_open(&disk);
	if (err != IDL_OK) {
		printf("fs: no disk: %s\n", idl_error_name(err));
		return 1;
	}
	err = fat_mount(&volume, &disk.dev, 0);
	if (err < 0) {
		printf("fs: the disk holds no FAT32 volume I can use (error %d)\n", err);
		return 1;
	}
	if (kserve_init(&server, SESSIONS) != IDL_OK ||
	    kserve_add_interface(&server, &fs_file_interface, &handlers, NULL) != IDL_OK) {
		printf("fs: cannot set up serving\n");
		return 1;
	}
	kserve_set_sessions(&server, session_open, session_close, NULL);
	err = kserve_publish(&server, "fs");
	if (err != IDL_OK) {
		printf("fs: cannot publish: %s\n", idl_error_name(err));
		return 1;
	}
	printf("fs: serving a FAT32 volume of %lu sectors as \"fs\"\n",
	       (unsigned long)disk.sectors);
	kserve_run(&server);
	return 0;
}
