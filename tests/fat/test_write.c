/*
 * test_write.c: writing. Writes that extend files and cross cluster
 * boundaries (512 B and 4 KiB clusters), gaps filled with zeros, truncate
 * both ways (growing must zero what the disk still holds past the old
 * end), open flags (APPEND, TRUNCATE, EXCLUSIVE), two descriptors of one
 * file, persistence across unmount and mount and what mtools reads back,
 * a full disk, device errors, and a read-only mount. fsck.fat -n must find
 * every image clean after the library wrote it.
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

/* Reads the whole file at path through the library and compares. */
static void expect_contents(const char *path, const uint8_t *want, size_t n)
{
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, path, FAT_O_READ), FAT_OK);
	struct fat_stat st;
	assert_int_equal(fat_stat(&f, &st), FAT_OK);
	assert_int_equal(st.size, n);
	uint8_t *buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fat_read(&f, 0, buf, (uint32_t)n + 1), n);
	assert_memory_equal(buf, want, n);
	free(buf);
	assert_int_equal(fat_close(&f), FAT_OK);
}

/* And through mtools, after an unmount. */
static void expect_mtools(struct img *im, const char *path, const uint8_t *want, size_t n)
{
	size_t got_n;
	uint8_t *got = img_get(im, path, &got_n);
	assert_non_null(got);
	assert_int_equal(got_n, n);
	assert_memory_equal(got, want, n);
	free(got);
}

static void writes_extend_and_cross_clusters(unsigned kib, unsigned spc)
{
	struct img im;
	img_make(&im, kib, spc);
	mount_ok(&im);
	const size_t size = 40000;
	uint8_t *model = calloc(1, size), *src = malloc(size);
	assert_non_null(model);
	assert_non_null(src);
	fill_pattern(src, size, 11);
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, "/grow.bin", FAT_O_READ | FAT_O_WRITE | FAT_O_CREATE),
	                 FAT_OK);
	/* (offset, length): inside a sector, across sectors and clusters,
	 * overwriting, and past the end leaving gaps of zeros. */
	const uint32_t ops[][2] = {{0, 100},      {100, 1000},  {1000, 5000}, {511, 2},
	                           {4095, 3},     {12000, 700}, {8000, 4096}, {20000, 1},
	                           {30000, 9999}, {1, 39998}};
	size_t end = 0;
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		uint32_t off = ops[k][0], len = ops[k][1];
		fill_pattern(src, len, (uint32_t)k + 100);
		assert_int_equal(fat_write(&f, off, src, len), len);
		memcpy(model + off, src, len);
		if (off + len > end)
			end = off + len;
		struct fat_stat st;
		assert_int_equal(fat_stat(&f, &st), FAT_OK);
		assert_int_equal(st.size, end);
	}
	assert_int_equal(fat_close(&f), FAT_OK);
	expect_contents("/grow.bin", model, end);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	expect_mtools(&im, "/grow.bin", model, end);
	img_close(&im);
	free(model);
	free(src);
}

static void writes_512_byte_clusters(void **state)
{
	(void)state;
	writes_extend_and_cross_clusters(40960, 1);
}

static void writes_4k_clusters(void **state)
{
	(void)state;
	writes_extend_and_cross_clusters(300 * 1024, 8);
}

/* Growing with truncate must zero the bytes past the old end, which the
 * disk still holds from before the file was cut. */
static void truncate_both_ways(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	uint8_t data[10000], model[10000] = {0};
	fill_pattern(data, sizeof(data), 5);
	img_put(&im, "/T.BIN", data, sizeof(data));
	mount_ok(&im);
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, "/T.BIN", FAT_O_READ | FAT_O_WRITE), FAT_OK);
	assert_int_equal(fat_truncate(&f, 3001), FAT_OK);
	memcpy(model, data, 3001);
	expect_contents("/T.BIN", model, 3001);
	assert_int_equal(fat_truncate(&f, 9000), FAT_OK);
	expect_contents("/T.BIN", model, 9000);
	assert_int_equal(fat_unmount(&vol), FAT_E_BUSY);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	expect_mtools(&im, "/T.BIN", model, 9000);

	mount_ok(&im);
	assert_int_equal(fat_open(&vol, &f, "/T.BIN", FAT_O_READ | FAT_O_WRITE), FAT_OK);
	assert_int_equal(fat_truncate(&f, 512), FAT_OK); /* a cluster boundary */
	expect_contents("/T.BIN", model, 512);
	assert_int_equal(fat_truncate(&f, 0), FAT_OK);
	expect_contents("/T.BIN", model, 0);
	assert_int_equal(fat_truncate(&f, 0), FAT_OK);
	memset(model, 0, sizeof(model));
	assert_int_equal(fat_truncate(&f, 1), FAT_OK);
	expect_contents("/T.BIN", model, 1);
	assert_int_equal(fat_truncate(&f, 0), FAT_OK);
	assert_int_equal(fat_truncate(&f, 1ull << 32), FAT_E_INVALID);
	assert_int_equal(fat_close(&f), FAT_OK);
	/* A descriptor without WRITE may not. */
	assert_int_equal(fat_open(&vol, &f, "/T.BIN", FAT_O_READ), FAT_OK);
	assert_int_equal(fat_truncate(&f, 5), FAT_E_ACCESS);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	/* The first cluster is gone with the contents, as fsck wants. */
	uint64_t de = img_find_entry(&im, img_geometry(&im).root_cluster, "T       BIN");
	uint8_t raw[32];
	img_read_raw(&im, de, raw, 32);
	assert_int_equal(raw[20] | raw[21] | raw[26] | raw[27], 0);
	img_close(&im);
}

static void open_flags(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	mount_ok(&im);
	struct fat_file f, g;
	assert_int_equal(fat_open(&vol, &f, "/a.log", FAT_O_WRITE | FAT_O_CREATE | FAT_O_EXCLUSIVE),
	                 FAT_OK);
	assert_int_equal(fat_open(&vol, &g, "/A.LOG", FAT_O_WRITE | FAT_O_CREATE | FAT_O_EXCLUSIVE),
	                 FAT_E_EXISTS);
	assert_int_equal(fat_write(&f, 0, "first\n", 6), 6);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_open(&vol, &f, "/a.log", FAT_O_WRITE | FAT_O_APPEND), FAT_OK);
	assert_int_equal(fat_write(&f, 0, "second\n", 7), 7); /* the offset is ignored */
	assert_int_equal(fat_close(&f), FAT_OK);
	expect_contents("/a.log", (const uint8_t *)"first\nsecond\n", 13);
	assert_int_equal(fat_open(&vol, &f, "/a.log", FAT_O_WRITE | FAT_O_TRUNCATE), FAT_OK);
	assert_int_equal(fat_close(&f), FAT_OK);
	expect_contents("/a.log", (const uint8_t *)"", 0);
	/* CREATE of an existing file opens it; of a directory path fails. */
	assert_int_equal(fat_open(&vol, &f, "/a.log", FAT_O_READ | FAT_O_CREATE), FAT_OK);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_open(&vol, &f, "/nodir/x", FAT_O_WRITE | FAT_O_CREATE),
	                 FAT_E_NOT_FOUND);
	assert_int_equal(fat_open(&vol, &f, "/a.log/x", FAT_O_WRITE | FAT_O_CREATE), FAT_E_NOT_DIR);
	assert_int_equal(fat_open(&vol, &f, "/new", FAT_O_CREATE | FAT_O_DIRECTORY), FAT_E_INVALID);
	assert_int_equal(fat_write(&f, 0, "x", 1), FAT_E_BAD_HANDLE);
	/* Writes past FAT's 4 GiB - 1 are refused before anything changes. */
	assert_int_equal(fat_open(&vol, &f, "/a.log", FAT_O_WRITE), FAT_OK);
	assert_int_equal(fat_write(&f, 0xffffffffull, "x", 1), FAT_E_INVALID);
	assert_int_equal(fat_write(&f, 0xfffffffeull, "xy", 2), FAT_E_INVALID);
	assert_int_equal(fat_write(&f, UINT64_MAX, "x", 1), FAT_E_INVALID);
	assert_int_equal(fat_write(&f, 5, "x", 0), 0);
	assert_int_equal(fat_close(&f), FAT_OK);
	expect_contents("/a.log", (const uint8_t *)"", 0);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	img_close(&im);
}

/* Two descriptors of one file see each other's changes, also when one
 * cuts the chain the other stands in. */
static void two_descriptors(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	mount_ok(&im);
	uint8_t data[6000], buf[6000];
	fill_pattern(data, sizeof(data), 1);
	struct fat_file a, b;
	assert_int_equal(fat_open(&vol, &a, "/s", FAT_O_READ | FAT_O_WRITE | FAT_O_CREATE), FAT_OK);
	assert_int_equal(fat_open(&vol, &b, "/s", FAT_O_READ | FAT_O_WRITE), FAT_OK);
	assert_int_equal(fat_write(&a, 0, data, sizeof(data)), sizeof(data));
	assert_int_equal(fat_read(&b, 0, buf, sizeof(buf)), sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));
	/* b stands at the end of the chain; a cuts it and grows it again. */
	assert_int_equal(fat_truncate(&a, 100), FAT_OK);
	assert_int_equal(fat_read(&b, 5000, buf, 10), 0);
	fill_pattern(data, sizeof(data), 2);
	assert_int_equal(fat_write(&a, 0, data, sizeof(data)), sizeof(data));
	assert_int_equal(fat_read(&b, 5000, buf, 1000), 1000);
	assert_memory_equal(buf, data + 5000, 1000);
	assert_int_equal(fat_write(&b, 6000, "tail", 4), 4);
	assert_int_equal(fat_read(&a, 5998, buf, 10), 6);
	assert_memory_equal(buf + 2, "tail", 4);
	assert_int_equal(fat_close(&a), FAT_OK);
	assert_int_equal(fat_close(&b), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	img_close(&im);
}

/* Many files and directories, written, unmounted, mounted, read back;
 * then mtools reads the same. */
static void persistence(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	mount_ok(&im);
	assert_int_equal(fat_mkdir(&vol, "/docs"), FAT_OK);
	assert_int_equal(fat_mkdir(&vol, "/docs/Deeper Directory"), FAT_OK);
	static uint8_t data[20][3000];
	char path[96];
	for (int i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/docs/%sFile number %d.txt",
		         i % 2 ? "Deeper Directory/" : "", i);
		fill_pattern(data[i], sizeof(data[i]), (uint32_t)i);
		struct fat_file f;
		assert_int_equal(fat_open(&vol, &f, path, FAT_O_WRITE | FAT_O_CREATE), FAT_OK);
		size_t n = 100 + (size_t)i * 145;
		for (size_t off = 0; off < n; off += 333) {
			uint32_t len = (uint32_t)(n - off < 333 ? n - off : 333);
			assert_int_equal(fat_write(&f, off, data[i] + off, len), len);
		}
		assert_int_equal(fat_close(&f), FAT_OK);
	}
	assert_int_equal(fat_sync(&vol), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	mount_ok(&im);
	for (int i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/docs/%sFile number %d.txt",
		         i % 2 ? "Deeper Directory/" : "", i);
		expect_contents(path, data[i], 100 + (size_t)i * 145);
	}
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	for (int i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/docs/%sFile number %d.txt",
		         i % 2 ? "Deeper Directory/" : "", i);
		expect_mtools(&im, path, data[i], 100 + (size_t)i * 145);
	}
	assert_int_equal(img_fsck(&im), 0);
	img_close(&im);
}

/* A disk of ~4000 clusters filled by one file until NO_SPACE: the writes
 * before it are all there, the failed one changed nothing, fsck finds
 * nothing wrong, and removing the file gives the space back. */
static void full_disk(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 2048, 1);
	mount_ok(&im);
	static uint8_t chunk[16384];
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, "/fill", FAT_O_READ | FAT_O_WRITE | FAT_O_CREATE),
	                 FAT_OK);
	uint32_t written = 0;
	int64_t r;
	for (int k = 0;; k++) {
		fill_pattern(chunk, sizeof(chunk), (uint32_t)k);
		r = fat_write(&f, written, chunk, sizeof(chunk));
		if (r < 0)
			break;
		assert_int_equal(r, sizeof(chunk));
		written += (uint32_t)r;
		assert_true(k < 1000);
	}
	assert_int_equal(r, FAT_E_NO_SPACE);
	assert_true(written > 1500 * 1024);
	/* Smaller pieces still fit in the last clusters, then nothing does. */
	while ((r = fat_write(&f, written, chunk, 512)) == 512)
		written += 512;
	assert_int_equal(r, FAT_E_NO_SPACE);
	struct fat_stat st;
	assert_int_equal(fat_stat(&f, &st), FAT_OK);
	assert_int_equal(st.size, written);
	assert_int_equal(fat_truncate(&f, written + 512), FAT_E_NO_SPACE);
	assert_int_equal(fat_mkdir(&vol, "/d"), FAT_E_NO_SPACE);
	assert_int_equal(fat_close(&f), FAT_OK);
	/* The root directory's cluster still has room for a new empty file. */
	assert_int_equal(fat_open(&vol, &f, "/empty", FAT_O_WRITE | FAT_O_CREATE), FAT_OK);
	assert_int_equal(fat_write(&f, 0, "x", 1), FAT_E_NO_SPACE);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);

	mount_ok(&im);
	for (uint32_t k = 0; k * sizeof(chunk) + sizeof(chunk) <= written; k += 17) {
		uint8_t back[sizeof(chunk)];
		fill_pattern(chunk, sizeof(chunk), k);
		assert_int_equal(fat_open(&vol, &f, "/fill", FAT_O_READ), FAT_OK);
		assert_int_equal(fat_read(&f, k * sizeof(chunk), back, sizeof(back)), sizeof(back));
		assert_memory_equal(back, chunk, sizeof(chunk));
		assert_int_equal(fat_close(&f), FAT_OK);
	}
	assert_int_equal(fat_unlink(&vol, "/fill"), FAT_OK);
	assert_int_equal(fat_mkdir(&vol, "/d"), FAT_OK);
	assert_int_equal(fat_open(&vol, &f, "/d/again", FAT_O_WRITE | FAT_O_CREATE), FAT_OK);
	assert_int_equal(fat_write(&f, 0, chunk, sizeof(chunk)), sizeof(chunk));
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	img_close(&im);
}

/* A device that fails: errors come back as IO, nothing crashes, and once
 * it works again a sync writes everything out and the image is clean. */
static void device_errors(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	mount_ok(&im);
	struct fat_file f;
	static uint8_t data[70000];
	fill_pattern(data, sizeof(data), 4);
	assert_int_equal(fat_open(&vol, &f, "/x", FAT_O_READ | FAT_O_WRITE | FAT_O_CREATE), FAT_OK);
	im.fail_write_at = im.writes + 1;
	/* Large writes go straight to the device, and fail at once. */
	assert_int_equal(fat_write(&f, 0, data, sizeof(data)), FAT_E_IO);
	assert_int_equal(fat_sync(&vol), FAT_E_IO);
	im.fail_write_at = 0;
	assert_int_equal(fat_write(&f, 0, data, sizeof(data)), sizeof(data));
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_sync(&vol), FAT_OK);
	/* Reads fail as IO too. */
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	mount_ok(&im);
	assert_int_equal(fat_open(&vol, &f, "/x", FAT_O_READ), FAT_OK);
	im.fail_read_at = im.reads + 1;
	uint8_t buf[100];
	assert_int_equal(fat_read(&f, 30000, buf, sizeof(buf)), FAT_E_IO);
	im.fail_read_at = 0;
	assert_int_equal(fat_read(&f, 30000, buf, sizeof(buf)), sizeof(buf));
	assert_memory_equal(buf, data + 30000, sizeof(buf));
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(img_fsck(&im), 0);
	im.fail_read_at = 1;
	assert_int_equal(fat_mount(&vol, &im.dev, 0), FAT_E_IO);
	img_close(&im);
}

static void read_only_mount(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	img_put(&im, "/R.TXT", "read", 4);
	assert_int_equal(fat_mount(&vol, &im.dev, FAT_MOUNT_READ_ONLY), FAT_OK);
	img_reset_counts(&im);
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, "/R.TXT", FAT_O_READ | FAT_O_WRITE), FAT_E_ACCESS);
	assert_int_equal(fat_open(&vol, &f, "/new", FAT_O_READ | FAT_O_CREATE), FAT_E_ACCESS);
	assert_int_equal(fat_mkdir(&vol, "/d"), FAT_E_ACCESS);
	assert_int_equal(fat_unlink(&vol, "/R.TXT"), FAT_E_ACCESS);
	assert_int_equal(fat_rename(&vol, "/R.TXT", "/S.TXT"), FAT_E_ACCESS);
	assert_int_equal(fat_open(&vol, &f, "/R.TXT", FAT_O_READ), FAT_OK);
	int64_t t = 0;
	assert_int_equal(fat_set_times(&f, &t, &t), FAT_E_ACCESS);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	assert_int_equal(im.writes, 0);
	img_close(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(writes_512_byte_clusters),
	    cmocka_unit_test(writes_4k_clusters),
	    cmocka_unit_test(truncate_both_ways),
	    cmocka_unit_test(open_flags),
	    cmocka_unit_test(two_descriptors),
	    cmocka_unit_test(persistence),
	    cmocka_unit_test(full_disk),
	    cmocka_unit_test(device_errors),
	    cmocka_unit_test(read_only_mount),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
