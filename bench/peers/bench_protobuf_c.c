/*
 * bench_protobuf_c.c: the five messages through protobuf-c, used the way its
 * users use it: encode = get_packed_size + pack into the caller's buffer;
 * decode = protobuf_c_message_unpack (through the generated __unpack, with
 * the default malloc allocator) + a field check + free_unpacked.
 */
#include "bench.pb-c.h"
#include "bench_case.h"

static Bench__ReadRequest read_request = BENCH__READ_REQUEST__INIT;
static Bench__ReadReply read_reply = BENCH__READ_REPLY__INIT;
static Bench__OpenRequest open_request = BENCH__OPEN_REQUEST__INIT;
static Bench__DirEntry dir_entries[BENCH_DIR_ENTRIES];
static Bench__DirEntry *dir_entry_ptrs[BENCH_DIR_ENTRIES];
static Bench__ReaddirReply readdir_reply = BENCH__READDIR_REPLY__INIT;
static Bench__SocketAddress socket_address = BENCH__SOCKET_ADDRESS__INIT;
static Bench__SendToRequest send_to_request = BENCH__SEND_TO_REQUEST__INIT;

/* read_request */

static void read_request_setup(void)
{
	read_request.fd = BENCH_READ_FD;
	read_request.offset = BENCH_READ_OFFSET;
	read_request.count = BENCH_READ_COUNT;
}

static size_t read_request_encode(uint8_t *buf, size_t cap)
{
	if (bench__read_request__get_packed_size(&read_request) > cap)
		return 0;
	return bench__read_request__pack(&read_request, buf);
}

static int read_request_decode(const uint8_t *buf, size_t len)
{
	Bench__ReadRequest *m = bench__read_request__unpack(NULL, len, buf);
	if (m == NULL)
		return 1;
	int bad = m->count != BENCH_READ_COUNT;
	bench__read_request__free_unpacked(m, NULL);
	return bad;
}

/* read_reply_4k */

static void read_reply_setup(void)
{
	read_reply.data.len = BENCH_READ_DATA_BYTES;
	read_reply.data.data = bench_read_data;
}

static size_t read_reply_encode(uint8_t *buf, size_t cap)
{
	if (bench__read_reply__get_packed_size(&read_reply) > cap)
		return 0;
	return bench__read_reply__pack(&read_reply, buf);
}

static int read_reply_decode(const uint8_t *buf, size_t len)
{
	Bench__ReadReply *m = bench__read_reply__unpack(NULL, len, buf);
	if (m == NULL)
		return 1;
	int bad =
	    m->data.len != BENCH_READ_DATA_BYTES || m->data.data[4095] != bench_read_data[4095];
	bench__read_reply__free_unpacked(m, NULL);
	return bad;
}

/* open_request */

static void open_request_setup(void)
{
	open_request.path = (char *)BENCH_OPEN_PATH;
	open_request.flags = BENCH_OPEN_FLAGS;
	open_request.mode = BENCH_OPEN_MODE;
}

static size_t open_request_encode(uint8_t *buf, size_t cap)
{
	if (bench__open_request__get_packed_size(&open_request) > cap)
		return 0;
	return bench__open_request__pack(&open_request, buf);
}

static int open_request_decode(const uint8_t *buf, size_t len)
{
	Bench__OpenRequest *m = bench__open_request__unpack(NULL, len, buf);
	if (m == NULL)
		return 1;
	int bad = m->mode != BENCH_OPEN_MODE || m->path[0] != '/';
	bench__open_request__free_unpacked(m, NULL);
	return bad;
}

/* readdir_reply_64 */

static void readdir_reply_setup(void)
{
	for (unsigned i = 0; i < BENCH_DIR_ENTRIES; i++) {
		bench__dir_entry__init(&dir_entries[i]);
		dir_entries[i].inode = BENCH_DIR_INODE_BASE + i;
		dir_entries[i].kind = BENCH__FILE_KIND__FILE_KIND_REGULAR;
		dir_entries[i].name = bench_dir_names[i];
		dir_entry_ptrs[i] = &dir_entries[i];
	}
	readdir_reply.n_entries = BENCH_DIR_ENTRIES;
	readdir_reply.entries = dir_entry_ptrs;
	readdir_reply.next_cookie = BENCH_DIR_NEXT_COOKIE;
	readdir_reply.done = BENCH_DIR_DONE;
}

static size_t readdir_reply_encode(uint8_t *buf, size_t cap)
{
	if (bench__readdir_reply__get_packed_size(&readdir_reply) > cap)
		return 0;
	return bench__readdir_reply__pack(&readdir_reply, buf);
}

static int readdir_reply_decode(const uint8_t *buf, size_t len)
{
	Bench__ReaddirReply *m = bench__readdir_reply__unpack(NULL, len, buf);
	if (m == NULL)
		return 1;
	int bad =
	    m->n_entries != BENCH_DIR_ENTRIES || m->entries[BENCH_DIR_ENTRIES - 1]->inode !=
	                                             BENCH_DIR_INODE_BASE + BENCH_DIR_ENTRIES - 1;
	bench__readdir_reply__free_unpacked(m, NULL);
	return bad;
}

/* net_send_1500 */

static void net_send_setup(void)
{
	socket_address.ip_case = BENCH__SOCKET_ADDRESS__IP_V4;
	socket_address.v4.len = sizeof bench_net_ipv4;
	socket_address.v4.data = (uint8_t *)bench_net_ipv4;
	socket_address.port = BENCH_NET_PORT;
	send_to_request.socket = BENCH_NET_SOCKET;
	send_to_request.to = &socket_address;
	send_to_request.data.len = BENCH_NET_DATA_BYTES;
	send_to_request.data.data = bench_net_data;
}

static size_t net_send_encode(uint8_t *buf, size_t cap)
{
	if (bench__send_to_request__get_packed_size(&send_to_request) > cap)
		return 0;
	return bench__send_to_request__pack(&send_to_request, buf);
}

static int net_send_decode(const uint8_t *buf, size_t len)
{
	Bench__SendToRequest *m = bench__send_to_request__unpack(NULL, len, buf);
	if (m == NULL)
		return 1;
	int bad =
	    m->to == NULL || m->to->port != BENCH_NET_PORT || m->data.len != BENCH_NET_DATA_BYTES;
	bench__send_to_request__free_unpacked(m, NULL);
	return bad;
}

const struct bench_case bench_protobuf_c_cases[] = {
    {"protobuf-c", BENCH_MSG_READ_REQUEST, read_request_setup, read_request_encode,
     read_request_decode},
    {"protobuf-c", BENCH_MSG_READ_REPLY, read_reply_setup, read_reply_encode, read_reply_decode},
    {"protobuf-c", BENCH_MSG_OPEN_REQUEST, open_request_setup, open_request_encode,
     open_request_decode},
    {"protobuf-c", BENCH_MSG_READDIR_REPLY, readdir_reply_setup, readdir_reply_encode,
     readdir_reply_decode},
    {"protobuf-c", BENCH_MSG_NET_SEND, net_send_setup, net_send_encode, net_send_decode},
};
const size_t bench_protobuf_c_case_count =
    sizeof bench_protobuf_c_cases / sizeof bench_protobuf_c_cases[0];
