/*
 * message_table.h: every generated message of idl/ behind one signature, for
 * the decoder fuzzer and its seed writer. decoder_table.h lists the messages
 * (written by gen_decoder_table.py from the headers in generated/).
 */
#ifndef FUZZ_MESSAGE_TABLE_H
#define FUZZ_MESSAGE_TABLE_H

#include "console.h"
#include "fs.h"
#include "net.h"
#include "pci.h"
#include "sys.h"

#include <stddef.h>
#include <stdint.h>

typedef int (*decode_fn)(const void *shared, size_t available, void *buf, size_t buf_max,
                         const idl_typed_handle *handles, uint32_t handle_count, const void **out);
typedef int64_t (*encode_fn)(const void *msg, uint64_t txid, void *out, size_t out_max,
                             idl_typed_handle *handles, uint32_t *handle_count);

typedef struct fuzz_message {
	const char *name;
	size_t max_bytes;
	size_t inline_bytes; /* the inline part, header included */
	decode_fn decode;
	encode_fn encode;
} fuzz_message;

#define FUZZ_MESSAGE(name, max)                                                                    \
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
#include "decoder_table.h"
#undef FUZZ_MESSAGE

#define FUZZ_MESSAGE(name, max) {#name, max, sizeof(name), name##_fuzz_decode, name##_fuzz_encode},
static const fuzz_message messages[] = {
#include "decoder_table.h"
};
#undef FUZZ_MESSAGE

#define MESSAGE_COUNT (sizeof(messages) / sizeof(messages[0]))

#endif
