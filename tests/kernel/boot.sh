#!/bin/sh
# Boots a reference-system image in QEMU (run-qemu.sh: TCG, headless), feeds
# INPUT on the serial line, and checks the serial log and the guest's exit.
#
#   boot.sh ISO EXPECTED INPUT [TIMEOUT]
#
# EXPECTED holds one fixed string per line, each of which must appear in the
# serial log. The guest reports success by writing 0x10 to isa-debug-exit,
# which run-qemu.sh turns into status 0; anything else fails (with
# -no-reboot a triple fault makes QEMU exit with 0, a kernel panic with 3, a
# timeout with 124: none of them is success). BOOT_DISK names a disk image
# to attach (else none); BOOT_KVM=1 boots under KVM (kvm.sh).
set -u
iso=$1
expected=$2
input=$3
limit=${4:-60}
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
build=$(cd "$(dirname "$iso")/.." && pwd)
set -- --image "$(basename "$iso")" --timeout "$limit"
if [ -n "${BOOT_DISK:-}" ]; then
	set -- "$@" --disk "$BOOT_DISK"
else
	set -- "$@" --no-disk
fi
[ "${BOOT_KVM:-}" = 1 ] && set -- --kvm "$@"
"$here/../../kernel-stubs/run-qemu.sh" "$@" "$build" <"$input" >"$log" 2>&1
status=$?

echo "---- serial log ----"
cat "$log"
echo "---- run-qemu.sh exit status $status ----"
bad=0
# A line the kernel's debug log writes (whole) may land inside one the
# console server writes; look in a copy with such lines cut out too.
stripped=$(mktemp)
trap 'rm -f "$log" "$stripped"' EXIT
. "$here/transcript.sh"
strip_log_lines "$log" "$stripped" 'fault|hostile[a-z-]*|sysfuzz'
while IFS= read -r line; do
	[ -z "$line" ] && continue
	if ! grep -qaF -- "$line" "$log" && ! grep -qaF -- "$line" "$stripped"; then
		echo "missing from the serial log: $line"
		bad=1
	fi
done <"$expected"
if [ "$status" -ne 0 ]; then
	echo "FAIL: the guest did not report success"
	bad=1
fi
[ "$bad" -eq 0 ] && echo "PASS"
exit "$bad"
