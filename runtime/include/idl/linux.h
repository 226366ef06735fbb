/*
 * idl/linux.h: the Linux-hosted port.
 *
 *  - futex.c: the OS port (idl_os_wait/wake on futex(2), shared, not
 *    private, because the words live in memory other processes map).
 *  - shm.c: shared regions: memfd_create + ftruncate + mmap.
 *  - connect.c, serve.c: connect-by-name. A server listens on the abstract
 *    UNIX socket "\0idl/<name>" (SOCK_SEQPACKET). For each client it
 *    creates a channel memfd, formats it, and sends the client a hello
 *    message with the channel memfd and the server's doorbell memfd
 *    (SCM_RIGHTS), its doorbell slot, the wire format's version and, for
 *    each interface it serves, the protocol id, its version and the oldest
 *    version it talks to. The socket stays open: it carries handles, and its hang-up
 *    tells each side that the other died. A channel handed to another
 *    process is such a socket whose hello is still queued in it.
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
	size_t lead;   /* mapped before base: a window's start within its page */
	size_t mapped; /* the whole mapping, from base - lead */
	bool huge;     /* backed by huge pages */
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
/*
 * Maps a region received from a peer; takes ownership of fd. IDL_E_PROTOCOL
 * for a descriptor that is not a memfd sealed against shrinking, and for
 * one in huge pages unless idl_linux_trust_huge_pages(true).
 */
int idl_linux_region_map(idl_linux_region *r, int fd);
/*
 * Whether this process takes regions in huge pages (hugetlbfs memfds) from
 * its peers: channels from a server that puts them there
 * (idl_linux_server_use_huge_pages) and shm handles. Off by default: a
 * peer can punch a hole in such a region, which no seal that leaves it
 * writable prevents, and with the system's pool of huge pages empty our
 * next touch of it is SIGBUS. Turn it on only with peers you trust.
 * Refused, such a region fails to map (IDL_E_PROTOCOL) and is not
 * IDL_KIND_SHM.
 */
void idl_linux_trust_huge_pages(bool on);
/*
 * The size of a region received from a peer, in *bytes: IDL_E_PROTOCOL for
 * a descriptor idl_linux_region_map refuses (fd stays the caller's).
 */
int idl_linux_region_size(int fd, uint64_t *bytes);
/*
 * Maps only [offset, offset + bytes) of a region received from a peer,
 * taking ownership of fd: r->base is the byte at offset, r->bytes is bytes.
 * For a server that reads into or out of a client's buffer: it maps what
 * the request names, not the whole of a region whose size the client
 * chose (a sparse memfd can be larger than the server's address space).
 * IDL_E_PROTOCOL as idl_linux_region_size; IDL_E_INVALID_ARGUMENT for a
 * window not inside the region, or empty.
 */
int idl_linux_region_map_window(idl_linux_region *r, int fd, uint64_t offset, uint64_t bytes);
void idl_linux_region_close(idl_linux_region *r);
/*
 * Faults in, on a channel region r whose rings hold ring_bytes each, what
 * small traffic uses: the channel header and the first
 * IDL_LINUX_POPULATE_RING bytes of each ring. Calls one at a time rewind
 * to the start of their rings (IDL_RING_REWIND_AT), so they then take no
 * page faults on the hot path, where each fault costs a few microseconds
 * in a virtual machine (at 256 clients, every ring used to be on its first
 * trip round for hundreds of calls). A stream pays the rest of its ring's
 * faults once, on its first trip round; only a channel that streams ever
 * commits its whole ring, and a peer that claims huge rings cannot make us
 * commit memory up front.
 */
#define IDL_LINUX_POPULATE_RING (64u << 10)
void idl_linux_chan_populate(idl_linux_region *r, uint32_t ring_bytes);

/* A client named by its user, not its pid (idl_linux_conn.client). */
#define IDL_LINUX_CLIENT_USER (UINT64_C(1) << 63)

/* One channel with its socket, on either side. */
typedef struct idl_linux_conn {
	idl_chan_end end; /* its endpoint: idl_chan_end_endpoint(&conn->end) */
	int sock;
	idl_linux_region channel;
	idl_linux_region doorbell; /* client only: the server's doorbell */
	void *scratch;             /* client only: see idl_chan_end_set_scratch */
	size_t scratch_bytes;
	uint32_t send_seq, receive_seq;
	int kick_fd;           /* the kick pipe: the client's own writer, the server's own reader */
	int kick_reader;       /* client only: a reader of its own, so that a kick never meets a
	                        * pipe without readers (SIGPIPE) */
	uint64_t client;       /* server side: the peer's pid (SO_PEERCRED), 0 unknown;
	                        * IDL_LINUX_CLIENT_USER | uid for a peer whose pid is
	                        * not in our pid namespace */
	int64_t user;          /* server side: the peer's uid (SO_PEERCRED), -1 unknown */
	uint32_t peer_version; /* client side: the server's version of the interface, 0 unknown */
	uint32_t peer_oldest;  /* client side: the oldest version the server talks to */
	_Atomic uint32_t state; /* server side: free, set up, serving */
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
 * Waits at most timeout_ms for the server's hello. With a protocol id
 * (<IFACE>_PROTOCOL; 0: any), a server that does not announce it is
 * IDL_E_HANDLE_KIND; one that hangs up instead of saying hello (full, or
 * this client holds too many sessions) is IDL_E_PEER_CLOSED.
 */
int idl_linux_connect(idl_linux_conn *conn, const char *name, uint32_t protocol, int timeout_ms);
/*
 * The same for a client of `iface` (the generated <iface>_interface): the
 * server must serve that interface at a version that can talk to this
 * program's (each at least the oldest the other talks to). When it cannot,
 * IDL_E_VERSION, at connect time rather than at the first call; the
 * server's versions are in conn->peer_version and conn->peer_oldest, and
 * idl_linux_version_text says what did not match. A server of another wire
 * format is IDL_E_VERSION too.
 */
int idl_linux_connect_interface(idl_linux_conn *conn, const char *name, const idl_interface *iface,
                                int timeout_ms);
/* "fs.File: the server speaks version 1 (and talks to 1 and later); this
 * program speaks version 3 (and talks to 2 and later)", as snprintf. */
int idl_linux_version_text(const idl_linux_conn *conn, const idl_interface *iface, char *buf,
                           size_t size);
/*
 * The same over a channel end received as a handle (channel<I>, or
 * handle<channel>): sock becomes conn's (it is closed on failure).
 */
int idl_linux_conn_open(idl_linux_conn *conn, int sock, uint32_t protocol, int timeout_ms);
/* Either side: closes the channel, unmaps, closes the socket. */
void idl_linux_conn_close(idl_linux_conn *conn);

/*
 * Server (serve.c): an idl_server plus a listening socket and an accept
 * thread. The accept thread sets up each new client's channel and hands it
 * to the server thread through `adding` (one bit per slot) and an
 * interrupt. It also watches every client's socket, with no timeout: one
 * that hangs up (its process died) is handed over through `gone`, and the
 * server serves what it sent and ends its session. So an idle server and
 * its accept thread sleep until something happens. Its memory is allocated
 * by idl_linux_server_open and freed by idl_linux_server_close.
 *
 *     idl_linux_server ls;
 *     idl_linux_server_open(&ls, "fs", 64);
 *     idl_server_add_interface(&ls.server, &fs_file_interface, &handlers, ctx);
 *     idl_server_set_sessions(&ls.server, session_open, session_close, ctx);
 *     idl_linux_server_stop_on_signals(&ls);   (SIGINT, SIGTERM)
 *     idl_linux_server_run(&ls);               (until idl_linux_server_stop)
 *     idl_linux_server_close(&ls);
 */
typedef struct idl_linux_server {
	idl_server server; /* its settings, interfaces and sessions */
	idl_linux_region doorbell;
	int listen_fd;
	int spare_fd; /* kept open to be closed when descriptors run out */
	uint32_t ring_bytes, max_frame_bytes;
	idl_linux_conn *conns; /* capacity entries */
	idl_chan_end **slots;
	idl_session *sessions;
	void *buf; /* the request buffer */
	_Atomic uint32_t adding[IDL_DOORBELL_WORDS];
	_Atomic uint32_t adding_summary;           /* bit w: adding[w] may be nonzero */
	_Atomic uint32_t gone[IDL_DOORBELL_WORDS]; /* slots whose socket hung up */
	_Atomic uint32_t gone_summary;             /* bit w: gone[w] may be nonzero */
	int epoll_fd;                              /* the acceptor's: listen_fd, wake_fd, sockets */
	int wake_fd;                               /* an eventfd that wakes the acceptor */
	int sleep_fd;     /* the server thread's epoll: every client's kick pipe, interrupt_fd */
	int interrupt_fd; /* an eventfd: idl_server_interrupt */
	bool fences;      /* membarrier works: the server fences for its clients */
	bool drain_kicks; /* this kernel wakes epoll only for a write to an empty pipe */
	_Atomic bool stop;
	_Atomic bool prepared; /* sizes known: channels can be set up */
	pthread_t acceptor;
	bool acceptor_running;
	_Atomic bool huge_pages;              /* see idl_linux_server_use_huge_pages */
	_Atomic uint32_t huge_channels;       /* channels set up in huge pages so far */
	_Atomic uint32_t sessions_per_client; /* 0: no limit */
	_Atomic uint32_t sessions_per_user;   /* 0: no limit */
	idl_lock setting_up;                  /* a share's count and the slot claimed */
	_Atomic bool any_user;                /* see idl_linux_server_allow_any_user */
	_Atomic uint64_t refused; /* connections closed at once: full, or the client's limit */
	_Atomic uint64_t shed;    /* connections closed for want of a descriptor */
} idl_linux_server;

/*
 * Listens on `name` ("\0idl/<name>") for at most `capacity` sessions at a
 * time (at most IDL_DOORBELL_CHANNELS). Register interfaces and settings
 * on ls->server before idl_linux_server_run. IDL_E_TRANSPORT when the name
 * is taken.
 */
int idl_linux_server_open(idl_linux_server *ls, const char *name, uint32_t capacity);
/* The same on a listening socket someone handed over (a channel<I> whose
 * I this server serves); listen_fd becomes ls's. */
int idl_linux_server_open_fd(idl_linux_server *ls, int listen_fd, uint32_t capacity);
/*
 * Puts each new client's channel in huge pages when the system has them
 * (and in ordinary pages when it has not). It pays with hundreds of
 * clients that stream: a frame of a channel that has gone cold touches
 * two to four of its pages, and with 4 KiB pages those translations are
 * rarely in the TLB, while one 2 MiB page covers a whole channel
 * (docs/runtime.md, "Huge pages"). The price is memory: a channel takes at
 * least 2 MiB, which is why the default ring is then 512 KiB: one page
 * holds the whole channel. Only for clients you trust, both ways: a client
 * can punch a hole in its channel, and with the system's pool empty the
 * server's next touch of it is SIGBUS; and a client takes such a channel
 * only after idl_linux_trust_huge_pages(true) (otherwise its connect
 * fails, IDL_E_PROTOCOL).
 */
void idl_linux_server_use_huge_pages(idl_linux_server *ls, bool on);
/*
 * Each ring of each channel (a power of two); 0 (the default):
 * IDL_LINUX_DEFAULT_RING_BYTES, or IDL_LINUX_HUGE_RING_BYTES when channels
 * go in huge pages (one 2 MiB page then holds a whole channel), doubled
 * until it holds the largest frame the interfaces allow twice
 * (IDL_RING_MIN_BYTES).
 *
 * Why two megabytes: a stream's writer comes back to each line of its
 * ring one ring later, and a line the reader took too recently makes each
 * store wait. On an Intel host whose CPUs are far apart, 64 KiB rings
 * streamed 64-byte messages at 19-21 million a second, rings of 512 KiB to
 * 4 MiB at 45-50 million; on an AMD host (1 MiB of L2 a core), rings of
 * 1 MiB mostly at 26-33 million, of 2 MiB at 77-81 million
 * (docs/benchmarks.md, "Rings big enough for a stream", "Two megabytes on
 * the AMD host"). Memory is spent only where it is used: calls stay at
 * the start of their rings, and only the part of a ring that calls use is
 * faulted in at setup (idl_linux_chan_populate).
 */
#define IDL_LINUX_DEFAULT_RING_BYTES (2u << 20)
#define IDL_LINUX_HUGE_RING_BYTES    (512u << 10)
void idl_linux_server_set_ring_bytes(idl_linux_server *ls, uint32_t ring_bytes);
/* At most n sessions at a time from one client process (0: no limit);
 * more connections from it are closed at once. */
void idl_linux_server_limit_sessions(idl_linux_server *ls, uint32_t n);
/*
 * At most n sessions at a time from the processes of one user (0: no
 * limit), counted by the uid the kernel gives for the connection
 * (SO_PEERCRED); more connections of that user are closed at once. For a
 * server that serves every user (idl_linux_server_allow_any_user): the
 * limit per process alone lets a user who forks take every session.
 * Sessions set up with idl_linux_server_adopt and
 * idl_linux_server_new_client have no user and are not counted.
 */
void idl_linux_server_limit_user_sessions(idl_linux_server *ls, uint32_t n);
/*
 * The name is an abstract socket, which any local user can connect to:
 * by default the server hangs up at once on a client of another user than
 * its own (its effective uid; root's clients are served too), so that a
 * server run by one user serves nothing of theirs to another. With `on`,
 * it serves every user, and its handlers decide who may do what.
 */
void idl_linux_server_allow_any_user(idl_linux_server *ls, bool on);
/*
 * Accepts clients and serves them until idl_linux_server_stop (from another
 * thread, a handler or a signal handler). Clients that connect between
 * open and run wait in the listen queue, so settings made in between apply
 * to every client. IDL_E_INVALID_ARGUMENT without interfaces or with a
 * ring size the largest frame does not fit; IDL_E_TRANSPORT when the
 * accept thread cannot start.
 */
int idl_linux_server_run(idl_linux_server *ls);
void idl_linux_server_stop(idl_linux_server *ls);
/* Stops ls on SIGINT and SIGTERM (one server per process). */
void idl_linux_server_stop_on_signals(idl_linux_server *ls);
/*
 * Serves a connected socket as a new session, from any thread once run has
 * started (a handler's, say): the session's hello is queued on sock for
 * whoever holds its other end. sock becomes ls's (it is closed on
 * failure). idl_linux_server_new_client makes the pair: one end served,
 * the other, a channel handle to give a client (idl_linux_conn_open).
 */
int idl_linux_server_adopt(idl_linux_server *ls, int sock, uint64_t client);
int idl_linux_server_new_client(idl_linux_server *ls, int *client_end);
/* Stops the acceptor, closes every channel (ending every session) and the
 * listening socket, and frees what open allocated. */
void idl_linux_server_close(idl_linux_server *ls);

#endif /* IDL_LINUX_H */
