#!/bin/sh
# run_cli.sh IDLC SUPPORT_DIR WORKDIR: the command line's own answers.
# --version names the wire format idl_wire.h defines; two inputs whose
# outputs would share a name are an input error (status 1), reported
# before anything is written; a file named on the command line that cannot
# be read is status 2 (idlc.1, "Exit status"); a run whose outputs cannot
# all be written leaves no output cut short and no depfile; -o creates
# missing parents; --emit=json for two files writes each its own IR.
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

# expect_status WANT WHAT COMMAND...: runs COMMAND, output to $work/log.
expect_status() {
	want=$1
	what=$2
	shift 2
	"$@" >"$work/log" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL $what: status $got, expected $want:"
		cat "$work/log"
		fail=1
	fi
}

expect_status 2 "a named file that does not exist" "$idlc" "$work/none.idl"
expect_status 2 "a directory named as input" "$idlc" "$work/a"
expect_status 2 "--compat-with a file that does not exist" \
	"$idlc" --compat-with="$work/none.idl" "$work/a/fs.idl"
expect_status 2 "--compat-with a JSON file that does not exist" \
	"$idlc" --compat-with="$work/none.json" "$work/a/fs.idl"
expect_status 2 "--emit with an empty list" "$idlc" --emit= "$work/a/fs.idl"
expect_status 2 "--compat-with without a value" "$idlc" --compat-with= "$work/a/fs.idl"
printf 'package c;\nimport "none.idl";\n' > "$work/a/imports_none.idl"
expect_status 1 "an import that does not exist" "$idlc" --check "$work/a/imports_none.idl"

# A file named idl_wire.idl would overwrite the support header.
printf 'package w;\n' > "$work/a/idl_wire.idl"
expect_status 1 "an input named idl_wire.idl" "$idlc" -o "$work/wire" "$work/a/idl_wire.idl"
grep -q "output-clash" "$work/log" || {
	echo "FAIL idl_wire.idl: no output-clash"
	fail=1
}

# --check answers for what would be written too: the same two clashing
# inputs are an input error there as well.
expect_status 1 "clashing outputs under --check" "$idlc" --check "$work/a/fs.idl" "$work/b/fs.idl"

# Two imports whose names differ only where the include guard cannot tell:
# each header would hide the other's.
mkdir -p "$work/g"
printf 'package a;\nstruct A {\n    x: u32;\n}\n' > "$work/g/a-b.idl"
printf 'package b;\nstruct B {\n    y: u32;\n}\n' > "$work/g/a_b.idl"
printf 'package x;\nimport "a-b.idl";\nimport "a_b.idl";\nstruct X {\n    a: a.A;\n    b: b.B;\n}\n' \
	> "$work/g/x.idl"
for check in "" --check; do
	expect_status 1 "include guards alike $check" "$idlc" $check -o "$work/guards" "$work/g/x.idl"
	grep -q "would both have the include guard IDLC_A_B_H.*\[output-clash\]" "$work/log" || {
		echo "FAIL include guards alike $check: no output-clash"
		fail=1
	}
done
[ ! -e "$work/guards" ] || {
	echo "FAIL include guards alike: output was written"
	fail=1
}

# A package split over two files: the importing file names the other's
# declarations with the package as qualifier; unqualified, they are not its.
mkdir -p "$work/split"
printf 'package s;\nstruct Q {\n    a: u8;\n}\n' > "$work/split/q.idl"
printf 'package s;\nimport "q.idl";\nstruct Y {\n    z: s.Q;\n}\n' > "$work/split/y.idl"
printf 'package s;\nimport "q.idl";\nstruct Y {\n    z: Q;\n}\n' > "$work/split/bare.idl"
expect_status 0 "a package split over files, qualified" "$idlc" -o "$work/split/out" "$work/split/y.idl"
expect_status 1 "a package split over files, unqualified" "$idlc" --check "$work/split/bare.idl"
grep -q "did you mean 's.Q'" "$work/log" || {
	echo "FAIL a package split over files, unqualified: no suggestion of s.Q"
	fail=1
}

# A path with a colon has no spelling in a depfile: status 2, nothing
# written, rather than a depfile make cannot read.
mkdir -p "$work/co:lon"
cp "$work/a/fs.idl" "$work/co:lon/fs.idl"
expect_status 2 "a depfile for a path with a colon" \
	"$idlc" -o "$work/colon" --depfile "$work/colon.d" "$work/co:lon/fs.idl"
grep -q "no depfile can name.*\[cannot-write\]" "$work/log" || {
	echo "FAIL a depfile for a path with a colon: no cannot-write"
	fail=1
}
[ ! -e "$work/colon" ] && [ ! -e "$work/colon.d" ] || {
	echo "FAIL a depfile for a path with a colon: something was written"
	fail=1
}

# -o creates the parents it needs.
expect_status 0 "-o with missing parents" "$idlc" -o "$work/deep/er/out" "$work/a/fs.idl"
[ -f "$work/deep/er/out/fs.h" ] || {
	echo "FAIL -o with missing parents: no fs.h"
	fail=1
}

# An output that cannot be written (here a directory in its place): status
# 2, the others complete, no temporary file left, and no depfile.
mkdir -p "$work/hole/fs.c"
expect_status 2 "an output that cannot be written" \
	"$idlc" -o "$work/hole" --depfile "$work/hole.d" "$work/a/fs.idl"
if [ -e "$work/hole.d" ]; then
	echo "FAIL an output that cannot be written: the depfile was written"
	fail=1
fi
if ls "$work/hole" | grep -q tmp; then
	echo "FAIL an output that cannot be written: a temporary file is left: $(ls "$work/hole")"
	fail=1
fi
"$idlc" -o "$work/whole" "$work/a/fs.idl" 2>/dev/null
cmp -s "$work/hole/fs.h" "$work/whole/fs.h" || {
	echo "FAIL an output that cannot be written: fs.h is not whole"
	fail=1
}

# Outputs written again with too little room (a file size limit of 8 KiB,
# where fs.c and fs.h are larger): status 2, and each output as it was,
# never cut short.
idl="$support/../../idl"
"$idlc" -I "$idl" -o "$work/full" "$idl/fs.idl" 2>/dev/null
cp -r "$work/full" "$work/reference"
(
	trap '' XFSZ
	ulimit -f 16
	"$idlc" -I "$idl" -o "$work/full" "$idl/fs.idl" >"$work/log" 2>&1
	exit $?
)
status=$?
[ "$status" -eq 2 ] || {
	echo "FAIL outputs that do not fit: status $status, expected 2"
	fail=1
}
for f in "$work/reference"/*; do
	cmp -s "$f" "$work/full/${f##*/}" || {
		echo "FAIL outputs that do not fit: ${f##*/} was cut short"
		fail=1
	}
done

# --emit=json with two inputs: each JSON file starts with its own file.
printf 'package c;\nstruct Z {\n    z: u8;\n}\n' > "$work/b/other.idl"
expect_status 0 "--emit=json for two files" \
	"$idlc" --emit=json -o "$work/json" "$work/a/fs.idl" "$work/b/other.idl"
for name in fs other; do
	first=$(sed -n 's/.*"files": \[$//; s/^  {"path": "\([^"]*\)".*/\1/p' "$work/json/$name.json" |
		head -n 1)
	case "$first" in
	*/$name.idl) ;;
	*)
		echo "FAIL --emit=json for two files: $name.json starts with '$first'"
		fail=1
		;;
	esac
	if [ "$(grep -c '"path"' "$work/json/$name.json")" -ne 1 ]; then
		echo "FAIL --emit=json for two files: $name.json holds another file"
		fail=1
	fi
done

[ "$fail" -eq 0 ] && echo "command line answers as documented"
exit $fail
