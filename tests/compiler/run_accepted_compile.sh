#!/bin/sh
# run_accepted_compile.sh IDLC CC SOURCE_DIR: what idlc accepts, C accepts.
# Every description of the front end's fuzz corpus, the evolution test and
# the example that idlc compiles without an error is generated and its C
# compiled with CC -std=c11 -Wall -Wextra -Wpedantic -Werror -O2, freestanding;
# a description that makes idlc write C a compiler refuses fails the test.
set -u
idlc=$1
cc=$2
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
accepted=0
failed=0
bounds=
case $(basename "$cc") in gcc*) bounds=-Warray-bounds=2 ;; esac
cxx=
case $(basename "$cc") in
gcc*) command -v g++ >/dev/null && cxx=g++ ;;
clang*) command -v clang++ >/dev/null && cxx=clang++ ;;
esac
for idl in "$src"/tests/fuzz/corpus_front_end/*.idl "$src"/tests/evolution/v*/evo.idl \
	"$src"/examples/greeter/idl/*.idl; do
	out="$tmp/$accepted-$(basename "$idl" .idl)"
	mkdir -p "$out"
	"$idlc" -I "$src/idl" -I "$(dirname "$idl")" "$idl" -o "$out" >/dev/null 2>&1 || continue
	accepted=$((accepted + 1))
	# The headers are C++'s too: each with the C++ compiler of CC's family.
	if [ -n "$cxx" ]; then
		for h in "$out"/*.h; do
			[ "$(basename "$h")" = idl_wire.h ] && continue
			printf '#include "%s"\n' "$(basename "$h")" >"$out/user.cpp"
			if ! "$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror -fsyntax-only \
				-I"$out" "$out/user.cpp" 2>"$out.err"; then
				echo "FAIL: idlc accepted $idl, but $cxx refuses $(basename "$h"):"
				head -5 "$out.err"
				failed=$((failed + 1))
			fi
		done
	fi
	for c in "$out"/*.c; do
		# Compiled at -O2, where gcc's array-bounds checks look across
		# inlined calls (-Warray-bounds=2: gcc only).
		if ! "$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -ffreestanding -O2 $bounds \
			-c -o /dev/null -I"$out" "$c" 2>"$out.err"; then
			echo "FAIL: idlc accepted $idl, but $cc refuses $(basename "$c"):"
			head -5 "$out.err"
			failed=$((failed + 1))
		fi
	done
done
[ "$accepted" -gt 5 ] || {
	echo "FAIL: only $accepted descriptions accepted; the corpus is missing"
	exit 1
}
echo "$accepted accepted descriptions, $failed failures"
[ "$failed" -eq 0 ]
