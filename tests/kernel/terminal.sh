#!/bin/sh
# terminal.sh BUILD_DIR: the reference system booted the way a person boots
# it, with `kernel-stubs/run-qemu.sh BUILD_DIR` on a terminal (what
# `./run.sh` does there): script(1) gives it a pseudo-terminal, the shell
# takes "help" and "poweroff" from it, and the boot must end in success.
# A QEMU that the terminal stops (run by timeout in a process group of its
# own) never prints the shell's prompt, and the run times out.
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
command -v script >/dev/null 2>&1 || {
	echo "script(1) is missing (bsdutils)"
	exit 1
}
tmp=$(mktemp -d)
trap 'touch "$tmp/done"; rm -rf "$tmp"' EXIT
out=$tmp/out
# The lines wait for the shell's prompt in QEMU's input buffer; the writer
# keeps the terminal's input open until the run is over.
mkfifo "$tmp/in"
(
	printf 'help\npoweroff\n'
	while [ ! -e "$tmp/done" ]; do sleep 0.2; done
) >"$tmp/in" &
timeout 120 script -qec "$here/../../kernel-stubs/run-qemu.sh --timeout 60 $build" /dev/null \
	<"$tmp/in" >"$out" 2>&1
status=$?
touch "$tmp/done"
wait
if [ "$status" -ne 0 ] || ! grep -q "init: success; switching off" "$out"; then
	echo "FAIL: the boot on a terminal ended with status $status:"
	tail -20 "$out"
	exit 1
fi
grep -q "poweroff            end the session" "$out" || {
	echo "FAIL: the shell's help did not come back on the terminal"
	tail -20 "$out"
	exit 1
}
echo "the reference system boots on a terminal and powers off"
