#!/bin/sh
# Builds the reference system's FAT32 disk image: mkdisk.sh OUT.img SRC_DIR
# (MKFS_FAT names mkfs.fat where it is not on the PATH, as in /usr/sbin).
# formats a 64 MiB image with mkfs.fat, copies SRC_DIR's tree into it with
# mtools, and adds /data/large.txt, 2,600,000 bytes of numbered lines made
# here (so the repository holds no megabyte of data) whose CRC-32 the tests
# know: "line 000001 of 40000 ..." up to 40000; and /data/numbers.txt, the
# numbers 1 to 300000 (2 MB), a second large file for readers running at once.
set -eu
out=$1
src=$2
tmp=$out.tmp
rm -f "$tmp"
dd if=/dev/zero of="$tmp" bs=1M count=64 status=none
"${MKFS_FAT:-mkfs.fat}" -F 32 -n IDLC -i 1dc0f5a7 "$tmp" >/dev/null
export MTOOLS_SKIP_CHECK=1
mcopy -s -i "$tmp" "$src"/* ::/
mmd -i "$tmp" ::/data
seq -f "line %06g of 40000, in a file that is larger than one megabyte" 1 40000 >"$out.large"
mcopy -i "$tmp" "$out.large" ::/data/large.txt
seq 1 300000 >"$out.large"
mcopy -i "$tmp" "$out.large" ::/data/numbers.txt
rm -f "$out.large"
mv "$tmp" "$out"
