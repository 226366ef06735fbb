#!/bin/sh
# The main job: installs what is missing, builds everything out of tree in
# build/, compiles the service descriptions in idl/ into C in build/out/, and
# boots the reference system in QEMU with its serial console on this
# terminal: the shell, on a copy of the FAT32 disk image. Type `help`, and
# `poweroff` to end. When standard input is not a terminal, a short scripted
# session runs instead (kernel-stubs/run-session.txt: ls, cat, a write and a
# read back, crc32, lspci, poweroff), typed prompt by prompt.
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
if [ -t 0 ]; then
	exec kernel-stubs/run-qemu.sh build
fi
status=0
kernel-stubs/run-qemu.sh --session kernel-stubs/run-session.txt build/session.txt build \
	2>/dev/null || status=$?
cat build/session.txt
exit "$status"
