#!/bin/sh
# run_ipc_callgrind.sh [BENCH_IPC] [MESSAGES]: the instructions the server
# spends per message with 1, 16 and 256 clients, synchronous and one-way:
# bench_ipc --serve under callgrind, counting only inside take_ready (the
# server loop's pass over the ready channels, the periodic sweep of every
# channel included), not its spinning, its look before sleeping, or its
# sleep; bench_ipc --drive sends MESSAGES (default 20000) spread over the
# clients.
set -eu
bench=${1:-build/bench/bench_ipc}
messages=${2:-20000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for mode in sync oneway; do
	for n in 1 16 256; do
		name=callgrind-$$-$mode-$n
		valgrind --tool=callgrind --callgrind-out-file="$tmp/out" --toggle-collect=take_ready \
			"$bench" --serve "$name" --server-spin 0 2>"$tmp/err" &
		server=$!
		"$bench" --drive "$name" "$n" "$messages" "$mode" >/dev/null
		kill "$server"
		wait "$server" || true
		frames=$(sed -n 's/.*--serve: \([0-9]*\) frames.*/\1/p' "$tmp/err")
		ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/out")
		echo "$mode, $n clients: $frames frames, $((ir / frames)) server instructions per frame"
	done
done
