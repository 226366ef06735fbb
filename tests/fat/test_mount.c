/*
 * test_mount.c: mounting, looking up and listing what mtools put on real
 * images: short names, long names (spaces, mixed case, 255 characters,
 * non-ASCII), nested directories, path errors, readdir in batches with
 * cookies, stat and the time conversions.
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

/* Reads a whole small file through the library. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, path, FAT_O_READ), FAT_OK);
	int64_t n = fat_read(&f, 0, buf, (uint32_t)cap);
	assert_true(n >= 0);
	assert_int_equal(fat_close(&f), FAT_OK);
	return (size_t)n;
}

static void fresh_image_mounts_empty(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	mount_ok(&im);
	struct fat_file root;
	assert_int_equal(fat_open(&vol, &root, "/", FAT_O_READ | FAT_O_DIRECTORY), FAT_OK);
	struct fat_dirent d[4];
	uint32_t n;
	uint64_t next;
	bool done;
	assert_int_equal(fat_readdir(&root, 0, d, 4, &n, &next, &done), FAT_OK);
	assert_int_equal(n, 0);
	assert_true(done);
	struct fat_stat st;
	assert_int_equal(fat_stat(&root, &st), FAT_OK);
	assert_int_equal(st.inode, FAT_ROOT_INODE);
	assert_int_equal(st.kind, FAT_KIND_DIRECTORY);
	assert_int_equal(fat_unmount(&vol), FAT_E_BUSY);
	assert_int_equal(fat_close(&root), FAT_OK);
	assert_int_equal(fat_close(&root), FAT_E_BAD_HANDLE);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	img_close(&im);
}

static void non_fat32_is_invalid(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	/* FAT16 by mkfs.fat, then a blank disk. */
	assert_int_equal(run("'%s' -F 16 '%s' >/dev/null 2>&1", FAT_MKFS, im.path), 0);
	assert_int_equal(fat_mount(&vol, &im.dev, 0), FAT_E_INVALID);
	uint8_t zero[512] = {0};
	img_patch(&im, 0, zero, sizeof(zero));
	assert_int_equal(fat_mount(&vol, &im.dev, 0), FAT_E_INVALID);
	img_close(&im);
}

static const char long255[] =
    "a123456789b123456789c123456789d123456789e123456789f123456789g123456789h123456789"
    "i123456789j123456789k123456789l123456789m123456789n123456789o123456789p123456789"
    "q123456789r123456789s123456789t123456789u123456789v123456789w123456789x123456789"
    "y123456789z.txt";

static void long_and_short_names(void **state)
{
	(void)state;
	assert_int_equal(strlen(long255), 255);
	struct img im;
	img_make(&im, 40960, 1);
	img_put(&im, "/Hello World long name.txt", "spaces", 6);
	img_put(&im, "/lower.txt", "lower", 5);
	img_put(&im, "/UP.TXT", "upper", 5);
	img_put(&im, "/Mixed Case File.Txt", "mixed", 5);
	char path[300];
	snprintf(path, sizeof(path), "/%s", long255);
	img_put(&im, path, "long", 4);
	mount_ok(&im);
	char buf[64];
	assert_int_equal(slurp("/Hello World long name.txt", buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "spaces", 6);
	/* Any case finds it, and so does its short name. */
	assert_int_equal(slurp("/HELLO world LONG name.TXT", buf, sizeof(buf)), 6);
	assert_int_equal(slurp("/HELLOW~1.TXT", buf, sizeof(buf)), 6);
	assert_int_equal(slurp("/lower.txt", buf, sizeof(buf)), 5);
	assert_int_equal(slurp("/LOWER.TXT", buf, sizeof(buf)), 5);
	assert_int_equal(slurp("/up.txt", buf, sizeof(buf)), 5);
	assert_int_equal(slurp("/mixed case file.txt", buf, sizeof(buf)), 5);
	assert_int_equal(slurp(path, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "long", 4);

	/* readdir gives the names as created, the short-only lower.txt in
	 * the lower case its NT bits ask for. */
	struct fat_file root;
	assert_int_equal(fat_open(&vol, &root, "/", FAT_O_DIRECTORY | FAT_O_READ), FAT_OK);
	struct fat_dirent d[8];
	uint32_t n;
	uint64_t next;
	bool done;
	assert_int_equal(fat_readdir(&root, 0, d, 8, &n, &next, &done), FAT_OK);
	assert_int_equal(n, 5);
	assert_true(done);
	const char *want[] = {"Hello World long name.txt", "lower.txt", "UP.TXT",
	                      "Mixed Case File.Txt", long255};
	for (int i = 0; i < 5; i++) {
		assert_string_equal(d[i].name, want[i]);
		assert_int_equal(d[i].name_len, strlen(want[i]));
		assert_int_equal(d[i].kind, FAT_KIND_REGULAR);
	}
	assert_int_equal(fat_close(&root), FAT_OK);

	/* A name of 256 characters is too long to look up. */
	char too_long[300];
	snprintf(too_long, sizeof(too_long), "/x%s", long255);
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, too_long, FAT_O_READ), FAT_E_NAME_TOO_LONG);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	img_close(&im);
}

/* Names the library creates: non-ASCII (2, 3 and 4 bytes of UTF-8), a
 * 255-byte name, and what it refuses. mtools then sees them. */
static void created_names(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	mount_ok(&im);
	const char *names[] = {"/caf\xc3\xa9 cr\xc3\xa8me.txt",
	                       "/\xe6\x97\xa5\xe6\x9c\xac.doc",
	                       "/smile \xf0\x9f\x98\x80",
	                       "/.hidden",
	                       "/a+b;c=d",
	                       "/UPPER.TXT",
	                       "/lower.txt",
	                       "/x.y.z.tar.gz"};
	struct fat_file f;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(fat_open(&vol, &f, names[i], FAT_O_WRITE | FAT_O_CREATE), FAT_OK);
		assert_int_equal(fat_write(&f, 0, names[i], 3), 3);
		assert_int_equal(fat_close(&f), FAT_OK);
	}
	char path[300];
	snprintf(path, sizeof(path), "/%s", long255);
	assert_int_equal(fat_open(&vol, &f, path, FAT_O_WRITE | FAT_O_CREATE), FAT_OK);
	assert_int_equal(fat_close(&f), FAT_OK);
	/* (mdir takes [] for a pattern, so no brackets in names it checks.) */
	assert_int_equal(fat_open(&vol, &f, "/[x]", FAT_O_WRITE | FAT_O_CREATE), FAT_OK);
	assert_int_equal(fat_close(&f), FAT_OK);
	const char *bad[] = {"/a:b",
	                     "/a*b",
	                     "/a?b",
	                     "/a\\b",
	                     "/a<b",
	                     "/a|b",
	                     "/a\"b",
	                     "/trailing.",
	                     "/trailing ",
	                     "/ctl\x01",
	                     "/bad\xc3",
	                     "/over\xc0\xaflong",
	                     "/sur\xed\xa0\x80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fat_open(&vol, &f, bad[i], FAT_O_WRITE | FAT_O_CREATE),
		                 FAT_E_INVALID);
	char too_long[300];
	snprintf(too_long, sizeof(too_long), "/x%s", long255);
	assert_int_equal(fat_open(&vol, &f, too_long, FAT_O_WRITE | FAT_O_CREATE),
	                 FAT_E_NAME_TOO_LONG);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	/* mtools finds them by their names (ASCII ones: mtools converts
	 * others through the locale) and reads what was written. */
	size_t n;
	uint8_t *got = img_get(&im, "/.hidden", &n);
	assert_non_null(got);
	assert_int_equal(n, 3);
	assert_memory_equal(got, "/.h", 3);
	free(got);
	assert_true(img_exists(&im, "/a+b;c=d"));
	assert_true(img_exists(&im, "/x.y.z.tar.gz"));
	assert_true(img_exists(&im, path));
	/* And the library reads the non-ASCII names back the same. */
	mount_ok(&im);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char buf[8];
		assert_int_equal(slurp(names[i], buf, sizeof(buf)), 3);
		assert_memory_equal(buf, names[i], 3);
	}
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	img_close(&im);
}

static void nested_directories_and_path_errors(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	img_mkdir(&im, "/a");
	img_mkdir(&im, "/a/Second Level");
	img_mkdir(&im, "/a/Second Level/c");
	img_put(&im, "/a/Second Level/c/deep.txt", "deep", 4);
	mount_ok(&im);
	char buf[8];
	assert_int_equal(slurp("/a/second level/C/DEEP.TXT", buf, sizeof(buf)), 4);
	assert_int_equal(slurp("//a//Second Level/c/deep.txt", buf, sizeof(buf)), 4);
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, "/a/Second Level/c/", FAT_O_DIRECTORY), FAT_OK);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_open(&vol, &f, "/a/Second Level/c/deep.txt/x", FAT_O_READ),
	                 FAT_E_NOT_DIR);
	assert_int_equal(fat_open(&vol, &f, "/a/Second Level/c/deep.txt", FAT_O_DIRECTORY),
	                 FAT_E_NOT_DIR);
	assert_int_equal(fat_open(&vol, &f, "/a/missing/x", FAT_O_READ), FAT_E_NOT_FOUND);
	assert_int_equal(fat_open(&vol, &f, "/a/missing", FAT_O_READ), FAT_E_NOT_FOUND);
	assert_int_equal(fat_open(&vol, &f, "a/Second Level", FAT_O_READ), FAT_E_INVALID);
	assert_int_equal(fat_open(&vol, &f, "", FAT_O_READ), FAT_E_INVALID);
	assert_int_equal(fat_open(&vol, &f, "/a/./c", FAT_O_READ), FAT_E_INVALID);
	assert_int_equal(fat_open(&vol, &f, "/a/..", FAT_O_READ), FAT_E_INVALID);
	assert_int_equal(fat_open(&vol, &f, "/a", FAT_O_WRITE), FAT_E_IS_DIR);
	assert_int_equal(fat_open(&vol, &f, "/a", 0x80), FAT_E_INVALID);
	assert_int_equal(fat_open(&vol, &f, "/a/Second Level/c/deep.txt", FAT_O_READ), FAT_OK);
	assert_int_equal(fat_read(&f, 0, buf, 1), 1);
	assert_int_equal(fat_write(&f, 0, buf, 1), FAT_E_ACCESS);
	struct fat_dirent d;
	uint32_t n;
	uint64_t next;
	bool done;
	assert_int_equal(fat_readdir(&f, 0, &d, 1, &n, &next, &done), FAT_E_NOT_DIR);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_open(&vol, &f, "/a", FAT_O_READ | FAT_O_DIRECTORY), FAT_OK);
	assert_int_equal(fat_read(&f, 0, buf, 1), FAT_E_IS_DIR);
	assert_int_equal(fat_readdir(&f, 0, &d, 1, &n, &next, &done), FAT_OK);
	assert_int_equal(n, 1);
	assert_string_equal(d.name, "Second Level");
	assert_int_equal(d.kind, FAT_KIND_DIRECTORY);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	img_close(&im);
}

#define MANY 150

/* Lists a directory of MANY files in batches of 64 from the given cookie;
 * marks seen[i] for file i and returns the entries seen. */
static unsigned list_from(struct fat_file *dir, uint64_t cookie, unsigned char *seen,
                          uint64_t *inodes, unsigned *batches)
{
	static struct fat_dirent d[64];
	unsigned total = 0;
	*batches = 0;
	for (bool done = false; !done;) {
		uint32_t n;
		uint64_t next;
		assert_int_equal(fat_readdir(dir, cookie, d, 64, &n, &next, &done), FAT_OK);
		assert_true(n <= 64);
		(*batches)++;
		assert_true(*batches < 100);
		for (uint32_t i = 0; i < n; i++) {
			unsigned k;
			assert_int_equal(sscanf(d[i].name, "entry number %u.dat", &k), 1);
			assert_true(k < MANY);
			assert_false(seen[k]);
			seen[k] = 1;
			inodes[k] = d[i].inode;
			total++;
		}
		cookie = next;
	}
	return total;
}

static void readdir_in_batches_with_cookies(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	img_mkdir(&im, "/many");
	/* One mcopy for all of them: MANY files in the host directory. */
	char host[300];
	snprintf(host, sizeof(host), "%s.d", im.path);
	assert_int_equal(run("mkdir -p '%s' && cd '%s' && for i in $(seq 0 %d); do echo $i > "
	                     "\"entry number $i.dat\"; done",
	                     host, host, MANY - 1),
	                 0);
	assert_int_equal(run("'%s/mcopy' -i '%s' '%s'/* ::/many/", FAT_MTOOLS_DIR, im.path, host),
	                 0);
	mount_ok(&im);
	struct fat_file dir;
	assert_int_equal(fat_open(&vol, &dir, "/many", FAT_O_DIRECTORY), FAT_OK);
	unsigned char seen[MANY] = {0};
	uint64_t inodes[MANY];
	unsigned batches;
	assert_int_equal(list_from(&dir, 0, seen, inodes, &batches), MANY);
	assert_true(batches >= 3);
	/* Inode numbers are distinct and the ones stat gives. */
	for (int i = 0; i < MANY; i++)
		for (int j = 0; j < i; j++)
			assert_true(inodes[i] != inodes[j]);
	for (int i = 0; i < MANY; i += 37) {
		char path[64];
		snprintf(path, sizeof(path), "/many/entry number %d.dat", i);
		struct fat_file f;
		struct fat_stat st;
		assert_int_equal(fat_open(&vol, &f, path, FAT_O_READ), FAT_OK);
		assert_int_equal(fat_stat(&f, &st), FAT_OK);
		assert_int_equal(st.inode, inodes[i]);
		assert_int_equal(fat_close(&f), FAT_OK);
	}

	/* A cookie stays good while the directory changes: take the first
	 * batch, remove one entry listed and one not yet listed, go on. */
	struct fat_dirent first[64];
	uint32_t n;
	uint64_t next;
	bool done;
	assert_int_equal(fat_readdir(&dir, 0, first, 64, &n, &next, &done), FAT_OK);
	assert_int_equal(n, 64);
	assert_false(done);
	unsigned a, b;
	sscanf(first[0].name, "entry number %u.dat", &a);
	char path[300];
	snprintf(path, sizeof(path), "/many/%s", first[0].name);
	assert_int_equal(fat_unlink(&vol, path), FAT_OK);
	memset(seen, 0, sizeof(seen));
	for (uint32_t i = 0; i < n; i++) {
		sscanf(first[i].name, "entry number %u.dat", &b);
		seen[b] = 1;
	}
	/* The first entry not listed yet goes away too. */
	for (b = 0; b < MANY && seen[b]; b++)
		;
	snprintf(path, sizeof(path), "/many/entry number %u.dat", b);
	assert_int_equal(fat_unlink(&vol, path), FAT_OK);
	unsigned rest = list_from(&dir, next, seen, inodes, &batches);
	assert_int_equal(rest, MANY - 64 - 1);
	assert_false(seen[b]);
	/* A cookie past any directory is refused. */
	assert_int_equal(fat_readdir(&dir, 1u << 20, first, 64, &n, &next, &done), FAT_E_INVALID);
	assert_int_equal(fat_close(&dir), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	/* mtools agrees on what went. */
	snprintf(path, sizeof(path), "/many/entry number %u.dat", a);
	assert_false(img_exists(&im, path));
	snprintf(path, sizeof(path), "/many/entry number %u.dat", b);
	assert_false(img_exists(&im, path));
	assert_true(img_exists(&im, "/many/entry number 149.dat") || a == 149 || b == 149);
	img_close(&im);
}

static void stat_and_times(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	mount_ok(&im);
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, "/t.txt", FAT_O_WRITE | FAT_O_CREATE), FAT_OK);
	assert_int_equal(fat_write(&f, 0, "0123456789", 10), 10);
	struct fat_stat st;
	assert_int_equal(fat_stat(&f, &st), FAT_OK);
	assert_int_equal(st.size, 10);
	assert_int_equal(st.kind, FAT_KIND_REGULAR);
	assert_true(st.attributes & FAT_ATTR_ARCHIVE);
	/* The fixture's clock: 2021-06-15 12:34:56 UTC, even seconds. */
	assert_int_equal(st.modify_time_ns, 1623760496ll * 1000000000ll);
	assert_int_equal(st.create_time_ns, 1623760496ll * 1000000000ll);
	assert_int_equal(st.access_time_ns, 1623715200ll * 1000000000ll);
	int64_t m = 1000000001ll * 1000000000ll + 999; /* 2001-09-09 01:46:41 */
	int64_t a = 1700000000ll * 1000000000ll;
	assert_int_equal(fat_set_times(&f, &a, &m), FAT_OK);
	assert_int_equal(fat_stat(&f, &st), FAT_OK);
	assert_int_equal(st.modify_time_ns, 1000000000ll * 1000000000ll);
	assert_int_equal(st.access_time_ns, (1700000000ll - 1700000000ll % 86400) * 1000000000ll);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_open(&vol, &f, "/", FAT_O_DIRECTORY), FAT_OK);
	assert_int_equal(fat_set_times(&f, &a, &m), FAT_E_NOT_SUPPORTED);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	/* mtools shows the modification time set. */
	assert_int_equal(run("'%s/mdir' -i '%s' ::/t.txt | grep -q '2001-09-09  *1:46'",
	                     FAT_MTOOLS_DIR, im.path),
	                 0);
	img_close(&im);
}

static void time_conversions(void **state)
{
	(void)state;
	const int64_t s = 1000000000ll;
	uint16_t date, time;
	uint8_t tenth;
	/* The FAT epoch, and fields of 0 (unset) read as the epoch. */
	assert_int_equal(fat_time_to_ns(0x0021, 0, 0), 315532800ll * s);
	assert_int_equal(fat_time_to_ns(0, 0, 0), 315532800ll * s);
	/* 2000-02-29 23:59:58 and back. */
	fat_time_from_ns(951868798ll * s + 990000000ll, &date, &time, &tenth);
	assert_int_equal(date, (20 << 9) | (2 << 5) | 29);
	assert_int_equal(time, (23 << 11) | (59 << 5) | 29);
	assert_int_equal(tenth, 99);
	assert_int_equal(fat_time_to_ns(date, time, tenth), 951868798ll * s + 990000000ll);
	/* 2021-03-01 (after a non-leap February). */
	fat_time_from_ns(1614556800ll * s, &date, &time, &tenth);
	assert_int_equal(date, (41 << 9) | (3 << 5) | 1);
	assert_int_equal(time, 0);
	/* Clamped at both ends. */
	fat_time_from_ns(0, &date, &time, &tenth);
	assert_int_equal(date, (0 << 9) | (1 << 5) | 1);
	assert_int_equal(time, 0);
	fat_time_from_ns(INT64_MIN, &date, &time, &tenth);
	assert_int_equal(date, (1 << 5) | 1);
	fat_time_from_ns(INT64_MAX, &date, &time, &tenth);
	assert_int_equal(date, (127 << 9) | (12 << 5) | 31);
	assert_int_equal(time, (23 << 11) | (59 << 5) | 29);
	assert_int_equal(tenth, 199);
	assert_int_equal(fat_time_to_ns(date, time, tenth), 4354819199ll * s + 990000000ll);
	/* Every day of 1980..2107 round-trips. */
	for (int64_t day = 3652; day <= 50402; day++) { /* to 2107-12-31 */
		fat_time_from_ns(day * 86400 * s + 3723 * s, &date, &time, &tenth);
		assert_int_equal(fat_time_to_ns(date, time, tenth), day * 86400 * s + 3723 * s);
	}
	/* Garbage fields are clamped, not refused, and never roll over into
	 * another day: month 15 and day 0 at 31:63:62 is December 1st at
	 * 23:59:58; February 31st is the 28th, or the 29th in a leap year. */
	assert_int_equal(
	    fat_time_to_ns((5 << 9) | (15 << 5) | 0, 0xffff, 255),
	    fat_time_to_ns((5 << 9) | (12 << 5) | 1, (23 << 11) | (59 << 5) | 29, 199));
	assert_int_equal(fat_time_to_ns((21 << 9) | (2 << 5) | 31, 0, 0),
	                 fat_time_to_ns((21 << 9) | (2 << 5) | 28, 0, 0));
	assert_int_equal(fat_time_to_ns((20 << 9) | (2 << 5) | 31, 0, 0),
	                 fat_time_to_ns((20 << 9) | (2 << 5) | 29, 0, 0));
	assert_int_equal(fat_time_to_ns((5 << 9) | (4 << 5) | 31, 0, 0),
	                 fat_time_to_ns((5 << 9) | (4 << 5) | 30, 0, 0));
	/* The latest a field can say is the latest time FAT holds. */
	assert_int_equal(fat_time_to_ns(0xffff, 0xffff, 255), 4354819199ll * s + 990000000ll);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fresh_image_mounts_empty),
	    cmocka_unit_test(non_fat32_is_invalid),
	    cmocka_unit_test(long_and_short_names),
	    cmocka_unit_test(created_names),
	    cmocka_unit_test(nested_directories_and_path_errors),
	    cmocka_unit_test(readdir_in_batches_with_cookies),
	    cmocka_unit_test(stat_and_times),
	    cmocka_unit_test(time_conversions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
