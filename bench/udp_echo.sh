#!/bin/sh
# UDP echo round trips from the host through QEMU to the reference system's
# udpecho and back, against the same client and an echo thread on the
# host's loopback (the peer: what the host's own UDP costs).
#
#   bench/udp_echo.sh [BUILD_DIR] [RUNS] [DATAGRAMS] [BYTES] [--kvm]
#
# Defaults: build/, 3 runs (each a boot), 2000 datagrams of 64 bytes each,
# under TCG (--kvm where hwvirt.sh allows it). One datagram at a time: the
# figure is latency-bound, as a request/reply protocol is. Each run also
# reads ifconfig before and after the traffic, and divides the messages the
# network server exchanged with the link driver and with its socket
# clients (udpecho) by the datagrams echoed: the IPC each datagram cost.
set -u
build=${1:-build}
runs=${2:-3}
count=${3:-2000}
bytes=${4:-64}
accel=""
[ "${5:-}" = --kvm ] && accel=--kvm
here=$(cd "$(dirname "$0")" && pwd)
client=$build/tests/kernel/udp_echo_client
[ -x "$client" ] || {
	echo "udp_echo.sh: build first ($client is missing)" >&2
	exit 1
}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
. "$here/../tests/kernel/transcript.sh"

# The counters ifconfig printed: "link socket received" messages and frames.
counters() {
	sed -n 's/.*messages: \([0-9]*\) with the link driver, \([0-9]*\) with socket clients.*/\1 \2/p' "$1"
}

echo "UDP echo, $count datagrams of $bytes bytes one at a time, $runs runs ($([ -n "$accel" ] && echo KVM || echo TCG))"
run=1
while [ "$run" -le "$runs" ]; do
	port=$("$client" --free-port)
	cat >"$out/session" <<SESSION
ifconfig
!"$client" $port --datagrams $count --min $bytes --max $bytes --rtt >"$out/guest" 2>&1
ifconfig
poweroff
SESSION
	# shellcheck disable=SC2086
	if ! "$here/../kernel-stubs/run-qemu.sh" $accel --udp-forward "$port" --session \
		"$out/session" "$out/transcript" --timeout 600 "$build" 2>"$out/qemu.err"; then
		echo "run $run: the guest did not finish:" >&2
		cat "$out/qemu.err" >&2
		exit 1
	fi
	"$client" --loopback --datagrams "$count" --min "$bytes" --max "$bytes" --rtt >"$out/host" 2>&1
	strip_log_lines "$out/transcript" "$out/shell"
	set -- $(counters "$out/shell")
	if [ $# -ne 4 ]; then
		echo "run $run: no ifconfig counters in the transcript" >&2
		exit 1
	fi
	link=$(($3 - $1))
	sockets=$(($4 - $2))
	guest=$(sed -n 's/^rtt: \(.*\)/\1/p' "$out/guest")
	host=$(sed -n 's/^rtt: \(.*\)/\1/p' "$out/host")
	g_rate=$(echo "$guest" | sed -n 's/.*: \([0-9]*\) per second.*/\1/p')
	h_rate=$(echo "$host" | sed -n 's/.*: \([0-9]*\) per second.*/\1/p')
	echo "run $run:"
	echo "  guest:         $guest"
	echo "  host loopback: $host"
	grep -h "retried" "$out/guest" | sed 's/^/  /'
	# The probes before the run add a few datagrams; count those the client sent.
	awk -v l="$link" -v s="$sockets" -v n="$count" -v g="$g_rate" -v h="$h_rate" 'BEGIN {
		printf "  per datagram: %.2f messages with the link driver + %.2f with udpecho = %.2f\n",
		       l / n, s / n, (l + s) / n
		if (g > 0) printf "  host loopback / guest round trips per second: %.0fx\n", h / g
	}'
	run=$((run + 1))
done
