/*
 * readdir.c: listing a directory in batches. The cookie is the index of
 * the slot where the next batch starts looking (0: the beginning); slots
 * never move, so a cookie stays good while entries come and go: an entry
 * removed is not listed, one added may or may not be. A cookie that lands
 * inside a long name (its entry was replaced since) skips that name's
 * slots.
 */
#include "fat_int.h"

int fat_readdir(struct fat_file *dir, uint64_t cookie, struct fat_dirent *out, uint32_t max,
                uint32_t *count, uint64_t *next_cookie, bool *done)
{
	if (dir == NULL || dir->vol == NULL || !dir->vol->mounted)
		return FAT_E_BAD_HANDLE;
	if (!(dir->attr & FAT_ATTR_DIRECTORY))
		return FAT_E_NOT_DIR;
	if (count == NULL || next_cookie == NULL || done == NULL || (out == NULL && max != 0))
		return FAT_E_INVALID;
	if (cookie > FAT_DIR_MAX_SLOTS)
		return FAT_E_INVALID;
	struct fat_volume *vol = dir->vol;
	struct fat_dir_cursor cur;
	fat_dir_cursor_init(&cur, dir->first_cluster);
	uint32_t slot = (uint32_t)cookie, n = 0;
	bool resume = cookie != 0;
	*done = false;
	while (n < max) {
		struct fat_entry e;
		int err = fat_dir_next(vol, &cur, &slot, &e, resume);
		resume = false;
		if (err == FAT_END) {
			*done = true;
			break;
		}
		if (err != FAT_OK)
			return err;
		struct fat_dirent *d = &out[n++];
		d->inode = fat_dir_inode(&e);
		d->kind = (e.raw[FAT_DE_ATTR] & FAT_ATTR_DIRECTORY) ? FAT_KIND_DIRECTORY
		                                                    : FAT_KIND_REGULAR;
		d->size = d->kind == FAT_KIND_DIRECTORY ? 0 : fat_le32(e.raw + FAT_DE_SIZE);
		d->name_len = e.name_len;
		memcpy(d->name, e.name, (size_t)e.name_len + 1);
	}
	*count = n;
	*next_cookie = slot;
	return FAT_OK;
}
