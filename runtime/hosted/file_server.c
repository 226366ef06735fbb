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
 *
 * One client cannot take the server down. Every descriptor the server may
 * hold is budgeted below the process's limit (RLIMIT_NOFILE): a socket and
 * a kick pipe per session, the files clients open, one per bulk read in
 * flight, and room for the server itself and for the handles a request
 * brings. A client (a process, by its pid; or a user, for processes whose
 * pid the server cannot see) holds at most HOSTED_SESSIONS_PER_CLIENT
 * sessions and a quarter of the files' budget; past either, open answers
 * TOO_MANY and a new connection is hung up at once. read_shared reads at most
 * MAX_SHARED_BYTES per request, on a worker thread that answers through a
 * deferred reply, so that the server thread never waits for a disk and
 * every other client is served meanwhile; a client has at most
 * JOBS_PER_CLIENT of them in flight.
 */
#include "fs.h"
#include "hosted.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FILES_PER_SESSION 32u
#define MAX_SHARED_BYTES  (1u << 20) /* what one read_shared reads at most */
#define JOBS_PER_CLIENT   4u         /* read_shared requests in flight */
#define MAX_JOBS          32u
#define WORKERS           2u
/* Descriptors the server keeps for itself: stdio, the root, the listening
 * socket and its spare, the doorbell, the accept thread's epoll and
 * kick pipe, and a margin. */
#define OWN_DESCRIPTORS 16u
/* A session's own: its socket and the kick pipe its client writes. */
#define DESCRIPTORS_PER_SESSION 2u

typedef struct open_file {
	int fd;   /* -1: free */
	DIR *dir; /* directories: the stream readdir reads (owns fd) */
} open_file;

/* One client process, across its sessions; in `clients`, under `budget`.
 * It lives while it has sessions or read_shared requests in flight. */
typedef struct client {
	uint64_t pid; /* 0: the entry is free */
	uint32_t sessions, files, jobs;
} client;

/* What a session holds: its descriptors. */
typedef struct session_files {
	client *owner;
	open_file files[FILES_PER_SESSION];
} session_files;

static pthread_mutex_t budget = PTHREAD_MUTEX_INITIALIZER;
static client clients[HOSTED_CAPACITY + MAX_JOBS];
static uint32_t files_open, files_budget, files_per_client, jobs_in_flight;

/* A file of the budget: false when its client or the server has none left. */
static bool take_file(client *c)
{
	pthread_mutex_lock(&budget);
	bool ok = c->files < files_per_client && files_open < files_budget;
	if (ok) {
		c->files++;
		files_open++;
	}
	pthread_mutex_unlock(&budget);
	return ok;
}

static void put_file(client *c)
{
	pthread_mutex_lock(&budget);
	c->files--;
	files_open--;
	pthread_mutex_unlock(&budget);
}

/* With `budget`: frees a client that has nothing left. */
static void client_done(client *c)
{
	if (c->sessions == 0 && c->jobs == 0)
		*c = (client){0};
}

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
	size_t n = strlen(rel);
	if (n > 0 && rel[n - 1] == '/')
		flags |= O_DIRECTORY; /* "file/" names a directory; the walk drops the slash */
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
	                       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = open_walk(rel, flags);
	return fd;
}

/*
 * Opens a regular file or a directory for reading, and nothing else.
 * Opening a device or a fifo has effects of its own (a terminal can become
 * the server's controlling terminal, and hang it up; a writer blocked on a
 * fifo is let go), so the path is first opened O_PATH, which has none, and
 * its type checked; then that same file is opened for reading through
 * /proc/self/fd (O_NOCTTY all the same), not the path again: a path looked
 * up twice may name a fifo the second time (a rename in between), and the
 * fifo would be open before any check could refuse it. Sets *st. -1 with
 * errno.
 */
static int open_served(const char *path, bool want_dir, struct stat *st)
{
	int dir_flag = want_dir ? O_DIRECTORY : 0;
	int probe = open_beneath(path, O_PATH | dir_flag);
	if (probe < 0)
		return -1;
	struct stat first;
	if (fstat(probe, &first) != 0 || (!S_ISREG(first.st_mode) && !S_ISDIR(first.st_mode))) {
		close(probe);
		errno = EACCES; /* devices, fifos and sockets are not served */
		return -1;
	}
	char same[64];
	snprintf(same, sizeof(same), "/proc/self/fd/%d", probe);
	int fd = open(same, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | dir_flag);
	close(probe);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || st->st_dev != first.st_dev || st->st_ino != first.st_ino) {
		close(fd); /* not what the probe saw: never, with /proc as it should be */
		errno = EACCES;
		return -1;
	}
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

static void close_file(session_files *s, open_file *f)
{
	if (f->fd < 0)
		return;
	if (f->dir != NULL)
		closedir(f->dir); /* closes f->fd too */
	else
		close(f->fd);
	f->fd = -1;
	f->dir = NULL;
	put_file(s->owner);
}

/* A new session: an empty table of descriptors, and its client's count. */
static int session_open(void *ctx, idl_session *session)
{
	(void)ctx;
	session_files *s = malloc(sizeof(*s));
	if (s == NULL)
		return IDL_E_BUFFER;
	for (uint32_t i = 0; i < FILES_PER_SESSION; i++)
		s->files[i] = (open_file){.fd = -1};
	pthread_mutex_lock(&budget);
	client *c = NULL, *free_entry = NULL;
	for (uint32_t i = 0; i < sizeof(clients) / sizeof(clients[0]) && c == NULL; i++) {
		if (clients[i].pid == session->client && session->client != 0)
			c = &clients[i];
		else if (clients[i].pid == 0 && free_entry == NULL)
			free_entry = &clients[i];
	}
	if (c == NULL && free_entry != NULL) {
		c = free_entry;
		/* A session of unknown origin (a socket handed over) is a client
		 * of its own. */
		*c = (client){.pid = session->client != 0 ? session->client
		                                          : UINT64_MAX - session->id};
	}
	if (c != NULL)
		c->sessions++;
	pthread_mutex_unlock(&budget);
	if (c == NULL) {
		free(s);
		return IDL_E_BUFFER;
	}
	s->owner = c;
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
		close_file(s, &s->files[i]);
	pthread_mutex_lock(&budget);
	s->owner->sessions--;
	client_done(s->owner);
	pthread_mutex_unlock(&budget);
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
	if (i == FILES_PER_SESSION || !take_file(s->owner))
		return fail(error, SYS_ERRNO_TOO_MANY);
	bool want_dir = (req->flags & FS_OPEN_FLAGS_DIRECTORY) != 0;
	struct stat st;
	int fd = open_served(req->path.data, want_dir, &st);
	if (fd < 0) {
		int saved = errno;
		put_file(s->owner);
		return fail(error, hosted_errno_from_host(saved));
	}
	DIR *dir = NULL;
	if (S_ISDIR(st.st_mode) && (dir = fdopendir(fd)) == NULL) {
		int saved = errno;
		close(fd);
		put_file(s->owner);
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
	close_file(files_of(r), f);
	return IDL_OK;
}

/* At most `count` bytes from `offset` on, none past the largest file
 * offset (offset at most INT64_MAX): a read there is at the end of any
 * file, 0 bytes, where pread refuses an offset + count past it. */
static size_t within_offsets(uint64_t offset, size_t count)
{
	uint64_t left = (uint64_t)INT64_MAX - offset;
	return count < left ? count : (size_t)left;
}

static int serve_read(idl_request *r, const fs_file_read_request *req, fs_file_read_reply *reply,
                      sys_errno *error)
{
	open_file *f = session_file(r, req->fd);
	if (f == NULL)
		return fail(error, SYS_ERRNO_BAD_HANDLE);
	if (req->count > FS_MAX_INLINE_IO || req->offset > INT64_MAX)
		return fail(error, SYS_ERRNO_INVALID);
	ssize_t n =
	    pread(f->fd, read_buf, within_offsets(req->offset, req->count), (off_t)req->offset);
	if (n < 0)
		return fail(error, hosted_errno_from_host(errno));
	reply->data.data = read_buf;
	reply->data.size = (uint32_t)n;
	return IDL_OK;
}

/* ---- read_shared, on worker threads ---- */

/* A read_shared in flight: what the worker needs, the descriptor of the
 * file and the mapping of the client's buffer its own. */
typedef struct job {
	fs_file_read_shared_token token;
	client *owner;
	int fd;
	idl_linux_region buffer;
	uint8_t *to;
	uint64_t offset;
	uint32_t count;
	struct job *next;
} job;

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_ready = PTHREAD_COND_INITIALIZER;
static job jobs[MAX_JOBS];
static job *free_jobs, *queue_head, *queue_tail; /* under jobs_lock */

/* A job of the budget for client c, or NULL when it or the server has
 * none left. A job is back on free_jobs before the counts say so
 * (put_job), so a count below MAX_JOBS always finds one there. */
static job *take_job(client *c)
{
	job *j = NULL;
	pthread_mutex_lock(&budget);
	if (c->jobs < JOBS_PER_CLIENT && jobs_in_flight < MAX_JOBS) {
		pthread_mutex_lock(&jobs_lock);
		j = free_jobs;
		if (j != NULL)
			free_jobs = j->next;
		pthread_mutex_unlock(&jobs_lock);
	}
	if (j != NULL) {
		c->jobs++;
		jobs_in_flight++;
		*j = (job){.owner = c, .fd = -1, .buffer = {.fd = -1}};
	}
	pthread_mutex_unlock(&budget);
	return j;
}

/* Gives a job back: its descriptor and mapping closed, then the job to
 * free_jobs, and only then its place in the counts. */
static void put_job(job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	idl_linux_region_close(&j->buffer);
	client *owner = j->owner; /* j is another's once it is free */
	pthread_mutex_lock(&jobs_lock);
	j->next = free_jobs;
	free_jobs = j;
	pthread_mutex_unlock(&jobs_lock);
	pthread_mutex_lock(&budget);
	owner->jobs--;
	jobs_in_flight--;
	client_done(owner);
	pthread_mutex_unlock(&budget);
}

/* Straight from the file into the client's memory: the bytes read, or
 * the errno of a read that failed before any (as read(2) does, a failure
 * after some bytes ends the read with those). */
static int run_job(job *j, size_t *done)
{
	*done = 0;
	while (*done < j->count) {
		ssize_t n =
		    pread(j->fd, j->to + *done, j->count - *done, (off_t)(j->offset + *done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return *done > 0 ? 0 : errno;
		if (n == 0)
			break;
		*done += (size_t)n;
	}
	return 0;
}

static void answer_job(fs_file_read_shared_token *token, int err, size_t done)
{
	int sent;
	if (err != 0) {
		sent = fs_file_read_shared_reply_error(token, hosted_errno_from_host(err));
	} else {
		fs_file_read_shared_reply reply = {.count = (uint32_t)done};
		sent = fs_file_read_shared_reply_ok(token, &reply);
	}
	if (sent != IDL_OK && sent != IDL_E_PEER_CLOSED)
		fprintf(stderr, "idl-file-server: read_shared reply: %s\n", idl_error_name(sent));
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&jobs_lock);
		while (queue_head == NULL)
			pthread_cond_wait(&jobs_ready, &jobs_lock);
		job *j = queue_head;
		queue_head = j->next;
		if (queue_head == NULL)
			queue_tail = NULL;
		pthread_mutex_unlock(&jobs_lock);
		size_t done;
		int err = run_job(j, &done);
		/* The client's place back before it hears: one that asks again
		 * as soon as it is answered never finds its four taken. */
		fs_file_read_shared_token token = j->token;
		put_job(j);
		answer_job(&token, err, done);
	}
	return NULL;
}

static int serve_read_shared(idl_request *r, const fs_file_read_shared_request *req,
                             fs_file_read_shared_reply *reply, sys_errno *error)
{
	(void)reply;
	open_file *f = session_file(r, req->fd);
	if (f == NULL)
		return fail(error, SYS_ERRNO_BAD_HANDLE);
	if (req->offset > INT64_MAX)
		return fail(error, SYS_ERRNO_INVALID);
	job *j = take_job(files_of(r)->owner);
	if (j == NULL)
		return fail(error, SYS_ERRNO_TOO_MANY);
	uint64_t buffer_bytes;
	if (idl_linux_region_size((int)req->buffer, &buffer_bytes) != IDL_OK) {
		put_job(j);
		return fail(error, SYS_ERRNO_INVALID);
	}
	if (req->buffer_offset > buffer_bytes || req->count > buffer_bytes - req->buffer_offset) {
		put_job(j);
		return fail(error, SYS_ERRNO_RANGE);
	}
	j->offset = req->offset;
	j->count = (uint32_t)within_offsets(
	    req->offset, req->count < MAX_SHARED_BYTES ? req->count : MAX_SHARED_BYTES);
	/* Only the bytes this job writes are mapped: the client chooses the
	 * buffer's size, and a sparse memfd can be larger than our address
	 * space. The handle is the server's until the handler returns, so the
	 * mapping gets a copy of its own. */
	if (j->count > 0) {
		int mapped = idl_linux_region_map_window(
		    &j->buffer, fcntl((int)req->buffer, F_DUPFD_CLOEXEC, 0), req->buffer_offset,
		    j->count);
		if (mapped != IDL_OK) {
			put_job(j);
			return fail(error, SYS_ERRNO_INVALID);
		}
		close(j->buffer.fd);
		j->buffer.fd = -1;
		j->to = j->buffer.base;
	}
	/* The file's own descriptor, so that a close of fd meanwhile does not
	 * pull it from under the worker. */
	j->fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	if (j->fd < 0) {
		int saved = errno;
		put_job(j);
		return fail(error, hosted_errno_from_host(saved));
	}
	int err = fs_file_read_shared_defer(r, &j->token);
	if (err != IDL_DEFERRED) {
		put_job(j);
		return err;
	}
	pthread_mutex_lock(&jobs_lock);
	j->next = NULL;
	if (queue_tail != NULL)
		queue_tail->next = j;
	else
		queue_head = j;
	queue_tail = j;
	pthread_cond_signal(&jobs_ready);
	pthread_mutex_unlock(&jobs_lock);
	return IDL_DEFERRED;
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

/*
 * Splits the descriptor limit: what the server keeps, a handle's worth of
 * room for a request in flight, one per read_shared in flight, two per
 * session (its socket and the kick pipe its client writes; at most half of
 * what is left), then the files clients open, a quarter of them at most
 * for one client. False when too little is left to serve anyone.
 */
static bool size_budgets(uint32_t *capacity)
{
	struct rlimit rl;
	uint64_t limit = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		limit = rl.rlim_cur;
	if (limit > 1u << 20)
		limit = 1u << 20;
	uint64_t reserved = OWN_DESCRIPTORS + IDL_MAX_HANDLES + MAX_JOBS;
	if (limit < reserved + 8)
		return false;
	uint64_t sessions = (limit - reserved) / (2 * DESCRIPTORS_PER_SESSION);
	*capacity = sessions < HOSTED_CAPACITY ? (uint32_t)sessions : HOSTED_CAPACITY;
	files_budget = (uint32_t)(limit - reserved - DESCRIPTORS_PER_SESSION * *capacity);
	files_per_client = files_budget / 4;
	if (files_per_client > 2 * FILES_PER_SESSION)
		files_per_client = 2 * FILES_PER_SESSION;
	return files_per_client > 0;
}

int main(int argc, char **argv)
{
	hosted_standard_descriptors();
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
	uint32_t capacity;
	if (!size_budgets(&capacity)) {
		fprintf(stderr, "%s: the descriptor limit (ulimit -n) is too low\n", argv[0]);
		return 1;
	}
	for (uint32_t i = 0; i < MAX_JOBS; i++) {
		jobs[i].next = free_jobs;
		free_jobs = &jobs[i];
	}
	for (uint32_t i = 0; i < WORKERS; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0) {
			fprintf(stderr, "%s: cannot start a worker\n", argv[0]);
			return 1;
		}
		pthread_detach(t); /* they end with the process */
	}
	static idl_linux_server ls;
	int err = idl_linux_server_open(&ls, name, capacity);
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
	idl_linux_server_limit_sessions(&ls, HOSTED_SESSIONS_PER_CLIENT);
	idl_linux_server_stop_on_signals(&ls);
	fprintf(stderr, "idl-file-server: serving \"%s\"\n", name);
	err = idl_linux_server_run(&ls);
	if (err != IDL_OK)
		fprintf(stderr, "idl-file-server: %s\n", idl_error_name(err));
	idl_linux_server_close(&ls);
	close(root);
	return err == IDL_OK ? 0 : 1;
}
