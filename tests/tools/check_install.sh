#!/bin/sh
# What a user of idlc does, from scratch: installs this build into a fresh
# prefix (cmake --install), then builds examples/greeter against it with
# find_package(idlc) under Ninja and under Unix Makefiles, runs its server
# and client, and checks the greetings; then edits the imported description
# (in a copy) and checks that the build regenerates what depends on it;
# then builds a program with pkg-config's flags alone, and a C++17 program
# with find_package; then idlc_generate's mistakes, and small projects of
# its users: dotted names, a project at cmake_minimum_required 3.13 (a
# second build has nothing to do), target_link_libraries' plain signature,
# and the README's and the man page's examples verbatim.
#
#   check_install.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
tmp=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || fail "cmake --install"
for f in bin/idlc share/man/man1/idlc.1 include/idl_wire.h include/idl/linux.h \
	lib/libidl_runtime.a lib/cmake/idlc/idlcConfig.cmake lib/cmake/idlc/idlcConfigVersion.cmake \
	lib/pkgconfig/idlc-runtime.pc; do
	[ -f "$tmp/prefix/$f" ] || fail "the prefix has no $f"
done
man -l "$tmp/prefix/share/man/man1/idlc.1" >/dev/null 2>&1 ||
	groff -man -Tutf8 "$tmp/prefix/share/man/man1/idlc.1" >/dev/null 2>&1 ||
	echo "(neither man nor groff to render the man page with; skipped)"
# A copy of the example, so that the test can edit it.
cp -r "$src/examples/greeter" "$tmp/greeter"
for generator in Ninja "Unix Makefiles"; do
	dir="$tmp/build-$(echo "$generator" | tr ' ' _)"
	cmake -S "$tmp/greeter" -B "$dir" -G "$generator" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
		>"$tmp/configure.log" 2>&1 || {
		cat "$tmp/configure.log"
		fail "configuring the example ($generator)"
	}
	cmake --build "$dir" >"$tmp/build.log" 2>&1 || {
		cat "$tmp/build.log"
		fail "building the example ($generator)"
	}
	# The imported description changes: what imports it is generated again.
	sleep 1
	echo "// Edited by check_install.sh." >>"$tmp/greeter/idl/common.idl"
	cmake --build "$dir" >"$tmp/rebuild.log" 2>&1 || fail "rebuilding ($generator)"
	grep -q "idlc: idl/greeter.idl" "$tmp/rebuild.log" ||
		fail "editing common.idl did not regenerate greeter.idl's C ($generator)"
	# The example serves as "greeter"; two runs at once would clash, and the
	# test runs them one after the other.
	# A log of this run's own: the background job truncates a file only when
	# it starts, and the wait below must not see the last run's.
	log="$dir/server.log"
	"$dir/greeter-server" >"$log" 2>&1 &
	server=$!
	tries=0
	until grep -q "serving" "$log" 2>/dev/null; do
		tries=$((tries + 1))
		[ $tries -gt 100 ] && fail "the example's server did not start"
		sleep 0.05
	done
	"$dir/greeter-client" Ada Grace >"$tmp/client.log" 2>&1 || {
		cat "$tmp/client.log" "$log"
		fail "the example's client ($generator)"
	}
	"$dir/greeter-client" "" >>"$tmp/client.log" 2>&1 && fail "an empty name was greeted"
	kill $server
	wait $server 2>/dev/null
	status=$?
	server=""
	[ $status -eq 0 ] || fail "the example's server exited with $status on SIGTERM, not 0"
	cat "$tmp/client.log"
	grep -q "^Hello, Ada! (greeting 1)$" "$tmp/client.log" || fail "no greeting for Ada"
	grep -q "^Hello, Grace! (greeting 2)$" "$tmp/client.log" || fail "no greeting for Grace"
	grep -q "hello '': EMPTY_NAME" "$tmp/client.log" || fail "the server's error did not come back"
	grep -q "^the greeter has greeted 2 so far$" "$tmp/client.log" || fail "no count of greetings"
	echo "ok: the example builds and runs with $generator"
done
# pkg-config alone: a program that compiles generated code and links the runtime.
mkdir -p "$tmp/pc"
"$tmp/prefix/bin/idlc" -o "$tmp/pc" --per-file "$src/examples/greeter/idl/common.idl" ||
	fail "idlc --per-file"
cat >"$tmp/pc/main.c" <<'C'
#include "common.h"
#include <idl/linux.h>
#include <stdio.h>
int main(void)
{
	/* Something of the generated code and something of the library. */
	printf("%s\n", common_error_name(COMMON_ERROR_TOO_MANY));
	return idl_linux_handle_kind(-1) == IDL_KIND_ANY ? 0 : 1;
}
C
flags=$(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs idlc-runtime) ||
	fail "pkg-config idlc-runtime"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$tmp/pc" -o "$tmp/pc/main" "$tmp/pc/main.c" \
	"$tmp/pc/common.c" $flags || fail "compiling with pkg-config's flags"
[ "$("$tmp/pc/main")" = TOO_MANY ] || fail "the pkg-config program"
[ -f "$tmp/pc/idl_wire.h" ] && fail "--per-file wrote idl_wire.h: it comes from the prefix"
# A C++17 program with find_package: generated headers from C++, the
# generated C compiled as C beside it, idlc::wire from the prefix.
if command -v c++ >/dev/null 2>&1; then
	mkdir -p "$tmp/cxx"
	cp -r "$src/examples/greeter/idl" "$tmp/cxx/idl"
	cat >"$tmp/cxx/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(greeter_cxx LANGUAGES C CXX)
set(CMAKE_C_STANDARD 11)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
find_package(idlc CONFIG REQUIRED)
add_executable(greeter-cxx main.cpp)
idlc_generate(greeter-cxx FILES idl/common.idl idl/greeter.idl IMPORT_DIRS idl)
target_link_libraries(greeter-cxx PRIVATE idlc::wire)
target_compile_options(greeter-cxx PRIVATE -Wall -Wextra -Werror)
CMAKE
	cat >"$tmp/cxx/main.cpp" <<'CXX'
#include "greeter.h"
#include <cstdio>
#include <string>
int main()
{
	std::string name = common_error_name(COMMON_ERROR_TOO_MANY);
	std::printf("%s %u\n", name.c_str(), static_cast<unsigned>(GREETER_GREETER_PROTOCOL != 0));
	return name == "TOO_MANY" ? 0 : 1;
}
CXX
	cmake -S "$tmp/cxx" -B "$tmp/cxx/build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" \
		>"$tmp/cxx.log" 2>&1 && cmake --build "$tmp/cxx/build" >>"$tmp/cxx.log" 2>&1 || {
		cat "$tmp/cxx.log"
		fail "building a C++17 program with find_package(idlc)"
	}
	[ "$("$tmp/cxx/build/greeter-cxx")" = "TOO_MANY 1" ] || fail "the C++ program"
	echo "ok: a C++17 program builds against the installed package"
else
	fail "no C++ compiler (c++) to build the C++ program with"
fi
# Mistakes in idlc_generate are told at configure time, not by a missing
# file at build time: a misspelt keyword (FILES would take it for a file),
# a .idl that is not there, two files of one name, and a call from a
# directory other than the target's.
mistake() {
	what=$1
	want=$2
	call=$3
	dir="$tmp/mistake"
	rm -rf "$dir"
	mkdir -p "$dir/sub" "$dir/idl" "$dir/other"
	cp "$src/examples/greeter/idl/"*.idl "$dir/idl/"
	cp "$src/examples/greeter/idl/common.idl" "$dir/other/"
	printf 'cmake_minimum_required(VERSION 3.20)\nproject(m C)\n' >"$dir/CMakeLists.txt"
	printf 'find_package(idlc CONFIG REQUIRED)\nadd_library(m STATIC)\n' >>"$dir/CMakeLists.txt"
	case $call in
	sub:*)
		printf 'add_subdirectory(sub)\n' >>"$dir/CMakeLists.txt"
		echo "${call#sub:}" >"$dir/sub/CMakeLists.txt"
		;;
	*) echo "$call" >>"$dir/CMakeLists.txt" ;;
	esac
	if cmake -S "$dir" -B "$dir/build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" \
		>"$tmp/mistake.log" 2>&1; then
		fail "idlc_generate with $what: configured without an error"
	fi
	# CMake wraps its messages: look at the log as one line.
	tr -s '\n ' '  ' <"$tmp/mistake.log" | grep -q "$want" || {
		cat "$tmp/mistake.log"
		fail "idlc_generate with $what: no '$want'"
	}
}
mistake "a misspelt keyword" "'IMPORT_DIR' in FILES is not a .idl file" \
	"idlc_generate(m FILES idl/greeter.idl IMPORT_DIR idl)"
mistake "a missing file" "idl/nothere.idl does not exist" "idlc_generate(m FILES idl/nothere.idl)"
mistake "two files of one name" "would both" \
	"idlc_generate(m FILES idl/common.idl other/common.idl)"
mistake "a call from another directory" "call it in" "sub:idlc_generate(m FILES ../idl/common.idl)"
echo "ok: idlc_generate's mistakes are told at configure time"
# consumer DIR WHAT: configures and builds the project in DIR (which the
# caller wrote) with Ninja against the prefix, as a user of idlc_generate.
consumer() {
	cmake -S "$1" -B "$1/build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$1.log" 2>&1 &&
		cmake --build "$1/build" >>"$1.log" 2>&1 || {
		cat "$1.log"
		fail "$2"
	}
}
# Dotted names: idlc strips only a final .idl (common.v2.idl gives
# common.v2.h), so idlc_generate must expect those outputs, and a.x.idl and
# a.y.idl are two names, not one.
d="$tmp/dotted"
mkdir -p "$d/idl"
cp "$src/examples/greeter/idl/common.idl" "$d/idl/common.v2.idl"
sed 's/^package common;/package ax;/' "$src/examples/greeter/idl/common.idl" >"$d/idl/a.x.idl"
sed 's/^package common;/package ay;/' "$src/examples/greeter/idl/common.idl" >"$d/idl/a.y.idl"
cat >"$d/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(dotted C)
find_package(idlc CONFIG REQUIRED)
add_executable(dotted main.c)
idlc_generate(dotted FILES idl/common.v2.idl idl/a.x.idl idl/a.y.idl)
CMAKE
cat >"$d/main.c" <<'C'
#include "a.x.h"
#include "a.y.h"
#include "common.v2.h"
#include <stdio.h>
int main(void)
{
	/* Something of each file's generated code. */
	printf("%s %s %s\n", common_error_name(COMMON_ERROR_TOO_MANY), ax_error_name(AX_ERROR_TOO_MANY),
	       ay_error_name(AY_ERROR_EMPTY_NAME));
	return 0;
}
C
consumer "$d" "idlc_generate with dotted names (common.v2.idl, a.x.idl and a.y.idl)"
[ "$("$d/build/dotted")" = "TOO_MANY TOO_MANY EMPTY_NAME" ] || fail "the program of dotted names"
echo "ok: idlc_generate takes names with dots as idlc does"
# A project whose cmake_minimum_required predates CMake 3.20 has policy
# CMP0116 unset (OLD), under which Ninja took idlc's depfile as it is and,
# finding absolute paths in it, ran idlc and the compiler again on every
# build: a second build must have nothing to do.
d="$tmp/old-policy"
mkdir -p "$d"
cp -r "$src/examples/greeter/idl" "$d/idl"
cat >"$d/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.13)
project(old_policy C)
find_package(idlc CONFIG REQUIRED)
add_library(old_policy STATIC)
idlc_generate(old_policy FILES idl/common.idl idl/greeter.idl IMPORT_DIRS idl)
CMAKE
consumer "$d" "idlc_generate in a project at cmake_minimum_required(VERSION 3.13)"
cmake --build "$d/build" >"$d.log" 2>&1 || fail "building again at VERSION 3.13"
grep -q "ninja: no work to do" "$d.log" || {
	cat "$d.log"
	fail "at cmake_minimum_required(VERSION 3.13) with Ninja, a second build did work again"
}
echo "ok: a second build has nothing to do whatever the project's CMP0116"
# A project that links with target_link_libraries' plain signature (no
# PRIVATE or PUBLIC), before idlc_generate and after it: CMake refuses the
# two signatures on one target, so idlc_generate must use neither.
d="$tmp/plain"
mkdir -p "$d"
cp -r "$src/examples/greeter/idl" "$d/idl"
cat >"$d/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(plain C)
find_package(idlc CONFIG REQUIRED)
add_executable(before main.c)
target_link_libraries(before idlc::runtime)
idlc_generate(before FILES idl/common.idl)
add_executable(after main.c)
idlc_generate(after FILES idl/common.idl)
target_link_libraries(after idlc::runtime)
CMAKE
cat >"$d/main.c" <<'C'
#include "common.h"
#include <idl/linux.h>
int main(void)
{
	return idl_linux_handle_kind(-1) == IDL_KIND_ANY && common_error_name(COMMON_ERROR_TOO_MANY) ? 0 : 1;
}
C
consumer "$d" "idlc_generate on targets linked with target_link_libraries' plain signature"
"$d/build/before" && "$d/build/after" || fail "the programs linked with the plain signature"
echo "ok: idlc_generate works beside target_link_libraries' plain signature"
# The CMake of the README and of the man page, verbatim, for a description
# that imports another: README's idl/my.idl imports idl/types.idl, the man
# page's idl/fs.idl imports idl/sys.idl.
d="$tmp/readme"
mkdir -p "$d/idl"
printf 'package types;\nenum Color : u8 { RED = 1; }\n' >"$d/idl/types.idl"
printf 'package my;\nimport "types.idl";\nstruct Pixel { color: types.Color; }\n' >"$d/idl/my.idl"
printf '#include "my.h"\nint main(void) { return types_color_name(TYPES_COLOR_RED) ? 0 : 1; }\n' \
	>"$d/server.c"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(readme C)\n' >"$d/CMakeLists.txt"
awk '/^## Use idlc in your project/ { section = 1 }
	section && /^```cmake/ { inside = 1; next }
	inside && /^```/ { exit }
	inside' "$src/README.md" >>"$d/CMakeLists.txt"
grep -q idlc_generate "$d/CMakeLists.txt" || fail "no idlc_generate in the README's CMake"
consumer "$d" "the README's CMake, for a description that imports another"
"$d/build/myserver" || fail "the README's program"
d="$tmp/man"
mkdir -p "$d/idl"
cp "$src/idl/fs.idl" "$src/idl/sys.idl" "$d/idl/"
printf '#include "fs.h"\nint main(void) { return 0; }\n' >"$d/server.c"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(man C)\n' >"$d/CMakeLists.txt"
printf 'find_package(idlc CONFIG REQUIRED)\nadd_executable(myserver server.c)\n' >>"$d/CMakeLists.txt"
awk '/^From CMake/ { section = 1 }
	section && /^\.nf/ { inside = 1; next }
	inside && /^\.fi/ { exit }
	inside' "$src/compiler/idlc.1" >>"$d/CMakeLists.txt"
grep -q idlc_generate "$d/CMakeLists.txt" || fail "no idlc_generate in the man page's example"
consumer "$d" "the man page's idlc_generate, for fs.idl, which imports sys.idl"
echo "ok: the README's and the man page's CMake build a description that imports another"
# The README's pkg-config command, with its prefix made this one: it must
# find the package without a PKG_CONFIG_PATH of the caller's.
cmd=$(sed -n 's/.*`\([^`]*pkg-config --cflags --libs idlc-runtime\)`.*/\1/p' "$src/README.md" |
	sed "s|\\\$HOME/idlc|$tmp/prefix|g; s|~/idlc|$tmp/prefix|g")
[ -n "$cmd" ] || fail "no pkg-config command in the README"
flags=$(env -u PKG_CONFIG_PATH sh -c "$cmd") || fail "the README's '$cmd'"
case $flags in *-lidl_runtime*) ;; *) fail "the README's '$cmd' gave '$flags'" ;; esac
echo "ok: the README's pkg-config command finds the package"
echo "PASS: installed, found with find_package and pkg-config, example and a C++ program built and run"
