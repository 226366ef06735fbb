#!/bin/sh
# piped.sh BUILD_DIR: a script piped into the shell faster than it runs
# (no waiting for prompts, as `printf ... | run-qemu.sh` does): 400 lines
# that append to one file, then poweroff. Every line must land, whole and
# in order: the console leaves what its input ring cannot hold in the
# UART, which holds the pipe back, where it used to drop it (280 of 400
# lines landed, two of them spliced into one).
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$build/kernel-stubs/disk.img" "$tmp/disk.img"
i=0
while [ $i -lt 400 ]; do
	printf 'echo line %03d of a piped script >> /log.txt\n' $i
	i=$((i + 1))
done >"$tmp/script"
echo poweroff >>"$tmp/script"
"$here/../../kernel-stubs/run-qemu.sh" --disk "$tmp/disk.img" --timeout 200 "$build" \
	<"$tmp/script" >"$tmp/log" 2>&1
status=$?
if [ $status -ne 0 ]; then
	echo "FAIL: the piped session ended with status $status"
	tail -20 "$tmp/log"
	exit 1
fi
mtype -i "$tmp/disk.img" ::/log.txt >"$tmp/got" || {
	echo "FAIL: no /log.txt on the disk"
	exit 1
}
i=0
while [ $i -lt 400 ]; do
	printf 'line %03d of a piped script\n' $i
	i=$((i + 1))
done >"$tmp/want"
if ! cmp -s "$tmp/want" "$tmp/got"; then
	echo "FAIL: /log.txt has $(wc -l <"$tmp/got") lines, not the 400 piped in order:"
	diff "$tmp/want" "$tmp/got" | head -10
	exit 1
fi
echo "400 piped lines landed whole and in order"
