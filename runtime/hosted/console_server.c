/*
 * console_server.c: idl-console-server, console.Console (idl/console.idl)
 * on the terminal it runs in. write and print go to its stdout, read
 * returns one line of its stdin (a whole line up to `max` bytes, the rest
 * on the next read; no data at the end of input).
 *
 *     idl-console-server [-n NAME]       (default: $IDL_CONSOLE_NAME or "console")
 *
 * One thread serves every client, so a read that waits for input holds up
 * the other clients until a line arrives.
 */
#include "console.h"
#include "hosted.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int console_write(idl_request *r, const console_console_write_request *req,
                         console_console_write_reply *reply, sys_errno *error)
{
	(void)r;
	if (fwrite(req->data.data, 1, req->data.size, stdout) != req->data.size ||
	    fflush(stdout) != 0) {
		*error = hosted_errno_from_host(errno);
		clearerr(stdout);
		return IDL_E_REMOTE;
	}
	reply->written = req->data.size;
	return IDL_OK;
}

static int console_print(idl_request *r, const console_console_print_request *req)
{
	(void)r;
	/* One-way: output that cannot be written is dropped, as the .idl says. */
	fwrite(req->data.data, 1, req->data.size, stdout);
	fflush(stdout);
	clearerr(stdout);
	return IDL_OK;
}

static char line[CONSOLE_MAX_READ + 1];

static int console_read(idl_request *r, const console_console_read_request *req,
                        console_console_read_reply *reply, sys_errno *error)
{
	(void)r;
	uint32_t max = req->max < CONSOLE_MAX_READ ? req->max : CONSOLE_MAX_READ;
	if (max == 0) {
		reply->data.size = 0;
		return IDL_OK;
	}
	/* fgets stores at most max - 1 bytes and a NUL: ask for one more. */
	if (fgets(line, (int)max + 1, stdin) == NULL) {
		if (ferror(stdin)) {
			*error = hosted_errno_from_host(errno);
			clearerr(stdin);
			return IDL_E_REMOTE;
		}
		reply->data.size = 0; /* end of input */
		return IDL_OK;
	}
	reply->data.data = (const uint8_t *)line;
	reply->data.size = (uint32_t)strlen(line);
	return IDL_OK;
}

static int console_get_mode(idl_request *r, const console_console_get_mode_request *req,
                            console_console_get_mode_reply *reply, sys_errno *error)
{
	(void)r;
	(void)req;
	(void)error;
	/* Lines come from stdio's line buffering; echo is the host terminal's. */
	reply->mode = CONSOLE_MODE_CANONICAL;
	return IDL_OK;
}

static int console_set_mode(idl_request *r, const console_console_set_mode_request *req,
                            console_console_set_mode_reply *reply, sys_errno *error)
{
	(void)r;
	(void)reply;
	if (req->mode == CONSOLE_MODE_CANONICAL)
		return IDL_OK;
	*error = SYS_ERRNO_NOT_SUPPORTED;
	return IDL_E_REMOTE;
}

static int console_get_size(idl_request *r, const console_console_get_size_request *req,
                            console_console_get_size_reply *reply, sys_errno *error)
{
	(void)r;
	(void)req;
	(void)error;
	memset(&reply->size, 0, sizeof(reply->size)); /* absent: a plain stream has no size */
	return IDL_OK;
}

static const console_console_handlers handlers = {
    .write = console_write,
    .print = console_print,
    .read = console_read,
    .get_mode = console_get_mode,
    .set_mode = console_set_mode,
    .get_size = console_get_size,
};

int main(int argc, char **argv)
{
	const char *name = hosted_service_name("IDL_CONSOLE_NAME", "console");
	int opt;
	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n') {
			fprintf(stderr, "usage: %s [-n NAME]\n", argv[0]);
			return 2;
		}
		name = optarg;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: %s [-n NAME]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	static idl_linux_server ls;
	int err = idl_linux_server_open(&ls, name, HOSTED_CAPACITY);
	if (err == IDL_OK)
		err = idl_server_add_interface(&ls.server, &console_console_interface, &handlers,
		                               NULL);
	if (err != IDL_OK) {
		fprintf(stderr, "idl-console-server: cannot serve \"%s\": %s%s\n", name,
		        idl_error_name(err), err == IDL_E_TRANSPORT ? " (is the name taken?)" : "");
		idl_linux_server_close(&ls);
		return 1;
	}
	idl_linux_server_stop_on_signals(&ls);
	fprintf(stderr, "idl-console-server: serving \"%s\"\n", name);
	err = idl_linux_server_run(&ls);
	if (err != IDL_OK)
		fprintf(stderr, "idl-console-server: %s\n", idl_error_name(err));
	idl_linux_server_close(&ls);
	return err == IDL_OK ? 0 : 1;
}
