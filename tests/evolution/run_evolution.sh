#!/bin/sh
# run_evolution.sh BIN_DIR: every client version against every server
# version of tests/evolution (evo_peer_v1 .. evo_peer_v3 in BIN_DIR), over
# real channels, each pair on a server of its own. A pair passes when the
# client's checks and the server's all hold (peer.c says which). No sleeps:
# the script waits for the server's "ready" on a pipe.
set -u
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
pairs=0
for s in 1 2 3; do
	for c in 1 2 3; do
		pairs=$((pairs + 1))
		name="evo-$$-$s-$c"
		fifo="$work/server-$s-$c"
		mkfifo "$fifo"
		"$bin/evo_peer_v$s" serve "$name" >"$fifo" 2>&1 &
		server=$!
		exec 3<"$fifo"
		ready=
		read -r ready <&3
		if [ "$ready" != ready ]; then
			echo "FAIL server v$s did not start: $ready"
			cat <&3
			exec 3<&-
			fail=1
			continue
		fi
		out=$(timeout 60 "$bin/evo_peer_v$c" call "$name" "$s" 2>&1)
		client=$?
		kill -TERM "$server"
		server_out=$(cat <&3)
		exec 3<&-
		wait "$server"
		served=$?
		if [ "$client" -ne 0 ] || [ "$served" -ne 0 ]; then
			echo "FAIL client v$c (status $client) against server v$s (status $served)"
			printf '%s\n' "$out" | sed 's/^/  client: /'
			printf '%s\n' "$server_out" | sed 's/^/  server: /'
			fail=1
		else
			echo "ok   client v$c against server v$s: $(printf '%s\n' "$out" | grep -c ': ok$') checks" \
				"($(printf '%s\n' "$server_out" | grep -c ': ok$') on the server)"
		fi
	done
done
echo "$pairs pairs"
exit $fail
