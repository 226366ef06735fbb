#!/bin/sh
# Boots the reference system headless, its serial console on this terminal:
# the shell, on a copy of the built disk image, until `poweroff`.
#
#   run-qemu.sh [OPTIONS] [BUILD_DIR]          (BUILD_DIR defaults to build/)
#
#   --kvm               KVM instead of TCG, where the CPU has hardware
#                       virtualization (hwvirt.sh); refused at once elsewhere
#   --disk IMAGE        attach IMAGE (changes stay in it); default: a copy of
#                       BUILD_DIR/kernel-stubs/disk.img, so a run does not
#                       change the build
#   --no-disk           no disk (the images without a file system)
#   --demo | --faults | --hostile
#                       the console demo, fault test or hostile test image
#   --image FILE.iso    another image of BUILD_DIR/kernel-stubs
#   --session SCRIPT TRANSCRIPT
#                       type SCRIPT into the shell line by line, each after
#                       the prompt, and write what the system printed to
#                       TRANSCRIPT (tests/kernel/session.pl)
#   --timeout SECONDS   give up after this long (default 300)
#   --udp-forward PORT  a virtio-net card whose only link is udp_forward
#                       (kernel-stubs/host/udp_forward.c): UDP port PORT of
#                       127.0.0.1 is forwarded to the guest's port 7, where
#                       udpecho answers, and the guest reaches nothing else
#                       (it is what QEMU's user-mode network with restrict=on
#                       and hostfwd=udp:127.0.0.1:PORT-:7 promises, and with
#                       Debian 12's libslirp cannot do: see udp_forward.c);
#                       IDLK_NET_DUMP=FILE.pcap records the link's frames
#
# IDLK_PCI_TRACE=FILE has QEMU log every PCI configuration write and virtio
# status change to FILE (tests/kernel/udp_echo.sh checks the drivers' order).
#
# When standard input is not a terminal, what it supplies is typed into the
# shell. TCG is the default: it starts this small system in a second or two.
# --kvm keeps QEMU's default CPU model, since -cpu host and -cpu max abort
# under nested KVM. The machine is q35, for the modern (virtio 1.x) PCI
# devices; the disk is virtio-blk with the legacy interface off.
#
# Exit status: 0 when the guest reported success (isa-debug-exit), 1
# otherwise, 2 when --kvm is refused.
set -u
here=$(cd "$(dirname "$0")" && pwd)
accel=""
iso=idlk.iso
disk=""
use_disk=yes
session=""
transcript=""
limit=300
udp_port=""
while [ $# -gt 0 ]; do
	case $1 in
	--kvm)
		if ! why=$("$here/hwvirt.sh"); then
			echo "run-qemu.sh: --kvm refused: $why." >&2
			echo "run-qemu.sh: the reference kernel runs under QEMU's TCG here: leave out --kvm." >&2
			exit 2
		fi
		accel="-accel kvm"
		;;
	--disk)
		disk=$2
		shift
		;;
	--no-disk) use_disk=no ;;
	--demo) iso=idlk-demo.iso use_disk=no ;;
	--faults) iso=idlk-faults.iso use_disk=no ;;
	--hostile) iso=idlk-hostile.iso use_disk=no ;;
	--image)
		iso=$2
		shift
		;;
	--session)
		session=$2
		transcript=$3
		shift 2
		;;
	--timeout)
		limit=$2
		shift
		;;
	--udp-forward)
		udp_port=$2
		shift
		;;
	*) break ;;
	esac
	shift
done
build=${1:-$here/../build}
image=$build/kernel-stubs/$iso
if [ ! -f "$image" ]; then
	echo "run-qemu.sh: no image at $image; build first (cmake --build $build)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
drive=""
if [ "$use_disk" = yes ]; then
	if [ -z "$disk" ]; then
		disk=$tmp/disk.img
		cp "$build/kernel-stubs/disk.img" "$disk" || exit 1
	fi
	drive="-drive file=$disk,if=none,id=disk0,format=raw -device virtio-blk-pci,drive=disk0,disable-legacy=on"
fi
nic="-nic none"
forwarder=""
if [ -n "$udp_port" ]; then
	# The card's frames go over a pair of Unix datagram sockets to
	# udp_forward and nowhere else.
	"$build/kernel-stubs/udp_forward" "$udp_port" "$tmp/link.sock" "$tmp/qemu.sock" &
	forwarder=$!
	trap 'kill $forwarder 2>/dev/null; wait $forwarder; rm -rf "$tmp"' EXIT
	tries=0
	while [ ! -S "$tmp/link.sock" ]; do
		tries=$((tries + 1))
		if [ $tries -gt 100 ] || ! kill -0 $forwarder 2>/dev/null; then
			echo "run-qemu.sh: udp_forward did not start" >&2
			exit 1
		fi
		sleep 0.05
	done
	nic="-netdev dgram,id=net0,local.type=unix,local.path=$tmp/qemu.sock,remote.type=unix,remote.path=$tmp/link.sock
		-device virtio-net-pci,netdev=net0,disable-legacy=on"
	# IDLK_NET_DUMP=FILE.pcap: every frame of the link, both ways, for
	# tcpdump or wireshark (and the captured frames of tests/net).
	[ -n "${IDLK_NET_DUMP:-}" ] && nic="$nic -object filter-dump,id=dump0,netdev=net0,file=$IDLK_NET_DUMP"
fi
machine="-machine q35 -boot d -m 128M -display none -no-reboot $nic
	-device isa-debug-exit,iobase=0xf4,iosize=0x04"
# IDLK_PCI_TRACE=FILE: QEMU's log of every PCI configuration write and
# virtio status change, in order (the order drivers turn devices on in).
[ -n "${IDLK_PCI_TRACE:-}" ] &&
	machine="$machine -d trace:pci_cfg_write,trace:virtio_set_status -D $IDLK_PCI_TRACE"
if [ -n "$session" ]; then
	socket=$tmp/serial
	# shellcheck disable=SC2086
	SESSION_SOCKET=$socket perl "$here/../tests/kernel/session.pl" "$session" "$transcript" \
		"$limit" -- qemu-system-x86_64 $accel $machine -cdrom "$image" $drive \
		-serial "unix:$socket,server=on,wait=on"
	status=$?
else
	# timeout runs its command in a process group of its own, which the
	# terminal stops as soon as QEMU reads from it: on a terminal, QEMU
	# stays in the foreground (it has no children for timeout to miss).
	foreground=""
	[ -t 0 ] && foreground=--foreground
	# shellcheck disable=SC2086
	timeout $foreground "$limit" qemu-system-x86_64 $accel $machine -cdrom "$image" $drive \
		-serial stdio
	status=$?
fi
# isa-debug-exit: the guest wrote 0x10, QEMU exits with (0x10 << 1) | 1.
if [ "$status" -eq 33 ]; then
	exit 0
fi
echo "run-qemu.sh: the guest did not report success (QEMU exit status $status)" >&2
exit 1
