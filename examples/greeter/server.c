/*
 * server.c: greeter-server, the example's server. It serves
 * greeter.Greeter (idl/greeter.idl) as "greeter" on the Linux runtime until
 * it gets SIGINT or SIGTERM.
 */
#include "greeter.h"

#include <idl/linux.h>
#include <stdio.h>

#define MAX_GREETINGS 1000

static uint64_t greetings;

static int hello(idl_request *r, const greeter_greeter_hello_request *req,
                 greeter_greeter_hello_reply *reply, common_error *error)
{
	(void)r;
	/* req was copied out of shared memory and validated before this call:
	 * req->name.data is NUL-terminated, at most 64 bytes, and stays put. */
	if (req->name.size == 0) {
		*error = COMMON_ERROR_EMPTY_NAME;
		return IDL_E_REMOTE;
	}
	if (greetings == MAX_GREETINGS) {
		*error = COMMON_ERROR_TOO_MANY;
		return IDL_E_REMOTE;
	}
	/* The reply is encoded after the handler returns: static storage. */
	static char text[GREETER_MAX_NAME + 16];
	int n = snprintf(text, sizeof(text), "Hello, %s!", req->name.data);
	reply->greeting.size = (uint32_t)n;
	reply->greeting.data = text;
	reply->number = ++greetings;
	return IDL_OK;
}

static int count(idl_request *r, const greeter_greeter_count_request *req,
                 greeter_greeter_count_reply *reply, common_error *error)
{
	(void)r, (void)req, (void)error;
	reply->greetings = greetings;
	return IDL_OK;
}

static const greeter_greeter_handlers handlers = {.hello = hello, .count = count};

int main(void)
{
	static idl_linux_server ls;
	int err = idl_linux_server_open(&ls, "greeter", 16);
	if (err == IDL_OK)
		err = idl_server_add_interface(&ls.server, &greeter_greeter_interface, &handlers,
		                               NULL);
	if (err != IDL_OK) {
		fprintf(stderr, "greeter-server: cannot serve: %s\n", idl_error_name(err));
		return 1;
	}
	idl_linux_server_stop_on_signals(&ls);
	printf("greeter-server: serving greeter.Greeter as \"greeter\"\n");
	fflush(stdout);
	err = idl_linux_server_run(&ls);
	idl_linux_server_close(&ls);
	return err == IDL_OK ? 0 : 1;
}
