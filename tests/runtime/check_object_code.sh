#!/bin/sh
# check_object_code.sh ARCHIVE: what the compiler made of the runtime's hot
# paths, where a change of source or compiler could quietly lose speed that
# no functional test would miss (docs/benchmarks.md says why each matters):
# - no `rep movs` anywhere: gcc may inline a bounded memcpy as one, and it
#   costs more to start than a small frame's copy ("Copies in the object code");
# - a server's take (idl_chan_end_take) and a client's send (end_send_begin)
#   ask for a stream's later lines (idl_ring_prefetch_ahead,
#   idl_ring_prefetch_to_write): gcc 12 once dropped such a prefetch without
#   a word ("A stream's lines asked for ahead").
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
# holds FUNCTION INSTRUCTION: whether the function's code has one.
holds() {
	sed -n "/<$1>:\$/,/^\$/p" "$dis" | grep -q "$2"
}
if ! holds idl_chan_end_take prefetcht0; then
	echo "idl_chan_end_take has no prefetcht0: a stream's lines are not asked for ahead" >&2
	status=1
fi
# Where the reservation's common case is not inlined (the ASan build), its
# own code holds the prefetch.
if ! holds end_send_begin prefetchw && ! holds idl_ring_reserve_inline prefetchw; then
	echo "end_send_begin has no prefetchw: a stream's lines are not asked for ahead" >&2
	status=1
fi
[ $status -eq 0 ] && echo "runtime object code: no rep movs; the take and the send prefetch ahead"
exit $status
