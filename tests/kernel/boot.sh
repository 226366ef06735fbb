#!/bin/sh
# Boots a reference-system image in QEMU (TCG, headless), feeds INPUT on the
# serial line, and checks the serial log and the guest's exit status.
#
#   boot.sh ISO EXPECTED INPUT [TIMEOUT]
#
# BOOT_ACCEL, if set, is passed to QEMU (kvm.sh sets "-accel kvm").
#
# EXPECTED holds one fixed string per line, each of which must appear in the
# serial log. The guest reports success by writing 0x10 to isa-debug-exit,
# which makes QEMU exit with status 33. Anything else fails: with -no-reboot a
# triple fault makes QEMU exit with 0, a kernel panic gives 3, a timeout 124.
set -u
iso=$1
expected=$2
input=$3
limit=${4:-60}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# shellcheck disable=SC2086
timeout "$limit" qemu-system-x86_64 ${BOOT_ACCEL:-} -cdrom "$iso" -m 128M -serial stdio -display none \
	-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 <"$input" >"$log" 2>&1
status=$?

echo "---- serial log ----"
cat "$log"
echo "---- QEMU exit status $status ----"
bad=0
while IFS= read -r line; do
	[ -z "$line" ] && continue
	if ! grep -qF -- "$line" "$log"; then
		echo "missing from the serial log: $line"
		bad=1
	fi
done <"$expected"
if [ "$status" -ne 33 ]; then
	echo "FAIL: QEMU exited with $status, not 33 (the guest's success code)"
	bad=1
fi
[ "$bad" -eq 0 ] && echo "PASS"
exit "$bad"
