/*
 * fat.h: a FAT32 file system library for the reference system's fs server.
 *
 * Freestanding C11: no allocation, no OS, only memcpy/memset/memcmp/strlen
 * (kstring.h). The caller supplies all memory (a struct fat_volume with its
 * block cache inside, a struct fat_file per open file) and the disk as the
 * callbacks of a struct fat_device. The disk is untrusted: anything it holds
 * that a correct FAT32 volume cannot hold is FAT_E_IO (FAT_E_INVALID at
 * mount), never a crash, an out-of-bounds access or an unbounded loop.
 *
 * One thread at a time: the library takes no locks; a server calls it from
 * one thread or serializes the calls. docs/fat.md describes what is
 * supported, the memory model and how corruption is handled.
 */
#ifndef FAT_H
#define FAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The only sector size supported (BPB_BytsPerSec must say so). */
#define FAT_SECTOR_BYTES 512u

/* The longest name, in bytes of UTF-8, without a terminator (fs.MAX_NAME). */
#define FAT_NAME_MAX 255u

/* The inode number of the root directory, which has no directory entry. */
#define FAT_ROOT_INODE 1u

/* The block cache: FAT_CACHE_LINES lines of FAT_CACHE_LINE_SECTORS sectors
 * each (64 KiB by default), held inside struct fat_volume. A miss reads a
 * whole run of sectors into one line; a line holds at most 32 sectors (one
 * dirty bit each). Override both at build time for a smaller footprint. */
#ifndef FAT_CACHE_LINES
#define FAT_CACHE_LINES 8
#endif
#ifndef FAT_CACHE_LINE_SECTORS
#define FAT_CACHE_LINE_SECTORS 16
#endif

/* Errors: the negated numbers of sys.Errno (idl/sys.idl), so a server
 * returns -err as the error of its reply. 0 is success. */
enum fat_error {
	FAT_OK = 0,
	FAT_E_NOT_FOUND = -1,      /* no such file or directory */
	FAT_E_ACCESS = -2,         /* read-only volume, file or descriptor */
	FAT_E_EXISTS = -3,         /* the name to be created exists (CREATE|EXCLUSIVE, mkdir) */
	FAT_E_NOT_DIR = -4,        /* a path component or the operand is not a directory */
	FAT_E_IS_DIR = -5,         /* a directory where a file is needed */
	FAT_E_INVALID = -6,        /* a bad argument: path, name, offset, size, cookie */
	FAT_E_NO_SPACE = -7,       /* no free cluster, a full directory, no short name left */
	FAT_E_IO = -8,             /* the device failed, or the volume is corrupt */
	FAT_E_BAD_HANDLE = -9,     /* a fat_file that is not open */
	FAT_E_NOT_SUPPORTED = -11, /* FAT cannot do it (times of the root directory) */
	FAT_E_BUSY = -15,          /* the file is open, the root, or files are open at unmount */
	FAT_E_NAME_TOO_LONG = -16, /* a name longer than FAT_NAME_MAX bytes or 255 UTF-16 units */
	FAT_E_NOT_EMPTY = -17,     /* the directory to remove or replace holds entries */
};

/* The disk: 512-byte sectors, numbered from the volume's boot sector. Each
 * callback returns 0 on success and anything else on failure (FAT_E_IO). */
struct fat_device {
	void *ctx;
	int (*read)(void *ctx, uint64_t sector, uint32_t count, void *buf);
	int (*write)(void *ctx, uint64_t sector, uint32_t count, const void *buf);
	/* Makes what was written durable; fat_sync's last step. */
	int (*flush)(void *ctx);
	/* The device's size in sectors; asked once, at mount. */
	uint64_t (*sector_count)(void *ctx);
	/* Now, in nanoseconds since 1970-01-01 UTC, for the times of entries.
	 * May be NULL: new entries then get 1980-01-01 00:00:00. */
	int64_t (*now_ns)(void *ctx);
};

/* fat_mount's flags. */
#define FAT_MOUNT_READ_ONLY 0x1u /* every change is FAT_E_ACCESS; nothing is written */

/* fat_open's flags: the bits of fs.OpenFlags (idl/fs.idl), same values. */
#define FAT_O_READ      0x01u
#define FAT_O_WRITE     0x02u
#define FAT_O_CREATE    0x04u /* create a regular file if the name does not exist */
#define FAT_O_TRUNCATE  0x08u /* with WRITE: cut a regular file to 0 bytes */
#define FAT_O_APPEND    0x10u /* every write goes to the end; its offset is ignored */
#define FAT_O_DIRECTORY 0x20u /* fail with NOT_DIR unless the path is a directory */
#define FAT_O_EXCLUSIVE 0x40u /* with CREATE: fail with EXISTS if the name exists */

/* What an entry is: the values of fs.FileKind. */
enum fat_kind {
	FAT_KIND_REGULAR = 1,
	FAT_KIND_DIRECTORY = 2,
};

/* FAT attribute bits (struct fat_stat's attributes). */
#define FAT_ATTR_READ_ONLY 0x01u
#define FAT_ATTR_HIDDEN    0x02u
#define FAT_ATTR_SYSTEM    0x04u
#define FAT_ATTR_VOLUME_ID 0x08u
#define FAT_ATTR_DIRECTORY 0x10u
#define FAT_ATTR_ARCHIVE   0x20u

/* One line of the block cache; private to the library. */
struct fat_cache_line {
	uint32_t first; /* the first sector held */
	uint32_t dirty; /* bit i: sector first + i is newer than the device */
	uint16_t count; /* sectors held; 0: the line is empty */
	uint64_t used;  /* the volume's cache_clock at the line's last use (LRU) */
};

/* A mounted volume. The caller owns the memory (about 64 KiB with the
 * default cache) and must not touch the members, which are private. */
struct fat_volume {
	struct fat_device dev;
	uint32_t flags; /* FAT_MOUNT_* */
	bool mounted;
	uint8_t cluster_shift; /* log2 of sectors per cluster */
	uint8_t fat_copies;    /* FATs written to: all with mirroring, else 1 */
	bool fsinfo_dirty;     /* free_count or next_free changed since the last sync */
	uint32_t total_sectors;
	uint32_t fat_start;     /* first sector of the FAT that is read */
	uint32_t fat_sectors;   /* sectors of one FAT */
	uint32_t data_start;    /* first sector of cluster 2 */
	uint32_t cluster_count; /* clusters 2 .. cluster_count + 1 exist */
	uint32_t root_cluster;
	uint32_t fsinfo_sector; /* 0: no usable FSInfo sector */
	uint32_t free_count;    /* free clusters, or 0xffffffff: unknown */
	uint32_t next_free;     /* where the search for a free cluster starts */
	uint32_t chain_gen;     /* bumped when clusters are freed: stales file positions */
	struct fat_file *open_files;
	uint64_t cache_clock; /* counts cache uses, for LRU */
	struct fat_cache_line lines[FAT_CACHE_LINES];
	_Alignas(16) uint8_t cache[FAT_CACHE_LINES][FAT_CACHE_LINE_SECTORS * FAT_SECTOR_BYTES];
};

/* An open file or directory. The caller owns the memory; the members are
 * private. The volume links open files together, so a fat_file must stay
 * where it is until fat_close. */
struct fat_file {
	struct fat_volume *vol; /* NULL: not open */
	struct fat_file *next_open;
	uint32_t flags;        /* FAT_O_* */
	uint32_t entry_sector; /* where the short entry lives; 0: the root */
	uint16_t entry_offset;
	uint8_t attr;
	uint32_t first_cluster; /* 0: a file without clusters */
	uint32_t size;
	/* The last position found in the chain: cluster `pos_cluster` is the
	 * file's cluster number `pos_index`, valid while pos_gen is the
	 * volume's chain_gen. Sequential access never walks from the start. */
	uint32_t pos_index;
	uint32_t pos_cluster;
	uint32_t pos_gen;
	bool pos_valid;
};

/* What fat_stat tells. Times are nanoseconds since 1970-01-01 UTC. */
struct fat_stat {
	uint64_t inode;         /* see fat_stat */
	uint64_t size;          /* bytes; 0 for a directory */
	int64_t access_time_ns; /* FAT keeps a date only: midnight of that day */
	int64_t modify_time_ns; /* 2-second resolution */
	int64_t create_time_ns; /* 10 ms resolution */
	uint8_t kind;           /* enum fat_kind */
	uint8_t attributes;     /* FAT_ATTR_* */
};

/* One entry that fat_readdir lists ("." and ".." are not listed). */
struct fat_dirent {
	uint64_t inode; /* the same number fat_stat gives for it */
	uint32_t size;
	uint8_t kind;                /* enum fat_kind */
	uint8_t name_len;            /* bytes of name, without the terminator */
	char name[FAT_NAME_MAX + 1]; /* UTF-8, NUL-terminated */
};

/* Mounts the FAT32 volume on dev: checks the boot sector (FAT_E_INVALID if
 * it does not describe a FAT32 volume that fits the device), reads FSInfo. */
int fat_mount(struct fat_volume *vol, const struct fat_device *dev, uint32_t flags);

/* Syncs and unmounts; FAT_E_BUSY while files are open. On a sync error
 * the volume stays mounted, so the caller can retry. */
int fat_unmount(struct fat_volume *vol);

/* Writes every change back (the cache is write-back), updates FSInfo, and
 * flushes the device. */
int fat_sync(struct fat_volume *vol);

/* Opens the file or directory at the absolute path (components separated
 * by '/', no "." or ".."; names match without regard to ASCII case, by long
 * or short name). flags: FAT_O_*. A file that CREATE creates is empty. */
int fat_open(struct fat_volume *vol, struct fat_file *file, const char *path, uint32_t flags);

/* Closes a file; its changes stay in the cache until fat_sync. */
int fat_close(struct fat_file *file);

/* Reads up to count bytes at offset; returns the bytes read (0 at or past
 * the end) or a negative fat_error. Needs FAT_O_READ. */
int64_t fat_read(struct fat_file *file, uint64_t offset, void *buf, uint32_t count);

/* Writes count bytes at offset (at the end with FAT_O_APPEND), extending
 * the file and filling a gap before offset with zeros; returns count or a
 * negative fat_error. Needs FAT_O_WRITE. All or nothing: a write that needs
 * more clusters than are free is FAT_E_NO_SPACE and changes nothing, and one
 * past 4 GiB - 1 (FAT's largest file) is FAT_E_INVALID. */
int64_t fat_write(struct fat_file *file, uint64_t offset, const void *buf, uint32_t count);

/* Sets the size of a regular file, freeing clusters or adding zeros. */
int fat_truncate(struct fat_file *file, uint64_t size);

/* Tells what is known about an open file. The inode number is the position
 * of the file's short directory entry on the disk (sector * 16 + slot in
 * the sector; the root, which has no entry, is FAT_ROOT_INODE): unique while the file exists and
 * unchanged by writes and truncation, but renaming moves the entry and changes it. */
int fat_stat(struct fat_file *file, struct fat_stat *st);

/* Sets the access and modification times; a NULL time is left as it is.
 * FAT_E_NOT_SUPPORTED for the root directory, which has no entry. */
int fat_set_times(struct fat_file *file, const int64_t *access_time_ns,
                  const int64_t *modify_time_ns);

/* Lists a directory opened with FAT_O_DIRECTORY: up to max entries into
 * out, from cookie (0 at first, then the last call's *next_cookie). *done
 * is true once the listing is complete. A cookie stays valid while the
 * directory changes: entries are never moved. */
int fat_readdir(struct fat_file *dir, uint64_t cookie, struct fat_dirent *out, uint32_t max,
                uint32_t *count, uint64_t *next_cookie, bool *done);

/* Creates a directory (FAT_E_EXISTS if the name exists). */
int fat_mkdir(struct fat_volume *vol, const char *path);

/* Removes a file or an empty directory (FAT_E_NOT_EMPTY otherwise);
 * FAT_E_BUSY if it is open. */
int fat_unlink(struct fat_volume *vol, const char *path);

/* Moves from to to, in one directory or across directories, replacing a
 * file or an empty directory that to names. FAT_E_INVALID if a directory
 * would move into itself; FAT_E_BUSY if the replaced file is open. Open
 * files that are moved stay open (their inode number changes). */
int fat_rename(struct fat_volume *vol, const char *from, const char *to);

/* FAT's date and time fields to and from nanoseconds since 1970 UTC. FAT
 * counts local time from 1980 to 2107 in 2-second steps (10 ms with tenth,
 * the creation time's extra byte); this library takes it to be UTC. Times
 * outside the range are clamped to its ends; bad fields on disk (month 0)
 * are clamped to the nearest valid value. */
int64_t fat_time_to_ns(uint16_t date, uint16_t time, uint8_t tenth);
void fat_time_from_ns(int64_t ns, uint16_t *date, uint16_t *time, uint8_t *tenth);

#endif
