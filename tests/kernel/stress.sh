#!/bin/sh
# The stress image, with a network card: a hostile client sends malformed
# frames to the file, PCI, block and network servers and scribbles on its
# channels to them (each must cut it off, and refuse what it must); two
# programs then read different large files at the same time (each must get
# the bytes the host has); a third keeps twelve block requests in flight at
# once; and the shell must be served as usual afterwards, and udpecho must
# still answer the host.
#
#   stress.sh BUILD_DIR
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export MTOOLS_SKIP_CHECK=1
disk=$build/kernel-stubs/disk.img
large=$(mtype -i "$disk" ::/data/large.txt | crc32 /dev/stdin)
numbers=$(mtype -i "$disk" ::/data/numbers.txt | crc32 /dev/stdin)
client=$build/tests/kernel/udp_echo_client
port=$("$client" --free-port)
{
	echo "!\"$client\" $port --datagrams 50 >\"$out/echo\" 2>&1; echo \"exit status \$?\" >>\"$out/echo\""
	cat "$here/shell/stress.txt"
} >"$out/session"
"$here/../../kernel-stubs/run-qemu.sh" --image idlk-stress.iso --udp-forward "$port" \
	--session "$out/session" "$out/transcript" --timeout 120 "$build" 2>/dev/null
status=$?
cat "$out/transcript"
echo "---- udp_echo_client ----"
cat "$out/echo"
bad=0
. "$here/transcript.sh"
strip_log_lines "$out/transcript" "$out/shell"
expect() {
	expect_in "$out/transcript" "$1"
}
for server in fs pci block net; do
	expect "scribbler: $server after a malformed frame: cut off"
	expect "scribbler: $server after scribbling on the channel: cut off"
done
expect "scribbler: 40 of 40 calls answered while another client kept the doorbell clear"
expect "overreach: block: a session ended with writes queued; bytes of the next session's buffer on the disk: 0"
expect "overreach: pci: a claim of the ISA bridge: ACCESS"
expect "overreach: directory: publishing \"block\": ACCESS"
expect "overreach: fs: 4 sessions, then TOO_MANY"
expect "overreach: net: 16 sockets over two sessions, then TOO_MANY"
expect "overreach: every server kept each client to its share"
expect "scribbler: the servers refused what they must"
expect "init: scribbler ended with status 0"
expect "reader: /data/large.txt: 2600000 bytes, crc32 $large"
expect "reader: /data/numbers.txt: 1988895 bytes, crc32 $numbers"
expect "init: the readers ended with status 0 and 0"
expect "blkcheck: 12 reads in flight at once, 12 answered, 12 match the same sectors read one at a time"
expect "blkcheck: a lookup of pci: ACCESS"
# How many of them were on the device at once depends on when the device
# answered; never more than the driver's 8 slots.
if ! grep -qaE "24 requests; at most [1-8] requests on the device at once" "$out/transcript"; then
	echo "missing from the transcript: 24 requests; at most 1 to 8 requests on the device at once"
	bad=1
fi
expect_in "$out/shell" "$numbers"
expect "init: the shell exited with status 0"
if ! grep -qaF "1 client, 50 datagrams of 1 to 1472 bytes: every one echoed byte for byte" "$out/echo" ||
	! grep -qaF "exit status 0" "$out/echo"; then
	echo "udpecho did not answer after the attack"
	bad=1
fi
[ "$status" -ne 0 ] && echo "FAIL: the guest did not report success" && bad=1
[ "$bad" -eq 0 ] && echo "PASS: the servers cut the hostile client off alone and served the rest; udpecho answers"
exit "$bad"
