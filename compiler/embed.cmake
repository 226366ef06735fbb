# Turns INPUT into a C file defining `const char idlc_support_header[]`.
file(READ ${INPUT} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUTPUT} "/* Generated from idl_wire.h at build time. */\nconst char idlc_support_header[] = {${bytes} 0x00};\n")
