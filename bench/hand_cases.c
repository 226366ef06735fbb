/*
 * hand_cases.c: the yardstick: the five messages through a codec written by
 * hand for the same contract as idlc's, as tight as careful C allows. A
 * user tempted to hand-write a codec for speed would write this.
 *
 * The contract, as idlc's (docs/wire-format.md, "The decoding contract"):
 * the frame's length is read from "shared memory" once, the frame is copied
 * into a private buffer with one bounded copy, and only the copy is
 * validated: its size, ordinal and flags, every length against its bound
 * and against the frame, every enum and bits value, every string
 * NUL-terminated with no NUL inside, every padding byte zero, and nothing
 * left over (one encoding per value). The encoder refuses what the decoder
 * would (a NUL inside a string, a length past its bound).
 *
 * The layout is the hand-written one, not idlc's: a 16-byte header (size,
 * ordinal, txid, flags; all little-endian), fields packed in the order
 * that aligns them, strings and byte arrays as a length and the bytes (a
 * string with its NUL), directory entries packed one after the other. A
 * decoded view points into the private copy, except the directory's
 * entries, whose packed form is unaligned: they are read into an array of
 * views beside it.
 */
#include "bench_case.h"

#include <stdbool.h>
#include <string.h>

#define HEADER_BYTES 16u
#define FLAG_REQUEST 1u
#define FLAG_REPLY   2u
#define TXID         1u

/* The methods' ordinals: any distinct numbers serve the yardstick. */
#define ORD_READ    0x101u
#define ORD_OPEN    0x102u
#define ORD_READDIR 0x103u
#define ORD_SEND_TO 0x201u

/* The bounds of idl/fs.idl and idl/net.idl. */
#define MAX_READ      65536u
#define MAX_PATH      1024u
#define MAX_NAME      255u
#define MAX_ENTRIES   64u
#define MAX_DATAGRAM  1500u
#define OPEN_FLAGS    0x7fu /* READ WRITE CREATE EXCLUSIVE TRUNCATE APPEND DIRECTORY */
#define KIND_REGULAR  1u
#define KIND_LAST     3u /* SYMLINK */
#define IP_V4         4u
#define IP_V6         6u
#define PRIVATE_BYTES 32768u

static _Alignas(BENCH_PAGE_BYTES) uint8_t private_buf[PRIVATE_BYTES];

static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline void st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static inline void st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void st64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/*
 * A copy of a length known only at run time, through the library's memcpy.
 * Left to itself, gcc -O2 expands a copy whose length it can bound (the
 * frame's maximum) into `rep movsq`, which takes few instructions but is
 * slower than the library call for frames of these sizes (bench_codec's
 * ns/op: docs/benchmarks.md). The empty asm hides the bound.
 */
static inline void copy(void *dst, const void *src, size_t n)
{
	__asm__("" : "+r"(n));
	memcpy(dst, src, n);
}

static inline void put_header(uint8_t *p, uint32_t size, uint32_t ordinal, uint32_t flags)
{
	st32(p, size);
	st32(p + 4, ordinal);
	st32(p + 8, TXID);
	st32(p + 12, flags);
}

/*
 * The copy: the length read from shared memory once, then one bounded copy
 * into the private buffer. The copy's own size word must say the same (the
 * peer may have changed it between the read and the copy). 0, or the frame
 * size with *f set to the private copy. Fewer bytes than the smallest frame
 * fail before the size word is read, which may not even be there.
 */
static inline uint32_t fetch(const uint8_t *shared, size_t available, uint32_t min, uint32_t max,
                             const uint8_t **f)
{
	if (available < min)
		return 0;
	uint32_t size = *(const volatile uint32_t *)shared;
	if (size < min || size > max || size > available)
		return 0;
	/* A fixed-size frame's copy has a constant length: a few moves. */
	if (min == max)
		memcpy(private_buf, shared, max);
	else
		copy(private_buf, shared, size);
	if (ld32(private_buf) != size)
		return 0;
	*f = private_buf;
	return size;
}

static inline bool header_is(const uint8_t *f, uint32_t ordinal, uint32_t flags)
{
	return ld32(f + 4) == ordinal && ld32(f + 12) == flags;
}

/* A two-way request's header: the contract's txid rule too (a reply finds
 * its call by the txid, so a request must carry one that is not 0). */
static inline bool request_header_is(const uint8_t *f, uint32_t ordinal)
{
	return header_is(f, ordinal, FLAG_REQUEST) && ld32(f + 8) != 0;
}

/* A string's bytes: no NUL inside, one at the end. */
static inline bool string_ok(const uint8_t *s, size_t n)
{
	return s[n] == 0 && memchr(s, 0, n) == NULL;
}

/* read_request: header, fd u32, count u32, offset u64 = 32 bytes. */

struct read_request {
	uint32_t fd, count;
	uint64_t offset;
};

/* What each encoder is given, filled by the case's setup as idlc's
 * request structures are (bench/idlc_cases.c): encoders read it at run
 * time, so that the compiler cannot fold a constant message into stores
 * of immediates, which no encoder of real data could do. */
static struct read_request read_in;

static void read_request_setup(void)
{
	read_in = (struct read_request){BENCH_READ_FD, BENCH_READ_COUNT, BENCH_READ_OFFSET};
}

static size_t read_request_encode(uint8_t *buf, size_t cap)
{
	const struct read_request *m = &read_in;
	if (cap < 32)
		return 0;
	put_header(buf, 32, ORD_READ, FLAG_REQUEST);
	st32(buf + 16, m->fd);
	st32(buf + 20, m->count);
	st64(buf + 24, m->offset);
	return 32;
}

static int read_request_decode(const uint8_t *buf, size_t len)
{
	const uint8_t *f;
	if (fetch(buf, len, 32, 32, &f) == 0 || !request_header_is(f, ORD_READ))
		return -1;
	const struct read_request *m = (const struct read_request *)(f + 16);
	return m->count != BENCH_READ_COUNT;
}

/* read_reply_4k: header, length u32, zero u32, the bytes. */

/* A byte array or a string as the caller holds it. */
struct bytes {
	const void *data;
	uint32_t size;
};

static struct bytes read_reply_in;

static void read_reply_setup(void)
{
	read_reply_in = (struct bytes){bench_read_data, BENCH_READ_DATA_BYTES};
}

static size_t read_reply_encode(uint8_t *buf, size_t cap)
{
	const struct bytes *data = &read_reply_in;
	uint32_t n = data->size, size = 24 + n;
	if (n > MAX_READ || cap < size)
		return 0;
	put_header(buf, size, ORD_READ, FLAG_REPLY);
	st32(buf + 16, n);
	st32(buf + 20, 0);
	copy(buf + 24, data->data, n);
	return size;
}

static int read_reply_decode(const uint8_t *buf, size_t len)
{
	const uint8_t *f;
	uint32_t size = fetch(buf, len, 24, 24 + MAX_READ, &f);
	if (size == 0 || !header_is(f, ORD_READ, FLAG_REPLY) || ld32(f + 20) != 0 ||
	    ld32(f + 16) != size - 24)
		return -1;
	const uint8_t *data = f + 24;
	return size - 24 != BENCH_READ_DATA_BYTES || data[4095] != bench_read_data[4095];
}

/* open_request: header, flags u32, mode u32, path length u16, path, NUL. */

static struct open_request {
	uint32_t flags, mode;
	struct bytes path; /* without its NUL */
} open_in;

static void open_request_setup(void)
{
	open_in = (struct open_request){
	    BENCH_OPEN_FLAGS, BENCH_OPEN_MODE, {BENCH_OPEN_PATH, sizeof(BENCH_OPEN_PATH) - 1}};
}

static size_t open_request_encode(uint8_t *buf, size_t cap)
{
	const struct open_request *m = &open_in;
	size_t n = m->path.size, size = 26 + n + 1;
	if ((m->flags & ~OPEN_FLAGS) != 0 || n > MAX_PATH || cap < size ||
	    memchr(m->path.data, 0, n) != NULL)
		return 0;
	put_header(buf, (uint32_t)size, ORD_OPEN, FLAG_REQUEST);
	st32(buf + 16, m->flags);
	st32(buf + 20, m->mode);
	st16(buf + 24, (uint16_t)n);
	copy(buf + 26, m->path.data, n);
	buf[26 + n] = 0;
	return size;
}

static int open_request_decode(const uint8_t *buf, size_t len)
{
	const uint8_t *f;
	uint32_t size = fetch(buf, len, 27, 27 + MAX_PATH, &f);
	if (size == 0 || !request_header_is(f, ORD_OPEN))
		return -1;
	uint32_t flags = ld32(f + 16), mode = ld32(f + 20), n = ld16(f + 24);
	const char *path = (const char *)f + 26;
	if ((flags & ~OPEN_FLAGS) != 0 || n > MAX_PATH || size != 27 + n ||
	    !string_ok((const uint8_t *)path, n))
		return -1;
	return mode != BENCH_OPEN_MODE || path[0] != '/';
}

/*
 * readdir_reply_64: header, next_cookie u64, count u16, done u8, zero u8,
 * then each entry packed: inode u64, kind u8, name length u8, name, NUL.
 */

struct dir_entry {
	uint64_t inode;
	uint8_t kind;
	uint8_t length;
	const char *name;
};

static struct dir_entry entries[MAX_ENTRIES];

static struct readdir_reply {
	uint64_t next_cookie;
	uint32_t count;
	bool done;
	struct dir_entry *entries;
} readdir_in;
static struct dir_entry entries_in[BENCH_DIR_ENTRIES];

static void readdir_reply_setup(void)
{
	for (uint32_t i = 0; i < BENCH_DIR_ENTRIES; i++)
		entries_in[i] = (struct dir_entry){BENCH_DIR_INODE_BASE + i, BENCH_DIR_KIND,
		                                   BENCH_DIR_NAME_BYTES, bench_dir_names[i]};
	readdir_in = (struct readdir_reply){BENCH_DIR_NEXT_COOKIE, BENCH_DIR_ENTRIES,
	                                    BENCH_DIR_DONE, entries_in};
}

static size_t readdir_reply_encode(uint8_t *buf, size_t cap)
{
	const struct readdir_reply *m = &readdir_in;
	if (cap < 28 || m->count > MAX_ENTRIES)
		return 0;
	uint8_t *p = buf + 28, *end = buf + cap;
	for (uint32_t i = 0; i < m->count; i++) {
		const struct dir_entry *e = &m->entries[i];
		size_t n = e->length;
		if (e->kind < KIND_REGULAR || e->kind > KIND_LAST || n > MAX_NAME ||
		    (size_t)(end - p) < 10 + n + 1 || memchr(e->name, 0, n) != NULL)
			return 0;
		st64(p, e->inode);
		p[8] = e->kind;
		p[9] = (uint8_t)n;
		copy(p + 10, e->name, n);
		p[10 + n] = 0;
		p += 10 + n + 1;
	}
	uint32_t size = (uint32_t)(p - buf);
	put_header(buf, size, ORD_READDIR, FLAG_REPLY);
	st64(buf + 16, m->next_cookie);
	st16(buf + 24, (uint16_t)m->count);
	buf[26] = m->done;
	buf[27] = 0;
	return size;
}

static int readdir_reply_decode(const uint8_t *buf, size_t len)
{
	const uint8_t *f;
	uint32_t size = fetch(buf, len, 28, 28 + MAX_ENTRIES * (11 + MAX_NAME), &f);
	if (size == 0 || !header_is(f, ORD_READDIR, FLAG_REPLY))
		return -1;
	uint32_t count = ld16(f + 24);
	if (count > MAX_ENTRIES || f[26] > 1 || f[27] != 0)
		return -1;
	const uint8_t *p = f + 28, *end = f + size;
	for (uint32_t i = 0; i < count; i++) {
		if (end - p < 11)
			return -1;
		uint8_t kind = p[8], n = p[9];
		if (kind < KIND_REGULAR || kind > KIND_LAST || end - p < 11 + n ||
		    !string_ok(p + 10, n))
			return -1;
		entries[i] = (struct dir_entry){ld64(p), kind, n, (const char *)p + 10};
		p += 11 + n;
	}
	if (p != end)
		return -1; /* bytes left over */
	return count != BENCH_DIR_ENTRIES ||
	       entries[BENCH_DIR_ENTRIES - 1].inode != BENCH_DIR_INODE_BASE + BENCH_DIR_ENTRIES - 1;
}

/*
 * net_send_1500: header, socket u32, port u16, address tag u8, zero u8, the
 * address (16 bytes; IPv4 in the first 4, the rest zero), data length u32,
 * the data.
 */

static struct send_to_request {
	uint32_t socket;
	uint16_t port;
	uint8_t tag;         /* IP_V4 or IP_V6 */
	uint8_t address[16]; /* IPv4 in the first 4 */
	struct bytes data;
} send_in;

static void net_send_setup(void)
{
	send_in = (struct send_to_request){.socket = BENCH_NET_SOCKET,
	                                   .port = BENCH_NET_PORT,
	                                   .tag = IP_V4,
	                                   .data = {bench_net_data, BENCH_NET_DATA_BYTES}};
	memcpy(send_in.address, bench_net_ipv4, 4);
}

static size_t net_send_encode(uint8_t *buf, size_t cap)
{
	const struct send_to_request *m = &send_in;
	uint32_t n = m->data.size, size = 44 + n;
	if (n > MAX_DATAGRAM || cap < size || (m->tag != IP_V4 && m->tag != IP_V6))
		return 0;
	put_header(buf, size, ORD_SEND_TO, FLAG_REQUEST);
	st32(buf + 16, m->socket);
	st16(buf + 20, m->port);
	buf[22] = m->tag;
	buf[23] = 0;
	if (m->tag == IP_V4) {
		memset(buf + 24, 0, 16);
		memcpy(buf + 24, m->address, 4);
	} else {
		memcpy(buf + 24, m->address, 16);
	}
	st32(buf + 40, n);
	copy(buf + 44, m->data.data, n);
	return size;
}

static int net_send_decode(const uint8_t *buf, size_t len)
{
	const uint8_t *f;
	uint32_t size = fetch(buf, len, 44, 44 + MAX_DATAGRAM, &f);
	if (size == 0 || !request_header_is(f, ORD_SEND_TO) || f[23] != 0 ||
	    ld32(f + 40) != size - 44)
		return -1;
	uint8_t tag = f[22];
	/* IPv4: the 12 bytes after the address are zero. */
	if (tag == IP_V4) {
		if ((ld32(f + 28) | ld64(f + 32)) != 0)
			return -1;
	} else if (tag != IP_V6) {
		return -1;
	}
	return ld16(f + 20) != BENCH_NET_PORT || size - 44 != BENCH_NET_DATA_BYTES;
}

const struct bench_case bench_hand_cases[] = {
    {"hand", BENCH_MSG_READ_REQUEST, read_request_setup, read_request_encode, read_request_decode},
    {"hand", BENCH_MSG_READ_REPLY, read_reply_setup, read_reply_encode, read_reply_decode},
    {"hand", BENCH_MSG_OPEN_REQUEST, open_request_setup, open_request_encode, open_request_decode},
    {"hand", BENCH_MSG_READDIR_REPLY, readdir_reply_setup, readdir_reply_encode,
     readdir_reply_decode},
    {"hand", BENCH_MSG_NET_SEND, net_send_setup, net_send_encode, net_send_decode},
};
const size_t bench_hand_case_count = sizeof bench_hand_cases / sizeof bench_hand_cases[0];
