#!/bin/sh
# check_compat_codes.sh ROOT: every code the compatibility checker can
# report (each "compat-..." string in compiler/compat*.c) has a row in
# docs/evolution.md and is printed by at least one case of
# tests/compiler/compat, so that no rule goes undocumented or untested.
set -u
root=$1
fail=0
codes=$(grep -oh '"compat-[a-z-]*"' "$root"/compiler/compat*.c | tr -d '"' | sort -u)
for code in $codes; do
	if ! grep -q "^| \`$code\` |" "$root/docs/evolution.md"; then
		echo "FAIL $code: no row in docs/evolution.md"
		fail=1
	fi
	if ! cat "$root"/tests/compiler/compat/*/expected.txt | grep -q "\[$code\]\$"; then
		echo "FAIL $code: no case in tests/compiler/compat prints it"
		fail=1
	fi
done
echo "$(echo "$codes" | wc -l) codes checked"
exit $fail
