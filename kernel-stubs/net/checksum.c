/*
 * checksum.c: the Internet checksum (RFC 1071), which IPv4 headers, ICMP
 * messages and UDP datagrams (with their pseudo-header) carry.
 *
 * The sum is the ones' complement sum of big-endian 16-bit words, an odd
 * last byte padded with a zero byte; the checksum is its complement. The
 * words are added into 64 bits and the carries folded back at the end,
 * which gives the same result as adding each carry back at once (RFC 1071
 * 2(B), deferred carries) and cannot overflow for any buffer that fits in
 * memory.
 */
#include "net_int.h"

uint32_t net_checksum_add(uint32_t sum, const void *data, size_t length)
{
	const uint8_t *p = data;
	uint64_t acc = sum;
	for (; length >= 2; p += 2, length -= 2)
		acc += net_get16(p);
	if (length == 1)
		acc += (uint32_t)p[0] << 8;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t net_checksum_finish(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t net_checksum(const void *data, size_t length)
{
	return net_checksum_finish(net_checksum_add(0, data, length));
}
