#!/bin/sh
# Writes the FAT seeds (tests/fuzz/corpus_fat) from real images: mkfs.fat
# makes them, mtools fills them (long names, nested and large directories,
# fragmented and empty files, a label, 512 B and 4 KiB clusters), and
# to_sparse turns each into fuzz_fat.c's input: [u32 sectors] then
# [u32 sector][512 bytes] for every sector that is not all zeros.
#   tests/fuzz/gen_fat_seeds.sh tests/fuzz/corpus_fat
set -eu
out=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MTOOLS_SKIP_CHECK=1
mkdir -p "$out"
PATH=$PATH:/usr/sbin:/sbin

to_sparse() {
	python3 - "$1" "$2" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
out = [struct.pack('<I', len(data) // 512)]
for s in range(len(data) // 512):
    block = data[s * 512:(s + 1) * 512]
    if any(block):
        out.append(struct.pack('<I', s) + block)
open(sys.argv[2], 'wb').write(b''.join(out))
PY
}

# Fresh, empty.
mkfs.fat -F 32 -s 1 -C "$work/empty.img" 40960 >/dev/null
to_sparse "$work/empty.img" "$out/empty-512"

# Names and directories, 512-byte clusters.
mkfs.fat -F 32 -s 1 -n FUZZVOL -C "$work/names.img" 40960 >/dev/null
printf 'hello\n' >"$work/h"
head -c 3000 /dev/zero | tr '\0' 'x' >"$work/x3000"
: >"$work/empty"

mcopy -i "$work/names.img" "$work/h" "::/Hello World long name.txt"
mcopy -i "$work/names.img" "$work/h" ::/lower.txt
mcopy -i "$work/names.img" "$work/h" ::/UP.TXT
mcopy -i "$work/names.img" "$work/empty" ::/EMPTY
mmd -i "$work/names.img" ::/Sub ::/Sub/Deeper
mcopy -i "$work/names.img" "$work/x3000" "::/Sub/Deeper/three thousand.bin"
for i in 1 2 3 4 5 6; do mcopy -i "$work/names.img" "$work/h" "::/Sub/F$i.TXT"; done
for i in 1 3 5; do mdel -i "$work/names.img" "::/Sub/F$i.TXT"; done
mcopy -i "$work/names.img" "$work/x3000" "::/Sub/fragmented file.bin"
to_sparse "$work/names.img" "$out/names-512"

# A directory of 30 entries (several clusters of slots), 512-byte clusters.
mkfs.fat -F 32 -s 1 -C "$work/many.img" 40960 >/dev/null
mkdir "$work/many"
for i in $(seq 1 30); do printf '%s' "$i" >"$work/many/entry number $i.dat"; done
mmd -i "$work/many.img" ::/many
mcopy -i "$work/many.img" "$work/many"/* ::/many/
to_sparse "$work/many.img" "$out/many-512"

# 4 KiB clusters.
mkfs.fat -F 32 -s 8 -C "$work/big.img" 307200 >/dev/null
head -c 6000 /dev/zero | tr "\0" y >"$work/y"
mcopy -i "$work/big.img" "$work/y" "::/A file of 6000 bytes"
mmd -i "$work/big.img" ::/d
mcopy -i "$work/big.img" "$work/h" ::/d/small
to_sparse "$work/big.img" "$out/big-4k"
ls -l "$out"
