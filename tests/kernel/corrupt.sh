#!/bin/sh
# A corrupt disk: the test damages a copy of the built image in four ways
# (a cluster chain that loops, a file whose chain is cut off, a FAT entry
# pointing past the volume, a directory overwritten with garbage), boots the
# system on it and runs shell commands over every damaged file. Each gets an
# error; the undamaged files read as before; nothing crashes or hangs, and
# the shell powers the machine off.
#
#   corrupt.sh BUILD_DIR
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
disk=$out/disk.img
cp "$build/kernel-stubs/disk.img" "$disk"
export MTOOLS_SKIP_CHECK=1

u16() { od -A n -t u2 -j "$1" -N 2 "$disk" | tr -d ' '; }
u8() { od -A n -t u1 -j "$1" -N 1 "$disk" | tr -d ' '; }
u32() { od -A n -t u4 -j "$1" -N 4 "$disk" | tr -d ' '; }
first_cluster() { mshowfat -i "$disk" "::$1" | sed -E 's/.*<([0-9]+).*/\1/'; }
# Writes the 32-bit little-endian value $2 at byte offset $1.
put32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($2 & 255)) $(($2 >> 8 & 255)) \
		$(($2 >> 16 & 255)) $(($2 >> 24 & 255)))" |
		dd of="$disk" bs=1 seek="$1" conv=notrunc status=none
}
sector=$(u16 11)
per_cluster=$(u8 13)
reserved=$(u16 14)
fats=$(u8 16)
fat_sectors=$(u32 36)
data=$((reserved + fats * fat_sectors))
# Sets the FAT entry of cluster $1 to $2 in every copy of the FAT.
set_fat() {
	i=0
	while [ "$i" -lt "$fats" ]; do
		put32 $(((reserved + i * fat_sectors) * sector + 4 * $1)) "$2"
		i=$((i + 1))
	done
}

large=$(first_cluster /data/large.txt)
set_fat $((large + 9)) "$large" # the tenth cluster leads back to the first
welcome=$(first_cluster /docs/welcome.txt)
set_fat "$welcome" 0 # a free cluster in the middle of a file
readme=$(first_cluster /README)
set_fat "$readme" 268435200 # 0x0fffff00: past the last cluster
nested=$(first_cluster /docs/nested)
# Garbage, but the same every time: a random byte 0 would end the directory.
yes "$(printf '\245\132\303\017')" | tr -d '\n' | head -c $((sector * per_cluster)) |
	dd of="$disk" bs="$sector" seek=$(((data + (nested - 2) * per_cluster))) conv=notrunc status=none

sh "$here/shell_test.sh" "$build" corrupt "$disk"
