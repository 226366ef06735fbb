// test_generated_cxx.cpp: a C++ program (built as C++17 and as C++11)
// that includes idlc's generated headers and links the generated C: the
// headers declare everything extern "C", and their static assertions and
// inline helpers are ones C++ accepts. It encodes and decodes through the C
// code and uses the generated name and format helpers, so a mangled name or
// a layout that C++ sees differently fails here, at compile, link or run
// time.
#include "fs.h"
#include "net.h"
#include "sys.h"

#include <cstdio>
#include <cstring>
#include <string>

static int failures = 0;

static void check(bool ok, const char *what)
{
	if (!ok) {
		std::fprintf(stderr, "test_generated_cxx: %s: FAILED\n", what);
		failures++;
	}
}

int main()
{
	alignas(8) static uint8_t wire[FS_FILE_OPEN_REQUEST_MAX_BYTES];
	alignas(8) static uint8_t priv[FS_FILE_OPEN_REQUEST_MAX_BYTES];
	const std::string path = "/data/from-c++.txt";

	fs_file_open_request req{};
	req.path.size = static_cast<uint32_t>(path.size());
	req.path.data = path.c_str();
	req.flags = FS_OPEN_FLAGS_READ | FS_OPEN_FLAGS_WRITE;
	req.mode = 0644;
	int64_t n = fs_file_open_request_encode(&req, 7, wire, sizeof(wire), nullptr, nullptr);
	check(n == static_cast<int64_t>(sizeof(fs_file_open_request) + 24), "encode from C++");

	const fs_file_open_request *out = nullptr;
	int err = fs_file_open_request_decode(wire, static_cast<size_t>(n), priv, sizeof(priv),
	                                      nullptr, 0, &out);
	check(err == IDL_OK && out != nullptr, "decode from C++");
	if (out != nullptr) {
		check(std::string(out->path.data, out->path.size) == path, "the path as sent");
		check(out->flags == (FS_OPEN_FLAGS_READ | FS_OPEN_FLAGS_WRITE),
		      "the flags as sent");
		check(out->header.txid == 7, "the txid as sent");
	}

	// A hostile byte is refused with its own code, from C++ as from C.
	wire[sizeof(fs_file_open_request) + 3] = 0;
	err = fs_file_open_request_decode(wire, static_cast<size_t>(n), priv, sizeof(priv), nullptr,
	                                  0, &out);
	check(err == IDL_E_STRING, "a NUL inside the path is IDL_E_STRING");
	check(std::strcmp(idl_error_name(err), idl_error_name(IDL_E_PADDING)) != 0 &&
	          std::strcmp(idl_error_name(err), "unknown error") != 0,
	      "idl_error_name names the code");

	// IDL_STRING_LITERAL, as the README's example uses it: C++ has no
	// compound literals, nor designated initializers before C++20.
	fs_file_open_request lit{};
	lit.path = IDL_STRING_LITERAL("/etc/motd");
	check(lit.path.size == 9 && lit.path.reserved == 0 &&
	          std::strcmp(lit.path.data, "/etc/motd") == 0,
	      "IDL_STRING_LITERAL");

	// Names and formats of values.
	check(std::strcmp(sys_errno_name(SYS_ERRNO_NOT_FOUND), "NOT_FOUND") == 0, "enum names");
	char flags[64];
	fs_open_flags_format(FS_OPEN_FLAGS_READ | FS_OPEN_FLAGS_CREATE, flags, sizeof(flags));
	check(std::string(flags) == "READ|CREATE", "bits formatting");

	if (failures == 0)
		std::printf("test_generated_cxx: generated code works from C++17\n");
	return failures == 0 ? 0 : 1;
}
