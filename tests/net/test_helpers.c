/*
 * test_helpers.c: the pure helpers (the Internet checksum, dotted IPv4
 * text), net_init's and net_configure's checks of a configuration, and
 * docs/netstack.md naming every drop reason the header lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/* RFC 1071 section 3's example: the words 0001 f203 f4f5 f6f7 sum to
 * 0xddf2 with the carries folded, so the checksum is 0x220d. */
static void checksum_rfc1071_example(void **state)
{
	(void)state;
	static const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(net_checksum(data, sizeof(data)), 0x220d);
	assert_int_equal(ref_checksum(data, sizeof(data)), 0x220d);
	assert_int_equal(net_checksum(data, 0), 0xffff);
}

/* A well-known IPv4 header (the example on Wikipedia's "IPv4 header
 * checksum" page): its checksum is b861, and with it filled in the header
 * sums to 0. */
static void checksum_known_header(void **state)
{
	(void)state;
	uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	                 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	assert_int_equal(net_checksum(h, 20), 0xb861);
	h[10] = 0xb8;
	h[11] = 0x61;
	assert_int_equal(net_checksum(h, 20), 0);
}

/* Odd lengths pad with a zero byte on the right; pieces of even length
 * summed one after another give the whole; and random buffers of every
 * length up to a frame agree with the reference. */
static void checksum_matches_reference(void **state)
{
	(void)state;
	static const uint8_t odd[] = {0xab, 0xcd, 0xef};
	static const uint8_t padded[] = {0xab, 0xcd, 0xef, 0x00};
	assert_int_equal(net_checksum(odd, 3), net_checksum(padded, 4));
	assert_int_equal(net_checksum(odd, 3), (uint16_t) ~(0xabcd + 0xef00 - 0xffff));

	static uint8_t buf[NET_FRAME_MAX_BYTES + 1];
	srand(7);
	for (size_t n = 0; n <= sizeof(buf); n++) {
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rand();
		/* Some all-ones runs, where carries pile up. */
		if (n % 5 == 0)
			memset(buf, 0xff, n);
		assert_int_equal(net_checksum(buf, n), ref_checksum(buf, n));
		size_t cut = (n / 2) & ~(size_t)1;
		uint32_t sum = net_checksum_add(0, buf, cut);
		sum = net_checksum_add(sum, buf + cut, n - cut);
		assert_int_equal(net_checksum_finish(sum), ref_checksum(buf, n));
	}
}

static uint32_t parse_ok(const char *text)
{
	uint32_t ip = 0xdeadbeef;
	if (net_ipv4_parse(text, strlen(text), &ip) != NET_OK)
		fail_msg("\"%s\" was refused", text);
	return ip;
}

static void parse_addresses(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("10.0.2.15"), NET_IPV4(10, 0, 2, 15));
	assert_int_equal(parse_ok("0.0.0.0"), 0);
	assert_int_equal(parse_ok("255.255.255.255"), 0xffffffffu);
	assert_int_equal(parse_ok("192.168.100.1"), 0xc0a86401u);
	assert_int_equal(parse_ok("1.22.199.250"), NET_IPV4(1, 22, 199, 250));
	/* The length bounds the text: no terminator needed. */
	uint32_t ip;
	assert_int_equal(net_ipv4_parse("10.0.2.2junk", 8, &ip), NET_OK);
	assert_int_equal(ip, NET_IPV4(10, 0, 2, 2));

	static const char *const bad[] = {
	    "",
	    "1",
	    "1.2.3",
	    "1.2.3.4.",
	    "1.2.3.4.5",
	    ".1.2.3",
	    "1..2.3",
	    "256.0.0.1",
	    "1.2.3.256",
	    "1.2.3.1000",
	    "01.2.3.4",
	    "1.2.3.04",
	    "1.2.3.00",
	    " 1.2.3.4",
	    "1.2.3.4 ",
	    "1.2.3.-4",
	    "+1.2.3.4",
	    "0x1.2.3.4",
	    "1.2.3.4/",
	    "999.999.9.9",
	    "1.2.3.12345",
	    "4294967295.0",
	    "a.b.c.d",
	    "1,2,3,4",
	    /* Numbers that wrap a 32-bit accumulator to a valid byte. */
	    "4294967296.0.0.1",
	    "1.2.3.4294967297",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ip = 0x01020304;
		if (net_ipv4_parse(bad[i], strlen(bad[i]), &ip) != NET_E_INVALID)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_int_equal(ip, 0x01020304); /* left alone */
	}
}

static void format_addresses(void **state)
{
	(void)state;
	char out[NET_IPV4_TEXT_BYTES];
	assert_int_equal(net_ipv4_format(NET_IPV4(10, 0, 2, 15), out, sizeof(out)), 9);
	assert_string_equal(out, "10.0.2.15");
	assert_int_equal(net_ipv4_format(0xffffffffu, out, sizeof(out)), 15);
	assert_string_equal(out, "255.255.255.255");
	assert_int_equal(net_ipv4_format(0, out, sizeof(out)), 7);
	assert_string_equal(out, "0.0.0.0");
	assert_int_equal(net_ipv4_format(NET_IPV4(100, 9, 10, 199), out, sizeof(out)), 12);
	assert_string_equal(out, "100.9.10.199");
	/* Too small a buffer gets an empty string, none gets nothing. */
	assert_int_equal(net_ipv4_format(1, out, NET_IPV4_TEXT_BYTES - 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(net_ipv4_format(1, NULL, 0), 0);

	/* Round trips, every byte value in every position. */
	for (uint32_t v = 0; v < 256; v++) {
		uint32_t ip = v << 24 | (255 - v) << 16 | (v * 7 % 256) << 8 | (v * 13 % 256);
		size_t n = net_ipv4_format(ip, out, sizeof(out));
		assert_int_equal(n, strlen(out));
		uint32_t back = 0;
		assert_int_equal(net_ipv4_parse(out, n, &back), NET_OK);
		assert_int_equal(back, ip);
	}
}

static int dummy_transmit(void *ctx, const void *frame, size_t length)
{
	(void)ctx;
	(void)frame;
	(void)length;
	return 0;
}

static int dummy_deliver(void *ctx, const struct net_udp_datagram *d)
{
	(void)ctx;
	(void)d;
	return NET_OK;
}

static uint64_t dummy_now(void *ctx)
{
	(void)ctx;
	return 0;
}

static struct net_settings good_settings(void)
{
	struct net_settings s = {
	    .mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
	    .ip = NET_QEMU_IP,
	    .prefix_length = NET_QEMU_PREFIX_LENGTH,
	    .gateway = NET_QEMU_GATEWAY,
	};
	return s;
}

static void init_checks_settings_and_hooks(void **state)
{
	(void)state;
	static struct net_stack stack;
	struct net_hooks hooks = {NULL, dummy_transmit, dummy_deliver, dummy_now};
	struct net_settings s = good_settings();
	assert_int_equal(net_init(&stack, &s, &hooks), NET_OK);
	assert_int_equal(stack.netmask, 0xffffff00u);
	assert_int_equal(stack.broadcast, NET_IPV4(10, 0, 2, 255));
	/* No gateway is a configuration too. */
	s.gateway = 0;
	assert_int_equal(net_init(&stack, &s, &hooks), NET_OK);

	struct net_hooks h = hooks;
	h.transmit = NULL;
	assert_int_equal(net_init(&stack, &s, &h), NET_E_INVALID);
	h = hooks;
	h.deliver = NULL;
	assert_int_equal(net_init(&stack, &s, &h), NET_E_INVALID);
	h = hooks;
	h.now_ms = NULL;
	assert_int_equal(net_init(&stack, &s, &h), NET_E_INVALID);
}

static void configure_refuses_bad_settings(void **state)
{
	(void)state;
	static struct net_stack stack;
	struct net_hooks hooks = {NULL, dummy_transmit, dummy_deliver, dummy_now};
	struct net_settings good = good_settings();
	assert_int_equal(net_init(&stack, &good, &hooks), NET_OK);

	struct net_settings bad[20];
	size_t n = 0;
	for (size_t i = 0; i < 20; i++)
		bad[i] = good;
	bad[n++].mac[0] = 0x01;                /* multicast */
	memset(bad[n++].mac, 0xff, 6);         /* broadcast */
	memset(bad[n++].mac, 0, 6);            /* zero */
	bad[n++].prefix_length = 0;            /* no network at all */
	bad[n++].prefix_length = 31;           /* no broadcast address */
	bad[n++].prefix_length = 33;           /* nonsense */
	bad[n++].ip = NET_IPV4(10, 0, 2, 0);   /* the network's own address */
	bad[n++].ip = NET_IPV4(10, 0, 2, 255); /* its broadcast */
	bad[n].ip = NET_IPV4(127, 0, 0, 1);    /* loopback */
	bad[n++].gateway = NET_IPV4(127, 0, 0, 2);
	bad[n].ip = NET_IPV4(224, 0, 2, 15); /* multicast */
	bad[n++].gateway = NET_IPV4(224, 0, 2, 2);
	bad[n].ip = NET_IPV4(0, 0, 2, 15); /* "this network" */
	bad[n++].gateway = NET_IPV4(0, 0, 2, 2);
	bad[n++].gateway = NET_IPV4(10, 0, 3, 2);   /* off the network */
	bad[n++].gateway = NET_QEMU_IP;             /* ourselves */
	bad[n++].gateway = NET_IPV4(10, 0, 2, 255); /* the broadcast */
	bad[n++].gateway = NET_IPV4(10, 0, 2, 0);   /* the network */
	/* On the network by its mask, yet no host address: loopback and "this
	 * network" in a /1. */
	bad[n].ip = NET_IPV4(10, 0, 0, 1);
	bad[n].prefix_length = 1;
	bad[n++].gateway = NET_IPV4(127, 0, 0, 1);
	bad[n].ip = NET_IPV4(10, 0, 0, 1);
	bad[n].prefix_length = 1;
	bad[n++].gateway = NET_IPV4(0, 0, 0, 1);
	assert_true(n <= sizeof(bad) / sizeof(bad[0]));
	for (size_t i = 0; i < n; i++) {
		if (net_configure(&stack, &bad[i]) != NET_E_INVALID)
			fail_msg("bad settings %zu accepted", i);
		/* Nothing changed. */
		assert_memory_equal(stack.config.mac, good.mac, 6);
		assert_int_equal(stack.config.ip, good.ip);
		assert_int_equal(stack.config.prefix_length, good.prefix_length);
		assert_int_equal(stack.config.gateway, good.gateway);
		assert_int_equal(stack.broadcast, NET_IPV4(10, 0, 2, 255));
		static struct net_stack fresh;
		assert_int_equal(net_init(&fresh, &bad[i], &hooks), NET_E_INVALID);
	}

	/* Other networks are fine: a /8 and a /30. */
	struct net_settings s = good;
	s.ip = NET_IPV4(10, 1, 2, 3);
	s.prefix_length = 8;
	s.gateway = NET_IPV4(10, 200, 0, 1);
	assert_int_equal(net_configure(&stack, &s), NET_OK);
	assert_int_equal(stack.broadcast, NET_IPV4(10, 255, 255, 255));
	s.ip = NET_IPV4(192, 168, 1, 1);
	s.prefix_length = 30;
	s.gateway = NET_IPV4(192, 168, 1, 2);
	assert_int_equal(net_configure(&stack, &s), NET_OK);
	assert_int_equal(stack.broadcast, NET_IPV4(192, 168, 1, 3));
}

/* docs/netstack.md explains every drop reason: each name of
 * NET_DROP_REASONS appears in it as `name`. */
static void every_drop_reason_is_documented(void **state)
{
	(void)state;
	FILE *f = fopen(NETSTACK_DOC, "r");
	assert_non_null(f);
	static char doc[1 << 16];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	char want[64];
#define CHECK(field, meaning)                                                                      \
	snprintf(want, sizeof(want), "`%s`", #field);                                              \
	if (strstr(doc, want) == NULL)                                                             \
		fail_msg("docs/netstack.md does not explain %s", want);
	NET_DROP_REASONS(CHECK)
#undef CHECK
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(checksum_rfc1071_example),
	    cmocka_unit_test(checksum_known_header),
	    cmocka_unit_test(checksum_matches_reference),
	    cmocka_unit_test(parse_addresses),
	    cmocka_unit_test(format_addresses),
	    cmocka_unit_test(init_checks_settings_and_hooks),
	    cmocka_unit_test(configure_refuses_bad_settings),
	    cmocka_unit_test(every_drop_reason_is_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
