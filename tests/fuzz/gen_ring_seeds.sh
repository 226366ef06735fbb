#!/bin/sh
# Writes a few seeds for fuzz_ring into DIR: an empty ring, one frame, two
# frames, a padding record, a frame claiming more than is published, and a
# client that sends 40 frames of 64 bytes and finds the first 32 taken when
# it passes 2048 bytes (so that reservation rewinds). Layout: [u32 reply head][u32 request tail][reply ring bytes]
# [u8 frames of our own]; rings of 4096 bytes.
set -eu
dir=$1
mkdir -p "$dir"
le32() { printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 24 & 255)))"; }
zeros() { head -c "$1" /dev/zero; }
# A 16-byte frame header: size, ordinal, txid, then flags 2 (a reply), no
# handles and an inline size of 0 in one word.
frame() { le32 "$1"; le32 7; le32 1; le32 2; zeros $(($1 - 16)); }
{ le32 0; le32 0; } > "$dir/empty"
{ le32 32; le32 0; frame 32; } > "$dir/one_frame"
{ le32 80; le32 0; frame 32; frame 48; } > "$dir/two_frames"
{ le32 $((4096 + 32)); le32 0; le32 $((0x80000000 | 4096)); zeros 4092; frame 32; } > "$dir/padding"
{ le32 0; le32 $((32 * 64)); zeros 4096; printf '\050'; } > "$dir/rewind"
{ le32 16; le32 0; frame 32; } > "$dir/short_publish"
