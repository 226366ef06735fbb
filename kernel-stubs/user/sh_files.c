/*
 * sh_files.c: the shell's file commands, on the libc shim's POSIX calls.
 */
#include "posix.h"
#include "sh.h"

static int fail(const char *what, const char *path)
{
	printf("%s: %s: %s\n", what, path, strerror(errno));
	return 1;
}

static void print_entry(const char *dir, const struct dirent *e, bool long_form)
{
	if (!long_form) {
		printf("%s\n", e->d_name);
		return;
	}
	char path[1024];
	size_t n = strlen(dir);
	snprintf(path, sizeof(path), "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", e->d_name);
	struct stat st;
	if (stat(path, &st) < 0) {
		printf("?          ? %s\n", e->d_name);
		return;
	}
	printf("%c %10lu %s\n", S_ISDIR(st.st_mode) ? 'd' : '-', (unsigned long)st.st_size,
	       e->d_name);
}

int sh_ls(int argc, char **argv)
{
	bool long_form = argc > 1 && strcmp(argv[1], "-l") == 0;
	const char *path = argc > 1 + long_form ? argv[1 + long_form] : "/";
	DIR *d = opendir(path);
	if (!d)
		return fail("ls", path);
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			print_entry(path, e, long_form);
	int err = errno;
	closedir(d);
	if (err) {
		errno = err;
		return fail("ls", path);
	}
	return 0;
}

/* cat and echo go through FILE streams, the rest through descriptors: the
 * shell uses both halves of the libc shim. */
int sh_cat(int argc, char **argv)
{
	static char buf[4096];
	int status = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		if (!f) {
			status = fail("cat", argv[i]);
			continue;
		}
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		if (ferror(f))
			status = fail("cat", argv[i]);
		fclose(f);
	}
	return status;
}

int sh_echo(int argc, char **argv)
{
	int words = argc;
	const char *mode = NULL;
	if (argc >= 3 && (strcmp(argv[argc - 2], ">") == 0 || strcmp(argv[argc - 2], ">>") == 0)) {
		mode = argv[argc - 2][1] ? "a" : "w";
		words = argc - 2;
	}
	FILE *out = stdout;
	const char *path = argv[argc - 1];
	if (mode && !(out = fopen(path, mode)))
		return fail("echo", path);
	for (int i = 1; i < words; i++)
		fprintf(out, "%s%s", i > 1 ? " " : "", argv[i]);
	fprintf(out, "\n");
	if (out == stdout)
		return 0;
	bool ok = !ferror(out);
	if (fclose(out) < 0)
		ok = false;
	return ok ? 0 : fail("echo", path);
}

int sh_mkdir(int argc, char **argv)
{
	(void)argc; /* sh.c checked the count (commands[]) */
	return mkdir(argv[1], 0755) < 0 ? fail("mkdir", argv[1]) : 0;
}

int sh_rm(int argc, char **argv)
{
	(void)argc; /* sh.c checked the count (commands[]) */
	return unlink(argv[1]) < 0 ? fail("rm", argv[1]) : 0;
}

int sh_mv(int argc, char **argv)
{
	(void)argc; /* sh.c checked the count (commands[]) */
	return rename(argv[1], argv[2]) < 0 ? fail("mv", argv[1]) : 0;
}

int sh_stat(int argc, char **argv)
{
	(void)argc; /* sh.c checked the count (commands[]) */
	struct stat st;
	if (stat(argv[1], &st) < 0)
		return fail("stat", argv[1]);
	printf("%s: %s, %lu bytes, inode %lu, links %u, mode %o, modified %ld s\n", argv[1],
	       S_ISDIR(st.st_mode) ? "directory" : "regular file", (unsigned long)st.st_size,
	       (unsigned long)st.st_ino, st.st_nlink, st.st_mode & 07777,
	       (long)(st.st_mtime_ns / 1000000000));
	return 0;
}

/* CRC-32 as zlib and Debian's crc32 compute it: reflected, polynomial
 * 0xedb88320, initial and final value ~0. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	for (size_t i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return crc;
}

int sh_crc32(int argc, char **argv)
{
	(void)argc; /* sh.c checked the count (commands[]) */
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return fail("crc32", argv[1]);
	static uint8_t buf[FILES_SHARED_BYTES];
	uint32_t crc = 0xffffffffu;
	uint64_t total = 0;
	ssize_t n;
	struct files_counters before, after;
	files_counters(&before);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		crc = crc32_update(crc, buf, (size_t)n);
		total += (uint64_t)n;
	}
	int err = errno;
	files_counters(&after);
	close(fd);
	if (n < 0) {
		errno = err;
		return fail("crc32", argv[1]);
	}
	printf("%08x\n", crc ^ 0xffffffffu);
	printf("crc32: %lu bytes, %lu through the shared buffer, %lu through the queue, %lu "
	       "requests\n",
	       (unsigned long)total, (unsigned long)(after.shared_bytes - before.shared_bytes),
	       (unsigned long)(after.inline_bytes - before.inline_bytes),
	       (unsigned long)(after.requests - before.requests));
	return 0;
}

/* One pass over a file in reads of `chunk` bytes; false on an error. */
static bool read_pass(const char *path, size_t chunk, uint64_t *bytes, uint64_t *requests, long *ns)
{
	static uint8_t buf[FILES_SHARED_BYTES];
	struct files_counters before, after;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	files_counters(&before);
	long start = idlk_clock();
	ssize_t n;
	*bytes = 0;
	while ((n = read(fd, buf, chunk)) > 0)
		*bytes += (uint64_t)n;
	*ns = idlk_clock() - start;
	files_counters(&after);
	close(fd);
	*requests = after.requests - before.requests;
	return n == 0;
}

/*
 * readbench FILE: reads FILE twice, in 4 KiB reads (inline: the bytes come
 * in the replies) and in 64 KiB reads (through the shared buffer), and
 * prints the time, the rate and the frames per MiB of each (a request and
 * its reply are two frames). The clock ticks in milliseconds.
 */
int sh_readbench(int argc, char **argv)
{
	(void)argc; /* sh.c checked the count (commands[]) */
	static const struct {
		const char *how;
		size_t chunk;
	} passes[] = {{"inline, 4 KiB reads", 4096}, {"shared, 64 KiB reads", FILES_SHARED_BYTES}};
	for (size_t i = 0; i < sizeof(passes) / sizeof(passes[0]); i++) {
		uint64_t bytes, requests;
		long ns;
		if (!read_pass(argv[1], passes[i].chunk, &bytes, &requests, &ns))
			return fail("readbench", argv[1]);
		uint64_t ms = (uint64_t)ns / 1000000 ? (uint64_t)ns / 1000000 : 1;
		uint64_t kb_per_s = bytes * 1000 / 1024 / ms;
		uint64_t frames_per_mib = bytes ? 2 * requests * 1048576 / bytes : 0;
		printf("readbench: %s: %lu bytes in %lu ms, %lu.%02lu MB/s, %lu requests, %lu "
		       "frames per "
		       "MiB\n",
		       passes[i].how, (unsigned long)bytes, (unsigned long)ms,
		       (unsigned long)(kb_per_s / 1024),
		       (unsigned long)(kb_per_s % 1024 * 100 / 1024), (unsigned long)requests,
		       (unsigned long)frames_per_mib);
	}
	return 0;
}
