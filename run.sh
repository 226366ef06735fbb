#!/bin/sh
# The main job: installs what is missing, builds everything out of tree in
# build/, compiles the service descriptions in idl/ into C in build/out/, and
# boots the reference system in QEMU with its serial console on this
# terminal. The demo prints through the generated console stub, asks for a
# line (type one; when stdin is not a terminal a line is supplied), and QEMU
# exits on its own.
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
	kernel-stubs/run-qemu.sh build
else
	echo "a line typed by run.sh" | kernel-stubs/run-qemu.sh build
fi
