/*
 * fixture.c: real FAT32 images for the tests: mkfs.fat makes them, mtools
 * puts files in and reads them back, fsck.fat judges them, and a device
 * over the image file lets the library at them. Programs are found at
 * configure time (FAT_MKFS, FAT_FSCK, FAT_MTOOLS_DIR).
 */
#define _GNU_SOURCE /* mkdtemp, pread, pwrite */

#include "fixture.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	abort();
}

static char scratch[128];

static void cleanup(void)
{
	if (scratch[0] != 0)
		run("rm -rf '%s'", scratch);
}

/* One scratch directory per test process, removed at exit. */
static const char *scratch_dir(void)
{
	if (scratch[0] == 0) {
		const char *tmp = getenv("TMPDIR");
		snprintf(scratch, sizeof(scratch), "%s/fat-test-XXXXXX", tmp ? tmp : "/tmp");
		if (mkdtemp(scratch) == NULL)
			die("mkdtemp");
		atexit(cleanup);
		setenv("MTOOLS_SKIP_CHECK", "1", 1);
	}
	return scratch;
}

int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc == -1)
		die("system");
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static int dev_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
	struct img *im = ctx;
	im->reads++;
	if (im->fail_read_at != 0 && im->reads >= im->fail_read_at)
		return -1;
	if (sector >= im->sectors || count > im->sectors - sector)
		abort(); /* the library must never ask for this */
	im->sectors_read += count;
	size_t n = (size_t)count * 512;
	return pread(im->fd, buf, n, (off_t)sector * 512) == (ssize_t)n ? 0 : -1;
}

static int dev_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
	struct img *im = ctx;
	im->writes++;
	if (im->fail_write_at != 0 && im->writes >= im->fail_write_at)
		return -1;
	if (sector >= im->sectors || count > im->sectors - sector)
		abort();
	im->sectors_written += count;
	size_t n = (size_t)count * 512;
	return pwrite(im->fd, buf, n, (off_t)sector * 512) == (ssize_t)n ? 0 : -1;
}

static int dev_flush(void *ctx)
{
	/* No fsync: mtools and fsck.fat read the same page cache. */
	struct img *im = ctx;
	im->flushes++;
	return 0;
}

static uint64_t dev_sectors(void *ctx)
{
	return ((struct img *)ctx)->sectors;
}

static int64_t dev_now(void *ctx)
{
	return ((struct img *)ctx)->now_ns;
}

void img_open(struct img *im)
{
	im->fd = open(im->path, O_RDWR);
	if (im->fd < 0)
		die(im->path);
	struct stat st;
	if (fstat(im->fd, &st) != 0)
		die("fstat");
	im->sectors = (uint64_t)st.st_size / 512;
	im->dev = (struct fat_device){.ctx = im,
	                              .read = dev_read,
	                              .write = dev_write,
	                              .flush = dev_flush,
	                              .sector_count = dev_sectors,
	                              .now_ns = dev_now};
	/* 2021-06-15 12:34:56 UTC: a fixed clock, so times can be checked. */
	im->now_ns = 1623760496ll * 1000000000ll;
	img_reset_counts(im);
	im->fail_read_at = im->fail_write_at = 0;
}

void img_close(struct img *im)
{
	if (im->fd >= 0)
		close(im->fd);
	im->fd = -1;
}

void img_reset_counts(struct img *im)
{
	im->reads = im->writes = im->flushes = 0;
	im->sectors_read = im->sectors_written = 0;
}

void img_make(struct img *im, unsigned kib, unsigned spc)
{
	static int serial;
	snprintf(im->path, sizeof(im->path), "%s/img%d.img", scratch_dir(), serial++);
	if (run("'%s' -F 32 -s %u -C '%s' %u >/dev/null 2>&1", FAT_MKFS, spc, im->path, kib) != 0)
		die("mkfs.fat");
	img_open(im);
}

void img_copy(struct img *dst, const struct img *src)
{
	static int serial;
	snprintf(dst->path, sizeof(dst->path), "%s/copy%d.img", scratch_dir(), serial++);
	if (run("cp --sparse=always '%s' '%s'", src->path, dst->path) != 0)
		die("cp");
	img_open(dst);
}

void img_put(struct img *im, const char *path, const void *data, size_t n)
{
	char host[300];
	snprintf(host, sizeof(host), "%s/put.bin", scratch_dir());
	FILE *f = fopen(host, "wb");
	if (f == NULL || fwrite(data, 1, n, f) != n || fclose(f) != 0)
		die(host);
	if (run("'%s/mcopy' -o -i '%s' '%s' '::%s'", FAT_MTOOLS_DIR, im->path, host, path) != 0)
		die("mcopy");
}

void img_mkdir(struct img *im, const char *path)
{
	if (run("'%s/mmd' -i '%s' '::%s'", FAT_MTOOLS_DIR, im->path, path) != 0)
		die("mmd");
}

uint8_t *img_get(struct img *im, const char *path, size_t *n)
{
	char host[300];
	snprintf(host, sizeof(host), "%s/get.bin", scratch_dir());
	unlink(host);
	if (run("'%s/mcopy' -n -i '%s' '::%s' '%s' 2>/dev/null", FAT_MTOOLS_DIR, im->path, path,
	        host) != 0)
		return NULL;
	FILE *f = fopen(host, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
		die("read back");
	fclose(f);
	*n = (size_t)len;
	return buf;
}

int img_exists(struct img *im, const char *path)
{
	return run("'%s/mdir' -b -i '%s' '::%s' >/dev/null 2>&1", FAT_MTOOLS_DIR, im->path, path) ==
	       0;
}

int img_fsck(struct img *im)
{
	return run("'%s' -n '%s' > '%s/fsck.out' 2>&1 || { cat '%s/fsck.out'; exit 1; }", FAT_FSCK,
	           im->path, scratch_dir(), scratch_dir());
}

void img_patch(struct img *im, uint64_t offset, const void *bytes, size_t n)
{
	if (pwrite(im->fd, bytes, n, (off_t)offset) != (ssize_t)n)
		die("patch");
}

void img_read_raw(struct img *im, uint64_t offset, void *bytes, size_t n)
{
	if (pread(im->fd, bytes, n, (off_t)offset) != (ssize_t)n)
		die("read raw");
}

static uint32_t le(const uint8_t *p, int n)
{
	uint32_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

struct geometry img_geometry(struct img *im)
{
	uint8_t bs[512];
	img_read_raw(im, 0, bs, sizeof(bs));
	struct geometry g;
	g.reserved = le(bs + 14, 2);
	g.fats = bs[16];
	g.fat_sectors = le(bs + 36, 4);
	g.spc = bs[13];
	g.root_cluster = le(bs + 44, 4);
	g.data_start = g.reserved + g.fats * g.fat_sectors;
	return g;
}

uint64_t img_cluster_offset(struct img *im, uint32_t cluster)
{
	struct geometry g = img_geometry(im);
	return ((uint64_t)g.data_start + (uint64_t)(cluster - 2) * g.spc) * 512;
}

uint64_t img_fat_offset(struct img *im, uint32_t cluster)
{
	struct geometry g = img_geometry(im);
	return (uint64_t)g.reserved * 512 + (uint64_t)cluster * 4;
}

uint64_t img_find_entry(struct img *im, uint32_t dir, const char *raw11)
{
	struct geometry g = img_geometry(im);
	uint32_t bytes = g.spc * 512;
	for (uint32_t c = dir, hops = 0; c >= 2 && c < 0x0ffffff8 && hops < 1000; hops++) {
		uint64_t base = img_cluster_offset(im, c);
		for (uint32_t off = 0; off < bytes; off += 32) {
			uint8_t de[32];
			img_read_raw(im, base + off, de, 32);
			if (de[0] == 0)
				return 0;
			if (de[11] != 0x0f && memcmp(de, raw11, 11) == 0)
				return base + off;
		}
		uint8_t e[4];
		img_read_raw(im, img_fat_offset(im, c), e, 4);
		c = le(e, 4) & 0x0fffffff;
	}
	return 0;
}

uint32_t crc32(const void *data, size_t n, uint32_t crc)
{
	const uint8_t *p = data;
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

void fill_pattern(uint8_t *buf, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)(x >> 24);
	}
}
