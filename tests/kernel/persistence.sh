#!/bin/sh
# Persistence: a first boot writes files through the shell, a second boot on
# the same disk image reads them back, and the host's mtools and fsck.fat
# agree with what the system wrote.
#
#   persistence.sh BUILD_DIR
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
disk=$out/disk.img
cp "$build/kernel-stubs/disk.img" "$disk"
sh "$here/shell_test.sh" "$build" persist-write "$disk" || exit 1
sh "$here/shell_test.sh" "$build" persist-read "$disk" || exit 1
export MTOOLS_SKIP_CHECK=1
bad=0
check() {
	if [ "$1" != "$2" ]; then
		echo "FAIL: $3: the host sees \"$1\", not \"$2\""
		bad=1
	fi
}
check "$(mtype -i "$disk" ::/saved/uno.txt)" "written by the first boot" "/saved/uno.txt"
check "$(mtype -i "$disk" "::/saved/two words.txt")" "a name with spaces" "/saved/two words.txt"
if mtype -i "$disk" ::/saved/one.txt >/dev/null 2>&1; then
	echo "FAIL: /saved/one.txt was renamed, yet the host still finds it"
	bad=1
fi
mdir -i "$disk" ::/saved
fsck=$(command -v fsck.fat || echo /usr/sbin/fsck.fat)
if ! "$fsck" -n "$disk"; then
	echo "FAIL: fsck.fat finds the file system the system wrote damaged"
	bad=1
fi
[ "$bad" -eq 0 ] && echo "PASS: both boots and the host agree"
exit "$bad"
