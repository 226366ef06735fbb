#!/bin/sh
# The main job: installs what is missing, builds everything out of tree in
# build/, and compiles the service descriptions in idl/ into C in build/out/.
set -eu
cd "$(dirname "$0")"
sh .ci/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
./build/compiler/idlc -I idl idl/*.idl -o build/out --emit=header,source,support,json \
	--depfile build/out/idl.d
echo "idlc compiled $(ls idl/*.idl | wc -l) service descriptions into build/out/:"
ls build/out
