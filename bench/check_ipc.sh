#!/bin/sh
# check_ipc.sh BENCH_IPC: runs bench_ipc once (--runs 1) and fails unless it
# ends well and every part printed its lines. bench_ipc exits non-zero when
# a call fails or a reply is wrong, so this drives the runtime end to end
# against forked servers, pipes, sockets and (where there) io_uring. No
# figure is judged: timings on a shared machine are not a test's business.
set -eu
bench=$1
out=$("$bench" --runs 1)
printf '%s\n' "$out"
for pattern in \
	'^\(a\) round trip' \
	'^    channel / floor: ' \
	'^    channel +[0-9]+   \([0-9]+%\)$' \
	'^    floor: one futex word +[0-9]+   \([0-9]+%\)$' \
	'^\(b\) one-way streaming' \
	'^  channel / pipe: ' \
	'^\(c\) server cost' \
	'^    256 / 1 clients' \
	'^idle: over one idle second'; do
	if ! printf '%s\n' "$out" | grep -Eq "$pattern"; then
		echo "check_ipc.sh: no line matching: $pattern" >&2
		exit 1
	fi
done
