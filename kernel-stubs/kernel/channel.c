/*
 * channel.c: channels, and handles that travel with the frames on them.
 *
 * A channel is a shared-memory object with two ends. Its memory holds the
 * runtime's rings (runtime/include/idl/channel.h), which the kernel never
 * reads: frames go from process to process without a system call. What the
 * kernel adds is what shared memory cannot do:
 *
 *   - Handles in flight. A sender moves handles out of its table into the
 *     channel, towards the other end, and gets one word per handle to put
 *     in its frame; the receiver hands the words back and gets the handles
 *     into its own table. A word names a slot and the slot's generation, so
 *     a word made up, reused or meant for the other direction is refused.
 *     The runtime's send_handles/receive_handles on this kernel are these
 *     two calls (user/chan.c).
 *   - Death notices. When the last handle to one end goes (its process
 *     closed it or died), the kernel writes 1 to that end's "closed" word
 *     in the channel's memory, adds 1 to the other end's wake word and
 *     wakes its futex waiters, so the survivor sees the channel closed and
 *     never waits for a peer that is gone. The creator says where the words
 *     are; the kernel only checks that they lie inside the memory.
 *
 *   - Kicks. The holder of an end may watch it (chan_watch): it names two
 *     words of its own memory, and each kick from the other end
 *     (chan_kick), and the death of the other end, sets a bit in one,
 *     adds 1 to the other and wakes its futex waiters. A server sleeps on
 *     such a word, in memory no client maps, so no client can undo
 *     another's kick, as it could a write to a futex word they share
 *     (docs/runtime.md, "Waking the server").
 *
 * A channel end may not travel through its own channel (the channel would
 * keep itself alive). Handles in flight towards an end that is closed are
 * closed with it. Two rules keep ends in flight from holding each other:
 * no handle is sent towards an end that is travelling, and no end travels
 * while channel ends travel towards it (BUSY either way). Otherwise two
 * channels could each carry the other's receiving end, out of every
 * process's reach and never freed; or a chain of ends, each carrying the
 * next, would close by recursion as deep as the chain, past the end of the
 * kernel stack. With them, closing an end closes what travels towards it,
 * and an end among those has nothing but other objects travelling towards
 * it: two levels at most.
 *
 * Locking: one CPU, interrupts off in the kernel; no locks.
 */
#include "syscall.h"

#define CHAN_INFLIGHT 64 /* handles in flight towards one end */

struct flight {
	bool used;
	uint32_t gen; /* bumped each time the slot is filled */
	struct handle h;
};

/* Where kicks towards one end go (chan_watch): words of the watcher's. */
struct watch {
	struct proc *proc; /* NULL: nobody watches */
	int pid;           /* proc's, so that a slot used again is not taken for it */
	uint64_t seq, bits;
	uint32_t bit;
};

struct chan {
	int end_refs[2];   /* handles naming each end, in tables or in flight */
	int travelling[2]; /* of those, the ones in flight (in some channel's slots) */
	struct shm *mem;
	bool notify;
	uint32_t closed_offset[2], wake_offset[2];
	struct flight flight[2][CHAN_INFLIGHT]; /* [the end they travel to] */
	struct watch watch[2];                  /* [the end kicked] */
};

static struct chan chans[NSHM]; /* each channel's memory takes a shm slot too */

/* The u32 at offset of the channel's memory, through the direct map. */
static volatile uint32_t *word_at(struct chan *c, uint32_t offset)
{
	return (volatile uint32_t *)((uint8_t *)P2V(c->mem->frames[offset / PAGE_SIZE]) +
	                             offset % PAGE_SIZE);
}

/*
 * Delivers a kick to end `to`'s watcher, if it has one and lives: its bit,
 * its sequence word, a wake-up of that word's waiters. Through the
 * watcher's page tables (the direct map); words unmapped since the watch
 * are the watcher's loss. False when nobody watches.
 */
static bool kick(struct chan *c, int to)
{
	struct watch *w = &c->watch[to];
	if (w->proc == NULL || w->proc->state != P_ALIVE || w->proc->pid != w->pid)
		return false;
	uint64_t *pml4 = w->proc->pml4;
	uint32_t bits, seq;
	if (copy_from_user(pml4, &bits, w->bits, 4) < 0 ||
	    copy_from_user(pml4, &seq, w->seq, 4) < 0)
		return true;
	bits |= 1u << w->bit;
	seq++;
	if (copy_to_user(pml4, w->bits, &bits, 4) < 0 || copy_to_user(pml4, w->seq, &seq, 4) < 0)
		return true;
	uint64_t key = vm_user_phys(pml4, w->seq);
	if (key)
		wakeup(W_FUTEX, key, 0, NTHREAD);
	return true;
}

/*
 * A handle naming end `side` of c left p's table (closed, or sent away): a
 * watch p set on that end ends with p's last handle to it, so that a
 * process that handed the end on learns nothing more of its traffic.
 */
void chan_left_table(struct proc *p, struct chan *c, int side)
{
	struct watch *w = &c->watch[side];
	if (w->proc != p || w->pid != p->pid)
		return;
	for (int i = 0; i < IDLK_MAX_HANDLES; i++) {
		const struct handle *h = &p->handles[i];
		if (h->kind == H_CHAN && h->obj == c && (int)h->base == side)
			return;
	}
	w->proc = NULL;
}

/* A handle moves into or out of a flight slot: a channel end it names is
 * travelling while it is there. */
static void flight_enter(const struct handle *h)
{
	if (h->kind == H_CHAN)
		((struct chan *)h->obj)->travelling[h->base]++;
}

static void flight_leave(const struct handle *h)
{
	if (h->kind == H_CHAN)
		((struct chan *)h->obj)->travelling[h->base]--;
}

/* Whether channel ends travel towards end `side` of c. */
static bool ends_travel_to(const struct chan *c, int side)
{
	for (int i = 0; i < CHAN_INFLIGHT; i++)
		if (c->flight[side][i].used && c->flight[side][i].h.kind == H_CHAN)
			return true;
	return false;
}

/* End `side` is gone: its in-flight handles close, the survivor is told. */
static void end_gone(struct chan *c, int side)
{
	for (int i = 0; i < CHAN_INFLIGHT; i++) {
		struct flight *f = &c->flight[side][i];
		if (f->used) {
			struct handle h = f->h;
			f->used = false;
			flight_leave(&h);
			obj_put(&h); /* an end among them has only other objects in flight */
		}
	}
	c->watch[side].proc = NULL; /* nobody kicks an end that is gone */
	if (c->notify && c->mem && c->end_refs[1 - side] > 0) {
		*word_at(c, c->closed_offset[side]) = 1;
		volatile uint32_t *wake = word_at(c, c->wake_offset[1 - side]);
		*wake = *wake + 1;
		uint32_t off = c->wake_offset[1 - side];
		wakeup(W_FUTEX, c->mem->frames[off / PAGE_SIZE] + off % PAGE_SIZE, 0, NTHREAD);
	}
	/* A watcher of the survivor sleeps on words of its own: kick it too,
	 * so that a server learns of a client that died as of one that
	 * closed. */
	if (c->end_refs[1 - side] > 0)
		(void)kick(c, 1 - side);
	/* Closing the handles in flight may have closed the other end too (a
	 * channel's end can travel in another channel whose end travels here). */
	if (c->end_refs[0] == 0 && c->end_refs[1] == 0 && c->mem) {
		shm_put(c->mem);
		c->mem = NULL;
	}
}

void chan_get(struct chan *c, int side)
{
	c->end_refs[side]++;
}

void chan_put(struct chan *c, int side)
{
	KASSERT(c->end_refs[side] > 0);
	if (--c->end_refs[side] == 0)
		end_gone(c, side);
}

struct shm *chan_memory(const struct chan *c)
{
	return c->mem;
}

/* Whether a handle is an end of channel c. */
static bool is_end_of(const struct handle *h, const struct chan *c)
{
	return h->kind == H_CHAN && h->obj == c;
}

static bool offset_ok(uint64_t offset, uint64_t bytes)
{
	return offset % 4 == 0 && offset < bytes;
}

/*
 * chan_create(bytes, ends, notify) -> 0: a channel of `bytes` of zeroed
 * shared memory; stores the handles of its ends 0 and 1 in ends[0..1].
 * notify (may be 0) points to a struct idlk_chan_notify: where the death
 * notices go.
 */
int64_t sys_chan_create(uint64_t bytes, uint64_t ends_out, uint64_t notify_ptr, uint64_t a3,
                        uint64_t a4)
{
	(void)a3, (void)a4;
	struct proc *p = current->proc;
	struct idlk_chan_notify n;
	int ends[2] = {-1, -1};
	/* Decode. */
	if (!shm_size_ok(bytes))
		return -E_INVAL;
	if (notify_ptr && copy_from_user(p->pml4, &n, notify_ptr, sizeof(n)) < 0)
		return -E_FAULT;
	if (notify_ptr &&
	    !(offset_ok(n.closed_offset[0], bytes) && offset_ok(n.closed_offset[1], bytes) &&
	      offset_ok(n.wake_offset[0], bytes) && offset_ok(n.wake_offset[1], bytes)))
		return -E_INVAL;
	if (copy_to_user(p->pml4, ends_out, ends, sizeof(ends)) < 0)
		return -E_FAULT;
	struct chan *c = NULL;
	for (int i = 0; i < NSHM && !c; i++)
		if (chans[i].end_refs[0] == 0 && chans[i].end_refs[1] == 0 && !chans[i].mem)
			c = &chans[i];
	if (!c)
		return -E_NOMEM;
	if (p->limit[L_HANDLES] - p->used[L_HANDLES] < 2 ||
	    p->used[L_HANDLES] > p->limit[L_HANDLES])
		return -E_LIMIT;
	/* Invoke: the memory is a shared-memory object like any other. */
	struct shm *mem;
	int64_t err = shm_create(p, bytes, &mem);
	if (err < 0)
		return err;
	memset(c, 0, sizeof(*c));
	c->mem = mem; /* with the reference shm_create gave: the channel's */
	if (notify_ptr) {
		c->notify = true;
		for (int s = 0; s < 2; s++) {
			c->closed_offset[s] = n.closed_offset[s];
			c->wake_offset[s] = n.wake_offset[s];
		}
	}
	for (int s = 0; s < 2; s++) {
		struct handle h = {H_CHAN, c, (uint64_t)s, 0};
		ends[s] = handle_add(p, &h);
	}
	copy_to_user(p->pml4, ends_out, ends, sizeof(ends));
	return 0;
}

/* Reads and checks the handle list of a send: kept in *list. */
static int64_t decode_send(struct proc *p, struct chan *c, uint64_t list_ptr, uint64_t count,
                           int *list)
{
	if (count > IDLK_SEND_HANDLES)
		return -E_INVAL;
	if (copy_from_user(p->pml4, list, list_ptr, count * sizeof(int)) < 0)
		return -E_FAULT;
	for (uint64_t i = 0; i < count; i++) {
		struct handle *h = handle_get(p, list[i], H_NONE);
		if (!h)
			return -E_BADH;
		if (is_end_of(h, c))
			return -E_INVAL; /* a channel may not carry itself */
		if (h->kind == H_CHAN && ends_travel_to(h->obj, (int)h->base))
			return -E_BUSY; /* it travels once the ends sent to it are taken */
		for (uint64_t j = 0; j < i; j++)
			if (list[j] == list[i])
				return -E_INVAL;
	}
	return 0;
}

/*
 * handle_send(end, handles, count, words) -> 0: moves the caller's handles
 * handles[0..count) (at most IDLK_SEND_HANDLES) into the channel, towards
 * its other end, and stores in words[0..count) what the receiver passes to
 * handle_receive. They leave the caller's table.
 */
int64_t sys_handle_send(uint64_t end, uint64_t list_ptr, uint64_t count, uint64_t words_ptr,
                        uint64_t a4)
{
	(void)a4;
	struct proc *p = current->proc;
	int list[IDLK_SEND_HANDLES];
	uint32_t words[IDLK_SEND_HANDLES] = {0};
	/* Decode. */
	struct handle *e = handle_get(p, (int64_t)end, H_CHAN);
	if (!e)
		return -E_BADH;
	struct chan *c = e->obj;
	int to = 1 - (int)e->base;
	int64_t err = decode_send(p, c, list_ptr, count, list);
	if (err < 0)
		return err;
	if (c->end_refs[to] == 0)
		return -E_GONE;
	if (count > 0 && c->travelling[to] > 0)
		return -E_BUSY; /* handles go to the end once it has landed */
	uint64_t free_slots = 0;
	for (int i = 0; i < CHAN_INFLIGHT; i++)
		free_slots += !c->flight[to][i].used;
	if (free_slots < count)
		return -E_BUSY;
	if (copy_to_user(p->pml4, words_ptr, words, count * sizeof(uint32_t)) < 0)
		return -E_FAULT;
	/* Invoke: a handle moves from the table to a slot with its reference. */
	for (uint64_t i = 0, slot = 0; i < count; i++) {
		while (c->flight[to][slot].used)
			slot++;
		struct flight *f = &c->flight[to][slot];
		f->used = true;
		f->gen = (f->gen + 1) & 0xffffff;
		f->h = p->handles[list[i]];
		flight_enter(&f->h);
		p->handles[list[i]] = (struct handle){H_NONE, NULL, 0, 0};
		p->used[L_HANDLES]--;
		if (f->h.kind == H_CHAN)
			chan_left_table(p, f->h.obj, (int)f->h.base);
		words[i] = (uint32_t)slot | f->gen << 8;
	}
	copy_to_user(p->pml4, words_ptr, words, count * sizeof(uint32_t));
	return 0;
}

/* The slot a word names, if it holds a handle travelling to `side`. */
static struct flight *slot_of(struct chan *c, int side, uint32_t word)
{
	uint32_t slot = word & 0xff, gen = word >> 8;
	if (slot >= CHAN_INFLIGHT)
		return NULL;
	struct flight *f = &c->flight[side][slot];
	return f->used && f->gen == gen ? f : NULL;
}

/*
 * handle_receive(end, words, count, handles) -> 0: takes the handles that
 * words[0..count) name, sent towards this end, into the caller's table and
 * stores their numbers in handles[0..count). With handles 0 it closes them
 * instead (a frame nobody will read). All or nothing.
 */
int64_t sys_handle_receive(uint64_t end, uint64_t words_ptr, uint64_t count, uint64_t out_ptr,
                           uint64_t a4)
{
	(void)a4;
	struct proc *p = current->proc;
	uint32_t words[IDLK_SEND_HANDLES];
	int out[IDLK_SEND_HANDLES] = {0};
	/* Decode. */
	struct handle *e = handle_get(p, (int64_t)end, H_CHAN);
	if (!e)
		return -E_BADH;
	struct chan *c = e->obj;
	int side = (int)e->base;
	if (count > IDLK_SEND_HANDLES)
		return -E_INVAL;
	if (copy_from_user(p->pml4, words, words_ptr, count * sizeof(uint32_t)) < 0)
		return -E_FAULT;
	for (uint64_t i = 0; i < count; i++) {
		if (!slot_of(c, side, words[i]))
			return -E_BADH;
		for (uint64_t j = 0; j < i; j++)
			if ((words[j] & 0xff) == (words[i] & 0xff))
				return -E_INVAL;
	}
	if (out_ptr) {
		if (p->used[L_HANDLES] > p->limit[L_HANDLES] ||
		    count > p->limit[L_HANDLES] - p->used[L_HANDLES])
			return -E_LIMIT;
		if (copy_to_user(p->pml4, out_ptr, out, count * sizeof(int)) < 0)
			return -E_FAULT;
	}
	/* Invoke. */
	for (uint64_t i = 0; i < count; i++) {
		struct flight *f = slot_of(c, side, words[i]);
		struct handle h = f->h;
		f->used = false;
		flight_leave(&h);
		if (out_ptr)
			out[i] = handle_add(p, &h); /* takes a reference of its own */
		obj_put(&h);                        /* the slot's */
	}
	if (out_ptr)
		copy_to_user(p->pml4, out_ptr, out, count * sizeof(int));
	return 0;
}

/* Whether the u32 at addr is one the process can read and write, now: it
 * writes back what it read. */
static bool watch_word_ok(struct proc *p, uint64_t addr)
{
	uint32_t v;
	return addr % 4 == 0 && copy_from_user(p->pml4, &v, addr, 4) == 0 &&
	       copy_to_user(p->pml4, addr, &v, 4) == 0;
}

/*
 * chan_watch(end, watch) -> 0: kicks from the other end of the caller's
 * channel end go to the words *watch names, in the caller's memory (struct
 * idlk_chan_watch); watch 0 stops them. The words must be mapped writable
 * now; a kick that later finds them gone, or the watcher dead, is lost to
 * nobody but the watcher.
 */
int64_t sys_chan_watch(uint64_t end, uint64_t watch_ptr, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a2, (void)a3, (void)a4;
	struct proc *p = current->proc;
	struct idlk_chan_watch w;
	/* Decode. */
	struct handle *e = handle_get(p, (int64_t)end, H_CHAN);
	if (!e)
		return -E_BADH;
	struct chan *c = e->obj;
	int side = (int)e->base;
	if (watch_ptr == 0) {
		c->watch[side].proc = NULL;
		return 0;
	}
	if (copy_from_user(p->pml4, &w, watch_ptr, sizeof(w)) < 0)
		return -E_FAULT;
	if (w.bit >= 32 || w.reserved != 0)
		return -E_INVAL;
	if (w.seq % 4 != 0 || w.bits % 4 != 0)
		return -E_INVAL;
	if (!watch_word_ok(p, w.seq) || !watch_word_ok(p, w.bits))
		return -E_FAULT;
	/* Invoke. */
	c->watch[side] = (struct watch){p, p->pid, w.seq, w.bits, w.bit};
	return 0;
}

/*
 * chan_kick(end) -> 0: kicks the other end of the caller's channel end:
 * sets the watcher's bit, adds 1 to its sequence word and wakes the futex
 * waiters of that word. -E_GONE when the other end is closed, -E_AGAIN
 * when nobody watches it (the caller may wake its peer some other way).
 */
int64_t sys_chan_kick(uint64_t end, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	struct proc *p = current->proc;
	/* Decode. */
	struct handle *e = handle_get(p, (int64_t)end, H_CHAN);
	if (!e)
		return -E_BADH;
	struct chan *c = e->obj;
	int to = 1 - (int)e->base;
	if (c->end_refs[to] == 0)
		return -E_GONE;
	/* Invoke. */
	return kick(c, to) ? 0 : -E_AGAIN;
}
