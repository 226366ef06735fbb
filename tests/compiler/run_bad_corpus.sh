#!/bin/sh
# run_bad_corpus.sh IDLC DIR: runs `IDLC --check NAME.idl` from DIR for every
# NAME.idl there and compares everything it prints with NAME.expected. The
# exit status must be the one in NAME.status (1 when there is none: errors);
# a crash (status >= 128) or a hang (timeout, 124) always fails.
set -u
idlc=$1
dir=$2
fail=0
count=0
cd "$dir" || exit 2
for src in *.idl; do
	name=${src%.idl}
	count=$((count + 1))
	want_status=1
	if [ -f "$name.status" ]; then
		want_status=$(cat "$name.status")
	fi
	out=$(timeout 20 "$idlc" --check "$src" 2>&1)
	status=$?
	if [ "$status" -ge 124 ]; then
		echo "FAIL $name: idlc crashed or hung (status $status)"
		fail=1
		continue
	fi
	if [ "$status" -ne "$want_status" ]; then
		echo "FAIL $name: exit status $status, expected $want_status"
		fail=1
	fi
	if ! printf '%s\n' "$out" | diff -u "$name.expected" - >/dev/null; then
		echo "FAIL $name: output differs from $name.expected:"
		printf '%s\n' "$out" | diff -u "$name.expected" -
		fail=1
	fi
done
if [ "$count" -eq 0 ]; then
	echo "FAIL: no .idl files in $dir"
	exit 1
fi
echo "$count cases checked"
exit $fail
