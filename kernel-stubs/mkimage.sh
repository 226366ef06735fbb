#!/bin/sh
# Builds a bootable GRUB (Multiboot2) ISO: mkimage.sh OUT.iso DIR GRUB.CFG FILE...
# copies GRUB.CFG and the FILEs (kernel, programs) into DIR/boot and runs
# grub-mkrescue, which prints its log only when it fails. The ISO boots in
# QEMU (-cdrom) and can be written to a USB stick.
set -eu
iso=$1
dir=$2
cfg=$3
shift 3
mkdir -p "$dir/boot/grub"
cp "$cfg" "$dir/boot/grub/grub.cfg"
cp "$@" "$dir/boot/"
if ! grub-mkrescue -o "$iso" "$dir" >"$iso.log" 2>&1; then
	cat "$iso.log" >&2
	exit 1
fi
