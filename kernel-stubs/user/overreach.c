/*
 * overreach.c: the stress image's hostile client (scribbler.c) asking for
 * more than its share, or for what is another's. Each of these was shown to
 * work before the servers were mended (a review of 2026-12-07); now each
 * must be refused, and the server must go on serving:
 *
 *  - a block session ends with requests queued behind another client's,
 *    and a new session takes its slot with a buffer of one page: the old
 *    requests wrote the new session's bytes to the disk, or faulted the
 *    driver copying 256 KiB from its one page;
 *  - one client keeps 24 flushes in flight: it got the device's whole
 *    waiting list, and every other client BUSY;
 *  - the PCI server's claim of the chipset's ISA bridge, whose registers map
 *    device memory over the kernel's code;
 *  - publishing "block", a name init starts a server for: taken while that
 *    server starts again, it would be given the file server's disk;
 *  - a fifth session of one server, and a seventeenth socket: one client
 *    took every session of a server, or every socket of the network server.
 */
#include "overreach.h"

#include "block.h"
#include "fs.h"
#include "idl/channel.h"
#include "kserve.h"
#include "net.h"
#include "pci.h"

#define CALL_WAIT_NS 3000000000ull
#define BIG          512u /* sectors: 256 KiB, BLOCK_MAX_TRANSFER */
#define MARK         0xaa /* the bytes of the buffer that takes the old slot */

static int failures;

static void expect(const char *what, bool ok)
{
	if (!ok) {
		printf("overreach: %s: NOT as it should be\n", what);
		failures++;
	}
}

static void nap_ms(uint64_t ms)
{
	static volatile uint32_t never;
	idlk_futex_wait(&never, 0, ms * 1000000ull);
}

static kchan *open_to(const char *name, uint32_t protocol, sys_errno *error)
{
	kchan *c = kserve_connect_chan(name, protocol, error);
	if (c)
		idl_chan_end_endpoint(&c->end)->timeout_ns = CALL_WAIT_NS;
	return c;
}

/* Attaches `bytes` of new shared memory to a block session, mapped at *at. */
static int attach(idl_endpoint *ep, size_t bytes, uint8_t **at)
{
	long shm = idlk_shm_create(bytes);
	long mapped =
	    shm < 0 ? shm : idlk_shm_map((int)shm, NULL, IDLK_PROT_READ | IDLK_PROT_WRITE);
	if (mapped < 0)
		return IDL_E_TRANSPORT;
	*at = (uint8_t *)mapped;
	block_device_attach_request req = {.buffer = (idl_handle)shm};
	block_device_attach_reply_buffer rb;
	const block_device_attach_reply *reply;
	sys_errno error;
	return block_device_attach(ep, &req, &rb, &reply, &error);
}

static int geometry(idl_endpoint *ep, uint64_t *sectors)
{
	block_device_geometry_request req = {0};
	block_device_geometry_reply_buffer rb;
	const block_device_geometry_reply *reply;
	sys_errno error;
	int err = block_device_geometry(ep, &req, &rb, &reply, &error);
	if (err == IDL_OK && sectors)
		*sectors = reply->geometry.sectors;
	return err;
}

static int read_sectors(idl_endpoint *ep, uint64_t sector, uint32_t count)
{
	block_device_read_request req = {.sector = sector, .count = count};
	block_device_read_reply_buffer rb;
	const block_device_read_reply *reply;
	sys_errno error;
	return block_device_read(ep, &req, &rb, &reply, &error);
}

#define BUSY_WRITES 4  /* the other client's, each with a flush: they hold the device */
#define OLD_WRITES  16 /* the session that ends, each with a flush */
static block_device_write_pending busy_writes[BUSY_WRITES], old_writes[OLD_WRITES];
static block_device_flush_pending busy_flushes[BUSY_WRITES], old_flushes[OLD_WRITES];

/*
 * Writes of zeros into the disk's last 16 MiB (free clusters of the copy of
 * the disk this image runs on) queue behind a busy session's writes and
 * flushes; their session ends; a new one attaches a page of MARK. The old
 * writes must leave no MARK on the disk, the driver must live, and the new
 * session must attach again (it used to find requests it never made in
 * flight, and get BUSY for good).
 */
static void session_that_ends_with_requests_queued(void)
{
	sys_errno error;
	kchan *busy = open_to("block", BLOCK_DEVICE_PROTOCOL, &error);
	kchan *old = open_to("block", BLOCK_DEVICE_PROTOCOL, &error);
	if (!busy || !old) {
		expect("two block sessions", false);
		return;
	}
	idl_endpoint *bep = idl_chan_end_endpoint(&busy->end);
	idl_endpoint *oep = idl_chan_end_endpoint(&old->end);
	uint8_t *bbuf, *obuf, *nbuf;
	uint64_t sectors = 0;
	if (attach(bep, BIG * 512, &bbuf) != IDL_OK || attach(oep, BIG * 512, &obuf) != IDL_OK ||
	    geometry(bep, &sectors) != IDL_OK || sectors < 24 * BIG) {
		expect("the block sessions' buffers", false);
		return;
	}
	memset(bbuf, 0x11, BIG * 512);
	memset(obuf, 0, BIG * 512);
	uint64_t old_first = sectors - 16 * BIG, busy_first = sectors - 24 * BIG;
	for (uint32_t i = 0; i < BUSY_WRITES; i++) {
		block_device_write_request w = {.sector = busy_first + i * BIG, .count = BIG};
		block_device_flush_request f = {0};
		block_device_write_start(bep, &w, &busy_writes[i]);
		block_device_flush_start(bep, &f, &busy_flushes[i]);
	}
	for (uint32_t i = 0; i < OLD_WRITES / 2; i++) {
		block_device_write_request w = {.sector = old_first + i * BIG, .count = BIG};
		block_device_flush_request f = {0};
		block_device_write_start(oep, &w, &old_writes[i]);
		block_device_flush_start(oep, &f, &old_flushes[i]);
	}
	(void)geometry(oep, NULL); /* answered once the server took the writes */
	kserve_disconnect(old);
	kchan *fresh = open_to("block", BLOCK_DEVICE_PROTOCOL, &error);
	if (!fresh) {
		expect("a new block session", false);
		return;
	}
	idl_endpoint *nep = idl_chan_end_endpoint(&fresh->end);
	expect("the new session attaches a page", attach(nep, 4096, &nbuf) == IDL_OK);
	memset(nbuf, MARK, 4096);
	for (uint32_t i = 0; i < BUSY_WRITES; i++) {
		const block_device_write_reply *wr;
		const block_device_flush_reply *fr;
		sys_errno e;
		(void)block_device_write_finish(bep, &busy_writes[i], &wr, &e);
		(void)block_device_flush_finish(bep, &busy_flushes[i], &fr, &e);
	}
	nap_ms(200); /* the old writes, if any still run */
	expect("the driver serves after the session ended", geometry(bep, NULL) == IDL_OK);
	uint32_t marked = 0;
	for (uint32_t i = 0; i < OLD_WRITES / 2; i++) {
		if (read_sectors(bep, old_first + i * BIG, BIG) != IDL_OK) {
			expect("reading back what the old session wrote", false);
			break;
		}
		for (uint32_t k = 0; k < BIG * 512; k++)
			marked += bbuf[k] == MARK;
	}
	printf("overreach: block: a session ended with writes queued; bytes of the next "
	       "session's buffer on the disk: %u\n",
	       marked);
	expect("no byte of the next session's buffer on the disk", marked == 0);
	uint8_t *again;
	expect("the new session attaches again", attach(nep, 4096, &again) == IDL_OK);
	kserve_disconnect(fresh);
	kserve_disconnect(busy);
}

#define FLUSHES 24
static block_device_flush_pending flushes[FLUSHES];

/* One client's flushes beyond its share are BUSY at once. */
static void one_client_fills_the_queue(void)
{
	sys_errno error;
	kchan *c = open_to("block", BLOCK_DEVICE_PROTOCOL, &error);
	if (!c) {
		expect("a block session", false);
		return;
	}
	idl_endpoint *ep = idl_chan_end_endpoint(&c->end);
	for (int i = 0; i < FLUSHES; i++) {
		block_device_flush_request f = {0};
		block_device_flush_start(ep, &f, &flushes[i]);
	}
	int busy = 0, done = 0;
	for (int i = 0; i < FLUSHES; i++) {
		const block_device_flush_reply *reply;
		sys_errno e = 0;
		int err = block_device_flush_finish(ep, &flushes[i], &reply, &e);
		done += err == IDL_OK;
		busy += err == IDL_E_REMOTE && e == SYS_ERRNO_BUSY;
	}
	printf("overreach: block: %d flushes at once: %d done, %d BUSY\n", FLUSHES, done, busy);
	expect("a client's requests beyond its share are BUSY", busy > 0 && done + busy == FLUSHES);
	kserve_disconnect(c);
}

/* The ISA bridge (00:1f.0 on q35) is the chipset's: no claim. */
static void claim_of_the_chipset(void)
{
	sys_errno error;
	kchan *c = open_to("pci", PCI_BUS_PROTOCOL, &error);
	if (!c) {
		expect("a PCI session", false);
		return;
	}
	pci_bus_claim_request req = {.address = {.bus = 0, .device = 31, .function = 0}};
	static pci_bus_claim_reply_buffer rb;
	const pci_bus_claim_reply *reply;
	int err = pci_bus_claim(idl_chan_end_endpoint(&c->end), &req, &rb, &reply, &error);
	printf("overreach: pci: a claim of the ISA bridge: %s\n",
	       err == IDL_E_REMOTE ? sys_errno_name(error) : idl_error_name(err));
	expect("the chipset is not claimed", err == IDL_E_REMOTE && error == SYS_ERRNO_ACCESS);
	kserve_disconnect(c);
}

/* "block" is the block driver's to publish, alive or starting again. */
static void publish_of_a_servers_name(void)
{
	int ends[2];
	if (idlk_chan_create(4096, ends, NULL) < 0) {
		expect("a channel to publish", false);
		return;
	}
	sys_services_publish_request req = {.name = {.size = 5, .data = "block"},
	                                    .listener = (idl_handle)ends[1]};
	sys_services_publish_reply_buffer rb;
	const sys_services_publish_reply *reply;
	sys_errno error = 0;
	int err = sys_services_publish(kserve_directory(), &req, &rb, &reply, &error);
	printf("overreach: directory: publishing \"block\": %s\n",
	       err == IDL_E_REMOTE ? sys_errno_name(error) : idl_error_name(err));
	expect("a server's name is its own", err == IDL_E_REMOTE && error == SYS_ERRNO_ACCESS);
	idlk_handle_close(ends[0]);
}

#define SESSIONS 5

/* Four sessions of one server a client, then TOO_MANY. */
static void sessions_of_one_client(void)
{
	kchan *c[SESSIONS];
	sys_errno error = 0;
	int opened = 0;
	for (; opened < SESSIONS; opened++) {
		c[opened] = open_to("fs", FS_FILE_PROTOCOL, &error);
		if (!c[opened])
			break;
	}
	printf("overreach: fs: %d sessions, then %s\n", opened,
	       opened < SESSIONS ? sys_errno_name(error) : "more");
	expect("a client's fifth session is refused", opened == 4 && error == SYS_ERRNO_TOO_MANY);
	for (int i = 0; i < opened; i++)
		kserve_disconnect(c[i]);
}

/* Sixteen sockets a client, over two sessions, then TOO_MANY. */
static void sockets_of_one_client(void)
{
	sys_errno error = 0;
	kchan *c[2] = {open_to("net", NET_SOCKET_PROTOCOL, &error),
	               open_to("net", NET_SOCKET_PROTOCOL, &error)};
	if (!c[0] || !c[1]) {
		expect("two network sessions", false);
		return;
	}
	int opened = 0, err = IDL_OK;
	for (int i = 0; i < 20 && err == IDL_OK; i++) {
		net_socket_open_request req = {.kind = NET_SOCKET_KIND_DATAGRAM};
		net_socket_open_reply_buffer rb;
		const net_socket_open_reply *reply;
		err = net_socket_open(idl_chan_end_endpoint(&c[i % 2]->end), &req, &rb, &reply,
		                      &error);
		opened += err == IDL_OK;
	}
	printf("overreach: net: %d sockets over two sessions, then %s\n", opened,
	       err == IDL_E_REMOTE ? sys_errno_name(error) : idl_error_name(err));
	expect("a client's seventeenth socket is refused",
	       opened == 16 && err == IDL_E_REMOTE && error == SYS_ERRNO_TOO_MANY);
	kserve_disconnect(c[0]);
	kserve_disconnect(c[1]);
}

int overreach(void)
{
	session_that_ends_with_requests_queued();
	one_client_fills_the_queue();
	claim_of_the_chipset();
	publish_of_a_servers_name();
	sessions_of_one_client();
	sockets_of_one_client();
	printf("overreach: %s\n", failures ? "a server gave more than it should"
	                                   : "every server kept each client to its share");
	return failures;
}
