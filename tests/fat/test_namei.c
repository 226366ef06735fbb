/*
 * test_namei.c: mkdir, unlink and rename, each case and each error, with
 * fsck.fat judging the image and mtools looking at the result; short-name
 * tails in a directory of many similar names; directories that grow past
 * one cluster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static struct fat_volume vol;

static void mount_ok(struct img *im)
{
	assert_int_equal(fat_mount(&vol, &im->dev, 0), FAT_OK);
}

static void put(const char *path, const char *text)
{
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, path, FAT_O_WRITE | FAT_O_CREATE | FAT_O_EXCLUSIVE),
	                 FAT_OK);
	size_t n = strlen(text);
	assert_int_equal(fat_write(&f, 0, text, (uint32_t)n), n);
	assert_int_equal(fat_close(&f), FAT_OK);
}

/* The text of a small file, or NULL if it cannot be opened. */
static const char *get(const char *path)
{
	static char buf[256];
	struct fat_file f;
	if (fat_open(&vol, &f, path, FAT_O_READ) != FAT_OK)
		return NULL;
	int64_t n = fat_read(&f, 0, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = 0;
	assert_int_equal(fat_close(&f), FAT_OK);
	return buf;
}

static int kind_of(const char *path)
{
	struct fat_file f;
	struct fat_stat st;
	int err = fat_open(&vol, &f, path, 0);
	if (err != FAT_OK)
		return err;
	assert_int_equal(fat_stat(&f, &st), FAT_OK);
	assert_int_equal(fat_close(&f), FAT_OK);
	return st.kind;
}

/* Unmounts, checks with fsck, mounts again. */
static void checkpoint(struct img *im)
{
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(im), 0);
	mount_ok(im);
}

static void mkdir_cases(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	mount_ok(&im);
	assert_int_equal(fat_mkdir(&vol, "/a"), FAT_OK);
	assert_int_equal(fat_mkdir(&vol, "/a/Nested Long Name"), FAT_OK);
	assert_int_equal(fat_mkdir(&vol, "/a/Nested Long Name/leaf"), FAT_OK);
	put("/a/Nested Long Name/leaf/f.txt", "in leaf");
	assert_int_equal(fat_mkdir(&vol, "/a"), FAT_E_EXISTS);
	assert_int_equal(fat_mkdir(&vol, "/A"), FAT_E_EXISTS);
	assert_int_equal(fat_mkdir(&vol, "/a/Nested Long Name/leaf/f.txt"), FAT_E_EXISTS);
	assert_int_equal(fat_mkdir(&vol, "/missing/x"), FAT_E_NOT_FOUND);
	assert_int_equal(fat_mkdir(&vol, "/a/Nested Long Name/leaf/f.txt/x"), FAT_E_NOT_DIR);
	assert_int_equal(fat_mkdir(&vol, "/"), FAT_E_INVALID);
	assert_int_equal(fat_mkdir(&vol, "relative"), FAT_E_INVALID);
	assert_int_equal(fat_mkdir(&vol, "/bad:name"), FAT_E_INVALID);
	assert_int_equal(kind_of("/a/nested long name"), FAT_KIND_DIRECTORY);
	checkpoint(&im);
	assert_string_equal(get("/a/Nested Long Name/leaf/f.txt"), "in leaf");
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_true(img_exists(&im, "/a/Nested Long Name/leaf/f.txt"));
	/* mtools can put files into what the library made. */
	img_put(&im, "/a/Nested Long Name/from mtools.txt", "mt", 2);
	mount_ok(&im);
	assert_string_equal(get("/a/Nested Long Name/from mtools.txt"), "mt");
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	img_close(&im);
}

static void unlink_cases(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	mount_ok(&im);
	assert_int_equal(fat_mkdir(&vol, "/d"), FAT_OK);
	assert_int_equal(fat_mkdir(&vol, "/d/sub"), FAT_OK);
	put("/d/file with a long name.txt", "x");
	put("/big", "");
	struct fat_file f;
	static uint8_t data[100000];
	assert_int_equal(fat_open(&vol, &f, "/big", FAT_O_WRITE), FAT_OK);
	assert_int_equal(fat_write(&f, 0, data, sizeof(data)), sizeof(data));
	assert_int_equal(fat_close(&f), FAT_OK);

	assert_int_equal(fat_unlink(&vol, "/d"), FAT_E_NOT_EMPTY);
	assert_int_equal(fat_unlink(&vol, "/d/missing"), FAT_E_NOT_FOUND);
	assert_int_equal(fat_unlink(&vol, "/"), FAT_E_BUSY);
	assert_int_equal(fat_open(&vol, &f, "/d/FILE WITH A LONG NAME.TXT", FAT_O_READ), FAT_OK);
	assert_int_equal(fat_unlink(&vol, "/d/file with a long name.txt"), FAT_E_BUSY);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_unlink(&vol, "/d/file with a long name.txt"), FAT_OK);
	assert_int_equal(fat_unlink(&vol, "/d/file with a long name.txt"), FAT_E_NOT_FOUND);
	assert_int_equal(fat_unlink(&vol, "/d"), FAT_E_NOT_EMPTY);
	assert_int_equal(fat_open(&vol, &f, "/d/sub", FAT_O_DIRECTORY), FAT_OK);
	assert_int_equal(fat_unlink(&vol, "/d/sub"), FAT_E_BUSY);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_unlink(&vol, "/d/sub"), FAT_OK);
	assert_int_equal(fat_unlink(&vol, "/d"), FAT_OK);
	assert_int_equal(fat_unlink(&vol, "/big"), FAT_OK);
	assert_int_equal(kind_of("/d"), FAT_E_NOT_FOUND);
	checkpoint(&im);
	/* Everything is free again: the whole disk fits in one file. */
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(run("'%s' -n '%s' | grep -q ' 1/'", FAT_FSCK, im.path), 0);
	assert_false(img_exists(&im, "/d"));
	img_close(&im);
}

static void rename_cases(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	mount_ok(&im);
	assert_int_equal(fat_mkdir(&vol, "/src"), FAT_OK);
	assert_int_equal(fat_mkdir(&vol, "/src/inner"), FAT_OK);
	assert_int_equal(fat_mkdir(&vol, "/dst"), FAT_OK);
	assert_int_equal(fat_mkdir(&vol, "/empty"), FAT_OK);
	put("/src/inner/deep.txt", "deep");
	put("/one.txt", "one");
	put("/two.txt", "two");

	/* Within a directory, to a long name and back. */
	assert_int_equal(fat_rename(&vol, "/one.txt", "/The First File.txt"), FAT_OK);
	assert_null(get("/one.txt"));
	assert_string_equal(get("/the first file.TXT"), "one");
	/* Replacing a file. */
	assert_int_equal(fat_rename(&vol, "/The First File.txt", "/two.txt"), FAT_OK);
	assert_string_equal(get("/two.txt"), "one");
	assert_null(get("/The First File.txt"));
	/* The same name: nothing happens; another case: the name changes. */
	assert_int_equal(fat_rename(&vol, "/two.txt", "/two.txt"), FAT_OK);
	assert_int_equal(fat_rename(&vol, "/two.txt", "/TWO.txt"), FAT_OK);
	struct fat_file root;
	struct fat_dirent d[8];
	uint32_t n;
	uint64_t next;
	bool done;
	assert_int_equal(fat_open(&vol, &root, "/", FAT_O_DIRECTORY), FAT_OK);
	assert_int_equal(fat_readdir(&root, 0, d, 8, &n, &next, &done), FAT_OK);
	assert_int_equal(fat_close(&root), FAT_OK);
	bool found = false;
	for (uint32_t i = 0; i < n; i++)
		found |= strcmp(d[i].name, "TWO.txt") == 0;
	assert_true(found);
	assert_int_equal(n, 4); /* src dst empty TWO.txt */
	checkpoint(&im);

	/* Across directories: a file, then a directory (its ".." follows,
	 * which fsck checks). */
	assert_int_equal(fat_rename(&vol, "/TWO.txt", "/dst/moved.txt"), FAT_OK);
	assert_string_equal(get("/dst/moved.txt"), "one");
	assert_int_equal(fat_rename(&vol, "/src/inner", "/dst/Inner Moved"), FAT_OK);
	assert_string_equal(get("/dst/Inner Moved/deep.txt"), "deep");
	assert_int_equal(kind_of("/src/inner"), FAT_E_NOT_FOUND);
	checkpoint(&im);
	/* To the root and back into a subdirectory. */
	assert_int_equal(fat_rename(&vol, "/dst/Inner Moved", "/top"), FAT_OK);
	checkpoint(&im);
	assert_int_equal(fat_rename(&vol, "/top", "/src/inner"), FAT_OK);
	checkpoint(&im);

	/* The errors. */
	assert_int_equal(fat_rename(&vol, "/src", "/src/inner/x"), FAT_E_INVALID);
	assert_int_equal(fat_rename(&vol, "/src", "/src/x"), FAT_E_INVALID);
	assert_int_equal(fat_rename(&vol, "/src", "/SRC/inner"), FAT_E_INVALID);
	assert_int_equal(fat_rename(&vol, "/missing", "/x"), FAT_E_NOT_FOUND);
	assert_int_equal(fat_rename(&vol, "/dst/moved.txt", "/missing/x"), FAT_E_NOT_FOUND);
	assert_int_equal(fat_rename(&vol, "/dst/moved.txt", "/src"), FAT_E_IS_DIR);
	assert_int_equal(fat_rename(&vol, "/src", "/dst/moved.txt"), FAT_E_NOT_DIR);
	assert_int_equal(fat_rename(&vol, "/empty", "/src"), FAT_E_NOT_EMPTY);
	assert_int_equal(fat_rename(&vol, "/", "/x"), FAT_E_BUSY);
	assert_int_equal(fat_rename(&vol, "/dst/moved.txt", "/"), FAT_E_INVALID);
	assert_int_equal(fat_rename(&vol, "/dst/moved.txt", "/bad|name"), FAT_E_INVALID);
	assert_int_equal(fat_rename(&vol, "/dst/moved.txt", "/dst/moved.txt/x"), FAT_E_NOT_DIR);
	put("/target", "t");
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, "/target", FAT_O_READ), FAT_OK);
	assert_int_equal(fat_rename(&vol, "/dst/moved.txt", "/target"), FAT_E_BUSY);
	assert_int_equal(fat_close(&f), FAT_OK);
	/* A directory replaces an empty one. */
	assert_int_equal(fat_rename(&vol, "/src", "/empty"), FAT_OK);
	assert_string_equal(get("/empty/inner/deep.txt"), "deep");
	checkpoint(&im);

	/* An open file that is renamed stays open and writes to its entry. */
	assert_int_equal(fat_open(&vol, &f, "/dst/moved.txt", FAT_O_READ | FAT_O_WRITE), FAT_OK);
	struct fat_stat before, after;
	assert_int_equal(fat_stat(&f, &before), FAT_OK);
	assert_int_equal(fat_rename(&vol, "/dst/moved.txt", "/empty/moved again.txt"), FAT_OK);
	assert_int_equal(fat_write(&f, 3, " more", 5), 5);
	assert_int_equal(fat_stat(&f, &after), FAT_OK);
	assert_int_equal(after.size, 8);
	assert_true(after.inode != before.inode);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_string_equal(get("/empty/moved again.txt"), "one more");
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	size_t len;
	uint8_t *got = img_get(&im, "/empty/moved again.txt", &len);
	assert_non_null(got);
	assert_int_equal(len, 8);
	assert_memory_equal(got, "one more", 8);
	free(got);
	img_close(&im);
}

/* 300 names that share their first characters: ~1..~4, then hashed tails;
 * all distinct, the directory grows over many clusters, fsck and mtools
 * agree. */
static void many_similar_names(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	mount_ok(&im);
	assert_int_equal(fat_mkdir(&vol, "/dir"), FAT_OK);
	char path[96];
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "/dir/a long file name %03d.text", i);
		put(path, path);
	}
	for (int i = 0; i < 300; i += 7) {
		snprintf(path, sizeof(path), "/dir/A LONG FILE NAME %03d.TEXT", i);
		const char *s = get(path);
		assert_non_null(s);
		snprintf(path, sizeof(path), "/dir/a long file name %03d.text", i);
		assert_string_equal(s, path);
	}
	/* Remove some, add others into the holes. */
	for (int i = 0; i < 300; i += 3) {
		snprintf(path, sizeof(path), "/dir/a long file name %03d.text", i);
		assert_int_equal(fat_unlink(&vol, path), FAT_OK);
	}
	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof(path), "/dir/another %d", i);
		put(path, "again");
	}
	checkpoint(&im);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(
	    run("test $('%s/mdir' -b -i '%s' ::/dir | wc -l) -eq 250", FAT_MTOOLS_DIR, im.path), 0);
	img_close(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mkdir_cases),
	    cmocka_unit_test(unlink_cases),
	    cmocka_unit_test(rename_cases),
	    cmocka_unit_test(many_similar_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
