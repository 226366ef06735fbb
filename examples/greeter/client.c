/*
 * client.c: greeter-client NAME..., the example's client. It connects to
 * "greeter" and asks it to greet each NAME, then how many it has greeted.
 */
#include "greeter.h"

#include <idl/linux.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	static idl_linux_conn conn;
	/* The server must serve greeter.Greeter at a version that talks to
	 * ours; waits up to 5 s for it. */
	int err = idl_linux_connect_interface(&conn, "greeter", &greeter_greeter_interface, 5000);
	if (err == IDL_E_VERSION) {
		char why[160];
		idl_linux_version_text(&conn, &greeter_greeter_interface, why, sizeof(why));
		fprintf(stderr, "greeter-client: %s\n", why);
		return 1;
	}
	if (err != IDL_OK) {
		fprintf(stderr, "greeter-client: cannot connect: %s\n", idl_error_name(err));
		return 1;
	}
	idl_endpoint *ep = idl_chan_end_endpoint(&conn.end);
	int status = 0;
	for (int i = 1; i < argc; i++) {
		greeter_greeter_hello_request req = {
		    .name = {.size = (uint32_t)strlen(argv[i]), .data = argv[i]}};
		greeter_greeter_hello_reply_buffer buf;
		const greeter_greeter_hello_reply *reply;
		common_error error;
		err = greeter_greeter_hello(ep, &req, &buf, &reply, &error);
		if (err == IDL_OK) {
			printf("%s (greeting %llu)\n", reply->greeting.data,
			       (unsigned long long)reply->number);
		} else {
			/* IDL_E_REMOTE: the server's own error; anything else: the call
			 * itself failed (a name longer than MAX_NAME is refused here,
			 * before anything is sent). */
			fprintf(stderr, "greeter-client: hello '%s': %s\n", argv[i],
			        err == IDL_E_REMOTE ? common_error_name(error)
			                            : idl_error_name(err));
			status = 1;
		}
	}
	greeter_greeter_count_request req = {0};
	greeter_greeter_count_reply_buffer buf;
	const greeter_greeter_count_reply *reply;
	common_error error;
	if (greeter_greeter_count(ep, &req, &buf, &reply, &error) == IDL_OK)
		printf("the greeter has greeted %llu so far\n",
		       (unsigned long long)reply->greetings);
	idl_linux_conn_close(&conn);
	return status;
}
