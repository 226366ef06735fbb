/*
 * path.c: absolute paths to directory entries. A path starts with '/';
 * empty components ("a//b", a trailing '/') are skipped; "." and ".." are
 * FAT_E_INVALID, since the server resolves them before asking (FAT's own
 * ".." entries would give a directory a second entry position and so a
 * second inode number). Each component is at most FAT_NAME_MAX bytes.
 */
#include "fat_int.h"

/* The next component at *p: its start and length; 0 at the path's end. */
static size_t next_component(const char **p, const char **start)
{
	while (**p == '/')
		(*p)++;
	*start = *p;
	while (**p != 0 && **p != '/')
		(*p)++;
	return (size_t)(*p - *start);
}

static int check_component(const char *s, size_t len)
{
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return FAT_E_INVALID;
	return len > FAT_NAME_MAX ? FAT_E_NAME_TOO_LONG : FAT_OK;
}

static bool is_dir(const struct fat_entry *e)
{
	return (e->raw[FAT_DE_ATTR] & FAT_ATTR_DIRECTORY) != 0;
}

int fat_path_parent(struct fat_volume *vol, const char *path, uint32_t avoid,
                    struct fat_entry *parent, const char **name, size_t *len)
{
	if (path == NULL || path[0] != '/')
		return FAT_E_INVALID;
	fat_dir_root(vol, parent);
	if (avoid == vol->root_cluster)
		return FAT_E_INVALID;
	const char *p = path, *s;
	size_t n = next_component(&p, &s);
	if (n == 0)
		return FAT_E_INVALID; /* "/" has no parent */
	for (;;) {
		int err = check_component(s, n);
		if (err != FAT_OK)
			return err;
		const char *t;
		size_t m = next_component(&p, &t);
		if (m == 0) {
			*name = s;
			*len = n;
			return FAT_OK;
		}
		/* s is a directory on the way. */
		err = fat_dir_find(vol, fat_entry_cluster(parent->raw), s, n, parent);
		if (err != FAT_OK)
			return err;
		if (!is_dir(parent))
			return FAT_E_NOT_DIR;
		if (fat_entry_cluster(parent->raw) == avoid)
			return FAT_E_INVALID;
		s = t;
		n = m;
	}
}

int fat_path_lookup(struct fat_volume *vol, const char *path, struct fat_entry *e)
{
	if (path == NULL || path[0] != '/')
		return FAT_E_INVALID;
	const char *p = path, *s;
	if (next_component(&p, &s) == 0) {
		fat_dir_root(vol, e);
		return FAT_OK;
	}
	struct fat_entry parent;
	const char *name;
	size_t len;
	int err = fat_path_parent(vol, path, 0, &parent, &name, &len);
	if (err != FAT_OK)
		return err;
	return fat_dir_find(vol, fat_entry_cluster(parent.raw), name, len, e);
}
