/*
 * test_round_trip.c: every message of fs, net, console, pci and sys is
 * encoded, decoded from the encoded frame into a second private buffer and
 * compared field by field; encoders reject out-of-bound input; a loopback
 * transport runs client stubs against the generated dispatchers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "console.h"
#include "fs.h"
#include "loopback.h"
#include "net.h"
#include "pci.h"
#include "sys.h"

#define WIRE_BYTES 40960u

static _Alignas(8) uint8_t g_wire[WIRE_BYTES];
static _Alignas(8) uint8_t g_priv[WIRE_BYTES];
static _Alignas(8) uint8_t g_wire_again[WIRE_BYTES];
static idl_typed_handle g_hout[IDL_MAX_HANDLES];
static idl_typed_handle g_hin[IDL_MAX_HANDLES];
static uint32_t g_hcount;
static int64_t g_size;

/* Decoded handles are the encoded ones plus this, to show replacement. */
#define HANDLE_REMAP 1000u

/*
 * Encodes *in into g_wire, checks the size against MAX and the handle list
 * against the nh handles expected, decodes into g_priv with the remapped
 * handle list and leaves the decoded view in out. It encodes twice, over
 * different bytes, and requires the same frame: an encoder writes every
 * byte of it, so nothing the ring held before stays in it.
 */
#define ROUND_TRIP(T, MAX, in, tx_, nh, out)                                                       \
	do {                                                                                       \
		memset(g_wire, 0xee, sizeof(g_wire));                                              \
		g_hcount = 12345;                                                                  \
		g_size = T##_encode((in), (tx_), g_wire, sizeof(g_wire), g_hout, &g_hcount);       \
		assert_true(g_size >= (int64_t)sizeof(T));                                         \
		assert_true((uint64_t)g_size <= (MAX));                                            \
		assert_int_equal(g_size % 8, 0);                                                   \
		assert_int_equal(((const idl_frame_header *)g_wire)->size, g_size);                \
		assert_int_equal(((const idl_frame_header *)g_wire)->txid, (tx_));                 \
		assert_int_equal(g_hcount, (nh));                                                  \
		memset(g_wire_again, 0x11, sizeof(g_wire_again));                                  \
		assert_int_equal(T##_encode((in), (tx_), g_wire_again, sizeof(g_wire_again),       \
		                            g_hout, &g_hcount),                                    \
		                 g_size);                                                          \
		assert_memory_equal(g_wire_again, g_wire, (size_t)g_size);                         \
		assert_int_equal(((const idl_frame_header *)g_wire)->handle_count, (nh));          \
		for (uint32_t i_ = 0; i_ < g_hcount; i_++)                                         \
			g_hin[i_] =                                                                \
			    (idl_typed_handle){g_hout[i_].value + HANDLE_REMAP, g_hout[i_].kind};  \
		memset(g_priv, 0x5a, sizeof(g_priv));                                              \
		(out) = NULL;                                                                      \
		assert_int_equal(T##_decode(g_wire, (size_t)g_size, g_priv, sizeof(g_priv), g_hin, \
		                            g_hcount, &(out)),                                     \
		                 IDL_OK);                                                          \
		assert_ptr_equal((const void *)(out), (const void *)g_priv);                       \
	} while (0)

/* Fixed messages: every inline byte after the header must come back. */
#define ROUND_TRIP_FIXED(T, MAX, in, tx_)                                                          \
	do {                                                                                       \
		const T *o_;                                                                       \
		ROUND_TRIP(T, MAX, in, tx_, 0u, o_);                                               \
		assert_int_equal(g_size, sizeof(T));                                               \
		assert_memory_equal((const uint8_t *)o_ + IDL_FRAME_HEADER_BYTES,                  \
		                    (const uint8_t *)(in) + IDL_FRAME_HEADER_BYTES,                \
		                    sizeof(T) - IDL_FRAME_HEADER_BYTES);                           \
	} while (0)

#define ENCODE_REJECTS(T, in, tx_)                                                                 \
	do {                                                                                       \
		uint32_t hc_ = 0;                                                                  \
		assert_int_equal(T##_encode((in), (tx_), g_wire, sizeof(g_wire), g_hout, &hc_),    \
		                 IDL_E_INVALID_ARGUMENT);                                          \
	} while (0)

static char g_long[8192];

/* A string of n 'a'..'z' bytes, for maximum-length strings. */
static idl_string text(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		g_long[i] = (char)('a' + i % 26);
	g_long[n] = 0;
	return (idl_string){.size = n, .data = g_long};
}

static void assert_string(idl_string got, idl_string want)
{
	assert_int_equal(got.size, want.size);
	assert_int_equal(got.reserved, 0);
	assert_non_null(got.data);
	assert_memory_equal(got.data, want.data, want.size);
	assert_int_equal(got.data[got.size], 0);
	/* The text lies inside the private frame. */
	assert_true((const uint8_t *)got.data >= g_priv &&
	            (const uint8_t *)got.data < g_priv + g_size);
}

static void assert_bytes(idl_bytes got, const uint8_t *want, uint32_t n)
{
	assert_int_equal(got.size, n);
	assert_int_equal(got.reserved, 0);
	if (n > 0) {
		assert_memory_equal(got.data, want, n);
		assert_true(got.data >= g_priv && got.data + n <= g_priv + g_size);
	}
}

static uint8_t g_data[8192];

static const uint8_t *pattern(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		g_data[i] = (uint8_t)(i * 7 + 3);
	return g_data;
}

/* ---------------------------------------------------------------- fs */

static void test_fs_open(void **state)
{
	(void)state;
	static const uint32_t lens[] = {0, 1, 17, 1024};
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		fs_file_open_request in = {0};
		in.path = text(lens[k]);
		in.flags = FS_OPEN_FLAGS_READ | FS_OPEN_FLAGS_CREATE | FS_OPEN_FLAGS_EXCLUSIVE;
		in.mode = 0644;
		const fs_file_open_request *o;
		ROUND_TRIP(fs_file_open_request, FS_FILE_OPEN_REQUEST_MAX_BYTES, &in, 7u, 0u, o);
		assert_string(o->path, in.path);
		assert_int_equal(o->flags, in.flags);
		assert_int_equal(o->mode, in.mode);
		assert_int_equal(o->header.ordinal, FS_FILE_OPEN_ORDINAL);
		assert_int_equal(o->header.flags, IDL_FLAG_REQUEST);
	}
	assert_int_equal(g_size, FS_FILE_OPEN_REQUEST_MAX_BYTES);
	fs_file_open_reply r = {.fd = 42};
	ROUND_TRIP_FIXED(fs_file_open_reply, FS_FILE_OPEN_REPLY_MAX_BYTES, &r, 7u);
}

static void test_fs_open_rejects(void **state)
{
	(void)state;
	fs_file_open_request in = {0};
	in.path = text(FS_MAX_PATH + 1);
	ENCODE_REJECTS(fs_file_open_request, &in, 1u);
	in.path = text(3);
	in.flags = 0x80; /* undeclared bit */
	ENCODE_REJECTS(fs_file_open_request, &in, 1u);
	in.flags = FS_OPEN_FLAGS_READ;
	char nul[] = {'a', 0, 'b'};
	in.path = (idl_string){.size = 3, .data = nul}; /* NUL inside */
	ENCODE_REJECTS(fs_file_open_request, &in, 1u);
	in.path = (idl_string){.size = 3, .data = NULL};
	ENCODE_REJECTS(fs_file_open_request, &in, 1u);
}

/* The encoder looks for an inner NUL a word at a time in its copy: a NUL
 * at every position of strings from 1 to 24 bytes (three words and the
 * partial ones between) is refused, and the same strings without one are
 * sent whole. */
static void test_string_nul_every_position(void **state)
{
	(void)state;
	char bytes[24];
	for (uint32_t size = 1; size <= sizeof(bytes); size++) {
		fs_file_open_request in = {.flags = FS_OPEN_FLAGS_READ};
		memset(bytes, 'x', sizeof(bytes));
		in.path = (idl_string){.size = size, .data = bytes};
		const fs_file_open_request *out;
		ROUND_TRIP(fs_file_open_request, FS_FILE_OPEN_REQUEST_MAX_BYTES, &in, 1u, 0u, out);
		assert_int_equal(out->path.size, size);
		assert_memory_equal(out->path.data, bytes, size);
		for (uint32_t at = 0; at < size; at++) {
			bytes[at] = 0;
			ENCODE_REJECTS(fs_file_open_request, &in, 1u);
			bytes[at] = 'x';
		}
	}
}

static void test_fs_simple(void **state)
{
	(void)state;
	fs_file_close_request cl = {.fd = 3};
	ROUND_TRIP_FIXED(fs_file_close_request, FS_FILE_CLOSE_REQUEST_MAX_BYTES, &cl, 1u);
	fs_file_close_reply clr = {0};
	ROUND_TRIP_FIXED(fs_file_close_reply, FS_FILE_CLOSE_REPLY_MAX_BYTES, &clr, 1u);
	fs_file_read_request rd = {.fd = 4, .offset = 0x123456789abcull, .count = 4096};
	ROUND_TRIP_FIXED(fs_file_read_request, FS_FILE_READ_REQUEST_MAX_BYTES, &rd, 2u);
	fs_file_write_reply wr = {.written = 99};
	ROUND_TRIP_FIXED(fs_file_write_reply, FS_FILE_WRITE_REPLY_MAX_BYTES, &wr, 2u);
	fs_file_read_shared_reply rsr = {.count = 5};
	ROUND_TRIP_FIXED(fs_file_read_shared_reply, FS_FILE_READ_SHARED_REPLY_MAX_BYTES, &rsr, 2u);
	fs_file_write_shared_reply wsr = {.count = 6};
	ROUND_TRIP_FIXED(fs_file_write_shared_reply, FS_FILE_WRITE_SHARED_REPLY_MAX_BYTES, &wsr,
	                 2u);
	fs_file_stat_request st = {.fd = 9};
	ROUND_TRIP_FIXED(fs_file_stat_request, FS_FILE_STAT_REQUEST_MAX_BYTES, &st, 2u);
	fs_file_stat_reply str = {0};
	str.st.inode = 1;
	str.st.size = 2;
	str.st.access_time_ns = -3;
	str.st.modify_time_ns = INT64_MAX;
	str.st.change_time_ns = INT64_MIN;
	str.st.mode = 0755;
	str.st.link_count = 2;
	str.st.kind = FS_FILE_KIND_SOCKET;
	ROUND_TRIP_FIXED(fs_file_stat_reply, FS_FILE_STAT_REPLY_MAX_BYTES, &str, 2u);
	str.st.kind = 8;
	ENCODE_REJECTS(fs_file_stat_reply, &str, 2u);
	str.st.kind = 0;
	ENCODE_REJECTS(fs_file_stat_reply, &str, 2u);

	fs_file_set_times_request t = {.fd = 1};
	ROUND_TRIP_FIXED(fs_file_set_times_request, FS_FILE_SET_TIMES_REQUEST_MAX_BYTES, &t, 3u);
	t.access_time_ns.present = true;
	t.access_time_ns.value = -1;
	ROUND_TRIP_FIXED(fs_file_set_times_request, FS_FILE_SET_TIMES_REQUEST_MAX_BYTES, &t, 3u);
	t.modify_time_ns.present = true;
	t.modify_time_ns.value = 77;
	ROUND_TRIP_FIXED(fs_file_set_times_request, FS_FILE_SET_TIMES_REQUEST_MAX_BYTES, &t, 3u);
	fs_file_set_times_reply tr = {0};
	ROUND_TRIP_FIXED(fs_file_set_times_reply, FS_FILE_SET_TIMES_REPLY_MAX_BYTES, &tr, 3u);
	fs_file_truncate_request tq = {.fd = 2, .size = UINT64_MAX};
	ROUND_TRIP_FIXED(fs_file_truncate_request, FS_FILE_TRUNCATE_REQUEST_MAX_BYTES, &tq, 3u);
	fs_file_truncate_reply tqr = {0};
	ROUND_TRIP_FIXED(fs_file_truncate_reply, FS_FILE_TRUNCATE_REPLY_MAX_BYTES, &tqr, 3u);
	fs_file_sync_request sy = {.fd = 2};
	ROUND_TRIP_FIXED(fs_file_sync_request, FS_FILE_SYNC_REQUEST_MAX_BYTES, &sy, 3u);
	fs_file_sync_reply syr = {0};
	ROUND_TRIP_FIXED(fs_file_sync_reply, FS_FILE_SYNC_REPLY_MAX_BYTES, &syr, 3u);
	fs_file_readdir_request rq = {.fd = 2, .cookie = 0xfeedull};
	ROUND_TRIP_FIXED(fs_file_readdir_request, FS_FILE_READDIR_REQUEST_MAX_BYTES, &rq, 3u);
	fs_file_mkdir_reply mr = {0};
	ROUND_TRIP_FIXED(fs_file_mkdir_reply, FS_FILE_MKDIR_REPLY_MAX_BYTES, &mr, 3u);
	fs_file_unlink_reply ur = {0};
	ROUND_TRIP_FIXED(fs_file_unlink_reply, FS_FILE_UNLINK_REPLY_MAX_BYTES, &ur, 3u);
	fs_file_rename_reply rr = {0};
	ROUND_TRIP_FIXED(fs_file_rename_reply, FS_FILE_RENAME_REPLY_MAX_BYTES, &rr, 3u);
	fs_file_advise_request ad = {
	    .fd = 1, .offset = 2, .length = 3, .advice = FS_ADVICE_DONT_NEED};
	ROUND_TRIP_FIXED(fs_file_advise_request, FS_FILE_ADVISE_REQUEST_MAX_BYTES, &ad, 0u);
	ad.advice = 5;
	ENCODE_REJECTS(fs_file_advise_request, &ad, 0u);
	fs_file_watch_request w = {.fd = 1, .mask = FS_WATCH_MASK_MASK};
	ROUND_TRIP_FIXED(fs_file_watch_request, FS_FILE_WATCH_REQUEST_MAX_BYTES, &w, 4u);
	w.mask = 0x10;
	ENCODE_REJECTS(fs_file_watch_request, &w, 4u);
	fs_file_watch_reply wrr = {0};
	ROUND_TRIP_FIXED(fs_file_watch_reply, FS_FILE_WATCH_REPLY_MAX_BYTES, &wrr, 4u);
	fs_file_changed_event ch = {.fd = 8, .what = FS_WATCH_MASK_REMOVED};
	ROUND_TRIP_FIXED(fs_file_changed_event, FS_FILE_CHANGED_EVENT_MAX_BYTES, &ch, 0u);
	ch.what = 0x100;
	ENCODE_REJECTS(fs_file_changed_event, &ch, 0u);
}

static void test_fs_bytes(void **state)
{
	(void)state;
	static const uint32_t lens[] = {0, 1, 9, FS_MAX_INLINE_IO};
	for (size_t k = 0; k < 4; k++) {
		const uint8_t *p = pattern(lens[k]);
		fs_file_read_reply r = {0};
		r.data = (idl_bytes){.size = lens[k], .data = lens[k] ? p : NULL};
		const fs_file_read_reply *o;
		ROUND_TRIP(fs_file_read_reply, FS_FILE_READ_REPLY_MAX_BYTES, &r, 5u, 0u, o);
		assert_bytes(o->data, p, lens[k]);
		if (lens[k] == 0)
			assert_int_equal(g_size, sizeof(fs_file_read_reply));

		fs_file_write_request w = {.fd = 3, .offset = 100};
		w.data = r.data;
		const fs_file_write_request *ow;
		ROUND_TRIP(fs_file_write_request, FS_FILE_WRITE_REQUEST_MAX_BYTES, &w, 5u, 0u, ow);
		assert_int_equal(ow->fd, 3);
		assert_int_equal(ow->offset, 100);
		assert_bytes(ow->data, p, lens[k]);
	}
	assert_int_equal(g_size, FS_FILE_WRITE_REQUEST_MAX_BYTES);
	fs_file_write_request w = {.fd = 3};
	w.data = (idl_bytes){.size = FS_MAX_INLINE_IO + 1, .data = g_data};
	ENCODE_REJECTS(fs_file_write_request, &w, 5u);
}

static void test_fs_strings(void **state)
{
	(void)state;
	fs_file_mkdir_request m = {.mode = 0700};
	m.path = text(FS_MAX_PATH);
	const fs_file_mkdir_request *om;
	ROUND_TRIP(fs_file_mkdir_request, FS_FILE_MKDIR_REQUEST_MAX_BYTES, &m, 1u, 0u, om);
	assert_string(om->path, m.path);
	assert_int_equal(om->mode, 0700);
	fs_file_unlink_request u = {0};
	u.path = IDL_STRING_LITERAL("");
	const fs_file_unlink_request *ou;
	ROUND_TRIP(fs_file_unlink_request, FS_FILE_UNLINK_REQUEST_MAX_BYTES, &u, 1u, 0u, ou);
	assert_string(ou->path, u.path);
	assert_int_equal(g_size, sizeof(fs_file_unlink_request) + 8);
	u.path = text(FS_MAX_PATH + 1);
	ENCODE_REJECTS(fs_file_unlink_request, &u, 1u);

	static char from[FS_MAX_PATH + 1];
	memset(from, 'F', FS_MAX_PATH);
	fs_file_rename_request r = {0};
	r.from = (idl_string){.size = FS_MAX_PATH, .data = from};
	r.to = text(FS_MAX_PATH);
	const fs_file_rename_request *orr;
	ROUND_TRIP(fs_file_rename_request, FS_FILE_RENAME_REQUEST_MAX_BYTES, &r, 1u, 0u, orr);
	assert_int_equal(g_size, FS_FILE_RENAME_REQUEST_MAX_BYTES);
	assert_string(orr->from, r.from);
	assert_string(orr->to, r.to);
	assert_true(orr->to.data > orr->from.data);
	r.to = IDL_STRING_LITERAL("x");
	r.from = IDL_STRING_LITERAL("ab");
	ROUND_TRIP(fs_file_rename_request, FS_FILE_RENAME_REQUEST_MAX_BYTES, &r, 1u, 0u, orr);
	assert_string(orr->from, r.from);
	assert_string(orr->to, r.to);
}

static void test_fs_handles(void **state)
{
	(void)state;
	fs_file_read_shared_request r = {
	    .fd = 1, .offset = 2, .count = 3, .buffer = 77, .buffer_offset = 4};
	const fs_file_read_shared_request *o;
	ROUND_TRIP(fs_file_read_shared_request, FS_FILE_READ_SHARED_REQUEST_MAX_BYTES, &r, 9u, 1u,
	           o);
	assert_int_equal(g_hout[0].value, 77);
	assert_int_equal(g_hout[0].kind, IDL_KIND_SHM);
	assert_int_equal(((const fs_file_read_shared_request *)g_wire)->buffer, 0);
	assert_int_equal(o->buffer, 77 + HANDLE_REMAP);
	assert_int_equal(o->fd, 1);
	assert_int_equal(o->offset, 2);
	assert_int_equal(o->count, 3);
	assert_int_equal(o->buffer_offset, 4);
	fs_file_write_shared_request w = {
	    .fd = 5, .offset = 6, .count = 7, .buffer = 0, .buffer_offset = 8};
	const fs_file_write_shared_request *ow;
	ROUND_TRIP(fs_file_write_shared_request, FS_FILE_WRITE_SHARED_REQUEST_MAX_BYTES, &w, 9u, 1u,
	           ow);
	assert_int_equal(ow->buffer, 0 + HANDLE_REMAP);
	assert_int_equal(ow->fd, 5);
	assert_int_equal(ow->offset, 6);
	assert_int_equal(ow->count, 7);
	assert_int_equal(ow->buffer_offset, 8);
	w.buffer = IDL_HANDLE_INVALID;
	ENCODE_REJECTS(fs_file_write_shared_request, &w, 9u);
	/* No handle list to move the handle into. */
	w.buffer = 3;
	uint32_t hc = 0;
	assert_int_equal(
	    fs_file_write_shared_request_encode(&w, 9u, g_wire, sizeof(g_wire), NULL, &hc),
	    IDL_E_INVALID_ARGUMENT);
}

static fs_dir_entry g_entries[FS_READDIR_BATCH];
static char g_names[FS_READDIR_BATCH][FS_MAX_NAME + 1];

static void fill_entries(uint32_t n, uint32_t name_len)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = name_len == UINT32_MAX ? i % 5 : name_len;
		memset(g_names[i], 'A' + (int)(i % 26), len);
		g_names[i][len] = 0;
		g_entries[i] = (fs_dir_entry){.inode = 1000 + i,
		                              .kind = (fs_file_kind)(1 + i % 7),
		                              .name = {.size = len, .data = g_names[i]}};
	}
}

/* The decoded records, read in order, are the entries sent. */
static void check_entries(const fs_file_readdir_reply *o, uint32_t n)
{
	assert_int_equal(o->entries.count, n);
	idl_records records = idl_records_of(o->entries.records, o->entries.count);
	fs_dir_entry e;
	for (uint32_t i = 0; i < n; i++) {
		assert_true(fs_dir_entry_next(&records, &e));
		assert_int_equal(e.inode, g_entries[i].inode);
		assert_int_equal(e.kind, g_entries[i].kind);
		assert_string(e.name, g_entries[i].name);
	}
	assert_false(fs_dir_entry_next(&records, &e));
}

static void test_fs_readdir(void **state)
{
	(void)state;
	fs_file_readdir_reply r = {.next_cookie = 5, .done = true};
	const fs_file_readdir_reply *o;
	ROUND_TRIP(fs_file_readdir_reply, FS_FILE_READDIR_REPLY_MAX_BYTES, &r, 1u, 0u, o);
	assert_int_equal(o->entries.count, 0);
	assert_int_equal(o->next_cookie, 5);
	assert_true(o->done);
	assert_int_equal(g_size, sizeof(r));

	fill_entries(FS_READDIR_BATCH, UINT32_MAX);
	r.entries.count = 3;
	r.entries.items = g_entries;
	r.done = false;
	ROUND_TRIP(fs_file_readdir_reply, FS_FILE_READDIR_REPLY_MAX_BYTES, &r, 1u, 0u, o);
	check_entries(o, 3);
	assert_false(o->done);

	fill_entries(FS_READDIR_BATCH, FS_MAX_NAME);
	r.entries.count = FS_READDIR_BATCH;
	ROUND_TRIP(fs_file_readdir_reply, FS_FILE_READDIR_REPLY_MAX_BYTES, &r, 1u, 0u, o);
	check_entries(o, FS_READDIR_BATCH);
	/* A decoded reply encodes again as it came (a server forwarding it):
	 * its records are checked and copied. One broken in the view is not. */
	static _Alignas(8) uint8_t again[FS_FILE_READDIR_REPLY_MAX_BYTES];
	int64_t size = g_size;
	assert_int_equal(fs_file_readdir_reply_encode(o, 1u, again, sizeof(again), NULL, NULL),
	                 size);
	assert_memory_equal(again, g_wire, (size_t)size);
	uint8_t *kind = (uint8_t *)o->entries.records + (11 + FS_MAX_NAME) + 8; /* the 2nd */
	assert_int_equal(*kind, g_entries[1].kind);
	*kind = 0;
	assert_int_equal(fs_file_readdir_reply_encode(o, 1u, again, sizeof(again), NULL, NULL),
	                 IDL_E_INVALID_ARGUMENT);
	assert_int_equal(g_size, FS_FILE_READDIR_REPLY_MAX_BYTES);

	r.entries.count = FS_READDIR_BATCH + 1;
	ENCODE_REJECTS(fs_file_readdir_reply, &r, 1u);
	r.entries.count = 2;
	g_entries[1].kind = 0;
	ENCODE_REJECTS(fs_file_readdir_reply, &r, 1u);
	g_entries[1].kind = 1;
	g_entries[1].name = text(FS_MAX_NAME + 1);
	ENCODE_REJECTS(fs_file_readdir_reply, &r, 1u);
}

/* Error replies: every method of every interface, through one table. */
typedef int64_t (*error_encode_fn)(uint32_t, sys_errno, void *, size_t);
typedef int (*error_validate_fn)(const void *, size_t, sys_errno *);
struct error_method {
	const char *name;
	error_encode_fn encode;
	error_validate_fn validate;
	uint32_t ordinal;
};
#define EM(prefix, ORD)                                                                            \
	{                                                                                          \
#prefix, prefix##_error_encode, prefix##_error_validate, ORD                       \
	}
static const struct error_method error_methods[] = {
    EM(fs_file_open, FS_FILE_OPEN_ORDINAL),
    EM(fs_file_close, FS_FILE_CLOSE_ORDINAL),
    EM(fs_file_read, FS_FILE_READ_ORDINAL),
    EM(fs_file_write, FS_FILE_WRITE_ORDINAL),
    EM(fs_file_read_shared, FS_FILE_READ_SHARED_ORDINAL),
    EM(fs_file_write_shared, FS_FILE_WRITE_SHARED_ORDINAL),
    EM(fs_file_stat, FS_FILE_STAT_ORDINAL),
    EM(fs_file_set_times, FS_FILE_SET_TIMES_ORDINAL),
    EM(fs_file_truncate, FS_FILE_TRUNCATE_ORDINAL),
    EM(fs_file_sync, FS_FILE_SYNC_ORDINAL),
    EM(fs_file_readdir, FS_FILE_READDIR_ORDINAL),
    EM(fs_file_mkdir, FS_FILE_MKDIR_ORDINAL),
    EM(fs_file_unlink, FS_FILE_UNLINK_ORDINAL),
    EM(fs_file_rename, FS_FILE_RENAME_ORDINAL),
    EM(fs_file_watch, FS_FILE_WATCH_ORDINAL),
    EM(net_socket_open, NET_SOCKET_OPEN_ORDINAL),
    EM(net_socket_bind, NET_SOCKET_BIND_ORDINAL),
    EM(net_socket_local_address, NET_SOCKET_LOCAL_ADDRESS_ORDINAL),
    EM(net_socket_connect, NET_SOCKET_CONNECT_ORDINAL),
    EM(net_socket_listen, NET_SOCKET_LISTEN_ORDINAL),
    EM(net_socket_accept, NET_SOCKET_ACCEPT_ORDINAL),
    EM(net_socket_send_to, NET_SOCKET_SEND_TO_ORDINAL),
    EM(net_socket_receive_from, NET_SOCKET_RECEIVE_FROM_ORDINAL),
    EM(net_socket_send, NET_SOCKET_SEND_ORDINAL),
    EM(net_socket_receive, NET_SOCKET_RECEIVE_ORDINAL),
    EM(net_socket_shutdown, NET_SOCKET_SHUTDOWN_ORDINAL),
    EM(net_socket_close, NET_SOCKET_CLOSE_ORDINAL),
    EM(net_config_list_interfaces, NET_CONFIG_LIST_INTERFACES_ORDINAL),
    EM(net_config_add_address, NET_CONFIG_ADD_ADDRESS_ORDINAL),
    EM(net_config_remove_address, NET_CONFIG_REMOVE_ADDRESS_ORDINAL),
    EM(net_config_set_gateway, NET_CONFIG_SET_GATEWAY_ORDINAL),
    EM(net_config_set_flags, NET_CONFIG_SET_FLAGS_ORDINAL),
    EM(pci_bus_enumerate, PCI_BUS_ENUMERATE_ORDINAL),
    EM(pci_bus_find, PCI_BUS_FIND_ORDINAL),
    EM(pci_bus_config_read, PCI_BUS_CONFIG_READ_ORDINAL),
    EM(pci_bus_config_write, PCI_BUS_CONFIG_WRITE_ORDINAL),
    EM(pci_bus_set_command, PCI_BUS_SET_COMMAND_ORDINAL),
    EM(pci_bus_claim, PCI_BUS_CLAIM_ORDINAL),
    EM(pci_bus_release, PCI_BUS_RELEASE_ORDINAL),
    EM(console_console_write, CONSOLE_CONSOLE_WRITE_ORDINAL),
    EM(console_console_read, CONSOLE_CONSOLE_READ_ORDINAL),
    EM(console_console_get_mode, CONSOLE_CONSOLE_GET_MODE_ORDINAL),
    EM(console_console_set_mode, CONSOLE_CONSOLE_SET_MODE_ORDINAL),
    EM(console_console_get_size, CONSOLE_CONSOLE_GET_SIZE_ORDINAL),
    EM(sys_services_lookup, SYS_SERVICES_LOOKUP_ORDINAL),
    EM(sys_services_publish, SYS_SERVICES_PUBLISH_ORDINAL),
    EM(sys_services_withdraw, SYS_SERVICES_WITHDRAW_ORDINAL),
};

static void test_error_replies(void **state)
{
	(void)state;
	static const sys_errno values[] = {SYS_ERRNO_NOT_FOUND, SYS_ERRNO_IO, SYS_ERRNO_RANGE};
	for (size_t m = 0; m < sizeof(error_methods) / sizeof(error_methods[0]); m++) {
		const struct error_method *em = &error_methods[m];
		for (size_t v = 0; v < 3; v++) {
			memset(g_wire, 0xee, sizeof(g_wire));
			int64_t n = em->encode(0x99, values[v], g_wire, sizeof(g_wire));
			assert_int_equal(n, IDL_ERROR_FRAME_BYTES);
			const idl_frame_header *h = (const void *)g_wire;
			assert_int_equal(h->size, IDL_ERROR_FRAME_BYTES);
			assert_int_equal(h->ordinal, em->ordinal);
			assert_int_equal(h->flags, IDL_FLAG_REPLY | IDL_FLAG_ERROR);
			assert_int_equal(h->txid, 0x99);
			memcpy(g_priv, g_wire, IDL_ERROR_FRAME_BYTES);
			sys_errno got = 0;
			assert_int_equal(em->validate(g_priv, IDL_ERROR_FRAME_BYTES, &got), IDL_OK);
			assert_int_equal(got, values[v]);
		}
		assert_int_equal(em->encode(1, 0, g_wire, sizeof(g_wire)), IDL_E_INVALID_ARGUMENT);
		assert_int_equal(em->encode(1, 23, g_wire, sizeof(g_wire)), IDL_E_INVALID_ARGUMENT);
		assert_int_equal(em->encode(1, 1, g_wire, IDL_ERROR_FRAME_BYTES - 1), IDL_E_BUFFER);
		assert_int_equal(em->encode(1, 1, g_wire + 4, 64), IDL_E_BUFFER);
	}
}

/* ---------------------------------------------------------------- net */

static net_ip_address ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	net_ip_address ip;
	memset(&ip, 0, sizeof(ip));
	ip.tag = NET_IP_ADDRESS_V4;
	ip.v4[0] = a;
	ip.v4[1] = b;
	ip.v4[2] = c;
	ip.v4[3] = d;
	return ip;
}

static net_ip_address ip6(uint8_t seed)
{
	net_ip_address ip;
	memset(&ip, 0, sizeof(ip));
	ip.tag = NET_IP_ADDRESS_V6;
	for (int i = 0; i < 16; i++)
		ip.v6[i] = (uint8_t)(seed + i);
	return ip;
}

static void test_net_socket(void **state)
{
	(void)state;
	net_socket_open_request op = {.kind = NET_SOCKET_KIND_STREAM};
	ROUND_TRIP_FIXED(net_socket_open_request, NET_SOCKET_OPEN_REQUEST_MAX_BYTES, &op, 1u);
	op.kind = 3;
	ENCODE_REJECTS(net_socket_open_request, &op, 1u);
	op.kind = 0;
	ENCODE_REJECTS(net_socket_open_request, &op, 1u);
	net_socket_open_reply opr = {.socket = 12};
	ROUND_TRIP_FIXED(net_socket_open_reply, NET_SOCKET_OPEN_REPLY_MAX_BYTES, &opr, 1u);

	for (int variant = 0; variant < 2; variant++) {
		net_socket_address a;
		memset(&a, 0, sizeof(a));
		a.ip = variant ? ip6(0x20) : ip4(192, 0, 2, 1);
		a.port = 8080;
		net_socket_bind_request b;
		memset(&b, 0, sizeof(b));
		b.socket = 3;
		b.addr = a;
		ROUND_TRIP_FIXED(net_socket_bind_request, NET_SOCKET_BIND_REQUEST_MAX_BYTES, &b,
		                 1u);
		net_socket_local_address_reply la;
		memset(&la, 0, sizeof(la));
		la.addr = a;
		ROUND_TRIP_FIXED(net_socket_local_address_reply,
		                 NET_SOCKET_LOCAL_ADDRESS_REPLY_MAX_BYTES, &la, 1u);
		net_socket_connect_request c;
		memset(&c, 0, sizeof(c));
		c.socket = 4;
		c.to = a;
		ROUND_TRIP_FIXED(net_socket_connect_request, NET_SOCKET_CONNECT_REQUEST_MAX_BYTES,
		                 &c, 1u);
		net_socket_accept_reply ac;
		memset(&ac, 0, sizeof(ac));
		ac.connection = 5;
		ac.peer = a;
		ROUND_TRIP_FIXED(net_socket_accept_reply, NET_SOCKET_ACCEPT_REPLY_MAX_BYTES, &ac,
		                 1u);
		static const uint32_t lens[] = {0, 1, NET_MAX_DATAGRAM};
		for (int k = 0; k < 3; k++) {
			const uint8_t *p = pattern(lens[k]);
			net_socket_send_to_request st;
			memset(&st, 0, sizeof(st));
			st.socket = 6;
			st.to = a;
			st.data = (idl_bytes){.size = lens[k], .data = p};
			const net_socket_send_to_request *o;
			ROUND_TRIP(net_socket_send_to_request, NET_SOCKET_SEND_TO_REQUEST_MAX_BYTES,
			           &st, 1u, 0u, o);
			assert_int_equal(o->socket, 6);
			assert_memory_equal(&o->to, &a, sizeof(a));
			assert_bytes(o->data, p, lens[k]);
			net_socket_receive_from_reply rf;
			memset(&rf, 0, sizeof(rf));
			rf.from = a;
			rf.data = st.data;
			const net_socket_receive_from_reply *orf;
			ROUND_TRIP(net_socket_receive_from_reply,
			           NET_SOCKET_RECEIVE_FROM_REPLY_MAX_BYTES, &rf, 1u, 0u, orf);
			assert_memory_equal(&orf->from, &a, sizeof(a));
			assert_bytes(orf->data, p, lens[k]);
		}
	}
	net_socket_bind_request b;
	memset(&b, 0, sizeof(b));
	b.addr.ip.tag = 5; /* undeclared union tag */
	ENCODE_REJECTS(net_socket_bind_request, &b, 1u);
	b.addr.ip.tag = 0;
	ENCODE_REJECTS(net_socket_bind_request, &b, 1u);

	net_socket_bind_reply br = {0};
	ROUND_TRIP_FIXED(net_socket_bind_reply, NET_SOCKET_BIND_REPLY_MAX_BYTES, &br, 1u);
	net_socket_local_address_request lq = {.socket = 7};
	ROUND_TRIP_FIXED(net_socket_local_address_request,
	                 NET_SOCKET_LOCAL_ADDRESS_REQUEST_MAX_BYTES, &lq, 1u);
	net_socket_connect_reply cr = {0};
	ROUND_TRIP_FIXED(net_socket_connect_reply, NET_SOCKET_CONNECT_REPLY_MAX_BYTES, &cr, 1u);
	net_socket_listen_request li = {.socket = 1, .backlog = 128};
	ROUND_TRIP_FIXED(net_socket_listen_request, NET_SOCKET_LISTEN_REQUEST_MAX_BYTES, &li, 1u);
	net_socket_listen_reply lr = {0};
	ROUND_TRIP_FIXED(net_socket_listen_reply, NET_SOCKET_LISTEN_REPLY_MAX_BYTES, &lr, 1u);
	net_socket_accept_request aq = {.socket = 2};
	ROUND_TRIP_FIXED(net_socket_accept_request, NET_SOCKET_ACCEPT_REQUEST_MAX_BYTES, &aq, 1u);
	net_socket_send_to_reply sr = {.sent = 1500};
	ROUND_TRIP_FIXED(net_socket_send_to_reply, NET_SOCKET_SEND_TO_REPLY_MAX_BYTES, &sr, 1u);
	net_socket_receive_from_request rfq = {.socket = 1, .max = 1500};
	ROUND_TRIP_FIXED(net_socket_receive_from_request, NET_SOCKET_RECEIVE_FROM_REQUEST_MAX_BYTES,
	                 &rfq, 1u);
	net_socket_send_reply ssr = {.sent = 6000};
	ROUND_TRIP_FIXED(net_socket_send_reply, NET_SOCKET_SEND_REPLY_MAX_BYTES, &ssr, 1u);
	net_socket_receive_request rq = {.socket = 1, .max = 6000};
	ROUND_TRIP_FIXED(net_socket_receive_request, NET_SOCKET_RECEIVE_REQUEST_MAX_BYTES, &rq, 1u);
	net_socket_shutdown_request sh = {.socket = 1, .how = NET_SHUTDOWN_MASK};
	ROUND_TRIP_FIXED(net_socket_shutdown_request, NET_SOCKET_SHUTDOWN_REQUEST_MAX_BYTES, &sh,
	                 1u);
	sh.how = 4;
	ENCODE_REJECTS(net_socket_shutdown_request, &sh, 1u);
	net_socket_shutdown_reply shr = {0};
	ROUND_TRIP_FIXED(net_socket_shutdown_reply, NET_SOCKET_SHUTDOWN_REPLY_MAX_BYTES, &shr, 1u);
	net_socket_close_request clq = {.socket = 1};
	ROUND_TRIP_FIXED(net_socket_close_request, NET_SOCKET_CLOSE_REQUEST_MAX_BYTES, &clq, 1u);
	net_socket_close_reply clr = {0};
	ROUND_TRIP_FIXED(net_socket_close_reply, NET_SOCKET_CLOSE_REPLY_MAX_BYTES, &clr, 1u);
	net_socket_readable_event re = {.socket = 9};
	ROUND_TRIP_FIXED(net_socket_readable_event, NET_SOCKET_READABLE_EVENT_MAX_BYTES, &re, 0u);
	net_socket_writable_event we = {.socket = 9};
	ROUND_TRIP_FIXED(net_socket_writable_event, NET_SOCKET_WRITABLE_EVENT_MAX_BYTES, &we, 0u);

	static const uint32_t lens[] = {0, 3, NET_MAX_STREAM_IO};
	for (int k = 0; k < 3; k++) {
		const uint8_t *p = pattern(lens[k]);
		net_socket_send_request s = {.socket = 2};
		s.data = (idl_bytes){.size = lens[k], .data = p};
		const net_socket_send_request *o;
		ROUND_TRIP(net_socket_send_request, NET_SOCKET_SEND_REQUEST_MAX_BYTES, &s, 1u, 0u,
		           o);
		assert_int_equal(o->socket, 2);
		assert_bytes(o->data, p, lens[k]);
		net_socket_receive_reply r = {0};
		r.data = s.data;
		const net_socket_receive_reply *orr;
		ROUND_TRIP(net_socket_receive_reply, NET_SOCKET_RECEIVE_REPLY_MAX_BYTES, &r, 1u, 0u,
		           orr);
		assert_bytes(orr->data, p, lens[k]);
	}
	assert_int_equal(g_size, NET_SOCKET_RECEIVE_REPLY_MAX_BYTES);
	net_socket_send_request s = {.socket = 2};
	s.data = (idl_bytes){.size = NET_MAX_STREAM_IO + 1, .data = g_data};
	ENCODE_REJECTS(net_socket_send_request, &s, 1u);
}

static net_interface_info g_ifs[NET_MAX_INTERFACES];
static net_interface_address g_addrs[NET_MAX_INTERFACES][NET_MAX_ADDRESSES];
static char g_ifnames[NET_MAX_INTERFACES][NET_MAX_INTERFACE_NAME + 1];

static void fill_interfaces(void)
{
	memset(g_ifs, 0, sizeof(g_ifs));
	memset(g_addrs, 0, sizeof(g_addrs));
	for (uint32_t i = 0; i < NET_MAX_INTERFACES; i++) {
		net_interface_info *f = &g_ifs[i];
		uint32_t len = i == 0 ? NET_MAX_INTERFACE_NAME : i % 4;
		memset(g_ifnames[i], 'a' + (int)i, len);
		g_ifnames[i][len] = 0;
		f->index = i + 1;
		f->name = (idl_string){.size = len, .data = g_ifnames[i]};
		for (int m = 0; m < 6; m++)
			f->mac[m] = (uint8_t)(i * 6 + m);
		f->mtu = 1500 + i;
		f->flags = (net_link_flags)(i & NET_LINK_FLAGS_MASK);
		uint32_t n = i == 0 ? NET_MAX_ADDRESSES : i % 3;
		for (uint32_t a = 0; a < n; a++) {
			g_addrs[i][a].ip =
			    a % 2 ? ip6((uint8_t)a) : ip4(10, 0, (uint8_t)i, (uint8_t)a);
			g_addrs[i][a].prefix_length = (uint8_t)(8 + a);
		}
		f->addresses.count = n;
		f->addresses.items = n ? g_addrs[i] : NULL;
		f->gateway.present = i % 2 == 0;
		if (f->gateway.present)
			f->gateway.value = i % 4 ? ip6(0x40) : ip4(10, 0, 0, 1);
	}
}

static void test_net_config(void **state)
{
	(void)state;
	fill_interfaces();
	static const uint32_t counts[] = {0, 1, 5, NET_MAX_INTERFACES};
	for (int k = 0; k < 4; k++) {
		net_config_list_interfaces_reply r = {0};
		r.interfaces.count = counts[k];
		r.interfaces.items = g_ifs;
		const net_config_list_interfaces_reply *o;
		ROUND_TRIP(net_config_list_interfaces_reply,
		           NET_CONFIG_LIST_INTERFACES_REPLY_MAX_BYTES, &r, 1u, 0u, o);
		assert_int_equal(o->interfaces.count, counts[k]);
		for (uint32_t i = 0; i < counts[k]; i++) {
			const net_interface_info *a = &o->interfaces.items[i], *b = &g_ifs[i];
			assert_int_equal(a->index, b->index);
			assert_string(a->name, b->name);
			assert_memory_equal(a->mac, b->mac, 6);
			assert_int_equal(a->mtu, b->mtu);
			assert_int_equal(a->flags, b->flags);
			assert_int_equal(a->addresses.count, b->addresses.count);
			for (uint32_t j = 0; j < b->addresses.count; j++)
				assert_memory_equal(&a->addresses.items[j], &b->addresses.items[j],
				                    sizeof(net_interface_address));
			assert_int_equal(a->gateway.present, b->gateway.present);
			assert_memory_equal(&a->gateway.value, &b->gateway.value,
			                    sizeof(net_ip_address));
		}
	}
	net_config_list_interfaces_reply r = {0};
	r.interfaces.count = NET_MAX_INTERFACES + 1;
	r.interfaces.items = g_ifs;
	ENCODE_REJECTS(net_config_list_interfaces_reply, &r, 1u);
	r.interfaces.count = 2;
	g_ifs[1].flags = 0x10;
	ENCODE_REJECTS(net_config_list_interfaces_reply, &r, 1u);
	fill_interfaces();
	g_ifs[1].name = text(NET_MAX_INTERFACE_NAME + 1);
	ENCODE_REJECTS(net_config_list_interfaces_reply, &r, 1u);
	fill_interfaces();
	g_ifs[1].addresses.count = NET_MAX_ADDRESSES + 1;
	ENCODE_REJECTS(net_config_list_interfaces_reply, &r, 1u);
	fill_interfaces();

	net_config_list_interfaces_request lq = {0};
	ROUND_TRIP_FIXED(net_config_list_interfaces_request,
	                 NET_CONFIG_LIST_INTERFACES_REQUEST_MAX_BYTES, &lq, 1u);
	net_config_add_address_request aa;
	memset(&aa, 0, sizeof(aa));
	aa.index = 2;
	aa.address.ip = ip6(1);
	aa.address.prefix_length = 64;
	ROUND_TRIP_FIXED(net_config_add_address_request, NET_CONFIG_ADD_ADDRESS_REQUEST_MAX_BYTES,
	                 &aa, 1u);
	net_config_add_address_reply aar = {0};
	ROUND_TRIP_FIXED(net_config_add_address_reply, NET_CONFIG_ADD_ADDRESS_REPLY_MAX_BYTES, &aar,
	                 1u);
	net_config_remove_address_request ra;
	memset(&ra, 0, sizeof(ra));
	ra.index = 2;
	ra.address.ip = ip4(1, 2, 3, 4);
	ra.address.prefix_length = 24;
	ROUND_TRIP_FIXED(net_config_remove_address_request,
	                 NET_CONFIG_REMOVE_ADDRESS_REQUEST_MAX_BYTES, &ra, 1u);
	ra.address.ip.tag = 7;
	ENCODE_REJECTS(net_config_remove_address_request, &ra, 1u);
	net_config_remove_address_reply rar = {0};
	ROUND_TRIP_FIXED(net_config_remove_address_reply, NET_CONFIG_REMOVE_ADDRESS_REPLY_MAX_BYTES,
	                 &rar, 1u);
	net_config_set_gateway_request sg;
	memset(&sg, 0, sizeof(sg));
	sg.index = 3;
	ROUND_TRIP_FIXED(net_config_set_gateway_request, NET_CONFIG_SET_GATEWAY_REQUEST_MAX_BYTES,
	                 &sg, 1u);
	sg.gateway.present = true;
	sg.gateway.value = ip4(10, 0, 0, 1);
	ROUND_TRIP_FIXED(net_config_set_gateway_request, NET_CONFIG_SET_GATEWAY_REQUEST_MAX_BYTES,
	                 &sg, 1u);
	sg.gateway.value = ip6(9);
	ROUND_TRIP_FIXED(net_config_set_gateway_request, NET_CONFIG_SET_GATEWAY_REQUEST_MAX_BYTES,
	                 &sg, 1u);
	net_config_set_gateway_reply sgr = {0};
	ROUND_TRIP_FIXED(net_config_set_gateway_reply, NET_CONFIG_SET_GATEWAY_REPLY_MAX_BYTES, &sgr,
	                 1u);
	net_config_set_flags_request sf = {.index = 1, .flags = NET_LINK_FLAGS_MASK};
	ROUND_TRIP_FIXED(net_config_set_flags_request, NET_CONFIG_SET_FLAGS_REQUEST_MAX_BYTES, &sf,
	                 1u);
	sf.flags = 0x80000000u;
	ENCODE_REJECTS(net_config_set_flags_request, &sf, 1u);
	net_config_set_flags_reply sfr = {0};
	ROUND_TRIP_FIXED(net_config_set_flags_reply, NET_CONFIG_SET_FLAGS_REPLY_MAX_BYTES, &sfr,
	                 1u);
	net_config_interfaces_changed_event ic = {0};
	ROUND_TRIP_FIXED(net_config_interfaces_changed_event,
	                 NET_CONFIG_INTERFACES_CHANGED_EVENT_MAX_BYTES, &ic, 0u);
}

/* ---------------------------------------------------------------- pci */

static pci_address paddr(uint8_t n)
{
	pci_address a;
	memset(&a, 0, sizeof(a));
	a.segment = (uint16_t)(n * 3);
	a.bus = n;
	a.device = (uint8_t)(n % 32);
	a.function = (uint8_t)(n % 8);
	return a;
}

static pci_device_info pinfo(uint8_t n)
{
	pci_device_info d;
	memset(&d, 0, sizeof(d));
	d.address = paddr(n);
	d.vendor_id = 0x8086;
	d.device_id = (uint16_t)(0x100 + n);
	d.subsystem_vendor_id = 0x1af4;
	d.subsystem_id = n;
	d.base_class = 2;
	d.subclass = 0;
	d.prog_if = 1;
	d.revision = n;
	d.interrupt_pin = (pci_interrupt_pin)(n % 5);
	d.claimed = n % 2;
	for (int b = 0; b < 6; b++) {
		d.bars[b].kind = (pci_bar_kind)(b % 3);
		d.bars[b].flags = (pci_bar_flags)(b % 4);
		d.bars[b].address = 0xfe000000ull + (uint64_t)b * 0x1000;
		d.bars[b].size = b % 3 ? 0x1000 : 0;
	}
	return d;
}

static pci_device_info g_devices[PCI_ENUMERATE_BATCH];
static pci_address g_found[PCI_MAX_FOUND];

static void test_pci(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < PCI_ENUMERATE_BATCH; i++)
		g_devices[i] = pinfo((uint8_t)i);
	static const uint32_t counts[] = {0, 1, PCI_ENUMERATE_BATCH};
	for (int k = 0; k < 3; k++) {
		pci_bus_enumerate_reply r = {.next_cookie = 9, .done = k == 2};
		r.devices.count = counts[k];
		r.devices.items = g_devices;
		const pci_bus_enumerate_reply *o;
		ROUND_TRIP(pci_bus_enumerate_reply, PCI_BUS_ENUMERATE_REPLY_MAX_BYTES, &r, 1u, 0u,
		           o);
		assert_int_equal(o->devices.count, counts[k]);
		if (counts[k])
			assert_memory_equal(o->devices.items, g_devices,
			                    counts[k] * sizeof(pci_device_info));
		assert_int_equal(o->next_cookie, 9);
		assert_int_equal(o->done, k == 2);
	}
	assert_int_equal(g_size, PCI_BUS_ENUMERATE_REPLY_MAX_BYTES);
	pci_bus_enumerate_reply r = {0};
	r.devices.count = 2;
	r.devices.items = g_devices;
	g_devices[1].bars[2].kind = 3;
	ENCODE_REJECTS(pci_bus_enumerate_reply, &r, 1u);
	g_devices[1] = pinfo(1);
	g_devices[1].bars[2].flags = 4;
	ENCODE_REJECTS(pci_bus_enumerate_reply, &r, 1u);
	g_devices[1] = pinfo(1);
	g_devices[1].interrupt_pin = 5;
	ENCODE_REJECTS(pci_bus_enumerate_reply, &r, 1u);
	g_devices[1] = pinfo(1);
	r.devices.count = PCI_ENUMERATE_BATCH + 1;
	ENCODE_REJECTS(pci_bus_enumerate_reply, &r, 1u);

	for (uint32_t i = 0; i < PCI_MAX_FOUND; i++)
		g_found[i] = paddr((uint8_t)i);
	static const uint32_t fcounts[] = {0, 7, PCI_MAX_FOUND};
	for (int k = 0; k < 3; k++) {
		pci_bus_find_reply f = {0};
		f.devices.count = fcounts[k];
		f.devices.items = g_found;
		const pci_bus_find_reply *o;
		ROUND_TRIP(pci_bus_find_reply, PCI_BUS_FIND_REPLY_MAX_BYTES, &f, 1u, 0u, o);
		assert_int_equal(o->devices.count, fcounts[k]);
		if (fcounts[k])
			assert_memory_equal(o->devices.items, g_found,
			                    fcounts[k] * sizeof(pci_address));
	}
	assert_int_equal(g_size, PCI_BUS_FIND_REPLY_MAX_BYTES);

	pci_bus_enumerate_request eq = {.cookie = 77};
	ROUND_TRIP_FIXED(pci_bus_enumerate_request, PCI_BUS_ENUMERATE_REQUEST_MAX_BYTES, &eq, 1u);
	pci_bus_find_request fq;
	memset(&fq, 0, sizeof(fq));
	ROUND_TRIP_FIXED(pci_bus_find_request, PCI_BUS_FIND_REQUEST_MAX_BYTES, &fq, 1u);
	fq.filter.vendor_id.present = true;
	fq.filter.vendor_id.value = 0x8086;
	fq.filter.subclass.present = true;
	fq.filter.subclass.value = 0;
	fq.filter.prog_if.present = true;
	fq.filter.prog_if.value = 0xff;
	ROUND_TRIP_FIXED(pci_bus_find_request, PCI_BUS_FIND_REQUEST_MAX_BYTES, &fq, 1u);
	fq.filter.device_id.present = true;
	fq.filter.device_id.value = 0xffff;
	fq.filter.base_class.present = true;
	fq.filter.base_class.value = 1;
	ROUND_TRIP_FIXED(pci_bus_find_request, PCI_BUS_FIND_REQUEST_MAX_BYTES, &fq, 1u);

	pci_bus_config_read_request cr;
	memset(&cr, 0, sizeof(cr));
	cr.address = paddr(3);
	cr.offset = 0xffc;
	cr.width = PCI_WIDTH_DWORD;
	ROUND_TRIP_FIXED(pci_bus_config_read_request, PCI_BUS_CONFIG_READ_REQUEST_MAX_BYTES, &cr,
	                 1u);
	assert_int_equal(PCI_BUS_CONFIG_READ_ORDINAL, 0x1354bd82);
	cr.width = 3;
	ENCODE_REJECTS(pci_bus_config_read_request, &cr, 1u);
	pci_bus_config_read_reply crr = {.value = 0xdeadbeef};
	ROUND_TRIP_FIXED(pci_bus_config_read_reply, PCI_BUS_CONFIG_READ_REPLY_MAX_BYTES, &crr, 1u);
	pci_bus_config_write_request cw;
	memset(&cw, 0, sizeof(cw));
	cw.address = paddr(4);
	cw.offset = 4;
	cw.width = PCI_WIDTH_WORD;
	cw.value = 0x1234;
	ROUND_TRIP_FIXED(pci_bus_config_write_request, PCI_BUS_CONFIG_WRITE_REQUEST_MAX_BYTES, &cw,
	                 1u);
	pci_bus_config_write_reply cwr = {0};
	ROUND_TRIP_FIXED(pci_bus_config_write_reply, PCI_BUS_CONFIG_WRITE_REPLY_MAX_BYTES, &cwr,
	                 1u);
	pci_bus_set_command_request sc;
	memset(&sc, 0, sizeof(sc));
	sc.address = paddr(5);
	sc.enable = PCI_COMMAND_BUS_MASTER | PCI_COMMAND_MEMORY_SPACE;
	sc.disable = PCI_COMMAND_INTX_DISABLE;
	ROUND_TRIP_FIXED(pci_bus_set_command_request, PCI_BUS_SET_COMMAND_REQUEST_MAX_BYTES, &sc,
	                 1u);
	sc.disable = 0x8;
	ENCODE_REJECTS(pci_bus_set_command_request, &sc, 1u);
	pci_bus_set_command_reply scr = {.command = PCI_COMMAND_MASK};
	ROUND_TRIP_FIXED(pci_bus_set_command_reply, PCI_BUS_SET_COMMAND_REPLY_MAX_BYTES, &scr, 1u);
	pci_bus_claim_request cl;
	memset(&cl, 0, sizeof(cl));
	cl.address = paddr(6);
	ROUND_TRIP_FIXED(pci_bus_claim_request, PCI_BUS_CLAIM_REQUEST_MAX_BYTES, &cl, 1u);
	pci_bus_release_request rl;
	memset(&rl, 0, sizeof(rl));
	rl.address = paddr(7);
	ROUND_TRIP_FIXED(pci_bus_release_request, PCI_BUS_RELEASE_REQUEST_MAX_BYTES, &rl, 1u);
	pci_bus_release_reply rlr = {0};
	ROUND_TRIP_FIXED(pci_bus_release_reply, PCI_BUS_RELEASE_REPLY_MAX_BYTES, &rlr, 1u);
	pci_bus_device_added_event da;
	memset(&da, 0, sizeof(da));
	da.info = pinfo(9);
	ROUND_TRIP_FIXED(pci_bus_device_added_event, PCI_BUS_DEVICE_ADDED_EVENT_MAX_BYTES, &da, 0u);
	da.info.interrupt_pin = 9;
	ENCODE_REJECTS(pci_bus_device_added_event, &da, 0u);
	pci_bus_device_removed_event dr;
	memset(&dr, 0, sizeof(dr));
	dr.address = paddr(10);
	ROUND_TRIP_FIXED(pci_bus_device_removed_event, PCI_BUS_DEVICE_REMOVED_EVENT_MAX_BYTES, &dr,
	                 0u);
}

/* claim's reply carries optional handles: every presence pattern, each
 * handle with the kind its field declares. */
static void test_pci_claim_handles(void **state)
{
	(void)state;
	for (unsigned mask = 0; mask < 8192; mask += 97) {
		pci_bus_claim_reply r;
		memset(&r, 0, sizeof(r));
		r.info = pinfo(1);
		uint32_t expected[16], kinds[16], n = 0;
		for (int b = 0; b < 6; b++) {
			r.memory_bars[b].present = (mask >> b) & 1;
			if (r.memory_bars[b].present) {
				r.memory_bars[b].value = 100 + (uint32_t)b;
				kinds[n] = IDL_KIND_MMIO;
				expected[n++] = r.memory_bars[b].value;
			}
		}
		for (int b = 0; b < 6; b++) {
			r.io_bars[b].present = (mask >> (6 + b)) & 1;
			if (r.io_bars[b].present) {
				r.io_bars[b].value = 150 + (uint32_t)b;
				kinds[n] = IDL_KIND_IOPORT;
				expected[n++] = r.io_bars[b].value;
			}
		}
		r.irq.present = (mask >> 12) & 1;
		if (r.irq.present) {
			r.irq.value = 200;
			kinds[n] = IDL_KIND_IRQ;
			expected[n++] = 200;
		}
		r.dma = 300;
		kinds[n] = IDL_KIND_DMA;
		expected[n++] = 300;
		const pci_bus_claim_reply *o;
		ROUND_TRIP(pci_bus_claim_reply, PCI_BUS_CLAIM_REPLY_MAX_BYTES, &r, 3u, n, o);
		for (uint32_t i = 0; i < n; i++) {
			assert_int_equal(g_hout[i].value, expected[i]);
			assert_int_equal(g_hout[i].kind, kinds[i]);
		}
		assert_memory_equal(&o->info, &r.info, sizeof(r.info));
		for (int b = 0; b < 6; b++) {
			assert_int_equal(o->memory_bars[b].present, r.memory_bars[b].present);
			assert_int_equal(
			    o->memory_bars[b].value,
			    r.memory_bars[b].present ? r.memory_bars[b].value + HANDLE_REMAP : 0);
			assert_int_equal(o->io_bars[b].present, r.io_bars[b].present);
			assert_int_equal(o->io_bars[b].value,
			                 r.io_bars[b].present ? r.io_bars[b].value + HANDLE_REMAP
			                                      : 0);
		}
		assert_int_equal(o->irq.present, r.irq.present);
		assert_int_equal(o->irq.value, r.irq.present ? 200 + HANDLE_REMAP : 0);
		assert_int_equal(o->dma, 300 + HANDLE_REMAP);
	}
	pci_bus_claim_reply r;
	memset(&r, 0, sizeof(r));
	r.dma = IDL_HANDLE_INVALID;
	ENCODE_REJECTS(pci_bus_claim_reply, &r, 3u);
}

/* ------------------------------------------------------------ console */

static void test_console(void **state)
{
	(void)state;
	static const uint32_t lens[] = {0, 1, CONSOLE_MAX_WRITE};
	for (int k = 0; k < 3; k++) {
		const uint8_t *p = pattern(lens[k]);
		idl_bytes data = {.size = lens[k], .data = p};
		console_console_write_request w = {0};
		w.data = data;
		const console_console_write_request *ow;
		ROUND_TRIP(console_console_write_request, CONSOLE_CONSOLE_WRITE_REQUEST_MAX_BYTES,
		           &w, 1u, 0u, ow);
		assert_bytes(ow->data, p, lens[k]);
		console_console_print_request pr = {0};
		pr.data = data;
		const console_console_print_request *op;
		ROUND_TRIP(console_console_print_request, CONSOLE_CONSOLE_PRINT_REQUEST_MAX_BYTES,
		           &pr, 0u, 0u, op);
		assert_bytes(op->data, p, lens[k]);
		console_console_read_reply rr = {0};
		rr.data = data;
		const console_console_read_reply *orr;
		ROUND_TRIP(console_console_read_reply, CONSOLE_CONSOLE_READ_REPLY_MAX_BYTES, &rr,
		           1u, 0u, orr);
		assert_bytes(orr->data, p, lens[k]);
	}
	console_console_write_request w = {0};
	w.data = (idl_bytes){.size = CONSOLE_MAX_WRITE + 1, .data = g_data};
	ENCODE_REJECTS(console_console_write_request, &w, 1u);

	console_console_write_reply wr = {.written = 4096};
	ROUND_TRIP_FIXED(console_console_write_reply, CONSOLE_CONSOLE_WRITE_REPLY_MAX_BYTES, &wr,
	                 1u);
	console_console_read_request rq = {.max = 10};
	ROUND_TRIP_FIXED(console_console_read_request, CONSOLE_CONSOLE_READ_REQUEST_MAX_BYTES, &rq,
	                 1u);
	console_console_get_mode_request gm = {0};
	ROUND_TRIP_FIXED(console_console_get_mode_request,
	                 CONSOLE_CONSOLE_GET_MODE_REQUEST_MAX_BYTES, &gm, 1u);
	console_console_get_mode_reply gmr = {.mode = CONSOLE_MODE_ECHO | CONSOLE_MODE_CANONICAL};
	ROUND_TRIP_FIXED(console_console_get_mode_reply, CONSOLE_CONSOLE_GET_MODE_REPLY_MAX_BYTES,
	                 &gmr, 1u);
	gmr.mode = 0x10;
	ENCODE_REJECTS(console_console_get_mode_reply, &gmr, 1u);
	console_console_set_mode_request sm = {.mode = CONSOLE_MODE_MASK};
	ROUND_TRIP_FIXED(console_console_set_mode_request,
	                 CONSOLE_CONSOLE_SET_MODE_REQUEST_MAX_BYTES, &sm, 1u);
	console_console_set_mode_reply smr = {0};
	ROUND_TRIP_FIXED(console_console_set_mode_reply, CONSOLE_CONSOLE_SET_MODE_REPLY_MAX_BYTES,
	                 &smr, 1u);
	console_console_get_size_request gs = {0};
	ROUND_TRIP_FIXED(console_console_get_size_request,
	                 CONSOLE_CONSOLE_GET_SIZE_REQUEST_MAX_BYTES, &gs, 1u);
	console_console_get_size_reply gsr;
	memset(&gsr, 0, sizeof(gsr));
	ROUND_TRIP_FIXED(console_console_get_size_reply, CONSOLE_CONSOLE_GET_SIZE_REPLY_MAX_BYTES,
	                 &gsr, 1u);
	gsr.size.present = true;
	gsr.size.value.columns = 80;
	gsr.size.value.rows = 25;
	ROUND_TRIP_FIXED(console_console_get_size_reply, CONSOLE_CONSOLE_GET_SIZE_REPLY_MAX_BYTES,
	                 &gsr, 1u);
	console_console_input_available_event ia = {.available = 3};
	ROUND_TRIP_FIXED(console_console_input_available_event,
	                 CONSOLE_CONSOLE_INPUT_AVAILABLE_EVENT_MAX_BYTES, &ia, 0u);
	console_console_resized_event rs;
	memset(&rs, 0, sizeof(rs));
	rs.size.columns = 132;
	rs.size.rows = 43;
	ROUND_TRIP_FIXED(console_console_resized_event, CONSOLE_CONSOLE_RESIZED_EVENT_MAX_BYTES,
	                 &rs, 0u);
}

/* ---------------------------------------------------------------- sys */

static void test_sys(void **state)
{
	(void)state;
	static const uint32_t lens[] = {0, 5, SYS_MAX_SERVICE_NAME};
	for (int k = 0; k < 3; k++) {
		idl_string name = text(lens[k]);
		sys_services_lookup_request l = {0};
		l.name = name;
		const sys_services_lookup_request *ol;
		ROUND_TRIP(sys_services_lookup_request, SYS_SERVICES_LOOKUP_REQUEST_MAX_BYTES, &l,
		           1u, 0u, ol);
		assert_string(ol->name, name);
		sys_services_publish_request p = {.listener = 55};
		p.name = name;
		const sys_services_publish_request *op;
		ROUND_TRIP(sys_services_publish_request, SYS_SERVICES_PUBLISH_REQUEST_MAX_BYTES, &p,
		           1u, 1u, op);
		assert_string(op->name, name);
		assert_int_equal(g_hout[0].value, 55);
		assert_int_equal(g_hout[0].kind, IDL_KIND_CHANNEL);
		assert_int_equal(op->listener, 55 + HANDLE_REMAP);
		sys_services_withdraw_request w = {0};
		w.name = name;
		const sys_services_withdraw_request *ow;
		ROUND_TRIP(sys_services_withdraw_request, SYS_SERVICES_WITHDRAW_REQUEST_MAX_BYTES,
		           &w, 1u, 0u, ow);
		assert_string(ow->name, name);
		sys_services_published_event e = {0};
		e.name = name;
		const sys_services_published_event *oe;
		ROUND_TRIP(sys_services_published_event, SYS_SERVICES_PUBLISHED_EVENT_MAX_BYTES, &e,
		           0u, 0u, oe);
		assert_string(oe->name, name);
	}
	assert_int_equal(g_size, SYS_SERVICES_PUBLISHED_EVENT_MAX_BYTES);
	sys_services_lookup_reply lr = {.channel = 8};
	const sys_services_lookup_reply *olr;
	ROUND_TRIP(sys_services_lookup_reply, SYS_SERVICES_LOOKUP_REPLY_MAX_BYTES, &lr, 1u, 1u,
	           olr);
	assert_int_equal(olr->channel, 8 + HANDLE_REMAP);
	sys_services_publish_reply pr = {0};
	ROUND_TRIP_FIXED(sys_services_publish_reply, SYS_SERVICES_PUBLISH_REPLY_MAX_BYTES, &pr, 1u);
	sys_services_withdraw_reply wr = {0};
	ROUND_TRIP_FIXED(sys_services_withdraw_reply, SYS_SERVICES_WITHDRAW_REPLY_MAX_BYTES, &wr,
	                 1u);
	sys_services_lookup_request l = {0};
	l.name = text(SYS_MAX_SERVICE_NAME + 1);
	ENCODE_REJECTS(sys_services_lookup_request, &l, 1u);
	sys_services_published_event e = {0};
	e.name = text(SYS_MAX_SERVICE_NAME + 1);
	ENCODE_REJECTS(sys_services_published_event, &e, 0u);
}

/* ------------------------------------------------------------ loopback */

struct fs_server {
	loopback *lb;
	int dispatched;
	int last_err;
	uint32_t last_fd;
	fs_file_advise_request advised;
	int advise_calls;
};

static _Alignas(8) uint8_t g_server_buf[FS_MAX_FRAME];

static int h_open(idl_request *r, const fs_file_open_request *req, fs_file_open_reply *reply,
                  sys_errno *error)
{
	(void)r;
	if (req->path.size == 7 && memcmp(req->path.data, "missing", 7) == 0) {
		*error = SYS_ERRNO_NOT_FOUND;
		return IDL_E_REMOTE;
	}
	reply->fd = req->path.size + req->flags * 1000 + req->mode * 100000;
	return IDL_OK;
}

static int h_readdir(idl_request *r, const fs_file_readdir_request *req,
                     fs_file_readdir_reply *reply, sys_errno *error)
{
	(void)r;
	if (req->fd == 0) {
		*error = SYS_ERRNO_NOT_DIR;
		return IDL_E_REMOTE;
	}
	reply->entries.count = FS_READDIR_BATCH;
	reply->entries.items = g_entries;
	reply->next_cookie = req->cookie + FS_READDIR_BATCH;
	reply->done = true;
	return IDL_OK;
}

static int h_advise(idl_request *r, const fs_file_advise_request *req)
{
	struct fs_server *s = r->ctx;
	s->advised = *req;
	s->advise_calls++;
	return IDL_OK;
}

static int h_read_shared(idl_request *r, const fs_file_read_shared_request *req,
                         fs_file_read_shared_reply *reply, sys_errno *error)
{
	(void)r;
	(void)error;
	reply->count = req->buffer; /* echoes the handle the server received */
	return IDL_OK;
}

static const fs_file_handlers fs_handlers = {
    .open = h_open,
    .readdir = h_readdir,
    .advise = h_advise,
    .read_shared = h_read_shared,
};

/* Runs the server: takes every waiting request and dispatches it. */
static void fs_pump(void *ctx)
{
	struct fs_server *s = ctx;
	while (loopback_pending(&s->lb->server) > 0) {
		idl_typed_handle handles[IDL_MAX_HANDLES];
		uint32_t hc = IDL_MAX_HANDLES;
		size_t size;
		int err = s->lb->server.ep.ops->receive(&s->lb->server.ep, 0, g_server_buf,
		                                        sizeof(g_server_buf), &size, handles, &hc);
		idl_request r = {.ep = &s->lb->server.ep, .ctx = s};
		if (err == IDL_OK)
			err = fs_file_dispatch(&fs_handlers, &r, g_server_buf, size, handles, hc);
		s->last_err = err;
		s->dispatched++;
	}
}

static loopback g_lb;

static struct fs_server *setup_fs(void)
{
	static struct fs_server s;
	loopback_init(&g_lb);
	memset(&s, 0, sizeof(s));
	s.lb = &g_lb;
	g_lb.client.pump = fs_pump;
	g_lb.client.pump_ctx = &s;
	return &s;
}

static void test_loopback_open(void **state)
{
	(void)state;
	struct fs_server *s = setup_fs();
	fs_file_open_request req = {0};
	req.path = IDL_STRING_LITERAL("/etc/motd");
	req.flags = FS_OPEN_FLAGS_READ | FS_OPEN_FLAGS_WRITE;
	req.mode = 3;
	fs_file_open_reply_buffer buf;
	const fs_file_open_reply *reply = NULL;
	sys_errno error = 0;
	assert_int_equal(fs_file_open(&g_lb.client.ep, &req, &buf, &reply, &error), IDL_OK);
	assert_non_null(reply);
	assert_int_equal(reply->fd, 9 + 3 * 1000 + 3 * 100000);
	assert_int_equal(reply->header.txid, 1);
	assert_int_equal(s->dispatched, 1);
	assert_int_equal(s->last_err, IDL_OK);

	/* Error reply: the handler's error value comes back. */
	req.path = IDL_STRING_LITERAL("missing");
	reply = NULL;
	assert_int_equal(fs_file_open(&g_lb.client.ep, &req, &buf, &reply, &error), IDL_E_REMOTE);
	assert_int_equal(error, SYS_ERRNO_NOT_FOUND);
	assert_null(reply);
	assert_int_equal(g_lb.client.ep.next_txid, 2);

	/* The stub rejects bad input before anything is sent. */
	req.flags = 0x100;
	assert_int_equal(fs_file_open(&g_lb.client.ep, &req, &buf, &reply, &error),
	                 IDL_E_INVALID_ARGUMENT);
	assert_int_equal(loopback_pending(&g_lb.server), 0);
	assert_false(g_lb.to_server.reserved);
}

static void test_loopback_readdir(void **state)
{
	(void)state;
	struct fs_server *s = setup_fs();
	fill_entries(FS_READDIR_BATCH, FS_MAX_NAME);
	fs_file_readdir_request req = {.fd = 5, .cookie = 100};
	static fs_file_readdir_reply_buffer buf;
	const fs_file_readdir_reply *reply = NULL;
	sys_errno error = 0;
	assert_int_equal(fs_file_readdir(&g_lb.client.ep, &req, &buf, &reply, &error), IDL_OK);
	assert_int_equal(s->last_err, IDL_OK);
	assert_int_equal(reply->entries.count, FS_READDIR_BATCH);
	idl_records records = idl_records_of(reply->entries.records, reply->entries.count);
	for (uint32_t i = 0; i < FS_READDIR_BATCH; i++) {
		fs_dir_entry e;
		assert_true(fs_dir_entry_next(&records, &e));
		assert_int_equal(e.inode, g_entries[i].inode);
		assert_int_equal(e.kind, g_entries[i].kind);
		assert_int_equal(e.name.size, FS_MAX_NAME);
		assert_memory_equal(e.name.data, g_names[i], FS_MAX_NAME + 1);
		assert_true((const uint8_t *)e.name.data > buf.bytes);
	}
	assert_int_equal(reply->next_cookie, 164);
	assert_true(reply->done);
	assert_int_equal(reply->header.size, FS_FILE_READDIR_REPLY_MAX_BYTES);

	req.fd = 0;
	assert_int_equal(fs_file_readdir(&g_lb.client.ep, &req, &buf, &reply, &error),
	                 IDL_E_REMOTE);
	assert_int_equal(error, SYS_ERRNO_NOT_DIR);

	/* A method without a handler: the dispatcher answers "not supported",
	 * and the next call goes through. */
	fs_file_close_request cl = {.fd = 1};
	fs_file_close_reply_buffer cbuf;
	const fs_file_close_reply *creply;
	assert_int_equal(fs_file_close(&g_lb.client.ep, &cl, &cbuf, &creply, &error),
	                 IDL_E_NOT_SUPPORTED);
	assert_int_equal(s->last_err, IDL_OK);
	assert_int_equal(fs_file_readdir(&g_lb.client.ep, &req, &buf, &reply, &error),
	                 IDL_E_REMOTE);
}

static void test_loopback_oneway_and_handles(void **state)
{
	(void)state;
	struct fs_server *s = setup_fs();
	fs_file_advise_request adv = {
	    .fd = 4, .offset = 8, .length = 16, .advice = FS_ADVICE_SEQUENTIAL};
	assert_int_equal(fs_file_advise(&g_lb.client.ep, &adv), IDL_OK);
	assert_int_equal(loopback_pending(&g_lb.server), 1);
	assert_int_equal(g_lb.to_server.slots[0].size, sizeof(adv));
	assert_int_equal(((const idl_frame_header *)g_lb.to_server.slots[0].bytes)->txid, 0);
	fs_pump(s);
	assert_int_equal(s->last_err, IDL_OK);
	assert_int_equal(s->advise_calls, 1);
	assert_int_equal(s->advised.fd, 4);
	assert_int_equal(s->advised.offset, 8);
	assert_int_equal(s->advised.length, 16);
	assert_int_equal(s->advised.advice, FS_ADVICE_SEQUENTIAL);
	assert_int_equal(loopback_pending(&g_lb.client), 0); /* no reply */
	assert_int_equal(g_lb.client.ep.next_txid, 0);

	fs_file_read_shared_request rs = {.fd = 1, .count = 2, .buffer = 4242};
	fs_file_read_shared_reply_buffer buf;
	const fs_file_read_shared_reply *reply;
	sys_errno error;
	assert_int_equal(fs_file_read_shared(&g_lb.client.ep, &rs, &buf, &reply, &error), IDL_OK);
	assert_int_equal(reply->count, 4242);
}

static int g_event_calls;
static fs_file_changed_event g_event;

static void on_changed(void *ctx, const fs_file_changed_event *event)
{
	assert_ptr_equal(ctx, &g_event_calls);
	g_event = *event;
	g_event_calls++;
}

static void test_loopback_event(void **state)
{
	(void)state;
	setup_fs();
	fs_file_changed_event ev = {.fd = 6,
	                            .what = FS_WATCH_MASK_CONTENTS | FS_WATCH_MASK_REMOVED};
	assert_int_equal(fs_file_send_changed(&g_lb.server.ep, &ev), IDL_OK);
	ev.what = 0x20;
	assert_int_equal(fs_file_send_changed(&g_lb.server.ep, &ev), IDL_E_INVALID_ARGUMENT);
	assert_int_equal(loopback_pending(&g_lb.client), 1);

	_Alignas(8) uint8_t buf[FS_FILE_CHANGED_EVENT_MAX_BYTES];
	idl_typed_handle handles[1];
	uint32_t hc = 1;
	size_t size;
	g_lb.client.pump = NULL;
	assert_int_equal(
	    g_lb.client.ep.ops->receive(&g_lb.client.ep, 0, buf, sizeof(buf), &size, handles, &hc),
	    IDL_OK);
	assert_int_equal(hc, 0);
	static const fs_file_event_handlers eh = {.changed = on_changed};
	g_event_calls = 0;
	assert_int_equal(
	    fs_file_event_dispatch(&eh, &g_event_calls, buf, size, sizeof(buf), handles, hc),
	    IDL_OK);
	assert_int_equal(g_event_calls, 1);
	assert_int_equal(g_event.fd, 6);
	assert_int_equal(g_event.what, FS_WATCH_MASK_CONTENTS | FS_WATCH_MASK_REMOVED);
	assert_int_equal(g_event.header.txid, 0);
	assert_int_equal(g_event.header.flags, IDL_FLAG_EVENT);

	/* An event the client does not know (a newer server's): not supported,
	 * to be dropped; one with no handler. */
	((idl_frame_header *)buf)->ordinal ^= 1;
	assert_int_equal(
	    fs_file_event_dispatch(&eh, &g_event_calls, buf, size, sizeof(buf), handles, hc),
	    IDL_E_NOT_SUPPORTED);
	((idl_frame_header *)buf)->txid = 1; /* but not a malformed one */
	assert_int_equal(
	    fs_file_event_dispatch(&eh, &g_event_calls, buf, size, sizeof(buf), handles, hc),
	    IDL_E_TXID);
	((idl_frame_header *)buf)->txid = 0;
	((idl_frame_header *)buf)->ordinal ^= 1;
	static const fs_file_event_handlers none = {0};
	assert_int_equal(fs_file_event_dispatch(&none, NULL, buf, size, sizeof(buf), handles, hc),
	                 IDL_E_NO_HANDLER);
	assert_int_equal(g_event_calls, 1);
}

/* pci claim through the loopback: handles travel beside the reply. */
static int h_claim(idl_request *r, const pci_bus_claim_request *req, pci_bus_claim_reply *reply,
                   sys_errno *error)
{
	(void)r;
	if (req->address.bus == 0xff) {
		*error = SYS_ERRNO_BUSY;
		return IDL_E_REMOTE;
	}
	reply->info = pinfo(req->address.bus);
	reply->memory_bars[0].present = true;
	reply->memory_bars[0].value = 500;
	reply->io_bars[4].present = true;
	reply->io_bars[4].value = 504;
	reply->irq.present = true;
	reply->irq.value = 600;
	reply->dma = 700;
	return IDL_OK;
}

static const pci_bus_handlers pci_handlers = {.claim = h_claim};

static void pci_pump(void *ctx)
{
	loopback *lb = ctx;
	while (loopback_pending(&lb->server) > 0) {
		idl_typed_handle handles[IDL_MAX_HANDLES];
		uint32_t hc = IDL_MAX_HANDLES;
		size_t size;
		int err = lb->server.ep.ops->receive(&lb->server.ep, 0, g_server_buf,
		                                     sizeof(g_server_buf), &size, handles, &hc);
		assert_int_equal(err, IDL_OK);
		idl_request r = {.ep = &lb->server.ep};
		assert_int_equal(
		    pci_bus_dispatch(&pci_handlers, &r, g_server_buf, size, handles, hc), IDL_OK);
	}
}

/* A fresh loopback whose server side is pump, run when the client waits. */
static void serve_with(void (*pump)(void *ctx))
{
	loopback_init(&g_lb);
	g_lb.client.pump = pump;
	g_lb.client.pump_ctx = &g_lb;
}

static void test_loopback_pci_claim(void **state)
{
	(void)state;
	serve_with(pci_pump);
	pci_bus_claim_request req;
	memset(&req, 0, sizeof(req));
	req.address = paddr(3);
	pci_bus_claim_reply_buffer buf;
	const pci_bus_claim_reply *reply = NULL;
	sys_errno error = 0;
	assert_int_equal(pci_bus_claim(&g_lb.client.ep, &req, &buf, &reply, &error), IDL_OK);
	pci_device_info want = pinfo(3);
	assert_memory_equal(&reply->info, &want, sizeof(want));
	assert_true(reply->memory_bars[0].present);
	assert_int_equal(reply->memory_bars[0].value, 500);
	assert_false(reply->memory_bars[1].present);
	assert_false(reply->memory_bars[4].present);
	assert_true(reply->io_bars[4].present);
	assert_int_equal(reply->io_bars[4].value, 504);
	assert_int_equal(reply->irq.value, 600);
	assert_int_equal(reply->dma, 700);
	req.address.bus = 0xff;
	assert_int_equal(pci_bus_claim(&g_lb.client.ep, &req, &buf, &reply, &error), IDL_E_REMOTE);
	assert_int_equal(error, SYS_ERRNO_BUSY);
}

/* A reply to some other call answers no call of ours: it is dropped, and
 * the call goes on waiting for its own. */
static void stale_pump(void *ctx)
{
	loopback *lb = ctx;
	void *frame;
	assert_int_equal(lb->server.ep.ops->send_begin(&lb->server.ep, 32, &frame), IDL_OK);
	fs_file_open_reply r = {.fd = 1};
	int64_t n = fs_file_open_reply_encode(&r, 999, frame, 32, NULL, NULL);
	assert_int_equal(n, sizeof(fs_file_open_reply));
	assert_int_equal(lb->server.ep.ops->send_commit(&lb->server.ep, (size_t)n, NULL, 0),
	                 IDL_OK);
}

/* fs.File.open("/") through the loopback, as a client would call it; the
 * reply view, if any, is in *reply. */
static int open_root(const fs_file_open_reply **reply, sys_errno *error)
{
	static fs_file_open_reply_buffer buf;
	fs_file_open_request req = {0};
	req.path = IDL_STRING_LITERAL("/");
	*reply = NULL;
	*error = 0;
	return fs_file_open(&g_lb.client.ep, &req, &buf, reply, error);
}

static void test_loopback_wrong_txid(void **state)
{
	(void)state;
	serve_with(stale_pump);
	const fs_file_open_reply *reply;
	sys_errno error;
	assert_int_equal(open_root(&reply, &error), IDL_E_TIMEOUT);
	assert_null(reply);
	assert_int_equal(g_lb.client.dropped, 1);
	assert_null(g_lb.client.calls); /* the stub ended its call */
}

/* How handle_pump answers: a good reply or an error reply, with a handle
 * (77) that no reply of fs.File.open carries; or a later version's reply,
 * whose new field (unknown here) is that handle. */
static bool g_answer_error;
static bool g_answer_later;
static uint32_t g_answer_handles;

static void handle_pump(void *ctx)
{
	loopback *lb = ctx;
	idl_typed_handle in[IDL_MAX_HANDLES];
	uint32_t hc = IDL_MAX_HANDLES;
	size_t size;
	assert_int_equal(lb->server.ep.ops->receive(&lb->server.ep, 0, g_server_buf,
	                                            sizeof(g_server_buf), &size, in, &hc),
	                 IDL_OK);
	uint32_t txid = ((const idl_frame_header *)g_server_buf)->txid;
	void *frame;
	assert_int_equal(lb->server.ep.ops->send_begin(&lb->server.ep, 32, &frame), IDL_OK);
	int64_t n;
	if (g_answer_error) {
		n = fs_file_open_error_encode(txid, SYS_ERRNO_NOT_FOUND, frame, 32);
	} else {
		fs_file_open_reply r = {.fd = 1};
		n = fs_file_open_reply_encode(&r, txid, frame, 32, NULL, NULL);
	}
	assert_true(n > 0);
	if (g_answer_later) {
		/* As a version that added `buffer: handle<shm>` after `fd` writes
		 * it: 8 more inline bytes, the first holding handle index 0. */
		memset((uint8_t *)frame + n, 0, 8);
		n += 8;
		((idl_frame_header *)frame)->size = (uint32_t)n;
		((idl_frame_header *)frame)->inline_size = (uint16_t)n;
	}
	idl_typed_handle stray = {77, IDL_KIND_SHM};
	((idl_frame_header *)frame)->handle_count = (uint8_t)g_answer_handles;
	assert_int_equal(
	    lb->server.ep.ops->send_commit(&lb->server.ep, (size_t)n, &stray, g_answer_handles),
	    IDL_OK);
}

/* A reply the stub refuses, or an error reply, gives back the handles that
 * came with it (ops.release), so that a server cannot make its client
 * hold handles it will never use; a good reply gives back none. */
static void test_loopback_refused_reply_handles(void **state)
{
	(void)state;
	serve_with(handle_pump);
	const fs_file_open_reply *reply;
	sys_errno error;
	g_answer_error = false;
	g_answer_later = false;
	g_answer_handles = 0;
	assert_int_equal(open_root(&reply, &error), IDL_OK);
	assert_int_equal(g_lb.client.released, 0);
	g_answer_handles = 1;
	assert_int_equal(open_root(&reply, &error), IDL_E_HANDLE_COUNT);
	assert_int_equal(g_lb.client.released, 1);
	assert_int_equal(g_lb.client.last_released, 77);
	g_answer_error = true;
	assert_int_equal(open_root(&reply, &error), IDL_E_HANDLE_COUNT);
	assert_int_equal(g_lb.client.released, 2);
	g_answer_handles = 0;
	assert_int_equal(open_root(&reply, &error), IDL_E_REMOTE);
	assert_int_equal(error, SYS_ERRNO_NOT_FOUND);
	assert_int_equal(g_lb.client.released, 2);
}

/* A later version's good reply: the handle of a field this version does
 * not know is given back (idl_release_unknown_handles), since the caller
 * never sees it; the reply is the caller's as usual. */
static void test_loopback_later_reply_handles(void **state)
{
	(void)state;
	serve_with(handle_pump);
	const fs_file_open_reply *reply;
	sys_errno error;
	g_answer_error = false;
	g_answer_later = true;
	g_answer_handles = 1;
	assert_int_equal(open_root(&reply, &error), IDL_OK);
	assert_true(IDL_HAS_UNKNOWN_FIELDS(reply));
	assert_int_equal(reply->fd, 1);
	assert_int_equal(g_lb.client.released, 1);
	assert_int_equal(g_lb.client.last_released, 77);
	/* The same without the handle: nothing to give back. */
	g_answer_handles = 0;
	assert_int_equal(open_root(&reply, &error), IDL_OK);
	assert_true(IDL_HAS_UNKNOWN_FIELDS(reply));
	assert_int_equal(g_lb.client.released, 1);
	g_answer_later = false;
}

/*
 * Encoders write canonical frames whatever the caller left in padding,
 * absent optionals and unused union bytes: the result always decodes.
 */
static void test_encoder_canonicalizes(void **state)
{
	(void)state;
	fs_file_close_request c;
	memset(&c, 0xff, sizeof(c));
	c.fd = 1;
	const fs_file_close_request *oc;
	ROUND_TRIP(fs_file_close_request, FS_FILE_CLOSE_REQUEST_MAX_BYTES, &c, 1u, 0u, oc);
	assert_int_equal(oc->fd, 1);
	fs_file_set_times_request t;
	memset(&t, 0, sizeof(t));
	t.access_time_ns.value = 5; /* absent */
	t.modify_time_ns.present = true;
	t.modify_time_ns.pad[0] = 1;
	t.modify_time_ns.value = 6;
	const fs_file_set_times_request *ot;
	ROUND_TRIP(fs_file_set_times_request, FS_FILE_SET_TIMES_REQUEST_MAX_BYTES, &t, 1u, 0u, ot);
	assert_false(ot->access_time_ns.present);
	assert_int_equal(ot->access_time_ns.value, 0);
	assert_int_equal(ot->modify_time_ns.value, 6);
	net_socket_bind_request b;
	memset(&b, 0, sizeof(b));
	b.addr.ip.tag = NET_IP_ADDRESS_V4;
	b.addr.ip.v6[10] = 3; /* beyond the v4 variant */
	b.addr._pad0[0] = 1;
	const net_socket_bind_request *ob;
	ROUND_TRIP(net_socket_bind_request, NET_SOCKET_BIND_REQUEST_MAX_BYTES, &b, 1u, 0u, ob);
	assert_int_equal(ob->addr.ip.v6[10], 0);
	pci_bus_claim_reply r;
	memset(&r, 0, sizeof(r));
	r.dma = 1;
	r.memory_bars[2].value = 7; /* absent handle */
	r.memory_bars[3].pad[1] = 7;
	const pci_bus_claim_reply *orr;
	ROUND_TRIP(pci_bus_claim_reply, PCI_BUS_CLAIM_REPLY_MAX_BYTES, &r, 1u, 1u, orr);
	assert_int_equal(orr->memory_bars[2].value, 0);
	fs_dir_entry e;
	memset(&e, 0xff, sizeof(e));
	e.kind = FS_FILE_KIND_REGULAR;
	e.name = IDL_STRING_LITERAL("n");
	fs_file_readdir_reply rd;
	memset(&rd, 0, sizeof(rd));
	rd.entries.count = 1;
	rd.entries.items = &e;
	const fs_file_readdir_reply *ord;
	ROUND_TRIP(fs_file_readdir_reply, FS_FILE_READDIR_REPLY_MAX_BYTES, &rd, 1u, 0u, ord);
	idl_records records = idl_records_of(ord->entries.records, ord->entries.count);
	fs_dir_entry got;
	assert_true(fs_dir_entry_next(&records, &got));
	assert_int_equal(got.inode, UINT64_MAX);
	assert_int_equal(ord->entries.bytes, 8 + 1 + 1 + 2);
}

/* Names of values: <enum>_name and <bits>_format. */
static void test_value_names(void **state)
{
	(void)state;
	assert_string_equal(sys_errno_name(SYS_ERRNO_NOT_FOUND), "NOT_FOUND");
	assert_string_equal(sys_errno_name(SYS_ERRNO_RANGE), "RANGE");
	assert_null(sys_errno_name(0));
	assert_null(sys_errno_name(1000));
	assert_string_equal(pci_bar_kind_name(PCI_BAR_KIND_NONE), "NONE");

	char buf[64];
	assert_int_equal(
	    console_mode_format(CONSOLE_MODE_ECHO | CONSOLE_MODE_CANONICAL, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "ECHO|CANONICAL");
	assert_int_equal(console_mode_format(0, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "0");
	/* Bits no member names: in hex, after the names. */
	assert_int_equal(console_mode_format(CONSOLE_MODE_NON_BLOCKING | 0x30, buf, sizeof(buf)),
	                 17);
	assert_string_equal(buf, "NON_BLOCKING|0x30");
	assert_int_equal(console_mode_format(0x100, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "0x100");
	/* As snprintf: the length of the whole text, as much as fits. */
	assert_int_equal(console_mode_format(CONSOLE_MODE_ECHO | CONSOLE_MODE_CANONICAL, buf, 7),
	                 14);
	assert_string_equal(buf, "ECHO|C");
	assert_int_equal(console_mode_format(CONSOLE_MODE_ECHO | CONSOLE_MODE_CANONICAL, buf, 5),
	                 14);
	assert_string_equal(buf, "ECHO");
	assert_int_equal(console_mode_format(CONSOLE_MODE_ECHO, NULL, 0), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_value_names),
	    cmocka_unit_test(test_fs_open),
	    cmocka_unit_test(test_fs_open_rejects),
	    cmocka_unit_test(test_string_nul_every_position),
	    cmocka_unit_test(test_fs_simple),
	    cmocka_unit_test(test_fs_bytes),
	    cmocka_unit_test(test_fs_strings),
	    cmocka_unit_test(test_fs_handles),
	    cmocka_unit_test(test_fs_readdir),
	    cmocka_unit_test(test_error_replies),
	    cmocka_unit_test(test_net_socket),
	    cmocka_unit_test(test_net_config),
	    cmocka_unit_test(test_pci),
	    cmocka_unit_test(test_pci_claim_handles),
	    cmocka_unit_test(test_console),
	    cmocka_unit_test(test_sys),
	    cmocka_unit_test(test_encoder_canonicalizes),
	    cmocka_unit_test(test_loopback_open),
	    cmocka_unit_test(test_loopback_readdir),
	    cmocka_unit_test(test_loopback_oneway_and_handles),
	    cmocka_unit_test(test_loopback_event),
	    cmocka_unit_test(test_loopback_pci_claim),
	    cmocka_unit_test(test_loopback_wrong_txid),
	    cmocka_unit_test(test_loopback_refused_reply_handles),
	    cmocka_unit_test(test_loopback_later_reply_handles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
