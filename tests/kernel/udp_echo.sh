#!/bin/sh
# The network path end to end: boots the reference system with a network
# card (run-qemu.sh --udp-forward) and, at the shell's prompt, sends from
# the host to 127.0.0.1:PORT, which reaches udpecho on the guest's port 7:
#
#  1. 200 datagrams of 1 to 1472 bytes, one client: each echo must come
#     back byte for byte (a lost one is sent again, at most 5 times, and
#     counted);
#  2. four clients at once, 50 datagrams each: each gets its own echoes;
#
# then runs ifconfig and netstat in the shell: the counters must show the
# traffic and no malformed frame, and udpecho's socket must be listed.
#
# With "restart": echoes, then `kill ethernet` (the driver; the network
# server loses its link and ends, udpecho its server), echoes again once
# init has started both again, then `kill net`, and echoes again.
#
#   udp_echo.sh BUILD_DIR [restart]
set -u
build=$1
mode=${2:-echo}
here=$(cd "$(dirname "$0")" && pwd)
client=$build/tests/kernel/udp_echo_client
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
port=$("$client" --free-port)
if [ "$mode" = restart ]; then
	# Each client waits up to 60 s for the echo service to answer again: the
	# driver and the server start again at once, slowly on a busy machine.
	echo_once() {
		echo "!\"$client\" $port --datagrams 20 --ready-s 60 >\"$out/$1\" 2>&1; echo \"exit status \$?\" >>\"$out/$1\""
	}
	{
		echo_once before
		echo "kill ethernet"
		echo_once after-driver
		echo "kill net"
		echo_once after-server
		echo "netstat"
		echo "poweroff"
	} >"$out/session"
else
	cat >"$out/session" <<SESSION
!"$client" $port --datagrams 200 --min 1 --max 1472 >"$out/one" 2>&1; echo "exit status \$?" >>"$out/one"
!"$client" $port --clients 4 --datagrams 50 --min 1 --max 1472 >"$out/four" 2>&1; echo "exit status \$?" >>"$out/four"
ifconfig
netstat
poweroff
SESSION
fi
IDLK_PCI_TRACE=$out/pci-trace "$here/../../kernel-stubs/run-qemu.sh" --udp-forward "$port" \
	--session "$out/session" "$out/transcript" --timeout 240 "$build" 2>"$out/stderr"
status=$?
cat "$out/transcript"
bad=0
. "$here/transcript.sh"
expect() { # FILE TEXT
	expect_in "$1" "$2"
}
if [ "$mode" = restart ]; then
	for run in before after-driver after-server; do
		echo "---- $run ----"
		cat "$out/$run"
		expect "$out/$run" "1 client, 20 datagrams of 1 to 1472 bytes: every one echoed byte for byte"
		expect "$out/$run" "exit status 0"
	done
	expect "$out/transcript" "init: stopping eth, as the shell asked"
	expect "$out/transcript" "init: stopping net, as the shell asked"
	expect "$out/transcript" "udp    0.0.0.0:7"
	# The driver started again resets the card before it turns bus
	# mastering back on (QEMU's log of the card's command register and of
	# virtio status): a card its dead driver left running must not reach
	# memory through that driver's rings.
	order=$(awk '
		function hex(s,  v, i) {
			v = 0
			for (i = 3; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		/virtio-net-pci .* @0x4 <- / {
			v = hex($NF)
			if (v % 8 == 0) {
				released = 1 # no I/O, memory or master: off, or released
				reset = 0
			} else if (released && int(v / 4) % 2 == 1) {
				print(reset ? "reset first" : "master before reset")
				released = 0
			}
		}
		/virtio_set_status .* val 0$/ { if (released) reset = 1 }
	' "$out/pci-trace")
	echo "card turned on, each time after the driver's claim:" $order
	# Once at boot, once after `kill ethernet`; never bus mastering first.
	if [ "$(printf '%s\n' "$order" | grep -c '^reset first$')" -lt 2 ] ||
		printf '%s\n' "$order" | grep -q 'master before reset'; then
		echo "FAIL: a driver turned bus mastering on before it reset the card"
		bad=1
	fi
	[ "$status" -ne 0 ] && echo "FAIL: the guest did not report success" && bad=1
	[ "$bad" -eq 0 ] && echo "PASS: udpecho answered before and after the driver and the server were killed"
	exit "$bad"
fi
echo "---- one client ----"
cat "$out/one"
echo "---- four clients ----"
cat "$out/four"
echo "---- run-qemu.sh's standard error ----"
cat "$out/stderr"
strip_log_lines "$out/transcript" "$out/shell"
expect "$out/one" "1 client, 200 datagrams of 1 to 1472 bytes: every one echoed byte for byte"
expect "$out/one" "exit status 0"
expect "$out/four" "4 clients, 200 datagrams of 1 to 1472 bytes: every one echoed byte for byte"
expect "$out/four" "exit status 0"
expect "$out/shell" "eth0: flags UP,RUNNING,BROADCAST mtu 1500"
expect "$out/shell" "inet 10.0.2.15/24"
expect "$out/shell" "gateway 10.0.2.2"
expect "$out/shell" "dropped 0 malformed, 0 fragments"
expect "$out/shell" "udp    0.0.0.0:7"
# Every datagram and its echo crossed the link: at least 400 of each way
# (the probes before, retries and ARP add a few).
frames=$(sed -n 's/.*received \([0-9]*\) frames.*sent \([0-9]*\) frames.*/\1 \2/p' "$out/shell")
set -- $frames
if [ $# -ne 2 ] || [ "$1" -lt 400 ] || [ "$2" -lt 400 ]; then
	echo "ifconfig's counters do not show the traffic: received/sent '$frames'"
	bad=1
fi
[ "$status" -ne 0 ] && echo "FAIL: the guest did not report success" && bad=1
[ "$bad" -eq 0 ] && echo "PASS: udpecho echoed every datagram byte for byte, to one client and to four at once"
exit "$bad"
