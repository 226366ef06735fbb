#!/bin/sh
# check_object_code.sh ARCHIVE: what the compiler made of the runtime's hot
# paths, where a change of source or compiler could quietly lose speed that
# no functional test would miss (docs/benchmarks.md says why each matters):
# - no `rep movs` anywhere: gcc may inline a bounded memcpy as one, and it
#   costs more to start than a small frame's copy ("Copies in the object code");
# - a server's take (idl_chan_end_take) asks for the stream's later lines
#   (idl_ring_prefetch_ahead): gcc 12 once dropped that prefetch without a
#   word ("A stream's lines asked for ahead").
# x86-64 only: elsewhere it says so and passes.
set -eu
archive=$1
case $(uname -m) in
x86_64) ;;
*) echo "not x86-64: object code not checked"; exit 0 ;;
esac
dis=$(mktemp)
trap 'rm -f "$dis"' EXIT
objdump -d --no-show-raw-insn "$archive" >"$dis"
status=0
if grep -q 'rep movs' "$dis"; then
	echo "rep movs in the runtime:" >&2
	grep -B2 'rep movs' "$dis" >&2
	status=1
fi
take=$(sed -n '/<idl_chan_end_take>:$/,/^$/p' "$dis")
if [ -z "$take" ]; then
	echo "idl_chan_end_take not found in $archive" >&2
	status=1
elif ! printf '%s\n' "$take" | grep -q 'prefetcht0'; then
	echo "idl_chan_end_take asks for no line ahead (no prefetcht0)" >&2
	status=1
fi
[ $status -eq 0 ] && echo "runtime object code: no rep movs; the take prefetches ahead"
exit $status
