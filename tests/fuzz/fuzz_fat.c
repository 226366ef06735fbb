/*
 * fuzz_fat.c: the FAT32 library (kernel-stubs/fat) against hostile disks.
 *
 * The input is a sparse image, so that real images of tens of MiB (mtools
 * insists on 65525 clusters) make seeds of a few KiB:
 *   [u32 device sectors][u32 sector][512 bytes]...
 * every sector not named reads as zeros; a sector named twice holds the
 * later bytes. The harness mounts the image, walks it (readdir of every
 * directory in small batches with cookies, every file read whole, stat),
 * then changes it (create, write, append, truncate, mkdir, rename, unlink,
 * on its own names and on the first file it found), syncs, mounts again
 * and walks again. Errors are expected; what must never happen is a crash,
 * a sanitizer report, a hang, or a result that breaks the API's promises
 * (counts beyond what was asked, names that are not what readdir said).
 *
 * The device is the input's copy, so writes change nothing outside.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fat.h"

#define MAX_SECTORS (1u << 26) /* 32 GiB: the device size is clamped to it */
#define POOL        4096u      /* distinct sectors an input and its writes may hold */
#define TABLE       8192u      /* open addressing, power of two, > POOL */
#define EMPTY       UINT32_MAX

static uint32_t device_sectors;
static uint32_t table_sector[TABLE];
static uint32_t table_slot[TABLE];
static uint8_t pool[POOL][512];
static uint32_t pool_used;
static uint32_t used_keys[POOL];
static unsigned long budget; /* bytes the walk may still read */

static void reset_device(void)
{
	for (uint32_t i = 0; i < pool_used; i++) {
		uint32_t h = used_keys[i];
		table_sector[h] = EMPTY;
	}
	pool_used = 0;
}

static uint32_t hash(uint32_t sector)
{
	return (sector * 2654435761u) & (TABLE - 1);
}

/* The pool block of sector, or NULL; with create, a new zeroed one. */
static uint8_t *lookup(uint32_t sector, int create)
{
	uint32_t h = hash(sector);
	while (table_sector[h] != EMPTY) {
		if (table_sector[h] == sector)
			return pool[table_slot[h]];
		h = (h + 1) & (TABLE - 1);
	}
	if (!create || pool_used == POOL)
		return NULL;
	table_sector[h] = sector;
	table_slot[h] = pool_used;
	used_keys[pool_used] = h;
	memset(pool[pool_used], 0, 512);
	return pool[pool_used++];
}

static int dev_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
	(void)ctx;
	if (sector >= device_sectors || count > device_sectors - sector)
		abort(); /* the library asked for what it checked does not exist */
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *p = lookup((uint32_t)sector + i, 0);
		if (p != NULL)
			memcpy((uint8_t *)buf + (size_t)i * 512, p, 512);
		else
			memset((uint8_t *)buf + (size_t)i * 512, 0, 512);
	}
	return 0;
}

static int dev_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
	(void)ctx;
	if (sector >= device_sectors || count > device_sectors - sector)
		abort();
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *p = lookup((uint32_t)sector + i, 1);
		if (p == NULL)
			return -1; /* the pool is full: a device error, as real ones are */
		memcpy(p, (const uint8_t *)buf + (size_t)i * 512, 512);
	}
	return 0;
}

static int dev_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

static uint64_t dev_count(void *ctx)
{
	(void)ctx;
	return device_sectors;
}

static int64_t dev_now(void *ctx)
{
	(void)ctx;
	return 1600000000ll * 1000000000ll;
}

static const struct fat_device device = {
    .read = dev_read,
    .write = dev_write,
    .flush = dev_flush,
    .sector_count = dev_count,
    .now_ns = dev_now,
};

static struct fat_volume vol;
static char first_file[1024];

static void check(int ok)
{
	if (!ok)
		abort();
}

static void read_file(const char *path)
{
	struct fat_file f;
	if (fat_open(&vol, &f, path, FAT_O_READ) != FAT_OK)
		return;
	/* readdir said "file", but a corrupt directory can hold two entries
	 * whose names match (FAT compares without case), and the path opens
	 * the first one, which may be a directory: not a broken promise. */
	struct fat_stat st;
	if (fat_stat(&f, &st) == FAT_OK) {
		check(st.kind == FAT_KIND_REGULAR || st.kind == FAT_KIND_DIRECTORY);
		check(st.size <= 0xffffffffu);
	}
	static uint8_t buf[3000];
	uint64_t off = 0;
	while (budget > 0) {
		uint32_t want = 1 + (uint32_t)(off % sizeof(buf));
		int64_t n = fat_read(&f, off, buf, want);
		if (n <= 0)
			break;
		check((uint64_t)n <= want);
		off += (uint64_t)n;
		budget = budget > (unsigned long)n ? budget - (unsigned long)n : 0;
	}
	check(fat_close(&f) == FAT_OK);
}

static void walk(const char *path, int depth)
{
	struct fat_file dir;
	if (fat_open(&vol, &dir, path, FAT_O_READ | FAT_O_DIRECTORY) != FAT_OK)
		return;
	static struct fat_dirent batch[8][7];
	struct fat_dirent *d = batch[depth];
	uint64_t cookie = 0;
	bool done = false;
	for (int rounds = 0; !done && rounds < 64; rounds++) {
		uint32_t n = 99;
		if (fat_readdir(&dir, cookie, d, 7, &n, &cookie, &done) != FAT_OK)
			break;
		check(n <= 7);
		for (uint32_t i = 0; i < n; i++) {
			check(d[i].name_len > 0 && d[i].name_len == strlen(d[i].name));
			check(d[i].kind == FAT_KIND_REGULAR || d[i].kind == FAT_KIND_DIRECTORY);
			char sub[1100];
			int len = snprintf(sub, sizeof(sub), "%s/%s", depth ? path : "", d[i].name);
			if (len < 0 || (size_t)len >= sizeof(sub))
				continue;
			if (d[i].kind == FAT_KIND_DIRECTORY) {
				if (depth + 1 < 8)
					walk(sub, depth + 1);
			} else {
				if (first_file[0] == 0 && (size_t)len < sizeof(first_file))
					memcpy(first_file, sub, (size_t)len + 1);
				read_file(sub);
			}
		}
	}
	check(fat_close(&dir) == FAT_OK);
}

static void change(void)
{
	static uint8_t data[5000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	struct fat_file f;
	if (fat_open(&vol, &f, "/Fuzz File.txt", FAT_O_READ | FAT_O_WRITE | FAT_O_CREATE) ==
	    FAT_OK) {
		int64_t n = fat_write(&f, 0, data, sizeof(data));
		check(n < 0 || n == sizeof(data));
		n = fat_write(&f, 9000, data, 100);
		check(n < 0 || n == 100);
		fat_truncate(&f, 700);
		static uint8_t back[800];
		n = fat_read(&f, 0, back, sizeof(back));
		check(n < 0 || n <= 700);
		check(fat_close(&f) == FAT_OK);
	}
	fat_mkdir(&vol, "/fz");
	fat_rename(&vol, "/Fuzz File.txt", "/fz/moved");
	if (first_file[0] != 0) {
		if (fat_open(&vol, &f, first_file, FAT_O_WRITE | FAT_O_APPEND) == FAT_OK) {
			fat_write(&f, 0, "appended", 8);
			check(fat_close(&f) == FAT_OK);
		}
		fat_rename(&vol, first_file, "/fz/first");
		fat_unlink(&vol, "/fz/first");
	}
	fat_unlink(&vol, "/fz/moved");
	fat_unlink(&vol, "/fz");
	fat_sync(&vol);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialized;
	if (!initialized) {
		for (uint32_t i = 0; i < TABLE; i++)
			table_sector[i] = EMPTY;
		initialized = 1;
	}
	if (size < 4)
		return 0;
	reset_device();
	uint32_t sectors = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
	                   (uint32_t)data[3] << 24;
	device_sectors = sectors % MAX_SECTORS + 1;
	for (size_t at = 4; at + 516 <= size; at += 516) {
		uint32_t s = (uint32_t)data[at] | (uint32_t)data[at + 1] << 8 |
		             (uint32_t)data[at + 2] << 16 | (uint32_t)data[at + 3] << 24;
		if (s >= device_sectors)
			continue;
		uint8_t *p = lookup(s, 1);
		if (p == NULL)
			break;
		memcpy(p, data + at + 4, 512);
	}
	first_file[0] = 0;
	budget = 1u << 22;
	if (fat_mount(&vol, &device, 0) != FAT_OK)
		return 0;
	walk("/", 0);
	change();
	/* Everything is closed: unmount may fail to write, never be busy. */
	check(fat_unmount(&vol) != FAT_E_BUSY);
	/* What the library wrote, it must survive reading again. */
	if (fat_mount(&vol, &device, 0) == FAT_OK) {
		budget = 1u << 20;
		walk("/", 0);
		fat_unmount(&vol);
	}
	return 0;
}
