#!/bin/sh
# check_doc_examples.sh IDLC SOURCE_DIR: the IDL a reader copies out of the
# README and the reference docs must compile. Every fenced code block there
# (untagged or tagged idl) that holds a declaration (a line starting with package, const, enum,
# bits, struct, union, interface, flexible or @) must come right after a
# line saying what it is:
#
#   <!-- idl-check: file -->          a whole .idl file: IDLC --check -I idl
#   <!-- idl-check: declarations -->  declarations out of a file: checked
#                                     inside "package fs;" with sys.idl
#                                     imported and the names the docs' small
#                                     file declares (PRELUDE below), each
#                                     unless the block declares it itself
#   <!-- idl-check: skip, WHY -->     not IDL that compiles, and why
#
# so that a new example is checked unless its author says why not.
# (docs/tutorial.md has its own check, docs/diagnostics.md's examples are
# errors on purpose and compiler_diagnostics_documented covers them.)
set -u
idlc=$1
src=$2
case $idlc in /*) ;; *) idlc=$(pwd)/$idlc ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
checked=0

# The names the fragments of docs/language.md lean on, one declaration a
# line: "NAME declaration".
PRELUDE='MAX_PATH const MAX_PATH: u32 = 1024;
MAX_DATAGRAM const MAX_DATAGRAM: u32 = 1472;
FileKind enum FileKind : u8 { REGULAR = 1; DIRECTORY = 2; }
OpenFlags bits OpenFlags : u32 { READ = 0x1; WRITE = 0x2; }
Advice enum Advice : u8 { NORMAL = 0; SEQUENTIAL = 1; }
WatchMask bits WatchMask : u32 { WRITTEN = 0x1; REMOVED = 0x2; }
Stat struct Stat { size: u64; kind: FileKind; }
File interface File { close() -> (); }'

for doc in README.md docs/language.md docs/json-ir.md docs/evolution.md docs/wire-format.md \
	docs/runtime.md; do
	[ -f "$src/$doc" ] || continue
	# Each block that looks like IDL goes to $tmp/N.idl, with "DOC:LINE
	# KIND" in $tmp/N.what (KIND empty when no marker came before it).
	awk -v dir="$tmp" -v doc="$doc" -v start="$(ls "$tmp" | grep -c '\.what$')" '
		BEGIN { n = start }
		/^```/ && !inside {
			inside = 1; line = NR; body = ""; idl = 0
			lang = $0; sub(/^```/, "", lang)
			kind = previous ~ /^<!-- idl-check: .* -->$/ ? previous : ""
			sub(/^<!-- idl-check: /, "", kind); sub(/ -->$/, "", kind)
			next
		}
		inside && /^```/ {
			inside = 0
			if (idl || kind != "") {
				n++
				printf "%s", body > (dir "/" n ".idl")
				print doc ":" line " " kind > (dir "/" n ".what")
			}
			previous = $0
			next
		}
		inside {
			body = body $0 "\n"
			if ((lang == "" || lang == "idl") &&
			    ($0 ~ /^ *(package|const|enum|bits|struct|union|interface|flexible) / ||
			     $0 ~ /^ *@[a-z_]+\(/))
				idl = 1
			next
		}
		{ previous = $0 }
	' "$src/$doc"
done

for what_file in "$tmp"/*.what; do
	[ -f "$what_file" ] || break
	n=$(basename "$what_file" .what)
	set -- $(cat "$what_file")
	where=$1
	kind=${2:-}
	block="$tmp/$n.idl"
	case "$kind" in
	file)
		input=$block
		;;
	declarations)
		input="$tmp/$n.wrapped.idl"
		{
			echo 'package fs;'
			echo 'import "sys.idl";'
			cat "$block"
			echo "$PRELUDE" | while read -r name declaration; do
				if ! grep -Eq "^ *(flexible +)?(const|enum|bits|struct|union|interface) +$name\\b" \
					"$block"; then
					echo "$declaration"
				fi
			done
		} >"$input"
		;;
	skip,*)
		continue
		;;
	*)
		echo "FAIL: $where: an IDL example without '<!-- idl-check: file | declarations | skip, WHY -->' before it"
		fail=1
		continue
		;;
	esac
	checked=$((checked + 1))
	if ! "$idlc" --check -I "$src/idl" "$input" >"$tmp/out" 2>&1; then
		echo "FAIL: $where ($kind) does not compile:"
		cat "$tmp/out"
		fail=1
	fi
done

if [ "$checked" -lt 10 ]; then
	echo "FAIL: only $checked examples checked; the markers or this script are broken"
	fail=1
fi
[ $fail -eq 0 ] && echo "check_doc_examples: $checked examples compile"
exit $fail
