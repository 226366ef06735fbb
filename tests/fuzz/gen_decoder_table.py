#!/usr/bin/env python3
"""Writes decoder_table.h: one FUZZ_MESSAGE(name, MAX_BYTES) line for every
generated *_decode function in generated/*.h. Run from anywhere:

    python3 tests/fuzz/gen_decoder_table.py > tests/fuzz/decoder_table.h

The order is the order of the files below and of the declarations in each,
so a selector byte keeps meaning the same message until the IDL changes.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATED = os.path.join(HERE, "..", "..", "generated")
FILES = ["fs", "net", "console", "pci", "sys"]

out = sys.stdout
out.write("/*\n * decoder_table.h: every generated decoder, written by gen_decoder_table.py.\n"
          " * Do not edit; rerun the script when the IDL changes.\n */\n")
count = 0
for name in FILES:
    text = open(os.path.join(GENERATED, name + ".h")).read()
    for m in re.finditer(r"^int (\w+)_decode\(", text, re.M):
        msg = m.group(1)
        macro = msg.upper() + "_MAX_BYTES"
        if not re.search(r"#define " + macro + r"\b", text):
            sys.exit("no %s in %s.h" % (macro, name))
        out.write("FUZZ_MESSAGE(%s, %s)\n" % (msg, macro))
        count += 1
out.write("/* %d messages */\n" % count)
