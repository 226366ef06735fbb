#!/bin/sh
# Compiles the runtime's freestanding core (runtime/src) with gcc and clang,
# -ffreestanding -nostdlib, at the strictest warning level: it must build in
# a kernel, with only the OS port's four functions left to provide.
set -eu
root=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for cc in gcc clang; do
	command -v "$cc" >/dev/null || { echo "$cc missing" >&2; exit 1; }
	# No include directory but the compiler's own: nothing from a C library.
	own=$("$cc" -print-file-name=include)
	for f in "$root"/runtime/src/*.c; do
		"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -ffreestanding -fno-builtin -nostdlib \
			-nostdinc -isystem "$own" \
			-I "$root/runtime/include" -I "$root/compiler/support" \
			-O2 -c "$f" -o "$out/$(basename "$f" .c).$cc.o"
	done
done
echo "runtime core builds freestanding with gcc and clang"
