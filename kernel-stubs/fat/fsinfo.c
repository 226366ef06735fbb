/*
 * fsinfo.c: the FSInfo sector, FAT32's hints about free space: the count
 * of free clusters and where to look for one. Both are hints only, so a
 * bad FSInfo never stops a mount: bad signatures mean the volume is used
 * without FSInfo (and it is never written), a count above the number of
 * clusters means "unknown", and a hint outside the volume means cluster 2.
 * The library keeps the count exact from what it allocates and frees, and
 * writes both back at sync.
 */
#include "fat_int.h"

#define FSI_LEAD_SIG   0
#define FSI_STRUC_SIG  484
#define FSI_FREE_COUNT 488
#define FSI_NEXT_FREE  492
#define FSI_TRAIL_SIG  508

int fat_fsinfo_load(struct fat_volume *vol, uint32_t sector)
{
	uint8_t *p;
	int err = fat_cache_get(vol, sector, 1, FAT_CACHE_READ, &p);
	if (err != FAT_OK)
		return err;
	if (fat_le32(p + FSI_LEAD_SIG) != 0x41615252u ||
	    fat_le32(p + FSI_STRUC_SIG) != 0x61417272u ||
	    fat_le32(p + FSI_TRAIL_SIG) != 0xaa550000u)
		return FAT_OK;
	vol->fsinfo_sector = sector;
	uint32_t free_count = fat_le32(p + FSI_FREE_COUNT);
	uint32_t next = fat_le32(p + FSI_NEXT_FREE);
	vol->free_count = free_count <= vol->cluster_count ? free_count : FAT_FREE_UNKNOWN;
	vol->next_free = fat_cluster_ok(vol, next) ? next : 2;
	return FAT_OK;
}

int fat_fsinfo_store(struct fat_volume *vol)
{
	if (vol->fsinfo_sector == 0 || !vol->fsinfo_dirty)
		return FAT_OK;
	uint8_t *p;
	int err = fat_cache_get(vol, vol->fsinfo_sector, 1, FAT_CACHE_READ, &p);
	if (err != FAT_OK)
		return err;
	fat_put32(p + FSI_FREE_COUNT, vol->free_count);
	fat_put32(p + FSI_NEXT_FREE, vol->next_free);
	fat_cache_dirty(vol, p);
	vol->fsinfo_dirty = false;
	return FAT_OK;
}
