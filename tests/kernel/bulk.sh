#!/bin/sh
# The bulk path: the shell's crc32 of the 2.6 MB file on the disk must equal
# the host's (crc32 from libarchive-zip-perl, of the file mtools reads out of
# the image), and the counters must show that its bytes went through the
# shared buffer, not the queue: libc's (printed by crc32) and the file
# server's (printed when the shell's session ends).
#
#   bulk.sh BUILD_DIR
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export MTOOLS_SKIP_CHECK=1
mtype -i "$build/kernel-stubs/disk.img" ::/data/large.txt >"$out/large.txt"
host=$(crc32 "$out/large.txt")
bytes=$(wc -c <"$out/large.txt" | tr -d ' ')
"$here/../../kernel-stubs/run-qemu.sh" --session "$here/shell/bulk.txt" "$out/transcript" \
	--timeout 120 "$build" 2>/dev/null
status=$?
cat "$out/transcript"
bad=0
. "$here/transcript.sh"
strip_log_lines "$out/transcript" "$out/shell"
expect_in "$out/shell" "$host"
expect_in "$out/shell" "crc32: $bytes bytes, $bytes through the shared buffer, 0 through the queue"
expect_in "$out/transcript" "0 bytes inline, $bytes bytes through its shared buffer"
[ "$status" -ne 0 ] && echo "FAIL: the guest did not report success" && bad=1
[ "$bad" -eq 0 ] && echo "PASS: crc32 $host in the guest and on the host; the bytes went through the shared buffer"
exit "$bad"
