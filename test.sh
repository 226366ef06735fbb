#!/bin/sh
# All the tests: the suite under gcc, again under ASan+UBSan, the clang
# build, and the libFuzzer harnesses for a short run. Out of tree, in
# build-test*/. For longer fuzzing: tests/fuzz/run_long.sh BUILD_DIR SECONDS.
set -eu
cd "$(dirname "$0")"
sh .ci/install-deps.sh
jobs=$(nproc)

echo "== gcc build and tests"
# IDLC_KERNEL=ON: a machine without the kernel's tools fails here rather
# than skipping the kernel tests.
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIDLC_BENCH=ON \
	-DIDLC_KERNEL=ON >/dev/null
cmake --build build-test
ctest --test-dir build-test --output-on-failure -j "$jobs"

echo "== ASan + UBSan build and tests"
cmake -S . -B build-test-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DIDLC_SANITIZE=ON >/dev/null
cmake --build build-test-asan
ctest --test-dir build-test-asan --output-on-failure -j "$jobs"

echo "== clang build, libFuzzer harnesses and tests"
CC=clang cmake -S . -B build-test-clang -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DIDLC_FUZZ=ON -DIDLC_BENCH=OFF >/dev/null
cmake --build build-test-clang
ctest --test-dir build-test-clang --output-on-failure -j "$jobs"
