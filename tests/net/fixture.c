/*
 * fixture.c: the network tests' rig, frame builders, reference checksum and
 * counter checks (fixture.h).
 */
#include "fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

const uint8_t our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
const uint8_t gw_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x07};
const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static int rig_transmit(void *ctx, const void *frame, size_t length)
{
	struct rig *r = ctx;
	assert_true(length >= NET_FRAME_MIN_BYTES && length <= NET_FRAME_MAX_BYTES);
	if (r->transmit_result != 0)
		return r->transmit_result;
	assert_true(r->sent_count < RIG_MAX_FRAMES);
	struct sent_frame *s = &r->sent[r->sent_count++];
	s->length = length;
	memcpy(s->bytes, frame, length);
	return 0;
}

static int rig_deliver(void *ctx, const struct net_udp_datagram *d)
{
	struct rig *r = ctx;
	assert_true(d->length <= NET_UDP_MAX_PAYLOAD);
	if (r->deliver_result == NET_OK) {
		assert_true(r->got_count < RIG_MAX_DATAGRAMS);
		struct got_datagram *g = &r->got[r->got_count++];
		g->head = *d;
		memcpy(g->bytes, d->payload, d->length);
		g->head.payload = g->bytes;
	}
	if (r->echo)
		r->echo_result = net_udp_send(&r->stack, d->destination_port, d->source_ip,
		                              d->source_port, d->payload, d->length);
	return r->deliver_result;
}

static uint64_t rig_now(void *ctx)
{
	return ((struct rig *)ctx)->now_ms;
}

void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->now_ms = 1000;
	struct net_settings cfg = {
	    .ip = NET_QEMU_IP,
	    .prefix_length = NET_QEMU_PREFIX_LENGTH,
	    .gateway = NET_QEMU_GATEWAY,
	};
	memcpy(cfg.mac, our_mac, 6);
	struct net_hooks hooks = {
	    .ctx = r,
	    .transmit = rig_transmit,
	    .deliver = rig_deliver,
	    .now_ms = rig_now,
	};
	assert_int_equal(net_init(&r->stack, &cfg, &hooks), NET_OK);
}

void rig_clear(struct rig *r)
{
	r->sent_count = 0;
	r->got_count = 0;
}

void rig_learn_neighbours(struct rig *r)
{
	uint8_t f[NET_FRAME_MAX_BYTES];
	uint64_t answered = r->stack.counters.arp_requests;
	size_t n = build_arp(f, 1, gw_mac, GW_IP, bcast_mac, OUR_IP);
	rig_input(r, f, n);
	n = build_arp(f, 1, peer_mac, PEER_IP, bcast_mac, OUR_IP);
	rig_input(r, f, n);
	assert_int_equal(r->stack.counters.arp_requests, answered + 2);
	rig_clear(r);
}

void rig_input(struct rig *r, const void *frame, size_t length)
{
	uint8_t *copy = malloc(length > 0 ? length : 1);
	assert_non_null(copy);
	memcpy(copy, frame, length);
	net_input(&r->stack, copy, length);
	free(copy);
}

uint16_t ref_checksum(const void *data, size_t length)
{
	const uint8_t *p = data;
	uint16_t sum = 0;
	for (size_t i = 0; i < length; i += 2) {
		uint16_t word = (uint16_t)(p[i] << 8 | (i + 1 < length ? p[i + 1] : 0));
		uint32_t s = (uint32_t)sum + word;
		sum = (uint16_t)(s + (s >> 16));
	}
	return (uint16_t)~sum;
}

uint16_t ref_udp_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t length)
{
	uint8_t *buf = malloc(12 + length);
	assert_non_null(buf);
	wr32(buf, src);
	wr32(buf + 4, dst);
	buf[8] = 0;
	buf[9] = 17;
	wr16(buf + 10, (uint32_t)length);
	memcpy(buf + 12, udp, length);
	uint16_t sum = ref_checksum(buf, 12 + length);
	free(buf);
	return sum;
}

uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v);
}

size_t build_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	wr16(f + 12, type);
	return 14;
}

size_t build_arp(uint8_t *f, uint16_t op, const uint8_t *sha, uint32_t spa, const uint8_t *tha,
                 uint32_t tpa)
{
	build_eth(f, op == 1 ? bcast_mac : our_mac, sha, 0x0806);
	uint8_t *a = f + 14;
	wr16(a, 1);
	wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, sha, 6);
	wr32(a + 14, spa);
	memcpy(a + 18, tha, 6);
	wr32(a + 24, tpa);
	return 14 + 28;
}

struct ip_spec ip_spec_default(uint8_t protocol)
{
	struct ip_spec s = {
	    .eth_dst = our_mac,
	    .eth_src = peer_mac,
	    .version = 4,
	    .ihl = 5,
	    .total_length = -1,
	    .id = 0x1234,
	    .fragment = 0x4000, /* DF, as Linux sends */
	    .ttl = 64,
	    .protocol = protocol,
	    .checksum = -1,
	    .src = PEER_IP,
	    .dst = OUR_IP,
	};
	return s;
}

size_t build_ip(uint8_t *f, const struct ip_spec *s, const void *payload, size_t length)
{
	build_eth(f, s->eth_dst, s->eth_src, 0x0800);
	uint8_t *h = f + 14;
	size_t header = (size_t)s->ihl * 4;
	size_t room = header >= 20 ? header : 20;
	assert_true(14 + room + length <= NET_FRAME_MAX_BYTES + 64);
	h[0] = (uint8_t)(s->version << 4 | s->ihl);
	h[1] = s->tos;
	wr16(h + 2, s->total_length >= 0 ? (uint32_t)s->total_length : (uint32_t)(room + length));
	wr16(h + 4, s->id);
	wr16(h + 6, s->fragment);
	h[8] = s->ttl;
	h[9] = s->protocol;
	wr16(h + 10, 0);
	wr32(h + 12, s->src);
	wr32(h + 16, s->dst);
	if (room > 20)
		memcpy(h + 20, s->options, room - 20);
	/* A header shorter than 20 is checksummed as IHL says. */
	wr16(h + 10, s->checksum >= 0 ? (uint32_t)s->checksum : ref_checksum(h, header));
	memcpy(h + room, payload, length);
	return 14 + room + length;
}

size_t build_udp(uint8_t *f, const struct ip_spec *ip, const struct udp_spec *udp,
                 const void *payload, size_t length)
{
	uint8_t seg[NET_FRAME_MAX_BYTES];
	assert_true(8 + length <= sizeof(seg));
	wr16(seg, udp->src_port);
	wr16(seg + 2, udp->dst_port);
	wr16(seg + 4, udp->length >= 0 ? (uint32_t)udp->length : (uint32_t)(8 + length));
	wr16(seg + 6, 0);
	memcpy(seg + 8, payload, length);
	uint16_t sum = ref_udp_checksum(ip->src, ip->dst, seg, 8 + length);
	if (sum == 0)
		sum = 0xffff;
	wr16(seg + 6, udp->checksum >= 0 ? (uint32_t)udp->checksum : sum);
	return build_ip(f, ip, seg, 8 + length);
}

size_t build_echo(uint8_t *f, const struct ip_spec *ip, uint16_t ident, uint16_t seq,
                  const void *data, size_t length)
{
	uint8_t msg[NET_FRAME_MAX_BYTES];
	assert_true(8 + length <= sizeof(msg));
	msg[0] = 8;
	msg[1] = 0;
	wr16(msg + 2, 0);
	wr16(msg + 4, ident);
	wr16(msg + 6, seq);
	memcpy(msg + 8, data, length);
	wr16(msg + 2, ref_checksum(msg, 8 + length));
	return build_ip(f, ip, msg, 8 + length);
}

/* The handled counters, by name. */
static uint64_t handled(const struct net_counters *c, const char *name)
{
	if (strcmp(name, "arp_requests") == 0)
		return c->arp_requests;
	if (strcmp(name, "arp_replies") == 0)
		return c->arp_replies;
	if (strcmp(name, "icmp_echoes") == 0)
		return c->icmp_echoes;
	if (strcmp(name, "udp_delivered") == 0)
		return c->udp_delivered;
	fail_msg("no handled counter %s", name);
	return 0;
}

static const char *const handled_names[] = {"arp_requests", "arp_replies", "icmp_echoes",
                                            "udp_delivered"};

void expect_counted(const struct net_counters *before, const struct net_counters *after,
                    const char *name)
{
	assert_int_equal(after->rx_frames, before->rx_frames + 1);
	int found = 0;
#define CHECK(field, meaning)                                                                      \
	do {                                                                                       \
		uint64_t want = strcmp(#field, name) == 0;                                         \
		found += (int)want;                                                                \
		if (after->drop.field - before->drop.field != want)                                \
			fail_msg("drop.%s moved by %llu, expected %llu (expected reason: %s)",     \
			         #field,                                                           \
			         (unsigned long long)(after->drop.field - before->drop.field),     \
			         (unsigned long long)want, name);                                  \
	} while (0);
	NET_DROP_REASONS(CHECK)
#undef CHECK
	for (size_t i = 0; i < sizeof(handled_names) / sizeof(handled_names[0]); i++) {
		uint64_t want = strcmp(handled_names[i], name) == 0;
		found += (int)want;
		uint64_t moved =
		    handled(after, handled_names[i]) - handled(before, handled_names[i]);
		if (moved != want)
			fail_msg("%s moved by %llu, expected %llu (expected: %s)", handled_names[i],
			         (unsigned long long)moved, (unsigned long long)want, name);
	}
	if (found != 1)
		fail_msg("no counter is called %s", name);
	expect_all_counted(after);
}

void expect_all_counted(const struct net_counters *c)
{
	uint64_t sum = c->arp_requests + c->arp_replies + c->icmp_echoes + c->udp_delivered;
#define ADD(field, meaning) sum += c->drop.field;
	NET_DROP_REASONS(ADD)
#undef ADD
	assert_int_equal(sum, c->rx_frames);
}

void expect_input_dropped(struct rig *r, const void *frame, size_t length, const char *reason)
{
	struct net_counters before = r->stack.counters;
	size_t sent = r->sent_count, got = r->got_count;
	rig_input(r, frame, length);
	expect_counted(&before, &r->stack.counters, reason);
	assert_int_equal(r->sent_count, sent);
	assert_int_equal(r->got_count, got);
}
