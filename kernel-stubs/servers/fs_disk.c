/*
 * fs_disk.c: the file server's disk, for the FAT32 library: a struct
 * fat_device over the block service (idl/block.idl). Sectors move through
 * one shared-memory buffer attached to the block session at start-up, so a
 * read costs one request and one copy out of the buffer. When the block
 * server goes away (it died; init starts it again), the request that finds
 * it gone connects to its successor, attaches the same buffer and is made
 * once more, so the file server outlives a restart of its driver.
 */
#include "fs_server.h"

/* Attaches the buffer to the session d->ep and checks the geometry:
 * `sectors` 0 learns it, any other must be what the disk says. */
static int attach(struct fs_disk *d, uint64_t sectors)
{
	block_device_geometry_request greq = {0};
	block_device_geometry_reply_buffer grb;
	const block_device_geometry_reply *g;
	sys_errno error;
	int err = block_device_geometry(d->ep, &greq, &grb, &g, &error);
	if (err != IDL_OK)
		return err;
	if (g->geometry.sector_bytes != FAT_SECTOR_BYTES ||
	    (sectors != 0 && g->geometry.sectors != sectors))
		return IDL_E_INVALID_ARGUMENT; /* not the disk the volume is on */
	d->sectors = g->geometry.sectors;
	long h = idlk_handle_dup(d->buffer_handle); /* the session takes this one */
	if (h < 0)
		return IDL_E_TRANSPORT;
	block_device_attach_request areq = {.buffer = (idl_handle)h};
	block_device_attach_reply_buffer arb;
	const block_device_attach_reply *a;
	return block_device_attach(d->ep, &areq, &arb, &a, &error);
}

static int connect_block(struct fs_disk *d, uint64_t sectors)
{
	sys_errno error;
	d->chan = kserve_connect_chan("block", BLOCK_DEVICE_PROTOCOL, &error);
	if (!d->chan)
		return IDL_E_TRANSPORT;
	d->ep = idl_chan_end_endpoint(&d->chan->end);
	int err = attach(d, sectors);
	if (err != IDL_OK) { /* a session without the buffer is no use: try again later */
		kserve_disconnect(d->chan);
		d->chan = NULL;
	}
	return err;
}

/* A request found the block server gone: a session with its successor.
 * True when the request may be made again. When that fails, d->chan is
 * NULL and the next request tries again instead of using the old
 * session's endpoint. */
static bool reconnected(struct fs_disk *d, int err)
{
	if (err != IDL_E_PEER_CLOSED)
		return false;
	if (d->chan) /* NULL when the last try to reconnect failed */
		kserve_disconnect(d->chan);
	d->chan = NULL;
	return connect_block(d, d->sectors) == IDL_OK;
}

static int disk_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
	struct fs_disk *d = ctx;
	while (count) {
		uint32_t n = count < d->buffer_sectors ? count : d->buffer_sectors;
		block_device_read_request req = {.sector = sector, .count = n, .buffer_offset = 0};
		block_device_read_reply_buffer rb;
		const block_device_read_reply *reply;
		sys_errno error;
		int err = d->chan ? block_device_read(d->ep, &req, &rb, &reply, &error)
		                  : IDL_E_PEER_CLOSED; /* see reconnected */
		if (err != IDL_OK && reconnected(d, err))
			err = block_device_read(d->ep, &req, &rb, &reply, &error);
		if (err != IDL_OK)
			return -1;
		memcpy(buf, d->buffer, (size_t)n * FAT_SECTOR_BYTES);
		d->sectors_read += n;
		buf = (uint8_t *)buf + (size_t)n * FAT_SECTOR_BYTES;
		sector += n;
		count -= n;
	}
	return 0;
}

static int disk_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
	struct fs_disk *d = ctx;
	while (count) {
		uint32_t n = count < d->buffer_sectors ? count : d->buffer_sectors;
		memcpy(d->buffer, buf, (size_t)n * FAT_SECTOR_BYTES);
		block_device_write_request req = {.sector = sector, .count = n, .buffer_offset = 0};
		block_device_write_reply_buffer rb;
		const block_device_write_reply *reply;
		sys_errno error;
		int err = d->chan ? block_device_write(d->ep, &req, &rb, &reply, &error)
		                  : IDL_E_PEER_CLOSED; /* see reconnected */
		if (err != IDL_OK && reconnected(d, err))
			err = block_device_write(d->ep, &req, &rb, &reply, &error);
		if (err != IDL_OK)
			return -1;
		d->sectors_written += n;
		buf = (const uint8_t *)buf + (size_t)n * FAT_SECTOR_BYTES;
		sector += n;
		count -= n;
	}
	return 0;
}

static int disk_flush(void *ctx)
{
	struct fs_disk *d = ctx;
	block_device_flush_request req = {0};
	block_device_flush_reply_buffer rb;
	const block_device_flush_reply *reply;
	sys_errno error;
	int err = d->chan ? block_device_flush(d->ep, &req, &rb, &reply, &error)
	                  : IDL_E_PEER_CLOSED; /* see reconnected */
	if (err != IDL_OK && reconnected(d, err))
		err = block_device_flush(d->ep, &req, &rb, &reply, &error);
	return err == IDL_OK ? 0 : -1;
}

static uint64_t disk_sectors(void *ctx)
{
	return ((struct fs_disk *)ctx)->sectors;
}

/* The reference system has no clock of the day: files get the FAT epoch
 * plus the time since boot. */
static int64_t disk_now(void *ctx)
{
	(void)ctx;
	return 315532800ll * 1000000000ll + idlk_clock();
}

int fs_disk_open(struct fs_disk *d)
{
	long h = idlk_shm_create(FS_DISK_BUFFER_BYTES);
	if (h < 0)
		return IDL_E_TRANSPORT;
	long at = idlk_shm_map((int)h, NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
	if (at < 0)
		return IDL_E_TRANSPORT;
	d->buffer = (uint8_t *)at;
	d->buffer_handle = (int)h;
	d->buffer_sectors = FS_DISK_BUFFER_BYTES / FAT_SECTOR_BYTES;
	int err = connect_block(d, 0);
	if (err != IDL_OK)
		return err;
	d->dev = (struct fat_device){d, disk_read, disk_write, disk_flush, disk_sectors, disk_now};
	return IDL_OK;
}
