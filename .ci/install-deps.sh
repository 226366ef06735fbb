#!/bin/sh
# Installs the Debian 12 packages that building, testing and benchmarking
# idlc need, when any is missing. Needs root (or sudo).
set -eu
packages="build-essential cmake ninja-build pkg-config flex bison clang lld clang-format
libclang-rt-14-dev libcmocka-dev valgrind protobuf-c-compiler libprotobuf-c-dev nanopb
libnanopb-dev rpcsvc-proto libtirpc-dev git qemu-system-x86 grub-pc-bin grub-common xorriso mtools
dosfstools libarchive-zip-perl liburing-dev"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
