/*
 * seed_versions.c: writes the seed corpus of fuzz_versions into a
 * directory: [selector byte][handles byte][frame], one seed for each form a
 * version 2 receiver must accept: each message of its own version, the
 * earlier version's frames of the messages that grew, a later version's
 * put (an inline field and a block it does not know), flexible values it
 * does not know, and an unknown union variant with a block. Each is checked
 * to decode before it is written.
 *
 *     seed_versions tests/fuzz/corpus_versions
 */
#include "version_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *out_dir;
static int written;

static size_t find(const char *name)
{
	return fuzz_find(messages, MESSAGE_COUNT, name, "seed_versions");
}

static void write_seed(size_t i, const uint8_t *frame, size_t n, const char *tag)
{
	const fuzz_message *m = &messages[i];
	uint8_t *buf = calloc(1, m->max_bytes);
	const void *view = NULL;
	if (buf == NULL)
		abort();
	int err = m->decode(frame, n, buf, m->max_bytes, NULL, 0, &view);
	if (err != IDL_OK) {
		fprintf(stderr, "seed_versions: %s %s does not decode: %s\n", m->name, tag,
		        idl_error_name(err));
		exit(1);
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/%s-%s", out_dir, m->name, tag);
	FILE *f = fopen(path, "wb");
	uint8_t prefix[2] = {(uint8_t)i, 0};
	if (f == NULL || fwrite(prefix, 1, 2, f) != 2 || fwrite(frame, 1, n, f) != n ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	free(buf);
	written++;
}

static _Alignas(8) uint8_t frame[EVO_STORE_MAX_FRAME_BYTES];
static _Alignas(8) uint8_t scratch[EVO_STORE_MAX_FRAME_BYTES];

/* Whether the first n bytes of frame decode as message i (into scratch:
 * validating in place would patch the frame). */
static bool decodes(size_t i, size_t n)
{
	const void *view;
	return messages[i].decode(frame, n, scratch, sizeof(scratch), NULL, 0, &view) == IDL_OK;
}

/* Encodes as message `name` with txid 1 (else 0) and writes the seed. */
#define SEED(T, msg, tag)                                                                          \
	do {                                                                                       \
		int64_t n_ = T##_encode((msg), 1, frame, sizeof(frame), NULL, NULL);               \
		if (n_ < 0 || !decodes(find(#T), (size_t)n_))                                      \
			n_ = T##_encode((msg), 0, frame, sizeof(frame), NULL, NULL);               \
		if (n_ < 0)                                                                        \
			abort();                                                                   \
		write_seed(find(#T), frame, (size_t)n_, tag);                                      \
	} while (0)

#define SEED_V1(T, msg, tag)                                                                       \
	do {                                                                                       \
		int64_t n_ = T##_encode_version((msg), 1, 1, frame, sizeof(frame), NULL, NULL);    \
		if (n_ < 0 || !decodes(find(#T), (size_t)n_))                                      \
			n_ = T##_encode_version((msg), 1, 0, frame, sizeof(frame), NULL, NULL);    \
		if (n_ < 0)                                                                        \
			abort();                                                                   \
		write_seed(find(#T), frame, (size_t)n_, tag);                                      \
	} while (0)

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seed_versions DIR\n");
		return 2;
	}
	out_dir = argv[1];

	evo_store_put_request put = {.name = {.size = 3, .data = "abc"},
	                             .value = 7,
	                             .mode = EVO_MODE_FAST,
	                             .priority = 9,
	                             .tag = {.size = 1, .data = "t"},
	                             .mode2 = EVO_MODE_SAFE};
	SEED(evo_store_put_request, &put, "v2");
	SEED_V1(evo_store_put_request, &put, "v1");
	evo_store_put_reply put_reply = {.slot = 3, .replaced = true};
	SEED(evo_store_put_reply, &put_reply, "v2");
	SEED_V1(evo_store_put_reply, &put_reply, "v1");
	evo_store_get_request get = {.slot = 2};
	SEED(evo_store_get_request, &get, "v2");
	static const uint32_t tags[] = {11, 12, 13};
	evo_store_get_reply get_reply = {
	    .name = {.size = 1, .data = "n"}, .value = 5, .tags = {.count = 3, .items = tags}};
	SEED(evo_store_get_reply, &get_reply, "v2");
	SEED_V1(evo_store_get_reply, &get_reply, "v1");
	evo_store_paint_request paint = {.color = EVO_COLOR_RED,
	                                 .perm = EVO_PERM_READ,
	                                 .mark = {.tag = EVO_MARK_LINE, .line = {1, 2}}};
	SEED(evo_store_paint_request, &paint, "v2");
	evo_store_paint_reply paint_reply = {
	    .color = (evo_color)77, .perm = (evo_perm)0x100u, .mark = {.tag = 9}};
	SEED(evo_store_paint_reply, &paint_reply, "unknown-values");
	evo_store_count_request count = {0};
	SEED(evo_store_count_request, &count, "v2");
	evo_store_count_reply count_reply = {.slots = 4};
	SEED(evo_store_count_reply, &count_reply, "v2");
	evo_store_watch_request watch = {.on = true};
	SEED(evo_store_watch_request, &watch, "v2");
	evo_store_changed_event changed = {.slot = 1, .by = {.size = 2, .data = "me"}};
	SEED(evo_store_changed_event, &changed, "v2");
	SEED_V1(evo_store_changed_event, &changed, "v1");
	evo_store_renamed_event renamed = {.slot = 1};
	SEED(evo_store_renamed_event, &renamed, "v2");

	/* A later version's put: 8 inline bytes and an 8-byte block unknown here. */
	int64_t n = evo_store_put_request_encode(&put, 1, frame, sizeof(frame), NULL, NULL);
	uint32_t own = (uint32_t)sizeof(evo_store_put_request);
	memmove(frame + own + 8, frame + own, (size_t)n - own);
	memset(frame + own, 0x5a, 8);
	memset(frame + n + 8, 0xa5, 8);
	((idl_frame_header *)frame)->size = (uint32_t)n + 16;
	((idl_frame_header *)frame)->inline_size = own + 8;
	write_seed(find("evo_store_put_request"), frame, (size_t)n + 16, "later");

	/* An unknown variant of the flexible union with a block of its own. */
	n = evo_store_paint_request_encode(&paint, 1, frame, sizeof(frame), NULL, NULL);
	evo_store_paint_request *p = (evo_store_paint_request *)frame;
	p->mark.tag = 9;
	p->mark.envelope.bytes = 16;
	memset(frame + n, 0x77, 16);
	p->header.size = (uint32_t)n + 16;
	write_seed(find("evo_store_paint_request"), frame, (size_t)n + 16, "unknown-variant");

	printf("seed_versions: %d seeds in %s\n", written, out_dir);
	return 0;
}
