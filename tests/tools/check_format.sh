#!/bin/sh
# Fails on any C source that the repository's .clang-format would change,
# generated code included.
set -eu
clang_format=$1
root=$2
cd "$root"
bad=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*'); do
	if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not clang-format clean: $f" >&2
		bad=1
	fi
done
[ "$bad" -eq 0 ] && echo "all C sources are clang-format clean"
exit "$bad"
