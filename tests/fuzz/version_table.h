/*
 * version_table.h: the messages of version 2 of tests/evolution/v2/evo.idl
 * behind one signature, for fuzz_versions.c and its seeds: a description
 * with versioned messages and flexible enums, bits and unions, the forms
 * that interface evolution added (the messages of idl/ use none of them).
 * Its code is generated at build time by this build's idlc.
 */
#ifndef FUZZ_VERSION_TABLE_H
#define FUZZ_VERSION_TABLE_H

#include "evo.h"

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

#define VERSION_MESSAGES(X)                                                                        \
	X(evo_store_put_request, EVO_STORE_PUT_REQUEST_MAX_BYTES)                                  \
	X(evo_store_put_reply, EVO_STORE_PUT_REPLY_MAX_BYTES)                                      \
	X(evo_store_get_request, EVO_STORE_GET_REQUEST_MAX_BYTES)                                  \
	X(evo_store_get_reply, EVO_STORE_GET_REPLY_MAX_BYTES)                                      \
	X(evo_store_paint_request, EVO_STORE_PAINT_REQUEST_MAX_BYTES)                              \
	X(evo_store_paint_reply, EVO_STORE_PAINT_REPLY_MAX_BYTES)                                  \
	X(evo_store_count_request, EVO_STORE_COUNT_REQUEST_MAX_BYTES)                              \
	X(evo_store_count_reply, EVO_STORE_COUNT_REPLY_MAX_BYTES)                                  \
	X(evo_store_watch_request, EVO_STORE_WATCH_REQUEST_MAX_BYTES)                              \
	X(evo_store_changed_event, EVO_STORE_CHANGED_EVENT_MAX_BYTES)                              \
	X(evo_store_renamed_event, EVO_STORE_RENAMED_EVENT_MAX_BYTES)

#define FUZZ_WRAP(name, max)                                                                       \
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
VERSION_MESSAGES(FUZZ_WRAP)
#undef FUZZ_WRAP

#define FUZZ_ENTRY(name, max) {#name, max, sizeof(name), name##_fuzz_decode, name##_fuzz_encode},
static const fuzz_message messages[] = {VERSION_MESSAGES(FUZZ_ENTRY)};
#undef FUZZ_ENTRY

#define MESSAGE_COUNT (sizeof(messages) / sizeof(messages[0]))

#endif
