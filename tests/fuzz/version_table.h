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

#include "fuzz_message.h"

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

#define FUZZ_WRAP(name, max) FUZZ_WRAPPERS(name)
VERSION_MESSAGES(FUZZ_WRAP)
#undef FUZZ_WRAP

static const fuzz_message messages[] = {VERSION_MESSAGES(FUZZ_ENTRY)};

#define MESSAGE_COUNT (sizeof(messages) / sizeof(messages[0]))

#endif
