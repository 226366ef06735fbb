#!/bin/sh
# Fails when generated/ is not what idlc makes of idl/ now: regenerate with
#   idlc -I idl idl/*.idl -o generated
set -eu
idlc=$1
root=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$idlc" -I "$root/idl" "$root"/idl/*.idl -o "$out"
if ! diff -ru "$root/generated" "$out"; then
	echo "generated/ is stale: run 'idlc -I idl idl/*.idl -o generated' in the repository" >&2
	exit 1
fi
echo "generated/ matches idlc's output for idl/"
