/*
 * idl_wire.h: what every piece of idlc-generated code shares.
 *
 * idlc writes this file beside its output, so generated code needs nothing
 * else: the frame header, the error codes, the out-of-line reference types,
 * the one function that copies an untrusted frame out of shared memory, and
 * the transport interface through which client stubs and server skeletons
 * send and receive. docs/wire-format.md describes the bytes; this header is
 * the C view of them.
 *
 * Freestanding: only <stdint.h>, <stddef.h> and <stdbool.h>, plus memcpy and
 * memset through IDL_MEMCPY / IDL_MEMSET, which a user may redefine.
 */
#ifndef IDL_WIRE_H
#define IDL_WIRE_H

/* Generated code is C11; C++ programs may include its headers. */
#if !defined(__cplusplus) && (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 201112L)
#error "idlc's generated code needs C11 or later (for example -std=c11), or C++"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A static assertion both C11 and C++ accept. */
#ifdef __cplusplus
#define IDL_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define IDL_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#ifdef __cplusplus
extern "C" {
#endif

#ifndef IDL_MEMCPY
#define IDL_MEMCPY __builtin_memcpy
#endif
#ifndef IDL_MEMSET
#define IDL_MEMSET __builtin_memset
#endif

/*
 * The helpers of encoders and decoders below are cheap only inlined (a
 * constant size folds to a load or two), and a compiler's budget for
 * inlining a large generated file runs out: so they say they must be.
 */
#if defined(__GNUC__)
#define IDL_INLINE static inline __attribute__((always_inline))
#else
#define IDL_INLINE static inline
#endif

/* The slow paths: a frame of another version, or a malformed one. Kept out
 * of line so that the fast path of a validator stays small. The helpers
 * that copy or clear a frame's bytes (IDL_SLOW_HELPER) are not marked cold:
 * a peer of another version sends every frame their way, and gcc makes
 * the copies of cold code, which it optimises for size, `rep movsb` and
 * `rep stosb`, slower than the library calls for frames of these sizes. */
#if defined(__GNUC__)
#define IDL_COLD        __attribute__((noinline, cold))
#define IDL_COLD_HELPER __attribute__((noinline, cold, unused)) static
#define IDL_SLOW_HELPER __attribute__((noinline, hot, unused)) static
#else
#define IDL_COLD
#define IDL_COLD_HELPER static
#define IDL_SLOW_HELPER static
#endif

/* A decoder's fast path inlines the checks of the structs and unions it
 * reaches, though the slow path calls them too; except those of a type
 * nested so deep that inlining would paste too many copies (IDL_NOINLINE). */
#if defined(__GNUC__)
#define IDL_FLATTEN  __attribute__((flatten))
#define IDL_NOINLINE __attribute__((noinline))
#else
#define IDL_FLATTEN
#define IDL_NOINLINE
#endif

/* String checks compare 16 bytes at a time where SSE2 is there (every
 * x86-64 target but a kernel built without vector registers); elsewhere, a
 * word at a time. IDL_NO_SIMD turns it off. They use gcc's and clang's
 * vector extension and one builtin, not <emmintrin.h>: gcc's includes
 * <stdlib.h> (for _mm_malloc) even in a freestanding build. */
#if defined(__SSE2__) && defined(__GNUC__) && !defined(IDL_NO_SIMD)
#define IDL_SIMD_SSE2 1
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "idlc's generated code maps the little-endian wire format directly"
#endif

#define IDL_WIRE_VERSION 5

/* Alignment, as C11 and C++ spell it. */
#ifdef __cplusplus
#define IDL_ALIGNED_8  alignas(8)
#define IDL_ALIGNOF(t) alignof(t)
#else
#define IDL_ALIGNED_8  _Alignas(8)
#define IDL_ALIGNOF(t) _Alignof(t)
#endif

/*
 * Every frame begins with this header; its size counts the whole frame.
 * inline_size says which version of the message the sender wrote: where
 * its inline part ends and its out-of-line part begins (docs/evolution.md).
 * The header is 8-aligned, so every message struct and reply buffer is
 * too, as decoders require of a private buffer, whatever its fields.
 */
typedef struct idl_frame_header {
	IDL_ALIGNED_8 uint32_t size; /* bytes in the frame, header included; a multiple of 8 */
	uint32_t ordinal;            /* which method or event */
	uint32_t txid;               /* matches a reply to its request; 0 on one-way and events */
	uint8_t flags;               /* exactly one IDL_FLAG_ kind bit, maybe IDL_FLAG_ERROR */
	uint8_t handle_count;        /* handles that travel beside the bytes */
	uint16_t inline_size;        /* bytes of header and inline part; a multiple of 8 */
} idl_frame_header;

#define IDL_FRAME_HEADER_BYTES 16u
/* The largest inline part (header included) that inline_size can hold. */
#define IDL_MAX_INLINE_BYTES 0xfff8u
#define IDL_FRAME_ALIGN      8u
IDL_STATIC_ASSERT(sizeof(idl_frame_header) == IDL_FRAME_HEADER_BYTES, "frame header layout");
IDL_STATIC_ASSERT(IDL_ALIGNOF(idl_frame_header) == IDL_FRAME_ALIGN, "frame header alignment");

#define IDL_FLAG_REQUEST 0x0001u /* client to server */
#define IDL_FLAG_REPLY   0x0002u /* server to client, answers a request */
#define IDL_FLAG_EVENT   0x0004u /* server to client, unsolicited */
#define IDL_FLAG_ERROR   0x0008u /* with REPLY: the body is the method's error value */
#define IDL_FLAG_NOT_SUPPORTED                                                                     \
	0x0010u /* with REPLY: the server does not know the method; no body */

/* The largest number of handles one frame may carry. */
#define IDL_MAX_HANDLES 64u

/* An error reply: the header and the error value, padded to 8 bytes. */
#define IDL_ERROR_BODY_BYTES  8u
#define IDL_ERROR_FRAME_BYTES (IDL_FRAME_HEADER_BYTES + IDL_ERROR_BODY_BYTES)
/* A "not supported" reply: the header alone. */
#define IDL_NOT_SUPPORTED_FRAME_BYTES IDL_FRAME_HEADER_BYTES

/*
 * Error codes of generated code and of the runtime. Every violation of the
 * decoding contract has its own code, so a test (or a log) says which rule a
 * frame broke.
 */
enum idl_error {
	IDL_OK = 0,
	IDL_E_FRAME_SHORT = -1,     /* fewer bytes available than a frame header */
	IDL_E_FRAME_SIZE = -2,      /* header size field below the header, or not a multiple of 8 */
	IDL_E_FRAME_TRUNCATED = -3, /* header size field beyond the bytes available */
	IDL_E_FRAME_TOO_LARGE = -4, /* header size field beyond the message's maximum */
	IDL_E_FRAME_CHANGED = -5,   /* the size field changed while the frame was copied */
	IDL_E_BUFFER = -6,          /* caller's buffer too small or misaligned (a local bug) */
	IDL_E_ORDINAL = -7,         /* ordinal names no method or event expected here */
	IDL_E_FLAGS = -8,           /* wrong kind bits, or unknown flag bits */
	IDL_E_TXID = -9,           /* txid zero on a two-way request, nonzero on one-way or event */
	IDL_E_RESERVED = -10,      /* reserved field nonzero (frame header or out-of-line slot) */
	IDL_E_MESSAGE_SHORT = -11, /* frame shorter than the message's inline part */
	IDL_E_ALIGNMENT = -12,     /* out-of-line offset not a multiple of 8 */
	IDL_E_OFFSET = -13,        /* out-of-line offset not where the next block must start */
	IDL_E_COUNT = -14,         /* element count above the declared bound */
	IDL_E_OUT_OF_FRAME = -15,  /* out-of-line block extends past the frame */
	IDL_E_STRING = -16,        /* string without its NUL terminator, or with a NUL inside */
	IDL_E_ENUM = -17,          /* enum value that the enum does not declare */
	IDL_E_BITS = -18,          /* bits value with undeclared bits set */
	IDL_E_BOOL = -19,          /* bool other than 0 or 1 */
	IDL_E_UNION_TAG = -20,     /* union tag that the union does not declare */
	IDL_E_OPTIONAL = -21,      /* optional presence byte other than 0 or 1 */
	IDL_E_PADDING = -22,       /* nonzero padding, or nonzero bytes of an absent value */
	IDL_E_TRAILING = -23,      /* bytes after the last out-of-line block */
	IDL_E_HANDLE_COUNT =
	    -24, /* header handle count differs from the handles received or used */
	IDL_E_HANDLE_INDEX = -25, /* handle index out of range or out of order */
	IDL_E_REMOTE = -26,       /* the server answered with the method's error value */
	IDL_E_TRANSPORT = -27,    /* the transport failed to send or receive */
	IDL_E_TIMEOUT = -28,      /* no reply within the caller's timeout */
	IDL_E_WOULD_BLOCK = -29,  /* no room or no frame, and the caller asked not to wait */
	IDL_E_PEER_CLOSED = -30,  /* the peer closed the channel */
	IDL_E_PROTOCOL = -31,     /* the peer broke the channel protocol; the channel is closed */
	IDL_E_NO_HANDLER = -32,   /* the server has no handler for a valid ordinal */
	IDL_E_INVALID_ARGUMENT = -33, /* encoder input outside the declared bounds */
	IDL_E_HANDLE_KIND = -34, /* a handle, or a channel's interface, not of the kind declared */
	IDL_E_REPLIED = -35,     /* the reply token was used already, or never given out */
	IDL_E_INLINE_SIZE = -36, /* header inline size unaligned, or of no version of the message */
	IDL_E_ENVELOPE = -37,    /* a flexible union's byte or handle count is not its variant's */
	IDL_E_NOT_SUPPORTED = -38, /* the server does not know the method; the channel stays open */
	IDL_E_VERSION = -39, /* the peer's interface version or wire format cannot talk to ours */
	IDL_E_RECORDS = -40  /* packed records that do not end exactly at their byte count */
};

/* A one-line name for an error code, for logs and test messages. */
static inline const char *idl_error_name(int err)
{
	switch (err) {
	case IDL_OK:
		return "ok";
	case IDL_E_FRAME_SHORT:
		return "frame shorter than a header";
	case IDL_E_FRAME_SIZE:
		return "bad frame size field";
	case IDL_E_FRAME_TRUNCATED:
		return "frame truncated";
	case IDL_E_FRAME_TOO_LARGE:
		return "frame too large";
	case IDL_E_FRAME_CHANGED:
		return "frame changed while copied";
	case IDL_E_BUFFER:
		return "buffer too small or misaligned";
	case IDL_E_ORDINAL:
		return "unexpected ordinal";
	case IDL_E_FLAGS:
		return "bad flags";
	case IDL_E_TXID:
		return "bad transaction id";
	case IDL_E_RESERVED:
		return "reserved field nonzero";
	case IDL_E_MESSAGE_SHORT:
		return "message shorter than its inline part";
	case IDL_E_ALIGNMENT:
		return "misaligned out-of-line offset";
	case IDL_E_OFFSET:
		return "out-of-line offset out of order";
	case IDL_E_COUNT:
		return "count above bound";
	case IDL_E_OUT_OF_FRAME:
		return "out-of-line data past the frame";
	case IDL_E_STRING:
		return "bad string terminator";
	case IDL_E_ENUM:
		return "undeclared enum value";
	case IDL_E_BITS:
		return "undeclared bits set";
	case IDL_E_BOOL:
		return "bool not 0 or 1";
	case IDL_E_UNION_TAG:
		return "undeclared union tag";
	case IDL_E_OPTIONAL:
		return "bad optional presence byte";
	case IDL_E_PADDING:
		return "nonzero padding";
	case IDL_E_TRAILING:
		return "trailing bytes";
	case IDL_E_HANDLE_COUNT:
		return "handle count mismatch";
	case IDL_E_HANDLE_INDEX:
		return "bad handle index";
	case IDL_E_REMOTE:
		return "remote error";
	case IDL_E_TRANSPORT:
		return "transport failure";
	case IDL_E_TIMEOUT:
		return "timeout";
	case IDL_E_WOULD_BLOCK:
		return "would block";
	case IDL_E_PEER_CLOSED:
		return "peer closed";
	case IDL_E_PROTOCOL:
		return "protocol error";
	case IDL_E_NO_HANDLER:
		return "no handler";
	case IDL_E_INVALID_ARGUMENT:
		return "invalid argument";
	case IDL_E_HANDLE_KIND:
		return "handle of the wrong kind";
	case IDL_E_REPLIED:
		return "already replied";
	case IDL_E_INLINE_SIZE:
		return "bad inline size";
	case IDL_E_ENVELOPE:
		return "bad flexible union envelope";
	case IDL_E_NOT_SUPPORTED:
		return "not supported";
	case IDL_E_VERSION:
		return "interface versions cannot talk";
	case IDL_E_RECORDS:
		return "packed records do not fill their bytes";
	default:
		return "unknown error";
	}
}

/*
 * Handles: capabilities that travel beside the bytes. On the wire a handle
 * field holds an index into the frame's handle list; in C (before encoding
 * and after decoding) it holds the transport's own handle value.
 */
typedef uint32_t idl_handle;
#define IDL_HANDLE_INVALID 0xffffffffu

/*
 * What a handle names. The kind never travels in the frame: an encoder
 * states the kind each field declares, and the transport that receives a
 * handle finds its kind from the object itself (the Linux port from the
 * descriptor: a sealed memfd is shared memory, a UNIX seqpacket socket a
 * channel), so that a decoder can reject a handle of the wrong kind.
 */
enum idl_handle_kind {
	IDL_KIND_ANY = 0,     /* handle<any>; received: an object the transport cannot name */
	IDL_KIND_SHM = 1,     /* shared memory that can be mapped */
	IDL_KIND_CHANNEL = 2, /* one end of a channel */
	IDL_KIND_MMIO = 3,    /* device registers */
	IDL_KIND_IRQ = 4,     /* an interrupt */
	IDL_KIND_IOPORT = 5,  /* a range of I/O ports */
	IDL_KIND_DMA = 6      /* the right to allocate memory a device may reach */
};

/* An entry of a frame's handle list: the handle and what it names. */
typedef struct idl_typed_handle {
	idl_handle value;
	uint32_t kind; /* enum idl_handle_kind */
} idl_typed_handle;

/*
 * Out-of-line references: 16 bytes on the wire, a count and the block's
 * offset from the start of the frame. Decoding replaces the offset with a
 * pointer into the private copy; encoders read the pointer the caller set.
 * The union keeps the slot 8 bytes wide on 32-bit targets too.
 */
typedef struct idl_string {
	uint32_t size;     /* bytes, without the terminating NUL */
	uint32_t reserved; /* zero */
	union {
		uint64_t offset;
		const char *data; /* NUL-terminated once decoded */
	};
} idl_string;

typedef struct idl_bytes {
	uint32_t size;
	uint32_t reserved;
	union {
		uint64_t offset;
		const uint8_t *data;
	};
} idl_bytes;

IDL_STATIC_ASSERT(sizeof(idl_string) == 16, "string reference layout");
IDL_STATIC_ASSERT(sizeof(idl_bytes) == 16, "bytes reference layout");

/* Builds an idl_string from a C string literal, for encoder input. */
#ifdef __cplusplus
/*
 * C++ has no compound literals, and designated initializers only from
 * C++20: from C++11 on, a function builds the value instead.
 */
IDL_INLINE idl_string idl_string_from_literal(const char *s, size_t size)
{
	idl_string r = idl_string();
	r.size = static_cast<uint32_t>(size);
	r.data = s;
	return r;
}
#define IDL_STRING_LITERAL(s) idl_string_from_literal((s), sizeof(s) - 1)
#else
#define IDL_STRING_LITERAL(s) ((idl_string){.size = sizeof(s) - 1, .data = (s)})
#endif

/*
 * Copies n bytes, n known only at run time. A compiler that can bound n
 * (after a check against a maximum) may inline the copy as `rep movs`,
 * measured here 2-4x slower than the library call for frames of a few
 * hundred bytes; hiding the bound keeps the call.
 */
IDL_INLINE void idl_copy(void *dst, const void *src, size_t n)
{
#if defined(__GNUC__)
	__asm__("" : "+r"(n));
#endif
	IDL_MEMCPY(dst, src, n);
}

/*
 * The second part of a decoder's copy of a frame that may bring much
 * out-of-line data: its bytes after the inline part (inline_bytes of size),
 * which the decoder copied first, with a constant size, and whose header it
 * has checked. Checks right behind a long copy wait for its last stores.
 * Each byte of the shared frame is still read once, by one of the copies.
 */
IDL_INLINE void idl_copy_rest(void *buf, const void *shared, size_t inline_bytes, size_t size)
{
	idl_copy((uint8_t *)buf + inline_bytes, (const uint8_t *)shared + inline_bytes,
	         size - inline_bytes);
}

/*
 * The known part of a frame larger than the buffer for it: a frame of a
 * newer version of the message (its inline part, `inline_size` in its
 * header, is larger than ours, `inline_bytes`), of which the receiver reads
 * only what its own version knows. Copies the header, our inline part, and
 * the first max_bytes - inline_bytes bytes of the frame's out-of-line part
 * to just after our inline part, where our validator looks for it: each
 * byte of `src` is read at most once, the unknown inline fields never. The
 * header's size keeps the sender's `size`, larger than what the buffer
 * holds, which is how a validator knows the frame was cut to its known part.
 *
 * Returns the bytes written, or IDL_E_FRAME_TOO_LARGE when the frame is not
 * a newer version's (only those may exceed the receiver's maximum), or
 * IDL_E_FRAME_CHANGED when src is shared memory that changed meanwhile.
 */
IDL_SLOW_HELPER int64_t idl_frame_copy_known(const void *src, uint32_t size, void *buf,
                                             size_t max_bytes, uint32_t inline_bytes)
{
	if (max_bytes < inline_bytes || inline_bytes < IDL_FRAME_HEADER_BYTES)
		return IDL_E_FRAME_TOO_LARGE;
	IDL_MEMCPY(buf, src, IDL_FRAME_HEADER_BYTES);
	const idl_frame_header *h = (const idl_frame_header *)buf;
	if (h->size != size)
		return IDL_E_FRAME_CHANGED;
	uint32_t sent = h->inline_size;
	if (sent <= inline_bytes || (sent & (IDL_FRAME_ALIGN - 1)) != 0 || sent > size)
		return IDL_E_FRAME_TOO_LARGE;
	const uint8_t *from = (const uint8_t *)src;
	uint8_t *to = (uint8_t *)buf;
	idl_copy(to + IDL_FRAME_HEADER_BYTES, from + IDL_FRAME_HEADER_BYTES,
	         inline_bytes - IDL_FRAME_HEADER_BYTES);
	size_t room = max_bytes - inline_bytes;
	size_t known = size - sent < room ? size - sent : room;
	idl_copy(to + inline_bytes, from + sent, known);
	return (int64_t)(inline_bytes + known);
}

/*
 * The single read of a frame's size field: a volatile load, so that the
 * compiler neither repeats it nor reads the field again from the copy's
 * source. The caller has checked that the bytes are there. The shared
 * frame may be at any address (only the private buffer must be aligned):
 * with GNU C the load is of a 1-aligned type, one instruction either way;
 * elsewhere a byte at a time, where a value torn by a writer is only a
 * wrong size, which the check of the copy's size field catches.
 */
#if defined(__GNUC__)
typedef uint32_t idl_unaligned_u32 __attribute__((aligned(1), may_alias));
IDL_INLINE uint32_t idl_frame_load_size(const void *shared)
{
	return *(const volatile idl_unaligned_u32 *)shared;
}
#else
IDL_INLINE uint32_t idl_frame_load_size(const void *shared)
{
	const volatile uint8_t *b = (const volatile uint8_t *)shared;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
#endif

/*
 * The single read of a frame's size field, the start of every generated
 * decoder: a size the message can have (idl_frame_fits) is copied on the
 * decoder's fast path, a small fixed-size message's with a constant size
 * (a few moves instead of a library call; larger constant copies may
 * become `rep movs`, slower than the call); any other size (an earlier or
 * later version of the message, or a malformed frame) goes to
 * idl_frame_copy_sized, on its slow path.
 *
 * Returns the size field, or a negative idl_error.
 */
IDL_INLINE int64_t idl_frame_size_once(const void *shared, size_t available, const void *buf)
{
	if (((uintptr_t)buf & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_BUFFER;
	if (available < IDL_FRAME_HEADER_BYTES)
		return IDL_E_FRAME_SHORT;
	return idl_frame_load_size(shared);
}

/* The steps of idl_frame_copy after the one read of the size field, which
 * gave `size`: its checks, the copy, and the check that the copy holds the
 * size that was read. */
IDL_INLINE int64_t idl_frame_copy_from(const void *shared, size_t available, void *buf,
                                       size_t max_bytes, uint32_t inline_bytes, uint32_t size)
{
	if (size < IDL_FRAME_HEADER_BYTES || (size & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_FRAME_SIZE;
	if (size > available)
		return IDL_E_FRAME_TRUNCATED;
	if (size > max_bytes)
		return idl_frame_copy_known(shared, size, buf, max_bytes, inline_bytes);
	idl_copy(buf, shared, size);
	/* The peer may have changed the size field between the read and the copy. */
	if (((const idl_frame_header *)buf)->size != size)
		return IDL_E_FRAME_CHANGED;
	return size;
}

/*
 * Copies an untrusted frame out of shared memory, for a transport or a
 * caller that decodes in steps of its own (the generated decoders take the
 * same steps, through idl_frame_size_once and idl_frame_copy_from). The
 * size field is read exactly once; the frame is copied with one
 * memcpy; shared memory is never read again. The caller then validates the
 * private copy, which nothing else can change. A frame above max_bytes is
 * copied only when it is a newer version of the message (inline part
 * larger than inline_bytes), and then only its known part
 * (idl_frame_copy_known).
 *
 * Returns the bytes copied, or a negative idl_error.
 */
IDL_INLINE int64_t idl_frame_copy(const void *shared, size_t available, void *buf, size_t max_bytes,
                                  uint32_t inline_bytes)
{
	int64_t read = idl_frame_size_once(shared, available, buf);
	if (read < 0)
		return read;
	return idl_frame_copy_from(shared, available, buf, max_bytes, inline_bytes, (uint32_t)read);
}

/* Whether a size field read once is one a frame of the message can have:
 * from its inline part to its maximum, and a multiple of 8. */
IDL_INLINE bool idl_frame_fits(size_t size, size_t inline_bytes, size_t max_bytes)
{
	return size >= inline_bytes && size <= max_bytes && (size & (IDL_FRAME_ALIGN - 1)) == 0;
}

/* idl_frame_copy_from on a decoder's slow path, out of line. */
IDL_SLOW_HELPER int64_t idl_frame_copy_sized(const void *shared, size_t available, void *buf,
                                             size_t max_bytes, uint32_t inline_bytes, uint32_t size)
{
	return idl_frame_copy_from(shared, available, buf, max_bytes, inline_bytes, size);
}

/*
 * <bits>_format writes the names of the members whose bits are all set in
 * a value, in declaration order and joined by '|', then what no member
 * named as one hex number ("0x40"); "0" for no bits. Like snprintf it
 * returns the length of the whole text, and buf holds what fits of it,
 * NUL-terminated (when size > 0).
 */
typedef struct idl_bits_text {
	char *buf;
	size_t size;
	size_t len;    /* the text so far, also what did not fit */
	uint64_t v;    /* the value */
	uint64_t left; /* its bits no member has named yet */
} idl_bits_text;

/* Appends '|' (unless first) and text. */
static inline void idl_bits_append(idl_bits_text *t, const char *text)
{
	if (t->len > 0) {
		if (t->len + 1 < t->size)
			t->buf[t->len] = '|';
		t->len++;
	}
	for (; *text != '\0'; text++, t->len++)
		if (t->len + 1 < t->size)
			t->buf[t->len] = *text;
}

/* Names one member, when all its bits are set. */
static inline void idl_bits_name(idl_bits_text *t, uint64_t bits, const char *name)
{
	if ((t->v & bits) != bits)
		return;
	idl_bits_append(t, name);
	t->left &= ~bits;
}

static inline size_t idl_bits_end(idl_bits_text *t)
{
	if (t->left != 0 || t->len == 0) {
		char hex[19] = "0x";
		int digits = 0;
		for (uint64_t x = t->left; x != 0; x >>= 4)
			digits++;
		for (int d = 0; d < digits; d++)
			hex[2 + d] = "0123456789abcdef"[(t->left >> (4 * (digits - 1 - d))) & 0xf];
		hex[2 + digits] = '\0';
		idl_bits_append(t, t->left == 0 ? "0" : hex);
	}
	if (t->size > 0)
		t->buf[t->len < t->size ? t->len : t->size - 1] = '\0';
	return t->len;
}

/* Validation helpers used by the generated decoders. */

/* Loads 8 or 4 bytes from anywhere; compilers turn these into one move. */
IDL_INLINE uint64_t idl_load64(const uint8_t *p)
{
	uint64_t v;
	IDL_MEMCPY(&v, p, sizeof(v));
	return v;
}

IDL_INLINE uint32_t idl_load32(const uint8_t *p)
{
	uint32_t v;
	IDL_MEMCPY(&v, p, sizeof(v));
	return v;
}

/*
 * True when n bytes at p are all zero: padding and absent values. Word at
 * a time, so that a constant n (a padding field) compiles to a load or two.
 */
IDL_INLINE bool idl_is_zero(const uint8_t *p, size_t n)
{
	uint64_t acc = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		acc |= idl_load64(p + i);
	if (n - i >= 4) {
		acc |= idl_load32(p + i);
		i += 4;
	}
	for (; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Rounds an out-of-line block size up to the frame alignment. */
IDL_INLINE uint64_t idl_align8(uint64_t n)
{
	return (n + 7u) & ~(uint64_t)7u;
}

/*
 * True when a header's flags, handle count and inline size hold exactly
 * these values: the three share 4 bytes, so one compare checks them. The
 * inline size is the receiver's own: a frame of another version fails here
 * and goes the slow way (idl_other_begin).
 */
IDL_INLINE bool idl_header_tail_is(const idl_frame_header *h, uint16_t flags, uint32_t handle_count,
                                   uint32_t inline_bytes)
{
	uint32_t expected = flags | handle_count << 8 | inline_bytes << 16;
	return handle_count <= 0xffu && inline_bytes <= IDL_MAX_INLINE_BYTES &&
	       idl_load32((const uint8_t *)&h->flags) == expected;
}

/*
 * The state of one validation: the private frame's out-of-line part, how
 * far its blocks reach so far, and the handles that came with it. Offsets
 * on the wire count from the start of the out-of-line part, so that they do
 * not depend on the size of the inline part, which grows from one version
 * of a message to the next. Generated validators carry it through every
 * field.
 */
typedef struct idl_decoder {
	uint8_t *base;   /* the out-of-line part of the private copy */
	uint64_t size;   /* its bytes */
	uint64_t cursor; /* where the next out-of-line block must start */
	const idl_typed_handle *handles;
	uint32_t handle_count;
	uint32_t next_handle;
} idl_decoder;

/* A decoder over the out-of-line part of a private copy, from its start,
 * with no handles yet. A function rather than an initializer, so that a
 * header's inline decoder reads the same in C and C++. */
IDL_INLINE idl_decoder idl_decoder_over(uint8_t *base, uint64_t size)
{
	idl_decoder d;
	IDL_MEMSET(&d, 0, sizeof(d));
	d.base = base;
	d.size = size;
	return d;
}

/*
 * Claims the next out-of-line block: it must start at an 8-aligned offset,
 * exactly where the previous block ended, and lie inside the frame; the
 * padding up to the next 8-byte boundary must be zero. bytes is not 0 (an
 * empty bytes or vector has no block).
 */
IDL_INLINE int idl_claim(idl_decoder *d, uint64_t offset, uint64_t bytes, uint8_t **block)
{
	/* The cursor is always 8-aligned, so a block at the cursor is too. */
	if (offset != d->cursor)
		return (offset & (IDL_FRAME_ALIGN - 1)) != 0 ? IDL_E_ALIGNMENT : IDL_E_OFFSET;
	/* cursor <= size holds, so this subtraction cannot wrap. */
	if (bytes > d->size - offset)
		return IDL_E_OUT_OF_FRAME;
	uint64_t end = offset + bytes;
	uint64_t padded = idl_align8(end);
	if (padded > d->size)
		return IDL_E_OUT_OF_FRAME;
	/* The padding is the last word's bytes from end on, if end is not on a
	 * word boundary: one masked load. That word lies in the block, which
	 * is not empty and starts on a boundary. */
	if ((end & 7) != 0 &&
	    (idl_load64(d->base + (end & ~(uint64_t)7)) & ~(uint64_t)0 << (8 * (end & 7))) != 0)
		return IDL_E_PADDING;
	d->cursor = padded;
	*block = d->base + offset;
	return IDL_OK;
}

/* (w - 0x01..01) & ~w sets a byte's high bit at a zero byte (and at most
 * above one): a word has a zero byte if and only if, masked with
 * 0x80..80, it is not 0. ORed over words, the mask is taken once. */
IDL_INLINE uint64_t idl_zero_byte_bits(uint64_t w)
{
	return (w - 0x0101010101010101u) & ~w;
}

/*
 * Whether the first size bytes of a string block hold a NUL, a word at a
 * time (idl_zero_byte_bits). A string block is whole words (idl_reserve; a
 * decoder checks the block lies in the frame first), so the word holding
 * the terminator can be read; its bytes from the terminator on are forced
 * nonzero for the test.
 */
IDL_INLINE bool idl_block_has_nul(const uint8_t *text, uint32_t size)
{
	uint64_t zero_bytes = 0;
	uint32_t full_words = size / 8;
	for (uint32_t i = 0; i < full_words; i++)
		zero_bytes |= idl_zero_byte_bits(idl_load64(text + 8 * i));
	uint64_t last = idl_load64(text + 8 * full_words) | ~(uint64_t)0 << (8 * (size % 8));
	zero_bytes |= idl_zero_byte_bits(last);
	return (zero_bytes & 0x8080808080808080u) != 0;
}

#if defined(IDL_SIMD_SSE2)
/* 16 bytes in one SSE2 register. */
typedef char idl_bytes16 __attribute__((vector_size(16)));

/* One bit per byte of 16 (or of 8, the upper half then counting as zero):
 * set where the byte is zero. The compare sets a zero byte's lane to all
 * ones (PCMPEQB) and PMOVMSKB gathers each lane's top bit. */
IDL_INLINE uint32_t idl_zero_lanes(idl_bytes16 v)
{
	return (uint32_t)__builtin_ia32_pmovmskb128((idl_bytes16)(v == 0));
}

IDL_INLINE uint32_t idl_zero_mask16(const uint8_t *p)
{
	idl_bytes16 v;
	IDL_MEMCPY(&v, p, sizeof(v));
	return idl_zero_lanes(v);
}

IDL_INLINE uint32_t idl_zero_mask8(const uint8_t *p)
{
	idl_bytes16 v = {0};
	IDL_MEMCPY(&v, p, 8);
	return idl_zero_lanes(v);
}
#endif

/*
 * Whether a string block is exactly what it must be: size bytes of text
 * with no NUL among them, the NUL, and zero padding up to `padded`
 * (align8(size + 1), the block's length). Put another way, the block's
 * zero bytes are exactly those from `size` on. With SSE2 that is one
 * compare of 16 bytes at a time against the mask of zero bytes it must
 * have: the full 16-byte pieces of text must have none, and the block's
 * last 16 bytes (or its only 8) must have exactly those from `size` on.
 * Elsewhere, a word at a time (idl_block_has_nul).
 */
IDL_INLINE bool idl_string_block_is(const uint8_t *text, uint32_t size, uint64_t padded)
{
#if defined(IDL_SIMD_SSE2)
	if (padded < 16)
		return idl_zero_mask8(text) == ((0xffffu << size) & 0xffffu);
	uint32_t inner = 0;
	for (const uint8_t *at = text, *end = text + size; end - at >= 16; at += 16)
		inner |= idl_zero_mask16(at);
	/* padded is at most size + 8 and more than size, so the last 16
	 * bytes start 8 to 15 bytes before the NUL. */
	uint64_t last = padded - 16;
	return inner == 0 && idl_zero_mask16(text + last) == ((0xffffu << (size - last)) & 0xffffu);
#else
	(void)padded;
	/* The last word ends the block (padded is 8 * (size / 8) + 8): after
	 * the text, the NUL and zero padding. */
	uint64_t after_text = ~(uint64_t)0 << (8 * (size % 8));
	return !idl_block_has_nul(text, size) &&
	       (idl_load64(text + 8 * (size / 8)) & after_text) == 0;
#endif
}

/* Which rule a bad string block broke, in the documented order: the text
 * and its NUL (IDL_E_STRING) before the padding (IDL_E_PADDING). */
IDL_COLD_HELPER int idl_string_block_error(const uint8_t *text, uint32_t size)
{
	return idl_block_has_nul(text, size) || text[size] != 0 ? IDL_E_STRING : IDL_E_PADDING;
}

/*
 * Validates a string slot and points it at its NUL-terminated text. The
 * block is the text, its NUL and zero padding to 8 bytes.
 */
IDL_INLINE int idl_check_string(idl_decoder *d, idl_string *s, uint32_t max)
{
	/* The count and the reserved word share 8 bytes: one compare checks
	 * both (reserved zero, count at most max), and names the first broken. */
	if (idl_load64((const uint8_t *)s) > max)
		return s->reserved != 0 ? IDL_E_RESERVED : IDL_E_COUNT;
	uint64_t offset = s->offset;
	/* The cursor is always 8-aligned, so a block at the cursor is too. */
	if (offset != d->cursor)
		return (offset & (IDL_FRAME_ALIGN - 1)) != 0 ? IDL_E_ALIGNMENT : IDL_E_OFFSET;
	uint64_t padded = idl_align8((uint64_t)s->size + 1);
	/* cursor <= size holds, so this subtraction cannot wrap. */
	if (padded > d->size - offset)
		return IDL_E_OUT_OF_FRAME;
	const uint8_t *text = d->base + offset;
	if (!idl_string_block_is(text, s->size, padded))
		return idl_string_block_error(text, s->size);
	d->cursor = offset + padded;
	s->data = (const char *)text;
	return IDL_OK;
}

/*
 * Validates the count and offset of a bytes or vector slot and returns its
 * block. An empty one has offset 0 and no block.
 */
IDL_INLINE int idl_check_block(idl_decoder *d, uint32_t count, uint32_t reserved, uint64_t offset,
                               uint32_t max, uint32_t element_bytes, uint8_t **block)
{
	if (reserved != 0)
		return IDL_E_RESERVED;
	if (count > max)
		return IDL_E_COUNT;
	if (count == 0) {
		if (offset != 0)
			return IDL_E_OFFSET;
		*block = d->base;
		return IDL_OK;
	}
	return idl_claim(d, offset, (uint64_t)count * element_bytes, block);
}

/*
 * Packed records (packed<T, N>): T's values end to end, each member in
 * order without padding, a string or bytes as its length (1, 2 or 4 bytes,
 * as its bound needs) and its bytes, a string's NUL after them. The slot
 * holds the count and the records' bytes; the generated check_record_T
 * checks one record and T_next reads one into a T.
 */

/*
 * Validates a packed slot's count, byte count and offset and claims its
 * block (zero-padded to 8, as every block). The caller then checks the
 * records one by one, and they must end exactly at `bytes`.
 */
IDL_INLINE int idl_check_records(idl_decoder *d, uint32_t count, uint32_t bytes, uint64_t offset,
                                 uint32_t max, uint64_t max_bytes, uint8_t **block)
{
	if (count > max)
		return IDL_E_COUNT;
	if (bytes > max_bytes || (count == 0 && bytes != 0))
		return IDL_E_RECORDS;
	if (bytes == 0) {
		if (offset != 0)
			return IDL_E_OFFSET;
		*block = d->base;
		return IDL_OK;
	}
	return idl_claim(d, offset, bytes, block);
}

/* A record's length field: 1, 2 or 4 bytes, little-endian. */
IDL_INLINE uint32_t idl_record_length(const uint8_t *p, uint32_t width)
{
	uint32_t n = 0;
	IDL_MEMCPY(&n, p, width);
	return n;
}

IDL_INLINE void idl_put_record_length(uint8_t *p, uint32_t n, uint32_t width)
{
	IDL_MEMCPY(p, &n, width);
}

/* Where T_next reads a decoded packed field's records from. */
typedef struct idl_records {
	const uint8_t *at; /* the next record */
	uint32_t left;     /* the records not read yet */
} idl_records;

/* The records of a decoded packed field: idl_records_of(reply->entries.records,
 * reply->entries.count). */
IDL_INLINE idl_records idl_records_of(const uint8_t *records, uint32_t count)
{
	idl_records r;
	r.at = records;
	r.left = count;
	return r;
}

/*
 * Replaces a handle index by the handle it names; indexes come in order,
 * and the handle must be of the kind the field declares (any kind for
 * IDL_KIND_ANY).
 */
IDL_INLINE int idl_take_handle(idl_decoder *d, idl_handle *h, uint32_t kind)
{
	if (*h != d->next_handle || *h >= d->handle_count)
		return IDL_E_HANDLE_INDEX;
	const idl_typed_handle *t = &d->handles[d->next_handle++];
	if (kind != IDL_KIND_ANY && t->kind != kind)
		return IDL_E_HANDLE_KIND;
	*h = t->value;
	return IDL_OK;
}

/*
 * A flexible union's envelope: what its variant takes beyond its inline
 * payload, so that a receiver that does not know the variant (a newer
 * sender's) can step over its out-of-line blocks and its handles.
 */
typedef struct idl_envelope {
	uint32_t bytes;   /* the variant's out-of-line bytes, padding included */
	uint16_t handles; /* the variant's handles */
	uint16_t reserved;
} idl_envelope;

IDL_STATIC_ASSERT(sizeof(idl_envelope) == 8, "envelope layout");

/* Steps over the blocks and handles of a variant the receiver does not know. */
IDL_INLINE int idl_skip_envelope(idl_decoder *d, const idl_envelope *env)
{
	if (env->reserved != 0)
		return IDL_E_RESERVED;
	if ((env->bytes & (IDL_FRAME_ALIGN - 1)) != 0 || env->bytes > d->size - d->cursor)
		return IDL_E_ENVELOPE;
	if (env->handles > d->handle_count - d->next_handle)
		return IDL_E_ENVELOPE;
	d->cursor += env->bytes;
	d->next_handle += env->handles;
	return IDL_OK;
}

/* After a known variant, validated from cursor and next_handle on: its
 * envelope must count exactly what it took. */
IDL_INLINE int idl_end_envelope(const idl_decoder *d, const idl_envelope *env, uint64_t cursor,
                                uint32_t next_handle)
{
	if (env->reserved != 0)
		return IDL_E_RESERVED;
	if (env->bytes != d->cursor - cursor || env->handles != d->next_handle - next_handle)
		return IDL_E_ENVELOPE;
	return IDL_OK;
}

/*
 * What a validator's slow path needs to know of its message: how a frame
 * of any version of it must begin, and the versions it knows.
 */
#define IDL_TXID_ANY     0 /* a reply: the stub matches it */
#define IDL_TXID_NONZERO 1 /* a two-way request */
#define IDL_TXID_ZERO    2 /* a one-way request or an event */

typedef struct idl_message_info {
	uint32_t ordinal;
	uint16_t flags;          /* the frame kind */
	uint16_t txid;           /* IDL_TXID_ */
	uint32_t inline_bytes;   /* the inline part of the receiver's version, header included */
	uint32_t max_bytes;      /* the largest frame of the receiver's version */
	const uint32_t *earlier; /* the inline parts of its earlier versions, ascending */
	uint32_t earlier_count;
} idl_message_info;

/*
 * Moves n bytes (a multiple of 8) up to dst > src in one private buffer,
 * last word first, so the two may overlap. A loop, not memmove, which
 * freestanding code does not have; the empty asm keeps compilers from
 * making it one.
 */
static inline void idl_move_up(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = n; i >= 8; i -= 8) {
		uint64_t w = idl_load64(src + i - 8);
		IDL_MEMCPY(dst + i - 8, &w, sizeof(w));
#if defined(__GNUC__)
		__asm__("" ::: "memory");
#endif
	}
}

/*
 * The slow path of a validator: a frame that failed one of the fast path's
 * checks of its header and size. Either it is malformed, and this says
 * which rule it broke, or it is another version of the message:
 *
 *  - an earlier version (inline part smaller, one of m->earlier): its
 *    out-of-line part is moved up to follow the receiver's inline part and
 *    the fields it lacks are zeroed, for the caller to set their defaults.
 *    The buffer must hold m->max_bytes, as a decoder's always does;
 *  - a later version (inline part larger): the receiver reads the fields it
 *    knows, which come first, and leaves the rest, whose blocks and handles
 *    come after those of the known fields in canonical order;
 *  - the known part of a later version's frame, cut by idl_frame_copy_known
 *    (the header's size is then above `size`, the bytes in the buffer).
 *
 * Sets up d over the out-of-line part to validate; the caller then checks
 * the fields of the sender's version (header.inline_size) and calls
 * idl_other_end. Each shared check has its own error code, as in the fast
 * path.
 */
IDL_SLOW_HELPER int idl_other_begin(const idl_message_info *m, void *frame, size_t size,
                                    const idl_typed_handle *handles, uint32_t handle_count,
                                    idl_decoder *d)
{
	idl_frame_header *h = (idl_frame_header *)frame;
	uint8_t *bytes = (uint8_t *)frame;
	if (size < IDL_FRAME_HEADER_BYTES)
		return IDL_E_MESSAGE_SHORT;
	uint64_t own = m->inline_bytes;
	uint64_t sent = h->inline_size;
	uint64_t frame_size = h->size;
	if (frame_size < size || (frame_size & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_FRAME_SIZE;
	if (h->ordinal != m->ordinal)
		return IDL_E_ORDINAL;
	if (h->flags != m->flags)
		return IDL_E_FLAGS;
	if (sent < IDL_FRAME_HEADER_BYTES || (sent & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_INLINE_SIZE;
	if (sent > frame_size)
		return IDL_E_MESSAGE_SHORT;
	if (h->handle_count != handle_count)
		return IDL_E_HANDLE_COUNT;
	if (m->txid == IDL_TXID_NONZERO ? h->txid == 0 : m->txid == IDL_TXID_ZERO && h->txid != 0)
		return IDL_E_TXID;
	IDL_MEMSET(d, 0, sizeof(*d));
	d->handles = handles;
	d->handle_count = handle_count;
	if (frame_size > size) {
		/* The known part of a later version's frame. */
		if (sent <= own || size < own || size - own > frame_size - sent)
			return IDL_E_FRAME_SIZE;
		d->base = bytes + own;
		d->size = size - own;
		return IDL_OK;
	}
	if (sent >= own) {
		/* (Without an out-of-line part, what follows is trailing bytes.) */
		if (sent == own && own < m->max_bytes && frame_size > m->max_bytes)
			return IDL_E_FRAME_TOO_LARGE;
		d->base = bytes + sent;
		d->size = frame_size - sent;
		return IDL_OK;
	}
	bool known = false;
	for (uint32_t i = 0; i < m->earlier_count; i++)
		known |= m->earlier[i] == sent;
	if (!known)
		return IDL_E_INLINE_SIZE;
	if (frame_size - sent > m->max_bytes - own)
		return IDL_E_FRAME_TOO_LARGE;
	idl_move_up(bytes + own, bytes + sent, (size_t)(frame_size - sent));
	IDL_MEMSET(bytes + sent, 0, (size_t)(own - sent));
	d->base = bytes + own;
	d->size = frame_size - sent;
	return IDL_OK;
}

/*
 * Whether a frame of size bytes, in a buffer of frame_max, has the room
 * validation needs: an earlier version's frame (a smaller inline part than
 * own, the receiver's) grows in place by the fields it lacks, its
 * out-of-line part moved up (idl_other_begin). A frame too short for its
 * header is left to the checks to refuse.
 */
IDL_INLINE bool idl_room_to_grow(const void *frame, size_t size, size_t frame_max, uint32_t own)
{
	if (frame_max < size)
		return false;
	if (size < IDL_FRAME_HEADER_BYTES)
		return true;
	uint32_t sent = ((const idl_frame_header *)frame)->inline_size;
	return sent >= own || frame_max - size >= own - sent;
}

/* The end of the slow path: a frame of the receiver's version or an
 * earlier one used every handle and every byte; a later one may carry
 * blocks and handles of fields the receiver does not know, after its own.
 * Their handles are nobody's: the decoded header's handle_count becomes the
 * handles the known fields account for, so that the receiver can close the
 * rest (idl_release_unknown_handles). */
static inline int idl_other_end(const idl_decoder *d, idl_frame_header *h, uint32_t own)
{
	if (h->inline_size > own) {
		h->handle_count = (uint8_t)d->next_handle;
		return IDL_OK;
	}
	if (d->next_handle != d->handle_count)
		return IDL_E_HANDLE_COUNT;
	if (d->cursor != d->size)
		return IDL_E_TRAILING;
	return IDL_OK;
}

/*
 * Whether the sender of a decoded message wrote a field: a sender of an
 * earlier version did not write the fields added after it, which the view
 * holds at their defaults.
 */
#define IDL_HAS_FIELD(msg, field)                                                                  \
	((size_t)((const uint8_t *)&(msg)->field - (const uint8_t *)(msg)) <                       \
	 (size_t)(msg)->header.inline_size)
/* Whether the sender wrote fields that the receiver's version does not know
 * (a later version of the message); the view holds the known ones. */
#define IDL_HAS_UNKNOWN_FIELDS(msg) ((size_t)(msg)->header.inline_size > sizeof(*(msg)))

/*
 * The state of one encoding: the output frame's out-of-line part (offsets
 * count from its start) and the handles moved out.
 */
typedef struct idl_encoder {
	uint8_t *base;
	uint64_t capacity;
	uint64_t cursor; /* where the next out-of-line block goes */
	idl_typed_handle *handles;
	uint32_t handle_count;
} idl_encoder;

/* An encoder writing out-of-line blocks at base, capacity bytes, and
 * handles (NULL for a message without any) into the list given. */
IDL_INLINE idl_encoder idl_encoder_over(uint8_t *base, uint64_t capacity, idl_typed_handle *handles)
{
	idl_encoder e;
	IDL_MEMSET(&e, 0, sizeof(e));
	e.base = base;
	e.capacity = capacity;
	e.handles = handles;
	return e;
}

/* Reserves the next out-of-line block of `bytes`, zero-padded to 8; the
 * caller writes the data after this call. */
IDL_INLINE int idl_reserve(idl_encoder *e, uint64_t bytes, uint64_t *offset, uint8_t **block)
{
	uint64_t padded = idl_align8(bytes);
	if (padded < bytes || padded > e->capacity - e->cursor)
		return IDL_E_BUFFER;
	*offset = e->cursor;
	*block = e->base + e->cursor;
	/* Padding is under 8 bytes and ends the block: zero the block's last
	 * word, and the caller's data then overwrites the part that is data. */
	if (padded != 0) {
		uint64_t zero = 0;
		IDL_MEMCPY(*block + padded - 8, &zero, sizeof(zero));
	}
	e->cursor += padded;
	return IDL_OK;
}

/*
 * Whether the n bytes at text hold a NUL, reading exactly those bytes: a
 * caller's text may end anywhere. Words at a time, the last word (or, below
 * 8 bytes, the last 4) overlapping the one before rather than reading on.
 * An encoder checks the caller's text before it copies it, not its copy
 * after: bytes read right after a memcpy wrote them in overlapping pieces
 * can wait for the stores to reach the cache (docs/benchmarks.md).
 */
IDL_INLINE bool idl_text_has_nul(const uint8_t *text, uint32_t n)
{
	if (n >= 8) {
		/* The first and the last word: all of a text of up to 16 bytes. */
		uint64_t zero = idl_zero_byte_bits(idl_load64(text)) |
		                idl_zero_byte_bits(idl_load64(text + n - 8));
		for (uint32_t i = 8; i + 8 < n; i += 8)
			zero |= idl_zero_byte_bits(idl_load64(text + i));
		return (zero & 0x8080808080808080u) != 0;
	}
	if (n >= 4) {
		uint64_t w = idl_load32(text) | (uint64_t)idl_load32(text + n - 4) << 32;
		return (idl_zero_byte_bits(w) & 0x8080808080808080u) != 0;
	}
	for (uint32_t i = 0; i < n; i++)
		if (text[i] == 0)
			return true;
	return false;
}

/* Whether a packed record's string is n bytes without a NUL and then a NUL
 * (the generated check_record_T asks, record by record). */
IDL_INLINE bool idl_record_text_is(const uint8_t *text, uint32_t n)
{
	return !idl_text_has_nul(text, n) && text[n] == 0;
}

/* Writes a string's text and terminator out of line and fills its slot,
 * after checking the caller's text for an inner NUL (idl_text_has_nul). */
IDL_INLINE int idl_put_string(idl_encoder *e, const idl_string *src, idl_string *dst, uint32_t max)
{
	if (src->size > max || (src->size > 0 && src->data == NULL))
		return IDL_E_INVALID_ARGUMENT;
	if (idl_text_has_nul((const uint8_t *)src->data, src->size))
		return IDL_E_INVALID_ARGUMENT;
	uint64_t offset;
	uint8_t *text;
	int err = idl_reserve(e, (uint64_t)src->size + 1, &offset, &text);
	if (err != IDL_OK)
		return err;
	/* idl_reserve zeroed the padding; the NUL follows the text. */
	if (src->size > 0)
		idl_copy(text, src->data, src->size);
	text[src->size] = 0;
	dst->size = src->size;
	dst->reserved = 0;
	dst->offset = offset;
	return IDL_OK;
}

/*
 * Reserves the block of count elements a vector slot names, for elements
 * the caller then writes one by one: those that hold strings, handles or
 * padding, which a plain copy would put in the ring as the caller has them
 * (its pointers, its handle values, its stale padding) until each was
 * patched. data is only checked, not read.
 */
IDL_INLINE int idl_reserve_block(idl_encoder *e, const void *data, uint32_t count, uint32_t max,
                                 uint32_t element_bytes, uint64_t *offset, uint8_t **block)
{
	if (count > max || (count > 0 && data == NULL))
		return IDL_E_INVALID_ARGUMENT;
	if (count == 0) {
		*offset = 0;
		*block = NULL;
		return IDL_OK;
	}
	return idl_reserve(e, (uint64_t)count * element_bytes, offset, block);
}

/* Copies count plain elements out of line for a bytes or vector slot. */
IDL_INLINE int idl_put_block(idl_encoder *e, const void *data, uint32_t count, uint32_t max,
                             uint32_t element_bytes, uint64_t *offset, uint8_t **block)
{
	int err = idl_reserve_block(e, data, count, max, element_bytes, offset, block);
	if (err != IDL_OK || count == 0)
		return err;
	idl_copy(*block, data, (size_t)count * element_bytes);
	return IDL_OK;
}

/*
 * A packed slot's block: put_record_T writes the records one by one from
 * the cursor on (at most `room` bytes), each byte once, and
 * idl_end_records then zeroes the padding after them and takes the block.
 */
IDL_INLINE int idl_begin_records(idl_encoder *e, const void *items, uint32_t count, uint32_t max,
                                 uint8_t **block, uint64_t *room)
{
	if (count > max || (count > 0 && items == NULL))
		return IDL_E_INVALID_ARGUMENT;
	*block = e->base + e->cursor;
	*room = e->capacity - e->cursor;
	return IDL_OK;
}

IDL_INLINE int idl_end_records(idl_encoder *e, uint64_t bytes, uint64_t *offset)
{
	if (bytes == 0) {
		*offset = 0;
		return IDL_OK;
	}
	uint64_t padded = idl_align8(bytes);
	if (padded > e->capacity - e->cursor)
		return IDL_E_BUFFER;
	IDL_MEMSET(e->base + e->cursor + bytes, 0, (size_t)(padded - bytes));
	*offset = e->cursor;
	e->cursor += padded;
	return IDL_OK;
}

/*
 * Writes a value of under 8 bytes and the zero padding after it, span
 * bytes in all: one store where span is 8. A byte store with unaligned
 * stores of the padding beside it made the readdir encoder a tenth slower
 * (docs/benchmarks.md). The wire is little-endian: the value's bytes come
 * first, the zero bytes of the wider word after them.
 */
IDL_INLINE void idl_put_padded(void *dst, uint64_t value, size_t span)
{
	IDL_MEMCPY(dst, &value, span);
}

/* Moves a handle into the frame's handle list, with the kind its field
 * declares, and leaves its index. */
IDL_INLINE int idl_put_handle(idl_encoder *e, idl_handle h, uint32_t kind, idl_handle *slot)
{
	if (h == IDL_HANDLE_INVALID || e->handles == NULL || e->handle_count >= IDL_MAX_HANDLES)
		return IDL_E_INVALID_ARGUMENT;
	e->handles[e->handle_count].value = h;
	e->handles[e->handle_count].kind = kind;
	*slot = e->handle_count++;
	return IDL_OK;
}

/* Fills a flexible union's envelope for the variant encoded since the
 * encoder was at cursor with handle_count handles. */
IDL_INLINE void idl_put_envelope(const idl_encoder *e, idl_envelope *env, uint64_t cursor,
                                 uint32_t handle_count)
{
	env->bytes = (uint32_t)(e->cursor - cursor);
	env->handles = (uint16_t)(e->handle_count - handle_count);
	env->reserved = 0;
}

/*
 * A call in flight, on the client's side. <method>_start fills one in and
 * sends the request; the transport puts the reply into buf when it comes,
 * whoever is waiting at that moment, so that many calls can be in flight
 * on one channel and be waited for one by one or all together. The memory
 * is the caller's (the generated <method>_pending holds it) and must stay
 * put until the call is ended.
 */
typedef struct idl_call idl_call;
typedef struct idl_reply_token idl_reply_token; /* below, with the server side */
struct idl_call {
	uint32_t txid; /* the request's transaction id */
	void *buf;     /* where the reply goes: 8-aligned, buf_bytes long */
	size_t buf_bytes;
	size_t size;               /* the reply's size, once it is in */
	idl_typed_handle *handles; /* room for the reply's handles */
	uint32_t handle_room;
	uint32_t handle_count; /* how many came */
	int status;            /* IDL_E_WOULD_BLOCK in flight; IDL_OK answered; or why it failed */
	/* The inline part of the reply in the caller's version, or 0: a reply
	 * of a later version larger than buf is cut to its known part
	 * (idl_frame_copy_known) instead of failing the call. */
	uint32_t inline_bytes;
	idl_call *prev, *next; /* the transport's list of calls in flight */
	void *owner;           /* the transport that has it in its list, or NULL */
};

/*
 * The transport interface. A client stub or a server skeleton holds an
 * idl_endpoint: one end of a channel. The runtime implements it on shared
 * memory rings; tests implement it in process. Every function returns an
 * idl_error.
 */
typedef struct idl_endpoint idl_endpoint;
typedef struct idl_endpoint_ops {
	/*
	 * Reserves room for an outgoing frame of at most max_bytes and returns in
	 * *frame where to write it (8-byte aligned, in shared memory when the
	 * transport has it, so encoders write straight into the queue).
	 */
	int (*send_begin)(idl_endpoint *ep, size_t max_bytes, void **frame);
	/* Publishes the reserved frame, now bytes long, with its handles (each
	 * with the kind its field declares, which a transport may check);
	 * 0 bytes gives the reservation back. bytes and handle_count must be
	 * the frame's own size and handle count (what the encoder returned and
	 * wrote): the channel does not read its frame back to compare, and its
	 * receiver refuses a frame that differs (IDL_E_PROTOCOL). */
	int (*send_commit)(idl_endpoint *ep, size_t bytes, const idl_typed_handle *handles,
	                   uint32_t handle_count);
	/*
	 * Waits for the next incoming frame (txid 0) or the reply to txid, and
	 * copies it with idl_frame_copy into buf (max_bytes, 8-byte aligned).
	 * Stores the frame's size and the handles that came with it, each with
	 * the kind the transport found: on entry *handle_count is the room in
	 * handles, on return how many came. (Replies to calls entered with
	 * call_begin go to their calls, not here.)
	 */
	int (*receive)(idl_endpoint *ep, uint32_t txid, void *buf, size_t max_bytes, size_t *size,
	               idl_typed_handle *handles, uint32_t *handle_count);
	/* Enters a call (txid, buf and handles set) before its request is sent,
	 * so that its reply finds it whenever it comes. */
	int (*call_begin)(idl_endpoint *ep, idl_call *call);
	/*
	 * Waits until `call` (NULL: any call entered and not yet ended) is
	 * answered, for at most timeout_ns (0: no limit), and sets *done (may
	 * be NULL) to it. IDL_OK: call->status says how it went. IDL_E_TIMEOUT:
	 * nothing was answered in time, and every call stays in flight.
	 */
	int (*call_wait)(idl_endpoint *ep, idl_call *call, uint64_t timeout_ns, idl_call **done);
	/* Removes a call, answered or not; a reply that comes later is dropped.
	 * Ending a call that is not entered does nothing. */
	void (*call_end)(idl_endpoint *ep, idl_call *call);
	/* Server: gives the reply to the request txid a token, so that it can
	 * be sent later (from another thread, too). NULL: not supported. */
	int (*defer)(idl_endpoint *ep, uint32_t txid, idl_reply_token *token);
	/* Closes handles that came with a frame nobody will keep (a reply the
	 * stub refused). NULL: the transport's handles need no closing. */
	void (*release)(idl_endpoint *ep, const idl_typed_handle *handles, uint32_t count);
} idl_endpoint_ops;

struct idl_endpoint {
	const idl_endpoint_ops *ops;
	uint32_t next_txid;  /* last transaction id used by this end's calls */
	uint64_t timeout_ns; /* how long a call waits for its reply; 0: forever */
};

/*
 * Ends a send begun with send_begin: publishes the frame an encoder wrote
 * (size > 0), or gives the reservation back and returns the encoder's
 * error (size < 0).
 */
static inline int idl_send_finish(idl_endpoint *ep, int64_t size, const idl_typed_handle *handles,
                                  uint32_t handle_count)
{
	if (size < 0) {
		ep->ops->send_commit(ep, 0, NULL, 0);
		return (int)size;
	}
	return ep->ops->send_commit(ep, (size_t)size, handles, handle_count);
}

/*
 * Error replies (docs/wire-format.md): the header, then the method's error
 * value zero-padded to IDL_ERROR_BODY_BYTES. What every method's
 * <method>_error_encode and _error_validate share is here; they add the
 * value, its type and its check.
 */
/* Writes a frame's header: the last step of every encoder. */
IDL_INLINE void idl_put_header(idl_frame_header *h, uint32_t size, uint32_t ordinal, uint32_t txid,
                               uint32_t flags, uint32_t handle_count, uint32_t inline_size)
{
	h->size = size;
	h->ordinal = ordinal;
	h->txid = txid;
	h->flags = (uint8_t)flags;
	h->handle_count = (uint8_t)handle_count;
	h->inline_size = (uint16_t)inline_size;
}

static inline void idl_error_header(idl_frame_header *h, uint32_t ordinal, uint32_t txid)
{
	idl_put_header(h, IDL_ERROR_FRAME_BYTES, ordinal, txid, IDL_FLAG_REPLY | IDL_FLAG_ERROR, 0,
	               IDL_ERROR_FRAME_BYTES);
}

/* The rules of an error reply to the method `ordinal` before its value, in
 * this order: exactly IDL_ERROR_FRAME_BYTES, the size field, the ordinal,
 * the flags, the inline size, no handles. IDL_OK or the first broken. */
static inline int idl_check_error_header(const void *frame, size_t size, uint32_t ordinal)
{
	const idl_frame_header *h = (const idl_frame_header *)frame;
	if (size < IDL_ERROR_FRAME_BYTES)
		return IDL_E_MESSAGE_SHORT;
	if (size > IDL_ERROR_FRAME_BYTES)
		return IDL_E_TRAILING;
	if (h->size != size)
		return IDL_E_FRAME_SIZE;
	if (h->ordinal != ordinal)
		return IDL_E_ORDINAL;
	if (h->flags != (IDL_FLAG_REPLY | IDL_FLAG_ERROR))
		return IDL_E_FLAGS;
	if (h->inline_size != IDL_ERROR_FRAME_BYTES)
		return IDL_E_INLINE_SIZE;
	if (h->handle_count != 0)
		return IDL_E_HANDLE_COUNT;
	return IDL_OK;
}

/*
 * Methods a server does not know. A request whose ordinal no interface of
 * the server knows (a newer client's method), or whose method has no
 * handler, is answered with a "not supported" reply: the header alone, with
 * the request's ordinal and txid and flags REPLY | NOT_SUPPORTED. The
 * generated stub returns IDL_E_NOT_SUPPORTED for it and the channel stays
 * open. The server can check only the header of such a request; a header
 * that breaks the rules of every frame is a decoding error, which closes
 * the channel, as always.
 */
static inline int64_t idl_not_supported_encode(const idl_frame_header *request, void *out,
                                               size_t out_max)
{
	idl_frame_header *h = (idl_frame_header *)out;
	if (((uintptr_t)out & (IDL_FRAME_ALIGN - 1)) != 0 ||
	    out_max < IDL_NOT_SUPPORTED_FRAME_BYTES)
		return IDL_E_BUFFER;
	h->size = IDL_NOT_SUPPORTED_FRAME_BYTES;
	h->ordinal = request->ordinal;
	h->txid = request->txid;
	h->flags = IDL_FLAG_REPLY | IDL_FLAG_NOT_SUPPORTED;
	h->handle_count = 0;
	h->inline_size = IDL_NOT_SUPPORTED_FRAME_BYTES;
	return IDL_NOT_SUPPORTED_FRAME_BYTES;
}

/* The header rules every frame of `flags` obeys, whatever its ordinal. */
static inline int idl_check_any_header(const void *frame, size_t size, uint16_t flags,
                                       uint32_t handle_count)
{
	const idl_frame_header *h = (const idl_frame_header *)frame;
	if (size < IDL_FRAME_HEADER_BYTES)
		return IDL_E_FRAME_SHORT;
	if (h->size != size)
		return IDL_E_FRAME_SIZE;
	if (h->flags != flags)
		return IDL_E_FLAGS;
	if (h->inline_size < IDL_FRAME_HEADER_BYTES ||
	    (h->inline_size & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_INLINE_SIZE;
	if (h->inline_size > size)
		return IDL_E_MESSAGE_SHORT;
	if (h->handle_count != handle_count)
		return IDL_E_HANDLE_COUNT;
	return IDL_OK;
}

/*
 * The server's answer to a request it cannot serve (frame: its private
 * copy): a "not supported" reply, or nothing for a one-way request.
 * IDL_OK, a transport error, or the decoding error of a malformed header.
 */
static inline int idl_serve_not_supported(idl_endpoint *ep, const void *frame, size_t size,
                                          uint32_t handle_count)
{
	int err = idl_check_any_header(frame, size, IDL_FLAG_REQUEST, handle_count);
	if (err != IDL_OK)
		return err;
	const idl_frame_header *request = (const idl_frame_header *)frame;
	if (request->txid == 0)
		return IDL_OK; /* one-way: nobody waits for an answer */
	void *out;
	err = ep->ops->send_begin(ep, IDL_NOT_SUPPORTED_FRAME_BYTES, &out);
	if (err != IDL_OK)
		return err;
	int64_t n = idl_not_supported_encode(request, out, IDL_NOT_SUPPORTED_FRAME_BYTES);
	return idl_send_finish(ep, n, NULL, 0);
}

/*
 * A stub's reply that did not validate (err): IDL_E_NOT_SUPPORTED when it
 * is a well-formed "not supported" reply to the method `ordinal`, else why
 * it is malformed.
 */
static inline int idl_not_supported_or(const void *frame, size_t size, uint32_t ordinal,
                                       uint32_t handle_count, int err)
{
	const idl_frame_header *h = (const idl_frame_header *)frame;
	if (size < IDL_FRAME_HEADER_BYTES || h->flags != (IDL_FLAG_REPLY | IDL_FLAG_NOT_SUPPORTED))
		return err;
	if (size > IDL_NOT_SUPPORTED_FRAME_BYTES)
		return IDL_E_TRAILING;
	if (h->ordinal != ordinal)
		return IDL_E_ORDINAL;
	err = idl_check_any_header(frame, size, IDL_FLAG_REPLY | IDL_FLAG_NOT_SUPPORTED,
	                           handle_count);
	if (err == IDL_OK && h->inline_size != IDL_NOT_SUPPORTED_FRAME_BYTES)
		err = IDL_E_INLINE_SIZE;
	if (err == IDL_OK && handle_count != 0)
		err = IDL_E_HANDLE_COUNT;
	return err == IDL_OK ? IDL_E_NOT_SUPPORTED : err;
}

/* <iface>_event_dispatch for an ordinal it does not know: a newer server's
 * event, IDL_E_NOT_SUPPORTED (to drop), unless its header is malformed. */
static inline int idl_unknown_event(const void *frame, size_t size, uint32_t handle_count)
{
	int err = idl_check_any_header(frame, size, IDL_FLAG_EVENT, handle_count);
	if (err == IDL_OK && ((const idl_frame_header *)frame)->txid != 0)
		err = IDL_E_TXID;
	return err == IDL_OK ? IDL_E_NOT_SUPPORTED : err;
}

/*
 * The server side. A server's runtime (idl/server.h) calls the generated
 * dispatcher of each interface it serves with an idl_request, which the
 * dispatcher passes on to the handler: where the request came from, and
 * for whom.
 */
typedef struct idl_session idl_session; /* a client's session: idl/server.h */

typedef struct idl_request {
	idl_endpoint *ep;     /* the client's channel: the reply goes there */
	uint32_t txid;        /* the request's transaction id (0: one-way) */
	void *ctx;            /* the context registered with the handler table */
	idl_session *session; /* the client's session, NULL when served without one */
} idl_request;

/*
 * A reply taken away by a handler, to be sent later, from any thread
 * (<method>_defer, then <method>_reply_ok or <method>_reply_error). The
 * token is the caller's memory; the transport fills it in. It is good for
 * one reply: a second is IDL_E_REPLIED, and one after the client's session
 * ended is IDL_E_PEER_CLOSED, written nowhere.
 */
typedef struct idl_reply_ops {
	/* Reserves room for the reply (at most max_bytes) in the client's
	 * channel; on success the frame is the caller's until commit. */
	int (*begin)(idl_reply_token *t, size_t max_bytes, void **frame);
	/* Publishes it (bytes > 0) and uses the token up, or gives the room
	 * back (bytes 0) and keeps it. */
	int (*commit)(idl_reply_token *t, size_t bytes, const idl_typed_handle *handles,
	              uint32_t handle_count);
} idl_reply_ops;

struct idl_reply_token {
	const idl_reply_ops *ops; /* NULL: never given out */
	void *owner;              /* the transport's: whose reply it is */
	uint32_t txid;            /* the request's */
	uint32_t generation;      /* the transport's: which session of the owner */
	uint32_t armed;           /* the transport's: given out and not used */
};

/* What a handler returns after <method>_defer: the reply comes later. */
#define IDL_DEFERRED 1

/* A generated dispatcher, with its handler table as a void pointer. */
typedef int (*idl_dispatch_fn)(const void *handlers, idl_request *r, void *frame, size_t size,
                               const idl_typed_handle *handles, uint32_t handle_count);

/* What a server needs to know of an interface: <iface>_interface. */
typedef struct idl_interface {
	const char *name;           /* "fs.File" */
	uint32_t protocol;          /* <IFACE>_PROTOCOL, which servers announce */
	uint32_t max_frame_bytes;   /* <IFACE>_MAX_FRAME_BYTES: sizes its channels */
	uint32_t max_request_bytes; /* its largest request: sizes a server's buffer */
	uint32_t version;           /* <IFACE>_VERSION: announced in the handshake */
	uint32_t oldest;            /* <IFACE>_OLDEST_VERSION: the oldest peer it talks to */
	idl_dispatch_fn dispatch;
} idl_interface;

/* Whether two ends of an interface can talk: each is at least the oldest
 * version the other still talks to (docs/evolution.md). */
static inline bool idl_versions_talk(uint32_t version, uint32_t oldest, uint32_t peer_version,
                                     uint32_t peer_oldest)
{
	return peer_version >= oldest && version >= peer_oldest;
}

/* The next transaction id of a call; never 0, which marks one-way frames. */
static inline uint32_t idl_endpoint_txid(idl_endpoint *ep)
{
	if (++ep->next_txid == 0)
		ep->next_txid = 1;
	return ep->next_txid;
}

/* <method>_defer: takes the reply of the request a handler serves into a
 * token; returns IDL_DEFERRED, for the handler to return. */
static inline int idl_defer(idl_request *r, idl_reply_token *token)
{
	if (r->ep->ops->defer == NULL)
		return IDL_E_TRANSPORT;
	int err = r->ep->ops->defer(r->ep, r->txid, token);
	return err == IDL_OK ? IDL_DEFERRED : err;
}

/* <method>_reply_ok and _reply_error: room for the reply, through the
 * token, then the frame encoded there is published (or, when the encoder
 * failed, size < 0, the room given back and the token kept). */
static inline int idl_reply_begin(idl_reply_token *token, size_t max_bytes, void **frame)
{
	if (token->ops == NULL)
		return IDL_E_REPLIED;
	return token->ops->begin(token, max_bytes, frame);
}

static inline int idl_reply_finish(idl_reply_token *token, int64_t size,
                                   const idl_typed_handle *handles, uint32_t handle_count)
{
	if (size < 0) {
		token->ops->commit(token, 0, NULL, 0);
		return (int)size;
	}
	return token->ops->commit(token, (size_t)size, handles, handle_count);
}

/* Prepares a call whose reply goes into buf, with room for handles. */
static inline void idl_call_init(idl_call *call, void *buf, size_t buf_bytes,
                                 idl_typed_handle *handles, uint32_t handle_room)
{
	/* The rest is the transport's to set in call_begin. */
	call->buf = buf;
	call->buf_bytes = buf_bytes;
	call->handles = handles;
	call->handle_room = handle_room;
	call->status = IDL_E_WOULD_BLOCK;
	call->inline_bytes = 0;
	call->owner = NULL;
}

/* Waits for one call for at most timeout_ns (0: no limit); IDL_OK once it
 * is answered (then its <method>_finish does not wait), IDL_E_TIMEOUT with
 * the call still in flight. */
static inline int idl_call_wait(idl_endpoint *ep, idl_call *call, uint64_t timeout_ns)
{
	return ep->ops->call_wait(ep, call, timeout_ns, NULL);
}

/* Waits for any call in flight on ep; returns the one answered (its
 * <method>_pending starts with it), or NULL with *err set. */
static inline idl_call *idl_call_wait_any(idl_endpoint *ep, uint64_t timeout_ns, int *err)
{
	idl_call *done = NULL;
	*err = ep->ops->call_wait(ep, NULL, timeout_ns, &done);
	return *err == IDL_OK ? done : NULL;
}

/* Gives up on a call: its reply, if it ever comes, is dropped. */
static inline void idl_call_abandon(idl_endpoint *ep, idl_call *call)
{
	ep->ops->call_end(ep, call);
}

/* Closes the handles of a frame that will not be kept (idl_endpoint_ops
 * .release): a peer cannot make us hold its handles by sending a bad one. */
static inline void idl_release_handles(idl_endpoint *ep, const idl_typed_handle *handles,
                                       uint32_t count)
{
	if (count > 0 && ep->ops->release != NULL)
		ep->ops->release(ep, handles, count);
}

/* After a reply decoded: the handles a later version's frame brought for
 * fields this version does not know (idl_other_end) are closed. */
static inline void idl_release_unknown_handles(idl_endpoint *ep, const idl_typed_handle *handles,
                                               uint32_t count, const idl_frame_header *decoded)
{
	if (decoded->handle_count < count)
		idl_release_handles(ep, handles + decoded->handle_count,
		                    count - decoded->handle_count);
}

/*
 * What every <method>_finish does first: waits for the call (at most the
 * endpoint's timeout_ns), ends it, and returns how it went. A call that
 * times out is abandoned.
 */
static inline int idl_call_finish(idl_endpoint *ep, idl_call *call)
{
	int err = IDL_OK;
	if (call->status == IDL_E_WOULD_BLOCK)
		err = ep->ops->call_wait(ep, call, ep->timeout_ns, NULL);
	ep->ops->call_end(ep, call);
	if (err != IDL_OK)
		return err;
	if (call->status != IDL_OK)
		return call->status;
	if (((const idl_frame_header *)call->buf)->txid != call->txid) {
		idl_release_handles(ep, call->handles, call->handle_count);
		return IDL_E_TXID;
	}
	return IDL_OK;
}

#ifdef __cplusplus
}
#endif

#endif /* IDL_WIRE_H */
