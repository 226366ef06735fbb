/*
 * scribbler.c: a hostile client of the file, PCI, block and network
 * servers, for the stress image. On a channel to each it sends a frame that is no request,
 * and on a fresh channel it scribbles over the shared memory (the ring
 * indices and the rings) and asks again; each time the server must cut the
 * channel (the next call fails), and nothing else: the readers and the shell
 * that run afterwards must be served as before. It also asks each server
 * for what it must refuse: a block buffer that is no shared memory, a range
 * past the buffer, a claim of a claimed device, configuration writes to a
 * device it does not hold, a stream socket, a port that is taken, a
 * datagram too long for a frame, and the directory for the services it may
 * not have (the link driver, the network configuration). On the network
 * server's channel it leaves a socket with a receive waiting before it
 * scribbles: the socket must be gone with the channel. Then it asks for
 * more than its share (overreach.c). Exit status 0 when every server
 * behaved.
 */
#include "overreach.h"

#include "block.h"
#include "fs.h"
#include "idl/channel.h"
#include "kserve.h"
#include "net.h"
#include "pci.h"

#define NET_TEST_PORT 7007

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
	} else if (protocol == NET_SOCKET_PROTOCOL) {
		net_socket_local_address_request req = {.socket = 1};
		net_socket_local_address_reply_buffer rb;
		const net_socket_local_address_reply *reply;
		err = net_socket_local_address(ep, &req, &rb, &reply, &error);
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

/* On the network server: a socket bound to NET_TEST_PORT with a receive
 * waiting for a datagram that will not come. */
static void leave_waiting_receive(idl_endpoint *ep)
{
	net_socket_open_request open = {.kind = NET_SOCKET_KIND_DATAGRAM};
	net_socket_open_reply_buffer orb;
	const net_socket_open_reply *opened;
	sys_errno error;
	if (net_socket_open(ep, &open, &orb, &opened, &error) != IDL_OK) {
		expect("a datagram socket", false);
		return;
	}
	net_socket_bind_request bind = {
	    .socket = opened->socket,
	    .addr = {.ip = {.tag = NET_IP_ADDRESS_V4}, .port = NET_TEST_PORT}};
	net_socket_bind_reply_buffer brb;
	const net_socket_bind_reply *bound;
	expect("binding a free port", net_socket_bind(ep, &bind, &brb, &bound, &error) == IDL_OK);
	static net_socket_receive_from_pending pending;
	net_socket_receive_from_request rf = {.socket = opened->socket, .max = 100};
	expect("a receive that waits", net_socket_receive_from_start(ep, &rf, &pending) == IDL_OK);
}

/* Until the server has closed its end, or CALL_WAIT_NS has passed (then
 * the call that follows shows whether it still serves). */
static void wait_for_cut(const kchan *c)
{
	static const volatile uint32_t never_changes;
	uint64_t deadline = (uint64_t)idlk_clock() + CALL_WAIT_NS;
	while (!kchan_peer_closed(c) && (uint64_t)idlk_clock() < deadline)
		idlk_futex_wait(&never_changes, 0, 10000000ull);
}

/* Garbage over the ring indices and the rings, then the server's doorbell
 * and a request. */
static void scribble(const char *name, uint32_t protocol)
{
	kchan *c = open_to(name, protocol);
	if (!c)
		return;
	if (protocol == NET_SOCKET_PROTOCOL)
		leave_waiting_receive(idl_chan_end_endpoint(&c->end));
	uint8_t *shared = c->region;
	uint32_t seed = 0x12345678;
	for (size_t i = 64; i < IDL_CHAN_RINGS_OFFSET + 4096; i++) {
		if (i >= 192 && i < 320)
			continue; /* the wake words: scribbling them only delays wake-ups */
		seed = seed * 1103515245u + 12345u;
		shared[i] = (uint8_t)(seed >> 16);
	}
	/* The words this side owns would be repaired by its next frame before
	 * the server looked at them: kick the server now, with nothing but
	 * garbage to read, and give it time to cut the channel. */
	idlk_chan_kick(c->handle);
	wait_for_cut(c);
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
	kserve_disconnect(pc);
	kserve_disconnect(bc);
}

/* The network server's refusals, and the directory's. */
static void net_refusals(void)
{
	sys_errno error = 0;
	expect("the link driver is the network server's alone",
	       !kserve_connect_chan("ethernet", 0, &error) && error == SYS_ERRNO_ACCESS);
	expect("the network configuration is the shell's alone",
	       !kserve_connect_chan("net.config", NET_CONFIG_PROTOCOL, &error) &&
	           error == SYS_ERRNO_ACCESS);
	kchan *c = open_to("net", NET_SOCKET_PROTOCOL);
	if (!c)
		return;
	idl_endpoint *ep = idl_chan_end_endpoint(&c->end);
	net_socket_open_request open = {.kind = NET_SOCKET_KIND_STREAM};
	net_socket_open_reply_buffer orb;
	const net_socket_open_reply *opened;
	int err = net_socket_open(ep, &open, &orb, &opened, &error);
	expect("no stream sockets", err == IDL_E_REMOTE && error == SYS_ERRNO_NOT_SUPPORTED);
	open.kind = NET_SOCKET_KIND_DATAGRAM;
	if (net_socket_open(ep, &open, &orb, &opened, &error) != IDL_OK) {
		expect("a datagram socket", false);
		kserve_disconnect(c);
		return;
	}
	uint32_t sock = opened->socket;
	/* The socket of the scribbled channel went with it: its port is free,
	 * once the server has seen the channel close (within a second). */
	net_socket_bind_request bind = {
	    .socket = sock, .addr = {.ip = {.tag = NET_IP_ADDRESS_V4}, .port = NET_TEST_PORT}};
	net_socket_bind_reply_buffer brb;
	const net_socket_bind_reply *bound;
	for (int i = 0; i < 20; i++) {
		err = net_socket_bind(ep, &bind, &brb, &bound, &error);
		if (err != IDL_E_REMOTE || error != SYS_ERRNO_ADDR_IN_USE)
			break;
		static volatile uint32_t never;
		idlk_futex_wait(&never, 0, 50000000ull);
	}
	expect("the scribbled channel's port is free again", err == IDL_OK);
	if (net_socket_open(ep, &open, &orb, &opened, &error) == IDL_OK) {
		bind.socket = opened->socket;
		err = net_socket_bind(ep, &bind, &brb, &bound, &error);
		expect("a port that is taken",
		       err == IDL_E_REMOTE && error == SYS_ERRNO_ADDR_IN_USE);
	}
	static uint8_t big[NET_MAX_DATAGRAM];
	net_socket_send_to_request send = {
	    .socket = sock,
	    .to = {.ip = {.tag = NET_IP_ADDRESS_V4, .v4 = {10, 0, 2, 2}}, .port = 9},
	    .data = {.size = sizeof(big), .data = big}};
	net_socket_send_to_reply_buffer srb;
	const net_socket_send_to_reply *sent;
	err = net_socket_send_to(ep, &send, &srb, &sent, &error);
	expect("a datagram longer than a frame", err == IDL_E_REMOTE && error == SYS_ERRNO_INVALID);
	net_socket_close_request close = {.socket = sock + 100};
	net_socket_close_reply_buffer crb;
	const net_socket_close_reply *closed;
	err = net_socket_close(ep, &close, &crb, &closed, &error);
	expect("a socket that is not mine", err == IDL_E_REMOTE && error == SYS_ERRNO_BAD_HANDLE);
	kserve_disconnect(c);
}

/*
 * Another client keeps the file server's doorbell clear (every ready bit,
 * and the futex word clients once woke the server with, written back to
 * what it held) while this thread calls the server again and again, each
 * time after a pause long enough for the server to sleep. A sleeping
 * server is kicked through the kernel, in words of its own memory that no
 * client maps (IDLK_SYS_CHAN_WATCH), so every call must be answered. The
 * caller's slices are an hour long: a second kick after a slice cannot be
 * what answers it.
 */
#define CLEARED_CALLS 40

static _Atomic bool keep_clearing;
static _Atomic bool clearer_done;

static void clear_doorbell(void *arg)
{
	idl_doorbell *db = arg;
	uint32_t seq = atomic_load(&db->wake.seq);
	while (atomic_load(&keep_clearing)) {
		for (uint32_t w = 0; w < IDL_DOORBELL_WORDS; w++)
			atomic_store(&db->ready[w], 0);
		atomic_store(&db->summary, 0);
		atomic_store(&db->wake.seq, seq);
	}
	atomic_store(&clearer_done, true);
}

static void doorbell_cleared(void)
{
	kchan *c = open_to("fs", FS_FILE_PROTOCOL);
	if (!c)
		return;
	c->end.slice_ns = 3600ull * 1000000000ull;
	idl_endpoint *ep = idl_chan_end_endpoint(&c->end);
	atomic_store(&keep_clearing, true);
	atomic_store(&clearer_done, false);
	if (thread_spawn(clear_doorbell, c->end.doorbell, 16384) < 0) {
		expect("a thread to clear the doorbell", false);
		kserve_disconnect(c);
		return;
	}
	int answered = 0;
	for (int i = 0; i < CLEARED_CALLS; i++) {
		static volatile uint32_t never;
		idlk_futex_wait(&never, 0, 5000000ull); /* 5 ms: the server sleeps */
		fs_file_stat_request req = {.fd = 12345};
		fs_file_stat_reply_buffer rb;
		const fs_file_stat_reply *reply;
		sys_errno error;
		int err = fs_file_stat(ep, &req, &rb, &reply, &error);
		if (err == IDL_OK || err == IDL_E_REMOTE)
			answered++;
		else
			printf("scribbler: call %d while the doorbell was kept clear: %s\n", i,
			       idl_error_name(err));
	}
	atomic_store(&keep_clearing, false);
	while (!atomic_load(&clearer_done))
		idlk_thread_yield();
	printf("scribbler: %d of %d calls answered while another client kept the doorbell clear\n",
	       answered, CLEARED_CALLS);
	expect("every call answered while the doorbell was kept clear", answered == CLEARED_CALLS);
	kserve_disconnect(c);
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
	malformed_frame("net", NET_SOCKET_PROTOCOL, NET_SOCKET_SEND_TO_ORDINAL);
	scribble("net", NET_SOCKET_PROTOCOL);
	net_refusals();
	doorbell_cleared();
	failures += overreach();
	printf("scribbler: the servers refused what they must\n");
	printf("scribbler: %s\n",
	       failures ? "a server misbehaved" : "every server cut me off alone");
	return failures ? 1 : 0;
}
