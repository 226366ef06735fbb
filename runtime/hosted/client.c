/*
 * client.c: idl-client, which talks to idl-file-server and
 * idl-console-server through the generated stubs.
 *
 *     idl-client cat PATH        print a file (read_shared into a memfd above 4 KiB)
 *     idl-client ls PATH         list a directory, a readdir batch at a time
 *     idl-client stat PATH       print what stat says about a file
 *     idl-client print TEXT...   write TEXT to the console, with a newline
 *     idl-client log TEXT...     the same as one-way prints, which the console
 *                                drops when it has no room for them
 *     idl-client readline        read one line from the console, print it
 *
 * The servers are found by name: $IDL_FS_NAME (default "fs") and
 * $IDL_CONSOLE_NAME (default "console"). A failed call prints the server's
 * typed error (a sys.Errno name) or the runtime's, and exits with 1.
 */
#include "console.h"
#include "fs.h"
#include "hosted.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Shared buffer of read_shared: one call moves up to this much. */
#define SHARED_BYTES (256u * 1024u)

static const char *program = "idl-client";

/* Reports a failed call and returns the exit status. */
static int failed(const char *what, const char *arg, int err, sys_errno error)
{
	if (err == IDL_E_REMOTE && sys_errno_name(error) != NULL)
		fprintf(stderr, "%s: %s %s: %s\n", program, what, arg, sys_errno_name(error));
	else if (err == IDL_E_REMOTE)
		fprintf(stderr, "%s: %s %s: error %u\n", program, what, arg, (unsigned)error);
	else
		fprintf(stderr, "%s: %s %s: %s\n", program, what, arg, idl_error_name(err));
	return 1;
}

/* Connects to the server named by $env_var (or fallback), which must serve
 * the interface `protocol`. */
static int connect_to(idl_linux_conn *c, const char *env_var, const char *fallback,
                      uint32_t protocol)
{
	const char *name = hosted_service_name(env_var, fallback);
	int err = idl_linux_connect(c, name, protocol, 5000);
	if (err != IDL_OK) {
		fprintf(stderr, "%s: cannot reach server \"%s\": %s\n", program, name,
		        idl_error_name(err));
		return err;
	}
	idl_chan_end_endpoint(&c->end)->timeout_ns = 10000000000u; /* 10 s: a stuck server */
	return IDL_OK;
}

static int open_path(idl_endpoint *ep, const char *path, fs_open_flags flags, uint32_t *fd)
{
	if (strlen(path) > FS_MAX_PATH)
		return failed("open", path, IDL_E_REMOTE, SYS_ERRNO_NAME_TOO_LONG);
	fs_file_open_request req = {.path = {.size = (uint32_t)strlen(path), .data = path},
	                            .flags = flags};
	fs_file_open_reply_buffer rb;
	const fs_file_open_reply *reply;
	sys_errno error;
	int err = fs_file_open(ep, &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return failed("open", path, err, error);
	*fd = reply->fd;
	return 0;
}

static void close_fd(idl_endpoint *ep, uint32_t fd)
{
	fs_file_close_request req = {.fd = fd};
	fs_file_close_reply_buffer rb;
	const fs_file_close_reply *reply;
	sys_errno error;
	(void)fs_file_close(ep, &req, &rb, &reply, &error);
}

static int write_out(const void *data, size_t n)
{
	if (fwrite(data, 1, n, stdout) != n) {
		perror(program);
		return 1;
	}
	return 0;
}

/* Small files through the queue: read, 4 KiB at a time. */
static int cat_inline(idl_endpoint *ep, const char *path, uint32_t fd)
{
	for (uint64_t offset = 0;;) {
		fs_file_read_request req = {.fd = fd, .offset = offset, .count = FS_MAX_INLINE_IO};
		fs_file_read_reply_buffer rb;
		const fs_file_read_reply *reply;
		sys_errno error;
		int err = fs_file_read(ep, &req, &rb, &reply, &error);
		if (err != IDL_OK)
			return failed("read", path, err, error);
		if (reply->data.size == 0)
			return 0;
		if (write_out(reply->data.data, reply->data.size) != 0)
			return 1;
		offset += reply->data.size;
	}
}

/* Large files: the server preads straight into our memfd. */
static int cat_shared(idl_endpoint *ep, const char *path, uint32_t fd)
{
	idl_linux_region buffer;
	int err = idl_linux_region_create(&buffer, "idl-client-read", SHARED_BYTES);
	if (err != IDL_OK)
		return failed("read_shared", path, err, 0);
	int status = 0;
	for (uint64_t offset = 0;;) {
		fs_file_read_shared_request req = {.fd = fd,
		                                   .offset = offset,
		                                   .count = SHARED_BYTES,
		                                   .buffer = (idl_handle)buffer.fd,
		                                   .buffer_offset = 0};
		fs_file_read_shared_reply_buffer rb;
		const fs_file_read_shared_reply *reply;
		sys_errno error;
		err = fs_file_read_shared(ep, &req, &rb, &reply, &error);
		if (err != IDL_OK) {
			status = failed("read_shared", path, err, error);
			break;
		}
		if (reply->count == 0)
			break;
		/* The server's count is checked against what we asked for. */
		if (reply->count > SHARED_BYTES) {
			status = failed("read_shared", path, IDL_E_PROTOCOL, 0);
			break;
		}
		if ((status = write_out(buffer.base, reply->count)) != 0)
			break;
		offset += reply->count;
	}
	idl_linux_region_close(&buffer);
	return status;
}

static int stat_fd(idl_endpoint *ep, const char *path, uint32_t fd, fs_stat *st)
{
	fs_file_stat_request req = {.fd = fd};
	fs_file_stat_reply_buffer rb;
	const fs_file_stat_reply *reply;
	sys_errno error;
	int err = fs_file_stat(ep, &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return failed("stat", path, err, error);
	*st = reply->st;
	return 0;
}

static int cmd_cat(idl_endpoint *ep, const char *path)
{
	uint32_t fd;
	fs_stat st;
	int status = open_path(ep, path, FS_OPEN_FLAGS_READ, &fd);
	if (status != 0)
		return status;
	status = stat_fd(ep, path, fd, &st);
	if (status == 0 && st.kind == FS_FILE_KIND_DIRECTORY)
		status = failed("cat", path, IDL_E_REMOTE, SYS_ERRNO_IS_DIR);
	else if (status == 0)
		status = st.size > FS_MAX_INLINE_IO ? cat_shared(ep, path, fd)
		                                    : cat_inline(ep, path, fd);
	close_fd(ep, fd);
	return status;
}

static int cmd_ls(idl_endpoint *ep, const char *path)
{
	uint32_t fd;
	int status = open_path(ep, path, FS_OPEN_FLAGS_READ | FS_OPEN_FLAGS_DIRECTORY, &fd);
	if (status != 0)
		return status;
	static fs_file_readdir_reply_buffer rb; /* 18 KiB: not on the stack */
	for (uint64_t cookie = 0;;) {
		fs_file_readdir_request req = {.fd = fd, .cookie = cookie};
		const fs_file_readdir_reply *reply;
		sys_errno error;
		int err = fs_file_readdir(ep, &req, &rb, &reply, &error);
		if (err != IDL_OK) {
			status = failed("readdir", path, err, error);
			break;
		}
		idl_records records = idl_records_of(reply->entries.records, reply->entries.count);
		fs_dir_entry e;
		while (fs_dir_entry_next(&records, &e))
			printf("%s%s\n", e.name.data, e.kind == FS_FILE_KIND_DIRECTORY ? "/" : "");
		if (reply->done)
			break;
		cookie = reply->next_cookie;
	}
	close_fd(ep, fd);
	return status;
}

static const char *kind_name(fs_file_kind k)
{
	static const char *const names[] = {"?",           "file",         "directory", "symlink",
	                                    "char-device", "block-device", "fifo",      "socket"};
	return k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static int cmd_stat(idl_endpoint *ep, const char *path)
{
	uint32_t fd;
	fs_stat st;
	int status = open_path(ep, path, FS_OPEN_FLAGS_READ, &fd);
	if (status != 0)
		return status;
	status = stat_fd(ep, path, fd, &st);
	if (status == 0)
		printf(
		    "kind %s\nsize %llu\nmode %04o\nlinks %u\ninode %llu\nmodified %lld.%09lld\n",
		    kind_name(st.kind), (unsigned long long)st.size, (unsigned)st.mode,
		    (unsigned)st.link_count, (unsigned long long)st.inode,
		    (long long)(st.modify_time_ns / 1000000000),
		    (long long)(st.modify_time_ns % 1000000000));
	close_fd(ep, fd);
	return status;
}

static int console_write(idl_endpoint *ep, const char *text, size_t n)
{
	while (n > 0) {
		uint32_t chunk = n < CONSOLE_MAX_WRITE ? (uint32_t)n : CONSOLE_MAX_WRITE;
		console_console_write_request req = {
		    .data = {.size = chunk, .data = (const uint8_t *)text}};
		console_console_write_reply_buffer rb;
		const console_console_write_reply *reply;
		sys_errno error;
		int err = console_console_write(ep, &req, &rb, &reply, &error);
		if (err != IDL_OK)
			return failed("write", "console", err, error);
		if (reply->written == 0 || reply->written > chunk)
			return failed("write", "console", IDL_E_REMOTE, SYS_ERRNO_IO);
		text += reply->written;
		n -= reply->written;
	}
	return 0;
}

/* The words of argv as one line, through `send` (console_write or
 * console_log). */
static int send_line(idl_endpoint *ep, int argc, char **argv,
                     int (*send)(idl_endpoint *, const char *, size_t))
{
	for (int i = 0; i < argc; i++) {
		int status = send(ep, argv[i], strlen(argv[i]));
		if (status == 0)
			status = send(ep, i + 1 < argc ? " " : "\n", 1);
		if (status != 0)
			return status;
	}
	return argc == 0 ? send(ep, "\n", 1) : 0;
}

static int console_log(idl_endpoint *ep, const char *text, size_t n)
{
	while (n > 0) {
		uint32_t chunk = n < CONSOLE_MAX_WRITE ? (uint32_t)n : CONSOLE_MAX_WRITE;
		console_console_print_request req = {
		    .data = {.size = chunk, .data = (const uint8_t *)text}};
		int err = console_console_print(ep, &req);
		if (err != IDL_OK)
			return failed("print", "console", err, 0);
		text += chunk;
		n -= chunk;
	}
	return 0;
}

/* One-way prints, then one call: the console takes a channel's frames in
 * order, so when the call is answered it has taken (or dropped) them all. */
static int cmd_log(idl_endpoint *ep, int argc, char **argv)
{
	int status = send_line(ep, argc, argv, console_log);
	if (status != 0)
		return status;
	console_console_get_mode_request req = {0};
	console_console_get_mode_reply_buffer rb;
	const console_console_get_mode_reply *reply;
	sys_errno error;
	int err = console_console_get_mode(ep, &req, &rb, &reply, &error);
	return err == IDL_OK ? 0 : failed("get_mode", "console", err, error);
}

static int cmd_readline(idl_endpoint *ep)
{
	console_console_read_request req = {.max = CONSOLE_MAX_READ};
	console_console_read_reply_buffer rb;
	const console_console_read_reply *reply;
	sys_errno error;
	/* Waits for the person at the server's terminal. */
	ep->timeout_ns = 0;
	int err = console_console_read(ep, &req, &rb, &reply, &error);
	if (err != IDL_OK)
		return failed("read", "console", err, error);
	return write_out(reply->data.data, reply->data.size);
}

static int usage(void)
{
	fprintf(
	    stderr,
	    "usage: %s cat PATH | ls PATH | stat PATH | print TEXT... | log TEXT... | readline\n",
	    program);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	bool fs_cmd = strcmp(cmd, "cat") == 0 || strcmp(cmd, "ls") == 0 || strcmp(cmd, "stat") == 0;
	bool console_cmd =
	    strcmp(cmd, "print") == 0 || strcmp(cmd, "log") == 0 || strcmp(cmd, "readline") == 0;
	if ((fs_cmd && argc != 3) || (strcmp(cmd, "readline") == 0 && argc != 2) ||
	    (!fs_cmd && !console_cmd))
		return usage();
	idl_linux_conn c;
	if (fs_cmd
	        ? connect_to(&c, "IDL_FS_NAME", "fs", FS_FILE_PROTOCOL) != IDL_OK
	        : connect_to(&c, "IDL_CONSOLE_NAME", "console", CONSOLE_CONSOLE_PROTOCOL) != IDL_OK)
		return 1;
	idl_endpoint *ep = idl_chan_end_endpoint(&c.end);
	int status;
	if (strcmp(cmd, "cat") == 0)
		status = cmd_cat(ep, argv[2]);
	else if (strcmp(cmd, "ls") == 0)
		status = cmd_ls(ep, argv[2]);
	else if (strcmp(cmd, "stat") == 0)
		status = cmd_stat(ep, argv[2]);
	else if (strcmp(cmd, "print") == 0)
		status = send_line(ep, argc - 2, argv + 2, console_write);
	else if (strcmp(cmd, "log") == 0)
		status = cmd_log(ep, argc - 2, argv + 2);
	else
		status = cmd_readline(ep);
	idl_linux_conn_close(&c);
	if (fflush(stdout) != 0 && status == 0)
		status = 1;
	return status;
}
