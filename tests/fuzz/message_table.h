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

#include "fuzz_message.h"

#define FUZZ_MESSAGE(name, max) FUZZ_WRAPPERS(name)
#include "decoder_table.h"
#undef FUZZ_MESSAGE

#define FUZZ_MESSAGE(name, max) FUZZ_ENTRY(name, max)
static const fuzz_message messages[] = {
#include "decoder_table.h"
};
#undef FUZZ_MESSAGE

#define MESSAGE_COUNT (sizeof(messages) / sizeof(messages[0]))

#endif
