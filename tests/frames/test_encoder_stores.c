/*
 * test_encoder_stores.c: an encoder writes into the ring, which the peer
 * can read at any moment. So no byte it stores may ever hold anything but
 * its final value (or zero): not for a moment may the ring show a pointer
 * of the caller's (which would give away its address space layout, a
 * kernel's too), a handle value before it becomes an index, padding or an
 * absent optional's stale bytes from the caller's memory.
 *
 * store_tracer.h watches every store an encoder makes. The caller's
 * messages are built over memory filled with GARBAGE, so that every byte
 * the caller did not set (padding, absent values, the union's unused
 * bytes) is recognisable if it leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "evo.h"
#include "fs.h"
#include "shapes.h"
#include "store_tracer.h"

#define GARBAGE   0xa5 /* the caller's memory where it set nothing */
#define FRESH     0xee /* the ring's bytes before the encoder runs */
#define FRAME_MAX 32768u

/* One encoder call, made twice: once to learn the frame, once traced. */
typedef struct encoding {
	const char *what;
	int64_t (*encode)(const void *msg, void *out, size_t out_max);
	const void *msg;
	/* Filled in by check_encoder. */
	uint8_t *out;
	int64_t size;
	uint8_t final[FRAME_MAX];
	/* The first store that left a byte neither fresh, zero nor final. */
	long store;
	long bad_store;
	size_t bad_at;
	uint8_t bad_value;
} encoding;

static void run_encoder(void *ctx)
{
	encoding *enc = ctx;
	enc->size = enc->encode(enc->msg, enc->out, FRAME_MAX);
}

static void after_store(const uint8_t *buf, size_t bytes, void *ctx)
{
	encoding *enc = ctx;
	enc->store++;
	if (enc->bad_store != 0)
		return;
	for (size_t i = 0; i < bytes; i++) {
		uint8_t b = buf[i];
		if (b != FRESH && b != 0 && b != enc->final[i]) {
			enc->bad_store = enc->store;
			enc->bad_at = i;
			enc->bad_value = b;
			return;
		}
	}
}

static void check_encoder(encoding *enc)
{
	if (!store_tracer_available())
		skip();
	uint8_t *buf = store_tracer_buffer(FRAME_MAX);

	/* The frame it ends with. */
	memset(buf, FRESH, FRAME_MAX);
	enc->out = buf;
	run_encoder(enc);
	assert_true(enc->size > 0);
	memcpy(enc->final, buf, FRAME_MAX);

	/* Every byte of the frame is written: over other bytes, the same frame
	 * (a byte left alone would carry whatever the ring held before). */
	memset(buf, (uint8_t)~FRESH, FRAME_MAX);
	run_encoder(enc);
	if (memcmp(buf, enc->final, (size_t)enc->size) != 0) {
		size_t i = 0;
		while (buf[i] == enc->final[i])
			i++;
		fail_msg("%s: byte %zu of %lld is never written", enc->what, i,
		         (long long)enc->size);
	}

	/* Every moment on the way there. */
	memset(buf, FRESH, FRAME_MAX);
	enc->store = 0;
	enc->bad_store = 0;
	long stores = store_trace(buf, FRAME_MAX, run_encoder, after_store, enc);
	assert_true(stores > 0);
	if (enc->bad_store != 0)
		fail_msg("%s: store %ld of %ld left byte %zu at 0x%02x; it ends as 0x%02x",
		         enc->what, enc->bad_store, stores, enc->bad_at, enc->bad_value,
		         enc->final[enc->bad_at]);
	assert_memory_equal(buf, enc->final, FRAME_MAX);
	store_tracer_free(buf, FRAME_MAX);
}

/* ---- the golden description: every construct ---- */

static const uint8_t quads[2][4] = {{1, 2, 3, 4}, {5, 6, 7, 8}};
static test_shapes_named names[2];
static test_shapes_record records[2];
static idl_string words[3];
static test_shapes_gadget_put_request everything;

static int64_t encode_put(const void *msg, void *out, size_t out_max)
{
	idl_typed_handle handles[TEST_SHAPES_GADGET_PUT_REQUEST_MAX_HANDLES];
	return test_shapes_gadget_put_request_encode(msg, 5, out, out_max, handles, NULL);
}

/* Every field set, field by field, over garbage. */
static void fill_everything(void)
{
	memset(&everything, GARBAGE, sizeof(everything));
	memset(names, GARBAGE, sizeof(names));
	memset(words, GARBAGE, sizeof(words));
	test_shapes_everything *all = &everything.all;
	all->flag = true;
	all->sparse = TEST_SHAPES_SPARSE_LOW;
	all->dense = TEST_SHAPES_DENSE_C;
	all->flags = TEST_SHAPES_FLAGS_ONE | TEST_SHAPES_FLAGS_FOUR;
	for (int i = 0; i < 4; i++) {
		all->corners[i].x = -i;
		all->corners[i].y = i * 10;
	}
	all->maybe_point.present = true;
	all->maybe_point.value.x = 7;
	all->maybe_point.value.y = -7;
	all->maybe_text.present = true;
	all->maybe_text.value.size = 2;
	all->maybe_text.value.data = "hi";
	all->maybe_channel.present = true;
	all->maybe_channel.value = 900;
	all->blob.size = 3;
	all->blob.data = (const uint8_t *)"\x00\x01\x02";
	all->quads.count = 2;
	all->quads.items = quads;
	names[0].name.size = 5;
	names[0].name.data = "first";
	names[0].region = 901;
	names[0].tag.present = false;
	names[1].name.size = 0;
	names[1].name.data = "";
	names[1].region = 902;
	names[1].tag.present = true;
	names[1].tag.value = 0xbeef;
	all->names.count = 2;
	all->names.items = names;
	words[0].size = 5;
	words[0].data = "alpha";
	words[1].size = 12;
	words[1].data = "exactly12chr";
	words[2].size = 0;
	words[2].data = "";
	all->words.count = 3;
	all->words.items = words;
	all->shape.tag = TEST_SHAPES_SHAPE_LABEL;
	all->shape.label.size = 22;
	all->shape.label.data = "a label inside a union";
	all->cell.tag = TEST_SHAPES_CELL_GRID;
	for (int i = 0; i < 9; i++)
		all->cell.grid[i / 3][i % 3] = (uint8_t)(0x80 + i);
	memset(records, GARBAGE, sizeof(records));
	for (uint32_t i = 0; i < 2; i++) {
		records[i].id = 10 + i;
		records[i].name.size = 3 + i;
		records[i].name.data = "record";
		records[i].at.x = 1;
		records[i].at.y = 2;
		records[i].dense[0] = TEST_SHAPES_DENSE_A;
		records[i].dense[1] = TEST_SHAPES_DENSE_B;
		records[i].flags = TEST_SHAPES_FLAGS_ONE;
		records[i].ok = true;
		records[i].blob.size = i;
		records[i].blob.data = (const uint8_t *)"\x07";
	}
	all->records.count = 2;
	all->records.bytes = 0; /* values at items */
	all->records.items = records;
}

static void test_every_construct(void **state)
{
	(void)state;
	fill_everything();
	static encoding enc = {.what = "Gadget.put, every field", .encode = encode_put};
	enc.msg = &everything;
	check_encoder(&enc);
}

/* Absent optionals over garbage, and the union's plain variants. */
static void test_absent_values_and_plain_variants(void **state)
{
	(void)state;
	static encoding enc = {.what = "Gadget.put, absent values", .encode = encode_put};
	enc.msg = &everything;

	fill_everything();
	everything.all.maybe_point.present = false;
	everything.all.maybe_text.present = false;
	everything.all.maybe_channel.present = false;
	everything.all.shape.tag = TEST_SHAPES_SHAPE_DOT;
	everything.all.shape.dot.x = 3;
	everything.all.shape.dot.y = 4;
	everything.all.cell.tag = TEST_SHAPES_CELL_CORNER;
	everything.all.cell.corner.x = -1;
	everything.all.cell.corner.y = 1;
	check_encoder(&enc);

	fill_everything();
	everything.all.names.count = 0;
	everything.all.shape.tag = TEST_SHAPES_SHAPE_GRID;
	for (int i = 0; i < 9; i++)
		everything.all.shape.grid[i / 3][i % 3] = (uint8_t)(i + 1);
	check_encoder(&enc);
}

/* ---- the file system's messages, as the benchmarks send them ---- */

static int64_t encode_open(const void *msg, void *out, size_t out_max)
{
	return fs_file_open_request_encode(msg, 9, out, out_max, NULL, NULL);
}

static int64_t encode_readdir(const void *msg, void *out, size_t out_max)
{
	return fs_file_readdir_reply_encode(msg, 9, out, out_max, NULL, NULL);
}

static int64_t encode_write(const void *msg, void *out, size_t out_max)
{
	return fs_file_write_request_encode(msg, 9, out, out_max, NULL, NULL);
}

static void test_file_system_messages(void **state)
{
	(void)state;
	static fs_file_open_request open;
	memset(&open, GARBAGE, sizeof(open));
	open.path.size = 34;
	open.path.data = "/usr/share/doc/idlc/wire-format.md";
	open.flags = FS_OPEN_FLAGS_READ;
	open.mode = 0644;
	static encoding enc_open = {.what = "File.open request", .encode = encode_open};
	enc_open.msg = &open;
	check_encoder(&enc_open);

	static fs_dir_entry entries[64];
	static char entry_names[64][16];
	memset(entries, GARBAGE, sizeof(entries));
	for (int i = 0; i < 64; i++) {
		int n = snprintf(entry_names[i], sizeof(entry_names[i]), "entry-%02d.txt", i);
		entries[i].inode = 1000u + (uint64_t)i;
		entries[i].kind = FS_FILE_KIND_REGULAR;
		entries[i].name.size = (uint32_t)n;
		entries[i].name.data = entry_names[i];
	}
	static fs_file_readdir_reply readdir;
	memset(&readdir, GARBAGE, sizeof(readdir));
	readdir.entries.count = 64;
	readdir.entries.bytes = 0; /* values at items, not a decoded message's records */
	readdir.entries.items = entries;
	readdir.next_cookie = 64;
	readdir.done = false;
	static encoding enc_readdir = {.what = "File.readdir reply", .encode = encode_readdir};
	enc_readdir.msg = &readdir;
	check_encoder(&enc_readdir);

	static uint8_t payload[1500];
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	static fs_file_write_request write;
	memset(&write, GARBAGE, sizeof(write));
	write.fd = 3;
	write.offset = 4096;
	write.data.size = sizeof(payload);
	write.data.data = payload;
	static encoding enc_write = {.what = "File.write request", .encode = encode_write};
	enc_write.msg = &write;
	check_encoder(&enc_write);
}

/* ---- evolution: an earlier version's frame, an unknown variant ---- */

static int64_t encode_put_v1(const void *msg, void *out, size_t out_max)
{
	return evo_store_put_request_encode_version(msg, 1, 9, out, out_max, NULL, NULL);
}

static int64_t encode_paint(const void *msg, void *out, size_t out_max)
{
	return evo_store_paint_request_encode(msg, 9, out, out_max, NULL, NULL);
}

static void test_versions_and_unknown_variants(void **state)
{
	(void)state;
	static evo_store_put_request put;
	memset(&put, GARBAGE, sizeof(put));
	put.name.size = 3;
	put.name.data = "abc";
	put.value = 7;
	put.mode = EVO_MODE_FAST;
	put.priority = 9;
	put.tag.size = 1;
	put.tag.data = "t";
	put.mode2 = EVO_MODE_SAFE;
	static encoding enc_put = {.what = "Store.put request, version 1", .encode = encode_put_v1};
	enc_put.msg = &put;
	check_encoder(&enc_put);

	/* A variant from a later version, passed on as it came. */
	static evo_store_paint_request paint;
	memset(&paint, GARBAGE, sizeof(paint));
	paint.color = EVO_COLOR_RED;
	paint.perm = EVO_PERM_READ;
	paint.mark.tag = 9;
	paint.mark.envelope.bytes = 0;
	paint.mark.envelope.handles = 0;
	paint.mark.envelope.reserved = 0;
	paint.mark.line[0] = 0x11223344u;
	paint.mark.line[1] = 0x55667788u;
	static encoding enc_paint = {.what = "Store.paint request, unknown variant",
	                             .encode = encode_paint};
	enc_paint.msg = &paint;
	check_encoder(&enc_paint);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_construct),
	    cmocka_unit_test(test_absent_values_and_plain_variants),
	    cmocka_unit_test(test_file_system_messages),
	    cmocka_unit_test(test_versions_and_unknown_variants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
