#!/bin/sh
# run_compat_corpus.sh IDLC DIR: for every case DIR/NAME/ (old.idl, new.idl,
# expected.txt, maybe status, maybe other .idl files that both import),
# runs `IDLC --compat-with=old.idl new.idl`
# and compares everything it prints with expected.txt; the exit status
# must be the one in `status` (1 when there is none: the wire breaks).
#
# Each case runs a second time with OLD as idlc's JSON IR, written from
# old.idl at test time (so that it cannot go stale): the same diagnostics
# and status must come out. Only the notes differ, since they point into
# the JSON text instead of old.idl, so they are left out of that
# comparison.
set -u
idlc=$1
dir=$2
fail=0
count=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Drops each note and the source line and caret printed under it.
without_notes() {
	awk '/^[^ ].*: note: / { skip = 1; next } /^ / && skip { next } { skip = 0; print }'
}

for case_dir in "$dir"/*/; do
	name=$(basename "$case_dir")
	count=$((count + 1))
	want_status=1
	if [ -f "$case_dir/status" ]; then
		want_status=$(cat "$case_dir/status")
	fi
	rm -rf "${work:?}"/*
	# Any other .idl of the case is a file both versions import.
	cp "$case_dir"/*.idl "$work"/
	cd "$work" || exit 2
	timeout 20 "$idlc" --compat-with=old.idl new.idl >out.txt 2>&1
	status=$?
	if [ "$status" -ge 124 ]; then
		echo "FAIL $name: idlc crashed or hung (status $status)"
		fail=1
	elif [ "$status" -ne "$want_status" ]; then
		echo "FAIL $name: exit status $status, expected $want_status"
		fail=1
	fi
	if ! diff -u "$case_dir/expected.txt" out.txt; then
		echo "FAIL $name: output differs from $name/expected.txt (above)"
		fail=1
	fi
	if ! timeout 20 "$idlc" --emit=json -o . old.idl; then
		echo "FAIL $name: cannot write old.idl as JSON IR"
		fail=1
	else
		timeout 20 "$idlc" --compat-with=old.json new.idl >ir_out.txt 2>&1
		ir_status=$?
		if [ "$ir_status" -ne "$status" ]; then
			echo "FAIL $name: exit status $ir_status with OLD as JSON IR, $status with old.idl"
			fail=1
		fi
		without_notes <out.txt >out_without_notes.txt
		without_notes <ir_out.txt >ir_without_notes.txt
		if ! diff -u out_without_notes.txt ir_without_notes.txt; then
			echo "FAIL $name: diagnostics with OLD as JSON IR differ (above)"
			fail=1
		fi
	fi
	cd - >/dev/null || exit 2
done
if [ "$count" -eq 0 ]; then
	echo "FAIL: no cases in $dir"
	exit 1
fi
echo "$count cases checked, each with OLD as .idl and as JSON IR"
exit $fail
