/*
 * eth_server.c: the virtio-net driver and the link service. It claims the
 * first virtio-net device from the PCI server (which hands over exactly its
 * BARs, its interrupt line and DMA), drives it over the modern virtio PCI
 * transport (virtio.h), and serves idl/link.idl as "ethernet" to the
 * network server.
 *
 * Receive: RX_BUFFERS buffers in DMA memory stay posted on the receive
 * queue. The interrupt thread takes each frame the device filled, answers
 * the receive that waits (a deferred reply) or keeps the frame in a small
 * queue, and posts the buffer again at once; when the queue is full the
 * frame is dropped and counted. Transmit: a frame is copied into one of
 * TX_BUFFERS DMA buffers and put on the transmit queue; buffers the device
 * is done with are taken back as sends need them.
 *
 * Exit status 2: there is no virtio-net device (init does not restart it).
 */
#include "kserve.h"
#include "link.h"
#include "pci_device.h"
#include "virtio.h"

#define NET_F_MAC    5 /* feature bit: the device's config holds its MAC address */
#define RX_QUEUE     0
#define TX_QUEUE     1
#define HEADER_BYTES 12 /* struct virtio_net_hdr of virtio 1.x (num_buffers included) */
#define BUFFER_BYTES 2048
#define RX_BUFFERS   32
#define TX_BUFFERS   32
#define KEPT_FRAMES  64 /* received frames waiting for a receive */

static virtio_device dev;
static virtqueue rxq, txq;
static uint8_t *rx_buffers, *tx_buffers; /* DMA memory */
static uint64_t rx_phys, tx_phys;
static bool tx_busy[TX_BUFFERS];
static int8_t tx_buffer_of[TX_BUFFERS]; /* which buffer the chain at each head carries */
static int8_t rx_buffer_of[RX_BUFFERS]; /* the same for the receive queue */
static uint8_t mac[6];

/* Frames received and not yet taken, a ring; and the receive that waits. */
static struct kept {
	uint16_t length;
	uint8_t bytes[LINK_MAX_FRAME];
} kept[KEPT_FRAMES];
static uint32_t kept_head, kept_tail;
static link_ethernet_receive_token waiting_receive;
static idl_session *waiting_session;
static link_counters counters;
static idl_lock lock; /* everything above, between the serving and interrupt threads */

static kserver server;

static pci_device device; /* what the PCI server handed over for it */

/* Offers receive buffer i to the device (again). */
static void post_rx(int i)
{
	struct virtq_buffer b = {rx_phys + (uint64_t)i * BUFFER_BYTES, BUFFER_BYTES, true};
	int head = virtqueue_add(&rxq, &b, 1);
	if (head >= 0)
		rx_buffer_of[head] = (int8_t)i;
}

/* Gives the waiting receive its frame. Under lock. */
static void answer(const uint8_t *frame, uint32_t length)
{
	link_ethernet_receive_reply reply = {.frame = {.size = length, .data = frame}};
	link_ethernet_receive_reply_ok(&waiting_receive, &reply);
	waiting_session = NULL;
}

/* A frame the device received: to the receive that waits, or kept. Under lock. */
static void received(const uint8_t *frame, uint32_t length)
{
	counters.received++;
	counters.received_bytes += length;
	if (waiting_session) {
		answer(frame, length);
		return;
	}
	if (kept_head - kept_tail == KEPT_FRAMES) {
		counters.dropped++;
		return;
	}
	struct kept *k = &kept[kept_head++ % KEPT_FRAMES];
	k->length = (uint16_t)length;
	memcpy(k->bytes, frame, length);
}

static void interrupts(void *arg)
{
	int irq = (int)(intptr_t)arg;
	for (;;) {
		long err = idlk_irq_wait(irq);
		if (err < 0) {
			printf("eth: irq_wait failed: %ld\n", err);
			return;
		}
		virtio_isr(&dev);
		idl_lock_take(&lock);
		uint32_t written;
		int id;
		int reposted = 0;
		while ((id = virtqueue_take(&rxq, &written)) != -1) {
			if (id < 0) {
				printf("eth: the device returned a buffer it did not have\n");
				continue;
			}
			int b = rx_buffer_of[id];
			/* The device wrote its header, then the frame. */
			if (written > HEADER_BYTES && written - HEADER_BYTES <= LINK_MAX_FRAME)
				received(rx_buffers + (size_t)b * BUFFER_BYTES + HEADER_BYTES,
				         written - HEADER_BYTES);
			else
				counters.dropped++; /* a header alone, or longer than a frame */
			post_rx(b);
			reposted++;
		}
		if (reposted)
			virtqueue_kick(&rxq);
		idl_lock_give(&lock);
	}
}

/* Takes back the transmit buffers the device is done with. Under lock. */
static void reclaim_tx(void)
{
	uint32_t written;
	int id;
	while ((id = virtqueue_take(&txq, &written)) != -1)
		if (id >= 0)
			tx_busy[tx_buffer_of[id]] = false;
}

static int on_info(idl_request *r, const link_ethernet_info_request *req,
                   link_ethernet_info_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)error;
	memcpy(reply->info.mac, mac, 6);
	reply->info.mtu = 1500;
	return IDL_OK;
}

static int on_send(idl_request *r, const link_ethernet_send_request *req,
                   link_ethernet_send_reply *reply, sys_errno *error)
{
	(void)r, (void)reply;
	if (req->frame.size < 14) {
		*error = SYS_ERRNO_INVALID;
		return IDL_E_REMOTE;
	}
	idl_lock_take(&lock);
	reclaim_tx();
	int i = 0;
	while (i < TX_BUFFERS && tx_busy[i])
		i++;
	if (i == TX_BUFFERS) {
		idl_lock_give(&lock);
		*error = SYS_ERRNO_BUSY;
		return IDL_E_REMOTE;
	}
	uint8_t *b = tx_buffers + (size_t)i * BUFFER_BYTES;
	memset(b, 0, HEADER_BYTES); /* no offloads: every field 0 */
	memcpy(b + HEADER_BYTES, req->frame.data, req->frame.size);
	struct virtq_buffer d = {tx_phys + (uint64_t)i * BUFFER_BYTES,
	                         HEADER_BYTES + req->frame.size, false};
	int head = virtqueue_add(&txq, &d, 1);
	if (head >= 0) {
		tx_busy[i] = true;
		tx_buffer_of[head] = (int8_t)i;
		virtqueue_kick(&txq);
		counters.sent++;
		counters.sent_bytes += req->frame.size;
	}
	idl_lock_give(&lock);
	if (head < 0) {
		*error = SYS_ERRNO_BUSY;
		return IDL_E_REMOTE;
	}
	return IDL_OK;
}

static int on_receive(idl_request *r, const link_ethernet_receive_request *req,
                      link_ethernet_receive_reply *reply, sys_errno *error)
{
	(void)req;
	idl_lock_take(&lock);
	if (waiting_session == r->session) {
		idl_lock_give(&lock);
		*error = SYS_ERRNO_BUSY; /* one receive waits per session */
		return IDL_E_REMOTE;
	}
	/* The link has one reader: a receive from another session takes over
	 * from the one that waits (the network server started again, before
	 * this server saw its old channel close). Only the network server can
	 * reach this service (the directory sees to it). */
	if (waiting_session) {
		link_ethernet_receive_reply_error(&waiting_receive, SYS_ERRNO_BUSY);
		waiting_session = NULL;
	}
	if (kept_tail != kept_head) {
		static uint8_t frame[LINK_MAX_FRAME];
		struct kept *k = &kept[kept_tail++ % KEPT_FRAMES];
		memcpy(frame, k->bytes, k->length);
		reply->frame.size = k->length;
		reply->frame.data = frame;
		idl_lock_give(&lock);
		return IDL_OK;
	}
	int err = link_ethernet_receive_defer(r, &waiting_receive);
	if (err == IDL_DEFERRED)
		waiting_session = r->session;
	idl_lock_give(&lock);
	return err;
}

static int on_counters(idl_request *r, const link_ethernet_counters_request *req,
                       link_ethernet_counters_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)error;
	idl_lock_take(&lock);
	reply->counters = counters;
	idl_lock_give(&lock);
	return IDL_OK;
}

static const link_ethernet_handlers handlers = {
    .info = on_info,
    .send = on_send,
    .receive = on_receive,
    .counters = on_counters,
};

/* A session that ends with its receive waiting takes the token with it. */
static void session_closed(void *ctx, idl_session *session, int reason)
{
	(void)ctx, (void)reason;
	idl_lock_take(&lock);
	if (waiting_session == session)
		waiting_session = NULL;
	idl_lock_give(&lock);
}

/* Starts the device: features, the two queues, the receive buffers posted. */
static int start_device(int dma)
{
	virtio_access access = {pci_device_config_read, pci_device_map_bar, pci_device_enable_dma,
	                        &device};
	if (virtio_start(&dev, &access, 1ull << NET_F_MAC, 0) < 0)
		return -1;
	uint64_t rxq_phys, txq_phys;
	long rxq_at = idlk_dma_alloc(dma, VIRTQ_DMA_BYTES, NULL, &rxq_phys);
	long txq_at = idlk_dma_alloc(dma, VIRTQ_DMA_BYTES, NULL, &txq_phys);
	long rx_at = idlk_dma_alloc(dma, RX_BUFFERS * BUFFER_BYTES, NULL, &rx_phys);
	long tx_at = idlk_dma_alloc(dma, TX_BUFFERS * BUFFER_BYTES, NULL, &tx_phys);
	if (rxq_at < 0 || txq_at < 0 || rx_at < 0 || tx_at < 0)
		return -1;
	rx_buffers = (uint8_t *)rx_at;
	tx_buffers = (uint8_t *)tx_at;
	if (virtqueue_setup(&dev, &rxq, RX_QUEUE, RX_BUFFERS, (volatile void *)rxq_at, rxq_phys) <
	        0 ||
	    virtqueue_setup(&dev, &txq, TX_QUEUE, TX_BUFFERS, (volatile void *)txq_at, txq_phys) <
	        0)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)virtio_config_read(&dev, (uint32_t)i, 1);
	virtio_ready(&dev);
	for (int i = 0; i < rxq.size; i++)
		post_rx(i);
	virtqueue_kick(&rxq);
	return 0;
}

int umain(const char *args, long nhandles)
{
	(void)args, (void)nhandles;
	int err = pci_device_claim(&device, VIRTIO_VENDOR_ID, VIRTIO_MODERN_ID(VIRTIO_TYPE_NET));
	if (err == 2) {
		printf("eth: no virtio-net device\n");
		return 2;
	}
	if (err < 0 || start_device(device.dma) < 0) {
		printf("eth: cannot start the virtio-net device\n");
		return 1;
	}
	if (thread_spawn(interrupts, (void *)(intptr_t)device.irq, 16384) < 0 ||
	    kserve_init(&server, KSERVE_MAX_SESSIONS) != IDL_OK ||
	    kserve_add_interface(&server, &link_ethernet_interface, &handlers, NULL) != IDL_OK) {
		printf("eth: cannot set up serving\n");
		return 1;
	}
	kserve_set_sessions(&server, NULL, session_closed, NULL);
	err = kserve_publish(&server, "ethernet");
	if (err != IDL_OK) {
		printf("eth: cannot publish: %s\n", idl_error_name(err));
		return 1;
	}
	printf("eth: virtio-net at %02x:%02x.%x, MAC %02x:%02x:%02x:%02x:%02x:%02x; serving "
	       "idl/link.idl as \"ethernet\"\n",
	       device.address.bus, device.address.device, device.address.function, mac[0], mac[1],
	       mac[2], mac[3], mac[4], mac[5]);
	kserve_run(&server);
	return 0;
}
