/*
 * test_corrupt.c: corrupt file systems. Each case copies one fresh image
 * (made by mkfs.fat, filled by mtools), patches bytes of it, mounts it and
 * walks everything (readdir of every directory, every file read whole); a
 * few cases also try a change. Every case must end in an error (INVALID at
 * mount, IO after), and promptly: an alarm ends a case that hangs. ASan
 * and UBSan (the IDLC_SANITIZE build) catch what goes out of bounds.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

static struct fat_volume vol;
static struct img base;
static struct geometry geo;
static uint32_t file_cluster; /* FILE.BIN: 1500 bytes, 3 clusters */
static uint64_t file_entry, dir_entry, long_entry, root_offset;

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static int setup(void **state)
{
	(void)state;
	img_make(&base, 40960, 1);
	static uint8_t data[1500];
	fill_pattern(data, sizeof(data), 1);
	img_put(&base, "/FILE.BIN", data, sizeof(data));
	img_put(&base, "/A.TXT", "a", 1);
	img_mkdir(&base, "/DIR");
	img_put(&base, "/DIR/Long File Name.txt", "long name!", 10);
	geo = img_geometry(&base);
	file_entry = img_find_entry(&base, geo.root_cluster, "FILE    BIN");
	dir_entry = img_find_entry(&base, geo.root_cluster, "DIR        ");
	assert_true(file_entry != 0 && dir_entry != 0);
	uint8_t de[32];
	img_read_raw(&base, file_entry, de, 32);
	file_cluster = (uint32_t)(de[20] | de[21] << 8) << 16 | (uint32_t)(de[26] | de[27] << 8);
	img_read_raw(&base, dir_entry, de, 32);
	uint32_t dir_cluster =
	    (uint32_t)(de[20] | de[21] << 8) << 16 | (uint32_t)(de[26] | de[27] << 8);
	long_entry = img_find_entry(&base, dir_cluster, "LONGFI~1TXT");
	assert_true(long_entry != 0);
	root_offset = img_cluster_offset(&base, geo.root_cluster);
	/* The long name's two slots precede its entry. */
	uint8_t slot[32];
	img_read_raw(&base, long_entry - 64, slot, 32);
	assert_int_equal(slot[0], 0x42);
	assert_int_equal(slot[11], 0x0f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	img_close(&base);
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "a corruption case hung\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

/* Walks a directory: lists it in batches, reads each file, recurses. */
static int walk(const char *path, int depth)
{
	struct fat_file dir;
	int err = fat_open(&vol, &dir, path, FAT_O_READ | FAT_O_DIRECTORY);
	if (err != FAT_OK)
		return err;
	static struct fat_dirent d[4];
	uint64_t cookie = 0;
	bool done = false;
	while (!done && err == FAT_OK) {
		uint32_t n;
		err = fat_readdir(&dir, cookie, d, 4, &n, &cookie, &done);
		for (uint32_t i = 0; i < n && err == FAT_OK; i++) {
			char sub[1024];
			snprintf(sub, sizeof(sub), "%s/%s", strcmp(path, "/") ? path : "",
			         d[i].name);
			if (d[i].kind == FAT_KIND_DIRECTORY) {
				if (depth < 8)
					err = walk(sub, depth + 1);
				continue;
			}
			struct fat_file f;
			err = fat_open(&vol, &f, sub, FAT_O_READ);
			uint8_t buf[700];
			for (uint64_t off = 0; err == FAT_OK;) {
				int64_t got = fat_read(&f, off, buf, sizeof(buf));
				if (got <= 0) {
					err = (int)got;
					break;
				}
				off += (uint64_t)got;
			}
			if (err == FAT_OK || f.vol != NULL)
				fat_close(&f);
		}
	}
	fat_close(&dir);
	return err;
}

/* What a case does after mounting; returns the first error. */
typedef int (*action)(void);

static int act_walk(void)
{
	return walk("/", 0);
}

static int act_unlink_file(void)
{
	return fat_unlink(&vol, "/FILE.BIN");
}

static int act_truncate_file(void)
{
	struct fat_file f;
	int err = fat_open(&vol, &f, "/FILE.BIN", FAT_O_WRITE);
	if (err == FAT_OK) {
		err = fat_truncate(&f, 100);
		fat_close(&f);
	}
	return err;
}

static int act_append_file(void)
{
	struct fat_file f;
	int err = fat_open(&vol, &f, "/FILE.BIN", FAT_O_WRITE | FAT_O_APPEND);
	if (err == FAT_OK) {
		int64_t n = fat_write(&f, 0, "more", 4);
		err = n < 0 ? (int)n : FAT_OK;
		fat_close(&f);
	}
	return err;
}

static int act_create_in_dir(void)
{
	struct fat_file f;
	int err = fat_open(&vol, &f, "/DIR/new file", FAT_O_WRITE | FAT_O_CREATE);
	if (err == FAT_OK)
		fat_close(&f);
	return err;
}

static int act_create_in_root(void)
{
	struct fat_file f;
	int err = fat_open(&vol, &f, "/new file", FAT_O_WRITE | FAT_O_CREATE);
	if (err == FAT_OK)
		fat_close(&f);
	return err;
}

static int act_mkdir_in_root(void)
{
	return fat_mkdir(&vol, "/new dir");
}

/* Copies the base image, applies patch, mounts, acts: the result must be
 * want, within a few seconds. */
static void check_case(const char *name, void (*patch)(struct img *), action act, int want)
{
	struct img im;
	img_copy(&im, &base);
	patch(&im);
	signal(SIGALRM, on_alarm);
	alarm(20);
	int err = fat_mount(&vol, &im.dev, 0);
	if (err == FAT_OK) {
		err = act();
		/* Open files were closed by the actions; the volume must still
		 * unmount (sync may write what a failed action left). */
		int u = fat_unmount(&vol);
		assert_true(u == FAT_OK || u == FAT_E_IO);
	}
	alarm(0);
	if (err != want)
		fprintf(stderr, "case %s: got %d, want %d\n", name, err, want);
	assert_int_equal(err, want);
	img_close(&im);
}

static void patch_bytes(struct img *im, uint64_t off, const void *bytes, size_t n)
{
	img_patch(im, off, bytes, n);
}

static void patch_byte(struct img *im, uint64_t off, uint8_t b)
{
	patch_bytes(im, off, &b, 1);
}

static void patch_u16(struct img *im, uint64_t off, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	patch_bytes(im, off, b, 2);
}

static void patch_u32(struct img *im, uint64_t off, uint32_t v)
{
	uint8_t b[4];
	put32(b, v);
	patch_bytes(im, off, b, 4);
}

static void fat_entry(struct img *im, uint32_t cluster, uint32_t v)
{
	patch_u32(im, img_fat_offset(im, cluster), v);
}

/* Boot sector cases: FAT_E_INVALID at mount. */
#define BPB_CASE(fn, body)                                                                         \
	static void fn(struct img *im)                                                             \
	{                                                                                          \
		body;                                                                              \
	}
BPB_CASE(bps_1024, patch_u16(im, 11, 1024))
BPB_CASE(bps_0, patch_u16(im, 11, 0))
BPB_CASE(spc_3, patch_byte(im, 13, 3))
BPB_CASE(spc_0, patch_byte(im, 13, 0))
BPB_CASE(reserved_0, patch_u16(im, 14, 0))
BPB_CASE(fats_0, patch_byte(im, 16, 0))
BPB_CASE(fats_3, patch_byte(im, 16, 3))
BPB_CASE(root_entries, patch_u16(im, 17, 512))
BPB_CASE(fat16_size, patch_u16(im, 22, 100))
BPB_CASE(fat32_size_0, patch_u32(im, 36, 0))
BPB_CASE(fat32_size_small, patch_u32(im, 36, 1))
BPB_CASE(fat32_size_huge, patch_u32(im, 36, 0x7fffffff))
BPB_CASE(total_beyond_device, (patch_u16(im, 19, 0), patch_u32(im, 32, 0x7fffffff)))
BPB_CASE(total_both, patch_u16(im, 19, 1000))
BPB_CASE(root_cluster_0, patch_u32(im, 44, 0))
BPB_CASE(root_cluster_1, patch_u32(im, 44, 1))
BPB_CASE(root_cluster_beyond, patch_u32(im, 44, 0x0ffffff0))
BPB_CASE(no_signature, patch_u16(im, 510, 0))
BPB_CASE(no_jump, patch_byte(im, 0, 0))
BPB_CASE(fs_version, patch_u16(im, 42, 1))
BPB_CASE(active_fat_3, patch_u16(im, 40, 0x83))

static void boot_sector_cases(void **state)
{
	(void)state;
	void (*cases[])(struct img *) = {
	    bps_1024,
	    bps_0,
	    spc_3,
	    spc_0,
	    reserved_0,
	    fats_0,
	    fats_3,
	    root_entries,
	    fat16_size,
	    fat32_size_0,
	    fat32_size_small,
	    fat32_size_huge,
	    total_beyond_device,
	    total_both,
	    root_cluster_0,
	    root_cluster_1,
	    root_cluster_beyond,
	    no_signature,
	    no_jump,
	    fs_version,
	    active_fat_3,
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[16];
		snprintf(name, sizeof(name), "bpb %zu", i);
		check_case(name, cases[i], act_walk, FAT_E_INVALID);
	}
}

/* FSInfo is a hint: garbage there is no error (and is not written). */
static void fsinfo_garbage(struct img *im)
{
	patch_u32(im, 512 + 488, 0x12345678);
	patch_u32(im, 512 + 492, 0xfffffff0);
}

static void fsinfo_no_signature(struct img *im)
{
	patch_u32(im, 512, 0);
}

static void fsinfo_is_a_hint(void **state)
{
	(void)state;
	check_case("fsinfo garbage", fsinfo_garbage, act_walk, FAT_OK);
	check_case("fsinfo signature", fsinfo_no_signature, act_walk, FAT_OK);
	check_case("fsinfo garbage, write", fsinfo_garbage, act_append_file, FAT_OK);
}

/* Chains: FILE.BIN is file_cluster, +1, +2. */
static void chain_free(struct img *im)
{
	fat_entry(im, file_cluster, 0);
}
static void chain_bad(struct img *im)
{
	fat_entry(im, file_cluster + 1, 0x0ffffff7);
}
static void chain_reserved(struct img *im)
{
	fat_entry(im, file_cluster, 1);
}
static void chain_beyond(struct img *im)
{
	fat_entry(im, file_cluster, 0x0ffffff0);
}
static void chain_beyond_count(struct img *im)
{
	uint32_t clusters = (uint32_t)((im->sectors - geo.data_start) / geo.spc);
	fat_entry(im, file_cluster, clusters + 2);
}
static void chain_loop(struct img *im)
{
	fat_entry(im, file_cluster + 2, file_cluster); /* A -> B -> C -> A */
}
static void chain_self(struct img *im)
{
	fat_entry(im, file_cluster, file_cluster);
}
static void chain_longer(struct img *im)
{
	fat_entry(im, file_cluster + 2, 5000);
	fat_entry(im, 5000, 0x0fffffff);
}
static void size_beyond_chain(struct img *im)
{
	patch_u32(im, file_entry + 28, 5000);
}
static void size_beyond_volume(struct img *im)
{
	patch_u32(im, file_entry + 28, 0xffffffff);
}
static void entry_cluster_beyond(struct img *im)
{
	patch_u16(im, file_entry + 20, 0x0fff);
}
static void entry_cluster_1(struct img *im)
{
	patch_u16(im, file_entry + 26, 1);
	patch_u16(im, file_entry + 20, 0);
}
static void size_without_cluster(struct img *im)
{
	patch_u16(im, file_entry + 26, 0);
	patch_u16(im, file_entry + 20, 0);
}
static void cluster_without_size(struct img *im)
{
	patch_u32(im, file_entry + 28, 0);
}
static void dir_cluster_0(struct img *im)
{
	patch_u16(im, dir_entry + 26, 0);
	patch_u16(im, dir_entry + 20, 0);
}
/* The root directory: its cluster full of deleted slots and its chain
 * pointing back at itself, so no end marker ever comes. */
static void root_loop(struct img *im)
{
	uint8_t slot[32];
	memset(slot, 0, sizeof(slot));
	slot[0] = 0xe5;
	for (uint32_t off = 0; off < geo.spc * 512u; off += 32) {
		uint8_t b;
		img_read_raw(im, root_offset + off, &b, 1);
		if (b == 0)
			patch_bytes(im, root_offset + off, slot, 32);
	}
	fat_entry(im, geo.root_cluster, geo.root_cluster);
}
/* The same, with a free marker as the root's link. */
static void root_into_free(struct img *im)
{
	root_loop(im);
	fat_entry(im, geo.root_cluster, 0);
}

static void chain_cases(void **state)
{
	(void)state;
	struct {
		const char *name;
		void (*patch)(struct img *);
		action act;
	} cases[] = {
	    {"free in chain", chain_free, act_walk},
	    {"bad cluster in chain", chain_bad, act_walk},
	    {"reserved in chain", chain_reserved, act_walk},
	    {"beyond 28 bits", chain_beyond, act_walk},
	    {"beyond the clusters", chain_beyond_count, act_walk},
	    {"loop", chain_loop, act_walk},
	    {"self loop", chain_self, act_walk},
	    {"longer than size", chain_longer, act_walk},
	    {"size beyond chain", size_beyond_chain, act_walk},
	    {"size beyond volume", size_beyond_volume, act_walk},
	    {"entry cluster beyond", entry_cluster_beyond, act_walk},
	    {"entry cluster 1", entry_cluster_1, act_walk},
	    {"size without cluster", size_without_cluster, act_walk},
	    {"cluster without size", cluster_without_size, act_walk},
	    {"directory cluster 0", dir_cluster_0, act_walk},
	    {"root loop", root_loop, act_walk},
	    {"root into free", root_into_free, act_walk},
	    /* Changes refuse a corrupt chain before changing anything. */
	    {"unlink loop", chain_loop, act_unlink_file},
	    {"unlink longer", chain_longer, act_unlink_file},
	    {"unlink bad", chain_bad, act_unlink_file},
	    {"truncate loop", chain_loop, act_truncate_file},
	    {"truncate longer", chain_longer, act_truncate_file},
	    {"append loop", chain_loop, act_append_file},
	    {"append size beyond chain", size_beyond_chain, act_append_file},
	    {"create in looping root", root_loop, act_create_in_root},
	    {"mkdir in looping root", root_loop, act_mkdir_in_root},
	    {"create in broken root", root_into_free, act_create_in_root},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(cases[i].name, cases[i].patch, cases[i].act, FAT_E_IO);
}

/* Directory entries and long names: DIR/Long File Name.txt has slots
 * 0x42 (characters 14-18), 0x01 (1-13) and its short entry. */
static void short_name_control(struct img *im)
{
	patch_byte(im, file_entry + 2, 0x01);
}
static void short_name_slash(struct img *im)
{
	patch_byte(im, file_entry + 2, '/');
}
static void short_name_space(struct img *im)
{
	patch_byte(im, file_entry, ' ');
}
static void dir_and_label(struct img *im)
{
	patch_byte(im, dir_entry + 11, 0x18);
}
static void lfn_checksum(struct img *im)
{
	patch_byte(im, long_entry - 32 + 13, 0x00);
	patch_byte(im, long_entry - 64 + 13, 0x00);
}
static void lfn_order(struct img *im)
{
	patch_byte(im, long_entry - 32, 0x03);
}
static void lfn_no_first(struct img *im)
{
	patch_byte(im, long_entry - 64, 0x02);
}
static void lfn_too_many(struct img *im)
{
	patch_byte(im, long_entry - 64, 0x55);
}
static void lfn_then_end(struct img *im)
{
	patch_byte(im, long_entry, 0x00);
}
static void lfn_then_deleted(struct img *im)
{
	patch_byte(im, long_entry, 0xe5);
}
static void lfn_deleted_inside(struct img *im)
{
	patch_byte(im, long_entry - 32, 0xe5);
}
static void lfn_surrogate(struct img *im)
{
	patch_u16(im, long_entry - 32 + 1, 0xd800);
}
static void lfn_slash(struct img *im)
{
	patch_u16(im, long_entry - 32 + 3, '/');
}
static void lfn_empty(struct img *im)
{
	patch_u16(im, long_entry - 32 + 1, 0);
}
static void lfn_extra_slot(struct img *im)
{
	/* The name ends in the first slot in order; the second is extra. */
	patch_u16(im, long_entry - 32 + 5, 0);
}
static void lfn_label_between(struct img *im)
{
	patch_byte(im, long_entry + 11, 0x08);
}

static void entry_cases(void **state)
{
	(void)state;
	struct {
		const char *name;
		void (*patch)(struct img *);
	} cases[] = {
	    {"short name control", short_name_control},
	    {"short name slash", short_name_slash},
	    {"short name space", short_name_space},
	    {"directory and label", dir_and_label},
	    {"lfn checksum", lfn_checksum},
	    {"lfn order", lfn_order},
	    {"lfn without first", lfn_no_first},
	    {"lfn too many slots", lfn_too_many},
	    {"lfn then end", lfn_then_end},
	    {"lfn then deleted", lfn_then_deleted},
	    {"lfn deleted inside", lfn_deleted_inside},
	    {"lfn surrogate", lfn_surrogate},
	    {"lfn slash", lfn_slash},
	    {"lfn empty", lfn_empty},
	    {"lfn extra slot", lfn_extra_slot},
	    {"lfn label between", lfn_label_between},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case(cases[i].name, cases[i].patch, act_walk, FAT_E_IO);
		/* Adding an entry to a corrupt directory is refused too. */
		if (strncmp(cases[i].name, "lfn", 3) == 0)
			check_case(cases[i].name, cases[i].patch, act_create_in_dir, FAT_E_IO);
	}
}

/* The uncorrupted base walks clean: the cases fail for their patch. */
static void no_patch(struct img *im)
{
	(void)im;
}

static void base_is_clean(void **state)
{
	(void)state;
	check_case("none", no_patch, act_walk, FAT_OK);
	check_case("none, unlink", no_patch, act_unlink_file, FAT_OK);
	check_case("none, truncate", no_patch, act_truncate_file, FAT_OK);
	check_case("none, append", no_patch, act_append_file, FAT_OK);
	check_case("none, create", no_patch, act_create_in_dir, FAT_OK);
	check_case("none, create in root", no_patch, act_create_in_root, FAT_OK);
	check_case("none, mkdir in root", no_patch, act_mkdir_in_root, FAT_OK);
	assert_int_equal(img_fsck(&base), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(base_is_clean),    cmocka_unit_test(boot_sector_cases),
	    cmocka_unit_test(fsinfo_is_a_hint), cmocka_unit_test(chain_cases),
	    cmocka_unit_test(entry_cases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
