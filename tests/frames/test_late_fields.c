/*
 * test_late_fields.c: a message whose every parameter a later version
 * added. Its first version's frame is the header alone, so an encoder for
 * that version writes nothing after it (in a buffer of exactly 16 bytes,
 * for ASan to see past it), and an out-of-line block of a later field is
 * not overwritten by its slot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "late.h"

static void test_first_version_is_the_header_alone(void **state)
{
	(void)state;
	late_store_put_request req;
	memset(&req, 0, sizeof(req));
	req.x = 0x11223344u;
	req.y = 0x55;
	uint8_t *exact = test_malloc(IDL_FRAME_HEADER_BYTES);
	assert_int_equal(late_store_put_request_encode_version(&req, 1, 7, exact,
	                                                       IDL_FRAME_HEADER_BYTES, NULL, NULL),
	                 IDL_FRAME_HEADER_BYTES);
	test_free(exact);

	late_store_get_reply rep;
	memset(&rep, 0, sizeof(rep));
	rep.s.size = 2;
	rep.s.data = "hi";
	static _Alignas(8) uint8_t wire[LATE_STORE_GET_REPLY_MAX_BYTES];
	static _Alignas(8) uint8_t priv[LATE_STORE_GET_REPLY_MAX_BYTES];
	int64_t n = late_store_get_reply_encode_version(&rep, 1, 7, wire, sizeof(wire), NULL, NULL);
	assert_int_equal(n, IDL_FRAME_HEADER_BYTES);
	const late_store_get_reply *out;
	assert_int_equal(
	    late_store_get_reply_decode(wire, (size_t)n, priv, sizeof(priv), NULL, 0, &out),
	    IDL_OK);
	assert_false(IDL_HAS_FIELD(out, s));
	assert_int_equal(out->s.size, 0);

	n = late_store_get_reply_encode_version(&rep, 2, 7, wire, sizeof(wire), NULL, NULL);
	assert_true(n > IDL_FRAME_HEADER_BYTES);
	assert_int_equal(
	    late_store_get_reply_decode(wire, (size_t)n, priv, sizeof(priv), NULL, 0, &out),
	    IDL_OK);
	assert_string_equal(out->s.data, "hi");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_version_is_the_header_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
