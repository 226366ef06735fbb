/*
 * fixture.h: what the FAT tests share: real images made by mkfs.fat in a
 * scratch directory, a file-backed block device that counts what it is
 * asked to do (and can be told to fail), the mtools and fsck.fat commands,
 * and CRC-32.
 */
#ifndef FAT_FIXTURE_H
#define FAT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "fat.h"

struct img {
	char path[256];
	int fd;
	uint64_t sectors;
	struct fat_device dev;
	/* Counters of device requests since the last img_reset_counts. */
	unsigned long reads, writes, flushes;
	unsigned long sectors_read, sectors_written;
	/* When nonzero, the write request with this number (counting from 1
	 * from now) and all after it fail; reads fail likewise. */
	unsigned long fail_write_at, fail_read_at;
	int64_t now_ns;
};

/* Makes a FAT32 image of kib KiB with spc sectors per cluster (mkfs.fat -F
 * 32 -s spc) and opens it as a device. Images of 34 MiB and more with 512 B
 * clusters have the 65525 clusters that mtools insists on. */
void img_make(struct img *im, unsigned kib, unsigned spc);
/* Opens an existing image file at im->path. */
void img_open(struct img *im);
void img_close(struct img *im);
void img_reset_counts(struct img *im);
/* Copies the image file to a new path and opens that (for corruption). */
void img_copy(struct img *dst, const struct img *src);

/* Runs a shell command (printf-style) and returns its exit status. */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* mcopy of bytes into the image at path (a path in the image, '/'-led). */
void img_put(struct img *im, const char *path, const void *data, size_t n);
void img_mkdir(struct img *im, const char *path);
/* mtype of a file: its bytes (malloc'd; free them) and their number. */
uint8_t *img_get(struct img *im, const char *path, size_t *n);
/* Whether mdir lists path (a file or directory name in its parent). */
int img_exists(struct img *im, const char *path);
/* fsck.fat -n: 0 when the file system is clean; prints its report else. */
int img_fsck(struct img *im);

/* Patches bytes of the image file at a byte offset. */
void img_patch(struct img *im, uint64_t offset, const void *bytes, size_t n);
void img_read_raw(struct img *im, uint64_t offset, void *bytes, size_t n);
/* Geometry read from the image's boot sector. */
struct geometry {
	uint32_t reserved, fat_sectors, fats, spc, root_cluster, data_start;
};
struct geometry img_geometry(struct img *im);
/* Byte offset of a cluster and of a FAT entry (first FAT). */
uint64_t img_cluster_offset(struct img *im, uint32_t cluster);
uint64_t img_fat_offset(struct img *im, uint32_t cluster);
/* Finds the 32-byte short entry whose 11-byte name is raw11 in the
 * directory at cluster dir; returns its byte offset in the image, or 0. */
uint64_t img_find_entry(struct img *im, uint32_t dir, const char *raw11);

uint32_t crc32(const void *data, size_t n, uint32_t crc);

/* Deterministic test data. */
void fill_pattern(uint8_t *buf, size_t n, uint32_t seed);

#endif
