/*
 * namei.c: operations on names: mkdir, unlink, rename.
 *
 * Each checks everything first (names, kinds, emptiness, open files, and
 * the chains it will free, counted to their ends) and only then changes
 * the disk, so a corrupt chain or a refused operation leaves no half-done
 * change. The order of the changes keeps the file system consistent at
 * each step that can fail: the new entry is written before the old one is
 * removed, and clusters are freed last.
 */
#include "fat_int.h"

static const uint8_t dot_name[11] = {'.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
static const uint8_t dotdot_name[11] = {'.', '.', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

static bool entry_is_dir(const struct fat_entry *e)
{
	return (e->raw[FAT_DE_ATTR] & FAT_ATTR_DIRECTORY) != 0;
}

static int check_volume(struct fat_volume *vol)
{
	if (vol == NULL || !vol->mounted)
		return FAT_E_INVALID;
	return fat_writable(vol);
}

/* The most clusters a directory may have: 2 MiB of slots. */
static uint32_t dir_cluster_limit(const struct fat_volume *vol)
{
	uint32_t n = FAT_DIR_MAX_SLOTS / fat_slots_per_cluster(vol);
	return n < vol->cluster_count ? n : vol->cluster_count;
}

/* Checks that the chain of the entry e, which is about to be freed, is
 * what it should be: a file's holds exactly the clusters of its size. */
static int check_chain(struct fat_volume *vol, const struct fat_entry *e)
{
	uint32_t first = fat_entry_cluster(e->raw), n;
	if (first == 0)
		return FAT_OK;
	if (entry_is_dir(e))
		return fat_table_count(vol, first, dir_cluster_limit(vol), &n);
	uint32_t want = (uint32_t)fat_clusters_for(vol, fat_le32(e->raw + FAT_DE_SIZE));
	int err = fat_table_count(vol, first, want, &n);
	if (err == FAT_OK && n != want)
		err = FAT_E_IO;
	return err;
}

/* The ".." slot of directory dir (its slot 1), checked to be one. */
static int find_dotdot(struct fat_volume *vol, uint32_t dir, uint32_t *sector, uint16_t *offset)
{
	struct fat_dir_cursor cur;
	fat_dir_cursor_init(&cur, dir);
	int err = fat_dir_locate(vol, &cur, 1, sector, offset);
	if (err == FAT_END)
		return FAT_E_IO;
	if (err != FAT_OK)
		return err;
	uint8_t *p;
	err = fat_cache_get(vol, *sector, 1, FAT_CACHE_READ, &p);
	if (err != FAT_OK)
		return err;
	if (memcmp(p + *offset, dotdot_name, 11) != 0 ||
	    !(p[*offset + FAT_DE_ATTR] & FAT_ATTR_DIRECTORY))
		return FAT_E_IO;
	return FAT_OK;
}

/* What ".." holds for a parent: 0 stands for the root. */
static uint32_t dotdot_cluster(const struct fat_volume *vol, uint32_t parent)
{
	return parent == vol->root_cluster ? 0 : parent;
}

int fat_mkdir(struct fat_volume *vol, const char *path)
{
	int err = check_volume(vol);
	if (err != FAT_OK)
		return err;
	struct fat_entry parent, e;
	const char *name;
	size_t len;
	uint16_t units[FAT_LFN_MAX_UNITS];
	uint32_t nunits;
	err = fat_path_parent(vol, path, 0, &parent, &name, &len);
	if (err != FAT_OK)
		return err;
	uint32_t pcl = fat_entry_cluster(parent.raw);
	err = fat_dir_find(vol, pcl, name, len, &e);
	if (err == FAT_OK)
		return FAT_E_EXISTS;
	if (err != FAT_E_NOT_FOUND)
		return err;
	err = fat_name_to_units(name, len, units, &nunits);
	if (err != FAT_OK)
		return err;

	uint32_t c;
	err = fat_table_grow(vol, 0, 1, true, &c);
	if (err != FAT_OK)
		return err;
	uint8_t de[32] = {0};
	de[FAT_DE_ATTR] = FAT_ATTR_DIRECTORY;
	fat_dir_stamp(vol, de, true);
	uint8_t *p;
	err = fat_cache_get(vol, fat_cluster_sector(vol, c), 1, FAT_CACHE_READ, &p);
	if (err == FAT_OK) {
		memcpy(p, de, 32);
		memcpy(p, dot_name, 11);
		fat_entry_set_cluster(p, c);
		memcpy(p + 32, de, 32);
		memcpy(p + 32, dotdot_name, 11);
		fat_entry_set_cluster(p + 32, dotdot_cluster(vol, pcl));
		fat_cache_dirty(vol, p);
		fat_entry_set_cluster(de, c);
		err = fat_dir_add(vol, pcl, name, len, de, &e);
	}
	if (err != FAT_OK)
		fat_table_free(vol, c);
	return err;
}

int fat_unlink(struct fat_volume *vol, const char *path)
{
	int err = check_volume(vol);
	if (err != FAT_OK)
		return err;
	struct fat_entry e;
	err = fat_path_lookup(vol, path, &e);
	if (err != FAT_OK)
		return err;
	if (e.sector == 0 || fat_file_find_open(vol, e.sector, e.offset) != NULL)
		return FAT_E_BUSY;
	if (entry_is_dir(&e)) {
		err = fat_dir_is_empty(vol, fat_entry_cluster(e.raw));
		if (err != FAT_OK)
			return err;
	}
	err = check_chain(vol, &e);
	if (err != FAT_OK)
		return err;
	err = fat_dir_remove(vol, &e);
	if (err == FAT_OK && fat_entry_cluster(e.raw) != 0)
		err = fat_table_free(vol, fat_entry_cluster(e.raw));
	return err;
}

/* Decides what renaming src to name in directory tdir does to an existing
 * target: *replace says it is to be removed. */
static int check_target(struct fat_volume *vol, const struct fat_entry *src, uint32_t tdir,
                        const char *name, size_t len, struct fat_entry *target, bool *replace,
                        bool *nothing)
{
	*replace = false;
	*nothing = false;
	int err = fat_dir_find(vol, tdir, name, len, target);
	if (err == FAT_E_NOT_FOUND)
		return FAT_OK;
	if (err != FAT_OK)
		return err;
	if (target->sector == src->sector && target->offset == src->offset) {
		/* The same entry: nothing to do, or a change of case. */
		*nothing = target->name_len == len && memcmp(target->name, name, len) == 0;
		return FAT_OK;
	}
	if (fat_file_find_open(vol, target->sector, target->offset) != NULL)
		return FAT_E_BUSY;
	if (entry_is_dir(src) && !entry_is_dir(target))
		return FAT_E_NOT_DIR;
	if (!entry_is_dir(src) && entry_is_dir(target))
		return FAT_E_IS_DIR;
	if (entry_is_dir(target)) {
		err = fat_dir_is_empty(vol, fat_entry_cluster(target->raw));
		if (err != FAT_OK)
			return err;
	}
	*replace = true;
	return check_chain(vol, target);
}

int fat_rename(struct fat_volume *vol, const char *from, const char *to)
{
	int err = check_volume(vol);
	if (err != FAT_OK)
		return err;
	/* Decode. */
	struct fat_entry src, tparent, target, ne;
	err = fat_path_lookup(vol, from, &src);
	if (err != FAT_OK)
		return err;
	if (src.sector == 0)
		return FAT_E_BUSY; /* the root */
	bool dir = entry_is_dir(&src);
	const char *name;
	size_t len;
	err = fat_path_parent(vol, to, dir ? fat_entry_cluster(src.raw) : 0, &tparent, &name, &len);
	if (err != FAT_OK)
		return err;
	uint16_t units[FAT_LFN_MAX_UNITS];
	uint32_t nunits;
	err = fat_name_to_units(name, len, units, &nunits);
	if (err != FAT_OK)
		return err;
	uint32_t tdir = fat_entry_cluster(tparent.raw);
	bool replace, nothing;
	err = check_target(vol, &src, tdir, name, len, &target, &replace, &nothing);
	if (err != FAT_OK || nothing)
		return err;
	bool moves = dir && tdir != src.dir;
	uint32_t dd_sector = 0;
	uint16_t dd_offset = 0;
	if (moves) {
		err = find_dotdot(vol, fat_entry_cluster(src.raw), &dd_sector, &dd_offset);
		if (err != FAT_OK)
			return err;
	}

	/* Invoke: the new entry first, so a failure leaves the old one. */
	err = fat_dir_add(vol, tdir, name, len, src.raw, &ne);
	if (err != FAT_OK)
		return err;
	if (replace)
		err = fat_dir_remove(vol, &target);
	if (err == FAT_OK)
		err = fat_dir_remove(vol, &src);
	if (err == FAT_OK && replace && fat_entry_cluster(target.raw) != 0)
		err = fat_table_free(vol, fat_entry_cluster(target.raw));
	if (err == FAT_OK && moves) {
		uint8_t *p;
		err = fat_cache_get(vol, dd_sector, 1, FAT_CACHE_READ, &p);
		if (err == FAT_OK) {
			fat_entry_set_cluster(p + dd_offset, dotdot_cluster(vol, tdir));
			fat_cache_dirty(vol, p);
		}
	}
	for (struct fat_file *o = vol->open_files; o != NULL; o = o->next_open) {
		if (o->entry_sector == src.sector && o->entry_offset == src.offset) {
			o->entry_sector = ne.sector;
			o->entry_offset = ne.offset;
		}
	}
	return err;
}
