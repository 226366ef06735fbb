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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "idlc's generated code maps the little-endian wire format directly"
#endif

#define IDL_WIRE_VERSION 1

/* Every frame begins with this header; its size counts the whole frame. */
typedef struct idl_frame_header {
	uint32_t size;         /* bytes in the frame, header included; a multiple of 8 */
	uint32_t ordinal;      /* which method or event */
	uint64_t txid;         /* matches a reply to its request; 0 on one-way and events */
	uint16_t flags;        /* exactly one IDL_FLAG_ kind bit, maybe IDL_FLAG_ERROR */
	uint16_t handle_count; /* handles that travel beside the bytes */
	uint32_t reserved;     /* zero */
} idl_frame_header;

#define IDL_FRAME_HEADER_BYTES 24u
#define IDL_FRAME_ALIGN        8u
_Static_assert(sizeof(idl_frame_header) == IDL_FRAME_HEADER_BYTES, "frame header layout");

#define IDL_FLAG_REQUEST 0x0001u /* client to server */
#define IDL_FLAG_REPLY   0x0002u /* server to client, answers a request */
#define IDL_FLAG_EVENT   0x0004u /* server to client, unsolicited */
#define IDL_FLAG_ERROR   0x0008u /* with REPLY: the body is the method's error value */

/* The largest number of handles one frame may carry. */
#define IDL_MAX_HANDLES 64u

/* An error reply: the header and the error value, padded to 8 bytes. */
#define IDL_ERROR_FRAME_BYTES 32u

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
	IDL_E_REPLIED = -35      /* the reply token was used already, or never given out */
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

_Static_assert(sizeof(idl_string) == 16, "string reference layout");
_Static_assert(sizeof(idl_bytes) == 16, "bytes reference layout");

/* Builds an idl_string from a C string literal, for encoder input. */
#define IDL_STRING_LITERAL(s) ((idl_string){.size = sizeof(s) - 1, .data = (s)})

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
 * Copies an untrusted frame out of shared memory: the first step of every
 * decoder. The size field is read exactly once; the frame is copied with one
 * memcpy; shared memory is never read again. The caller then validates the
 * private copy, which nothing else can change.
 *
 * Returns the frame's size, or a negative idl_error.
 */
IDL_INLINE int64_t idl_frame_copy(const void *shared, size_t available, void *buf, size_t max_bytes)
{
	if (((uintptr_t)buf & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_BUFFER;
	if (available < IDL_FRAME_HEADER_BYTES)
		return IDL_E_FRAME_SHORT;
	/* The single read of the size field; a volatile load, so it is not repeated. */
	uint32_t size = *(const volatile uint32_t *)shared;
	if (size < IDL_FRAME_HEADER_BYTES || (size & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_FRAME_SIZE;
	if (size > available)
		return IDL_E_FRAME_TRUNCATED;
	if (size > max_bytes)
		return IDL_E_FRAME_TOO_LARGE;
	idl_copy(buf, shared, size);
	/* The peer may have changed the size field between the read and the copy. */
	if (((const idl_frame_header *)buf)->size != size)
		return IDL_E_FRAME_CHANGED;
	return size;
}

/*
 * idl_frame_copy for a message of one fixed size, `exact` bytes: the copy
 * has a constant size, which compilers turn into a few moves. Errors are the
 * same as idl_frame_copy's, and a frame shorter than the message is
 * IDL_E_MESSAGE_SHORT. Meant for small frames: larger constant copies may
 * become `rep movs`, slower than the library call.
 */
IDL_INLINE int64_t idl_frame_copy_exact(const void *shared, size_t available, void *buf,
                                        uint32_t exact)
{
	if (((uintptr_t)buf & (IDL_FRAME_ALIGN - 1)) != 0)
		return IDL_E_BUFFER;
	if (available < IDL_FRAME_HEADER_BYTES)
		return IDL_E_FRAME_SHORT;
	/* The single read of the size field, as in idl_frame_copy. */
	uint32_t size = *(const volatile uint32_t *)shared;
	if (size != exact) {
		if (size < IDL_FRAME_HEADER_BYTES || (size & (IDL_FRAME_ALIGN - 1)) != 0)
			return IDL_E_FRAME_SIZE;
		if (size > available)
			return IDL_E_FRAME_TRUNCATED;
		return size > exact ? IDL_E_FRAME_TOO_LARGE : IDL_E_MESSAGE_SHORT;
	}
	if (size > available)
		return IDL_E_FRAME_TRUNCATED;
	IDL_MEMCPY(buf, shared, exact);
	if (((const idl_frame_header *)buf)->size != exact)
		return IDL_E_FRAME_CHANGED;
	return exact;
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
 * True when a header's flags, handle count and reserved field hold exactly
 * these values: the three share 8 bytes, so one compare checks them.
 */
IDL_INLINE bool idl_header_tail_is(const idl_frame_header *h, uint16_t flags, uint32_t handle_count)
{
	uint64_t expected = flags | (uint64_t)handle_count << 16;
	return handle_count <= 0xffffu && idl_load64((const uint8_t *)&h->flags) == expected;
}

/* Names the field idl_header_tail_is found wrong. */
static inline int idl_header_tail_error(const idl_frame_header *h, uint16_t flags)
{
	if (h->flags != flags)
		return IDL_E_FLAGS;
	if (h->reserved != 0)
		return IDL_E_RESERVED;
	return IDL_E_HANDLE_COUNT;
}

/*
 * The state of one validation: the private frame, how far its out-of-line
 * blocks reach so far, and the handles that came with it. Generated
 * validators carry it through every field.
 */
typedef struct idl_decoder {
	uint8_t *base;   /* the private copy */
	uint64_t size;   /* the frame's size */
	uint64_t cursor; /* where the next out-of-line block must start */
	const idl_typed_handle *handles;
	uint32_t handle_count;
	uint32_t next_handle;
} idl_decoder;

/*
 * Claims the next out-of-line block: it must start at an 8-aligned offset,
 * exactly where the previous block ended, and lie inside the frame; the
 * padding up to the next 8-byte boundary must be zero.
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
	if (!idl_is_zero(d->base + end, (size_t)(padded - end)))
		return IDL_E_PADDING;
	d->cursor = padded;
	*block = d->base + offset;
	return IDL_OK;
}

/*
 * Validates a string slot and points it at its NUL-terminated text. The
 * block is the text, its NUL and zero padding to 8 bytes; it is checked a
 * word at a time: full words of text must hold no zero byte, and in the
 * last word the text bytes must be nonzero and the rest zero.
 */
IDL_INLINE int idl_check_string(idl_decoder *d, idl_string *s, uint32_t max)
{
	if (s->reserved != 0)
		return IDL_E_RESERVED;
	if (s->size > max)
		return IDL_E_COUNT;
	uint64_t offset = s->offset;
	/* The cursor is always 8-aligned, so a block at the cursor is too. */
	if (offset != d->cursor)
		return (offset & (IDL_FRAME_ALIGN - 1)) != 0 ? IDL_E_ALIGNMENT : IDL_E_OFFSET;
	uint64_t padded = idl_align8((uint64_t)s->size + 1);
	/* cursor <= size holds, so this subtraction cannot wrap. */
	if (padded > d->size - offset)
		return IDL_E_OUT_OF_FRAME;
	const uint8_t *text = d->base + offset;
	/* (w - 0x01..01) & ~w has a byte's high bit set only if w has a zero
	 * byte (a borrow starts only at a zero byte), so the tests of all words
	 * can be ORed and masked once. The bytes after the text are forced
	 * nonzero for this test and checked to be zero below. */
	uint32_t full_words = s->size / 8;
	uint64_t zero_bytes = 0;
	for (uint32_t i = 0; i < full_words; i++) {
		uint64_t w = idl_load64(text + 8 * i);
		zero_bytes |= (w - 0x0101010101010101u) & ~w;
	}
	uint64_t last = idl_load64(text + 8 * full_words);
	uint64_t after_text = ~(uint64_t)0 << (8 * (s->size % 8));
	uint64_t masked = last | after_text;
	zero_bytes |= (masked - 0x0101010101010101u) & ~masked;
	if ((zero_bytes & 0x8080808080808080u) != 0)
		return IDL_E_STRING;
	/* The last word ends the block: padded is always 8 * full_words + 8. */
	if ((last & after_text) != 0)
		return text[s->size] != 0 ? IDL_E_STRING : IDL_E_PADDING;
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

/* The state of one encoding: the output frame and the handles moved out. */
typedef struct idl_encoder {
	uint8_t *base;
	uint64_t capacity;
	uint64_t cursor; /* where the next out-of-line block goes */
	idl_typed_handle *handles;
	uint32_t handle_count;
} idl_encoder;

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

/* Writes a string's text and terminator out of line and fills its slot. */
IDL_INLINE int idl_put_string(idl_encoder *e, const idl_string *src, idl_string *dst, uint32_t max)
{
	if (src->size > max || (src->size > 0 && src->data == NULL))
		return IDL_E_INVALID_ARGUMENT;
	for (uint32_t i = 0; i < src->size; i++)
		if (src->data[i] == 0)
			return IDL_E_INVALID_ARGUMENT;
	uint64_t offset;
	uint8_t *text;
	int err = idl_reserve(e, (uint64_t)src->size + 1, &offset, &text);
	if (err != IDL_OK)
		return err;
	if (src->size > 0)
		idl_copy(text, src->data, src->size);
	text[src->size] = 0;
	dst->size = src->size;
	dst->reserved = 0;
	dst->offset = offset;
	return IDL_OK;
}

/* Copies count elements out of line for a bytes or vector slot. */
IDL_INLINE int idl_put_block(idl_encoder *e, const void *data, uint32_t count, uint32_t max,
                             uint32_t element_bytes, uint64_t *offset, uint8_t **block)
{
	if (count > max || (count > 0 && data == NULL))
		return IDL_E_INVALID_ARGUMENT;
	if (count == 0) {
		*offset = 0;
		*block = NULL;
		return IDL_OK;
	}
	uint64_t bytes = (uint64_t)count * element_bytes;
	int err = idl_reserve(e, bytes, offset, block);
	if (err != IDL_OK)
		return err;
	idl_copy(*block, data, (size_t)bytes);
	return IDL_OK;
}

/* Moves a handle into the frame's handle list, with the kind its field
 * declares, and leaves its index. */
IDL_INLINE int idl_put_handle(idl_encoder *e, idl_handle h, uint32_t kind, idl_handle *slot)
{
	if (h == IDL_HANDLE_INVALID || e->handles == NULL || e->handle_count >= IDL_MAX_HANDLES)
		return IDL_E_INVALID_ARGUMENT;
	e->handles[e->handle_count] = (idl_typed_handle){.value = h, .kind = kind};
	*slot = e->handle_count++;
	return IDL_OK;
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
	uint64_t txid; /* the request's transaction id */
	void *buf;     /* where the reply goes: 8-aligned, buf_bytes long */
	size_t buf_bytes;
	size_t size;               /* the reply's size, once it is in */
	idl_typed_handle *handles; /* room for the reply's handles */
	uint32_t handle_room;
	uint32_t handle_count; /* how many came */
	int status;            /* IDL_E_WOULD_BLOCK in flight; IDL_OK answered; or why it failed */
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
	 * 0 bytes gives the reservation back. */
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
	int (*receive)(idl_endpoint *ep, uint64_t txid, void *buf, size_t max_bytes, size_t *size,
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
	int (*defer)(idl_endpoint *ep, uint64_t txid, idl_reply_token *token);
} idl_endpoint_ops;

struct idl_endpoint {
	const idl_endpoint_ops *ops;
	uint64_t next_txid;  /* last transaction id used by this end's calls */
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
 * The server side. A server's runtime (idl/server.h) calls the generated
 * dispatcher of each interface it serves with an idl_request, which the
 * dispatcher passes on to the handler: where the request came from, and
 * for whom.
 */
typedef struct idl_session idl_session; /* a client's session: idl/server.h */

typedef struct idl_request {
	idl_endpoint *ep;     /* the client's channel: the reply goes there */
	uint64_t txid;        /* the request's transaction id (0: one-way) */
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
	uint64_t txid;            /* the request's */
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
	idl_dispatch_fn dispatch;
} idl_interface;

/* The next transaction id of a call; never 0, which marks one-way frames. */
static inline uint64_t idl_endpoint_txid(idl_endpoint *ep)
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
	if (((const idl_frame_header *)call->buf)->txid != call->txid)
		return IDL_E_TXID;
	return IDL_OK;
}

#endif /* IDL_WIRE_H */
