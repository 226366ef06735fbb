/*
 * cache.c: the block cache inside struct fat_volume. Write-back: a change
 * stays in its line until the line is evicted or fat_cache_write_back runs.
 *
 * A line holds a run of consecutive sectors, so one device read fills it:
 * a miss reads `ahead` sectors (the rest of the cluster or of the FAT, as
 * the caller knows) up to the line's size, which makes a sequential read
 * in small pieces cost one device read per cluster (per line, for
 * clusters larger than a line). A miss on the sector right after a line
 * with room extends that line instead of taking another.
 *
 * Invariant: no sector is held by two lines (a fill stops short of the
 * next held sector), and a clean held sector equals the device's; direct
 * reads and writes of file data rely on both. Replacement is LRU: with a
 * handful of lines a scan for the oldest costs nothing, and unlike the
 * clock it never evicts the FAT line that every cluster of a sequential
 * read touches while data lines stream past it.
 */
#include "fat_int.h"

static uint8_t *line_data(struct fat_volume *vol, uint32_t i, uint32_t k)
{
	return vol->cache[i] + (size_t)k * FAT_SECTOR_BYTES;
}

static int dev_read(struct fat_volume *vol, uint32_t sector, uint32_t count, void *buf)
{
	FAT_ASSERT(count >= 1 && sector < vol->total_sectors &&
	           count <= vol->total_sectors - sector);
	return vol->dev.read(vol->dev.ctx, sector, count, buf) == 0 ? FAT_OK : FAT_E_IO;
}

static int dev_write(struct fat_volume *vol, uint32_t sector, uint32_t count, const void *buf)
{
	FAT_ASSERT(count >= 1 && sector < vol->total_sectors &&
	           count <= vol->total_sectors - sector);
	return vol->dev.write(vol->dev.ctx, sector, count, buf) == 0 ? FAT_OK : FAT_E_IO;
}

/* Writes sectors [sector, sector + count) from buf, and, for the part that
 * lies in the FAT that is read, the same bytes to the other FATs. */
static int write_mirrored(struct fat_volume *vol, uint32_t sector, uint32_t count,
                          const uint8_t *buf)
{
	int err = dev_write(vol, sector, count, buf);
	if (err != FAT_OK)
		return err;
	uint32_t lo = sector > vol->fat_start ? sector : vol->fat_start;
	uint32_t end = sector + count, fat_end = vol->fat_start + vol->fat_sectors;
	uint32_t hi = end < fat_end ? end : fat_end;
	for (uint32_t k = 1; lo < hi && k < vol->fat_copies; k++) {
		err = dev_write(vol, lo + k * vol->fat_sectors, hi - lo,
		                buf + (size_t)(lo - sector) * FAT_SECTOR_BYTES);
		if (err != FAT_OK)
			return err;
	}
	return FAT_OK;
}

/* Writes a line's dirty sectors back, one device write per dirty run. */
static int clean_line(struct fat_volume *vol, uint32_t i)
{
	struct fat_cache_line *l = &vol->lines[i];
	uint32_t k = 0;
	while (l->dirty != 0 && k < l->count) {
		if (!(l->dirty & 1u << k)) {
			k++;
			continue;
		}
		uint32_t run = 1;
		while (k + run < l->count && (l->dirty & 1u << (k + run)))
			run++;
		int err = write_mirrored(vol, l->first + k, run, line_data(vol, i, k));
		if (err != FAT_OK)
			return err;
		for (uint32_t j = k; j < k + run; j++)
			l->dirty &= ~(1u << j);
		k += run;
	}
	return FAT_OK;
}

static int find_line(const struct fat_volume *vol, uint32_t sector)
{
	for (uint32_t i = 0; i < FAT_CACHE_LINES; i++) {
		const struct fat_cache_line *l = &vol->lines[i];
		if (l->count != 0 && sector - l->first < l->count)
			return (int)i;
	}
	return -1;
}

/* How many sectors from sector on are held by no line, up to limit. */
static uint32_t uncached_run(const struct fat_volume *vol, uint32_t sector, uint32_t limit)
{
	for (uint32_t i = 0; i < FAT_CACHE_LINES; i++) {
		const struct fat_cache_line *l = &vol->lines[i];
		if (l->count != 0 && l->first > sector && l->first - sector < limit)
			limit = l->first - sector;
	}
	return limit;
}

static void touch(struct fat_volume *vol, uint32_t i)
{
	vol->lines[i].used = ++vol->cache_clock;
}

/* An empty line, else the least recently used one, written back. */
static int victim(struct fat_volume *vol, uint32_t *out)
{
	uint32_t best = 0;
	for (uint32_t i = 0; i < FAT_CACHE_LINES; i++) {
		if (vol->lines[i].count == 0) {
			*out = i;
			return FAT_OK;
		}
		if (vol->lines[i].used < vol->lines[best].used)
			best = i;
	}
	int err = clean_line(vol, best);
	if (err == FAT_OK)
		*out = best;
	return err;
}

int fat_cache_get(struct fat_volume *vol, uint32_t sector, uint32_t ahead, enum fat_cache_mode mode,
                  uint8_t **out)
{
	FAT_ASSERT(sector < vol->total_sectors && ahead >= 1);
	int hit = find_line(vol, sector);
	if (hit >= 0) {
		struct fat_cache_line *l = &vol->lines[hit];
		touch(vol, (uint32_t)hit);
		*out = line_data(vol, (uint32_t)hit, sector - l->first);
		return FAT_OK;
	}
	if (ahead > vol->total_sectors - sector)
		ahead = vol->total_sectors - sector;
	uint32_t want = mode == FAT_CACHE_READ ? ahead : 1;

	/* Extend the line that ends right before sector, if it has room. */
	for (uint32_t i = 0; i < FAT_CACHE_LINES; i++) {
		struct fat_cache_line *l = &vol->lines[i];
		if (l->count == 0 || l->count >= FAT_CACHE_LINE_SECTORS ||
		    l->first + l->count != sector)
			continue;
		uint32_t n = uncached_run(vol, sector, want);
		uint32_t room = FAT_CACHE_LINE_SECTORS - (uint32_t)l->count;
		if (n > room)
			n = room;
		uint8_t *p = line_data(vol, i, l->count);
		if (mode == FAT_CACHE_READ) {
			int err = dev_read(vol, sector, n, p);
			if (err != FAT_OK)
				return err;
		} else {
			memset(p, 0, FAT_SECTOR_BYTES);
		}
		l->count = (uint16_t)(l->count + n);
		touch(vol, i);
		*out = p;
		return FAT_OK;
	}

	uint32_t i;
	int err = victim(vol, &i);
	if (err != FAT_OK)
		return err;
	struct fat_cache_line *l = &vol->lines[i];
	l->count = 0; /* empty while it is refilled, so a failed read leaves no stale line */
	l->dirty = 0;
	uint32_t n = uncached_run(vol, sector,
	                          want < FAT_CACHE_LINE_SECTORS ? want : FAT_CACHE_LINE_SECTORS);
	if (mode == FAT_CACHE_READ) {
		err = dev_read(vol, sector, n, line_data(vol, i, 0));
		if (err != FAT_OK)
			return err;
	} else {
		memset(line_data(vol, i, 0), 0, FAT_SECTOR_BYTES);
	}
	l->first = sector;
	l->count = (uint16_t)n;
	touch(vol, i);
	*out = line_data(vol, i, 0);
	return FAT_OK;
}

void fat_cache_dirty(struct fat_volume *vol, const uint8_t *p)
{
	size_t at = (size_t)(p - &vol->cache[0][0]);
	FAT_ASSERT(at < sizeof(vol->cache));
	size_t line_bytes = sizeof(vol->cache[0]);
	uint32_t i = (uint32_t)(at / line_bytes);
	uint32_t k = (uint32_t)(at % line_bytes / FAT_SECTOR_BYTES);
	FAT_ASSERT(k < vol->lines[i].count);
	vol->lines[i].dirty |= 1u << k;
}

bool fat_cache_holds(const struct fat_volume *vol, uint32_t sector)
{
	return find_line(vol, sector) >= 0;
}

int fat_cache_read_direct(struct fat_volume *vol, uint32_t sector, uint32_t count, uint8_t *buf)
{
	int err = dev_read(vol, sector, count, buf);
	if (err != FAT_OK)
		return err;
	for (uint32_t i = 0; i < FAT_CACHE_LINES; i++) {
		struct fat_cache_line *l = &vol->lines[i];
		for (uint32_t k = 0; l->dirty != 0 && k < l->count; k++) {
			uint32_t s = l->first + k;
			if ((l->dirty & 1u << k) && s - sector < count)
				memcpy(buf + (size_t)(s - sector) * FAT_SECTOR_BYTES,
				       line_data(vol, i, k), FAT_SECTOR_BYTES);
		}
	}
	return FAT_OK;
}

int fat_cache_write_direct(struct fat_volume *vol, uint32_t sector, uint32_t count,
                           const uint8_t *buf)
{
	FAT_ASSERT(sector >= vol->data_start); /* file data: never the FAT */
	int err = dev_write(vol, sector, count, buf);
	if (err != FAT_OK)
		return err;
	for (uint32_t i = 0; i < FAT_CACHE_LINES; i++) {
		struct fat_cache_line *l = &vol->lines[i];
		for (uint32_t k = 0; k < l->count; k++) {
			uint32_t s = l->first + k;
			if (s - sector < count) {
				memcpy(line_data(vol, i, k),
				       buf + (size_t)(s - sector) * FAT_SECTOR_BYTES,
				       FAT_SECTOR_BYTES);
				l->dirty &= ~(1u << k);
			}
		}
	}
	return FAT_OK;
}

int fat_cache_write_back(struct fat_volume *vol)
{
	for (uint32_t i = 0; i < FAT_CACHE_LINES; i++) {
		int err = clean_line(vol, i);
		if (err != FAT_OK)
			return err;
	}
	return FAT_OK;
}

void fat_cache_reset(struct fat_volume *vol)
{
	memset(vol->lines, 0, sizeof(vol->lines));
	vol->cache_clock = 0;
}
