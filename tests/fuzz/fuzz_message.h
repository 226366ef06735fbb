/*
 * fuzz_message.h: a generated message behind one signature, so that a
 * harness can pick any message of a table by a byte of its input. A table
 * (message_table.h for idl/, version_table.h for the evolution test's
 * description) includes the generated headers first, then defines
 * FUZZ_WRAPPERS(name) for each message and lists FUZZ_ENTRY(name, max).
 */
#ifndef FUZZ_MESSAGE_H
#define FUZZ_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*decode_fn)(const void *shared, size_t available, void *buf, size_t buf_max,
                         const idl_typed_handle *handles, uint32_t handle_count, const void **out);
typedef int64_t (*encode_fn)(const void *msg, uint32_t txid, void *out, size_t out_max,
                             idl_typed_handle *handles, uint32_t *handle_count);

typedef struct fuzz_message {
	const char *name;
	size_t max_bytes;
	size_t inline_bytes; /* the inline part of this version, header included */
	decode_fn decode;
	encode_fn encode;
} fuzz_message;

/* name_fuzz_decode and name_fuzz_encode: the message's decoder and encoder
 * with the table's signature. */
#define FUZZ_WRAPPERS(name)                                                                        \
	static int name##_fuzz_decode(const void *shared, size_t available, void *buf,             \
	                              size_t buf_max, const idl_typed_handle *handles,             \
	                              uint32_t handle_count, const void **out)                     \
	{                                                                                          \
		const name *view = NULL;                                                           \
		int err =                                                                          \
		    name##_decode(shared, available, buf, buf_max, handles, handle_count, &view);  \
		*out = view;                                                                       \
		return err;                                                                        \
	}                                                                                          \
	static int64_t name##_fuzz_encode(const void *msg, uint32_t txid, void *out,               \
	                                  size_t out_max, idl_typed_handle *handles,               \
	                                  uint32_t *handle_count)                                  \
	{                                                                                          \
		return name##_encode((const name *)msg, txid, out, out_max, handles,               \
		                     handle_count);                                                \
	}

/*
 * Decodes shared into buf, filled with garbage first, and again into a
 * buffer that already holds the frame (what a decoder that skipped its copy
 * would read, and accept). Every way through a decoder copies before it
 * reads the private buffer, so the two verdicts must be the same: *agree
 * says whether they were. Returns the first verdict, the view in *view.
 */
static inline int fuzz_decode_twice(const fuzz_message *m, const uint8_t *shared, size_t available,
                                    void *buf, const idl_typed_handle *handles,
                                    uint32_t handle_count, const void **view, bool *agree)
{
	uint8_t *stale = malloc(m->max_bytes);
	if (stale == NULL)
		abort();
	memset(buf, 0xa5, m->max_bytes);
	memset(stale, 0, m->max_bytes);
	memcpy(stale, shared, available < m->max_bytes ? available : m->max_bytes);
	int err = m->decode(shared, available, buf, m->max_bytes, handles, handle_count, view);
	const void *stale_view = NULL;
	*agree = m->decode(shared, available, stale, m->max_bytes, handles, handle_count,
	                   &stale_view) == err;
	free(stale);
	return err;
}

/* The index of the message called name in a table of count, for a seed
 * writer (who names it in the error); exits when there is none. */
static inline size_t fuzz_find(const fuzz_message *table, size_t count, const char *name,
                               const char *who)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(table[i].name, name) == 0)
			return i;
	fprintf(stderr, "%s: no message %s\n", who, name);
	exit(1);
}

/* The table entry of a message whose largest frame is max bytes. */
#define FUZZ_ENTRY(name, max) {#name, max, sizeof(name), name##_fuzz_decode, name##_fuzz_encode},

#endif
