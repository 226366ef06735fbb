/*
 * table.c: the file allocation table: reading and writing entries, walking
 * chains, allocating and freeing clusters.
 *
 * Entries are read from the first FAT (or the active one when mirroring is
 * off) and written through the cache, whose write-back copies FAT sectors
 * to every other FAT. A walk trusts nothing: each link must name a cluster
 * of the volume, and each walk is bounded by the clusters it may visit, so
 * a loop (A -> B -> A) ends as FAT_E_IO like any other broken chain. The
 * search for a free cluster visits each entry at most once per call.
 */
#include "fat_int.h"

#define ENTRIES_PER_SECTOR (FAT_SECTOR_BYTES / 4u)

static int entry_ptr(struct fat_volume *vol, uint32_t cluster, uint8_t **p)
{
	FAT_ASSERT(cluster < vol->cluster_count + 2);
	uint32_t rel = cluster / ENTRIES_PER_SECTOR;
	uint32_t sector = vol->fat_start + rel;
	int err = fat_cache_get(vol, sector, vol->fat_sectors - rel, FAT_CACHE_READ, p);
	if (err == FAT_OK)
		*p += (cluster % ENTRIES_PER_SECTOR) * 4u;
	return err;
}

int fat_table_get(struct fat_volume *vol, uint32_t cluster, uint32_t *value)
{
	uint8_t *p;
	int err = entry_ptr(vol, cluster, &p);
	if (err == FAT_OK)
		*value = fat_le32(p) & FAT_ENTRY_MASK;
	return err;
}

int fat_table_set(struct fat_volume *vol, uint32_t cluster, uint32_t value)
{
	FAT_ASSERT(fat_cluster_ok(vol, cluster) && value <= FAT_ENTRY_MASK);
	uint8_t *p;
	int err = entry_ptr(vol, cluster, &p);
	if (err != FAT_OK)
		return err;
	/* The top four bits are reserved: keep whatever the disk had. */
	fat_put32(p, (fat_le32(p) & ~FAT_ENTRY_MASK) | value);
	fat_cache_dirty(vol, p);
	return FAT_OK;
}

int fat_table_next(struct fat_volume *vol, uint32_t cluster, uint32_t *next)
{
	uint32_t v;
	int err = fat_table_get(vol, cluster, &v);
	if (err != FAT_OK)
		return err;
	if (v >= FAT_ENTRY_EOC_MIN)
		return FAT_END;
	if (!fat_cluster_ok(vol, v))
		return FAT_E_IO; /* free, reserved, bad or beyond the volume */
	*next = v;
	return FAT_OK;
}

int fat_table_count(struct fat_volume *vol, uint32_t first, uint32_t limit, uint32_t *count)
{
	if (!fat_cluster_ok(vol, first))
		return FAT_E_IO;
	uint32_t c = first, n = 1;
	for (;;) {
		if (n > limit)
			return FAT_E_IO;
		uint32_t next;
		int err = fat_table_next(vol, c, &next);
		if (err == FAT_END)
			break;
		if (err != FAT_OK)
			return err;
		c = next;
		n++;
	}
	*count = n;
	return FAT_OK;
}

/* Finds a free cluster, starting at the hint and wrapping around once. */
static int find_free(struct fat_volume *vol, uint32_t *out)
{
	uint32_t start = vol->next_free;
	if (!fat_cluster_ok(vol, start))
		start = 2;
	uint32_t c = start;
	for (uint32_t i = 0; i < vol->cluster_count; i++) {
		uint32_t v;
		int err = fat_table_get(vol, c, &v);
		if (err != FAT_OK)
			return err;
		if (v == 0) {
			*out = c;
			return FAT_OK;
		}
		c = c + 1 - 2 < vol->cluster_count ? c + 1 : 2;
	}
	return FAT_E_NO_SPACE;
}

static int zero_cluster(struct fat_volume *vol, uint32_t c)
{
	uint32_t sector = fat_cluster_sector(vol, c);
	for (uint32_t k = 0; k < 1u << vol->cluster_shift; k++) {
		uint8_t *p;
		int err = fat_cache_get(vol, sector + k, 1, FAT_CACHE_OVERWRITE, &p);
		if (err != FAT_OK)
			return err;
		memset(p, 0, FAT_SECTOR_BYTES);
		fat_cache_dirty(vol, p);
	}
	return FAT_OK;
}

static void count_freed(struct fat_volume *vol, uint32_t n)
{
	if (vol->free_count != FAT_FREE_UNKNOWN) {
		uint64_t f = (uint64_t)vol->free_count + n;
		vol->free_count = f > vol->cluster_count ? vol->cluster_count : (uint32_t)f;
	}
	vol->fsinfo_dirty = true;
}

int fat_table_free(struct fat_volume *vol, uint32_t first)
{
	uint32_t c = first, freed = 0;
	int err = FAT_OK;
	/* The chain was counted, so it ends within cluster_count links; the
	 * bound only guards against a device that changed under us. */
	for (uint32_t i = 0; i < vol->cluster_count && fat_cluster_ok(vol, c); i++) {
		uint32_t next = 0;
		int step = fat_table_next(vol, c, &next);
		if (step < 0) {
			err = step;
			break;
		}
		err = fat_table_set(vol, c, 0);
		if (err != FAT_OK)
			break;
		freed++;
		if (step == FAT_END)
			break;
		c = next;
	}
	count_freed(vol, freed);
	vol->chain_gen++;
	return err;
}

int fat_table_grow(struct fat_volume *vol, uint32_t last, uint32_t n, bool zero,
                   uint32_t *first_new)
{
	FAT_ASSERT(n >= 1 && (last == 0 || fat_cluster_ok(vol, last)));
	/* No early refusal on FSInfo's free count: it is only a hint, and the
	 * search below is the truth. */
	uint32_t first = 0, prev = 0, got = 0;
	int err = FAT_OK;
	while (got < n) {
		uint32_t c;
		err = find_free(vol, &c);
		if (err != FAT_OK)
			break;
		err = fat_table_set(vol, c, FAT_ENTRY_EOC);
		if (err != FAT_OK)
			break;
		if (prev != 0)
			err = fat_table_set(vol, prev, c);
		if (err != FAT_OK) {
			fat_table_set(vol, c, 0);
			break;
		}
		if (first == 0)
			first = c;
		prev = c;
		got++;
		vol->next_free = c + 1 - 2 < vol->cluster_count ? c + 1 : 2;
		if (vol->free_count != FAT_FREE_UNKNOWN && vol->free_count > 0)
			vol->free_count--;
		vol->fsinfo_dirty = true;
		if (zero) {
			err = zero_cluster(vol, c);
			if (err != FAT_OK)
				break;
		}
	}
	if (err == FAT_OK && last != 0)
		err = fat_table_set(vol, last, first);
	if (err != FAT_OK) {
		/* Undo: the new clusters are free again, last still ends its
		 * chain. A device error on the way leaves lost clusters at
		 * worst, never a cluster in two chains. */
		if (first != 0) {
			uint32_t c = first;
			for (uint32_t i = 0; i < got; i++) {
				uint32_t next = 0;
				fat_table_get(vol, c, &next);
				fat_table_set(vol, c, 0);
				if (!fat_cluster_ok(vol, next))
					break;
				c = next;
			}
			count_freed(vol, got);
		}
		return err;
	}
	*first_new = first;
	return FAT_OK;
}
