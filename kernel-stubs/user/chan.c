/*
 * chan.c: channels over shared-memory objects (see chan.h).
 */
#include "chan.h"
#include "ulib.h"

int chan_create(uint32_t max_frame_bytes)
{
	long h = idlk_shm_create(CHAN_BYTES);
	if (h < 0)
		return (int)h;
	long at = idlk_shm_map((int)h, NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
	if (at < 0)
		return (int)at;
	int err = idl_chan_format((void *)at, CHAN_BYTES, CHAN_RING_BYTES, max_frame_bytes);
	idlk_unmap((void *)at, CHAN_BYTES);
	return err < 0 ? err : (int)h;
}

int chan_open(int handle, void *addr, enum idl_chan_side side, idl_chan_end *e)
{
	long at = idlk_shm_map(handle, addr, IDLK_PROT_READ | IDLK_PROT_WRITE);
	if (at < 0)
		return (int)at;
	int err = idl_chan_end_init(e, (void *)at, CHAN_BYTES, side);
	/* One CPU: while a side spins its peer cannot run, so spinning only
	 * delays the answer. Yielding hands the CPU to the peer at once. */
	e->patience = (idl_patience){0, IDL_DEFAULT_YIELDS};
	return err;
}
