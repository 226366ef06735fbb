/*
 * bench_memcpy.c: the floor under every decoder that copies: a plain memcpy
 * of the idlc frame of each message, and nothing else.
 *
 * encode = copy the ready frame into the caller's buffer; decode = copy the
 * caller's bytes (standing for shared memory) into a private buffer. The copy
 * goes through a noinline function whose size is only known at run time, so
 * what is measured is the C library's memcpy, as idl_frame_copy calls it.
 *
 * After the copy, decode reads the copy's first word and its last byte, as
 * every codec's decode case reads a field and the last data byte it decoded
 * (data[4095] of the read reply). A read of the last byte waits for the
 * copy's last stores: 4-6 ns of a 4 KiB copy here. A floor that read only
 * the first word would leave that wait out of the floor and in every ratio.
 */
#include "bench_case.h"

#include <stdio.h>
#include <string.h>

#define FRAME_MAX 8192u

struct frame {
	const char *message;
	size_t bytes; /* the wire format's size, used without generated code */
	const uint8_t *data;
	size_t len;
};

static struct frame frames[] = {
    {BENCH_MSG_READ_REQUEST, BENCH_IDLC_READ_REQUEST_BYTES, NULL, 0},
    {BENCH_MSG_READ_REPLY, BENCH_IDLC_READ_REPLY_BYTES, NULL, 0},
    {BENCH_MSG_OPEN_REQUEST, BENCH_IDLC_OPEN_REQUEST_BYTES, NULL, 0},
    {BENCH_MSG_READDIR_REPLY, BENCH_IDLC_READDIR_REPLY_BYTES, NULL, 0},
    {BENCH_MSG_NET_SEND, BENCH_IDLC_NET_SEND_BYTES, NULL, 0},
};

/* Frames whose idlc encoding disagreed with bench_case.h: --check fails on them. */
static size_t size_mismatches;

/* Zero frames of the right sizes, with the header's size field set. */
static _Alignas(64) uint8_t stand_in[sizeof frames / sizeof frames[0]][FRAME_MAX];

static _Alignas(BENCH_PAGE_BYTES) uint8_t private_copy[FRAME_MAX];

__attribute__((noinline)) static void copy(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}

static void setup(struct frame *f)
{
	if (f->data != NULL)
		return;
#ifdef BENCH_WITH_IDLC
	f->data = bench_idlc_frame(f->message, &f->len);
	if (f->data != NULL) {
		if (f->len != f->bytes) {
			fprintf(stderr, "idlc's %s frame is %zu bytes; bench_case.h expects %zu\n",
			        f->message, f->len, f->bytes);
			size_mismatches++;
		}
		return;
	}
#endif
	size_t i = (size_t)(f - frames);
	uint32_t size = (uint32_t)f->bytes;
	memcpy(stand_in[i], &size, sizeof size);
	f->data = stand_in[i];
	f->len = f->bytes;
}

static size_t encode(const struct frame *f, uint8_t *buf, size_t cap)
{
	if (f->len > cap)
		return 0;
	copy(buf, f->data, f->len);
	return f->len;
}

static int decode(const uint8_t *buf, size_t len)
{
	uint32_t size;
	if (len > sizeof private_copy || len < sizeof size)
		return 1;
	copy(private_copy, buf, len);
	memcpy(&size, private_copy, sizeof size);
	return size != len || private_copy[len - 1] != buf[len - 1];
}

#define MEMCPY_CASE(index)                                                                         \
	static void setup_##index(void)                                                            \
	{                                                                                          \
		setup(&frames[index]);                                                             \
	}                                                                                          \
	static size_t encode_##index(uint8_t *buf, size_t cap)                                     \
	{                                                                                          \
		return encode(&frames[index], buf, cap);                                           \
	}

MEMCPY_CASE(0)
MEMCPY_CASE(1)
MEMCPY_CASE(2)
MEMCPY_CASE(3)
MEMCPY_CASE(4)

const struct bench_case bench_memcpy_cases[] = {
    {"memcpy", BENCH_MSG_READ_REQUEST, setup_0, encode_0, decode},
    {"memcpy", BENCH_MSG_READ_REPLY, setup_1, encode_1, decode},
    {"memcpy", BENCH_MSG_OPEN_REQUEST, setup_2, encode_2, decode},
    {"memcpy", BENCH_MSG_READDIR_REPLY, setup_3, encode_3, decode},
    {"memcpy", BENCH_MSG_NET_SEND, setup_4, encode_4, decode},
};
size_t bench_memcpy_size_mismatches(void)
{
	return size_mismatches;
}

const size_t bench_memcpy_case_count = sizeof bench_memcpy_cases / sizeof bench_memcpy_cases[0];
