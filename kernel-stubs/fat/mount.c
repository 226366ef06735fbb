/*
 * mount.c: the boot sector (BIOS parameter block) and mounting, syncing
 * and unmounting a volume.
 *
 * The boot sector is checked in full before anything else is read, and
 * every geometry fact the library later relies on is derived here once:
 * the FAT and data regions lie inside the volume, the volume inside the
 * device, the FAT has an entry for every cluster, the root cluster exists.
 * A volume is FAT32 by its layout (no fixed root directory, a 32-bit FAT
 * size), also when it has fewer clusters than the specification's 65525,
 * as Linux accepts it; FAT12 and FAT16 layouts are FAT_E_INVALID.
 */
#include "fat_int.h"

/* Boot sector fields (byte offsets). */
#define BPB_BYTES_PER_SECTOR    11
#define BPB_SECTORS_PER_CLUSTER 13
#define BPB_RESERVED_SECTORS    14
#define BPB_FAT_COUNT           16
#define BPB_ROOT_ENTRIES        17
#define BPB_TOTAL_SECTORS16     19
#define BPB_FAT_SIZE16          22
#define BPB_TOTAL_SECTORS32     32
#define BPB_FAT_SIZE32          36
#define BPB_EXT_FLAGS           40
#define BPB_FS_VERSION          42
#define BPB_ROOT_CLUSTER        44
#define BPB_FSINFO              48
#define BS_SIGNATURE            510

#define EXT_FLAGS_NO_MIRROR 0x80u
#define EXT_FLAGS_ACTIVE    0x0fu

/* The most clusters FAT32 can address: entries up to 0x0ffffff6. */
#define MAX_CLUSTERS (0x0ffffff6u - 2u)

static bool power_of_two(uint32_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

static uint8_t log2_of(uint32_t x)
{
	uint8_t n = 0;
	while (x > 1) {
		x >>= 1;
		n++;
	}
	return n;
}

/* Decode: every field of the boot sector, into vol's geometry. */
static int parse_bpb(struct fat_volume *vol, const uint8_t *bs, uint64_t device_sectors,
                     uint32_t *fsinfo)
{
	if (fat_le16(bs + BS_SIGNATURE) != 0xaa55)
		return FAT_E_INVALID;
	if (bs[0] != 0xeb && bs[0] != 0xe9)
		return FAT_E_INVALID; /* no jump instruction: not a boot sector */
	if (fat_le16(bs + BPB_BYTES_PER_SECTOR) != FAT_SECTOR_BYTES)
		return FAT_E_INVALID;
	uint32_t spc = bs[BPB_SECTORS_PER_CLUSTER];
	uint32_t reserved = fat_le16(bs + BPB_RESERVED_SECTORS);
	uint32_t fats = bs[BPB_FAT_COUNT];
	uint32_t total = fat_le16(bs + BPB_TOTAL_SECTORS16);
	uint32_t fat_size = fat_le32(bs + BPB_FAT_SIZE32);
	uint32_t ext = fat_le16(bs + BPB_EXT_FLAGS);
	if (total == 0)
		total = fat_le32(bs + BPB_TOTAL_SECTORS32);
	else if (fat_le32(bs + BPB_TOTAL_SECTORS32) != 0)
		return FAT_E_INVALID; /* two sizes */
	if (!power_of_two(spc) || spc > 128 || reserved == 0 || fats == 0 || fats > 2)
		return FAT_E_INVALID;
	/* FAT32's layout: no fixed root directory, a 32-bit FAT size. */
	if (fat_le16(bs + BPB_ROOT_ENTRIES) != 0 || fat_le16(bs + BPB_FAT_SIZE16) != 0 ||
	    fat_size == 0 || fat_le16(bs + BPB_FS_VERSION) != 0)
		return FAT_E_INVALID;
	if (total > device_sectors)
		return FAT_E_INVALID;
	uint64_t data_start = reserved + (uint64_t)fats * fat_size;
	if (data_start >= total)
		return FAT_E_INVALID;
	uint32_t clusters = (uint32_t)((total - data_start) / spc);
	if (clusters == 0 || clusters > MAX_CLUSTERS)
		return FAT_E_INVALID;
	if ((uint64_t)fat_size * (FAT_SECTOR_BYTES / 4) < (uint64_t)clusters + 2)
		return FAT_E_INVALID; /* the FAT lacks entries for some clusters */
	uint32_t active = 0;
	if (ext & EXT_FLAGS_NO_MIRROR) {
		active = ext & EXT_FLAGS_ACTIVE;
		if (active >= fats)
			return FAT_E_INVALID;
	}
	vol->total_sectors = total;
	vol->cluster_shift = log2_of(spc);
	vol->fat_start = reserved + active * fat_size;
	vol->fat_sectors = fat_size;
	vol->fat_copies = (ext & EXT_FLAGS_NO_MIRROR) ? 1 : (uint8_t)fats;
	vol->data_start = (uint32_t)data_start;
	vol->cluster_count = clusters;
	vol->root_cluster = fat_le32(bs + BPB_ROOT_CLUSTER);
	if (!fat_cluster_ok(vol, vol->root_cluster))
		return FAT_E_INVALID;
	*fsinfo = fat_le16(bs + BPB_FSINFO);
	if (*fsinfo == 0 || *fsinfo >= reserved)
		*fsinfo = 0; /* none, or not where it can be: go without */
	return FAT_OK;
}

int fat_mount(struct fat_volume *vol, const struct fat_device *dev, uint32_t flags)
{
	if (vol == NULL || dev == NULL || dev->read == NULL || dev->write == NULL ||
	    dev->flush == NULL || dev->sector_count == NULL)
		return FAT_E_INVALID;
	memset(vol, 0, offsetof(struct fat_volume, cache));
	vol->dev = *dev;
	vol->flags = flags;
	uint64_t sectors = dev->sector_count(dev->ctx);
	if (sectors == 0)
		return FAT_E_INVALID;
	/* Sector 0 through the cache's first line, before the geometry is
	 * known: the cache then starts empty. */
	uint8_t *bs = vol->cache[0];
	if (dev->read(dev->ctx, 0, 1, bs) != 0)
		return FAT_E_IO;
	uint32_t fsinfo;
	int err = parse_bpb(vol, bs, sectors, &fsinfo);
	if (err != FAT_OK)
		return err;
	fat_cache_reset(vol);
	vol->free_count = FAT_FREE_UNKNOWN;
	vol->next_free = 2;
	if (fsinfo != 0) {
		err = fat_fsinfo_load(vol, fsinfo);
		if (err != FAT_OK)
			return err;
	}
	vol->open_files = NULL;
	vol->mounted = true;
	return FAT_OK;
}

int fat_sync(struct fat_volume *vol)
{
	if (vol == NULL || !vol->mounted)
		return FAT_E_INVALID;
	if (vol->flags & FAT_MOUNT_READ_ONLY)
		return FAT_OK;
	int err = fat_fsinfo_store(vol);
	if (err == FAT_OK)
		err = fat_cache_write_back(vol);
	if (err == FAT_OK && vol->dev.flush(vol->dev.ctx) != 0)
		err = FAT_E_IO;
	return err;
}

int fat_unmount(struct fat_volume *vol)
{
	if (vol == NULL || !vol->mounted)
		return FAT_E_INVALID;
	if (vol->open_files != NULL)
		return FAT_E_BUSY;
	int err = fat_sync(vol);
	if (err != FAT_OK)
		return err;
	vol->mounted = false;
	return FAT_OK;
}
