/*
 * dir.c: directories as sequences of 32-byte slots, and the entries they
 * hold: a short (8.3) entry, preceded by the slots of its long name.
 *
 * Reading an entry checks everything the rest of the library will use: a
 * long name's slots must count down from a first slot marked last, carry
 * one checksum that matches the short entry's name, and decode to a name;
 * the short entry's cluster must exist and its size fit the volume. What
 * fails is FAT_E_IO. A walk never goes past FAT_DIR_MAX_SLOTS slots or the
 * end of the directory's chain, whichever comes first.
 *
 * Slots are never moved, so a slot index names an entry for as long as it
 * exists: readdir's cookies and open files' entry positions rest on it.
 */
#include "fat_int.h"

static const uint8_t dot_name[11] = {'.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
static const uint8_t dotdot_name[11] = {'.', '.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

/* Byte offsets of a long-name slot's 13 UTF-16 units. */
static const uint8_t lfn_unit_offset[FAT_LFN_UNITS] = {1,  3,  5,  7,  9,  14, 16,
                                                       18, 20, 22, 24, 28, 30};

void fat_dir_cursor_init(struct fat_dir_cursor *cur, uint32_t first)
{
	cur->first = first;
	cur->index = 0;
	cur->cluster = first;
}

int fat_dir_locate(struct fat_volume *vol, struct fat_dir_cursor *cur, uint32_t slot,
                   uint32_t *sector, uint16_t *offset)
{
	FAT_ASSERT(fat_cluster_ok(vol, cur->first));
	uint32_t per = fat_slots_per_cluster(vol);
	if (slot >= FAT_DIR_MAX_SLOTS) {
		/* The end, if the chain ends with its 2 MiB; a chain that goes
		 * on (a loop, say) is corruption. */
		uint32_t sector, next;
		uint16_t offset;
		int err = fat_dir_locate(vol, cur, FAT_DIR_MAX_SLOTS - 1, &sector, &offset);
		if (err == FAT_OK)
			err = fat_table_next(vol, cur->cluster, &next);
		return err == FAT_OK ? FAT_E_IO : err;
	}
	uint32_t index = slot / per;
	if (index < cur->index) {
		cur->index = 0;
		cur->cluster = cur->first;
	}
	/* index < FAT_DIR_MAX_SLOTS / per: the walk is bounded even in a loop. */
	while (cur->index < index) {
		uint32_t next;
		int err = fat_table_next(vol, cur->cluster, &next);
		if (err != FAT_OK)
			return err;
		cur->cluster = next;
		cur->index++;
	}
	uint32_t within = slot % per;
	*sector = fat_cluster_sector(vol, cur->cluster) + within / FAT_SLOTS_PER_SECTOR;
	*offset = (uint16_t)(within % FAT_SLOTS_PER_SECTOR * FAT_SLOT_BYTES);
	return FAT_OK;
}

/* The sectors of the directory's cluster from sector on: read-ahead. */
static uint32_t rest_of_cluster(const struct fat_volume *vol, uint32_t sector)
{
	uint32_t per = 1u << vol->cluster_shift;
	return per - (sector - vol->data_start) % per;
}

static int read_slot(struct fat_volume *vol, struct fat_dir_cursor *cur, uint32_t slot,
                     uint8_t raw[32], uint32_t *sector, uint16_t *offset)
{
	int err = fat_dir_locate(vol, cur, slot, sector, offset);
	if (err != FAT_OK)
		return err;
	uint8_t *p;
	err = fat_cache_get(vol, *sector, rest_of_cluster(vol, *sector), FAT_CACHE_READ, &p);
	if (err == FAT_OK)
		memcpy(raw, p + *offset, 32);
	return err;
}

static int write_slot(struct fat_volume *vol, uint32_t sector, uint16_t offset,
                      const uint8_t raw[32])
{
	uint8_t *p;
	int err = fat_cache_get(vol, sector, rest_of_cluster(vol, sector), FAT_CACHE_READ, &p);
	if (err != FAT_OK)
		return err;
	memcpy(p + offset, raw, 32);
	fat_cache_dirty(vol, p);
	return FAT_OK;
}

/* Checks a short entry's fields that the library relies on. */
static int check_short(const struct fat_volume *vol, const uint8_t *raw)
{
	uint8_t attr = raw[FAT_DE_ATTR];
	uint32_t c = fat_entry_cluster(raw), size = fat_le32(raw + FAT_DE_SIZE);
	if ((attr & FAT_ATTR_DIRECTORY) && (attr & FAT_ATTR_VOLUME_ID))
		return FAT_E_IO;
	if (attr & FAT_ATTR_DIRECTORY)
		return fat_cluster_ok(vol, c) ? FAT_OK : FAT_E_IO;
	if (c == 0)
		return size == 0 ? FAT_OK : FAT_E_IO;
	if (!fat_cluster_ok(vol, c) || size == 0 ||
	    fat_clusters_for(vol, size) > vol->cluster_count)
		return FAT_E_IO;
	return FAT_OK;
}

/* The long name's units, once its slots were all seen: the name ends at
 * the first 0 unit or fills the slots, and must need every slot. */
static int long_name(const uint16_t *units, uint32_t nslots, struct fat_entry *e)
{
	uint32_t cap = nslots * FAT_LFN_UNITS, n = 0;
	while (n < cap && units[n] != 0)
		n++;
	if (n <= (nslots - 1) * FAT_LFN_UNITS)
		return FAT_E_IO;
	int err = fat_name_from_units(units, n, e->name, &e->name_len);
	if (err == FAT_E_NAME_TOO_LONG) {
		/* Valid, but longer than FAT_NAME_MAX bytes of UTF-8: the
		 * entry goes by its short name. */
		memcpy(e->name, e->short_name, (size_t)e->short_len + 1);
		e->name_len = e->short_len;
		return FAT_OK;
	}
	return err;
}

/* Checks a short entry and its long name (units of nslots slots with
 * checksum sum; NULL if it has none) and fills e's raw entry and names. */
static int finish_entry(const struct fat_volume *vol, const uint8_t raw[32], const uint16_t *units,
                        uint32_t nslots, uint8_t sum, struct fat_entry *e)
{
	int err = check_short(vol, raw);
	if (err != FAT_OK)
		return err;
	err = fat_name_from_short(raw, raw[FAT_DE_NTRES], e->short_name, &e->short_len);
	if (err != FAT_OK)
		return err;
	if (units != NULL) {
		if (fat_name_checksum(raw) != sum)
			return FAT_E_IO;
		err = long_name(units, nslots, e);
		if (err != FAT_OK)
			return err;
	} else {
		memcpy(e->name, e->short_name, (size_t)e->short_len + 1);
		e->name_len = e->short_len;
	}
	memcpy(e->raw, raw, 32);
	return FAT_OK;
}

int fat_dir_next(struct fat_volume *vol, struct fat_dir_cursor *cur, uint32_t *slot_io,
                 struct fat_entry *e, bool resume)
{
	uint16_t units[FAT_LFN_MAX_SLOTS * FAT_LFN_UNITS];
	uint32_t expect = 0, nslots = 0, first = 0;
	bool in_long = false;
	uint8_t sum = 0;
	for (uint32_t slot = *slot_io;; slot++) {
		uint8_t raw[32];
		uint32_t sector;
		uint16_t offset;
		int err = read_slot(vol, cur, slot, raw, &sector, &offset);
		if (err == FAT_OK && raw[0] == FAT_SLOT_END)
			err = FAT_END;
		if (err == FAT_END) {
			if (in_long)
				return FAT_E_IO; /* a long name without its entry */
			*slot_io = slot;
			return FAT_END;
		}
		if (err != FAT_OK)
			return err;
		uint8_t ord = raw[0], attr = raw[FAT_DE_ATTR] & FAT_ATTR_MASK;
		if (ord == FAT_SLOT_FREE) {
			if (in_long)
				return FAT_E_IO;
			resume = false;
			continue;
		}
		if (attr == FAT_ATTR_LFN) {
			uint32_t n = ord & ~FAT_LFN_LAST;
			if (ord & FAT_LFN_LAST) {
				if (in_long || n < 1 || n > FAT_LFN_MAX_SLOTS)
					return FAT_E_IO;
				in_long = true;
				nslots = n;
				sum = raw[13];
				first = slot;
			} else if (!in_long && resume) {
				continue; /* the middle of a name that a cookie cut */
			} else if (!in_long || n != expect || raw[13] != sum) {
				return FAT_E_IO;
			}
			resume = false;
			for (uint32_t k = 0; k < FAT_LFN_UNITS; k++)
				units[(n - 1) * FAT_LFN_UNITS + k] =
				    fat_le16(raw + lfn_unit_offset[k]);
			expect = n - 1;
			continue;
		}
		/* A short entry. */
		resume = false;
		if (in_long && expect != 0)
			return FAT_E_IO; /* slots of the long name are missing */
		if (attr & FAT_ATTR_VOLUME_ID) {
			if (in_long || (attr & FAT_ATTR_DIRECTORY))
				return FAT_E_IO;
			continue; /* the volume label */
		}
		if (memcmp(raw, dot_name, 11) == 0 || memcmp(raw, dotdot_name, 11) == 0) {
			if (in_long)
				return FAT_E_IO;
			continue;
		}
		err = finish_entry(vol, raw, in_long ? units : NULL, nslots, sum, e);
		if (err != FAT_OK)
			return err;
		e->dir = cur->first;
		e->sector = sector;
		e->offset = offset;
		e->first_slot = in_long ? first : slot;
		e->next_slot = slot + 1;
		*slot_io = slot + 1;
		return FAT_OK;
	}
}

int fat_dir_find(struct fat_volume *vol, uint32_t dir, const char *name, size_t len,
                 struct fat_entry *e)
{
	struct fat_dir_cursor cur;
	fat_dir_cursor_init(&cur, dir);
	uint32_t slot = 0;
	for (;;) {
		int err = fat_dir_next(vol, &cur, &slot, e, false);
		if (err == FAT_END)
			return FAT_E_NOT_FOUND;
		if (err != FAT_OK)
			return err;
		if (fat_name_equal(name, len, e->name, e->name_len) ||
		    fat_name_equal(name, len, e->short_name, e->short_len))
			return FAT_OK;
	}
}

int fat_dir_is_empty(struct fat_volume *vol, uint32_t dir)
{
	struct fat_dir_cursor cur;
	struct fat_entry e;
	uint32_t slot = 0;
	fat_dir_cursor_init(&cur, dir);
	int err = fat_dir_next(vol, &cur, &slot, &e, false);
	if (err == FAT_END)
		return FAT_OK;
	return err == FAT_OK ? FAT_E_NOT_EMPTY : err;
}

/* The short names taken in dir among basis (bit 0) and basis with tails
 * ~1..~4 (bits 1..4); one walk of the directory. */
static int short_names_used(struct fat_volume *vol, uint32_t dir, uint8_t cand[5][11],
                            uint32_t ncand, uint32_t *used)
{
	struct fat_dir_cursor cur;
	struct fat_entry e;
	uint32_t slot = 0;
	fat_dir_cursor_init(&cur, dir);
	*used = 0;
	for (;;) {
		int err = fat_dir_next(vol, &cur, &slot, &e, false);
		if (err == FAT_END)
			return FAT_OK;
		if (err != FAT_OK)
			return err;
		if (e.raw[0] == FAT_SLOT_KANJI_E5)
			continue; /* starts with 0xe5: never one of ours */
		for (uint32_t k = 0; k < ncand; k++)
			if (memcmp(e.raw, cand[k], 11) == 0)
				*used |= 1u << k;
	}
}

static uint32_t name_hash(const uint16_t *units, uint32_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (uint32_t i = 0; i < n; i++) {
		h = (h ^ (units[i] & 0xffu)) * 16777619u;
		h = (h ^ (units[i] >> 8)) * 16777619u;
	}
	return h ^ h >> 16;
}

/* How many hashed tails to try after ~1..~4 before giving up. */
#define HASHED_TAILS 64u

/* Picks the short name of a new entry: the basis if the long name only
 * differs from it in case, else the first free numeric tail. */
static int choose_short(struct fat_volume *vol, uint32_t dir, const uint16_t *units,
                        uint32_t nunits, const uint8_t basis[11], bool basis_ok, uint8_t out[11])
{
	uint8_t cand[5][11];
	memcpy(cand[0], basis, 11);
	for (uint32_t k = 1; k <= 4; k++)
		fat_name_tail(cand[k], basis, k, 0);
	uint32_t used;
	int err = short_names_used(vol, dir, cand, 5, &used);
	if (err != FAT_OK)
		return err;
	for (uint32_t k = basis_ok ? 0 : 1; k <= 4; k++) {
		if (!(used & 1u << k)) {
			memcpy(out, cand[k], 11);
			return FAT_OK;
		}
	}
	uint32_t hash = name_hash(units, nunits);
	for (uint32_t n = 5; n < 5 + HASHED_TAILS; n++) {
		fat_name_tail(cand[0], basis, n, hash);
		err = short_names_used(vol, dir, cand, 1, &used);
		if (err != FAT_OK)
			return err;
		if (used == 0) {
			memcpy(out, cand[0], 11);
			return FAT_OK;
		}
	}
	return FAT_E_NO_SPACE;
}

/* Finds n consecutive free slots in dir, growing it by zeroed clusters if
 * needed: *start is the first; *end is the slot of the end marker (or
 * FAT_DIR_MAX_SLOTS if the run does not reach it). */
static int find_free_run(struct fat_volume *vol, uint32_t dir, uint32_t n, uint32_t *start,
                         uint32_t *end)
{
	struct fat_dir_cursor cur;
	fat_dir_cursor_init(&cur, dir);
	uint32_t run = 0, at = 0, slot, end_mark = FAT_DIR_MAX_SLOTS;
	for (slot = 0; slot < FAT_DIR_MAX_SLOTS; slot++) {
		uint8_t raw[32];
		uint32_t sector;
		uint16_t offset;
		int err;
		if (end_mark != FAT_DIR_MAX_SLOTS) /* past the end marker all is free */
			err = fat_dir_locate(vol, &cur, slot, &sector, &offset);
		else
			err = read_slot(vol, &cur, slot, raw, &sector, &offset);
		if (err == FAT_END)
			break;
		if (err != FAT_OK)
			return err;
		if (end_mark == FAT_DIR_MAX_SLOTS && raw[0] == FAT_SLOT_END)
			end_mark = slot;
		if (end_mark != FAT_DIR_MAX_SLOTS || raw[0] == FAT_SLOT_FREE) {
			if (run++ == 0)
				at = slot;
			if (run == n) {
				*start = at;
				*end = end_mark;
				return FAT_OK;
			}
		} else {
			run = 0;
		}
	}
	/* slot is the number of slots the chain holds; grow it. */
	if (run == 0)
		at = slot;
	if (at + n > FAT_DIR_MAX_SLOTS)
		return FAT_E_NO_SPACE;
	uint32_t per = fat_slots_per_cluster(vol);
	uint32_t more = (at + n - slot + per - 1) / per, first_new;
	int err = fat_table_grow(vol, cur.cluster, more, true, &first_new);
	if (err != FAT_OK)
		return err;
	*start = at;
	*end = end_mark < slot ? end_mark : slot;
	return FAT_OK;
}

static void put_long_slot(uint8_t raw[32], const uint16_t *units, uint32_t nunits, uint32_t ord,
                          bool last, uint8_t sum)
{
	memset(raw, 0, 32);
	raw[0] = (uint8_t)(ord | (last ? FAT_LFN_LAST : 0));
	raw[FAT_DE_ATTR] = FAT_ATTR_LFN;
	raw[13] = sum;
	for (uint32_t k = 0; k < FAT_LFN_UNITS; k++) {
		uint32_t i = (ord - 1) * FAT_LFN_UNITS + k;
		uint32_t u = i < nunits ? units[i] : i == nunits ? 0 : 0xffffu;
		fat_put16(raw + lfn_unit_offset[k], u);
	}
}

/* Writes nlong long-name slots and the short entry raw from slot start on,
 * where the run of free slots reaches the end marker at slot end or not;
 * e learns where the short entry went. */
static int write_slots(struct fat_volume *vol, uint32_t dir, uint32_t start, uint32_t end,
                       const uint16_t *units, uint32_t nunits, uint32_t nlong,
                       const uint8_t raw[32], struct fat_entry *e)
{
	uint8_t sum = fat_name_checksum(raw);
	struct fat_dir_cursor cur;
	fat_dir_cursor_init(&cur, dir);
	int err;
	for (uint32_t k = 0; k <= nlong; k++) {
		uint8_t slot_raw[32];
		err = fat_dir_locate(vol, &cur, start + k, &e->sector, &e->offset);
		if (err == FAT_END)
			err = FAT_E_IO; /* the directory shrank under us */
		if (err != FAT_OK)
			return err;
		if (k < nlong)
			put_long_slot(slot_raw, units, nunits, nlong - k, k == 0, sum);
		else
			memcpy(slot_raw, raw, 32);
		err = write_slot(vol, e->sector, e->offset, slot_raw);
		if (err != FAT_OK)
			return err;
	}
	/* Slots past the end marker are free whatever they hold: if the new
	 * entry covered the marker, put one back behind it. */
	uint32_t after = start + nlong + 1;
	if (end < after && after < FAT_DIR_MAX_SLOTS) {
		uint32_t s;
		uint16_t o;
		uint8_t next[32];
		err = read_slot(vol, &cur, after, next, &s, &o);
		if (err == FAT_OK && next[0] != FAT_SLOT_END) {
			next[0] = FAT_SLOT_END;
			err = write_slot(vol, s, o, next);
		}
		if (err != FAT_OK && err != FAT_END)
			return err;
	}
	return FAT_OK;
}

int fat_dir_add(struct fat_volume *vol, uint32_t dir, const char *name, size_t len,
                const uint8_t template[32], struct fat_entry *e)
{
	uint16_t units[FAT_LFN_MAX_UNITS];
	uint32_t nunits;
	int err = fat_name_to_units(name, len, units, &nunits);
	if (err != FAT_OK)
		return err;
	uint8_t basis[11], short_name[11];
	bool lossy;
	fat_name_basis(units, nunits, basis, &lossy);
	char shown[25];
	uint8_t shown_len;
	err = fat_name_from_short(basis, 0, shown, &shown_len);
	if (err != FAT_OK)
		return err;
	/* A name that is its own short name needs no long name; one that
	 * differs only in case keeps the basis (if free) under a long name. */
	bool exact = !lossy && shown_len == len && memcmp(shown, name, len) == 0;
	bool basis_ok = !lossy && fat_name_equal(shown, shown_len, name, len);
	err = choose_short(vol, dir, units, nunits, basis, basis_ok, short_name);
	if (err != FAT_OK)
		return err;
	if (exact && memcmp(short_name, basis, 11) != 0)
		exact = false; /* the basis is taken (a case-only rename): long name */
	uint32_t nlong = exact ? 0 : (nunits + FAT_LFN_UNITS - 1) / FAT_LFN_UNITS;
	uint32_t start, end;
	err = find_free_run(vol, dir, nlong + 1, &start, &end);
	if (err != FAT_OK)
		return err;

	uint8_t raw[32];
	memcpy(raw, template, 32);
	memcpy(raw, short_name, 11);
	raw[FAT_DE_NTRES] = 0;
	err = write_slots(vol, dir, start, end, units, nunits, nlong, raw, e);
	if (err != FAT_OK)
		return err;
	memcpy(e->raw, raw, 32);
	e->dir = dir;
	e->first_slot = start;
	e->next_slot = start + nlong + 1;
	memcpy(e->name, name, len);
	e->name[len] = 0;
	e->name_len = (uint8_t)len;
	return fat_name_from_short(raw, 0, e->short_name, &e->short_len);
}

int fat_dir_remove(struct fat_volume *vol, const struct fat_entry *e)
{
	FAT_ASSERT(e->sector != 0 && e->first_slot < e->next_slot);
	struct fat_dir_cursor cur;
	fat_dir_cursor_init(&cur, e->dir);
	for (uint32_t slot = e->first_slot; slot < e->next_slot; slot++) {
		uint32_t sector;
		uint16_t offset;
		uint8_t raw[32];
		int err = read_slot(vol, &cur, slot, raw, &sector, &offset);
		if (err == FAT_END)
			err = FAT_E_IO;
		if (err != FAT_OK)
			return err;
		raw[0] = FAT_SLOT_FREE;
		err = write_slot(vol, sector, offset, raw);
		if (err != FAT_OK)
			return err;
	}
	return FAT_OK;
}

int fat_dir_store(struct fat_volume *vol, const struct fat_entry *e)
{
	FAT_ASSERT(e->sector != 0);
	return write_slot(vol, e->sector, e->offset, e->raw);
}

void fat_dir_root(const struct fat_volume *vol, struct fat_entry *e)
{
	memset(e, 0, sizeof(*e));
	memset(e->raw, ' ', 11);
	e->raw[FAT_DE_ATTR] = FAT_ATTR_DIRECTORY;
	fat_entry_set_cluster(e->raw, vol->root_cluster);
	e->name[0] = '/';
	e->name_len = 1;
}

uint64_t fat_dir_inode(const struct fat_entry *e)
{
	if (e->sector == 0)
		return FAT_ROOT_INODE;
	return (uint64_t)e->sector * FAT_SLOTS_PER_SECTOR + e->offset / FAT_SLOT_BYTES;
}

void fat_dir_stamp(struct fat_volume *vol, uint8_t de[32], bool created)
{
	int64_t now = vol->dev.now_ns ? vol->dev.now_ns(vol->dev.ctx) : INT64_MIN;
	uint16_t date, time;
	uint8_t tenth;
	fat_time_from_ns(now, &date, &time, &tenth);
	if (created) {
		de[FAT_DE_CTIME_TENTH] = tenth;
		fat_put16(de + FAT_DE_CTIME, time);
		fat_put16(de + FAT_DE_CDATE, date);
	}
	fat_put16(de + FAT_DE_MTIME, time);
	fat_put16(de + FAT_DE_MDATE, date);
	fat_put16(de + FAT_DE_ADATE, date);
}
