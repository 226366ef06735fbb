/*
 * bench_xdr.c: the five messages through XDR (rpcgen + libtirpc): encode and
 * decode are xdrmem_create on the caller's buffer + the rpcgen routine.
 * Decoding goes into preallocated buffers (XDR fills a non-NULL data pointer
 * instead of allocating), so it never calls malloc and needs no xdr_free.
 */
#include "bench.h" /* rpcgen's header for bench.x, in the build tree */
#include "bench_case.h"

#include <string.h>

static read_request read_request_msg;
static read_reply read_reply_msg;
static open_request open_request_msg;
static dir_entry dir_entries[BENCH_DIR_ENTRIES];
static readdir_reply readdir_reply_msg;
static send_to_request send_to_request_msg;

/* Decoded messages and the buffers their variable-length fields point to. */
static read_request read_request_out;
static read_reply read_reply_out;
static _Alignas(BENCH_PAGE_BYTES) char read_reply_out_data[BENCH_READ_DATA_BYTES];
static open_request open_request_out;
static char open_request_out_path[1025];
static readdir_reply readdir_reply_out;
static dir_entry readdir_reply_out_entries[BENCH_DIR_ENTRIES];
static char readdir_reply_out_names[BENCH_DIR_ENTRIES][256];
static send_to_request send_to_request_out;
static _Alignas(BENCH_PAGE_BYTES) char send_to_request_out_data[BENCH_NET_DATA_BYTES];

static void encoder(XDR *xdr, uint8_t *buf, size_t cap)
{
	xdrmem_create(xdr, (char *)buf, (u_int)cap, XDR_ENCODE);
}

static size_t encoded(XDR *xdr, bool_t ok)
{
	size_t n = ok ? xdr_getpos(xdr) : 0;
	xdr_destroy(xdr);
	return n;
}

static void decoder(XDR *xdr, const uint8_t *buf, size_t len)
{
	/* XDR_DECODE only reads the buffer; the API takes it non-const. */
	xdrmem_create(xdr, (char *)(uintptr_t)buf, (u_int)len, XDR_DECODE);
}

static bool_t decoded(XDR *xdr, bool_t ok)
{
	xdr_destroy(xdr);
	return ok;
}

/* read_request */

static void read_request_setup(void)
{
	read_request_msg.fd = BENCH_READ_FD;
	read_request_msg.offset = BENCH_READ_OFFSET;
	read_request_msg.count = BENCH_READ_COUNT;
}

static size_t read_request_encode(uint8_t *buf, size_t cap)
{
	XDR xdr;
	encoder(&xdr, buf, cap);
	return encoded(&xdr, xdr_read_request(&xdr, &read_request_msg));
}

static int read_request_decode(const uint8_t *buf, size_t len)
{
	read_request *m = &read_request_out;
	XDR xdr;
	decoder(&xdr, buf, len);
	if (!decoded(&xdr, xdr_read_request(&xdr, m)))
		return 1;
	return m->count != BENCH_READ_COUNT;
}

/* read_reply_4k */

static void read_reply_setup(void)
{
	read_reply_msg.data.data_len = BENCH_READ_DATA_BYTES;
	read_reply_msg.data.data_val = (char *)bench_read_data;
	read_reply_out.data.data_val = read_reply_out_data;
}

static size_t read_reply_encode(uint8_t *buf, size_t cap)
{
	XDR xdr;
	encoder(&xdr, buf, cap);
	return encoded(&xdr, xdr_read_reply(&xdr, &read_reply_msg));
}

static int read_reply_decode(const uint8_t *buf, size_t len)
{
	read_reply *m = &read_reply_out;
	XDR xdr;
	decoder(&xdr, buf, len);
	if (!decoded(&xdr, xdr_read_reply(&xdr, m)))
		return 1;
	return m->data.data_len != BENCH_READ_DATA_BYTES ||
	       (uint8_t)m->data.data_val[4095] != bench_read_data[4095];
}

/* open_request */

static void open_request_setup(void)
{
	open_request_msg.path = (char *)BENCH_OPEN_PATH;
	open_request_msg.flags = BENCH_OPEN_FLAGS;
	open_request_msg.mode = BENCH_OPEN_MODE;
	open_request_out.path = open_request_out_path;
}

static size_t open_request_encode(uint8_t *buf, size_t cap)
{
	XDR xdr;
	encoder(&xdr, buf, cap);
	return encoded(&xdr, xdr_open_request(&xdr, &open_request_msg));
}

static int open_request_decode(const uint8_t *buf, size_t len)
{
	open_request *m = &open_request_out;
	XDR xdr;
	decoder(&xdr, buf, len);
	if (!decoded(&xdr, xdr_open_request(&xdr, m)))
		return 1;
	return m->mode != BENCH_OPEN_MODE || m->path[0] != '/';
}

/* readdir_reply_64 */

static void readdir_reply_setup(void)
{
	for (unsigned i = 0; i < BENCH_DIR_ENTRIES; i++) {
		dir_entries[i].inode = BENCH_DIR_INODE_BASE + i;
		dir_entries[i].kind = FILE_KIND_REGULAR;
		dir_entries[i].name = bench_dir_names[i];
		readdir_reply_out_entries[i].name = readdir_reply_out_names[i];
	}
	readdir_reply_msg.entries.entries_len = BENCH_DIR_ENTRIES;
	readdir_reply_msg.entries.entries_val = dir_entries;
	readdir_reply_msg.next_cookie = BENCH_DIR_NEXT_COOKIE;
	readdir_reply_msg.done = BENCH_DIR_DONE;
	readdir_reply_out.entries.entries_val = readdir_reply_out_entries;
}

static size_t readdir_reply_encode(uint8_t *buf, size_t cap)
{
	XDR xdr;
	encoder(&xdr, buf, cap);
	return encoded(&xdr, xdr_readdir_reply(&xdr, &readdir_reply_msg));
}

static int readdir_reply_decode(const uint8_t *buf, size_t len)
{
	readdir_reply *m = &readdir_reply_out;
	XDR xdr;
	decoder(&xdr, buf, len);
	if (!decoded(&xdr, xdr_readdir_reply(&xdr, m)))
		return 1;
	return m->entries.entries_len != BENCH_DIR_ENTRIES ||
	       m->entries.entries_val[BENCH_DIR_ENTRIES - 1].inode !=
	           BENCH_DIR_INODE_BASE + BENCH_DIR_ENTRIES - 1;
}

/* net_send_1500 */

static void net_send_setup(void)
{
	send_to_request_msg.socket = BENCH_NET_SOCKET;
	send_to_request_msg.to.ip.family = 4;
	memcpy(send_to_request_msg.to.ip.ip_address_u.v4, bench_net_ipv4, sizeof bench_net_ipv4);
	send_to_request_msg.to.port = BENCH_NET_PORT;
	send_to_request_msg.data.data_len = BENCH_NET_DATA_BYTES;
	send_to_request_msg.data.data_val = (char *)bench_net_data;
	send_to_request_out.data.data_val = send_to_request_out_data;
}

static size_t net_send_encode(uint8_t *buf, size_t cap)
{
	XDR xdr;
	encoder(&xdr, buf, cap);
	return encoded(&xdr, xdr_send_to_request(&xdr, &send_to_request_msg));
}

static int net_send_decode(const uint8_t *buf, size_t len)
{
	send_to_request *m = &send_to_request_out;
	XDR xdr;
	decoder(&xdr, buf, len);
	if (!decoded(&xdr, xdr_send_to_request(&xdr, m)))
		return 1;
	return m->to.port != BENCH_NET_PORT || m->data.data_len != BENCH_NET_DATA_BYTES;
}

const struct bench_case bench_xdr_cases[] = {
    {"xdr", BENCH_MSG_READ_REQUEST, read_request_setup, read_request_encode, read_request_decode},
    {"xdr", BENCH_MSG_READ_REPLY, read_reply_setup, read_reply_encode, read_reply_decode},
    {"xdr", BENCH_MSG_OPEN_REQUEST, open_request_setup, open_request_encode, open_request_decode},
    {"xdr", BENCH_MSG_READDIR_REPLY, readdir_reply_setup, readdir_reply_encode,
     readdir_reply_decode},
    {"xdr", BENCH_MSG_NET_SEND, net_send_setup, net_send_encode, net_send_decode},
};
const size_t bench_xdr_case_count = sizeof bench_xdr_cases / sizeof bench_xdr_cases[0];
