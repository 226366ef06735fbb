/*
 * sysfuzz.c: a system-call fuzzer for the hostile test image. It calls
 * every system call number (and numbers out of range, negative and huge)
 * with arguments drawn from pools of edge cases: kernel-half and
 * non-canonical addresses, ranges that wrap or straddle the end of the user
 * half, NULL, unmapped and read-only pages as output buffers, buffers that
 * run into an unmapped page, invalid, closed, wrong-kind and huge handles,
 * and lengths around every bound. After each call it checks that
 *   - the result is a valid value or one of the IDLK_E_* codes (and exactly
 *     IDLK_E_NOSYS for a number that is no call),
 *   - no register but RAX, RCX and R11 changed (sysfuzz_call.S),
 *   - a few things that must hold whatever else does (a kernel pointer given
 *     as a buffer is IDLK_E_FAULT).
 * It avoids only what would end itself: exit and thread_exit run once at the
 * end, futex waits get short timeouts, threads start at an entry that exits
 * at once, and unmapping never covers its own image, stack or pool pages.
 * What it maps or creates it undoes at once, so every call sees the same
 * address space.
 *
 * Handles from init (init_hostile.c): 0 shared memory, 1 I/O ports (COM3),
 * 2 MMIO, 3 IRQ lines 5-6 (two lines: irq_wait must refuse, not block),
 * 4 DMA, 5 a process that has exited, 6 a channel end whose other end is
 * closed (so a send that passes every check moves nothing: GONE). Exit status 7 when every check
 * held: the last call is a raw exit whose status word has junk above the low byte.
 */
#include "ulib.h"

enum fuzz_reg {
	R_RAX,
	R_RDI,
	R_RSI,
	R_RDX,
	R_R10,
	R_R8,
	R_R9,
	R_RBX,
	R_RBP,
	R_R12,
	R_R13,
	R_R14,
	R_R15,
	R_RSP,
	R_RSP_BEFORE,
	NREGS
};

void fuzz_syscall(const uint64_t in[R_RSP], uint64_t out[NREGS]);
void fuzz_thread_exit(void);
extern const char fuzz_ro_page[8192];       /* sysfuzz_call.S */
extern char __image_start[], __image_end[]; /* user.ld */

#define PAGE           4096ull
#define SHM_HANDLE     0
#define KIT_HANDLES    7
#define SCRATCH_HANDLE 7 /* a shared object of our own, made again when closed */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t pick(const uint64_t *pool, size_t n)
{
	return pool[next_random() % n];
}

#define PICK(pool) pick(pool, sizeof(pool) / sizeof(pool[0]))

static uint64_t rw_page; /* mapped read-write; the page after it is not mapped */

/* Addresses: good, unmapped, read-only, crossing into a hole, at and past
 * the end of the user half, non-canonical, kernel, wrapping. */
static uint64_t pointers[18];

/* One line per group of lengths. */
/* clang-format off */
static const uint64_t lengths[] = {
    0, 1, 7, 8, 16, 24,                                     /* small */
    255, 256, 257, 4095, 4096, 4097,                        /* around bounds */
    8192, 65536, 1ull << 20, 4ull << 20, 1ull << 30,        /* sizes */
    (1ull << 30) + 4096, 1ull << 32, 0x7ffffffff000ull,     /* too big */
    1ull << 47, 1ull << 63, UINT64_MAX - 4095, UINT64_MAX,  /* wrapping */
};
/* clang-format on */

static const uint64_t handles[] = {
    0,         1,  2,  3,  4,          5,          6,          7,
    8,         31, 32, 33, UINT64_MAX, 0x7fffffff, 0x80000000, 0x100000000ull,
    1ull << 63};

/* Handles handle_close may take: invalid ones, and our scratch object. */
static const uint64_t closable[] = {SCRATCH_HANDLE, 9, 31, 32, UINT64_MAX, 0x100000000ull};

static const uint64_t entries[] = {
    0, 1, 0xfff, 0x7ffffffff000ull, 0x800000000000ull, 0xffff800000000000ull, UINT64_MAX};

static const uint64_t timeouts[] = {1, 1000, 1000000};

static const uint64_t prots[] = {0, 1, 2, 3, 4, 5, 7, 8, 0xf, UINT64_MAX};

enum arg {
	ANY,     /* anything from every pool, or random bits */
	PTR,     /* an address */
	LEN,     /* a length, offset or count */
	HANDLE,  /* a handle number */
	CLOSE,   /* a handle handle_close may take */
	ENTRY,   /* a thread entry: ours or an invalid one */
	TIMEOUT, /* a short futex timeout */
	WORD,    /* a futex word's expected value: sometimes what it holds */
	PROT     /* protection bits */
};

/* The argument kinds of each call (the others' get ANY). */
static const enum arg kinds[IDLK_SYSCALL_COUNT][5] = {
    [IDLK_SYS_DEBUG_LOG] = {PTR, LEN},
    [IDLK_SYS_THREAD_CREATE] = {ENTRY, PTR, ANY},
    [IDLK_SYS_SPAWN] = {PTR},
    [IDLK_SYS_WAIT] = {HANDLE},
    [IDLK_SYS_MAP] = {PTR, LEN, PROT},
    [IDLK_SYS_UNMAP] = {PTR, LEN},
    [IDLK_SYS_SHM_CREATE] = {LEN},
    [IDLK_SYS_SHM_MAP] = {HANDLE, PTR, PROT},
    [IDLK_SYS_HANDLE_CLOSE] = {CLOSE},
    [IDLK_SYS_FUTEX_WAIT] = {PTR, WORD, TIMEOUT},
    [IDLK_SYS_FUTEX_WAKE] = {PTR, LEN},
    [IDLK_SYS_IRQ_WAIT] = {HANDLE},
    [IDLK_SYS_IOPORT] = {HANDLE},
    [IDLK_SYS_MMIO_MAP] = {HANDLE, LEN, LEN, PTR},
    [IDLK_SYS_DMA_ALLOC] = {HANDLE, LEN, PTR, PTR},
    [IDLK_SYS_RESOURCE_DERIVE] = {HANDLE, LEN, LEN},
    [IDLK_SYS_HANDLE_INFO] = {HANDLE, PTR},
    [IDLK_SYS_LIMITS] = {PTR, PTR},
    [IDLK_SYS_CHAN_CREATE] = {LEN, PTR, PTR},
    [IDLK_SYS_HANDLE_SEND] = {HANDLE, PTR, LEN, PTR},
    [IDLK_SYS_HANDLE_RECEIVE] = {HANDLE, PTR, LEN, PTR},
    [IDLK_SYS_HANDLE_DUP] = {HANDLE},
    [IDLK_SYS_KILL] = {HANDLE},
    [IDLK_SYS_CHAN_WATCH] = {HANDLE, PTR},
    [IDLK_SYS_CHAN_KICK] = {HANDLE},
    [IDLK_SYS_PCI_CONFIG] = {HANDLE, LEN, LEN, LEN, ANY},
};

static uint64_t argument(enum arg kind)
{
	switch (kind) {
	case PTR:
		return PICK(pointers);
	case LEN:
		return PICK(lengths);
	case HANDLE:
		return PICK(handles);
	case CLOSE:
		return PICK(closable);
	case ENTRY:
		return next_random() % 2 ? (uint64_t)(uintptr_t)fuzz_thread_exit : PICK(entries);
	case TIMEOUT:
		return PICK(timeouts);
	case PROT:
		return PICK(prots);
	case WORD:
		return next_random() % 2 ? 0x20202020 : next_random() % 3; /* spaces, or small */
	case ANY:
		break;
	}
	switch (next_random() % 5) {
	case 0:
		return PICK(pointers);
	case 1:
		return PICK(lengths);
	case 2:
		return PICK(handles);
	case 3:
		return next_random() % 16;
	default:
		return next_random();
	}
}

static bool overlaps(uint64_t a, uint64_t len, uint64_t b, uint64_t b_len)
{
	uint64_t end = a + len < a ? UINT64_MAX : a + len;
	return a < b + b_len && b < end;
}

/* Whether a call would pull the ground from under the fuzzer. */
static bool self_harm(uint64_t nr, const uint64_t a[5])
{
	if (nr != IDLK_SYS_UNMAP)
		return false;
	uint64_t image = (uint64_t)(uintptr_t)__image_start;
	return overlaps(a[0], a[1], image, (uint64_t)(uintptr_t)__image_end - image) ||
	       overlaps(a[0], a[1], IDLK_USER_STACK_TOP - IDLK_USER_STACK_BYTES,
	                IDLK_USER_STACK_BYTES) ||
	       overlaps(a[0], a[1], rw_page, 2 * PAGE);
}

static long calls, successes, failures, by_error[IDLK_E_MAX + 1];

static void fail(uint64_t nr, const uint64_t a[5], const char *what, uint64_t got)
{
	if (failures++ < 20)
		printf("sysfuzz: call %lu (%lx, %lx, %lx, %lx, %lx): %s (%lx)\n", nr, a[0], a[1],
		       a[2], a[3], a[4], what, got);
}

static bool kernel_pointer(uint64_t p)
{
	return p >= 0x800000000000ull;
}

/* Undoes what a successful call made, so the next call sees the same state. */
static void undo(uint64_t nr, const uint64_t a[5], int64_t result)
{
	struct idlk_handle_info info;
	switch (nr) {
	case IDLK_SYS_MAP:
		idlk_unmap((void *)result, a[1]);
		break;
	case IDLK_SYS_SHM_MAP:
		if (idlk_handle_info((int)a[0], &info) == IDLK_HANDLE_SHM)
			idlk_unmap((void *)result, info.size);
		break;
	case IDLK_SYS_MMIO_MAP:
		idlk_unmap((void *)result, a[2]);
		break;
	case IDLK_SYS_DMA_ALLOC:
		idlk_unmap((void *)result, a[1]);
		break;
	case IDLK_SYS_SHM_CREATE:
	case IDLK_SYS_RESOURCE_DERIVE:
	case IDLK_SYS_HANDLE_DUP:
		idlk_handle_close((int)result);
		break;
	case IDLK_SYS_CHAN_CREATE: {
		const int *ends = (const int *)a[1];
		idlk_handle_close(ends[0]);
		idlk_handle_close(ends[1]);
		break;
	}
	case IDLK_SYS_HANDLE_CLOSE:
		idlk_shm_create(PAGE); /* takes the scratch object's slot again */
		break;
	}
}

static void one_call(uint64_t nr, const uint64_t a[5])
{
	static const uint64_t patterns[] = {
	    0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444,
	    0x5555555555555555, 0x6666666666666666, 0x7777777777777777};
	uint64_t in[R_RSP] = {nr, a[0], a[1], a[2], a[3], a[4]};
	for (int r = R_R9; r <= R_R15; r++)
		in[r] = patterns[r - R_R9] ^ nr;
	uint64_t out[NREGS];
	if (nr == IDLK_SYS_DEBUG_LOG)
		memset((void *)rw_page, ' ', PAGE); /* other calls store binary there */
	fuzz_syscall(in, out);
	calls++;
	int64_t result = (int64_t)out[R_RAX];
	for (int r = R_RDI; r <= R_R15; r++)
		if (out[r] != in[r])
			fail(nr, a, "a register changed", (uint64_t)r);
	if (out[R_RSP] != out[R_RSP_BEFORE])
		fail(nr, a, "the stack pointer changed", out[R_RSP]);
	if (nr >= IDLK_SYSCALL_COUNT) {
		if (result != -IDLK_E_NOSYS)
			fail(nr, a, "no such call, but not NOSYS", (uint64_t)result);
		by_error[IDLK_E_NOSYS]++;
		return;
	}
	if (result < -IDLK_E_MAX)
		fail(nr, a, "not a result nor an error", (uint64_t)result);
	if (result < 0) {
		by_error[-result]++;
	} else {
		successes++;
		undo(nr, a, result);
	}
	/* Oracles: a kernel address as a buffer is a fault, never a success. */
	bool must_fault =
	    (nr == IDLK_SYS_DEBUG_LOG && a[1] > 0 && a[1] <= 256 && kernel_pointer(a[0])) ||
	    (nr == IDLK_SYS_LIMITS && kernel_pointer(a[0])) ||
	    (nr == IDLK_SYS_HANDLE_INFO && a[0] <= SCRATCH_HANDLE && kernel_pointer(a[1]));
	if (must_fault && result != -IDLK_E_FAULT)
		fail(nr, a, "a kernel pointer as a buffer, but not FAULT", (uint64_t)result);
}

static void setup_pools(void)
{
	rw_page = (uint64_t)idlk_map(NULL, 2 * PAGE, IDLK_PROT_READ | IDLK_PROT_WRITE);
	idlk_unmap((void *)(rw_page + PAGE), PAGE);
	memset((void *)rw_page, ' ', PAGE);
	uint64_t ro = (uint64_t)(uintptr_t)fuzz_ro_page;
	const uint64_t p[] = {0,
	                      1,
	                      rw_page,
	                      rw_page + 8,
	                      rw_page + PAGE - 8, /* runs into the unmapped page */
	                      rw_page + PAGE,     /* unmapped */
	                      ro,                 /* read-only */
	                      ro + PAGE - 4,      /* across two read-only pages */
	                      0x1000,
	                      0xfff,
	                      IDLK_USER_END - 8,
	                      IDLK_USER_END,
	                      0x7fffffffffffull,
	                      0x800000000000ull,     /* the first non-canonical */
	                      0xffff800000000000ull, /* kernel: all RAM */
	                      0xffffffff80100000ull, /* kernel: text */
	                      0xfffffffffffff000ull, /* wraps with any length */
	                      0x8000000000000000ull};
	memcpy(pointers, p, sizeof(pointers));
	_Static_assert(sizeof(p) == sizeof(pointers), "every pointer in the pool");
}

/* Reads a decimal number at *s and moves past it and the spaces after it. */
static uint64_t number(const char **s)
{
	uint64_t n = 0;
	for (; **s >= '0' && **s <= '9'; (*s)++)
		n = n * 10 + (uint64_t)(**s - '0');
	while (**s == ' ')
		(*s)++;
	return n;
}

/* Arguments: [ROUNDS [SEED]], ROUNDS per system call (200), SEED for the
 * random choices (a fixed one, so that a failure repeats). */
int umain(const char *args, long nhandles)
{
	long rounds = (long)number(&args);
	if (rounds == 0)
		rounds = 200;
	uint64_t seed = number(&args);
	if (seed)
		rng = seed;
	printf("sysfuzz: %ld rounds per call, seed %lu\n", rounds, rng);
	if (nhandles != KIT_HANDLES || idlk_shm_create(PAGE) != SCRATCH_HANDLE) {
		printf("sysfuzz: expected %d handles from init\n", KIT_HANDLES);
		return 1;
	}
	setup_pools();
	uint64_t a[5];
	for (uint64_t nr = 0; nr < IDLK_SYSCALL_COUNT; nr++) {
		if (nr == IDLK_SYS_EXIT || nr == IDLK_SYS_THREAD_EXIT)
			continue;
		for (long i = 0; i < rounds; i++) {
			for (int k = 0; k < 5; k++)
				a[k] = argument(kinds[nr][k]);
			if (!self_harm(nr, a))
				one_call(nr, a);
		}
	}
	static const uint64_t not_calls[] = {IDLK_SYSCALL_COUNT,
	                                     IDLK_SYSCALL_COUNT + 1,
	                                     255,
	                                     256,
	                                     0x7fffffff,
	                                     0x80000000,
	                                     0xffffffff,
	                                     0x100000000ull,
	                                     0x100000000ull + IDLK_SYS_CLOCK,
	                                     1ull << 63,
	                                     UINT64_MAX};
	for (size_t i = 0; i < sizeof(not_calls) / sizeof(not_calls[0]); i++) {
		for (int k = 0; k < 5; k++)
			a[k] = argument(ANY);
		one_call(not_calls[i], a);
	}
	printf("sysfuzz: %ld calls, %ld succeeded; errors:", calls, successes);
	for (int e = 1; e <= IDLK_E_MAX; e++)
		printf(" %d:%ld", e, by_error[e]);
	printf("; %ld failed checks\n", failures);
	if (failures)
		return 1;
	/* exit takes the low byte of its status: 7. */
	fflush_stdout();
	uint64_t in[R_RSP] = {IDLK_SYS_EXIT, 0xdeadbeef00000107ull, 1, 2, 3, 4}, out[NREGS];
	fuzz_syscall(in, out);
	return 1;
}
