/*
 * idlc_cases.c: the five messages through idlc's generated code for
 * idl/fs.idl and idl/net.idl (generated/fs.c, generated/net.c).
 *
 * encode = the generated _encode into the caller's buffer (header included);
 * decode = the generated _decode: copy from the caller's bytes, which stand
 * for shared memory, into a private 8-aligned buffer, validate every rule of
 * the decoding contract, patch offsets to pointers, + a field check.
 */
#include "bench_case.h"
#include "fs.h"
#include "net.h"

#include <string.h>

#define TXID 1u

/* The private buffer every decode copies into: room for the largest message. */
static _Alignas(BENCH_PAGE_BYTES) uint8_t private_buf[32768];

_Static_assert(FS_FILE_READ_REQUEST_MAX_BYTES <= sizeof private_buf, "private buffer");
_Static_assert(FS_FILE_READ_REPLY_MAX_BYTES <= sizeof private_buf, "private buffer");
_Static_assert(FS_FILE_OPEN_REQUEST_MAX_BYTES <= sizeof private_buf, "private buffer");
_Static_assert(FS_FILE_READDIR_REPLY_MAX_BYTES <= sizeof private_buf, "private buffer");
_Static_assert(NET_SOCKET_SEND_TO_REQUEST_MAX_BYTES <= sizeof private_buf, "private buffer");

static fs_file_read_request read_request;
static fs_file_read_reply read_reply;
static fs_file_open_request open_request;
static fs_dir_entry dir_entries[BENCH_DIR_ENTRIES];
static fs_file_readdir_reply readdir_reply;
static net_socket_send_to_request send_to_request;

static size_t frame_size(int64_t n)
{
	return n < 0 ? 0 : (size_t)n;
}

/* read_request */

static void read_request_setup(void)
{
	read_request.fd = BENCH_READ_FD;
	read_request.offset = BENCH_READ_OFFSET;
	read_request.count = BENCH_READ_COUNT;
}

static size_t read_request_encode(uint8_t *buf, size_t cap)
{
	return frame_size(fs_file_read_request_encode(&read_request, TXID, buf, cap, NULL, NULL));
}

static int read_request_decode(const uint8_t *buf, size_t len)
{
	const fs_file_read_request *m;
	int err =
	    fs_file_read_request_decode(buf, len, private_buf, sizeof private_buf, NULL, 0, &m);
	if (err < 0)
		return err;
	return m->count != BENCH_READ_COUNT;
}

/* read_reply_4k */

static void read_reply_setup(void)
{
	read_reply.data.size = BENCH_READ_DATA_BYTES;
	read_reply.data.data = bench_read_data;
}

static size_t read_reply_encode(uint8_t *buf, size_t cap)
{
	return frame_size(fs_file_read_reply_encode(&read_reply, TXID, buf, cap, NULL, NULL));
}

static int read_reply_decode(const uint8_t *buf, size_t len)
{
	const fs_file_read_reply *m;
	int err = fs_file_read_reply_decode(buf, len, private_buf, sizeof private_buf, NULL, 0, &m);
	if (err < 0)
		return err;
	return m->data.size != BENCH_READ_DATA_BYTES || m->data.data[4095] != bench_read_data[4095];
}

/* open_request */

static void open_request_setup(void)
{
	open_request.path = IDL_STRING_LITERAL(BENCH_OPEN_PATH);
	open_request.flags = BENCH_OPEN_FLAGS;
	open_request.mode = BENCH_OPEN_MODE;
}

static size_t open_request_encode(uint8_t *buf, size_t cap)
{
	return frame_size(fs_file_open_request_encode(&open_request, TXID, buf, cap, NULL, NULL));
}

static int open_request_decode(const uint8_t *buf, size_t len)
{
	const fs_file_open_request *m;
	int err =
	    fs_file_open_request_decode(buf, len, private_buf, sizeof private_buf, NULL, 0, &m);
	if (err < 0)
		return err;
	return m->mode != BENCH_OPEN_MODE || m->path.data[0] != '/';
}

/* readdir_reply_64 */

static void readdir_reply_setup(void)
{
	for (unsigned i = 0; i < BENCH_DIR_ENTRIES; i++) {
		dir_entries[i].inode = BENCH_DIR_INODE_BASE + i;
		dir_entries[i].kind = (fs_file_kind)BENCH_DIR_KIND;
		dir_entries[i].name.size = BENCH_DIR_NAME_BYTES;
		dir_entries[i].name.data = bench_dir_names[i];
	}
	readdir_reply.entries.count = BENCH_DIR_ENTRIES;
	readdir_reply.entries.items = dir_entries;
	readdir_reply.next_cookie = BENCH_DIR_NEXT_COOKIE;
	readdir_reply.done = BENCH_DIR_DONE;
}

static size_t readdir_reply_encode(uint8_t *buf, size_t cap)
{
	return frame_size(fs_file_readdir_reply_encode(&readdir_reply, TXID, buf, cap, NULL, NULL));
}

static int readdir_reply_decode(const uint8_t *buf, size_t len)
{
	const fs_file_readdir_reply *m;
	int err =
	    fs_file_readdir_reply_decode(buf, len, private_buf, sizeof private_buf, NULL, 0, &m);
	if (err < 0)
		return err;
	/* Every record read into a view, as the hand-written decoder builds its
	 * array of entries. */
	static fs_dir_entry views[BENCH_DIR_ENTRIES];
	idl_records records = idl_records_of(m->entries.records, m->entries.count);
	uint32_t n = 0;
	while (n < BENCH_DIR_ENTRIES && fs_dir_entry_next(&records, &views[n]))
		n++;
	return n != BENCH_DIR_ENTRIES ||
	       views[BENCH_DIR_ENTRIES - 1].inode != BENCH_DIR_INODE_BASE + BENCH_DIR_ENTRIES - 1;
}

/* net_send_1500 */

static void net_send_setup(void)
{
	send_to_request.socket = BENCH_NET_SOCKET;
	send_to_request.to.ip.tag = NET_IP_ADDRESS_V4;
	memcpy(send_to_request.to.ip.v4, bench_net_ipv4, sizeof bench_net_ipv4);
	send_to_request.to.port = BENCH_NET_PORT;
	send_to_request.data.size = BENCH_NET_DATA_BYTES;
	send_to_request.data.data = bench_net_data;
}

static size_t net_send_encode(uint8_t *buf, size_t cap)
{
	return frame_size(
	    net_socket_send_to_request_encode(&send_to_request, TXID, buf, cap, NULL, NULL));
}

static int net_send_decode(const uint8_t *buf, size_t len)
{
	const net_socket_send_to_request *m;
	int err = net_socket_send_to_request_decode(buf, len, private_buf, sizeof private_buf, NULL,
	                                            0, &m);
	if (err < 0)
		return err;
	return m->to.port != BENCH_NET_PORT || m->data.size != BENCH_NET_DATA_BYTES;
}

const struct bench_case bench_idlc_cases[] = {
    {"idlc", BENCH_MSG_READ_REQUEST, read_request_setup, read_request_encode, read_request_decode},
    {"idlc", BENCH_MSG_READ_REPLY, read_reply_setup, read_reply_encode, read_reply_decode},
    {"idlc", BENCH_MSG_OPEN_REQUEST, open_request_setup, open_request_encode, open_request_decode},
    {"idlc", BENCH_MSG_READDIR_REPLY, readdir_reply_setup, readdir_reply_encode,
     readdir_reply_decode},
    {"idlc", BENCH_MSG_NET_SEND, net_send_setup, net_send_encode, net_send_decode},
};
const size_t bench_idlc_case_count = sizeof bench_idlc_cases / sizeof bench_idlc_cases[0];

/* The frames the memcpy cases copy: each message encoded once by idlc. */
static _Alignas(64) uint8_t frames[sizeof bench_idlc_cases / sizeof bench_idlc_cases[0]][8192];

const uint8_t *bench_idlc_frame(const char *message, size_t *len)
{
	for (size_t i = 0; i < bench_idlc_case_count; i++) {
		const struct bench_case *c = &bench_idlc_cases[i];
		if (strcmp(c->message, message) != 0)
			continue;
		c->setup();
		*len = c->encode(frames[i], sizeof frames[i]);
		return *len != 0 ? frames[i] : NULL;
	}
	return NULL;
}
