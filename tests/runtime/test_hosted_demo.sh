#!/bin/sh
# test_hosted_demo.sh BINDIR: the hosted demo end to end. Starts
# idl-file-server on a directory of known files and idl-console-server with
# known input, runs idl-client's commands against them and checks what they
# print: a small file (read), a 100 KiB file (read_shared into a memfd,
# compared with cmp), a directory of 100 entries (readdir in two batches),
# stat, console print and readline (and a readline that waits for input
# while another client is served, and one answered while the console's
# output is stalled), typed errors, and paths that try to
# leave the served directory. The servers get names unique to this run, and
# are always stopped.
set -u
bin=$1
tmp=$(mktemp -d)
fs_pid=
console_pid=
console2_pid=
reader_pid=
drain_pid=
cleanup() {
	[ -n "$fs_pid" ] && kill "$fs_pid" 2>/dev/null
	[ -n "$console_pid" ] && kill "$console_pid" 2>/dev/null
	[ -n "$console2_pid" ] && kill "$console2_pid" 2>/dev/null
	[ -n "$reader_pid" ] && kill "$reader_pid" 2>/dev/null
	[ -n "$drain_pid" ] && kill "$drain_pid" 2>/dev/null
	wait
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

IDL_FS_NAME=test-fs-$$
IDL_CONSOLE_NAME=test-console-$$
export IDL_FS_NAME IDL_CONSOLE_NAME
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# The served tree.
root=$tmp/root
mkdir -p "$root/sub" "$tmp/outside"
printf 'a small file\n' >"$root/small.txt"
head -c 102400 /dev/urandom >"$root/big.bin"
i=1
while [ $i -le 100 ]; do
	: >"$root/sub/entry-$i"
	i=$((i + 1))
done
echo secret >"$tmp/outside/secret"
ln -s "$tmp/outside/secret" "$root/absolute-link"
ln -s ../outside/secret "$root/relative-escape"
ln -s small.txt "$root/inside-link"
# The first line holds a NUL byte, which must neither end it nor merge it
# with the next.
printf 'first\000line\nsecond line\n' >"$tmp/console.in"

"$bin/idl-file-server" "$root" 2>"$tmp/fs.log" &
fs_pid=$!
"$bin/idl-console-server" <"$tmp/console.in" >"$tmp/console.out" 2>"$tmp/console.log" &
console_pid=$!
# Waits until a server has said in its log that it serves (5 s at most).
# The log appears only once the server's redirections are open, which for
# a FIFO on its stdin or stdout is when the other end is.
wait_serving() {
	n=0
	until grep -q serving "$1" 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt 100 ]; then
			cat "$1"
			echo "FAIL: a server did not start"
			exit 1
		fi
		sleep 0.05
	done
}
wait_serving "$tmp/fs.log"
wait_serving "$tmp/console.log"

client() {
	"$bin/idl-client" "$@" >"$tmp/out" 2>"$tmp/err"
}

# cat: a small file through read, a large one through read_shared.
client cat small.txt && [ "$(cat "$tmp/out")" = "a small file" ] || fail "cat small.txt"
client cat /big.bin && cmp -s "$tmp/out" "$root/big.bin" || fail "cat big.bin (read_shared)"
client cat inside-link && [ "$(cat "$tmp/out")" = "a small file" ] || fail "a link inside"

# ls: 100 entries take two readdir batches of at most 64.
client ls sub || fail "ls sub"
[ "$(sort "$tmp/out")" = "$(ls "$root/sub" | sort)" ] || fail "ls sub: wrong entries"
[ "$(wc -l <"$tmp/out")" -eq 100 ] || fail "ls sub: not 100 entries"
client ls / && grep -qx 'sub/' "$tmp/out" && grep -qx 'big.bin' "$tmp/out" || fail "ls /"

# stat.
client stat big.bin && grep -qx 'kind file' "$tmp/out" && grep -qx 'size 102400' "$tmp/out" ||
	fail "stat big.bin"
client stat sub && grep -qx 'kind directory' "$tmp/out" || fail "stat sub"

# Typed errors, nonzero exit.
expect_error() { # ERROR COMMAND...
	error=$1
	shift
	if client "$@"; then
		fail "$* succeeded"
	elif ! grep -q ": $error\$" "$tmp/err"; then
		fail "$*: expected $error, got: $(cat "$tmp/err")"
	fi
	[ -s "$tmp/out" ] && fail "$*: printed $(cat "$tmp/out")"
	return 0
}
expect_error NOT_FOUND cat missing.txt
expect_error NOT_DIR ls small.txt
expect_error IS_DIR cat sub

# Nothing outside the served directory.
expect_error ACCESS cat ../outside/secret
expect_error ACCESS cat sub/../../outside/secret
expect_error ACCESS cat ../../../../../etc/passwd
expect_error ACCESS cat sub/../small.txt
expect_error ACCESS cat absolute-link
expect_error ACCESS cat relative-escape
expect_error ACCESS ls ..
expect_error NOT_FOUND cat /etc/passwd # "/" is the served directory

# The console: print goes to the server's stdout, readline reads its stdin.
client print hello from the client || fail "print"
client readline && [ "$(tr '\000' '@' <"$tmp/out")" = "first@line" ] || fail "readline 1"
client readline && [ "$(cat "$tmp/out")" = "second line" ] || fail "readline 2"
client readline && [ ! -s "$tmp/out" ] || fail "readline at the end of input"
[ "$(cat "$tmp/console.out")" = "hello from the client" ] || fail "console output"

# A read that waits for input does not hold up the console: a second
# console takes its input from a pipe that stays open, a client waits in
# readline, another prints meanwhile, and then the line comes.
IDL_CONSOLE_NAME=test-console2-$$
mkfifo "$tmp/console2.in"
"$bin/idl-console-server" <"$tmp/console2.in" >"$tmp/console2.out" 2>"$tmp/console2.log" &
console2_pid=$!
exec 3>"$tmp/console2.in" # the writer end, held open
wait_serving "$tmp/console2.log"
"$bin/idl-client" readline >"$tmp/waiting.out" 2>&1 &
reader_pid=$!
sleep 0.3 # so that the readline waits when the print comes (the checks pass either way)
timeout 5 "$bin/idl-client" print while a read waits >"$tmp/out" 2>"$tmp/err" ||
	fail "print while a read waits: $(cat "$tmp/err")"
echo "the line that was waited for" >&3
wait "$reader_pid" || fail "readline that waited: exit $?"
reader_pid=
[ "$(cat "$tmp/waiting.out")" = "the line that was waited for" ] ||
	fail "readline that waited: $(cat "$tmp/waiting.out")"
exec 3>&-
kill "$console2_pid"
wait "$console2_pid" || fail "console server 2 exited with $?"
console2_pid=
[ "$(cat "$tmp/console2.out")" = "while a read waits" ] || fail "console 2 output"
IDL_CONSOLE_NAME=test-console-$$

# Output that stalls holds up the writes, not the console: a third console
# writes into a pipe that nobody reads until a client's 100000-byte print
# has filled it (64 KiB) and waits; a readline must still be answered
# meanwhile. Then the pipe is read, and every byte of the print is there.
IDL_CONSOLE_NAME=test-console4-$$
mkfifo "$tmp/console4.in" "$tmp/console4.out"
"$bin/idl-console-server" <"$tmp/console4.in" >"$tmp/console4.out" 2>"$tmp/console4.log" &
console2_pid=$!
exec 3>"$tmp/console4.in"  # its input's writer end, held open
exec 4<"$tmp/console4.out" # its output's reader end, not read yet
wait_serving "$tmp/console4.log"
long=$(head -c 100000 /dev/zero | tr '\000' x)
"$bin/idl-client" print "$long" >"$tmp/stalled.out" 2>&1 &
reader_pid=$!
sleep 0.5 # so that the print has filled the pipe when the readline comes
kill -0 "$reader_pid" 2>/dev/null || fail "stalled output: the print did not wait"
echo "served while output stalls" >&3
timeout 5 "$bin/idl-client" readline >"$tmp/out" 2>"$tmp/err" ||
	fail "readline while output stalls: $(cat "$tmp/err")"
[ "$(cat "$tmp/out")" = "served while output stalls" ] ||
	fail "readline while output stalls: $(cat "$tmp/out")"
# More than the console's 256 KiB of output while stdout takes nothing:
# once the ring is full, one-way prints are dropped (idl-client log), and
# the console goes on serving. A synchronous print cannot fill it: each
# client has one write waiting at a time.
other=$(head -c 100000 /dev/zero | tr '\000' y)
timeout 5 "$bin/idl-client" log "$other" "$other" "$other" >"$tmp/out" 2>"$tmp/err" ||
	fail "log into a full console: $(cat "$tmp/err")"
echo "served while output is full" >&3
timeout 5 "$bin/idl-client" readline >"$tmp/out" 2>"$tmp/err" ||
	fail "readline while output is full: $(cat "$tmp/err")"
[ "$(cat "$tmp/out")" = "served while output is full" ] ||
	fail "readline while output is full: $(cat "$tmp/out")"
cat <&4 >"$tmp/console4.got" &
drain_pid=$!
exec 4<&-
wait "$reader_pid" || fail "the print that waited for the pipe: exit $?, $(cat "$tmp/stalled.out")"
reader_pid=
exec 3>&-
kill "$console2_pid"
wait "$console2_pid" || fail "console server 4 exited with $?"
console2_pid=
wait "$drain_pid"
drain_pid=
# All of the print (its x's, around the log's y's: the print's later
# writes came after the log), and of the log what the ring held: some, not
# all.
xs=$(tr -cd x <"$tmp/console4.got" | wc -c)
ys=$(tr -cd y <"$tmp/console4.got" | wc -c)
[ "$xs" -eq 100000 ] || fail "stalled output: $xs bytes of the print came out, not 100000"
[ "$ys" -gt 0 ] && [ "$ys" -lt 300000 ] ||
	fail "stalled output: $ys bytes of the log came out: none dropped, or none taken"
grep -q "reply" "$tmp/console4.log" && fail "stalled output: $(cat "$tmp/console4.log")"
IDL_CONSOLE_NAME=test-console-$$

# A console server started with its stdout closed prints into /dev/null,
# not into the first shared memory it makes (which descriptor 1 would be).
IDL_CONSOLE_NAME=test-console3-$$
"$bin/idl-console-server" </dev/null >&- 2>"$tmp/console3.log" &
console2_pid=$!
tries=0
until client print into the void 2>/dev/null || [ $tries -gt 100 ]; do
	tries=$((tries + 1))
	sleep 0.05
done
[ "$(readlink "/proc/$console2_pid/fd/1")" = /dev/null ] ||
	fail "stdout closed: descriptor 1 is $(readlink "/proc/$console2_pid/fd/1")"
kill "$console2_pid"
wait "$console2_pid" 2>/dev/null
console2_pid=
IDL_CONSOLE_NAME=test-console-$$

# No server: the client says so and fails.
IDL_FS_NAME=test-nobody-$$ client ls / && fail "ls without a server"
grep -q 'cannot reach server' "$tmp/err" || fail "no server: $(cat "$tmp/err")"

# Both servers stop cleanly on SIGTERM (under ASan: without leaks).
for pid in $fs_pid $console_pid; do
	kill "$pid"
	wait "$pid" || fail "server $pid exited with $?"
done
fs_pid=
console_pid=

if [ $failures -ne 0 ]; then
	echo "$failures checks failed"
	exit 1
fi
echo "hosted demo: all checks passed"
