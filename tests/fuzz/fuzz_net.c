/*
 * fuzz_net.c: the network library (kernel-stubs/net) against hostile
 * frames.
 *
 * Each input is a fresh stack (built with a small ARP cache and few wait
 * slots: tests/fuzz/CMakeLists.txt): 10.0.2.15/24 with gateway 10.0.2.2, the
 * gateway already in the ARP cache (learnt from its ARP request, so the
 * answer is checked too), and a datagram waiting for 10.0.2.3, so that an
 * ARP answer in the input sends it. Every datagram delivered is echoed back
 * to its sender from inside deliver, so fuzzed addresses drive the send
 * path (next hop, ARP, wait slots) as well. The input is
 *   [u8 mode] then records [u8 control][u16 length, big-endian][frame]
 * (the last record takes what is left if it is short). mode bit 0: every
 * third transmit fails; bits 1-2: deliver answers NET_OK, NET_E_NOT_FOUND,
 * NET_E_NO_SPACE or -99; bit 3: no echo; bit 4: the harness puts right
 * checksums into every frame where the lengths let it (IPv4 header, ICMP,
 * UDP unless 0), so that mutations of the fields behind them are not all
 * stopped by the first checksum. control bits 0-3: the clock moves
 * 500 ms times that before the frame; bit 4: net_tick after it; bits 5-6:
 * before it, a datagram to nobody, an unknown host of the network, a host
 * beyond the gateway, or the local broadcast; bit 7: the clock moves past
 * the ARP lifetime.
 *
 * The input's first bytes are also read as a dotted address: when they
 * are one, its text must read back as the same address.
 *
 * Checked, with code of its own: every frame sent is well-formed (60 to
 * 1514 bytes, our MAC and address as source, ARP fields, IPv4 header
 * checksum, lengths that agree, ICMP and UDP checksums, zero padding);
 * every datagram delivered lies inside the frame being read, behind a UDP
 * header that says its length, for our address or a broadcast; every frame
 * is counted exactly once; every waiting datagram has a pending ARP entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netstack.h"

#define OUR_IP  NET_IPV4(10, 0, 2, 15)
#define GW_IP   NET_IPV4(10, 0, 2, 2)
#define WAIT_IP NET_IPV4(10, 0, 2, 3)

static const uint8_t our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static struct net_stack stack;
static uint64_t now;
static unsigned transmits, transmit_fail_every;
static int deliver_answer;
static int echo;
static int fix;
static const uint8_t *frame_start; /* the frame net_input is reading */
static size_t frame_length;

static void check(int ok)
{
	if (!ok)
		abort();
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The ones' complement sum, folded at every step: not the library's. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 2) {
		sum += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

static int sum_ok(uint32_t sum)
{
	return sum == 0xffff;
}

static int is_broadcast_ip(uint32_t ip)
{
	return ip == 0xffffffffu || ip == NET_IPV4(10, 0, 2, 255);
}

static void check_arp(const uint8_t *f)
{
	const uint8_t *a = f + 14;
	check(rd16(a) == 1 && rd16(a + 2) == 0x0800 && a[4] == 6 && a[5] == 4);
	check(memcmp(a + 8, our_mac, 6) == 0 && rd32(a + 14) == OUR_IP);
	uint16_t op = rd16(a + 6);
	if (op == 1) {
		static const uint8_t zero[6];
		check(memcmp(f, "\xff\xff\xff\xff\xff\xff", 6) == 0);
		check(memcmp(a + 18, zero, 6) == 0);
		/* Only hosts of the network are asked for. */
		uint32_t tpa = rd32(a + 24);
		check((tpa >> 8) == (OUR_IP >> 8) && tpa != OUR_IP && !is_broadcast_ip(tpa));
	} else {
		check(op == 2);
		check(memcmp(f, a + 18, 6) == 0 && (f[0] & 1) == 0);
	}
}

static void check_ipv4(const uint8_t *f, size_t length)
{
	const uint8_t *h = f + 14;
	check(h[0] == 0x45);
	size_t total = rd16(h + 2);
	check(total >= 28 && 14 + total <= length);
	for (size_t i = 14 + total; i < length; i++)
		check(f[i] == 0);
	check(sum_ok(sum16(0, h, 20)));
	check((rd16(h + 6) & 0x3fff) == 0 && h[8] == NET_TTL);
	check(rd32(h + 12) == OUR_IP);
	uint32_t dst = rd32(h + 16);
	int bcast_mac = memcmp(f, "\xff\xff\xff\xff\xff\xff", 6) == 0;
	check(bcast_mac == is_broadcast_ip(dst));
	check(bcast_mac || (f[0] & 1) == 0);
	const uint8_t *l4 = h + 20;
	size_t l4_length = total - 20;
	if (h[9] == 1) {
		check(l4[0] == 0 && l4[1] == 0 && !bcast_mac);
		check(sum_ok(sum16(0, l4, l4_length)));
		return;
	}
	check(h[9] == 17);
	check(rd16(l4 + 4) == l4_length && l4_length <= 8 + NET_UDP_MAX_PAYLOAD);
	check(rd16(l4) != 0 && rd16(l4 + 2) != 0 && rd16(l4 + 6) != 0);
	uint8_t pseudo[12];
	memcpy(pseudo, h + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = (uint8_t)(l4_length >> 8);
	pseudo[11] = (uint8_t)l4_length;
	check(sum_ok(sum16(sum16(0, pseudo, 12), l4, l4_length)));
}

static int fuzz_transmit(void *ctx, const void *frame, size_t length)
{
	(void)ctx;
	const uint8_t *f = frame;
	check(length >= NET_FRAME_MIN_BYTES && length <= NET_FRAME_MAX_BYTES);
	check(memcmp(f + 6, our_mac, 6) == 0);
	uint16_t type = rd16(f + 12);
	if (type == 0x0806) {
		check_arp(f);
	} else {
		check(type == 0x0800);
		check_ipv4(f, length);
	}
	transmits++;
	if (transmit_fail_every != 0 && transmits % transmit_fail_every == 0)
		return -1;
	return 0;
}

static int fuzz_deliver(void *ctx, const struct net_udp_datagram *d)
{
	(void)ctx;
	/* Inside the frame, behind a UDP header that agrees. */
	check(frame_start != NULL && d->length <= NET_UDP_MAX_PAYLOAD);
	check(d->payload >= frame_start + 14 + 20 + 8);
	check(d->payload + d->length <= frame_start + frame_length);
	const uint8_t *u = d->payload - 8;
	check(rd16(u) == d->source_port && rd16(u + 2) == d->destination_port);
	check(rd16(u + 4) == d->length + 8);
	check(d->destination_port != 0);
	check(d->destination_ip == OUR_IP || is_broadcast_ip(d->destination_ip));
	check(d->source_ip != OUR_IP && !is_broadcast_ip(d->source_ip));
	if (echo) {
		/* Whatever it says, it must be one of the documented answers. */
		int err = net_udp_send(&stack, d->destination_port, d->source_ip, d->source_port,
		                       d->payload, d->length);
		check(err == NET_OK || err == NET_E_INVALID || err == NET_E_NOT_SUPPORTED ||
		      err == NET_E_NO_SPACE || err == NET_E_IO || err == NET_E_UNREACHABLE);
		/* The source port may be 0: never answered. */
		check(d->source_port != 0 || err == NET_E_INVALID);
	}
	return deliver_answer;
}

static uint64_t fuzz_now(void *ctx)
{
	(void)ctx;
	return now;
}

/* The library's own bookkeeping: every frame counted once; every waiting
 * datagram waits for a pending entry, and no more entries are pending than
 * datagrams wait. */
static void check_state(void)
{
	const struct net_counters *c = &stack.counters;
	uint64_t sum = c->arp_requests + c->arp_replies + c->icmp_echoes + c->udp_delivered;
#define ADD(field, meaning) sum += c->drop.field;
	NET_DROP_REASONS(ADD)
#undef ADD
	check(sum == c->rx_frames);
	check(c->tx_frames + c->tx_errors == transmits);
	size_t waiting = 0, pending = 0;
	for (size_t i = 0; i < NET_WAIT_SLOTS; i++) {
		uint32_t hop = stack.wait[i].next_hop;
		if (hop == 0)
			continue;
		waiting++;
		int found = 0;
		for (size_t j = 0; j < NET_ARP_ENTRIES; j++)
			found |= stack.arp[j].state == 1 && stack.arp[j].ip == hop;
		check(found);
	}
	for (size_t j = 0; j < NET_ARP_ENTRIES; j++)
		pending += stack.arp[j].state == 1;
	check(pending <= waiting);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Makes the checksums of an IPv4 frame right, where its lengths say
 * where they go and lie inside the frame. */
static void fix_checksums(uint8_t *f, size_t length)
{
	if (length < 14 + 20 || rd16(f + 12) != 0x0800 || f[14] >> 4 != 4)
		return;
	uint8_t *h = f + 14;
	size_t ihl = (size_t)(h[0] & 15) * 4, total = rd16(h + 2);
	if (ihl < 20 || 14 + ihl > length)
		return;
	if (total >= ihl && 14 + total <= length) {
		uint8_t *l4 = h + ihl;
		size_t n = total - ihl;
		if (h[9] == 1 && n >= 4) {
			put16(l4 + 2, 0);
			put16(l4 + 2, ~sum16(0, l4, n) & 0xffff);
		}
		if (h[9] == 17 && n >= 8 && rd16(l4 + 6) != 0) {
			size_t u = rd16(l4 + 4);
			if (u >= 8 && u <= n) {
				uint8_t pseudo[12];
				memcpy(pseudo, h + 12, 8);
				pseudo[8] = 0;
				pseudo[9] = 17;
				put16(pseudo + 10, (uint32_t)u);
				put16(l4 + 6, 0);
				uint32_t c = ~sum16(sum16(0, pseudo, 12), l4, u) & 0xffff;
				put16(l4 + 6, c == 0 ? 0xffff : c);
			}
		}
	}
	put16(h + 10, 0);
	put16(h + 10, ~sum16(0, h, ihl) & 0xffff);
}

static void input(const uint8_t *frame, size_t length)
{
	frame_start = frame;
	frame_length = length;
	net_input(&stack, frame, length);
	frame_start = NULL;
	check_state();
}

static void send_one(unsigned which)
{
	static const uint32_t dsts[] = {0, NET_IPV4(10, 0, 2, 77), NET_IPV4(198, 51, 100, 1),
	                                NET_IPV4(10, 0, 2, 255)};
	if (which == 0)
		return;
	int err = net_udp_send(&stack, 4000, dsts[which], 5000, "fuzz", 4);
	check(err == NET_OK || err == NET_E_NO_SPACE || err == NET_E_IO);
	check_state();
}

/* An address that parses formats to text that parses to it again, and the
 * text is the input exactly (there is one way to write each address). */
static void check_text(const uint8_t *data, size_t size)
{
	size_t n = size < 20 ? size : 20;
	uint32_t ip;
	if (net_ipv4_parse((const char *)data, n, &ip) != NET_OK)
		return;
	char text[NET_IPV4_TEXT_BYTES];
	size_t len = net_ipv4_format(ip, text, sizeof(text));
	check(len == n && memcmp(text, data, n) == 0 && text[len] == '\0');
	uint32_t back;
	check(net_ipv4_parse(text, len, &back) == NET_OK && back == ip);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	check_text(data, size);
	uint8_t mode = data[0];
	static const int answers[] = {NET_OK, NET_E_NOT_FOUND, NET_E_NO_SPACE, -99};
	transmits = 0;
	transmit_fail_every = mode & 1 ? 3 : 0;
	deliver_answer = answers[(mode >> 1) & 3];
	echo = !(mode & 8);
	fix = (mode & 16) != 0;
	now = 1000000;
	struct net_settings cfg = {.ip = OUR_IP, .prefix_length = 24, .gateway = GW_IP};
	memcpy(cfg.mac, our_mac, 6);
	struct net_hooks hooks = {NULL, fuzz_transmit, fuzz_deliver, fuzz_now};
	check(net_init(&stack, &cfg, &hooks) == NET_OK);

	/* The gateway asks for us, and is learnt. */
	static const uint8_t gw_asks[42] = {
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x08, 0x06,
	    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02,
	    0x0a, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x0f,
	};
	input(gw_asks, sizeof(gw_asks));
	check(stack.counters.arp_requests == 1);
	/* A datagram waits for 10.0.2.3. */
	int err = net_udp_send(&stack, 4000, WAIT_IP, 53, "waiting", 7);
	check(err == NET_OK || err == NET_E_IO);

	size_t at = 1;
	while (at < size) {
		uint8_t control = data[at++];
		size_t length = 0;
		if (at + 2 <= size)
			length = (size_t)data[at] << 8 | data[at + 1];
		at = at + 2 <= size ? at + 2 : size;
		if (length > size - at)
			length = size - at;
		send_one((control >> 5) & 3);
		now += (uint64_t)(control & 15) * 500;
		if (control & 0x80)
			now += NET_ARP_LIFETIME_MS;
		/* An exact-size copy, so that a read past the frame is caught
		 * even when more input follows it. */
		uint8_t *copy = malloc(length ? length : 1);
		if (copy == NULL)
			abort();
		memcpy(copy, data + at, length);
		if (fix)
			fix_checksums(copy, length);
		input(copy, length);
		free(copy);
		at += length;
		if (control & 0x10) {
			net_tick(&stack);
			check_state();
		}
	}
	return 0;
}
