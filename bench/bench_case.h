/*
 * bench_case.h: what every system under benchmark registers, and the fixed
 * content of the five messages they all carry.
 *
 * A case is one (system, message) pair. setup() builds the system's own
 * in-memory form of the message once; encode() turns it into bytes; decode()
 * turns bytes back into the system's in-memory form, the way a user of that
 * system would, and checks one field of the result so that nothing can be
 * optimised away. decode() returns 0 on success and nonzero on any failure.
 */
#ifndef BENCH_CASE_H
#define BENCH_CASE_H

#include <stddef.h>
#include <stdint.h>

struct bench_case {
	const char *system;
	const char *message;
	void (*setup)(void);
	size_t (*encode)(uint8_t *buf, size_t cap); /* bytes written; 0 on failure */
	int (*decode)(const uint8_t *buf, size_t len);
};

/*
 * Where decoders copy: every case reads its frame from the start of a page
 * and copies into a private buffer that starts a page, so that all copy
 * with the same placement. memcpy's time depends on where source and
 * destination fall against each other: 4 KiB took 29-30 ns or 45-47 ns
 * here as the source moved in steps of 256 bytes within its page.
 */
#define BENCH_PAGE_BYTES 4096u

/* The messages, in table order. */
#define BENCH_MSG_READ_REQUEST  "read_request"
#define BENCH_MSG_READ_REPLY    "read_reply_4k"
#define BENCH_MSG_OPEN_REQUEST  "open_request"
#define BENCH_MSG_READDIR_REPLY "readdir_reply_64"
#define BENCH_MSG_NET_SEND      "net_send_1500"

/* read_request */
#define BENCH_READ_FD     3u
#define BENCH_READ_OFFSET 8192u
#define BENCH_READ_COUNT  4096u

/* read_reply_4k */
#define BENCH_READ_DATA_BYTES 4096u

/* open_request */
#define BENCH_OPEN_PATH  "/usr/share/doc/idlc/examples/hello.txt"
#define BENCH_OPEN_FLAGS 1u
#define BENCH_OPEN_MODE  0644u

/* readdir_reply_64 */
#define BENCH_DIR_ENTRIES     64u
#define BENCH_DIR_INODE_BASE  1000u
#define BENCH_DIR_KIND        1u  /* regular file */
#define BENCH_DIR_NAME_BYTES  12u /* strlen("file-000.txt") */
#define BENCH_DIR_NEXT_COOKIE 64u
#define BENCH_DIR_DONE        0

/* net_send_1500 */
#define BENCH_NET_SOCKET     5u
#define BENCH_NET_PORT       5353u
#define BENCH_NET_DATA_BYTES 1500u

/* The shared content, filled by bench_content_init(). */
extern uint8_t bench_read_data[BENCH_READ_DATA_BYTES]; /* i * 7 & 0xff */
extern uint8_t bench_net_data[BENCH_NET_DATA_BYTES];   /* i * 7 & 0xff */
extern const uint8_t bench_net_ipv4[4];                /* 127.0.0.1 */
extern char bench_dir_names[BENCH_DIR_ENTRIES][16];    /* "file-%03d.txt" */

void bench_content_init(void);

/* Each system's cases; the harness concatenates the tables. */
extern const struct bench_case bench_memcpy_cases[];
extern const size_t bench_memcpy_case_count;
/* How many memcpy cases found idlc's frame a size other than the one below
 * (BENCH_IDLC_*_BYTES) when they were set up; --check fails on any. */
size_t bench_memcpy_size_mismatches(void);
/* The yardstick: a codec written by hand for the same contract (hand_cases.c). */
extern const struct bench_case bench_hand_cases[];
extern const size_t bench_hand_case_count;
extern const struct bench_case bench_protobuf_c_cases[];
extern const size_t bench_protobuf_c_case_count;
extern const struct bench_case bench_nanopb_cases[];
extern const size_t bench_nanopb_case_count;
extern const struct bench_case bench_xdr_cases[];
extern const size_t bench_xdr_case_count;
#ifdef BENCH_WITH_IDLC
extern const struct bench_case bench_idlc_cases[];
extern const size_t bench_idlc_case_count;

/*
 * The idlc frame of a message (encoded by the generated code), which the
 * memcpy cases copy. NULL for an unknown message.
 */
const uint8_t *bench_idlc_frame(const char *message, size_t *len);
#endif

/*
 * The sizes the idlc wire format gives these messages (docs/wire-format.md):
 * used by the memcpy cases when the generated code is not built in, and
 * cross-checked against the encoder when it is.
 */
#define BENCH_IDLC_READ_REQUEST_BYTES  32u
#define BENCH_IDLC_READ_REPLY_BYTES    4128u
#define BENCH_IDLC_OPEN_REQUEST_BYTES  80u
#define BENCH_IDLC_READDIR_REPLY_BYTES 1520u
#define BENCH_IDLC_NET_SEND_BYTES      1560u

#endif /* BENCH_CASE_H */
