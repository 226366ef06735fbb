/*
 * fuzz_message.h: a generated message behind one signature, so that a
 * harness can pick any message of a table by a byte of its input. A table
 * (message_table.h for idl/, version_table.h for the evolution test's
 * description) includes the generated headers first, then defines
 * FUZZ_WRAPPERS(name) for each message and lists FUZZ_ENTRY(name, max).
 */
#ifndef FUZZ_MESSAGE_H
#define FUZZ_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

typedef int (*decode_fn)(const void *shared, size_t available, void *buf, size_t buf_max,
                         const idl_typed_handle *handles, uint32_t handle_count, const void **out);
typedef int64_t (*encode_fn)(const void *msg, uint64_t txid, void *out, size_t out_max,
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
	static int64_t name##_fuzz_encode(const void *msg, uint64_t txid, void *out,               \
	                                  size_t out_max, idl_typed_handle *handles,               \
	                                  uint32_t *handle_count)                                  \
	{                                                                                          \
		return name##_encode((const name *)msg, txid, out, out_max, handles,               \
		                     handle_count);                                                \
	}

/* The table entry of a message whose largest frame is max bytes. */
#define FUZZ_ENTRY(name, max) {#name, max, sizeof(name), name##_fuzz_decode, name##_fuzz_encode},

#endif
