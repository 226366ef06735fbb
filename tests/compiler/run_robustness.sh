#!/bin/sh
# run_robustness.sh IDLC WORKDIR: feeds idlc hostile inputs. Each must end
# with status 1 or 2 within 20 seconds (no crash, no hang) and print an
# error line, `file:line:col: error:` or `idlc: error:`.
set -u
idlc=$1
work=$2
fail=0
rm -rf "$work"
mkdir -p "$work" || exit 2
cd "$work" || exit 2

# Deterministic pseudo-random bytes: a linear congruential generator in awk.
LC_ALL=C awk 'BEGIN { x = 12345; for (i = 0; i < 4096; i++) { x = (x * 1103515245 + 12345) % 2147483648;
	printf "%c", int(x / 65536) % 256 } }' > junk.idl
printf 'package p;\n\000\000const A: u32 = 1;\000\n' > nul.idl
awk 'BEGIN { printf "package p;\nconst A: u32 = "; for (i = 0; i < 100000; i++) printf "{"; print "" }' > braces.idl
awk 'BEGIN { printf "package p;\nconst A: u32 = "; for (i = 0; i < 100000; i++) printf "("; printf "1";
	for (i = 0; i < 100000; i++) printf ")"; print ";" }' > parens.idl
awk 'BEGIN { printf "package p;\nconst A: u32 = "; for (i = 0; i < 100000; i++) printf "("; print "1;" }' > parens_open.idl
awk 'BEGIN { printf "package p;\nconst A: u32 = "; for (i = 0; i < 100000; i++) printf "-"; print "1;" }' > unary.idl
awk 'BEGIN { printf "package p;\nconst "; for (i = 0; i < 1048576; i++) printf "a"; print ": u32 = 1;" }' > long_ident.idl
awk 'BEGIN { printf "package p;\nstruct S { a: u8"; for (i = 0; i < 100000; i++) printf "[1]"; print "; }" }' > dimensions.idl
printf 'package p;\nconst A: u32 = 1;\n/* open' > comment_eof.idl
printf 'package p;\nconst A: u32 = 1;\n/' > slash_eof.idl
: > empty.idl
mkdir -p dir.idl
# File names that the generated #include "NAME.h" cannot hold: idlc wrote
# #include "quote"name.h".
newline_name=$(printf 'new\nline.idl')
for name in 'quote"name.idl' 'back\slash.idl' "$newline_name"; do
	printf 'package r;\nstruct S { a: u8; }\n' > "$name"
done
printf 'package t;\nimport "quote\\"name.idl";\nstruct T { s: r.S; }\n' > imports_quote.idl
# A FIFO blocked idlc for ever, waiting for a writer, named or imported.
mkfifo fifo.idl || exit 2
printf 'package p;\nimport "fifo.idl";\n' > imports_fifo.idl

check() { # check NAME FILE [CODE]: CODE is the error's code, when given
	out=$(timeout 20 "$idlc" --check "$2" 2>&1)
	status=$?
	case $status in
	1 | 2) ;;
	*)
		echo "FAIL $1: exit status $status (want 1 or 2; 124 is a hang, >= 128 a crash)"
		fail=1
		return
		;;
	esac
	if ! printf '%s\n' "$out" | grep -Eq '^([^:]+:[0-9]+:[0-9]+: error:|idlc: error:)'; then
		echo "FAIL $1: no error line in output:"
		printf '%s\n' "$out" | head -c 2000
		fail=1
		return
	fi
	if [ $# -ge 3 ] && ! printf '%s\n' "$out" | grep -q "error: .*\[$3\]\$"; then
		echo "FAIL $1: no [$3] error in output:"
		printf '%s\n' "$out" | head -c 2000
		fail=1
		return
	fi
	echo "ok $1 (status $status)"
}

# check_ok NAME FILE: idlc must accept FILE and write its C.
check_ok() {
	mkdir -p "$1.out"
	out=$(timeout 20 "$idlc" -o "$1.out" "$2" 2>&1)
	status=$?
	if [ "$status" -ne 0 ] || [ -n "$out" ]; then
		echo "FAIL $1: exit status $status (want 0, and no output):"
		printf '%s\n' "$out" | head -c 2000
		fail=1
		return
	fi
	echo "ok $1 (accepted)"
}

check junk junk.idl
check nul nul.idl
check braces braces.idl
check parens parens.idl
check parens_open parens_open.idl
check unary unary.idl
check long_ident long_ident.idl
check dimensions dimensions.idl
check comment_eof comment_eof.idl
check slash_eof slash_eof.idl
check empty empty.idl
check directory dir.idl
check fifo fifo.idl not-a-file
check name_quote 'quote"name.idl' bad-file-name
check name_backslash 'back\slash.idl' bad-file-name
check name_newline "$newline_name" bad-file-name
check imports_quote imports_quote.idl bad-file-name
check imports_fifo imports_fifo.idl not-a-file
check missing does_not_exist.idl

# Sema evaluates constants recursively, MAX_NESTING_DEPTH (4096) deep at
# most: a sum of N terms is a left-deep tree N deep, and a constant defined
# by the next one deeper still. 100,000 terms overflowed the stack.
deep_sum() { # deep_sum TERMS
	awk -v n="$1" 'BEGIN { printf "package p;\nconst X: u64 = 1"; for (i = 1; i < n; i++) printf "+1"; print ";" }'
}
deep_consts() { # deep_consts COUNT
	awk -v n="$1" 'BEGIN { print "package p;"; for (i = 0; i < n - 1; i++) printf "const C%d: u32 = C%d;\n", i, i + 1;
		printf "const C%d: u32 = 1;\n", n - 1 }'
}
deep_sum 4096 > sum_limit.idl
deep_sum 4097 > sum_over.idl
deep_sum 100000 > sum_long.idl
deep_consts 4096 > consts_limit.idl
deep_consts 4097 > consts_over.idl
deep_consts 100000 > consts_long.idl
check_ok sum_limit sum_limit.idl
check sum_over sum_over.idl nesting-too-deep
check sum_long sum_long.idl nesting-too-deep
check_ok consts_limit consts_limit.idl
check consts_over consts_over.idl nesting-too-deep
check consts_long consts_long.idl nesting-too-deep

# Sema, layout and the generators follow types recursively: struct S0 holds
# S1, which holds S2, and so on, nests as deep as the chain is long. Sema
# refuses types nesting more than 4096 deep (a method's message counting
# one more, its parameter another); 100,000 overflowed layout's stack.
deep_structs() { # deep_structs COUNT [interface]
	awk -v n="$1" -v iface="${2:-}" 'BEGIN { print "package p;";
		for (i = 0; i < n - 1; i++) printf "struct S%d { f: S%d; }\n", i, i + 1;
		printf "struct S%d { x: u8; }\n", n - 1;
		if (iface != "") print "interface I { oneway f(s: S0); }" }'
}
deep_structs 4094 interface > structs_limit.idl
deep_structs 4095 interface > structs_over_method.idl
deep_structs 4096 > structs_over.idl
deep_structs 100000 > structs_long.idl
check_ok structs_limit structs_limit.idl
check structs_over_method structs_over_method.idl nesting-too-deep
check structs_over structs_over.idl nesting-too-deep
check structs_long structs_long.idl nesting-too-deep

# A valid description whose checks nest deep: forty levels of unions, each
# holding the one below in two variants. idlc judged each type's helpers
# by walking every path to the types below (2^40 walks), and the generated
# helpers, all forced inline, pasted one copy per path: twelve levels took
# gcc -O0 84 s. idlc must now write the C in time, and gcc -O0 compile it.
awk 'BEGIN { print "package p;"; print "union U0 : u8 { a: u32 = 1; b: u16 = 2; }";
	for (i = 1; i < 40; i++) printf "union U%d : u8 { a: U%d = 1; b: U%d = 2; }\n", i, i - 1, i - 1;
	print "interface I { oneway f(u: U39); }" }' > nested_unions.idl
mkdir -p nested_unions
if ! timeout 20 "$idlc" -o nested_unions nested_unions.idl; then
	echo "FAIL nested_unions: idlc did not write the C within 20 s"
	fail=1
elif ! timeout 60 "${CC:-cc}" -std=c11 -O0 -c -I nested_unions nested_unions/nested_unions.c \
	-o nested_unions/nested_unions.o; then
	echo "FAIL nested_unions: its C did not compile within 60 s at -O0"
	fail=1
else
	echo "ok nested_unions (C written and compiled)"
fi

# Imports are followed recursively: a chain of 2,000 files, each importing
# the next, overflowed the stack. A chain of more than 1000 imports is
# refused at the import that makes it too long.
import_chain() { # import_chain DIR FILES
	mkdir -p "$1"
	(cd "$1" && awk -v n="$2" 'BEGIN { for (i = 0; i < n - 1; i++) {
		f = "m" i ".idl"; printf "package m%d;\nimport \"m%d.idl\";\n", i, i + 1 > f;
		printf "const C%d: u32 = m%d.C%d;\n", i, i + 1, i + 1 > f; close(f) }
		printf "package m%d;\nconst C%d: u32 = 1;\n", n - 1, n - 1 > ("m" (n - 1) ".idl") }')
}
import_chain imports_limit 1001
import_chain imports_over 1002
import_chain imports_long 2000
check_ok imports_limit imports_limit/m0.idl
check imports_over imports_over/m0.idl import-too-deep
check imports_long imports_long/m0.idl import-too-deep

# Whether all zero bytes are valid, for a parameter added in a later
# version, walked every path to the types below: forty levels of structs,
# each holding two of the one below, took 2^40 walks. The structs are too
# large, which is all the answer should say.
awk 'BEGIN { print "package p;"; print "struct T0 { a: u32; }";
	for (i = 1; i < 40; i++) printf "struct T%d { a: T%d; b: T%d; }\n", i, i - 1, i - 1;
	print "@version(2) interface I { oneway f(@added(2) t: T39); }" }' > zero_paths.idl
check zero_paths zero_paths.idl type-too-large

# A long valid description: 50,000 structs, each holding the one before
# but every thousandth, which starts again (types nest 4096 deep at most).
# Each generated comment names its source line, which idlc found by
# counting lines from the start of the file: 16,000 structs took 4.8 s.
awk 'BEGIN { print "package p;"; print "struct S0 { a: u32; }";
	for (i = 1; i < 50000; i++)
		if (i % 1000 == 0) printf "struct S%d { a: u32; }\n", i;
		else printf "struct S%d { a: S%d; }\n", i, i - 1;
	print "interface I { oneway f(s: S49999); }" }' > chain.idl
mkdir -p chain
if ! timeout 20 "$idlc" -o chain chain.idl; then
	echo "FAIL chain: idlc did not write the C within 20 s"
	fail=1
else
	echo "ok chain (C written)"
fi

# The same for idlc's JSON IR read back by --compat-with: hostile "old
# versions" against a good new file.
printf 'package p;\ninterface A { f(x: u32) -> (y: u32); }\n' > good.idl
"$idlc" --emit=json -o . good.idl
cp junk.idl junk.json
: > empty.json
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; print "" }' > deep.json
printf '{"idlc_ir_version": 5, "files": [{"path": 99999999999999999999999}]}' > big_number.json
printf '{"idlc_ir_version": 1, "files": []}' > old_version.json
printf '{"idlc_ir_version": 5, "files": []}' > no_files.json
printf '{"idlc_ir_version": 5, "files": [{"path": "a\\u0000b"}]}' > nul_escape.json
printf '{"idlc_ir_version": 5, "files": [{"path": "x", "package": "p", "declarations": [{"kind": "struct", "name": "S", "fields": [{"name": "f", "type": {"kind": "named", "package": "q", "name": "Nowhere"}}]}]}]}' > dangling.json
head -c 300 good.json > truncated.json
sed 's/"kind": "int"/"kind": "float"/' good.json > bad_kind.json
# An IR written for wire format 4, which had no packed records.
sed 's/"idlc_ir_version": 5/"idlc_ir_version": 4/' good.json > wire_format_4.json
check_ir() { # check_ir NAME FILE
	out=$(timeout 20 "$idlc" --compat-with="$2" good.idl 2>&1)
	status=$?
	if [ "$status" -ne 1 ] && [ "$status" -ne 2 ]; then
		echo "FAIL $1: exit status $status (want 1 or 2; 124 is a hang, >= 128 a crash)"
		fail=1
	elif ! printf '%s\n' "$out" | grep -Eq '^([^:]+:[0-9]+:[0-9]+: error:|idlc: error:)'; then
		echo "FAIL $1: no error line in output:"
		printf '%s\n' "$out" | head -c 2000
		fail=1
	else
		echo "ok $1 (status $status)"
	fi
}
for ir in junk empty deep big_number old_version wire_format_4 no_files nul_escape dangling truncated bad_kind; do
	check_ir "ir_$ir" "$ir.json"
done
check_ir ir_missing does_not_exist.json
exit $fail
