#!/bin/sh
# run_client_callgrind.sh [BENCH_IPC] [CALLS]: the instructions a client
# spends on one synchronous console.write of its own, without waiting for a
# peer: bench_ipc --client-calls puts each reply in the ring before the
# call, and callgrind counts client_call alone (the stub, the transport's
# send, and taking the reply). The same count on every run.
set -eu
bench=${1:-build/bench/bench_ipc}
calls=${2:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$tmp/out" --toggle-collect=client_call \
	"$bench" --client-calls "$calls" 2>"$tmp/err"
ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/out")
echo "client instructions per synchronous call: $((ir / calls))"
