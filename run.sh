#!/bin/sh
# The main job: installs what is missing, builds everything out of tree in
# build/, compiles the service descriptions in idl/ into C in build/out/, and
# boots the reference system in QEMU with its serial console on this
# terminal: the shell, on a copy of the FAT32 disk image, with a network
# card whose only link is UDP port $IDLK_UDP_PORT (default 5555, or a free
# one if that is taken) of 127.0.0.1, forwarded to udpecho in the guest.
# Type `help`, and `poweroff` to end. When standard input is not a terminal,
# a short scripted session runs instead (kernel-stubs/run-session.txt: ls,
# cat, a write and a read back, crc32, lspci, then the host sends udpecho 20
# datagrams, then ifconfig, netstat, poweroff), typed prompt by prompt.
set -eu
cd "$(dirname "$0")"
sh .ci/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
./build/compiler/idlc -I idl idl/*.idl -o build/out --emit=header,source,support,json \
	--depfile build/out/idl.d
echo "idlc compiled $(ls idl/*.idl | wc -l) service descriptions into build/out/:"
ls build/out

echo "== booting the reference system (kernel-stubs/) in QEMU"
client=build/tests/kernel/udp_echo_client
port=${IDLK_UDP_PORT:-5555}
if ! "$client" --port-free "$port" 2>/dev/null; then
	port=$("$client" --free-port)
fi
if [ -t 0 ]; then
	echo "udpecho will answer on 127.0.0.1:$port (from another terminal: nc -u 127.0.0.1 $port," \
		"or socat - UDP:127.0.0.1:$port)"
	exec kernel-stubs/run-qemu.sh --udp-forward "$port" build
fi
sed "s|^!udp_echo_client |!$client $port |" kernel-stubs/run-session.txt >build/session-script.txt
status=0
kernel-stubs/run-qemu.sh --udp-forward "$port" --session build/session-script.txt \
	build/session.txt build 2>/dev/null || status=$?
cat build/session.txt
exit "$status"
