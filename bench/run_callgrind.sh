#!/usr/bin/env bash
# run_callgrind.sh: instructions per operation of every bench_codec case,
# counted by callgrind, and the ratios idlc's targets are stated in.
#
#   bench/run_callgrind.sh [BENCH_CODEC] [REPEAT]
#
# BENCH_CODEC defaults to build/bench/bench_codec, REPEAT (operations per
# valgrind run) to 1000. Each case runs once per operation under
#   valgrind --tool=callgrind --instr-atstart=no
# and bench_codec turns instrumentation on around exactly REPEAT calls of the
# one operation (CALLGRIND_START/STOP_INSTRUMENTATION). The loop and indirect
# call around the operation are counted once with a null operation and
# subtracted. Set ONLY=SYSTEM/MESSAGE to run a subset (as bench_codec --only).
set -euo pipefail

bin=${1:-build/bench/bench_codec}
repeat=${2:-1000}
only=${ONLY:-}

if [[ ! -x $bin ]]; then
	echo "run_callgrind.sh: no bench_codec at $bin (build it, or pass its path)" >&2
	exit 2
fi
if ! command -v valgrind >/dev/null; then
	echo "run_callgrind.sh: valgrind is not installed" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Instructions counted for REPEAT operations: op case
count() {
	local out="$tmp/callgrind.out"
	rm -f "$out"
	local args=(--callgrind "$1" --repeat "$repeat")
	[[ $1 != null ]] && args+=(--only "$2")
	if ! valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
		"$bin" "${args[@]}" >"$tmp/stdout" 2>"$tmp/stderr"; then
		echo "run_callgrind.sh: $1 $2 failed:" >&2
		cat "$tmp/stderr" >&2
		exit 1
	fi
	awk '/^totals:/ { print $2; found = 1 } END { if (!found) print 0 }' "$out"
}

null_total=$(count null "")

mapfile -t cases < <("$bin" --list)

declare -A enc dec
printf '%-18s %-11s %14s %14s\n' message system "encode instr" "decode instr"
for c in "${cases[@]}"; do
	if [[ -n $only ]]; then
		# Same matching as bench_codec --only: SYSTEM, SYSTEM/MESSAGE or /MESSAGE.
		sys=${only%%/*}
		msg=${only#"$sys"}
		msg=${msg#/}
		[[ -n $sys && $sys != "*" && $sys != "${c%%/*}" ]] && continue
		[[ -n $msg && $msg != "*" && $msg != "${c#*/}" ]] && continue
	fi
	e=$(count encode "$c")
	d=$(count decode "$c")
	enc[$c]=$(awk -v t="$e" -v n="$null_total" -v k="$repeat" 'BEGIN { printf "%.0f", (t - n) / k }')
	dec[$c]=$(awk -v t="$d" -v n="$null_total" -v k="$repeat" 'BEGIN { printf "%.0f", (t - n) / k }')
	printf '%-18s %-11s %14s %14s\n' "${c#*/}" "${c%%/*}" "${enc[$c]}" "${dec[$c]}"
done
echo "(per operation; loop overhead of $(awk -v n="$null_total" -v k="$repeat" \
	'BEGIN { printf "%.1f", n / k }') instructions subtracted)"

# The ratios the targets are stated in.
ratio() { # a b -> a / b, or n/a
	if [[ -n ${1:-} && -n ${2:-} && ${2:-0} != 0 ]]; then
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
	else
		echo n/a
	fi
}
diff_of() {
	if [[ -n ${1:-} && -n ${2:-} ]]; then echo $(($1 - $2)); else echo n/a; fi
}

echo
echo "targets:"
if "$bin" --list | grep -q '^idlc/read_reply_4k$'; then
	csv=$("$bin" --csv --only /read_reply_4k 2>/dev/null)
	idlc_ns=$(awk -F, '$2 == "idlc" { print $5 }' <<<"$csv")
	memcpy_ns=$(awk -F, '$2 == "memcpy" { print $5 }' <<<"$csv")
	echo "  read_reply_4k decode, idlc / memcpy of its frame (ns):  $(ratio "$idlc_ns" "$memcpy_ns")" \
		"($idlc_ns ns / $memcpy_ns ns)"
else
	echo "  read_reply_4k decode, idlc / memcpy of its frame (ns):  n/a"
fi
echo "  read_request decode, idlc - memcpy (instructions):       $(diff_of "${dec[idlc/read_request]:-}" "${dec[memcpy/read_request]:-}")"
echo
echo "idlc against the hand-written codec of the same contract (bench/hand_cases.c):"
printf '  %-18s %14s %14s %14s\n' message "decode ratio" "encode ratio" "bytes ratio"
csv_all=$("$bin" --csv --runs 1 2>/dev/null || true)
for m in read_request read_reply_4k open_request readdir_reply_64 net_send_1500; do
	ib=$(awk -F, -v m="$m" '$1 == m && $2 == "idlc" { print $3 }' <<<"$csv_all")
	hb=$(awk -F, -v m="$m" '$1 == m && $2 == "hand" { print $3 }' <<<"$csv_all")
	printf '  %-18s %14s %14s %14s\n' "$m" "$(ratio "${dec[idlc/$m]:-}" "${dec[hand/$m]:-}")" \
		"$(ratio "${enc[idlc/$m]:-}" "${enc[hand/$m]:-}")" "$(ratio "$ib" "$hb")"
done
echo "  (targets, issue 15: decode <= 1.2, encode <= 1.5; open and readdir bytes <= 1.3)"
echo
for m in open_request readdir_reply_64; do
	printf '  %-18s decode, xdr / idlc (instructions):   %s\n' "$m" \
		"$(ratio "${dec[xdr/$m]:-}" "${dec[idlc/$m]:-}")"
	printf '  %-18s decode, protobuf-c / idlc (instr.):  %s\n' "$m" \
		"$(ratio "${dec[protobuf-c/$m]:-}" "${dec[idlc/$m]:-}")"
done
