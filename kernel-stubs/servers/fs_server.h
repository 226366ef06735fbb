/*
 * fs_server.h: what the file server's parts share (fs_server.c, the
 * handlers; fs_disk.c, the disk under the FAT32 library).
 */
#ifndef FS_SERVER_H
#define FS_SERVER_H

#include "block.h"
#include "fat.h"
#include "fs.h"
#include "ulib.h"

#define FS_DISK_BUFFER_BYTES (128u * 1024) /* sectors per block request, at most */

struct fs_disk {
	idl_endpoint *ep; /* the block service */
	uint64_t sectors;
	uint8_t *buffer; /* attached to the block session */
	uint32_t buffer_sectors;
	uint64_t sectors_read, sectors_written;
	struct fat_device dev;
};

int fs_disk_open(struct fs_disk *d, idl_endpoint *block);

#endif
