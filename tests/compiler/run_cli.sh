#!/bin/sh
# run_cli.sh IDLC SUPPORT_DIR WORKDIR: the command line's own answers.
# --version names the wire format idl_wire.h defines; two inputs whose
# outputs would share a name are an input error (status 1), reported
# before anything is written.
set -u
idlc=$1
support=$2
work=$3
fail=0
rm -rf "$work"
mkdir -p "$work/a" "$work/b" || exit 2

wire=$(sed -n 's/^#define IDL_WIRE_VERSION \([0-9]*\)$/\1/p' "$support/idl_wire.h")
version=$("$idlc" --version)
case "$version" in
*"(wire format $wire)") ;;
*)
	echo "FAIL --version says '$version'; idl_wire.h has IDL_WIRE_VERSION $wire"
	fail=1
	;;
esac

printf 'package a;\nstruct X {\n    x: u8;\n}\n' > "$work/a/fs.idl"
printf 'package b;\nstruct Y {\n    y: u8;\n}\n' > "$work/b/fs.idl"
out=$("$idlc" "$work/a/fs.idl" "$work/b/fs.idl" -o "$work/out" 2>&1)
status=$?
if [ "$status" -ne 1 ]; then
	echo "FAIL clashing outputs: status $status, expected 1"
	fail=1
fi
case "$out" in
"idlc: error: '$work/a/fs.idl' and '$work/b/fs.idl' would both write 'fs.h' [output-clash]") ;;
*)
	echo "FAIL clashing outputs: printed '$out'"
	fail=1
	;;
esac
if [ -e "$work/out" ]; then
	echo "FAIL clashing outputs: $work/out was written"
	fail=1
fi
[ "$fail" -eq 0 ] && echo "command line answers as documented"
exit $fail
