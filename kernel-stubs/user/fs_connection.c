/*
 * fs_connection.c: the libc shim's connection to the file server, found
 * through the directory at the first file call. When the server goes away
 * (it died; init starts it again), the connection is dropped and the next
 * call looks the server up anew; descriptors of the old connection are then
 * stale (EBADF), which `generation` tells.
 */
#include "files_int.h"
#include "kserve.h"

static kchan *connection;
static uint32_t generation = 1;

idl_endpoint *files_server(void)
{
	if (!connection) {
		sys_errno error;
		connection = kserve_connect_chan("fs", FS_FILE_PROTOCOL, &error);
		if (!connection) {
			errno = error == SYS_ERRNO_NOT_FOUND ? ENOSYS : (int)error;
			return NULL;
		}
		/* Room for a readdir reply that comes while another call waits. */
		static _Alignas(8) uint8_t scratch[FS_FILE_MAX_FRAME_BYTES];
		idl_chan_end_set_scratch(&connection->end, scratch, sizeof(scratch));
	}
	return idl_chan_end_endpoint(&connection->end);
}

uint32_t files_generation(void)
{
	return generation;
}

void files_disconnect(void)
{
	if (!connection)
		return;
	kserve_disconnect(connection);
	connection = NULL;
	generation++;
}

void files_shutdown(void)
{
	files_disconnect();
}
