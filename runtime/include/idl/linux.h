/*
 * idl/linux.h: the Linux-hosted port.
 *
 *  - futex.c: the OS port (idl_os_wait/wake on futex(2), shared, not
 *    private, because the words live in memory other processes map).
 *  - shm.c: shared regions: memfd_create + ftruncate + mmap.
 *  - connect.c: connect-by-name. A server listens on the abstract UNIX
 *    socket "\0idl/<name>" (SOCK_SEQPACKET). For each client it creates a
 *    channel memfd, formats it, and sends the client a hello message with
 *    the channel memfd and the server's doorbell memfd (SCM_RIGHTS). The
 *    socket stays open: it carries handles, and its hang-up tells each side
 *    that the other died.
 *
 * Handles are file descriptors (a memfd of a shared buffer, typically). A
 * frame's handle words in the ring are sequence numbers; before publishing
 * the frame the sender sends the descriptors in one SCM_RIGHTS message
 * whose payload is {first sequence number, count}; the receiver, on taking
 * the frame, receives that message (it is already queued: it was sent
 * before the frame was published), checks the numbers, and hands the new
 * descriptors to the decoder as the handle values. Sending copies the
 * descriptor (the sender keeps its own); received descriptors belong to
 * the receiver (idl_server closes them after the handler returns).
 */
#ifndef IDL_LINUX_H
#define IDL_LINUX_H

#include "idl/server.h"

#include <pthread.h>

typedef struct idl_linux_region {
	int fd;
	void *base;
	size_t bytes;
	bool huge; /* backed by huge pages */
} idl_linux_region;

/* A new zeroed shared region of `bytes`, backed by a memfd. */
int idl_linux_region_create(idl_linux_region *r, const char *name, size_t bytes);
/*
 * The same in huge pages (a hugetlb memfd), `bytes` rounded up to
 * IDL_LINUX_HUGE_PAGE. IDL_E_TRANSPORT when the system has none to give:
 * huge pages come from a pool the administrator sizes
 * (/proc/sys/vm/nr_hugepages), empty by default.
 */
#define IDL_LINUX_HUGE_PAGE (2u << 20)
int idl_linux_region_create_huge(idl_linux_region *r, const char *name, size_t bytes);
/* Huge pages free in the system's pool now (/proc/meminfo); 0 if unknown. */
long idl_linux_huge_pages_free(void);
/* Maps a region received from a peer; takes ownership of fd. */
int idl_linux_region_map(idl_linux_region *r, int fd);
void idl_linux_region_close(idl_linux_region *r);
/*
 * Faults in the first `bytes` of r (at most IDL_LINUX_POPULATE_MAX) now,
 * so that the first trip round a ring takes no page faults on the hot
 * path: several hundred of them per channel with 64 KiB rings, each a few
 * microseconds in a virtual machine. The cap keeps a peer that claims huge
 * rings from making us commit memory up front; past it, pages fault in as
 * they are first used.
 */
#define IDL_LINUX_POPULATE_MAX (4u << 20)
void idl_linux_region_populate(idl_linux_region *r, size_t bytes);

/* One channel with its socket, on either side. */
typedef struct idl_linux_conn {
	idl_chan_end end; /* its endpoint: idl_chan_end_endpoint(&conn->end) */
	int sock;
	idl_linux_region channel;
	idl_linux_region doorbell; /* client only: the server's doorbell */
	void *scratch;             /* client only: see idl_chan_end_set_scratch */
	size_t scratch_bytes;
	uint32_t send_seq, receive_seq;
	_Atomic uint32_t state; /* server side: free, set up, serving, closed */
} idl_linux_conn;

/* The transfer ops of a connection (handles as fds over its socket). */
extern const idl_transfer_ops idl_linux_transfer;

/*
 * What a descriptor names, as a handle: IDL_KIND_SHM for a memfd sealed
 * against shrinking (what idl_linux_region_create makes and
 * idl_linux_region_map accepts), IDL_KIND_CHANNEL for a UNIX seqpacket
 * socket (a connection's), IDL_KIND_ANY for anything else. The transfer
 * ops report it for every descriptor received, and refuse to send one that
 * is not of the kind its field declares.
 */
uint32_t idl_linux_handle_kind(int fd);

/*
 * Client: connects to the server called `name` and sets up conn->end.
 * Waits at most timeout_ms for the server's hello.
 */
int idl_linux_connect(idl_linux_conn *conn, const char *name, int timeout_ms);
/* Either side: closes the channel, unmaps, closes the socket. */
void idl_linux_conn_close(idl_linux_conn *conn);

/*
 * Server: an idl_server plus a listening socket and an accept thread. The
 * accept thread sets up each new client's channel and hands it to the
 * server thread through `adding` (one bit per slot) and an interrupt.
 */
typedef struct idl_linux_server {
	idl_server server;
	idl_linux_region doorbell;
	int listen_fd;
	uint32_t ring_bytes, max_frame_bytes;
	idl_linux_conn *conns; /* capacity entries */
	_Atomic uint32_t adding[IDL_DOORBELL_WORDS];
	_Atomic uint32_t adding_summary; /* bit w: adding[w] may be nonzero */
	_Atomic bool stop;
	pthread_t acceptor;
	bool acceptor_running;
	idl_close_fn on_close; /* the user's, called before the slot is freed */
	void *close_ctx;
	_Atomic bool huge_pages;        /* see idl_linux_server_use_huge_pages */
	_Atomic uint32_t huge_channels; /* channels set up in huge pages so far */
} idl_linux_server;

/*
 * Listens on `name`. conns and slots: capacity entries each (at most
 * IDL_DOORBELL_CHANNELS). ring_bytes and max_frame_bytes size every
 * channel (max_frame_bytes: the interface's *_MAX_FRAME_BYTES); buf holds
 * one request frame for the handler.
 */
int idl_linux_server_open(idl_linux_server *ls, const char *name, idl_linux_conn *conns,
                          idl_chan_end **slots, uint32_t capacity, uint32_t ring_bytes,
                          uint32_t max_frame_bytes, idl_frame_handler handler, void *ctx, void *buf,
                          size_t buf_bytes);
/*
 * Puts each new client's channel in huge pages when the system has them
 * (and in ordinary pages when it has not). It pays with hundreds of
 * clients that stream: a frame of a channel that has gone cold touches
 * two to four of its pages, and with 4 KiB pages those translations are
 * rarely in the TLB, while one 2 MiB page covers a whole channel
 * (docs/runtime.md, "Huge pages"). The price is memory: a channel takes at
 * least 2 MiB, so choose ring_bytes up to 512 KiB.
 */
void idl_linux_server_use_huge_pages(idl_linux_server *ls, bool on);
/*
 * Accepts clients and serves them until idl_linux_server_stop (from another
 * thread or a handler). Clients that connect between open and run wait in
 * the listen queue, so settings made in between (huge pages, the server's
 * patience) apply to every client. IDL_E_TRANSPORT when the accept thread
 * cannot start.
 */
int idl_linux_server_run(idl_linux_server *ls);
void idl_linux_server_stop(idl_linux_server *ls);
/* Stops the acceptor, closes every channel and the listening socket. */
void idl_linux_server_close(idl_linux_server *ls);

#endif /* IDL_LINUX_H */
