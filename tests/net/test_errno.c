/*
 * test_errno.c: the library's error numbers are sys.Errno's, negated (the
 * library cannot include the generated header, so it keeps its own enum;
 * this test is what ties the two together), and its limits agree with
 * net.idl's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "net.h"
#include "netstack.h"
#include "sys.h"

#define SAME(name) assert_int_equal(NET_E_##name, -(int)SYS_ERRNO_##name)

static void errors_are_sys_errno(void **state)
{
	(void)state;
	SAME(NOT_FOUND);
	SAME(INVALID);
	SAME(NO_SPACE);
	SAME(IO);
	SAME(NOT_SUPPORTED);
	SAME(UNREACHABLE);
}

/* A datagram the library can send or deliver fits in net.idl's send_to
 * and receive_from. */
static void limits_fit_net_idl(void **state)
{
	(void)state;
	assert_true(NET_UDP_MAX_PAYLOAD <= NET_MAX_DATAGRAM);
	assert_int_equal(NET_MTU, 1500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(errors_are_sys_errno),
	    cmocka_unit_test(limits_fit_net_idl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
