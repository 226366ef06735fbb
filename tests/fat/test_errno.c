/*
 * test_errno.c: the library's error numbers are sys.Errno's, negated
 * (the library cannot include the generated header, so it keeps its own
 * enum; this test is what ties the two together), and its open flags and
 * kinds are fs.OpenFlags and fs.FileKind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fat.h"
#include "fs.h"
#include "sys.h"

#define SAME(name) assert_int_equal(FAT_E_##name, -(int)SYS_ERRNO_##name)

static void errors_are_sys_errno(void **state)
{
	(void)state;
	SAME(NOT_FOUND);
	SAME(ACCESS);
	SAME(EXISTS);
	SAME(NOT_DIR);
	SAME(IS_DIR);
	SAME(INVALID);
	SAME(NO_SPACE);
	SAME(IO);
	SAME(BAD_HANDLE);
	SAME(NOT_SUPPORTED);
	SAME(BUSY);
	SAME(NAME_TOO_LONG);
	SAME(NOT_EMPTY);
}

/* The open flags and kinds are fs.idl's too. */
static void flags_are_fs_open_flags(void **state)
{
	(void)state;
	assert_int_equal(FAT_O_READ, FS_OPEN_FLAGS_READ);
	assert_int_equal(FAT_O_WRITE, FS_OPEN_FLAGS_WRITE);
	assert_int_equal(FAT_O_CREATE, FS_OPEN_FLAGS_CREATE);
	assert_int_equal(FAT_O_TRUNCATE, FS_OPEN_FLAGS_TRUNCATE);
	assert_int_equal(FAT_O_APPEND, FS_OPEN_FLAGS_APPEND);
	assert_int_equal(FAT_O_DIRECTORY, FS_OPEN_FLAGS_DIRECTORY);
	assert_int_equal(FAT_O_EXCLUSIVE, FS_OPEN_FLAGS_EXCLUSIVE);
	assert_int_equal(FAT_KIND_REGULAR, FS_FILE_KIND_REGULAR);
	assert_int_equal(FAT_KIND_DIRECTORY, FS_FILE_KIND_DIRECTORY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(errors_are_sys_errno),
	    cmocka_unit_test(flags_are_fs_open_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
