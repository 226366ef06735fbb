/*
 * bench_nanopb.c: the five messages through nanopb, with every field static
 * (bench.options gives the bounds), so encode and decode never allocate:
 * encode = pb_encode into a buffer stream; decode = pb_decode from a buffer
 * stream into a preallocated struct + a field check.
 */
#include "bench.pb.h"
#include "bench_case.h"

#include <pb_decode.h>
#include <pb_encode.h>
#include <string.h>

static bench_ReadRequest read_request = bench_ReadRequest_init_zero;
static bench_ReadReply read_reply = bench_ReadReply_init_zero;
static bench_OpenRequest open_request = bench_OpenRequest_init_zero;
static bench_ReaddirReply readdir_reply = bench_ReaddirReply_init_zero;
static bench_SendToRequest send_to_request = bench_SendToRequest_init_zero;

/* Decoded messages: static, as a nanopb user keeps them (readdir's is 17 KiB). */
static union {
	bench_ReadRequest read_request;
	bench_ReadReply read_reply;
	bench_OpenRequest open_request;
	bench_ReaddirReply readdir_reply;
	bench_SendToRequest send_to_request;
} decoded;

static size_t encode_with(const pb_msgdesc_t *fields, const void *msg, uint8_t *buf, size_t cap)
{
	pb_ostream_t out = pb_ostream_from_buffer(buf, cap);
	if (!pb_encode(&out, fields, msg))
		return 0;
	return out.bytes_written;
}

static bool decode_with(const pb_msgdesc_t *fields, void *msg, const uint8_t *buf, size_t len)
{
	pb_istream_t in = pb_istream_from_buffer(buf, len);
	return pb_decode(&in, fields, msg);
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
	return encode_with(bench_ReadRequest_fields, &read_request, buf, cap);
}

static int read_request_decode(const uint8_t *buf, size_t len)
{
	bench_ReadRequest *m = &decoded.read_request;
	if (!decode_with(bench_ReadRequest_fields, m, buf, len))
		return 1;
	return m->count != BENCH_READ_COUNT;
}

/* read_reply_4k */

static void read_reply_setup(void)
{
	read_reply.data.size = BENCH_READ_DATA_BYTES;
	memcpy(read_reply.data.bytes, bench_read_data, BENCH_READ_DATA_BYTES);
}

static size_t read_reply_encode(uint8_t *buf, size_t cap)
{
	return encode_with(bench_ReadReply_fields, &read_reply, buf, cap);
}

static int read_reply_decode(const uint8_t *buf, size_t len)
{
	bench_ReadReply *m = &decoded.read_reply;
	if (!decode_with(bench_ReadReply_fields, m, buf, len))
		return 1;
	return m->data.size != BENCH_READ_DATA_BYTES ||
	       m->data.bytes[4095] != bench_read_data[4095];
}

/* open_request */

static void open_request_setup(void)
{
	memcpy(open_request.path, BENCH_OPEN_PATH, sizeof BENCH_OPEN_PATH);
	open_request.flags = BENCH_OPEN_FLAGS;
	open_request.mode = BENCH_OPEN_MODE;
}

static size_t open_request_encode(uint8_t *buf, size_t cap)
{
	return encode_with(bench_OpenRequest_fields, &open_request, buf, cap);
}

static int open_request_decode(const uint8_t *buf, size_t len)
{
	bench_OpenRequest *m = &decoded.open_request;
	if (!decode_with(bench_OpenRequest_fields, m, buf, len))
		return 1;
	return m->mode != BENCH_OPEN_MODE || m->path[0] != '/';
}

/* readdir_reply_64 */

static void readdir_reply_setup(void)
{
	readdir_reply.entries_count = BENCH_DIR_ENTRIES;
	for (unsigned i = 0; i < BENCH_DIR_ENTRIES; i++) {
		bench_DirEntry *e = &readdir_reply.entries[i];
		e->inode = BENCH_DIR_INODE_BASE + i;
		e->kind = bench_FileKind_FILE_KIND_REGULAR;
		memcpy(e->name, bench_dir_names[i], sizeof bench_dir_names[i]);
	}
	readdir_reply.next_cookie = BENCH_DIR_NEXT_COOKIE;
	readdir_reply.done = BENCH_DIR_DONE;
}

static size_t readdir_reply_encode(uint8_t *buf, size_t cap)
{
	return encode_with(bench_ReaddirReply_fields, &readdir_reply, buf, cap);
}

static int readdir_reply_decode(const uint8_t *buf, size_t len)
{
	bench_ReaddirReply *m = &decoded.readdir_reply;
	if (!decode_with(bench_ReaddirReply_fields, m, buf, len))
		return 1;
	return m->entries_count != BENCH_DIR_ENTRIES ||
	       m->entries[BENCH_DIR_ENTRIES - 1].inode !=
	           BENCH_DIR_INODE_BASE + BENCH_DIR_ENTRIES - 1;
}

/* net_send_1500 */

static void net_send_setup(void)
{
	send_to_request.socket = BENCH_NET_SOCKET;
	send_to_request.has_to = true;
	send_to_request.to.which_ip = bench_SocketAddress_v4_tag;
	memcpy(send_to_request.to.ip.v4, bench_net_ipv4, sizeof bench_net_ipv4);
	send_to_request.to.port = BENCH_NET_PORT;
	send_to_request.data.size = BENCH_NET_DATA_BYTES;
	memcpy(send_to_request.data.bytes, bench_net_data, BENCH_NET_DATA_BYTES);
}

static size_t net_send_encode(uint8_t *buf, size_t cap)
{
	return encode_with(bench_SendToRequest_fields, &send_to_request, buf, cap);
}

static int net_send_decode(const uint8_t *buf, size_t len)
{
	bench_SendToRequest *m = &decoded.send_to_request;
	if (!decode_with(bench_SendToRequest_fields, m, buf, len))
		return 1;
	return !m->has_to || m->to.port != BENCH_NET_PORT || m->data.size != BENCH_NET_DATA_BYTES;
}

const struct bench_case bench_nanopb_cases[] = {
    {"nanopb", BENCH_MSG_READ_REQUEST, read_request_setup, read_request_encode,
     read_request_decode},
    {"nanopb", BENCH_MSG_READ_REPLY, read_reply_setup, read_reply_encode, read_reply_decode},
    {"nanopb", BENCH_MSG_OPEN_REQUEST, open_request_setup, open_request_encode,
     open_request_decode},
    {"nanopb", BENCH_MSG_READDIR_REPLY, readdir_reply_setup, readdir_reply_encode,
     readdir_reply_decode},
    {"nanopb", BENCH_MSG_NET_SEND, net_send_setup, net_send_encode, net_send_decode},
};
const size_t bench_nanopb_case_count = sizeof bench_nanopb_cases / sizeof bench_nanopb_cases[0];
