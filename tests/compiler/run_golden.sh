#!/bin/sh
# Golden test of generated code: idlc's output for golden/*.idl must equal
# golden/expected/ byte for byte, and build freestanding with gcc and clang.
# After an intended change to the generator, refresh it with
#   cd tests/compiler/golden && idlc shapes.idl -o expected --emit=header,source,json
# (from inside golden/, so that paths in the JSON are relative).
set -eu
idlc=$1
dir=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$dir"
for idl in *.idl; do
	"$idlc" "$idl" -o "$out" --emit=header,source,json
done
if ! diff -ru expected "$out"; then
	echo "generated code differs from $dir/expected" >&2
	exit 1
fi
"$idlc" ./*.idl -o "$out" --emit=support
for cc in gcc clang; do
	for c in "$out"/*.c; do
		"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -ffreestanding -O2 -c "$c" -o "$out/x.o"
	done
done
echo "golden generated code matches and builds freestanding"
