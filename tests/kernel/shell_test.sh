#!/bin/sh
# Runs a scripted session of the reference system's shell and compares what
# the shell printed with the expected transcript.
#
#   shell_test.sh BUILD_DIR NAME [DISK]
#
# Types shell/NAME.txt into the shell (a line after each prompt) on DISK (a
# fresh copy of the built image by default) and compares the transcript,
# from the first prompt on, with shell/NAME.expected. Lines the servers and
# init log meanwhile (init:, fs:, pci:, blk:, net:, console:) are left out,
# wherever they land, since they come when they come; inode numbers, which
# depend on where mkfs.fat and mtools put entries, read "inode N". BOOT_KVM=1 boots under KVM.
set -u
build=$1
name=$2
disk=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
set -- --session "$here/shell/$name.txt" "$out/transcript" --timeout 120
[ -n "$disk" ] && set -- "$@" --disk "$disk"
[ "${BOOT_KVM:-}" = 1 ] && set -- --kvm "$@"
"$here/../../kernel-stubs/run-qemu.sh" "$@" "$build" 2>"$out/stderr"
status=$?
# A server's line may land in the middle of the shell's (they share COM1):
# cut whole log lines out wherever they start.
. "$here/transcript.sh"
strip_log_lines "$out/transcript" "$out/stripped"
sed -n '/^\$ /,$p' "$out/stripped" | sed -E 's/inode [0-9]+/inode N/' >"$out/shell"
if ! diff -u "$here/shell/$name.expected" "$out/shell"; then
	echo "---- the whole transcript ----"
	cat "$out/transcript"
	echo "FAIL: the shell's transcript differs from shell/$name.expected"
	exit 1
fi
if [ "$status" -ne 0 ]; then
	cat "$out/transcript" "$out/stderr"
	echo "FAIL: the guest did not report success"
	exit 1
fi
echo "PASS: the shell's transcript is shell/$name.expected"
