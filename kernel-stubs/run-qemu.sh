#!/bin/sh
# Boots the reference system headless, serial console on this terminal. The
# demo prints, reads a line you type, and then makes QEMU exit on its own.
#
#   run-qemu.sh [--kvm] [--faults | --hostile] [BUILD_DIR]   (BUILD_DIR defaults to build/)
#
# TCG is the default: it starts a small kernel in a fraction of a second.
# --kvm is for timing runs on a machine with hardware virtualization; it
# checks for it first (hwvirt.sh) and refuses at once where there is none.
# It keeps QEMU's default CPU model, since -cpu host and -cpu max abort under
# nested KVM.
# Exit status: 0 when the guest reported success, 1 otherwise, 2 when --kvm
# is refused.
set -u
accel=""
iso=idlk.iso
while [ $# -gt 0 ]; do
	case $1 in
	--kvm)
		if ! why=$("$(dirname "$0")/hwvirt.sh"); then
			echo "run-qemu.sh: --kvm refused: $why." >&2
			echo "run-qemu.sh: the reference kernel runs under QEMU's TCG here: leave out --kvm." >&2
			exit 2
		fi
		accel="-accel kvm"
		;;
	--faults) iso=idlk-faults.iso ;;
	--hostile) iso=idlk-hostile.iso ;;
	*) break ;;
	esac
	shift
done
build=${1:-$(dirname "$0")/../build}
image=$build/kernel-stubs/$iso
if [ ! -f "$image" ]; then
	echo "run-qemu.sh: no image at $image; build first (cmake --build $build)" >&2
	exit 1
fi
# shellcheck disable=SC2086
timeout 300 qemu-system-x86_64 $accel -cdrom "$image" -m 128M -serial stdio -display none \
	-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
status=$?
# isa-debug-exit: the guest wrote 0x10, QEMU exits with (0x10 << 1) | 1.
if [ "$status" -eq 33 ]; then
	exit 0
fi
echo "run-qemu.sh: the guest did not report success (QEMU exit status $status)" >&2
exit 1
