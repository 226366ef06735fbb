/*
 * file.c: open files: open, close, read, write, truncate, stat, times.
 *
 * A fat_file keeps a copy of its entry's first cluster and size; every
 * change goes to the entry (in the cache) and to the other open files of
 * the same entry, so all agree. It also keeps the last position found in
 * its chain, so sequential access never walks the chain from the start;
 * freeing clusters anywhere bumps the volume's chain_gen, which stales
 * every remembered position.
 *
 * Data moves through the cache in pieces smaller than the rest of a
 * cluster (a miss then reads the rest of the cluster at once) and straight
 * between the device and the caller's buffer otherwise, one device request
 * per run of contiguous clusters.
 *
 * A file's chain must hold exactly the clusters its size needs: a chain
 * that ends early, or goes on past the last cluster (which a loop always
 * does), is FAT_E_IO when a read, write or truncate reaches that cluster.
 */
#include "fat_int.h"

#define FILE_SIZE_MAX 0xffffffffu
#define OPEN_FLAGS                                                                                 \
	(FAT_O_READ | FAT_O_WRITE | FAT_O_CREATE | FAT_O_TRUNCATE | FAT_O_APPEND |                 \
	 FAT_O_DIRECTORY | FAT_O_EXCLUSIVE)

static bool file_is_dir(const struct fat_file *f)
{
	return (f->attr & FAT_ATTR_DIRECTORY) != 0;
}

static int check_open(const struct fat_file *f)
{
	if (f == NULL || f->vol == NULL || !f->vol->mounted)
		return FAT_E_BAD_HANDLE;
	return FAT_OK;
}

/* What a change to f's contents or size needs. */
static int check_writable(const struct fat_file *f)
{
	int err = check_open(f);
	if (err != FAT_OK)
		return err;
	if (file_is_dir(f))
		return FAT_E_IS_DIR;
	if (!(f->flags & FAT_O_WRITE) || (f->attr & FAT_ATTR_READ_ONLY))
		return FAT_E_ACCESS;
	return fat_writable(f->vol);
}

struct fat_file *fat_file_find_open(struct fat_volume *vol, uint32_t sector, uint16_t offset)
{
	for (struct fat_file *o = vol->open_files; o != NULL; o = o->next_open)
		if (o->entry_sector == sector && o->entry_offset == offset)
			return o;
	return NULL;
}

/* Writes f's first cluster and size to its entry (with the modification
 * time and the archive bit when modified) and to its other open files. */
static int store_entry(struct fat_file *f, bool modified)
{
	struct fat_volume *vol = f->vol;
	FAT_ASSERT(f->entry_sector != 0);
	uint8_t *p;
	int err = fat_cache_get(vol, f->entry_sector, 1, FAT_CACHE_READ, &p);
	if (err != FAT_OK)
		return err;
	uint8_t *de = p + f->entry_offset;
	fat_entry_set_cluster(de, f->first_cluster);
	fat_put32(de + FAT_DE_SIZE, f->size);
	if (modified) {
		uint8_t stamped[32];
		memcpy(stamped, de, 32);
		fat_dir_stamp(vol, stamped, false);
		stamped[FAT_DE_ATTR] |= FAT_ATTR_ARCHIVE;
		memcpy(de, stamped, 32);
	}
	fat_cache_dirty(vol, p);
	for (struct fat_file *o = vol->open_files; o != NULL; o = o->next_open) {
		if (o->entry_sector == f->entry_sector && o->entry_offset == f->entry_offset) {
			o->first_cluster = f->first_cluster;
			o->size = f->size;
		}
	}
	return FAT_OK;
}

/* The file's cluster number index, walking from the remembered position
 * when it lies at or before index. index < the clusters the chain must
 * have, which fits the volume, so the walk is bounded. */
static int cluster_at(struct fat_file *f, uint32_t index, uint32_t *out)
{
	struct fat_volume *vol = f->vol;
	uint32_t i = 0, c = f->first_cluster;
	if (f->pos_valid && f->pos_gen == vol->chain_gen && f->pos_index <= index) {
		i = f->pos_index;
		c = f->pos_cluster;
	}
	FAT_ASSERT(fat_cluster_ok(vol, c));
	while (i < index) {
		uint32_t next;
		int err = fat_table_next(vol, c, &next);
		if (err == FAT_END)
			return FAT_E_IO; /* the chain is shorter than the size */
		if (err != FAT_OK)
			return err;
		c = next;
		i++;
	}
	f->pos_index = index;
	f->pos_cluster = c;
	f->pos_gen = vol->chain_gen;
	f->pos_valid = true;
	*out = c;
	return FAT_OK;
}

/* The last cluster of a chain of n, checked to end the chain. */
static int last_cluster(struct fat_file *f, uint32_t n, uint32_t *out)
{
	int err = cluster_at(f, n - 1, out);
	if (err != FAT_OK)
		return err;
	uint32_t next;
	err = fat_table_next(f->vol, *out, &next);
	if (err == FAT_END)
		return FAT_OK;
	return err == FAT_OK ? FAT_E_IO : err; /* longer than the size says */
}

/* Frees the clusters of f's chain of have clusters past the first keep. */
static int shrink_chain(struct fat_file *f, uint32_t have, uint32_t keep)
{
	struct fat_volume *vol = f->vol;
	if (have <= keep)
		return FAT_OK;
	/* Decode: the part to be freed must be exactly what it should be. */
	uint32_t last = 0, rest = f->first_cluster, n;
	int err;
	if (keep > 0) {
		err = cluster_at(f, keep - 1, &last);
		if (err == FAT_OK)
			err = fat_table_next(vol, last, &rest);
		if (err == FAT_END)
			err = FAT_E_IO;
		if (err != FAT_OK)
			return err;
	}
	err = fat_table_count(vol, rest, have - keep, &n);
	if (err != FAT_OK)
		return err;
	if (n != have - keep)
		return FAT_E_IO;
	/* Invoke. */
	if (keep > 0)
		err = fat_table_set(vol, last, FAT_ENTRY_EOC);
	else
		f->first_cluster = 0;
	if (err == FAT_OK)
		err = fat_table_free(vol, rest);
	return err;
}

/* Gives f the clusters that size bytes need (all or nothing). */
static int grow_chain(struct fat_file *f, uint64_t size)
{
	struct fat_volume *vol = f->vol;
	uint32_t have = (uint32_t)fat_clusters_for(vol, f->size);
	uint64_t want = fat_clusters_for(vol, size);
	if (want <= have)
		return FAT_OK;
	if (want > vol->cluster_count)
		return FAT_E_NO_SPACE;
	uint32_t last = 0, first_new;
	if (have > 0) {
		int err = last_cluster(f, have, &last);
		if (err != FAT_OK)
			return err;
	}
	int err = fat_table_grow(vol, last, (uint32_t)want - have, false, &first_new);
	if (err != FAT_OK)
		return err;
	if (have == 0)
		f->first_cluster = first_new;
	return FAT_OK;
}

/* A run of sectors moved straight between the device and a buffer. */
struct direct_run {
	uint32_t sector;
	uint32_t count;
	uint8_t *buf;
};

static int run_flush(struct fat_volume *vol, struct direct_run *run, bool write)
{
	int err = FAT_OK;
	if (run->count != 0)
		err = write ? fat_cache_write_direct(vol, run->sector, run->count, run->buf)
		            : fat_cache_read_direct(vol, run->sector, run->count, run->buf);
	run->count = 0;
	return err;
}

/* Moves count bytes at pos between the file and buf: reads into buf, or
 * writes buf, or zeros when buf is NULL on a write. The clusters exist;
 * bytes from kept on are not file contents, so a sector wholly past it
 * need not be read before it is written. */
static int transfer(struct fat_file *f, uint64_t pos, uint8_t *buf, uint32_t count, bool write,
                    uint64_t kept)
{
	struct fat_volume *vol = f->vol;
	uint32_t cluster_bytes = fat_cluster_bytes(vol), done = 0;
	uint32_t spc = 1u << vol->cluster_shift;
	struct direct_run run = {0, 0, NULL};
	int err = FAT_OK;
	while (done < count && err == FAT_OK) {
		uint64_t at = pos + done;
		uint32_t in = (uint32_t)(at & (cluster_bytes - 1)), c;
		err = cluster_at(f, (uint32_t)(at >> (9 + vol->cluster_shift)), &c);
		if (err != FAT_OK)
			break;
		uint32_t sector = fat_cluster_sector(vol, c) + in / FAT_SECTOR_BYTES;
		uint32_t so = in % FAT_SECTOR_BYTES, left = spc - in / FAT_SECTOR_BYTES;
		uint32_t want = count - done;
		uint8_t *p = buf ? buf + done : NULL;
		if (so == 0 && p != NULL && want / FAT_SECTOR_BYTES >= left &&
		    (write || !fat_cache_holds(vol, sector))) {
			/* The rest of the cluster, straight: join the run if
			 * this cluster follows the last one on the disk. */
			if (run.count != 0 && run.sector + run.count != sector)
				err = run_flush(vol, &run, write);
			if (run.count == 0) {
				run.sector = sector;
				run.buf = p;
			}
			run.count += left;
			done += left * FAT_SECTOR_BYTES;
			continue;
		}
		err = run_flush(vol, &run, write);
		if (err != FAT_OK)
			break;
		uint32_t n = FAT_SECTOR_BYTES - so < want ? FAT_SECTOR_BYTES - so : want;
		uint64_t sector_pos = at - so;
		enum fat_cache_mode mode = FAT_CACHE_READ;
		if (write && (sector_pos >= kept || n == FAT_SECTOR_BYTES))
			mode = FAT_CACHE_OVERWRITE;
		uint8_t *q;
		err = fat_cache_get(vol, sector, left, mode, &q);
		if (err != FAT_OK)
			break;
		if (!write) {
			memcpy(p, q + so, n);
		} else {
			if (p != NULL)
				memcpy(q + so, p, n);
			else
				memset(q + so, 0, n);
			fat_cache_dirty(vol, q);
		}
		done += n;
	}
	if (err == FAT_OK)
		err = run_flush(vol, &run, write);
	return err;
}

int fat_open(struct fat_volume *vol, struct fat_file *f, const char *path, uint32_t flags)
{
	if (vol == NULL || !vol->mounted || f == NULL || (flags & ~OPEN_FLAGS) != 0)
		return FAT_E_INVALID;
	if ((flags & FAT_O_WRITE) && (vol->flags & FAT_MOUNT_READ_ONLY))
		return FAT_E_ACCESS;
	struct fat_entry e;
	int err = fat_path_lookup(vol, path, &e);
	if (err == FAT_E_NOT_FOUND && (flags & FAT_O_CREATE)) {
		if (flags & FAT_O_DIRECTORY)
			return FAT_E_INVALID; /* open creates files; mkdir makes directories */
		err = fat_writable(vol);
		if (err != FAT_OK)
			return err;
		struct fat_entry parent;
		const char *name;
		size_t len;
		err = fat_path_parent(vol, path, 0, &parent, &name, &len);
		if (err != FAT_OK)
			return err;
		uint8_t de[32] = {0};
		de[FAT_DE_ATTR] = FAT_ATTR_ARCHIVE;
		fat_dir_stamp(vol, de, true);
		err = fat_dir_add(vol, fat_entry_cluster(parent.raw), name, len, de, &e);
		if (err != FAT_OK)
			return err;
	} else if (err != FAT_OK) {
		return err;
	} else if ((flags & FAT_O_CREATE) && (flags & FAT_O_EXCLUSIVE)) {
		return FAT_E_EXISTS;
	}
	uint8_t attr = e.raw[FAT_DE_ATTR];
	bool dir = (attr & FAT_ATTR_DIRECTORY) != 0;
	if ((flags & FAT_O_DIRECTORY) && !dir)
		return FAT_E_NOT_DIR;
	if (dir && (flags & (FAT_O_WRITE | FAT_O_TRUNCATE)))
		return FAT_E_IS_DIR;
	if ((flags & FAT_O_WRITE) && (attr & FAT_ATTR_READ_ONLY))
		return FAT_E_ACCESS;
	memset(f, 0, sizeof(*f));
	f->vol = vol;
	f->flags = flags;
	f->entry_sector = e.sector;
	f->entry_offset = e.offset;
	f->attr = attr;
	f->first_cluster = fat_entry_cluster(e.raw);
	f->size = dir ? 0 : fat_le32(e.raw + FAT_DE_SIZE);
	f->next_open = vol->open_files;
	vol->open_files = f;
	if ((flags & FAT_O_TRUNCATE) && (flags & FAT_O_WRITE) && f->size != 0) {
		err = fat_truncate(f, 0);
		if (err != FAT_OK) {
			fat_close(f);
			return err;
		}
	}
	return FAT_OK;
}

int fat_close(struct fat_file *f)
{
	int err = check_open(f);
	if (err != FAT_OK)
		return err;
	for (struct fat_file **p = &f->vol->open_files; *p != NULL; p = &(*p)->next_open) {
		if (*p == f) {
			*p = f->next_open;
			break;
		}
	}
	f->vol = NULL;
	return FAT_OK;
}

int64_t fat_read(struct fat_file *f, uint64_t offset, void *buf, uint32_t count)
{
	int err = check_open(f);
	if (err != FAT_OK)
		return err;
	if (file_is_dir(f))
		return FAT_E_IS_DIR;
	if (!(f->flags & FAT_O_READ))
		return FAT_E_ACCESS;
	if (buf == NULL && count != 0)
		return FAT_E_INVALID;
	if (offset >= f->size || count == 0)
		return 0;
	if (count > f->size - offset)
		count = (uint32_t)(f->size - offset);
	err = transfer(f, offset, buf, count, false, f->size);
	uint32_t n = (uint32_t)fat_clusters_for(f->vol, f->size);
	if (err == FAT_OK && fat_clusters_for(f->vol, offset + count) == n) {
		/* The read reached the last cluster: the chain must end there.
		 * (Checked after the transfer, whose position it continues.) */
		uint32_t last;
		err = last_cluster(f, n, &last);
	}
	return err != FAT_OK ? err : (int64_t)count;
}

int64_t fat_write(struct fat_file *f, uint64_t offset, const void *buf, uint32_t count)
{
	int err = check_writable(f);
	if (err != FAT_OK)
		return err;
	if (buf == NULL && count != 0)
		return FAT_E_INVALID;
	if (f->flags & FAT_O_APPEND)
		offset = f->size;
	if (count == 0)
		return 0;
	if (offset > FILE_SIZE_MAX || count > FILE_SIZE_MAX - offset)
		return FAT_E_INVALID;
	uint32_t old_size = f->size, old_first = f->first_cluster;
	uint32_t have = (uint32_t)fat_clusters_for(f->vol, old_size);
	uint64_t end = offset + count;
	if (have > 0 && fat_clusters_for(f->vol, end) >= have) {
		/* The write reaches the last cluster: the chain must end there,
		 * checked before anything changes. */
		uint32_t last;
		err = last_cluster(f, have, &last);
		if (err != FAT_OK)
			return err;
	}
	err = grow_chain(f, end);
	if (err != FAT_OK)
		return err;
	if (offset > old_size)
		err = transfer(f, old_size, NULL, (uint32_t)(offset - old_size), true, old_size);
	if (err == FAT_OK)
		err = transfer(f, offset, (uint8_t *)(uintptr_t)buf, count, true, old_size);
	if (err != FAT_OK) {
		/* Give back what grow_chain took; the size stays. */
		uint32_t now = (uint32_t)fat_clusters_for(f->vol, end > old_size ? end : old_size);
		shrink_chain(f, now, have);
		f->first_cluster = have ? old_first : 0;
		return err;
	}
	if (end > f->size)
		f->size = (uint32_t)end;
	err = store_entry(f, true);
	return err != FAT_OK ? err : (int64_t)count;
}

int fat_truncate(struct fat_file *f, uint64_t size)
{
	int err = check_writable(f);
	if (err != FAT_OK)
		return err;
	if (size > FILE_SIZE_MAX)
		return FAT_E_INVALID;
	uint32_t old_size = f->size;
	uint32_t have = (uint32_t)fat_clusters_for(f->vol, old_size);
	if (size > old_size) {
		err = grow_chain(f, size);
		if (err != FAT_OK)
			return err;
		err = transfer(f, old_size, NULL, (uint32_t)(size - old_size), true, old_size);
		if (err != FAT_OK) {
			shrink_chain(f, (uint32_t)fat_clusters_for(f->vol, size), have);
			return err;
		}
	} else if (size < old_size) {
		err = shrink_chain(f, have, (uint32_t)fat_clusters_for(f->vol, size));
		if (err != FAT_OK)
			return err;
	}
	f->size = (uint32_t)size;
	return store_entry(f, true);
}

int fat_stat(struct fat_file *f, struct fat_stat *st)
{
	int err = check_open(f);
	if (err != FAT_OK)
		return err;
	if (st == NULL)
		return FAT_E_INVALID;
	uint8_t de[32] = {0};
	if (f->entry_sector != 0) {
		uint8_t *p;
		err = fat_cache_get(f->vol, f->entry_sector, 1, FAT_CACHE_READ, &p);
		if (err != FAT_OK)
			return err;
		memcpy(de, p + f->entry_offset, 32);
	}
	memset(st, 0, sizeof(*st));
	st->inode = f->entry_sector == 0 ? FAT_ROOT_INODE
	                                 : (uint64_t)f->entry_sector * FAT_SLOTS_PER_SECTOR +
	                                       f->entry_offset / FAT_SLOT_BYTES;
	st->size = file_is_dir(f) ? 0 : f->size;
	st->kind = file_is_dir(f) ? FAT_KIND_DIRECTORY : FAT_KIND_REGULAR;
	st->attributes = f->entry_sector == 0 ? FAT_ATTR_DIRECTORY : de[FAT_DE_ATTR];
	st->access_time_ns = fat_time_to_ns(fat_le16(de + FAT_DE_ADATE), 0, 0);
	st->modify_time_ns =
	    fat_time_to_ns(fat_le16(de + FAT_DE_MDATE), fat_le16(de + FAT_DE_MTIME), 0);
	st->create_time_ns = fat_time_to_ns(fat_le16(de + FAT_DE_CDATE),
	                                    fat_le16(de + FAT_DE_CTIME), de[FAT_DE_CTIME_TENTH]);
	return FAT_OK;
}

int fat_set_times(struct fat_file *f, const int64_t *access_time_ns, const int64_t *modify_time_ns)
{
	int err = check_open(f);
	if (err != FAT_OK)
		return err;
	if (f->entry_sector == 0)
		return FAT_E_NOT_SUPPORTED;
	err = fat_writable(f->vol);
	if (err != FAT_OK)
		return err;
	uint8_t *p;
	err = fat_cache_get(f->vol, f->entry_sector, 1, FAT_CACHE_READ, &p);
	if (err != FAT_OK)
		return err;
	uint8_t *de = p + f->entry_offset;
	uint16_t date, time;
	uint8_t tenth;
	if (access_time_ns != NULL) {
		fat_time_from_ns(*access_time_ns, &date, &time, &tenth);
		fat_put16(de + FAT_DE_ADATE, date);
	}
	if (modify_time_ns != NULL) {
		fat_time_from_ns(*modify_time_ns, &date, &time, &tenth);
		fat_put16(de + FAT_DE_MDATE, date);
		fat_put16(de + FAT_DE_MTIME, time);
	}
	fat_cache_dirty(f->vol, p);
	return FAT_OK;
}
