#!/bin/sh
# check_tutorial.sh IDLC SOURCE_DIR: docs/tutorial.md shows what a newcomer
# copies, so what it shows must be what there is. Each code block after a
# line "<!-- tutorial-check: file PATH -->" must be PATH exactly, and the
# block after "<!-- tutorial-check: output of the typo -->" must be what
# IDLC --check prints (after the block's first line, the command) for
# examples/greeter with "string<MAX_NAME>" misspelt "strin<MAX_NAME>".
set -u
idlc=$1
src=$2
case $idlc in /*) ;; *) idlc=$(pwd)/$idlc ;; esac
doc="$src/docs/tutorial.md"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# Writes block N (in order of the markers) to $tmp/block.N and its marker's
# words to $tmp/what.N.
awk -v dir="$tmp" '
	/^<!-- tutorial-check: .* -->$/ {
		n++
		what = $0
		sub(/^<!-- tutorial-check: /, "", what)
		sub(/ -->$/, "", what)
		print what > (dir "/what." n)
		want = 1
		next
	}
	want && /^```/ { want = 0; inside = 1; printf "" > (dir "/block." n); next }
	inside && /^```$/ { inside = 0; next }
	inside { print > (dir "/block." n) }
' "$doc"

checked=0
for what_file in "$tmp"/what.*; do
	[ -f "$what_file" ] || break
	n=${what_file##*.}
	what=$(cat "$what_file")
	block="$tmp/block.$n"
	[ -f "$block" ] || {
		echo "FAIL: no code block after the marker '$what'"
		fail=1
		continue
	}
	case "$what" in
	"file "*)
		path=${what#file }
		if ! diff -u "$src/$path" "$block" >"$tmp/diff"; then
			echo "FAIL: the tutorial's copy of $path differs from the file:"
			cat "$tmp/diff"
			fail=1
		fi
		;;
	"output of the typo")
		cp -r "$src/examples/greeter/idl" "$tmp/idl"
		sed 's/name: string<MAX_NAME>/name: strin<MAX_NAME>/' "$src/examples/greeter/idl/greeter.idl" \
			>"$tmp/idl/greeter.idl"
		(cd "$tmp" && "$idlc" --check -I idl idl/greeter.idl) >"$tmp/got" 2>&1
		tail -n +2 "$block" >"$tmp/want"
		if ! diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
			echo "FAIL: idlc's output for the misspelt type is not the tutorial's:"
			cat "$tmp/diff"
			fail=1
		fi
		;;
	*)
		echo "FAIL: unknown marker '$what'"
		fail=1
		;;
	esac
	checked=$((checked + 1))
done
[ "$checked" -ge 6 ] || {
	echo "FAIL: $checked checked blocks; the tutorial has at least 6"
	fail=1
}
[ "$fail" -eq 0 ] && echo "check_tutorial: $checked blocks are what they show"
exit "$fail"
