#!/bin/sh
# A long run of the system-call fuzzer, on demand: builds the hostile image
# again with ROUNDS rounds per call and SEED, boots it, and checks it as
# kernel_hostile does.
#
#   tests/kernel/sysfuzz_long.sh [ROUNDS [SEED [BUILD_DIR]]]   (20000, a seed from the clock, build/)
set -eu
rounds=${1:-20000}
seed=${2:-$(date +%s)}
build=${3:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sed "s|sysfuzz.elf sysfuzz 200|sysfuzz.elf sysfuzz $rounds $seed|" \
	"$root/kernel-stubs/iso/grub-hostile.cfg" >"$out/grub.cfg"
grep -q "sysfuzz $rounds $seed" "$out/grub.cfg"
images=$build/kernel-stubs
# boot.sh boots BUILD/kernel-stubs/IMAGE: the image goes where it looks.
mkdir -p "$out/kernel-stubs"
"$root/kernel-stubs/mkimage.sh" "$out/kernel-stubs/long.iso" "$out/iso" "$out/grub.cfg" \
	"$images"/*.elf
echo "sysfuzz: $rounds rounds per call, seed $seed"
sh "$here/boot.sh" "$out/kernel-stubs/long.iso" "$here/hostile.expected" "$here/demo.input" 3600
