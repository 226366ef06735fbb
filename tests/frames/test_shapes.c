/*
 * test_shapes.c: round trips and hostile variants of the golden description
 * tests/compiler/golden/shapes.idl, which uses every construct: out-of-line
 * data inside a union, handles inside vector elements, optional strings and
 * handles, arrays of arrays, signed and sparse enums.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shapes.h"

static _Alignas(8) uint8_t wire[TEST_SHAPES_GADGET_PUT_REQUEST_MAX_BYTES];
static _Alignas(8) uint8_t priv[TEST_SHAPES_GADGET_PUT_REQUEST_MAX_BYTES];

static const uint8_t quads[2][4] = {{1, 2, 3, 4}, {5, 6, 7, 8}};
static test_shapes_record records[3];
static char long_name[301];
static test_shapes_named names[2];
static idl_string words[3];

/* A request that uses every field: present optionals, a string variant. */
static void fill(test_shapes_gadget_put_request *req)
{
	memset(req, 0, sizeof(*req));
	test_shapes_everything *all = &req->all;
	all->flag = true;
	all->sparse = TEST_SHAPES_SPARSE_LOW;
	all->dense = TEST_SHAPES_DENSE_C;
	all->flags = TEST_SHAPES_FLAGS_ONE | TEST_SHAPES_FLAGS_FOUR;
	for (int i = 0; i < 4; i++)
		all->corners[i] = (test_shapes_point){.x = -i, .y = i * 10};
	all->maybe_point.present = true;
	all->maybe_point.value = (test_shapes_point){.x = 7, .y = -7};
	all->maybe_text.present = true;
	all->maybe_text.value = IDL_STRING_LITERAL("hi");
	all->maybe_channel.present = true;
	all->maybe_channel.value = 900;
	all->blob = (idl_bytes){.size = 3, .data = (const uint8_t *)"\x00\x01\x02"};
	all->quads.count = 2;
	all->quads.items = quads;
	names[0] = (test_shapes_named){.name = IDL_STRING_LITERAL("first"), .region = 901};
	names[1] = (test_shapes_named){.name = IDL_STRING_LITERAL(""), .region = 902};
	names[1].tag.present = true;
	names[1].tag.value = 0xbeef;
	all->names.count = 2;
	all->names.items = names;
	words[0] = IDL_STRING_LITERAL("alpha");
	words[1] = IDL_STRING_LITERAL("exactly12chr");
	words[2] = IDL_STRING_LITERAL("");
	all->words.count = 3;
	all->words.items = words;
	all->shape.tag = TEST_SHAPES_SHAPE_LABEL;
	all->shape.label = IDL_STRING_LITERAL("a label inside a union");
	all->cell.tag = TEST_SHAPES_CELL_GRID;
	for (int i = 0; i < 9; i++)
		all->cell.grid[i / 3][i % 3] = (uint8_t)(0x80 + i);
	memset(long_name, 'r', 300);
	for (uint32_t i = 0; i < 3; i++) {
		records[i] =
		    (test_shapes_record){.id = 70 + i,
		                         .at = {.x = -(int32_t)i, .y = 5},
		                         .dense = {TEST_SHAPES_DENSE_A, TEST_SHAPES_DENSE_C},
		                         .flags = TEST_SHAPES_FLAGS_FOUR,
		                         .ok = i == 1,
		                         .blob = {.size = i, .data = quads[0]}};
		records[i].name = (idl_string){.size = i == 2 ? 300 : i, .data = long_name};
	}
	all->records.count = 3;
	all->records.items = records;
}

/* Record i of a frame's packed field as the wire has it: id, the name's
 * length (2 bytes: the bound is 300), the name, its NUL, then the rest. */
static uint8_t *wire_record(const test_shapes_gadget_put_request *w, uint32_t i)
{
	uint8_t *r = wire + sizeof(*w) + w->all.records.offset;
	for (uint32_t k = 0; k < i; k++) {
		uint16_t name = (uint16_t)(r[4] | r[5] << 8);
		r += 4 + 2 + name + 1 + 8 + 4 + 1 + 1 + 1 + r[6 + name + 1 + 14];
	}
	return r;
}

static int64_t encode(const test_shapes_gadget_put_request *req, idl_typed_handle *handles,
                      uint32_t *count)
{
	return test_shapes_gadget_put_request_encode(req, 5, wire, sizeof(wire), handles, count);
}

static int decode(int64_t size, const idl_typed_handle *handles, uint32_t count,
                  const test_shapes_gadget_put_request **out)
{
	return test_shapes_gadget_put_request_decode(wire, (size_t)size, priv, sizeof(priv),
	                                             handles, count, out);
}

static void test_every_field_round_trips(void **state)
{
	(void)state;
	test_shapes_gadget_put_request req;
	fill(&req);
	idl_typed_handle handles[TEST_SHAPES_GADGET_PUT_REQUEST_MAX_HANDLES];
	uint32_t count = 0;
	int64_t size = encode(&req, handles, &count);
	assert_true(size > 0);
	assert_true(size <= (int64_t)TEST_SHAPES_GADGET_PUT_REQUEST_MAX_BYTES);
	/* Handles leave in traversal order: the optional channel, then each name's region. */
	assert_int_equal(count, 3);
	assert_int_equal(handles[0].value, 900);
	assert_int_equal(handles[1].value, 901);
	assert_int_equal(handles[2].value, 902);
	/* Each with the kind its field declares. */
	assert_int_equal(handles[0].kind, IDL_KIND_CHANNEL);
	assert_int_equal(handles[1].kind, IDL_KIND_SHM);
	assert_int_equal(handles[2].kind, IDL_KIND_SHM);

	/* The receiving side's own handle values replace the indexes. */
	const idl_typed_handle local[3] = {
	    {40, IDL_KIND_CHANNEL}, {41, IDL_KIND_SHM}, {42, IDL_KIND_SHM}};
	const test_shapes_gadget_put_request *got;
	assert_int_equal(decode(size, local, 3, &got), IDL_OK);
	const test_shapes_everything *all = &got->all;
	assert_true(all->flag);
	assert_int_equal(all->sparse, TEST_SHAPES_SPARSE_LOW);
	assert_int_equal(all->dense, TEST_SHAPES_DENSE_C);
	assert_int_equal(all->corners[3].x, -3);
	assert_int_equal(all->corners[3].y, 30);
	assert_true(all->maybe_point.present);
	assert_int_equal(all->maybe_point.value.y, -7);
	assert_string_equal(all->maybe_text.value.data, "hi");
	assert_int_equal(all->maybe_channel.value, 40);
	assert_int_equal(all->blob.size, 3);
	assert_memory_equal(all->blob.data, "\x00\x01\x02", 3);
	assert_int_equal(all->quads.count, 2);
	assert_int_equal(all->quads.items[1][3], 8);
	assert_int_equal(all->names.count, 2);
	assert_string_equal(all->names.items[0].name.data, "first");
	assert_int_equal(all->names.items[0].region, 41);
	assert_false(all->names.items[0].tag.present);
	assert_string_equal(all->names.items[1].name.data, "");
	assert_int_equal(all->names.items[1].region, 42);
	assert_int_equal(all->names.items[1].tag.value, 0xbeef);
	assert_int_equal(all->words.count, 3);
	assert_string_equal(all->words.items[1].data, "exactly12chr");
	assert_int_equal(all->shape.tag, TEST_SHAPES_SHAPE_LABEL);
	assert_string_equal(all->shape.label.data, "a label inside a union");
	/* Every pointer points into the private copy. */
	assert_true((const uint8_t *)all->shape.label.data > priv);
	assert_true((const uint8_t *)all->shape.label.data < priv + size);
	assert_int_equal(all->cell.tag, TEST_SHAPES_CELL_GRID);
	assert_int_equal(all->cell.grid[2][2], 0x88);
	/* The packed records read back in order, each member as it was sent. */
	assert_int_equal(all->records.count, 3);
	idl_records rs = idl_records_of(all->records.records, all->records.count);
	test_shapes_record r = {0};
	for (uint32_t i = 0; i < 3; i++) {
		assert_true(test_shapes_record_next(&rs, &r));
		assert_int_equal(r.id, 70 + i);
		assert_int_equal(r.name.size, records[i].name.size);
		assert_memory_equal(r.name.data, long_name, r.name.size);
		assert_int_equal(r.name.data[r.name.size], 0);
		assert_int_equal(r.at.x, -(int32_t)i);
		assert_int_equal(r.at.y, 5);
		assert_int_equal(r.dense[1], TEST_SHAPES_DENSE_C);
		assert_int_equal(r.flags, TEST_SHAPES_FLAGS_FOUR);
		assert_int_equal(r.ok, i == 1);
		assert_int_equal(r.blob.size, i);
		assert_memory_equal(r.blob.data, quads[0], i);
		assert_true((const uint8_t *)r.name.data > priv);
	}
	assert_false(test_shapes_record_next(&rs, &r));
	/* 4 + 2 + 0 + 1 + 8 + 4 + 1 + 1 + 1 + 0, then 1 more byte of name and
	 * blob, then a 300-byte name and a 2-byte blob */
	assert_int_equal(all->records.bytes, 22 + 24 + 324);
}

static void test_absent_and_other_variants(void **state)
{
	(void)state;
	test_shapes_gadget_put_request req;
	fill(&req);
	req.all.maybe_point.present = false;
	req.all.maybe_point.value.x = 99; /* ignored: the encoder zeroes an absent value */
	req.all.maybe_text.present = false;
	req.all.maybe_channel.present = false;
	req.all.names.count = 0;
	req.all.shape.tag = TEST_SHAPES_SHAPE_GRID;
	memset(req.all.shape.grid, 0, sizeof(req.all.shape.grid));
	req.all.shape.grid[2][2] = 9;
	uint32_t count = 0;
	int64_t size = encode(&req, NULL, &count);
	assert_true(size > 0);
	assert_int_equal(count, 0);
	const test_shapes_gadget_put_request *got;
	assert_int_equal(decode(size, NULL, 0, &got), IDL_OK);
	assert_false(got->all.maybe_point.present);
	assert_int_equal(got->all.maybe_point.value.x, 0);
	assert_int_equal(got->all.shape.grid[2][2], 9);
}

/* Cell's 9-byte grid sits in a union C rounds up to 12 bytes, among the
 * padding bytes the wire gives the 16-byte union: the encoder zeroes them
 * after whichever variant it writes, and the decoder refuses one that is not. */
static void test_padding_inside_rounded_union(void **state)
{
	(void)state;
	assert_int_equal(sizeof(test_shapes_cell), 16);
	test_shapes_gadget_put_request req;
	fill(&req);
	memset(&req.all.cell, 0xa5, sizeof(req.all.cell));
	req.all.cell.tag = TEST_SHAPES_CELL_GRID;
	memset(req.all.cell.grid, 7, sizeof(req.all.cell.grid));
	idl_typed_handle handles[TEST_SHAPES_GADGET_PUT_REQUEST_MAX_HANDLES];
	uint32_t count = 0;
	memset(wire, 0xff, sizeof(wire));
	int64_t size = encode(&req, handles, &count);
	assert_true(size > 0);
	test_shapes_gadget_put_request *w = (test_shapes_gadget_put_request *)wire;
	const uint8_t *cell = (const uint8_t *)&w->all.cell;
	static const uint8_t zero[16];
	assert_memory_equal(cell + 1, zero, 3);
	assert_memory_equal(cell + 13, zero, 3);

	const idl_typed_handle local[3] = {
	    {40, IDL_KIND_CHANNEL}, {41, IDL_KIND_SHM}, {42, IDL_KIND_SHM}};
	const test_shapes_gadget_put_request *got;
	for (int byte = 13; byte < 16; byte++) {
		size = encode(&req, handles, &count);
		wire[(size_t)(cell - wire) + (size_t)byte] = 1;
		assert_int_equal(decode(size, local, 3, &got), IDL_E_PADDING);
	}
	/* The corner variant ends at byte 12: its padding is bytes 12 to 15. */
	req.all.cell.tag = TEST_SHAPES_CELL_CORNER;
	req.all.cell.corner = (test_shapes_point){.x = 1, .y = 2};
	size = encode(&req, handles, &count);
	assert_memory_equal(cell + 12, zero, 4);
	assert_int_equal(decode(size, local, 3, &got), IDL_OK);
	assert_int_equal(got->all.cell.corner.y, 2);
	wire[(size_t)(cell - wire) + 12] = 1;
	assert_int_equal(decode(size, local, 3, &got), IDL_E_PADDING);
	/* Bytes 1 to 3, between the tag and the variant, are padding too. */
	for (int byte = 1; byte < 4; byte++) {
		size = encode(&req, handles, &count);
		wire[(size_t)(cell - wire) + (size_t)byte] = 1;
		assert_int_equal(decode(size, local, 3, &got), IDL_E_PADDING);
	}
}

/* Encodes the full request, then applies one hostile change. */
static int64_t encode_full(idl_typed_handle *handles, uint32_t *count)
{
	test_shapes_gadget_put_request req;
	fill(&req);
	int64_t size = encode(&req, handles, count);
	assert_true(size > 0);
	return size;
}

static void test_hostile_frames(void **state)
{
	(void)state;
	idl_typed_handle handles[TEST_SHAPES_GADGET_PUT_REQUEST_MAX_HANDLES];
	uint32_t count = 0;
	const test_shapes_gadget_put_request *got;
	test_shapes_gadget_put_request *w = (test_shapes_gadget_put_request *)wire;

	int64_t size = encode_full(handles, &count);
	w->all.shape.tag = 3;
	assert_int_equal(decode(size, handles, count, &got), IDL_E_UNION_TAG);

	size = encode_full(handles, &count);
	w->all.sparse = 1; /* between LOW and HIGH, but not declared */
	assert_int_equal(decode(size, handles, count, &got), IDL_E_ENUM);

	size = encode_full(handles, &count);
	w->all.flags |= 0x2;
	assert_int_equal(decode(size, handles, count, &got), IDL_E_BITS);

	size = encode_full(handles, &count);
	*(uint8_t *)&w->all.maybe_text.present = 2;
	assert_int_equal(decode(size, handles, count, &got), IDL_E_OPTIONAL);

	size = encode_full(handles, &count);
	w->all.maybe_point.pad[1] = 1;
	assert_int_equal(decode(size, handles, count, &got), IDL_E_PADDING);

	size = encode_full(handles, &count);
	w->all.words.count = 5; /* bound is 4 */
	assert_int_equal(decode(size, handles, count, &got), IDL_E_COUNT);

	/* The union's string block must be the last block: moving it is an offset error. */
	size = encode_full(handles, &count);
	w->all.shape.label.offset += 8;
	assert_int_equal(decode(size, handles, count, &got), IDL_E_OFFSET);

	/* A handle in a vector element that skips an index. */
	size = encode_full(handles, &count);
	test_shapes_named *first =
	    (test_shapes_named *)(wire + sizeof(test_shapes_gadget_put_request) +
	                          w->all.names.offset);
	first->region = 2;
	assert_int_equal(decode(size, handles, count, &got), IDL_E_HANDLE_INDEX);

	/* Packed records: a bad enum, bits or bool inside one, a name longer
	 * than its bound, and records that do not end at their byte count. */
	size = encode_full(handles, &count);
	wire_record(w, 1)[4 + 2 + 1 + 1 + 8] = 9; /* dense[0] */
	assert_int_equal(decode(size, handles, count, &got), IDL_E_ENUM);
	size = encode_full(handles, &count);
	wire_record(w, 2)[4 + 2 + 300 + 1 + 8 + 4] = 2; /* flags */
	assert_int_equal(decode(size, handles, count, &got), IDL_E_BITS);
	size = encode_full(handles, &count);
	wire_record(w, 0)[4 + 2 + 1 + 8 + 4 + 1] = 2; /* ok */
	assert_int_equal(decode(size, handles, count, &got), IDL_E_BOOL);
	size = encode_full(handles, &count);
	wire_record(w, 2)[4] = 0x2d; /* the name's length: 301 */
	assert_int_equal(decode(size, handles, count, &got), IDL_E_COUNT);
	size = encode_full(handles, &count);
	w->all.records.bytes -= 1; /* the last byte (not zero) becomes padding */
	assert_int_equal(decode(size, handles, count, &got), IDL_E_PADDING);
	size = encode_full(handles, &count);
	w->all.records.bytes += 1; /* a padding byte joins the records */
	assert_int_equal(decode(size, handles, count, &got), IDL_E_RECORDS);

	/* Fewer handles received than the frame uses. */
	size = encode_full(handles, &count);
	assert_int_equal(decode(size, handles, count - 1, &got), IDL_E_HANDLE_COUNT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_field_round_trips),
	    cmocka_unit_test(test_absent_and_other_variants),
	    cmocka_unit_test(test_padding_inside_rounded_union),
	    cmocka_unit_test(test_hostile_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
