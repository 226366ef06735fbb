#!/bin/sh
# check_json_ir_doc.sh IDLC DOC: the example of docs/json-ir.md is what idlc
# writes: the description in its first ``` block, compiled with --emit=json,
# gives exactly the JSON of its first ```json block.
set -eu
idlc=$1
doc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The first plain ``` block after "This description:", and the first ```json block.
awk '/^This description:/ { want = 1 } want && /^```$/ { if (inside) exit; inside = 1; next }
	inside { print }' "$doc" >"$tmp/shop.idl"
awk '/^```json$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' "$doc" \
	>"$tmp/expected.json"
[ -s "$tmp/shop.idl" ] && [ -s "$tmp/expected.json" ] || {
	echo "FAIL: no example found in $doc"
	exit 1
}
(cd "$tmp" && "$idlc" --emit=json shop.idl -o out)
if ! diff -u "$tmp/expected.json" "$tmp/out/shop.json"; then
	echo "FAIL: the JSON in $doc is not what idlc writes for its example"
	exit 1
fi
echo "PASS: docs/json-ir.md's example is idlc's output"
