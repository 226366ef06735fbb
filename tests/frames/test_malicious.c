/*
 * test_malicious.c: hand-crafted hostile frames, at least one for each rule
 * of the decoding contract, each expecting that rule's own error code. Each
 * frame starts as a valid encoding whose bytes are then patched at offsets
 * taken from the generated structs.
 */
#define _DEFAULT_SOURCE /* mmap flags, sysconf */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "console.h"
#include "fs.h"
#include "net.h"
#include "pci.h"
#include "sys.h"

#define WIRE_BYTES 40960u

static _Alignas(8) uint8_t g_wire[WIRE_BYTES];
static _Alignas(8) uint8_t g_priv[WIRE_BYTES];
static idl_typed_handle g_hout[IDL_MAX_HANDLES];
static uint32_t g_hcount;

#define HDR ((idl_frame_header *)g_wire)

/* Encodes a valid frame of type T into g_wire and returns its size. */
#define ENCODE(T, in, tx_)                                                                         \
	encode_checked(T##_encode((in), (tx_), g_wire, sizeof(g_wire), g_hout, &g_hcount))

static size_t encode_checked(int64_t n)
{
	assert_true(n >= (int64_t)IDL_FRAME_HEADER_BYTES);
	return (size_t)n;
}

/* Decodes g_wire (available bytes) with the handles encoded, expecting code. */
#define EXPECT(T, avail, code)                                                                     \
	do {                                                                                       \
		const T *out_ = NULL;                                                              \
		memset(g_priv, 0, sizeof(g_priv));                                                 \
		assert_int_equal(                                                                  \
		    T##_decode(g_wire, (avail), g_priv, sizeof(g_priv), g_hout, g_hcount, &out_),  \
		    (code));                                                                       \
		if ((code) != IDL_OK)                                                              \
			assert_null(out_);                                                         \
		else                                                                               \
			assert_ptr_equal(out_, g_priv);                                            \
	} while (0)

#define W(T) ((T *)g_wire)
/* The byte of g_wire at out-of-line offset `off` of a frame of T: offsets
 * count from the end of the inline part. */
#define AT(T, off) (g_wire + sizeof(T) + (off))

static char g_text[2048];

static idl_string text(uint32_t n)
{
	memset(g_text, 'p', n);
	g_text[n] = 0;
	return (idl_string){.size = n, .data = g_text};
}

/* Where an open request's path block starts: right after its inline part. */
#define OPEN_BLOCK ((uint32_t)sizeof(fs_file_open_request))

/* A valid fs open request with a path of n bytes: OPEN_BLOCK + align8(n + 1). */
static size_t open_frame(uint32_t n)
{
	fs_file_open_request in = {.flags = FS_OPEN_FLAGS_READ, .mode = 0600};
	in.path = text(n);
	return ENCODE(fs_file_open_request, &in, 5u);
}

static size_t close_frame(void)
{
	fs_file_close_request in = {.fd = 3};
	return ENCODE(fs_file_close_request, &in, 5u);
}

/* ------------------------------------------------------------ framing */

static void test_frame_short(void **state)
{
	(void)state;
	size_t n = close_frame();
	EXPECT(fs_file_close_request, n, IDL_OK);
	EXPECT(fs_file_close_request, 0, IDL_E_FRAME_SHORT);
	EXPECT(fs_file_close_request, IDL_FRAME_HEADER_BYTES - 1, IDL_E_FRAME_SHORT);
}

static void test_frame_size(void **state)
{
	(void)state;
	size_t n = close_frame();
	HDR->size = 8;
	EXPECT(fs_file_close_request, n, IDL_E_FRAME_SIZE);
	HDR->size = 0;
	EXPECT(fs_file_close_request, n, IDL_E_FRAME_SIZE);
	HDR->size = 15;
	EXPECT(fs_file_close_request, n, IDL_E_FRAME_SIZE);
	HDR->size = 20; /* not a multiple of 8 */
	EXPECT(fs_file_close_request, n, IDL_E_FRAME_SIZE);
	HDR->size = 25;
	EXPECT(fs_file_close_request, 32, IDL_E_FRAME_SIZE);
	/* A message with out-of-line data: a size the message could have but
	 * for its alignment is no frame at all, not a frame with trailing
	 * bytes. */
	n = open_frame(10);
	HDR->size = (uint32_t)n + 4;
	EXPECT(fs_file_open_request, n + 8, IDL_E_FRAME_SIZE);
}

static void test_frame_truncated(void **state)
{
	(void)state;
	size_t n = open_frame(10);
	EXPECT(fs_file_open_request, n - 8, IDL_E_FRAME_TRUNCATED);
	HDR->size = (uint32_t)n + 8;
	EXPECT(fs_file_open_request, n, IDL_E_FRAME_TRUNCATED);
	HDR->size = 0xfffffff8u;
	EXPECT(fs_file_open_request, n, IDL_E_FRAME_TRUNCATED);
}

static void test_frame_too_large(void **state)
{
	(void)state;
	close_frame();
	HDR->size = 32; /* the close request's maximum is 24 */
	EXPECT(fs_file_close_request, 32, IDL_E_FRAME_TOO_LARGE);
	open_frame(FS_MAX_PATH);
	HDR->size = FS_FILE_OPEN_REQUEST_MAX_BYTES + 8;
	EXPECT(fs_file_open_request, sizeof(g_wire), IDL_E_FRAME_TOO_LARGE);
	/* validate on its own checks the maximum too */
	memcpy(g_priv, g_wire, FS_FILE_OPEN_REQUEST_MAX_BYTES + 8);
	assert_int_equal(fs_file_open_request_validate(g_priv, FS_FILE_OPEN_REQUEST_MAX_BYTES + 8,
	                                               sizeof(g_priv), NULL, 0),
	                 IDL_E_FRAME_TOO_LARGE);
}

static void test_buffer(void **state)
{
	(void)state;
	size_t n = open_frame(3);
	const fs_file_open_request *out;
	assert_int_equal(fs_file_open_request_decode(
	                     g_wire, n, g_priv, FS_FILE_OPEN_REQUEST_MAX_BYTES - 8, NULL, 0, &out),
	                 IDL_E_BUFFER);
	assert_int_equal(
	    fs_file_open_request_decode(g_wire, n, g_priv + 4, sizeof(g_priv) - 8, NULL, 0, &out),
	    IDL_E_BUFFER);
	/* The shared frame may lie at any address: only the private buffer must
	 * be aligned (under UBSan, an aligned-type load of its size would stop
	 * here). A message with a string, and a fixed-size one. */
	static uint8_t odd[FS_FILE_OPEN_REQUEST_MAX_BYTES + 8];
	for (size_t shift = 1; shift < 8; shift++) {
		memcpy(odd + shift, g_wire, n);
		memset(g_priv, 0, sizeof(g_priv));
		assert_int_equal(fs_file_open_request_decode(odd + shift, n, g_priv, sizeof(g_priv),
		                                             NULL, 0, &out),
		                 IDL_OK);
		assert_int_equal(out->path.size, 3);
	}
	size_t c_n = close_frame();
	const fs_file_close_request *c_out;
	memcpy(odd + 3, g_wire, c_n);
	assert_int_equal(
	    fs_file_close_request_decode(odd + 3, c_n, g_priv, sizeof(g_priv), NULL, 0, &c_out),
	    IDL_OK);
	/* ... but a fixed-size message's inline decoder refuses a private
	 * buffer that is not 8-aligned, as any decoder does */
	assert_int_equal(fs_file_close_request_decode(odd + 3, c_n, g_priv + 4, sizeof(g_priv) - 8,
	                                              NULL, 0, &c_out),
	                 IDL_E_BUFFER);
	n = open_frame(3);
	/* idl_frame_copy itself */
	assert_int_equal(idl_frame_copy(g_wire, n, g_priv + 1, sizeof(g_priv) - 8, n),
	                 IDL_E_BUFFER);
	assert_int_equal(idl_frame_copy(g_wire, n, g_priv, n - 8, n), IDL_E_FRAME_TOO_LARGE);
	assert_int_equal(idl_frame_copy(g_wire, n, g_priv, n, n), (int64_t)n);
	/* encoders: misaligned or too small output */
	fs_file_close_request c = {.fd = 1};
	assert_int_equal(fs_file_close_request_encode(&c, 1, g_wire + 4, 64, NULL, NULL),
	                 IDL_E_BUFFER);
	assert_int_equal(fs_file_close_request_encode(&c, 1, g_wire, 23, NULL, NULL), IDL_E_BUFFER);
	/* encoders: a transaction id the peer's decoder would refuse */
	assert_int_equal(fs_file_close_request_encode(&c, 0, g_wire, 64, NULL, NULL),
	                 IDL_E_INVALID_ARGUMENT); /* two-way: not 0 */
	fs_file_advise_request a = {.fd = 1, .advice = FS_ADVICE_NORMAL};
	assert_int_equal(fs_file_advise_request_encode(&a, 7, g_wire, 64, NULL, NULL),
	                 IDL_E_INVALID_ARGUMENT); /* one-way: 0 */
	assert_true(fs_file_advise_request_encode(&a, 0, g_wire, 64, NULL, NULL) > 0);
	fs_file_changed_event ev = {.fd = 1};
	assert_int_equal(fs_file_changed_event_encode(&ev, 3, g_wire, 64, NULL, NULL),
	                 IDL_E_INVALID_ARGUMENT); /* events: 0 */
	fs_file_close_reply cr;
	memset(&cr, 0, sizeof(cr));
	assert_true(fs_file_close_reply_encode(&cr, 0, g_wire, 64, NULL, NULL) > 0); /* any */
	fs_file_open_request o = {0};
	o.path = text(100);
	assert_int_equal(fs_file_open_request_encode(&o, 1, g_wire, OPEN_BLOCK + 64, NULL, NULL),
	                 IDL_E_BUFFER);
}

/* validate: the copied frame's size field differs from the size copied. */
static void test_frame_changed(void **state)
{
	(void)state;
	size_t n = open_frame(10);
	memcpy(g_priv, g_wire, n);
	((idl_frame_header *)g_priv)->size = (uint32_t)n + 8;
	assert_int_equal(fs_file_open_request_validate(g_priv, n, sizeof(g_priv), NULL, 0),
	                 IDL_E_FRAME_SIZE);
	close_frame();
	memcpy(g_priv, g_wire, 24);
	((idl_frame_header *)g_priv)->size = 16;
	assert_int_equal(fs_file_close_request_validate(g_priv, 24, sizeof(g_priv), NULL, 0),
	                 IDL_E_FRAME_SIZE);
	/* a size field that is the bytes given, but not a multiple of 8 */
	memcpy(g_priv, g_wire, 24);
	memset(g_priv + 24, 0, 4);
	((idl_frame_header *)g_priv)->size = 28;
	assert_int_equal(fs_file_close_request_validate(g_priv, 28, sizeof(g_priv), NULL, 0),
	                 IDL_E_FRAME_SIZE);
}

/* ------------------------------------------------------------- header */

static void test_ordinal(void **state)
{
	(void)state;
	size_t n = close_frame();
	HDR->ordinal = FS_FILE_OPEN_ORDINAL;
	EXPECT(fs_file_close_request, n, IDL_E_ORDINAL);
	HDR->ordinal = 0;
	EXPECT(fs_file_close_request, n, IDL_E_ORDINAL);
	/* the dispatcher: an ordinal that names no method */
	memcpy(g_priv, g_wire, n);
	((idl_frame_header *)g_priv)->ordinal = 0x7fffffff;
	static const fs_file_handlers none = {0};
	assert_int_equal(fs_file_dispatch(&none, NULL, g_priv, n, NULL, 0), IDL_E_ORDINAL);
	assert_int_equal(fs_file_dispatch(&none, NULL, g_priv, 8, NULL, 0), IDL_E_FRAME_SHORT);
	/* an event ordinal is no request */
	((idl_frame_header *)g_priv)->ordinal = FS_FILE_CHANGED_ORDINAL;
	assert_int_equal(fs_file_dispatch(&none, NULL, g_priv, n, NULL, 0), IDL_E_ORDINAL);
}

static void test_flags(void **state)
{
	(void)state;
	static const uint16_t bad[] = {0,
	                               IDL_FLAG_REPLY,
	                               IDL_FLAG_EVENT,
	                               IDL_FLAG_REQUEST | IDL_FLAG_ERROR,
	                               IDL_FLAG_REQUEST | IDL_FLAG_REPLY,
	                               IDL_FLAG_REQUEST | 0x10,
	                               IDL_FLAG_REQUEST | 0x80};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = close_frame();
		HDR->flags = bad[i];
		EXPECT(fs_file_close_request, n, IDL_E_FLAGS);
	}
	fs_file_open_reply r = {.fd = 1};
	size_t n = ENCODE(fs_file_open_reply, &r, 5u);
	HDR->flags = IDL_FLAG_REPLY | IDL_FLAG_ERROR; /* an error flag on a normal reply */
	EXPECT(fs_file_open_reply, n, IDL_E_FLAGS);
	HDR->flags = IDL_FLAG_REQUEST;
	EXPECT(fs_file_open_reply, n, IDL_E_FLAGS);
	HDR->flags = IDL_FLAG_REPLY | 0x80;
	EXPECT(fs_file_open_reply, n, IDL_E_FLAGS);
	fs_file_changed_event ev = {.fd = 1};
	n = ENCODE(fs_file_changed_event, &ev, 0u);
	HDR->flags = IDL_FLAG_REPLY;
	EXPECT(fs_file_changed_event, n, IDL_E_FLAGS);
	HDR->flags = IDL_FLAG_EVENT | 0x20;
	EXPECT(fs_file_changed_event, n, IDL_E_FLAGS);
}

static void test_txid(void **state)
{
	(void)state;
	size_t n = close_frame();
	HDR->txid = 0; /* two-way request */
	EXPECT(fs_file_close_request, n, IDL_E_TXID);
	fs_file_advise_request a = {.fd = 1};
	n = ENCODE(fs_file_advise_request, &a, 0u);
	EXPECT(fs_file_advise_request, n, IDL_OK);
	HDR->txid = 1; /* one-way */
	EXPECT(fs_file_advise_request, n, IDL_E_TXID);
	console_console_print_request p = {0};
	n = ENCODE(console_console_print_request, &p, 0u);
	HDR->txid = 1u << 31;
	EXPECT(console_console_print_request, n, IDL_E_TXID);
	fs_file_changed_event ev = {.fd = 1};
	n = ENCODE(fs_file_changed_event, &ev, 0u);
	HDR->txid = 7; /* event */
	EXPECT(fs_file_changed_event, n, IDL_E_TXID);
	sys_services_published_event pe = {0};
	pe.name = text(3);
	n = ENCODE(sys_services_published_event, &pe, 0u);
	HDR->txid = 9;
	EXPECT(sys_services_published_event, n, IDL_E_TXID);
}

/* The header's inline size: a multiple of 8, at least the header, within
 * the frame, and, below the receiver's own, one of its earlier versions'. */
static void test_header_inline_size(void **state)
{
	(void)state;
	size_t n = close_frame();
	HDR->inline_size = 1;
	EXPECT(fs_file_close_request, n, IDL_E_INLINE_SIZE);
	HDR->inline_size = 36;
	EXPECT(fs_file_close_request, n, IDL_E_INLINE_SIZE);
	HDR->inline_size = 8;
	EXPECT(fs_file_close_request, n, IDL_E_INLINE_SIZE);
	HDR->inline_size = 16; /* close has no earlier version without its fd */
	EXPECT(fs_file_close_request, n, IDL_E_INLINE_SIZE);
	n = open_frame(4);
	HDR->inline_size = 0xfff8u; /* beyond the frame */
	EXPECT(fs_file_open_request, n, IDL_E_MESSAGE_SHORT);
	HDR->inline_size = 32;
	EXPECT(fs_file_open_request, n, IDL_E_INLINE_SIZE);
}

static void test_handle_count(void **state)
{
	(void)state;
	size_t n = close_frame();
	HDR->handle_count = 1; /* a message without handles */
	EXPECT(fs_file_close_request, n, IDL_E_HANDLE_COUNT);
	HDR->handle_count = 0;
	const fs_file_close_request *out;
	idl_typed_handle h[1] = {{5, IDL_KIND_SHM}};
	assert_int_equal(
	    fs_file_close_request_decode(g_wire, n, g_priv, sizeof(g_priv), h, 1, &out),
	    IDL_E_HANDLE_COUNT);
	/* The same through a buffer that holds something else: the decoder
	 * copies the frame before it looks, whatever way it takes. */
	n = open_frame(9);
	const fs_file_open_request *opened;
	memset(g_priv, 0xaa, sizeof(g_priv));
	assert_int_equal(
	    fs_file_open_request_decode(g_wire, n, g_priv, sizeof(g_priv), h, 1, &opened),
	    IDL_E_HANDLE_COUNT);
	n = close_frame();
	memset(g_priv, 0xaa, sizeof(g_priv));
	assert_int_equal(
	    fs_file_close_request_decode(g_wire, n, g_priv, sizeof(g_priv), h, 1, &out),
	    IDL_E_HANDLE_COUNT);

	fs_file_read_shared_request rs = {.fd = 1, .buffer = 9};
	n = ENCODE(fs_file_read_shared_request, &rs, 5u);
	EXPECT(fs_file_read_shared_request, n, IDL_OK);
	const fs_file_read_shared_request *o2;
	/* header says 1, none received */
	assert_int_equal(
	    fs_file_read_shared_request_decode(g_wire, n, g_priv, sizeof(g_priv), h, 0, &o2),
	    IDL_E_HANDLE_COUNT);
	/* header says 1, two received */
	idl_typed_handle h2[2] = {{5, IDL_KIND_SHM}, {6, IDL_KIND_SHM}};
	assert_int_equal(
	    fs_file_read_shared_request_decode(g_wire, n, g_priv, sizeof(g_priv), h2, 2, &o2),
	    IDL_E_HANDLE_COUNT);
	/* header says 2, two received, one used */
	HDR->handle_count = 2;
	assert_int_equal(
	    fs_file_read_shared_request_decode(g_wire, n, g_priv, sizeof(g_priv), h2, 2, &o2),
	    IDL_E_HANDLE_COUNT);
	/* header says 0, none received, one used */
	HDR->handle_count = 0;
	int err = fs_file_read_shared_request_decode(g_wire, n, g_priv, sizeof(g_priv), h, 0, &o2);
	assert_true(err == IDL_E_HANDLE_COUNT || err == IDL_E_HANDLE_INDEX);
}

/* -------------------------------------------------------- inline part */

static void test_message_short(void **state)
{
	(void)state;
	size_t n = close_frame();
	HDR->size = 16;
	EXPECT(fs_file_close_request, n, IDL_E_MESSAGE_SHORT);
	n = open_frame(0);
	HDR->size = 32; /* the inline part alone is 40 */
	EXPECT(fs_file_open_request, n, IDL_E_MESSAGE_SHORT);
	pci_bus_claim_reply r;
	memset(&r, 0, sizeof(r));
	r.dma = 1;
	n = ENCODE(pci_bus_claim_reply, &r, 5u);
	HDR->size = (uint32_t)n - 8;
	EXPECT(pci_bus_claim_reply, n, IDL_E_MESSAGE_SHORT);
	/* error replies */
	assert_int_equal(fs_file_open_error_encode(3, SYS_ERRNO_IO, g_wire, 64), 24);
	HDR->size = 16;
	assert_int_equal(fs_file_open_error_validate(g_wire, 16, &(sys_errno){0}),
	                 IDL_E_MESSAGE_SHORT);
}

static void test_trailing(void **state)
{
	(void)state;
	/* a fixed message: validate, since decode stops at the maximum first */
	size_t n = close_frame();
	HDR->size = (uint32_t)n + 8;
	memcpy(g_priv, g_wire, n + 8);
	memset(g_priv + n, 0, 8);
	assert_int_equal(fs_file_close_request_validate(g_priv, n + 8, sizeof(g_priv), NULL, 0),
	                 IDL_E_TRAILING);
	/* eight zero bytes after the last out-of-line block */
	n = open_frame(3);
	memset(g_wire + n, 0, 8);
	HDR->size = (uint32_t)n + 8;
	EXPECT(fs_file_open_request, n + 8, IDL_E_TRAILING);
	/* after an empty bytes field: no block at all */
	fs_file_read_reply rr = {0};
	n = ENCODE(fs_file_read_reply, &rr, 5u);
	memset(g_wire + n, 0, 16);
	HDR->size = (uint32_t)n + 16;
	EXPECT(fs_file_read_reply, n + 16, IDL_E_TRAILING);
	/* error reply with a longer body */
	assert_int_equal(fs_file_open_error_encode(3, SYS_ERRNO_IO, g_wire, 64), 24);
	memset(g_wire + 24, 0, 8);
	HDR->size = 32;
	assert_int_equal(fs_file_open_error_validate(g_wire, 32, &(sys_errno){0}), IDL_E_TRAILING);
}

/* ------------------------------------------------------- out-of-line */

static void test_alignment(void **state)
{
	(void)state;
	size_t n = open_frame(10);
	W(fs_file_open_request)->path.offset = 4;
	EXPECT(fs_file_open_request, n, IDL_E_ALIGNMENT);
	W(fs_file_open_request)->path.offset = 1;
	EXPECT(fs_file_open_request, n, IDL_E_ALIGNMENT);
	fs_file_read_reply rr = {0};
	rr.data = (idl_bytes){.size = 5, .data = (const uint8_t *)"hello"};
	n = ENCODE(fs_file_read_reply, &rr, 5u);
	W(fs_file_read_reply)->data.offset += 4;
	EXPECT(fs_file_read_reply, n, IDL_E_ALIGNMENT);
}

static void test_offset(void **state)
{
	(void)state;
	size_t n = open_frame(10);
	W(fs_file_open_request)->path.offset = 8; /* past the cursor (0) */
	EXPECT(fs_file_open_request, n, IDL_E_OFFSET);
	W(fs_file_open_request)->path.offset = OPEN_BLOCK; /* counted from the frame's start */
	EXPECT(fs_file_open_request, n, IDL_E_OFFSET);
	W(fs_file_open_request)->path.offset = (uint64_t)-24; /* back onto the inline part */
	EXPECT(fs_file_open_request, n, IDL_E_OFFSET);
	W(fs_file_open_request)->path.offset = 0xfffffffffffffff8ull;
	EXPECT(fs_file_open_request, n, IDL_E_OFFSET);

	/* two strings sharing one block: overlap */
	fs_file_rename_request r = {0};
	r.from = IDL_STRING_LITERAL("abc");
	r.to = IDL_STRING_LITERAL("abc");
	n = ENCODE(fs_file_rename_request, &r, 5u);
	EXPECT(fs_file_rename_request, n, IDL_OK);
	W(fs_file_rename_request)->to.offset = W(fs_file_rename_request)->from.offset;
	HDR->size = (uint32_t)n - 8;
	EXPECT(fs_file_rename_request, n - 8, IDL_E_OFFSET);
	/* blocks swapped: out of order */
	n = ENCODE(fs_file_rename_request, &r, 5u);
	uint64_t a = W(fs_file_rename_request)->from.offset;
	W(fs_file_rename_request)->from.offset = W(fs_file_rename_request)->to.offset;
	W(fs_file_rename_request)->to.offset = a;
	EXPECT(fs_file_rename_request, n, IDL_E_OFFSET);

	/* an empty bytes field with a nonzero offset */
	fs_file_read_reply rr = {0};
	n = ENCODE(fs_file_read_reply, &rr, 5u);
	W(fs_file_read_reply)->data.offset = 8;
	EXPECT(fs_file_read_reply, n, IDL_E_OFFSET);
	/* an empty vector with a nonzero offset */
	net_config_list_interfaces_reply li = {0};
	n = ENCODE(net_config_list_interfaces_reply, &li, 5u);
	W(net_config_list_interfaces_reply)->interfaces.offset = 8;
	EXPECT(net_config_list_interfaces_reply, n, IDL_E_OFFSET);
	/* empty packed records with a nonzero offset */
	fs_file_readdir_reply rd = {0};
	n = ENCODE(fs_file_readdir_reply, &rd, 5u);
	W(fs_file_readdir_reply)->entries.offset = 8;
	EXPECT(fs_file_readdir_reply, n, IDL_E_OFFSET);
}

static fs_dir_entry g_entries[FS_READDIR_BATCH];

/* A directory entry's record: inode, kind, the name's length (one byte),
 * the name and its NUL. */
#define RECORD_BYTES(name_len) (8u + 1u + 1u + (name_len) + 1u)

/* Record i of a readdir frame whose names are all name_len bytes. */
static uint8_t *readdir_record(uint32_t i, uint32_t name_len)
{
	return AT(fs_file_readdir_reply, W(fs_file_readdir_reply)->entries.offset) +
	       i * RECORD_BYTES(name_len);
}

static size_t readdir_frame(uint32_t count, uint32_t name_len)
{
	static char name[FS_MAX_NAME + 1];
	memset(name, 'n', name_len);
	name[name_len] = 0;
	for (uint32_t i = 0; i < count; i++)
		g_entries[i] = (fs_dir_entry){.inode = i,
		                              .kind = FS_FILE_KIND_REGULAR,
		                              .name = {.size = name_len, .data = name}};
	fs_file_readdir_reply r = {.next_cookie = 1};
	r.entries.count = count;
	r.entries.items = g_entries;
	return ENCODE(fs_file_readdir_reply, &r, 5u);
}

/* A list_interfaces reply of one interface whose name is 2 bytes: the
 * frames' vector of structs with strings and vectors inside, now that
 * readdir's entries are packed records. */
static net_interface_info g_interface;

static size_t interfaces_frame(void)
{
	memset(&g_interface, 0, sizeof(g_interface));
	g_interface.index = 1;
	g_interface.name = text(2);
	net_config_list_interfaces_reply li = {0};
	li.interfaces.count = 1;
	li.interfaces.items = &g_interface;
	return ENCODE(net_config_list_interfaces_reply, &li, 5u);
}

/* The interface of such a frame, as the wire has it. */
static net_interface_info *wire_interface(void)
{
	return (net_interface_info *)AT(net_config_list_interfaces_reply,
	                                W(net_config_list_interfaces_reply)->interfaces.offset);
}

static void test_count(void **state)
{
	(void)state;
	size_t n = open_frame(FS_MAX_PATH);
	W(fs_file_open_request)->path.size = FS_MAX_PATH + 1;
	EXPECT(fs_file_open_request, n, IDL_E_COUNT);
	W(fs_file_open_request)->path.size = 0xffffffffu;
	EXPECT(fs_file_open_request, n, IDL_E_COUNT);
	n = readdir_frame(2, 3);
	W(fs_file_readdir_reply)->entries.count = FS_READDIR_BATCH + 1;
	EXPECT(fs_file_readdir_reply, n, IDL_E_COUNT);
	W(fs_file_readdir_reply)->entries.count = 0xffffffffu;
	EXPECT(fs_file_readdir_reply, n, IDL_E_COUNT);
	fs_file_write_request w = {.fd = 1};
	n = ENCODE(fs_file_write_request, &w, 5u);
	W(fs_file_write_request)->data.size = FS_MAX_INLINE_IO + 1;
	W(fs_file_write_request)->data.offset = 0;
	EXPECT(fs_file_write_request, n, IDL_E_COUNT);
	/* a nested vector: an interface's addresses */
	n = interfaces_frame();
	EXPECT(net_config_list_interfaces_reply, n, IDL_OK);
	wire_interface()->addresses.count = NET_MAX_ADDRESSES + 1;
	EXPECT(net_config_list_interfaces_reply, n, IDL_E_COUNT);
}

static void test_out_of_frame(void **state)
{
	(void)state;
	/* a string that claims more bytes than the frame holds */
	size_t n = open_frame(10);
	W(fs_file_open_request)->path.size = 100;
	EXPECT(fs_file_open_request, n, IDL_E_OUT_OF_FRAME);
	W(fs_file_open_request)->path.size = FS_MAX_PATH;
	EXPECT(fs_file_open_request, n, IDL_E_OUT_OF_FRAME);
	/* a vector block past the end, largest count within the bound */
	n = interfaces_frame();
	W(net_config_list_interfaces_reply)->interfaces.count = NET_MAX_INTERFACES;
	EXPECT(net_config_list_interfaces_reply, n, IDL_E_OUT_OF_FRAME);
	/* packed records' bytes past the end, within what the bound allows */
	n = readdir_frame(1, 0);
	W(fs_file_readdir_reply)->entries.bytes = 1000;
	EXPECT(fs_file_readdir_reply, n, IDL_E_OUT_OF_FRAME);
	/* bytes: a full-size count in a tiny frame */
	fs_file_read_reply rr = {0};
	rr.data = (idl_bytes){.size = 1, .data = (const uint8_t *)"x"};
	n = ENCODE(fs_file_read_reply, &rr, 5u);
	W(fs_file_read_reply)->data.size = FS_MAX_INLINE_IO;
	EXPECT(fs_file_read_reply, n, IDL_E_OUT_OF_FRAME);
	/* validate given a size that is not a multiple of 8, in a buffer of
	 * exactly that size (for ASan to see past it), the size field the
	 * same: refused at the header (wire-format.md, step 2), before a bytes
	 * block whose padding to 8 would run past the frame is read. */
	rr.data = (idl_bytes){.size = 3, .data = (const uint8_t *)"xyz"};
	n = ENCODE(fs_file_read_reply, &rr, 5u) - 4;
	uint8_t *exact = test_malloc(n);
	memcpy(exact, g_wire, n);
	((idl_frame_header *)exact)->size = (uint32_t)n;
	int err = fs_file_read_reply_validate(exact, n, n, NULL, 0);
	assert_int_equal(err, IDL_E_FRAME_SIZE);
	test_free(exact);
	/* a string ending exactly at the frame end, its padding missing: the
	 * block fits but its padding to 8 would not */
	n = open_frame(3); /* block 4 bytes + 4 padding */
	HDR->size = (uint32_t)n - 8;
	W(fs_file_open_request)->path.size = 0;
	EXPECT(fs_file_open_request, n - 8, IDL_E_OUT_OF_FRAME);
	/* nested string of a vector element past the end */
	n = interfaces_frame();
	wire_interface()->name.size = 15;
	EXPECT(net_config_list_interfaces_reply, n, IDL_E_OUT_OF_FRAME);
}

/*
 * Packed records must end exactly at their byte count: a record that runs
 * past it, bytes left after the last, a byte count beyond what the bound
 * allows, or bytes without records are IDL_E_RECORDS.
 */
static void test_records(void **state)
{
	(void)state;
	size_t n = readdir_frame(2, 7);
	EXPECT(fs_file_readdir_reply, n, IDL_OK);
	readdir_record(1, 7)[9] = 200; /* the second name runs past the records */
	EXPECT(fs_file_readdir_reply, n, IDL_E_RECORDS);
	n = readdir_frame(2, 7);
	readdir_record(1, 7)[9] = 6; /* ...or stops short: its NUL is not where it ends */
	EXPECT(fs_file_readdir_reply, n, IDL_E_STRING);
	n = readdir_frame(2, 7);
	W(fs_file_readdir_reply)->entries.count = 3; /* a third record is not there */
	EXPECT(fs_file_readdir_reply, n, IDL_E_RECORDS);
	n = readdir_frame(2, 7);
	W(fs_file_readdir_reply)->entries.count = 1; /* the second is left over */
	EXPECT(fs_file_readdir_reply, n, IDL_E_RECORDS);
	n = readdir_frame(2, 7);
	W(fs_file_readdir_reply)->entries.bytes -= 1; /* the last NUL becomes padding */
	EXPECT(fs_file_readdir_reply, n, IDL_E_RECORDS);
	n = readdir_frame(2, 7);
	W(fs_file_readdir_reply)->entries.bytes += 1; /* a padding byte joins the records */
	EXPECT(fs_file_readdir_reply, n, IDL_E_RECORDS);
	n = readdir_frame(2, 7);
	W(fs_file_readdir_reply)->entries.bytes = 0x80000000u;
	EXPECT(fs_file_readdir_reply, n, IDL_E_RECORDS);
	fs_file_readdir_reply rd = {0};
	n = ENCODE(fs_file_readdir_reply, &rd, 5u);
	W(fs_file_readdir_reply)->entries.bytes = 8; /* bytes without records */
	EXPECT(fs_file_readdir_reply, n, IDL_E_RECORDS);
	/* a record cut short of its fixed part */
	n = readdir_frame(1, 0);
	W(fs_file_readdir_reply)->entries.bytes = 9;
	EXPECT(fs_file_readdir_reply, n, IDL_E_RECORDS);
	/* a name whose NUL would be the byte after the records, which end the
	 * frame: never read (the buffer's byte there says it is no NUL) */
	n = readdir_frame(1, 5); /* one record of 16 bytes */
	readdir_record(0, 5)[9] = 6;
	readdir_record(0, 5)[15] = 'n';
	memcpy(g_priv, g_wire, n);
	g_priv[n] = 0xff;
	assert_int_equal(fs_file_readdir_reply_validate(g_priv, n, sizeof(g_priv), NULL, 0),
	                 IDL_E_RECORDS);
}

static void test_string(void **state)
{
	(void)state;
	size_t n = open_frame(5);     /* block: 5 bytes, NUL, padding */
	g_wire[OPEN_BLOCK + 5] = 'x'; /* no terminator */
	EXPECT(fs_file_open_request, n, IDL_E_STRING);
	n = open_frame(5);
	g_wire[OPEN_BLOCK + 2] = 0; /* NUL inside */
	EXPECT(fs_file_open_request, n, IDL_E_STRING);
	n = open_frame(8); /* 9-byte block, 7 bytes padding */
	g_wire[OPEN_BLOCK + 8] = 'x';
	EXPECT(fs_file_open_request, n, IDL_E_STRING);
	n = open_frame(0);
	g_wire[OPEN_BLOCK] = 'x';
	EXPECT(fs_file_open_request, n, IDL_E_STRING);
	n = readdir_frame(2, 4);
	readdir_record(1, 4)[10 + 4] = '!'; /* the second name's NUL */
	EXPECT(fs_file_readdir_reply, n, IDL_E_STRING);
	n = readdir_frame(2, 4);
	readdir_record(0, 4)[10 + 1] = 0; /* a NUL inside the first */
	EXPECT(fs_file_readdir_reply, n, IDL_E_STRING);
}

/*
 * Every string length across the 16-byte pieces and the 8-byte tail the
 * string check reads at once (idl_string_block_is), with every byte of the
 * block broken in turn: a NUL in the text, no terminator, a nonzero
 * padding byte. The verdict is compared with the rule read byte by byte.
 * This file is built twice, with and without the SSE2 check.
 */
static void test_string_every_byte(void **state)
{
	(void)state;
	for (uint32_t n = 0; n <= 70; n++) {
		uint32_t padded = (n + 1 + 7) & ~7u;
		size_t size = open_frame(n);
		assert_int_equal(size, OPEN_BLOCK + padded);
		EXPECT(fs_file_open_request, size, IDL_OK);
		for (uint32_t i = 0; i < padded; i++) {
			uint8_t *b = g_wire + OPEN_BLOCK + i;
			uint8_t was = *b;
			*b = i < n ? 0 : 'x';
			EXPECT(fs_file_open_request, size, i <= n ? IDL_E_STRING : IDL_E_PADDING);
			*b = was;
		}
		/* The encoder refuses a NUL anywhere in the text. */
		for (uint32_t i = 0; i < n; i++) {
			fs_file_open_request in = {.flags = FS_OPEN_FLAGS_READ, .mode = 0600};
			in.path = text(n);
			g_text[i] = 0;
			assert_int_equal(fs_file_open_request_encode(
			                     &in, 5u, g_wire, sizeof(g_wire), g_hout, &g_hcount),
			                 IDL_E_INVALID_ARGUMENT);
		}
	}
}

static void test_slot_reserved(void **state)
{
	(void)state;
	size_t n = open_frame(5);
	W(fs_file_open_request)->path.reserved = 1;
	EXPECT(fs_file_open_request, n, IDL_E_RESERVED);
	fs_file_read_reply rr = {0};
	n = ENCODE(fs_file_read_reply, &rr, 5u);
	W(fs_file_read_reply)->data.reserved = 0x100;
	EXPECT(fs_file_read_reply, n, IDL_E_RESERVED);
	n = interfaces_frame();
	W(net_config_list_interfaces_reply)->interfaces.reserved = 0x80000000u;
	EXPECT(net_config_list_interfaces_reply, n, IDL_E_RESERVED);
	n = interfaces_frame();
	wire_interface()->name.reserved = 2;
	EXPECT(net_config_list_interfaces_reply, n, IDL_E_RESERVED);
}

/* ------------------------------------------------------------- values */

static void test_enum(void **state)
{
	(void)state;
	fs_file_stat_reply st;
	memset(&st, 0, sizeof(st));
	st.st.kind = FS_FILE_KIND_FIFO;
	size_t n = ENCODE(fs_file_stat_reply, &st, 5u);
	W(fs_file_stat_reply)->st.kind = 0;
	EXPECT(fs_file_stat_reply, n, IDL_E_ENUM);
	W(fs_file_stat_reply)->st.kind = 8;
	EXPECT(fs_file_stat_reply, n, IDL_E_ENUM);
	W(fs_file_stat_reply)->st.kind = 0xff;
	EXPECT(fs_file_stat_reply, n, IDL_E_ENUM);
	n = readdir_frame(3, 1);
	readdir_record(2, 1)[8] = 9; /* the third record's kind */
	EXPECT(fs_file_readdir_reply, n, IDL_E_ENUM);
	fs_file_advise_request a = {.fd = 1};
	n = ENCODE(fs_file_advise_request, &a, 0u);
	W(fs_file_advise_request)->advice = 5;
	EXPECT(fs_file_advise_request, n, IDL_E_ENUM);
	pci_bus_config_read_request cr;
	memset(&cr, 0, sizeof(cr));
	cr.width = PCI_WIDTH_BYTE;
	n = ENCODE(pci_bus_config_read_request, &cr, 5u);
	W(pci_bus_config_read_request)->width = 3;
	EXPECT(pci_bus_config_read_request, n, IDL_E_ENUM);
	/* an enum in an array of structs */
	pci_bus_device_added_event da;
	memset(&da, 0, sizeof(da));
	n = ENCODE(pci_bus_device_added_event, &da, 0u);
	W(pci_bus_device_added_event)->info.bars[5].kind = 3;
	EXPECT(pci_bus_device_added_event, n, IDL_E_ENUM);
	/* error replies: an undeclared error value */
	assert_int_equal(fs_file_open_error_encode(3, SYS_ERRNO_IO, g_wire, 64),
	                 IDL_ERROR_FRAME_BYTES);
	uint32_t v = 0;
	memcpy(g_wire + IDL_FRAME_HEADER_BYTES, &v, 4);
	sys_errno got = 0;
	assert_int_equal(fs_file_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &got),
	                 IDL_E_ENUM);
	v = 23;
	memcpy(g_wire + IDL_FRAME_HEADER_BYTES, &v, 4);
	assert_int_equal(fs_file_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &got),
	                 IDL_E_ENUM);
}

static void test_bits(void **state)
{
	(void)state;
	size_t n = open_frame(1);
	W(fs_file_open_request)->flags = 0x80;
	EXPECT(fs_file_open_request, n, IDL_E_BITS);
	W(fs_file_open_request)->flags = 0x80000000u;
	EXPECT(fs_file_open_request, n, IDL_E_BITS);
	pci_bus_set_command_request sc;
	memset(&sc, 0, sizeof(sc));
	n = ENCODE(pci_bus_set_command_request, &sc, 5u);
	W(pci_bus_set_command_request)->disable = 0x8;
	EXPECT(pci_bus_set_command_request, n, IDL_E_BITS);
	pci_bus_device_added_event da;
	memset(&da, 0, sizeof(da));
	n = ENCODE(pci_bus_device_added_event, &da, 0u);
	W(pci_bus_device_added_event)->info.bars[0].flags = 4;
	EXPECT(pci_bus_device_added_event, n, IDL_E_BITS);
	net_socket_shutdown_request sh = {.how = 1};
	n = ENCODE(net_socket_shutdown_request, &sh, 5u);
	W(net_socket_shutdown_request)->how = 0x4;
	EXPECT(net_socket_shutdown_request, n, IDL_E_BITS);
}

static void test_bool(void **state)
{
	(void)state;
	size_t n = readdir_frame(0, 0);
	g_wire[offsetof(fs_file_readdir_reply, done)] = 2;
	EXPECT(fs_file_readdir_reply, n, IDL_E_BOOL);
	g_wire[offsetof(fs_file_readdir_reply, done)] = 0xff;
	EXPECT(fs_file_readdir_reply, n, IDL_E_BOOL);
	pci_bus_device_added_event da;
	memset(&da, 0, sizeof(da));
	n = ENCODE(pci_bus_device_added_event, &da, 0u);
	g_wire[offsetof(pci_bus_device_added_event, info) + offsetof(pci_device_info, claimed)] = 2;
	EXPECT(pci_bus_device_added_event, n, IDL_E_BOOL);
}

static size_t bind_frame(int v6)
{
	net_socket_bind_request b;
	memset(&b, 0, sizeof(b));
	b.addr.ip.tag = v6 ? NET_IP_ADDRESS_V6 : NET_IP_ADDRESS_V4;
	b.addr.ip.v4[0] = 10;
	b.addr.port = 80;
	return ENCODE(net_socket_bind_request, &b, 5u);
}

static void test_union(void **state)
{
	(void)state;
	size_t n = bind_frame(0);
	EXPECT(net_socket_bind_request, n, IDL_OK);
	W(net_socket_bind_request)->addr.ip.tag = 5;
	EXPECT(net_socket_bind_request, n, IDL_E_UNION_TAG);
	W(net_socket_bind_request)->addr.ip.tag = 0;
	EXPECT(net_socket_bind_request, n, IDL_E_UNION_TAG);
	/* v4 with a nonzero byte in the unused part of the payload */
	n = bind_frame(0);
	W(net_socket_bind_request)->addr.ip.v6[4] = 1;
	EXPECT(net_socket_bind_request, n, IDL_E_PADDING);
	n = bind_frame(0);
	W(net_socket_bind_request)->addr.ip.v6[15] = 0x80;
	EXPECT(net_socket_bind_request, n, IDL_E_PADDING);
	/* v6 uses every byte */
	n = bind_frame(1);
	W(net_socket_bind_request)->addr.ip.v6[15] = 0x80;
	EXPECT(net_socket_bind_request, n, IDL_OK);
	/* a union inside a vector element inside a vector */
	net_interface_address addr;
	memset(&addr, 0, sizeof(addr));
	addr.ip.tag = NET_IP_ADDRESS_V4;
	net_interface_info info;
	memset(&info, 0, sizeof(info));
	info.name = text(1);
	info.addresses.count = 1;
	info.addresses.items = &addr;
	net_config_list_interfaces_reply li = {0};
	li.interfaces.count = 1;
	li.interfaces.items = &info;
	n = ENCODE(net_config_list_interfaces_reply, &li, 5u);
	EXPECT(net_config_list_interfaces_reply, n, IDL_OK);
	net_interface_info *wi =
	    (net_interface_info *)AT(net_config_list_interfaces_reply,
	                             W(net_config_list_interfaces_reply)->interfaces.offset);
	net_interface_address *wa =
	    (net_interface_address *)AT(net_config_list_interfaces_reply, wi->addresses.offset);
	wa->ip.tag = 1;
	EXPECT(net_config_list_interfaces_reply, n, IDL_E_UNION_TAG);
}

static void test_optional(void **state)
{
	(void)state;
	fs_file_set_times_request t = {.fd = 1};
	t.modify_time_ns.present = true;
	t.modify_time_ns.value = 5;
	size_t n = ENCODE(fs_file_set_times_request, &t, 5u);
	EXPECT(fs_file_set_times_request, n, IDL_OK);
	g_wire[offsetof(fs_file_set_times_request, access_time_ns)] = 2;
	EXPECT(fs_file_set_times_request, n, IDL_E_OPTIONAL);
	n = ENCODE(fs_file_set_times_request, &t, 5u);
	g_wire[offsetof(fs_file_set_times_request, modify_time_ns)] = 0xff;
	EXPECT(fs_file_set_times_request, n, IDL_E_OPTIONAL);
	/* absent, but with a value */
	n = ENCODE(fs_file_set_times_request, &t, 5u);
	W(fs_file_set_times_request)->access_time_ns.value = 1;
	EXPECT(fs_file_set_times_request, n, IDL_E_PADDING);
	/* padding between presence and value */
	n = ENCODE(fs_file_set_times_request, &t, 5u);
	W(fs_file_set_times_request)->modify_time_ns.pad[6] = 1;
	EXPECT(fs_file_set_times_request, n, IDL_E_PADDING);
	/* absent optional union with a nonzero tag */
	net_config_set_gateway_request g;
	memset(&g, 0, sizeof(g));
	n = ENCODE(net_config_set_gateway_request, &g, 5u);
	EXPECT(net_config_set_gateway_request, n, IDL_OK);
	W(net_config_set_gateway_request)->gateway.value.tag = NET_IP_ADDRESS_V4;
	EXPECT(net_config_set_gateway_request, n, IDL_E_PADDING);
	g_wire[offsetof(net_config_set_gateway_request, gateway)] = 3;
	EXPECT(net_config_set_gateway_request, n, IDL_E_OPTIONAL);
	/* present optional union with an undeclared tag */
	n = ENCODE(net_config_set_gateway_request, &g, 5u);
	g_wire[offsetof(net_config_set_gateway_request, gateway)] = 1;
	EXPECT(net_config_set_gateway_request, n, IDL_E_UNION_TAG);
	/* an optional field of a struct */
	pci_bus_find_request f;
	memset(&f, 0, sizeof(f));
	n = ENCODE(pci_bus_find_request, &f, 5u);
	g_wire[offsetof(pci_bus_find_request, filter) + offsetof(pci_filter, prog_if)] = 2;
	EXPECT(pci_bus_find_request, n, IDL_E_OPTIONAL);
	n = ENCODE(pci_bus_find_request, &f, 5u);
	W(pci_bus_find_request)->filter.device_id.value = 0x1234;
	EXPECT(pci_bus_find_request, n, IDL_E_PADDING);
	/* console get_size: absent size with nonzero rows */
	console_console_get_size_reply gs;
	memset(&gs, 0, sizeof(gs));
	n = ENCODE(console_console_get_size_reply, &gs, 5u);
	W(console_console_get_size_reply)->size.value.rows = 1;
	EXPECT(console_console_get_size_reply, n, IDL_E_PADDING);
}

static void test_padding(void **state)
{
	(void)state;
	size_t n = close_frame();
	W(fs_file_close_request)->_pad0[3] = 1;
	EXPECT(fs_file_close_request, n, IDL_E_PADDING);
	fs_file_stat_reply st;
	memset(&st, 0, sizeof(st));
	st.st.kind = 1;
	n = ENCODE(fs_file_stat_reply, &st, 5u);
	W(fs_file_stat_reply)->st._pad0[6] = 0x40;
	EXPECT(fs_file_stat_reply, n, IDL_E_PADDING);
	n = readdir_frame(1, 1); /* 12 bytes of records, 4 of padding */
	readdir_record(1, 1)[2] = 1;
	EXPECT(fs_file_readdir_reply, n, IDL_E_PADDING);
	n = readdir_frame(0, 0);
	W(fs_file_readdir_reply)->_pad0[6] = 1;
	EXPECT(fs_file_readdir_reply, n, IDL_E_PADDING);
	n = bind_frame(1);
	W(net_socket_bind_request)->addr._pad0[0] = 1;
	EXPECT(net_socket_bind_request, n, IDL_E_PADDING);
	/* out-of-line tail padding */
	n = open_frame(3); /* block: 4 bytes, then 4 of padding */
	g_wire[OPEN_BLOCK + 7] = 1;
	EXPECT(fs_file_open_request, n, IDL_E_PADDING);
	fs_file_read_reply rr = {0};
	rr.data = (idl_bytes){.size = 1, .data = (const uint8_t *)"x"};
	n = ENCODE(fs_file_read_reply, &rr, 5u);
	g_wire[n - 1] = 0xff;
	EXPECT(fs_file_read_reply, n, IDL_E_PADDING);
	/* padding between two blocks */
	fs_file_rename_request r = {0};
	r.from = IDL_STRING_LITERAL("a");
	r.to = IDL_STRING_LITERAL("b");
	n = ENCODE(fs_file_rename_request, &r, 5u);
	*AT(fs_file_rename_request, W(fs_file_rename_request)->from.offset + 2) = 1;
	EXPECT(fs_file_rename_request, n, IDL_E_PADDING);
	/* error reply: padding after the error value */
	assert_int_equal(fs_file_open_error_encode(3, SYS_ERRNO_IO, g_wire, 64),
	                 IDL_ERROR_FRAME_BYTES);
	g_wire[IDL_ERROR_FRAME_BYTES - 1] = 1;
	assert_int_equal(
	    fs_file_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &(sys_errno){0}),
	    IDL_E_PADDING);
}

static void test_handle_index(void **state)
{
	(void)state;
	fs_file_read_shared_request rs = {.fd = 1, .buffer = 9};
	size_t n = ENCODE(fs_file_read_shared_request, &rs, 5u);
	W(fs_file_read_shared_request)->buffer = 1; /* only index 0 exists */
	EXPECT(fs_file_read_shared_request, n, IDL_E_HANDLE_INDEX);
	W(fs_file_read_shared_request)->buffer = IDL_HANDLE_INVALID;
	EXPECT(fs_file_read_shared_request, n, IDL_E_HANDLE_INDEX);

	/* pci claim: three handles; swap the order of two */
	pci_bus_claim_reply c;
	memset(&c, 0, sizeof(c));
	c.memory_bars[0].present = true;
	c.memory_bars[0].value = 10;
	c.irq.present = true;
	c.irq.value = 11;
	c.dma = 12;
	n = ENCODE(pci_bus_claim_reply, &c, 5u);
	assert_int_equal(g_hcount, 3);
	EXPECT(pci_bus_claim_reply, n, IDL_OK);
	n = ENCODE(pci_bus_claim_reply, &c, 5u);
	W(pci_bus_claim_reply)->memory_bars[0].value = 1;
	W(pci_bus_claim_reply)->irq.value = 0;
	EXPECT(pci_bus_claim_reply, n, IDL_E_HANDLE_INDEX);
	n = ENCODE(pci_bus_claim_reply, &c, 5u);
	W(pci_bus_claim_reply)->dma = 1; /* the same index twice */
	EXPECT(pci_bus_claim_reply, n, IDL_E_HANDLE_INDEX);
	n = ENCODE(pci_bus_claim_reply, &c, 5u);
	W(pci_bus_claim_reply)->dma = 3;
	EXPECT(pci_bus_claim_reply, n, IDL_E_HANDLE_INDEX);
	/* an absent optional handle with a value */
	n = ENCODE(pci_bus_claim_reply, &c, 5u);
	W(pci_bus_claim_reply)->memory_bars[3].value = 1;
	EXPECT(pci_bus_claim_reply, n, IDL_E_PADDING);
	n = ENCODE(pci_bus_claim_reply, &c, 5u);
	g_wire[offsetof(pci_bus_claim_reply, memory_bars) + 8 * 2] = 2;
	EXPECT(pci_bus_claim_reply, n, IDL_E_OPTIONAL);
}

/* IDL_E_HANDLE_KIND: the transport says what each handle names. */
static void test_handle_kind(void **state)
{
	(void)state;
	/* read_shared's buffer is handle<shm>: a channel in its place. */
	fs_file_read_shared_request rs = {.fd = 1, .buffer = 9};
	size_t n = ENCODE(fs_file_read_shared_request, &rs, 5u);
	assert_int_equal(g_hout[0].kind, IDL_KIND_SHM);
	g_hout[0].kind = IDL_KIND_CHANNEL;
	EXPECT(fs_file_read_shared_request, n, IDL_E_HANDLE_KIND);
	/* An object the transport cannot name is no shared memory either. */
	g_hout[0].kind = IDL_KIND_ANY;
	EXPECT(fs_file_read_shared_request, n, IDL_E_HANDLE_KIND);
	g_hout[0].kind = IDL_KIND_SHM;
	EXPECT(fs_file_read_shared_request, n, IDL_OK);

	/* pci claim: mmio bars, an irq and dma, each of its own kind. */
	pci_bus_claim_reply c;
	memset(&c, 0, sizeof(c));
	c.memory_bars[0].present = true;
	c.memory_bars[0].value = 10;
	c.irq.present = true;
	c.irq.value = 11;
	c.dma = 12;
	n = ENCODE(pci_bus_claim_reply, &c, 5u);
	EXPECT(pci_bus_claim_reply, n, IDL_OK);
	g_hout[2].kind = IDL_KIND_SHM; /* dma */
	EXPECT(pci_bus_claim_reply, n, IDL_E_HANDLE_KIND);
	g_hout[2].kind = IDL_KIND_DMA;
	g_hout[1].kind = IDL_KIND_MMIO; /* irq */
	EXPECT(pci_bus_claim_reply, n, IDL_E_HANDLE_KIND);
}

static void test_error_reply_body(void **state)
{
	(void)state;
	sys_errno got = 0;
	assert_int_equal(net_socket_open_error_encode(3, SYS_ERRNO_BUSY, g_wire, 64),
	                 IDL_ERROR_FRAME_BYTES);
	assert_int_equal(net_socket_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &got),
	                 IDL_OK);
	assert_int_equal(got, SYS_ERRNO_BUSY);
	HDR->flags = IDL_FLAG_ERROR;
	assert_int_equal(net_socket_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &got),
	                 IDL_E_FLAGS);
	HDR->flags = IDL_FLAG_REPLY;
	assert_int_equal(net_socket_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &got),
	                 IDL_E_FLAGS);
	HDR->flags = IDL_FLAG_REPLY | IDL_FLAG_ERROR | 0x40;
	assert_int_equal(net_socket_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &got),
	                 IDL_E_FLAGS);
	HDR->flags = IDL_FLAG_REPLY | IDL_FLAG_ERROR;
	HDR->ordinal = NET_SOCKET_BIND_ORDINAL;
	assert_int_equal(net_socket_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &got),
	                 IDL_E_ORDINAL);
	HDR->ordinal = NET_SOCKET_OPEN_ORDINAL;
	HDR->inline_size = IDL_FRAME_HEADER_BYTES;
	assert_int_equal(net_socket_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &got),
	                 IDL_E_INLINE_SIZE);
	HDR->inline_size = IDL_ERROR_FRAME_BYTES;
	HDR->handle_count = 1;
	assert_int_equal(net_socket_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &got),
	                 IDL_E_HANDLE_COUNT);
	HDR->handle_count = 0;
	HDR->size = IDL_ERROR_FRAME_BYTES + 8;
	assert_int_equal(net_socket_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &got),
	                 IDL_E_FRAME_SIZE);
	HDR->size = IDL_ERROR_FRAME_BYTES;
	g_wire[IDL_FRAME_HEADER_BYTES] = 0;
	assert_int_equal(net_socket_open_error_validate(g_wire, IDL_ERROR_FRAME_BYTES, &got),
	                 IDL_E_ENUM);
	assert_int_equal(got, SYS_ERRNO_BUSY); /* untouched on failure */
}

/* Two pages, the second unreadable: returns where the readable one ends
 * (unmap with unmap_guarded). */
static uint8_t *map_before_guard(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *map =
	    mmap(NULL, page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, page, PROT_NONE), 0);
	return map + page;
}

static void unmap_guarded(uint8_t *end)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	munmap(end - page, page * 2);
}

/* A decoder must never read past `available`: the frame ends at a page
 * whose successor is PROT_NONE, and its size field claims more. */
static void test_guard_page(void **state)
{
	(void)state;
	uint8_t *end = map_before_guard();

	size_t n = open_frame(100);
	/* the whole frame right before the guard: decodes */
	memcpy(end - n, g_wire, n);
	const fs_file_open_request *o;
	assert_int_equal(
	    fs_file_open_request_decode(end - n, n, g_priv, sizeof(g_priv), NULL, 0, &o), IDL_OK);
	/* size claims more than available */
	((idl_frame_header *)(end - n))->size = (uint32_t)n + 64;
	assert_int_equal(
	    fs_file_open_request_decode(end - n, n, g_priv, sizeof(g_priv), NULL, 0, &o),
	    IDL_E_FRAME_TRUNCATED);
	/* only a header's worth available, size claims the full frame */
	((idl_frame_header *)(end - n))->size = (uint32_t)n;
	memmove(end - IDL_FRAME_HEADER_BYTES, end - n, IDL_FRAME_HEADER_BYTES);
	assert_int_equal(fs_file_open_request_decode(end - IDL_FRAME_HEADER_BYTES,
	                                             IDL_FRAME_HEADER_BYTES, g_priv, sizeof(g_priv),
	                                             NULL, 0, &o),
	                 IDL_E_FRAME_TRUNCATED);
	/* fewer bytes than a header at the very end */
	assert_int_equal(
	    fs_file_open_request_decode(end - 8, 8, g_priv, sizeof(g_priv), NULL, 0, &o),
	    IDL_E_FRAME_SHORT);
	/* a readdir reply whose records claim bytes past the end */
	n = readdir_frame(1, 3);
	W(fs_file_readdir_reply)->entries.bytes = 1000;
	memcpy(end - n, g_wire, n);
	const fs_file_readdir_reply *r;
	assert_int_equal(
	    fs_file_readdir_reply_decode(end - n, n, g_priv, sizeof(g_priv), NULL, 0, &r),
	    IDL_E_OUT_OF_FRAME);
	/* a string claiming a huge size, maximal within the bound */
	n = open_frame(0);
	W(fs_file_open_request)->path.size = FS_MAX_PATH;
	memcpy(end - n, g_wire, n);
	assert_int_equal(
	    fs_file_open_request_decode(end - n, n, g_priv, sizeof(g_priv), NULL, 0, &o),
	    IDL_E_OUT_OF_FRAME);
	/* event dispatch on a header-sized frame at the end */
	static const fs_file_event_handlers none = {0};
	memset(g_priv, 0, IDL_FRAME_HEADER_BYTES);
	((idl_frame_header *)g_priv)->size = IDL_FRAME_HEADER_BYTES;
	((idl_frame_header *)g_priv)->ordinal = FS_FILE_CHANGED_ORDINAL;
	((idl_frame_header *)g_priv)->flags = IDL_FLAG_EVENT;
	((idl_frame_header *)g_priv)->inline_size = sizeof(fs_file_changed_event);
	assert_int_equal(fs_file_event_dispatch(&none, NULL, g_priv, IDL_FRAME_HEADER_BYTES,
	                                        sizeof(g_priv), NULL, 0),
	                 IDL_E_MESSAGE_SHORT);
	unmap_guarded(end);
}

/*
 * An encoder reads a caller's string exactly: its text ends right before
 * a page that cannot be read, for every length up to 70, and a NUL at any
 * place in it is refused. A check that read past the text would fault.
 */
static void test_encoder_reads_text_exactly(void **state)
{
	(void)state;
	uint8_t *guard = map_before_guard();
	char *end = (char *)guard;
	for (uint32_t n = 0; n <= 70; n++) {
		char *path = end - n;
		memset(path, 'q', n);
		fs_file_open_request in = {.flags = FS_OPEN_FLAGS_READ, .mode = 0600};
		in.path = (idl_string){.size = n, .data = path};
		size_t size = ENCODE(fs_file_open_request, &in, 5u);
		EXPECT(fs_file_open_request, size, IDL_OK);
		for (uint32_t i = 0; i < n; i++) {
			path[i] = 0;
			assert_int_equal(fs_file_open_request_encode(
			                     &in, 5u, g_wire, sizeof(g_wire), g_hout, &g_hcount),
			                 IDL_E_INVALID_ARGUMENT);
			path[i] = 'q';
		}
	}
	unmap_guarded(guard);
}

/*
 * Canonical encoding: flip each byte of a valid frame (after the header's
 * size field) to a few values; whenever the decoder still accepts the frame,
 * encoding the decoded view must give back exactly the accepted bytes. A
 * missed padding or presence check shows up as a difference.
 */
static _Alignas(8) uint8_t g_orig[WIRE_BYTES];
static _Alignas(8) uint8_t g_again[WIRE_BYTES];
static unsigned g_accepted;

#define CANONICAL(T, in, tx_)                                                                      \
	do {                                                                                       \
		size_t n_ = ENCODE(T, in, tx_);                                                    \
		uint32_t hc_ = g_hcount;                                                           \
		idl_typed_handle ids_[IDL_MAX_HANDLES];                                            \
		for (uint32_t i_ = 0; i_ < hc_; i_++)                                              \
			ids_[i_] = (idl_typed_handle){i_, g_hout[i_].kind};                        \
		memcpy(g_orig, g_wire, n_);                                                        \
		static const uint8_t vals_[] = {0x00, 0x01, 0x02, 0x80, 0xff};                     \
		for (size_t pos_ = 4; pos_ < n_; pos_++) {                                         \
			for (size_t v_ = 0; v_ < sizeof(vals_); v_++) {                            \
				memcpy(g_wire, g_orig, n_);                                        \
				if (g_wire[pos_] == vals_[v_])                                     \
					continue;                                                  \
				g_wire[pos_] = vals_[v_];                                          \
				const T *o_ = NULL;                                                \
				if (T##_decode(g_wire, n_, g_priv, sizeof(g_priv), ids_, hc_,      \
				               &o_) != IDL_OK)                                     \
					continue;                                                  \
				g_accepted++;                                                      \
				uint32_t hc2_ = 0;                                                 \
				int64_t m_ = T##_encode(o_, o_->header.txid, g_again,              \
				                        sizeof(g_again), g_hout, &hc2_);           \
				if (m_ != (int64_t)n_ || memcmp(g_again, g_wire, n_) != 0)         \
					fail_msg("%s: byte %zu = 0x%02x accepted but not "         \
					         "canonical",                                      \
					         #T, pos_, vals_[v_]);                             \
			}                                                                          \
		}                                                                                  \
	} while (0)

static void test_canonical(void **state)
{
	(void)state;
	fs_file_set_times_request t = {.fd = 1};
	t.modify_time_ns.present = true;
	t.modify_time_ns.value = 5;
	CANONICAL(fs_file_set_times_request, &t, 5u);
	fs_file_stat_reply st;
	memset(&st, 0, sizeof(st));
	st.st.kind = 1;
	CANONICAL(fs_file_stat_reply, &st, 5u);
	fs_file_rename_request r = {0};
	r.from = IDL_STRING_LITERAL("abc");
	r.to = IDL_STRING_LITERAL("defghijk");
	CANONICAL(fs_file_rename_request, &r, 5u);
	readdir_frame(3, 2);
	fs_file_readdir_reply rd = {.next_cookie = 1};
	rd.entries.count = 3;
	rd.entries.items = g_entries;
	CANONICAL(fs_file_readdir_reply, &rd, 5u);
	fs_file_read_shared_request rs = {.fd = 1, .buffer = 9};
	CANONICAL(fs_file_read_shared_request, &rs, 5u);
	fs_file_advise_request ad = {.fd = 1, .advice = 1};
	CANONICAL(fs_file_advise_request, &ad, 0u);

	net_socket_bind_request b;
	memset(&b, 0, sizeof(b));
	b.addr.ip.tag = NET_IP_ADDRESS_V4;
	CANONICAL(net_socket_bind_request, &b, 5u);
	net_config_set_gateway_request g;
	memset(&g, 0, sizeof(g));
	CANONICAL(net_config_set_gateway_request, &g, 5u);
	g.gateway.present = true;
	g.gateway.value.tag = NET_IP_ADDRESS_V4;
	CANONICAL(net_config_set_gateway_request, &g, 5u);
	net_config_add_address_request aa;
	memset(&aa, 0, sizeof(aa));
	aa.address.ip.tag = NET_IP_ADDRESS_V6;
	CANONICAL(net_config_add_address_request, &aa, 5u);
	net_interface_address addr[2];
	memset(addr, 0, sizeof(addr));
	addr[0].ip.tag = NET_IP_ADDRESS_V4;
	addr[1].ip.tag = NET_IP_ADDRESS_V6;
	net_interface_info info[2];
	memset(info, 0, sizeof(info));
	info[0].name = IDL_STRING_LITERAL("eth0");
	info[0].addresses.count = 2;
	info[0].addresses.items = addr;
	info[1].name = IDL_STRING_LITERAL("lo");
	info[1].gateway.present = true;
	info[1].gateway.value.tag = NET_IP_ADDRESS_V4;
	net_config_list_interfaces_reply li = {0};
	li.interfaces.count = 2;
	li.interfaces.items = info;
	CANONICAL(net_config_list_interfaces_reply, &li, 5u);
	net_socket_receive_from_reply rf;
	memset(&rf, 0, sizeof(rf));
	rf.from.ip.tag = NET_IP_ADDRESS_V6;
	rf.data = (idl_bytes){.size = 3, .data = (const uint8_t *)"abc"};
	CANONICAL(net_socket_receive_from_reply, &rf, 5u);

	pci_bus_claim_reply c;
	memset(&c, 0, sizeof(c));
	c.memory_bars[1].present = true;
	c.memory_bars[1].value = 3;
	c.dma = 4;
	CANONICAL(pci_bus_claim_reply, &c, 5u);
	pci_bus_find_request f;
	memset(&f, 0, sizeof(f));
	f.filter.device_id.present = true;
	CANONICAL(pci_bus_find_request, &f, 5u);
	pci_device_info dev[2];
	memset(dev, 0, sizeof(dev));
	pci_bus_enumerate_reply en = {0};
	en.devices.count = 2;
	en.devices.items = dev;
	CANONICAL(pci_bus_enumerate_reply, &en, 5u);
	pci_bus_config_write_request cw;
	memset(&cw, 0, sizeof(cw));
	cw.width = PCI_WIDTH_BYTE;
	CANONICAL(pci_bus_config_write_request, &cw, 5u);
	pci_bus_set_command_reply scr = {0};
	CANONICAL(pci_bus_set_command_reply, &scr, 5u);

	console_console_get_size_reply gs;
	memset(&gs, 0, sizeof(gs));
	CANONICAL(console_console_get_size_reply, &gs, 5u);
	gs.size.present = true;
	CANONICAL(console_console_get_size_reply, &gs, 5u);
	console_console_resized_event rz;
	memset(&rz, 0, sizeof(rz));
	CANONICAL(console_console_resized_event, &rz, 0u);

	sys_services_publish_request pub = {.listener = 3};
	pub.name = IDL_STRING_LITERAL("svc");
	CANONICAL(sys_services_publish_request, &pub, 5u);
	sys_services_lookup_reply lr = {.channel = 3};
	CANONICAL(sys_services_lookup_reply, &lr, 5u);
	assert_true(g_accepted > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_short),
	    cmocka_unit_test(test_frame_size),
	    cmocka_unit_test(test_frame_truncated),
	    cmocka_unit_test(test_frame_too_large),
	    cmocka_unit_test(test_buffer),
	    cmocka_unit_test(test_frame_changed),
	    cmocka_unit_test(test_ordinal),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_txid),
	    cmocka_unit_test(test_header_inline_size),
	    cmocka_unit_test(test_handle_count),
	    cmocka_unit_test(test_message_short),
	    cmocka_unit_test(test_trailing),
	    cmocka_unit_test(test_alignment),
	    cmocka_unit_test(test_offset),
	    cmocka_unit_test(test_count),
	    cmocka_unit_test(test_out_of_frame),
	    cmocka_unit_test(test_records),
	    cmocka_unit_test(test_string),
	    cmocka_unit_test(test_string_every_byte),
	    cmocka_unit_test(test_slot_reserved),
	    cmocka_unit_test(test_enum),
	    cmocka_unit_test(test_bits),
	    cmocka_unit_test(test_bool),
	    cmocka_unit_test(test_union),
	    cmocka_unit_test(test_optional),
	    cmocka_unit_test(test_padding),
	    cmocka_unit_test(test_handle_index),
	    cmocka_unit_test(test_handle_kind),
	    cmocka_unit_test(test_error_reply_body),
	    cmocka_unit_test(test_guard_page),
	    cmocka_unit_test(test_encoder_reads_text_exactly),
	    cmocka_unit_test(test_canonical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
