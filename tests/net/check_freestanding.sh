#!/bin/sh
# Compiles the network library (kernel-stubs/net) freestanding at the
# strictest warning level, with gcc and clang, and as the kernel's user
# programs are built (x86_64-unknown-elf, general registers only, no red
# zone), then checks that it needs nothing from outside but memcpy, memset
# and memcmp: it must link into a program of the reference system.
set -eu
root=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags="-std=c11 -Wall -Wextra -Wpedantic -Werror -ffreestanding -fno-builtin -nostdlib -nostdinc -O2"
inc="-I $root/kernel-stubs/net -I $root/kernel-stubs/include"
n=0
for cc in gcc clang "clang --target=x86_64-unknown-elf -mgeneral-regs-only -mno-red-zone"; do
	n=$((n + 1))
	mkdir "$out/$n"
	# No include directory but the compiler's own: nothing from a C library.
	# shellcheck disable=SC2086
	own="-isystem $($cc -print-file-name=include)"
	for f in "$root"/kernel-stubs/net/*.c; do
		# shellcheck disable=SC2086
		$cc $flags $own $inc -c "$f" -o "$out/$n/$(basename "$f" .c).o"
	done
done
# The last build is the kernel's: link it into one object and see what it needs.
ld -r -o "$out/net.o" "$out/$n"/*.o
undefined=$(nm -u "$out/net.o" | awk '{print $2}' | sort -u | tr '\n' ' ')
if [ "$undefined" != "memcmp memcpy memset " ]; then
	echo "the library needs more than memcmp, memcpy, memset: $undefined" >&2
	exit 1
fi
echo "the network library builds freestanding with gcc and clang and needs only memcmp, memcpy, memset"
