#!/bin/sh
# check_c99.sh CC GENERATED_DIR: a C99 compiler is refused by the generated
# headers at once, with an #error that names C11 (not with a cascade of
# errors from C11 constructs), and C11 accepts the same header.
cc=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A translation unit that includes the header, as a user's would (a header
# compiled on its own would warn about its unused static inline functions).
printf '#include "fs.h"\nint main(void) { return 0; }\n' >"$tmp/user.c"
if out=$("$cc" -std=c99 -fsyntax-only -I"$dir" "$tmp/user.c" 2>&1); then
	echo "FAIL: fs.h compiled as C99"
	exit 1
fi
echo "$out" | grep -q "needs C11" || {
	echo "FAIL: no message naming C11:"
	echo "$out"
	exit 1
}
errors=$(echo "$out" | grep -c "error:")
[ "$errors" -eq 1 ] || {
	echo "FAIL: $errors errors, not the one #error:"
	echo "$out"
	exit 1
}
"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$dir" "$tmp/user.c" || {
	echo "FAIL: fs.h does not compile as C11"
	exit 1
}
echo "PASS: C99 is refused with one #error naming C11; C11 compiles"
