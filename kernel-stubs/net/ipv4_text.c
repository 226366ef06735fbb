/*
 * ipv4_text.c: IPv4 addresses to and from dotted text ("10.0.2.15").
 *
 * The parser takes only the one form every tool agrees on: four decimal
 * numbers 0-255. inet_aton's other forms ("10.15" for 10.0.0.15, "012"
 * read as octal, "0x0a") are refused, so no address means two things.
 */
#include "net_int.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int net_ipv4_parse(const char *text, size_t length, uint32_t *ip)
{
	uint32_t value = 0;
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (i == length || text[i] != '.')
				return NET_E_INVALID;
			i++;
		}
		size_t start = i;
		uint32_t n = 0;
		/* Three digits at most, so n stays small before the check. */
		while (i < length && i - start < 3 && is_digit(text[i]))
			n = n * 10 + (uint32_t)(text[i++] - '0');
		if (i == start || n > 255 || (text[start] == '0' && i - start > 1))
			return NET_E_INVALID;
		value = value << 8 | n;
	}
	if (i != length)
		return NET_E_INVALID;
	*ip = value;
	return NET_OK;
}

size_t net_ipv4_format(uint32_t ip, char *out, size_t size)
{
	if (size < NET_IPV4_TEXT_BYTES) {
		if (size > 0)
			out[0] = '\0';
		return 0;
	}
	size_t n = 0;
	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned byte = (ip >> shift) & 0xffu;
		if (byte >= 100)
			out[n++] = (char)('0' + byte / 100);
		if (byte >= 10)
			out[n++] = (char)('0' + byte / 10 % 10);
		out[n++] = (char)('0' + byte % 10);
		if (shift > 0)
			out[n++] = '.';
	}
	out[n] = '\0';
	return n;
}
