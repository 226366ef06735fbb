/*
 * reader.c: reads one file through libc and prints its CRC-32, for the
 * stress image, where two readers of different files run at once. The
 * argument is the file; the reader alternates large reads (the shared
 * buffer) and small ones (inline), so both paths run side by side with the
 * other reader's, and prints how many of each it made.
 */
#include "posix.h"
#include "ulib.h"

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
	}
	return crc;
}

int umain(const char *args, long nhandles)
{
	(void)nhandles;
	static uint8_t buf[FILES_SHARED_BYTES];
	int fd = open(args, O_RDONLY);
	if (fd < 0) {
		printf("reader: %s: %s\n", args, strerror(errno));
		return 1;
	}
	uint32_t crc = 0xffffffffu;
	uint64_t total = 0;
	long big = 0, small = 0;
	for (;;) {
		bool large = (big + small) % 2 == 0;
		ssize_t n = read(fd, buf, large ? sizeof(buf) : 3000);
		if (n < 0) {
			printf("reader: %s: %s\n", args, strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		large ? big++ : small++;
		crc = crc32_update(crc, buf, (size_t)n);
		total += (uint64_t)n;
	}
	close(fd);
	files_shutdown();
	printf("reader: %s: %lu bytes, crc32 %08x (%ld large reads, %ld small)\n", args,
	       (unsigned long)total, crc ^ 0xffffffffu, big, small);
	return 0;
}
