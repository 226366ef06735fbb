/*
 * seed_decoders.c: writes the seed corpus of fuzz_decoders into a directory.
 *
 * Every seed is [selector byte][handles byte][frame]: the selector is the
 * message's index in decoder_table.h, the handles byte the count of handles
 * plus 5 times the pick of their kinds (fuzz_decoders.c), chosen so that
 * each handle has the kind its field declares. Each message gets a frame of its
 * all-zero value (when zero is a valid value of it), and a few messages get
 * frames with strings, bytes, vectors and handles filled in. Each frame is
 * checked to decode before it is written.
 *
 *     seed_decoders tests/fuzz/corpus_decoders
 */
#include "message_table.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *out_dir;
static int written;

static size_t find(const char *name)
{
	return fuzz_find(messages, MESSAGE_COUNT, name, "seed_decoders");
}

/* Encodes msg as message i (txid 1, else 0), checks it decodes, writes the seed. */
static int seed(size_t i, const void *msg, const char *tag)
{
	const fuzz_message *m = &messages[i];
	uint8_t *frame = calloc(1, m->max_bytes);
	uint8_t *buf = calloc(1, m->max_bytes);
	if (frame == NULL || buf == NULL)
		abort();
	static const uint32_t txids[] = {1, 0};
	int ok = 0;
	for (size_t t = 0; t < 2 && !ok; t++) {
		idl_typed_handle handles[IDL_MAX_HANDLES];
		uint32_t count = 0;
		int64_t n = m->encode(msg, txids[t], frame, m->max_bytes, handles, &count);
		if (n < 0 || count > 4)
			continue;
		/* The pick of kinds that gives every handle its field's kind. */
		uint32_t pick = 0;
		for (; pick * 5 + count < 256; pick++) {
			bool fits = true;
			for (uint32_t h = 0; h < count; h++)
				fits &= handles[h].kind == IDL_KIND_ANY ||
				        handles[h].kind == (pick + h) % 5;
			if (fits)
				break;
		}
		if (pick * 5 + count >= 256)
			continue;
		for (uint32_t h = 0; h < count; h++)
			handles[h].kind = (pick + h) % 5;
		const void *view;
		if (m->decode(frame, (size_t)n, buf, m->max_bytes, handles, count, &view) != IDL_OK)
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%03zu_%s_%s", out_dir, i, m->name, tag);
		FILE *f = fopen(path, "wb");
		if (f == NULL) {
			perror(path);
			exit(1);
		}
		uint8_t prefix[2] = {(uint8_t)i, (uint8_t)(pick * 5 + count)};
		fwrite(prefix, 1, 2, f);
		fwrite(frame, 1, (size_t)n, f);
		if (fclose(f) != 0) {
			perror(path);
			exit(1);
		}
		ok = 1;
		written++;
	}
	free(buf);
	free(frame);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	if (MESSAGE_COUNT > 256) {
		fprintf(stderr, "seed_decoders: more messages than a selector byte names\n");
		return 1;
	}

	/* The all-zero value of every message, where zero is valid. */
	size_t largest = 0;
	for (size_t i = 0; i < MESSAGE_COUNT; i++)
		if (messages[i].max_bytes > largest)
			largest = messages[i].max_bytes;
	void *zero = calloc(1, largest);
	if (zero == NULL)
		abort();
	for (size_t i = 0; i < MESSAGE_COUNT; i++)
		seed(i, zero, "zero");
	free(zero);

	/* A few with out-of-line data and handles. */
	fs_file_open_request open = {
	    .path = IDL_STRING_LITERAL("/etc/motd"), .flags = FS_OPEN_FLAGS_READ, .mode = 0644};
	seed(find("fs_file_open_request"), &open, "path");

	static const uint8_t payload[13] = "hello, world";
	fs_file_write_request write = {.fd = 3, .offset = 4096};
	write.data.size = sizeof(payload);
	write.data.data = payload;
	seed(find("fs_file_write_request"), &write, "data");

	sys_services_publish_request publish = {.name = IDL_STRING_LITERAL("console"),
	                                        .listener = 7};
	seed(find("sys_services_publish_request"), &publish, "handle");

	fs_dir_entry entries[3] = {
	    {.inode = 2, .kind = FS_FILE_KIND_DIRECTORY, .name = IDL_STRING_LITERAL(".")},
	    {.inode = 12, .kind = FS_FILE_KIND_REGULAR, .name = IDL_STRING_LITERAL("motd")},
	    {.inode = 13, .kind = FS_FILE_KIND_SYMLINK, .name = IDL_STRING_LITERAL("")},
	};
	fs_file_readdir_reply readdir = {.next_cookie = 99, .done = true};
	readdir.entries.count = 3;
	readdir.entries.items = entries;
	seed(find("fs_file_readdir_reply"), &readdir, "entries");

	printf("seed_decoders: wrote %d seeds for %zu messages\n", written, MESSAGE_COUNT);
	return 0;
}
