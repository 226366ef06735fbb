/*
 * test_read.c: reading files that mtools wrote: 1.5 MiB with a known CRC-32
 * in odd-sized chunks, on 512-byte and 4 KiB clusters, on a fragmented
 * chain; what it costs in device reads (one per cluster for small pieces,
 * one per contiguous run for large ones); that sequential reads keep their
 * place in the chain instead of walking it from the start; and the edges
 * (past the end, empty files, random offsets).
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

#define BIG (1536u * 1024u + 123u)

/* Puts 20 one-cluster files, removes every other one, then the big file:
 * its chain fills the holes first, so it has several runs. */
static void put_fragmented(struct img *im, const uint8_t *data, size_t n)
{
	char name[32];
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "/F%02d.TXT", i);
		img_put(im, name, "x", 1);
	}
	for (int i = 0; i < 20; i += 2)
		assert_int_equal(run("'%s/mdel' -i '%s' ::/F%02d.TXT", FAT_MTOOLS_DIR, im->path, i),
		                 0);
	img_put(im, "/big file.bin", data, n);
}

static void read_in_chunks(const uint8_t *data, uint32_t chunk_a, uint32_t chunk_b)
{
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, "/BIG FILE.BIN", FAT_O_READ), FAT_OK);
	struct fat_stat st;
	assert_int_equal(fat_stat(&f, &st), FAT_OK);
	assert_int_equal(st.size, BIG);
	uint8_t *buf = malloc(65536);
	assert_non_null(buf);
	uint32_t crc = 0, off = 0;
	for (int k = 0; off < BIG; k++) {
		uint32_t want = k % 2 ? chunk_b : chunk_a;
		int64_t n = fat_read(&f, off, buf, want);
		assert_true(n > 0);
		assert_true((uint32_t)n == want || off + (uint32_t)n == BIG);
		assert_memory_equal(buf, data + off, (size_t)n);
		crc = crc32(buf, (size_t)n, crc);
		off += (uint32_t)n;
	}
	assert_int_equal(fat_read(&f, off, buf, 10), 0);
	assert_int_equal(crc, crc32(data, BIG, 0));
	free(buf);
	assert_int_equal(fat_close(&f), FAT_OK);
}

static void big_file_crc(unsigned kib, unsigned spc)
{
	uint8_t *data = malloc(BIG);
	assert_non_null(data);
	fill_pattern(data, BIG, 7);
	struct img im;
	img_make(&im, kib, spc);
	put_fragmented(&im, data, BIG);
	assert_int_equal(fat_mount(&vol, &im.dev, 0), FAT_OK);
	read_in_chunks(data, 1000, 4097);
	read_in_chunks(data, 777, 65536);
	read_in_chunks(data, 512, 1);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	/* Reading wrote nothing. */
	assert_int_equal(im.writes, 0);
	img_close(&im);
	free(data);
}

static void crc32_known_answer(void **state)
{
	(void)state;
	assert_int_equal(crc32("123456789", 9, 0), 0xcbf43926u);
}

static void big_file_512_byte_clusters(void **state)
{
	(void)state;
	big_file_crc(40960, 1);
}

static void big_file_4k_clusters(void **state)
{
	(void)state;
	big_file_crc(300 * 1024, 8);
}

/* Device reads for a sequential read of a contiguous 1 MiB file on 4 KiB
 * clusters: small pieces cost one read per cluster, large ones one per
 * request (the file is contiguous). */
static void sequential_reads_cost(void **state)
{
	(void)state;
	const uint32_t size = 1024 * 1024, clusters = size / 4096;
	uint8_t *data = malloc(size), *buf = malloc(size);
	assert_non_null(data);
	assert_non_null(buf);
	fill_pattern(data, size, 3);
	struct img im;
	img_make(&im, 300 * 1024, 8);
	img_put(&im, "/ONE.BIN", data, size);
	const uint32_t chunks[] = {1000, 4096, 100, 65536};
	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		assert_int_equal(fat_mount(&vol, &im.dev, 0), FAT_OK);
		struct fat_file f;
		assert_int_equal(fat_open(&vol, &f, "/ONE.BIN", FAT_O_READ), FAT_OK);
		img_reset_counts(&im);
		for (uint32_t off = 0; off < size;) {
			int64_t n = fat_read(&f, off, buf + off, chunks[k]);
			assert_true(n > 0);
			off += (uint32_t)n;
		}
		assert_memory_equal(buf, data, size);
		unsigned long limit = chunks[k] >= 65536 ? size / chunks[k] + 4 : clusters + 4;
		if (im.reads > limit)
			fprintf(stderr, "chunk %u: %lu device reads, limit %lu\n", chunks[k],
			        im.reads, limit);
		assert_true(im.reads <= limit);
		assert_int_equal(fat_close(&f), FAT_OK);
		assert_int_equal(fat_unmount(&vol), FAT_OK);
	}
	img_close(&im);
	free(data);
	free(buf);
}

/* A file whose every cluster's FAT entry lies in another FAT sector (its
 * chain is spread 128 clusters apart, by patching the image), 300 clusters
 * long: more FAT sectors than the cache holds. Reading it sequentially
 * costs about one device read per cluster; walking the chain from the
 * start for each cluster would cost thousands. */
static void sequential_reads_keep_their_place(void **state)
{
	(void)state;
	const uint32_t n = 300, size = n * 512;
	uint8_t *data = malloc(size), *buf = malloc(size);
	assert_non_null(data);
	assert_non_null(buf);
	fill_pattern(data, size, 9);
	struct img im;
	img_make(&im, 40960, 1);
	img_put(&im, "/SPREAD.BIN", "x", 1);
	struct geometry g = img_geometry(&im);
	uint64_t de = img_find_entry(&im, g.root_cluster, "SPREAD  BIN");
	assert_true(de != 0);
	const uint32_t base = 1000;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t c = base + k * 128, next = k + 1 < n ? c + 128 : 0x0fffffff;
		uint8_t e[4] = {(uint8_t)next, (uint8_t)(next >> 8), (uint8_t)(next >> 16),
		                (uint8_t)(next >> 24)};
		img_patch(&im, img_fat_offset(&im, c), e, 4);
		img_patch(&im, img_cluster_offset(&im, c), data + k * 512, 512);
	}
	uint8_t lo[2] = {(uint8_t)base, (uint8_t)(base >> 8)}, hi[2] = {0, 0};
	uint8_t sz[4] = {(uint8_t)size, (uint8_t)(size >> 8), (uint8_t)(size >> 16), 0};
	img_patch(&im, de + 26, lo, 2);
	img_patch(&im, de + 20, hi, 2);
	img_patch(&im, de + 28, sz, 4);
	assert_int_equal(fat_mount(&vol, &im.dev, 0), FAT_OK);
	struct fat_file f;
	assert_int_equal(fat_open(&vol, &f, "/SPREAD.BIN", FAT_O_READ), FAT_OK);
	img_reset_counts(&im);
	for (uint32_t off = 0; off < size;) {
		int64_t got = fat_read(&f, off, buf + off, 700);
		assert_true(got > 0);
		off += (uint32_t)got;
	}
	assert_memory_equal(buf, data, size);
	/* n data reads, one FAT read per line of 16 FAT sectors. */
	fprintf(stderr, "spread chain: %lu device reads for %u clusters\n", im.reads, n);
	assert_true(im.reads <= n + n / 16 + 4);
	/* Backwards and random reads are right too (the walk restarts). */
	for (uint32_t k = 0; k < 200; k++) {
		uint32_t off = (k * 7919u) % size, len = 1 + (k * 31u) % 2000;
		int64_t got = fat_read(&f, off, buf, len);
		assert_int_equal(got, off + len > size ? size - off : len);
		assert_memory_equal(buf, data + off, (size_t)got);
	}
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	img_close(&im);
	free(data);
	free(buf);
}

static void read_edges(void **state)
{
	(void)state;
	struct img im;
	img_make(&im, 40960, 1);
	img_put(&im, "/EMPTY", "", 0);
	img_put(&im, "/SMALL", "hello", 5);
	assert_int_equal(fat_mount(&vol, &im.dev, 0), FAT_OK);
	struct fat_file f;
	char buf[16];
	assert_int_equal(fat_open(&vol, &f, "/EMPTY", FAT_O_READ), FAT_OK);
	assert_int_equal(fat_read(&f, 0, buf, sizeof(buf)), 0);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_open(&vol, &f, "/SMALL", FAT_O_READ), FAT_OK);
	assert_int_equal(fat_read(&f, 0, buf, 0), 0);
	assert_int_equal(fat_read(&f, 3, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "lo", 2);
	assert_int_equal(fat_read(&f, 5, buf, 1), 0);
	assert_int_equal(fat_read(&f, UINT64_MAX, buf, 1), 0);
	assert_int_equal(fat_read(&f, 0, NULL, 1), FAT_E_INVALID);
	assert_int_equal(fat_close(&f), FAT_OK);
	assert_int_equal(fat_read(&f, 0, buf, 1), FAT_E_BAD_HANDLE);
	assert_int_equal(fat_unmount(&vol), FAT_OK);
	img_close(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(crc32_known_answer),
	    cmocka_unit_test(big_file_512_byte_clusters),
	    cmocka_unit_test(big_file_4k_clusters),
	    cmocka_unit_test(sequential_reads_cost),
	    cmocka_unit_test(sequential_reads_keep_their_place),
	    cmocka_unit_test(read_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
