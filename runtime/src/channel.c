/*
 * channel.c: formatting a channel region, checking one received from a
 * peer, and pointing each side's private ring views at it.
 */
#include "idl/channel.h"
#include "idl/assert.h"

static bool power_of_two(uint32_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

static bool sizes_ok(size_t region_bytes, uint32_t ring_bytes, uint32_t max_frame_bytes)
{
	if (!power_of_two(ring_bytes) || ring_bytes > IDL_CHAN_MAX_RING_BYTES)
		return false;
	if (max_frame_bytes < IDL_FRAME_HEADER_BYTES || (max_frame_bytes & 7) != 0 ||
	    max_frame_bytes > 0x10000000u)
		return false;
	if (ring_bytes < IDL_RING_MIN_BYTES(max_frame_bytes))
		return false;
	return region_bytes >= idl_chan_region_bytes(ring_bytes);
}

int idl_chan_format(void *region, size_t region_bytes, uint32_t ring_bytes,
                    uint32_t max_frame_bytes)
{
	if (((uintptr_t)region & (IDL_CACHE_LINE - 1)) != 0)
		return IDL_E_BUFFER;
	if (!sizes_ok(region_bytes, ring_bytes, max_frame_bytes))
		return IDL_E_INVALID_ARGUMENT;
	idl_chan_shared *c = region;
	IDL_MEMSET(c, 0, sizeof(*c));
	c->magic = IDL_CHAN_MAGIC;
	c->version = IDL_CHAN_VERSION;
	c->ring_bytes = ring_bytes;
	c->max_frame_bytes = max_frame_bytes;
	idl_doorbell_init(&c->doorbell);
	atomic_thread_fence(memory_order_release);
	return IDL_OK;
}

int idl_chan_check(const void *region, size_t region_bytes, uint32_t *ring_bytes,
                   uint32_t *max_frame_bytes)
{
	if (((uintptr_t)region & (IDL_CACHE_LINE - 1)) != 0 || region_bytes < IDL_CHAN_RINGS_OFFSET)
		return IDL_E_BUFFER;
	/* Each header field is read once, then only the private copies count. */
	const volatile uint32_t *h = region;
	uint32_t magic = h[0];
	uint32_t version = h[1];
	uint32_t ring = h[2];
	uint32_t max_frame = h[3];
	if (magic != IDL_CHAN_MAGIC || version != IDL_CHAN_VERSION)
		return IDL_E_PROTOCOL;
	if (!sizes_ok(region_bytes, ring, max_frame))
		return IDL_E_PROTOCOL;
	*ring_bytes = ring;
	*max_frame_bytes = max_frame;
	return IDL_OK;
}

static void ring_view(idl_ring *r, uint8_t *data, _Atomic uint32_t *head, _Atomic uint32_t *tail,
                      uint32_t ring_bytes, uint32_t max_frame_bytes)
{
	/* idl_chan_format or idl_chan_check accepted these sizes: the rings
	 * index by masking with ring_bytes - 1. */
	IDL_ASSERT(power_of_two(ring_bytes) && max_frame_bytes <= ring_bytes);
	IDL_MEMSET(r, 0, sizeof(*r));
	r->data = data;
	r->head = head;
	r->tail = tail;
	r->bytes = ring_bytes;
	r->max_frame = max_frame_bytes;
	/* A fresh channel starts at 0 on both sides. */
}

/* Whether the CPU has PREFETCHW (CPUID 0x80000001, ECX bit 8: PRFCHW, or
 * AMD's 3DNowPrefetch), which idl_ring_prefetch_to_write uses. */
static bool ask_cpu_for_prefetchw(void)
{
#if defined(__GNUC__) && defined(__x86_64__)
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000000u), "c"(0u));
	if (a < 0x80000001u)
		return false;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0u));
	return (c & (1u << 8)) != 0;
#else
	return false;
#endif
}

/* The answer, asked once: in a virtual machine CPUID leaves the guest
 * (some 20 us each here), and a server sets up a channel per client.
 * Threads that race here store the same answer. */
static bool cpu_has_prefetchw(void)
{
	static _Atomic uint32_t known; /* 0: not asked; 1: no; 2: yes */
	uint32_t answer = atomic_load_explicit(&known, memory_order_relaxed);
	if (answer == 0) {
		answer = ask_cpu_for_prefetchw() ? 2u : 1u;
		atomic_store_explicit(&known, answer, memory_order_relaxed);
	}
	return answer == 2;
}

void idl_chan_rings(idl_chan_shared *c, enum idl_chan_side side, uint32_t ring_bytes,
                    uint32_t max_frame_bytes, idl_ring *tx, idl_ring *rx)
{
	uint8_t *requests = (uint8_t *)c + IDL_CHAN_RINGS_OFFSET;
	uint8_t *replies = (uint8_t *)c + idl_chan_reply_ring_offset(ring_bytes);
	idl_ring *req = side == IDL_CHAN_CLIENT ? tx : rx;
	idl_ring *rep = side == IDL_CHAN_CLIENT ? rx : tx;
	ring_view(req, requests, &c->req_head, &c->req_tail, ring_bytes, max_frame_bytes);
	ring_view(rep, replies, &c->rep_head, &c->rep_tail, ring_bytes, max_frame_bytes);
	tx->write_ahead = cpu_has_prefetchw();
}
