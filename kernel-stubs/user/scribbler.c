/*
 * scribbler.c: a hostile client of the file, PCI and block servers, for the
 * stress image. On a channel to each it sends a frame that is no request,
 * and on a fresh channel it scribbles over the shared memory (the ring
 * indices and the rings) and asks again; each time the server must cut the
 * channel (the next call fails), and nothing else: the readers and the shell
 * that run afterwards must be served as before. It also asks each server
 * for what it must refuse: a block buffer that is no shared memory, a range
 * past the buffer, a claim of a claimed device, configuration writes to a
 * device it does not hold. Exit status 0 when every server behaved.
 */
#include "block.h"
#include "fs.h"
#include "idl/channel.h"
#include "kserve.h"
#include "pci.h"

#define CALL_WAIT_NS 2000000000ull /* a call gives up after 2 s */

static int failures;

static void expect(const char *what, bool ok)
{
	if (!ok) {
		printf("scribbler: %s: NOT as it should be\n", what);
		failures++;
	}
}

static kchan *open_to(const char *name, uint32_t protocol)
{
	sys_errno error;
	kchan *c = kserve_connect_chan(name, protocol, &error);
	if (!c) {
		printf("scribbler: cannot reach %s: %s\n", name, sys_errno_name(error));
		failures++;
		return NULL;
	}
	idl_chan_end_endpoint(&c->end)->timeout_ns = CALL_WAIT_NS;
	return c;
}

/* A call that must fail now: the channel is cut. */
static bool cut(idl_endpoint *ep, uint32_t protocol)
{
	int err;
	sys_errno error;
	if (protocol == FS_FILE_PROTOCOL) {
		fs_file_stat_request req = {.fd = 0};
		fs_file_stat_reply_buffer rb;
		const fs_file_stat_reply *reply;
		err = fs_file_stat(ep, &req, &rb, &reply, &error);
	} else if (protocol == PCI_BUS_PROTOCOL) {
		pci_bus_enumerate_request req = {.cookie = 0};
		static pci_bus_enumerate_reply_buffer rb;
		const pci_bus_enumerate_reply *reply;
		err = pci_bus_enumerate(ep, &req, &rb, &reply, &error);
	} else {
		block_device_geometry_request req = {0};
		block_device_geometry_reply_buffer rb;
		const block_device_geometry_reply *reply;
		err = block_device_geometry(ep, &req, &rb, &reply, &error);
	}
	return err != IDL_OK && err != IDL_E_REMOTE;
}

/* A request of a method the server knows whose bytes break the wire
 * format: the header is that of a real request, the rest garbage. (A frame
 * of an ordinal the server does not know is no protocol error: it gets an
 * error reply and the channel lives on.) */
static void malformed_frame(const char *name, uint32_t protocol, uint32_t ordinal)
{
	kchan *c = open_to(name, protocol);
	if (!c)
		return;
	idl_endpoint *ep = idl_chan_end_endpoint(&c->end);
	void *frame;
	if (ep->ops->send_begin(ep, 64, &frame) == IDL_OK) {
		memset(frame, 0xee, 64);
		idl_frame_header *h = frame;
		*h = (idl_frame_header){
		    .size = 64, .ordinal = ordinal, .txid = 1, .flags = IDL_FLAG_REQUEST};
		ep->ops->send_commit(ep, 64, NULL, 0);
	}
	bool was_cut = cut(ep, protocol);
	printf("scribbler: %s after a malformed frame: %s\n", name,
	       was_cut ? "cut off" : "STILL SERVED");
	expect("a malformed frame cuts the channel", was_cut);
	kserve_disconnect(c);
}

/* Garbage over the ring indices and the rings, then a request. */
static void scribble(const char *name, uint32_t protocol)
{
	kchan *c = open_to(name, protocol);
	if (!c)
		return;
	uint8_t *shared = c->region;
	uint32_t seed = 0x12345678;
	for (size_t i = 64; i < IDL_CHAN_RINGS_OFFSET + 4096; i++) {
		if (i >= 192 && i < 320)
			continue; /* the wake words: scribbling them only delays wake-ups */
		seed = seed * 1103515245u + 12345u;
		shared[i] = (uint8_t)(seed >> 16);
	}
	bool was_cut = cut(idl_chan_end_endpoint(&c->end), protocol);
	printf("scribbler: %s after scribbling on the channel: %s\n", name,
	       was_cut ? "cut off" : "STILL SERVED");
	expect("a scribbled channel is cut", was_cut);
	kserve_disconnect(c);
}

/* Requests a server must refuse, on a channel that stays good. */
static void refusals(void)
{
	kchan *pc = open_to("pci", PCI_BUS_PROTOCOL);
	kchan *bc = open_to("block", BLOCK_DEVICE_PROTOCOL);
	if (!pc || !bc)
		return;
	idl_endpoint *pci = idl_chan_end_endpoint(&pc->end);
	idl_endpoint *blk = idl_chan_end_endpoint(&bc->end);
	sys_errno error = 0;
	pci_bus_find_request find = {0};
	find.filter.vendor_id.present = true;
	find.filter.vendor_id.value = 0x1af4;
	static pci_bus_find_reply_buffer frb;
	const pci_bus_find_reply *found;
	if (pci_bus_find(pci, &find, &frb, &found, &error) == IDL_OK && found->devices.count) {
		pci_address disk = found->devices.items[0];
		pci_bus_claim_request claim = {.address = disk};
		static pci_bus_claim_reply_buffer crb;
		const pci_bus_claim_reply *c;
		int err = pci_bus_claim(pci, &claim, &crb, &c, &error);
		expect("the disk is claimed already",
		       err == IDL_E_REMOTE && error == SYS_ERRNO_BUSY);
		pci_bus_config_write_request w = {
		    .address = disk, .offset = 0x40, .width = PCI_WIDTH_DWORD, .value = 1};
		pci_bus_config_write_reply_buffer wrb;
		const pci_bus_config_write_reply *wr;
		err = pci_bus_config_write(pci, &w, &wrb, &wr, &error);
		expect("a device held by another",
		       err == IDL_E_REMOTE && error == SYS_ERRNO_ACCESS);
	}
	block_device_read_request rd = {.sector = 0, .count = 1, .buffer_offset = 0};
	block_device_read_reply_buffer rrb;
	const block_device_read_reply *rr;
	int err = block_device_read(blk, &rd, &rrb, &rr, &error);
	expect("a read with no buffer", err == IDL_E_REMOTE && error == SYS_ERRNO_BAD_STATE);
	long shm = idlk_shm_create(4096);
	block_device_attach_request at = {.buffer = (idl_handle)shm};
	block_device_attach_reply_buffer arb;
	const block_device_attach_reply *ar;
	expect("a one-page buffer", block_device_attach(blk, &at, &arb, &ar, &error) == IDL_OK);
	rd.count = 16; /* 8 KiB into a 4 KiB buffer */
	err = block_device_read(blk, &rd, &rrb, &rr, &error);
	expect("a read past the buffer", err == IDL_E_REMOTE && error == SYS_ERRNO_RANGE);
	rd = (block_device_read_request){.sector = UINT64_MAX - 1, .count = 4, .buffer_offset = 0};
	err = block_device_read(blk, &rd, &rrb, &rr, &error);
	expect("a read past the disk", err == IDL_E_REMOTE && error == SYS_ERRNO_INVALID);
	printf("scribbler: the servers refused what they must\n");
	kserve_disconnect(pc);
	kserve_disconnect(bc);
}

int umain(const char *args, long nhandles)
{
	(void)args, (void)nhandles;
	malformed_frame("fs", FS_FILE_PROTOCOL, FS_FILE_STAT_ORDINAL);
	malformed_frame("pci", PCI_BUS_PROTOCOL, PCI_BUS_ENUMERATE_ORDINAL);
	malformed_frame("block", BLOCK_DEVICE_PROTOCOL, BLOCK_DEVICE_GEOMETRY_ORDINAL);
	scribble("fs", FS_FILE_PROTOCOL);
	scribble("pci", PCI_BUS_PROTOCOL);
	scribble("block", BLOCK_DEVICE_PROTOCOL);
	refusals();
	printf("scribbler: %s\n",
	       failures ? "a server misbehaved" : "every server cut me off alone");
	return failures ? 1 : 0;
}
