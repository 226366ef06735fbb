#!/bin/sh
# Compiles idlc's output for idl/ with gcc and clang, freestanding, at the
# strictest warning level: generated code must build in a kernel.
set -eu
idlc=$1
root=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$idlc" -I "$root/idl" "$root"/idl/*.idl -o "$out"
for cc in gcc clang; do
	command -v "$cc" >/dev/null || { echo "$cc missing" >&2; exit 1; }
	# No include directory but the compiler's own: nothing from a C library.
	own=$("$cc" -print-file-name=include)
	for f in "$out"/*.c; do
		"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -ffreestanding -fno-builtin -nostdlib \
			-nostdinc -isystem "$own" \
			-O2 -c "$f" -o "$out/$(basename "$f" .c).$cc.o"
	done
done
echo "generated code builds freestanding with gcc and clang"
