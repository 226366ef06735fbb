/*
 * fat_int.h: what the library's files share and its users never see: the
 * on-disk layout, the modules' functions (each prefixed by its file:
 * fat_cache_ cache.c, fat_table_ table.c, fat_name_ name.c, fat_dir_ dir.c,
 * fat_path_ path.c, fat_file_ file.c) and the invariants they rely on.
 *
 * Invariants. A cluster number read from the disk is used only after
 * fat_cluster_ok said yes, so every sector the library computes lies inside
 * the volume, and the cache asserts it. Every walk is bounded: a chain by
 * the number of clusters the walk may legitimately visit, a directory by
 * FAT_DIR_MAX_SLOTS. A pointer that fat_cache_get returns is valid until the
 * next call into the cache; callers copy what they need first.
 */
#ifndef FAT_INT_H
#define FAT_INT_H

#include "fat.h"
#include "kstring.h"

/* Invariants (never disk contents): assert() in hosted debug builds, a trap
 * in freestanding ones, where there is no assert.h. */
#if __STDC_HOSTED__ && !defined(NDEBUG)
#include <assert.h>
#define FAT_ASSERT(c) assert(c)
#else
#define FAT_ASSERT(c) ((c) ? (void)0 : __builtin_trap())
#endif

_Static_assert(FAT_CACHE_LINE_SECTORS >= 1 && FAT_CACHE_LINE_SECTORS <= 32,
               "a line's dirty bits are one u32");
_Static_assert(FAT_CACHE_LINES >= 2, "the cache needs two lines to copy between sectors");

/* Returned by walks (not an error): the chain or directory ends here. */
#define FAT_END 1

/* FAT entries: 28 bits; the top 4 are reserved and kept as they are. */
#define FAT_ENTRY_MASK    0x0fffffffu
#define FAT_ENTRY_BAD     0x0ffffff7u
#define FAT_ENTRY_EOC     0x0fffffffu /* what this library writes at a chain's end */
#define FAT_ENTRY_EOC_MIN 0x0ffffff8u
#define FAT_FREE_UNKNOWN  0xffffffffu

/* Directories: 32-byte slots, at most 65536 of them (2 MiB), the limit the
 * FAT specification sets and every walk of a directory obeys. */
#define FAT_SLOT_BYTES       32u
#define FAT_DIR_MAX_SLOTS    65536u
#define FAT_SLOTS_PER_SECTOR (FAT_SECTOR_BYTES / FAT_SLOT_BYTES)

/* Short directory entry fields (byte offsets). */
#define FAT_DE_NAME        0
#define FAT_DE_ATTR        11
#define FAT_DE_NTRES       12 /* bit 3: base in lower case, bit 4: extension */
#define FAT_DE_CTIME_TENTH 13
#define FAT_DE_CTIME       14
#define FAT_DE_CDATE       16
#define FAT_DE_ADATE       18
#define FAT_DE_CLUS_HI     20
#define FAT_DE_MTIME       22
#define FAT_DE_MDATE       24
#define FAT_DE_CLUS_LO     26
#define FAT_DE_SIZE        28

#define FAT_NTRES_LOWER_BASE 0x08u
#define FAT_NTRES_LOWER_EXT  0x10u

/* Slot markers in byte 0 and the long-name attribute. */
#define FAT_SLOT_END      0x00u
#define FAT_SLOT_FREE     0xe5u
#define FAT_SLOT_KANJI_E5 0x05u /* a name that starts with byte 0xe5 */
#define FAT_ATTR_LFN      0x0fu
#define FAT_ATTR_MASK     0x3fu
#define FAT_LFN_LAST      0x40u /* in a long-name slot's order byte */
#define FAT_LFN_UNITS     13u   /* UTF-16 units per long-name slot */
#define FAT_LFN_MAX_SLOTS 20u   /* ceil(255 / 13) */
#define FAT_LFN_MAX_UNITS 255u

/* Little-endian fields. */
static inline uint16_t fat_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t fat_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void fat_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void fat_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Geometry helpers; vol's fields were checked at mount. */
static inline bool fat_cluster_ok(const struct fat_volume *vol, uint32_t c)
{
	return c >= 2 && c - 2 < vol->cluster_count;
}

static inline uint32_t fat_cluster_sector(const struct fat_volume *vol, uint32_t c)
{
	FAT_ASSERT(fat_cluster_ok(vol, c));
	return vol->data_start + ((c - 2) << vol->cluster_shift);
}

static inline uint32_t fat_cluster_bytes(const struct fat_volume *vol)
{
	return FAT_SECTOR_BYTES << vol->cluster_shift;
}

static inline uint32_t fat_slots_per_cluster(const struct fat_volume *vol)
{
	return FAT_SLOTS_PER_SECTOR << vol->cluster_shift;
}

/* Clusters that size bytes take. */
static inline uint64_t fat_clusters_for(const struct fat_volume *vol, uint64_t size)
{
	uint32_t shift = 9u + vol->cluster_shift;
	return (size + ((uint64_t)1 << shift) - 1) >> shift;
}

static inline uint32_t fat_entry_cluster(const uint8_t *de)
{
	return (uint32_t)fat_le16(de + FAT_DE_CLUS_HI) << 16 | fat_le16(de + FAT_DE_CLUS_LO);
}

static inline void fat_entry_set_cluster(uint8_t *de, uint32_t c)
{
	fat_put16(de + FAT_DE_CLUS_HI, c >> 16);
	fat_put16(de + FAT_DE_CLUS_LO, c & 0xffffu);
}

static inline int fat_writable(const struct fat_volume *vol)
{
	return (vol->flags & FAT_MOUNT_READ_ONLY) ? FAT_E_ACCESS : FAT_OK;
}

/* cache.c: the block cache (write-back, clock replacement, read-ahead). */
enum fat_cache_mode {
	FAT_CACHE_READ,      /* the sector's contents are needed */
	FAT_CACHE_OVERWRITE, /* the caller writes all 512 bytes: no device read */
};
/* Returns the cached copy of sector in *out. ahead: how many sectors from
 * sector on belong to the same object (rest of a cluster, of the FAT), so a
 * miss may read them all at once; at least 1. */
int fat_cache_get(struct fat_volume *vol, uint32_t sector, uint32_t ahead, enum fat_cache_mode mode,
                  uint8_t **out);
/* Marks the sector that p (from fat_cache_get) points into as changed. */
void fat_cache_dirty(struct fat_volume *vol, const uint8_t *p);
/* Reads count sectors straight into buf, newer cached copies taking
 * precedence; one device read. */
int fat_cache_read_direct(struct fat_volume *vol, uint32_t sector, uint32_t count, uint8_t *buf);
/* Writes count sectors straight to the device, updating cached copies. */
int fat_cache_write_direct(struct fat_volume *vol, uint32_t sector, uint32_t count,
                           const uint8_t *buf);
/* Whether sector is in the cache. */
bool fat_cache_holds(const struct fat_volume *vol, uint32_t sector);
/* Writes every dirty sector back (both FATs where mirrored). */
int fat_cache_write_back(struct fat_volume *vol);
void fat_cache_reset(struct fat_volume *vol);

/* table.c: the FAT. */
/* Reads cluster's entry (28 bits). */
int fat_table_get(struct fat_volume *vol, uint32_t cluster, uint32_t *value);
int fat_table_set(struct fat_volume *vol, uint32_t cluster, uint32_t value);
/* One step along a chain: 0 with *next valid, FAT_END at the end of the
 * chain, FAT_E_IO for free, bad, reserved or out-of-range links. */
int fat_table_next(struct fat_volume *vol, uint32_t cluster, uint32_t *next);
/* Counts a chain from first, which must end within limit clusters:
 * FAT_E_IO if it is broken or longer. */
int fat_table_count(struct fat_volume *vol, uint32_t first, uint32_t limit, uint32_t *count);
/* Appends n new clusters to the chain ending at last (0: a new chain);
 * *first_new is the first of them. All or nothing: FAT_E_NO_SPACE leaves
 * the FAT as it was. zero: fill the new clusters with zeros. */
int fat_table_grow(struct fat_volume *vol, uint32_t last, uint32_t n, bool zero,
                   uint32_t *first_new);
/* Frees the chain from first, which fat_table_count checked. */
int fat_table_free(struct fat_volume *vol, uint32_t first);

/* name.c: names, short names, long-name slots. */
/* Checks a name to be created (UTF-8, FAT_NAME_MAX bytes) and converts it
 * to UTF-16 units. FAT_E_INVALID or FAT_E_NAME_TOO_LONG if it cannot be. */
int fat_name_to_units(const char *name, size_t len, uint16_t *units, uint32_t *nunits);
/* Converts long-name units read from the disk to UTF-8: 0, FAT_E_IO if
 * they cannot be a name, FAT_E_NAME_TOO_LONG if the UTF-8 is too long. */
int fat_name_from_units(const uint16_t *units, uint32_t nunits, char *out, uint8_t *len);
/* The displayed form of a short name ("README.TXT", lower case per ntres);
 * FAT_E_IO for bytes no short name holds. out holds 25 bytes. */
int fat_name_from_short(const uint8_t *raw11, uint8_t ntres, char *out, uint8_t *len);
bool fat_name_equal(const char *a, size_t alen, const char *b, size_t blen);
/* The basis short name of a long one (the FAT specification's algorithm,
 * with inner periods dropped as Windows does); *lossy if a character had
 * to be replaced by '_'. */
void fat_name_basis(const uint16_t *units, uint32_t nunits, uint8_t raw11[11], bool *lossy);
/* A short name with a numeric tail: basis~n for n 1..4, beyond that two
 * characters of basis, four hex digits from hash and n, and ~1. */
void fat_name_tail(uint8_t raw11[11], const uint8_t basis[11], uint32_t n, uint32_t hash);
uint8_t fat_name_checksum(const uint8_t raw11[11]);

/* dir.c: directories as sequences of entries. */
struct fat_dir_cursor {
	uint32_t first; /* the directory's first cluster */
	uint32_t index; /* `cluster` is the directory's cluster number `index` */
	uint32_t cluster;
};

/* One directory entry, long name and all, as found on the disk. */
struct fat_entry {
	uint8_t raw[32]; /* the short entry */
	uint32_t dir;    /* first cluster of the directory that holds it */
	uint32_t sector; /* where raw lives; 0 for the root (no entry) */
	uint16_t offset;
	uint32_t first_slot; /* its first slot (long name) in the directory */
	uint32_t next_slot;  /* the slot after its short entry */
	uint8_t name_len;
	char name[FAT_NAME_MAX + 1]; /* the long name, else the short one */
	uint8_t short_len;
	char short_name[25];
};

void fat_dir_cursor_init(struct fat_dir_cursor *cur, uint32_t first);
/* The sector and byte offset of slot; FAT_END past the directory's chain. */
int fat_dir_locate(struct fat_volume *vol, struct fat_dir_cursor *cur, uint32_t slot,
                   uint32_t *sector, uint16_t *offset);
/* The next entry at or after *slot, "." and ".." and volume labels
 * skipped: 0 with *e and *slot moved past it, FAT_END at the directory's
 * end, FAT_E_IO for corruption. resume: *slot may be in the middle of a
 * long name (a cookie of a directory that changed); those slots are
 * skipped rather than being corruption. */
int fat_dir_next(struct fat_volume *vol, struct fat_dir_cursor *cur, uint32_t *slot,
                 struct fat_entry *e, bool resume);
/* Finds name in the directory dir: 0, FAT_E_NOT_FOUND, FAT_E_IO. */
int fat_dir_find(struct fat_volume *vol, uint32_t dir, const char *name, size_t len,
                 struct fat_entry *e);
/* Whether the directory holds anything but "." and "..". */
int fat_dir_is_empty(struct fat_volume *vol, uint32_t dir);
/* Creates an entry for name (checked here) in dir: the short entry is
 * template with the name fields filled in. *e describes the new entry. */
int fat_dir_add(struct fat_volume *vol, uint32_t dir, const char *name, size_t len,
                const uint8_t template[32], struct fat_entry *e);
/* Marks e's slots free. */
int fat_dir_remove(struct fat_volume *vol, const struct fat_entry *e);
/* Writes e->raw back to its place. */
int fat_dir_store(struct fat_volume *vol, const struct fat_entry *e);
/* The root directory as an entry (sector 0, attribute DIRECTORY). */
void fat_dir_root(const struct fat_volume *vol, struct fat_entry *e);
/* The inode number of an entry (fat_stat's rule). */
uint64_t fat_dir_inode(const struct fat_entry *e);
/* Fills a new short entry's times from the clock. */
void fat_dir_stamp(struct fat_volume *vol, uint8_t de[32], bool created);

/* path.c: absolute paths. */
/* Resolves every component of path. */
int fat_path_lookup(struct fat_volume *vol, const char *path, struct fat_entry *e);
/* Resolves all components but the last into the directory *parent and
 * returns the last one in *name (FAT_E_INVALID for "/"). Passing through
 * the directory whose first cluster is avoid (0: none) is FAT_E_INVALID:
 * rename uses it to refuse moving a directory into itself. */
int fat_path_parent(struct fat_volume *vol, const char *path, uint32_t avoid,
                    struct fat_entry *parent, const char **name, size_t *len);

/* fsinfo.c: FSInfo's free-space hints. */
int fat_fsinfo_load(struct fat_volume *vol, uint32_t sector);
int fat_fsinfo_store(struct fat_volume *vol);

/* file.c */
/* Whether an open file has the entry at sector/offset. */
struct fat_file *fat_file_find_open(struct fat_volume *vol, uint32_t sector, uint16_t offset);

#endif
