/*
 * console_server.c: idl-console-server, console.Console (idl/console.idl)
 * on the terminal it runs in. write and print go to its stdout, read
 * returns one line of its stdin (a whole line up to `max` bytes, the rest
 * on the next read; no data at the end of input).
 *
 *     idl-console-server [-n NAME]       (default: $IDL_CONSOLE_NAME or "console")
 *
 * A reader thread takes stdin a line at a time into the input buffer. A
 * read that finds input there is answered at once; one that does not takes
 * its reply with it (a deferred reply) and waits in line, and the reader
 * answers the oldest waiting read when input comes, so that the server
 * serves every other client meanwhile. Input goes to whichever session is
 * reading, as console.idl says.
 *
 * Output goes the other way round: write and print put their bytes in the
 * output ring (256 KiB), and a writer thread writes them to stdout in
 * order, up to 16 KiB at a time. A write's reply waits (deferred) until
 * its last byte is out. So a terminal that stops taking output (a paused
 * terminal, a pipe nobody reads) holds up the writes, as it must, but not
 * the server: reads, modes and sizes are still answered. When the ring is
 * full the server waits for the writer while it makes progress; once
 * stdout has taken no bytes for 100 ms, a print that finds no room is
 * dropped, as console.idl says, and a write is refused with TOO_MANY.
 *
 * Deferred replies are sent with no lock held, and never wait for room in
 * a client's ring: one that has left no room for its reply (a 2 MiB ring
 * of unread replies) loses it, so that no client can hold up the writer,
 * the reader or the server thread. A session has at most 4 writes and 4
 * reads waiting, so that one client cannot take every place in line.
 */
#include "console.h"
#include "hosted.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Output taken and not yet written, as bytes in a ring, and the writes
 * whose replies wait for their last byte: guarded by `output`, like
 * everything down to the writer thread. Positions count bytes from the
 * start and never wrap; the byte at position p sits at p % OUTPUT_BYTES.
 * The writer reads from output_start on without the lock; the server
 * thread only adds at output_end, which stays within OUTPUT_BYTES of it. */
#define OUTPUT_BYTES       (256u * 1024u)
#define WRITES_PER_SESSION 4u
#define MAX_WRITES         (WRITES_PER_SESSION * HOSTED_CAPACITY)
/* At most this much in one write(2): a stdout that takes bytes slowly but
 * steadily then shows its progress at least every 100 ms down to 160 KB/s
 * (the stall clock runs from the last write(2) that finished). */
#define WRITE_CHUNK (16u * 1024u)
typedef struct waiting_write {
	console_console_write_token token;
	bool answer; /* false once its session ended: its token is spent */
	idl_session *session;
	uint64_t end; /* the position after its last byte */
	uint32_t size;
	int error; /* errno of a failed write of any of its bytes, 0 if none */
} waiting_write;
static pthread_mutex_t output = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t output_queued = PTHREAD_COND_INITIALIZER;
/* The ring emptied, or the writer has sent the answers it took. */
static pthread_cond_t output_written = PTHREAD_COND_INITIALIZER;
static pthread_cond_t output_room = PTHREAD_COND_INITIALIZER; /* some of it was written */
static uint8_t output_bytes[OUTPUT_BYTES];
static uint64_t output_start, output_end;
static uint64_t output_moved_ns; /* the last write(2) that finished, or the ring filling */
static bool answering_writes;    /* the writer answers writes, with no lock held */
static bool writes_closed;       /* the server is closing: no more answers */
static waiting_write writes[MAX_WRITES];
static uint32_t writes_head, writes_count;

static bool output_fits(uint32_t size)
{
	return output_end - output_start + size <= OUTPUT_BYTES;
}

/* The time `ns` from now on the clock pthread_cond_timedwait reads. */
static struct timespec wall_clock_in(uint64_t ns)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	uint64_t nsec = (uint64_t)t.tv_nsec + ns;
	t.tv_sec += (time_t)(nsec / 1000000000u);
	t.tv_nsec = (long)(nsec % 1000000000u);
	return t;
}

/* How long stdout may take no bytes, with output waiting, before it counts
 * as stalled. */
#define STALLED_NS 100000000u

/*
 * Room for `size` bytes in the ring (with `output` held): true when there
 * is, at once or after waiting for the writer; false when stdout is
 * stalled (it has taken nothing for STALLED_NS). A full ring whose writer
 * makes progress is only a writer that has not had the CPU yet (the
 * server and a client busy on both, say): waiting here lets it run, so
 * that output is lost only to a terminal that stopped taking it, never to
 * a burst.
 */
static bool output_room_for(uint32_t size)
{
	while (!output_fits(size)) {
		if (idl_os_now_ns() - output_moved_ns >= STALLED_NS)
			return false;
		/* 10 ms, then look at the writer again. */
		struct timespec until = wall_clock_in(10000000u);
		pthread_cond_timedwait(&output_room, &output, &until);
	}
	return true;
}

static void output_append(const uint8_t *data, uint32_t size)
{
	if (output_start == output_end) /* the stall clock starts now */
		output_moved_ns = idl_os_now_ns();
	uint32_t at = (uint32_t)(output_end % OUTPUT_BYTES);
	uint32_t first = size < OUTPUT_BYTES - at ? size : OUTPUT_BYTES - at;
	memcpy(output_bytes + at, data, first);
	memcpy(output_bytes, data + first, size - first);
	output_end += size;
	pthread_cond_signal(&output_queued);
}

/* The writes of a session that wait for their bytes. */
static uint32_t writes_of(const idl_session *session)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < writes_count; i++) {
		const waiting_write *w = &writes[(writes_head + i) % MAX_WRITES];
		n += w->answer && w->session == session;
	}
	return n;
}

static int console_write(idl_request *r, const console_console_write_request *req,
                         console_console_write_reply *reply, sys_errno *error)
{
	uint32_t size = req->data.size;
	if (size == 0) { /* nothing to wait for */
		reply->written = 0;
		return IDL_OK;
	}
	int err;
	pthread_mutex_lock(&output);
	if (writes_count == MAX_WRITES || writes_of(r->session) == WRITES_PER_SESSION ||
	    !output_room_for(size)) {
		*error = SYS_ERRNO_TOO_MANY;
		err = IDL_E_REMOTE;
	} else {
		/* Answered by the writer once its last byte is out. */
		waiting_write *w = &writes[(writes_head + writes_count) % MAX_WRITES];
		err = console_console_write_defer(r, &w->token);
		if (err == IDL_DEFERRED) {
			output_append(req->data.data, size);
			w->answer = true;
			w->session = r->session;
			w->end = output_end;
			w->size = size;
			w->error = 0;
			writes_count++;
		}
	}
	pthread_mutex_unlock(&output);
	return err;
}

static int console_print(idl_request *r, const console_console_print_request *req)
{
	(void)r;
	pthread_mutex_lock(&output);
	/* One-way: output that does not fit is dropped, as the .idl says. */
	if (req->data.size > 0 && output_room_for(req->data.size))
		output_append(req->data.data, req->data.size);
	pthread_mutex_unlock(&output);
	return IDL_OK;
}

/* The bytes from `from` on, `n` of them, could not be written: each write
 * with a byte among them fails with `err`. */
static void writes_failed(uint64_t from, uint32_t n, int err)
{
	for (uint32_t i = 0; i < writes_count; i++) {
		waiting_write *w = &writes[(writes_head + i) % MAX_WRITES];
		if (w->end > from && w->end - w->size < from + n && w->error == 0)
			w->error = err;
	}
}

/* Takes the writes whose last byte is out, oldest first, into done[]
 * (with `output` held); returns how many are to be answered. */
static uint32_t take_written(waiting_write *done)
{
	uint32_t n = 0;
	while (writes_count > 0 && writes[writes_head].end <= output_start) {
		waiting_write *w = &writes[writes_head];
		writes_head = (writes_head + 1) % MAX_WRITES;
		writes_count--;
		if (w->answer)
			done[n++] = *w;
	}
	return n;
}

/* Answers writes take_written took, with no lock held. A session that
 * ended meanwhile has spent its tokens: the reply is then not sent. */
static void answer_written(waiting_write *done, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		waiting_write *w = &done[i];
		int err;
		if (w->error != 0) {
			err = console_console_write_reply_error(&w->token,
			                                        hosted_errno_from_host(w->error));
		} else {
			console_console_write_reply reply = {.written = w->size};
			err = console_console_write_reply_ok(&w->token, &reply);
		}
		if (err != IDL_OK && err != IDL_E_PEER_CLOSED)
			fprintf(stderr, "idl-console-server: write reply: %s\n",
			        idl_error_name(err));
	}
}

/* One write(2) to stdout, again after a signal; a stdout that someone
 * sharing it left non-blocking (EAGAIN) is waited for as a blocking one
 * would be. The bytes written, or -1 with errno. */
static ssize_t write_stdout(const uint8_t *bytes, uint32_t size)
{
	for (;;) {
		ssize_t n = write(STDOUT_FILENO, bytes, size);
		if (n >= 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
			return n;
		if (errno != EINTR) {
			struct pollfd out = {.fd = STDOUT_FILENO, .events = POLLOUT};
			(void)poll(&out, 1, -1);
		}
	}
}

/* The writer thread: the ring to stdout, in order, up to WRITE_CHUNK and
 * what is contiguous at a time, for as long as the process lives. A write
 * that fails drops what it was given. */
static void *writer(void *arg)
{
	(void)arg;
	static waiting_write done[MAX_WRITES];
	for (;;) {
		pthread_mutex_lock(&output);
		while (output_start == output_end)
			pthread_cond_wait(&output_queued, &output);
		uint64_t from = output_start;
		uint32_t at = (uint32_t)(from % OUTPUT_BYTES);
		uint64_t pending = output_end - from;
		uint32_t chunk = OUTPUT_BYTES - at < WRITE_CHUNK ? OUTPUT_BYTES - at : WRITE_CHUNK;
		if (pending < chunk)
			chunk = (uint32_t)pending;
		pthread_mutex_unlock(&output);
		ssize_t n = write_stdout(output_bytes + at, chunk);
		int failed = n < 0 ? errno : EIO;
		pthread_mutex_lock(&output);
		if (n <= 0) {
			writes_failed(from, chunk, failed);
			n = chunk;
		}
		output_start = from + (uint64_t)n;
		output_moved_ns = idl_os_now_ns();
		pthread_cond_broadcast(&output_room);
		uint32_t answers = writes_closed ? 0 : take_written(done);
		answering_writes = answers > 0;
		if (output_start == output_end && !answering_writes)
			pthread_cond_broadcast(&output_written);
		pthread_mutex_unlock(&output);
		if (answers == 0)
			continue;
		answer_written(done, answers);
		pthread_mutex_lock(&output);
		answering_writes = false;
		pthread_cond_broadcast(&output_written);
		pthread_mutex_unlock(&output);
	}
	return NULL;
}

/* What the reader took from stdin and no read has yet: guarded by `input`,
 * like everything down to the reader thread. */
#define PENDING_BYTES (16u * CONSOLE_MAX_READ)
static pthread_mutex_t input = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t input_room = PTHREAD_COND_INITIALIZER;
static pthread_cond_t read_answered = PTHREAD_COND_INITIALIZER;
static bool answering_read; /* the reader answers a read, with no lock held */
static bool reads_closed;   /* the server is closing: no more answers */
static char pending[PENDING_BYTES];
static size_t pending_bytes;
static bool input_ended;
static int input_error; /* errno of a failed read of stdin, 0 if none */

/* The reads that wait for input, oldest first. */
#define READS_PER_SESSION 4u
#define MAX_WAITING       (READS_PER_SESSION * HOSTED_CAPACITY)
typedef struct waiting_read {
	console_console_read_token token;
	uint32_t max;
	idl_session *session;
} waiting_read;
static waiting_read waiting[MAX_WAITING];
static uint32_t waiting_count;

/* Whether a read could be answered now: a whole line, a full read, or the
 * end of input. */
static bool input_ready(uint32_t max)
{
	return input_ended || input_error != 0 || pending_bytes >= max ||
	       memchr(pending, '\n', pending_bytes) != NULL;
}

/* Takes what a read of at most max bytes returns: up to a newline. */
static uint32_t take(char *out, uint32_t max)
{
	size_t n = 0;
	while (n < pending_bytes && n < max && (n == 0 || pending[n - 1] != '\n'))
		n++;
	memcpy(out, pending, n);
	memmove(pending, pending + n, pending_bytes - n);
	pending_bytes -= n;
	pthread_cond_signal(&input_room);
	return (uint32_t)n;
}

static uint32_t clamp(uint32_t max)
{
	return max < CONSOLE_MAX_READ ? max : CONSOLE_MAX_READ;
}

/* The reader thread: answers the waiting reads that can be, oldest first,
 * each with its input taken under `input` and its reply sent without it. */
static void answer_waiting(void)
{
	static char out[CONSOLE_MAX_READ];
	pthread_mutex_lock(&input);
	while (!reads_closed && waiting_count > 0 && input_ready(waiting[0].max)) {
		waiting_read w = waiting[0];
		memmove(waiting, waiting + 1, --waiting_count * sizeof(waiting[0]));
		int failed = input_error != 0 && pending_bytes == 0 ? input_error : 0;
		uint32_t size = failed != 0 ? 0 : take(out, w.max);
		answering_read = true;
		pthread_mutex_unlock(&input);
		int err;
		if (failed != 0) {
			err = console_console_read_reply_error(&w.token,
			                                       hosted_errno_from_host(failed));
		} else {
			console_console_read_reply reply = {
			    .data = {.size = size, .data = (const uint8_t *)out}};
			err = console_console_read_reply_ok(&w.token, &reply);
		}
		if (err != IDL_OK && err != IDL_E_PEER_CLOSED)
			fprintf(stderr, "idl-console-server: read reply: %s\n",
			        idl_error_name(err));
		pthread_mutex_lock(&input);
		answering_read = false;
		pthread_cond_broadcast(&read_answered);
	}
	pthread_mutex_unlock(&input);
}

/* The reads of a session that wait for input. */
static uint32_t reads_of(const idl_session *session)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < waiting_count; i++)
		n += waiting[i].session == session;
	return n;
}

static int console_read(idl_request *r, const console_console_read_request *req,
                        console_console_read_reply *reply, sys_errno *error)
{
	static char out[CONSOLE_MAX_READ];
	uint32_t max = clamp(req->max);
	int err = IDL_OK;
	pthread_mutex_lock(&input);
	if (max == 0 || (waiting_count == 0 && input_ready(max))) {
		if (input_error != 0 && pending_bytes == 0) {
			*error = hosted_errno_from_host(input_error);
			err = IDL_E_REMOTE;
		} else {
			reply->data.size = max == 0 ? 0 : take(out, max);
			reply->data.data = (const uint8_t *)out;
		}
	} else if (waiting_count == MAX_WAITING || reads_of(r->session) == READS_PER_SESSION) {
		*error = SYS_ERRNO_TOO_MANY;
		err = IDL_E_REMOTE;
	} else {
		/* Nothing yet: wait in line, and the server goes on serving. */
		waiting_read *w = &waiting[waiting_count];
		err = console_console_read_defer(r, &w->token);
		if (err == IDL_DEFERRED) {
			w->max = max;
			w->session = r->session;
			waiting_count++;
		}
	}
	pthread_mutex_unlock(&input);
	return err;
}

/* Before the process ends: output taken is output written, unless stdout
 * has taken nothing for `seconds`; then no reply is sent any more (the
 * sessions are about to go), and one being sent is let finish. */
static void finish_output(uint64_t seconds)
{
	pthread_mutex_lock(&output);
	while (answering_writes || (output_start != output_end &&
	                            idl_os_now_ns() - output_moved_ns < seconds * 1000000000u)) {
		struct timespec until = wall_clock_in(100000000u);
		pthread_cond_timedwait(&output_written, &output, &until);
	}
	writes_closed = true;
	pthread_mutex_unlock(&output);
	pthread_mutex_lock(&input);
	reads_closed = true;
	while (answering_read)
		pthread_cond_wait(&read_answered, &input);
	pthread_mutex_unlock(&input);
}

/* A session that ended waits no more: its tokens are spent. Its queued
 * output is still written; only its replies are not sent. */
static void session_close(void *ctx, idl_session *session, int reason)
{
	(void)ctx;
	(void)reason;
	pthread_mutex_lock(&input);
	uint32_t kept = 0;
	for (uint32_t i = 0; i < waiting_count; i++)
		if (waiting[i].session != session)
			waiting[kept++] = waiting[i];
	waiting_count = kept;
	pthread_mutex_unlock(&input);
	pthread_mutex_lock(&output);
	for (uint32_t i = 0; i < writes_count; i++) {
		waiting_write *w = &writes[(writes_head + i) % MAX_WRITES];
		if (w->session == session)
			w->answer = false;
	}
	pthread_mutex_unlock(&output);
}

/* Reads stdin up to and with a newline, at most max bytes: counted, so
 * that a NUL byte is input like any other (fgets cannot say where a line
 * with one ends). 0 at the end of input or on an error. */
static size_t read_line(char *line, size_t max)
{
	size_t n = 0;
	int c;
	while (n < max && (c = getc(stdin)) != EOF) {
		line[n++] = (char)c;
		if (c == '\n')
			break;
	}
	return n;
}

/* The reader thread: stdin, a line at a time, until its end. */
static void *reader(void *arg)
{
	(void)arg;
	static char line[CONSOLE_MAX_READ];
	for (;;) {
		size_t n = read_line(line, sizeof(line));
		int err = n == 0 && ferror(stdin) ? errno : 0;
		pthread_mutex_lock(&input);
		while (pending_bytes + n > PENDING_BYTES)
			pthread_cond_wait(&input_room, &input);
		memcpy(pending + pending_bytes, line, n);
		pending_bytes += n;
		input_ended = n == 0 && err == 0;
		input_error = err;
		pthread_mutex_unlock(&input);
		answer_waiting();
		if (n == 0)
			return NULL;
	}
}

static int console_get_mode(idl_request *r, const console_console_get_mode_request *req,
                            console_console_get_mode_reply *reply, sys_errno *error)
{
	(void)r;
	(void)req;
	(void)error;
	/* Lines come from stdio's line buffering; echo is the host terminal's. */
	reply->mode = CONSOLE_MODE_CANONICAL;
	return IDL_OK;
}

static int console_set_mode(idl_request *r, const console_console_set_mode_request *req,
                            console_console_set_mode_reply *reply, sys_errno *error)
{
	(void)r;
	(void)reply;
	if (req->mode == CONSOLE_MODE_CANONICAL)
		return IDL_OK;
	*error = SYS_ERRNO_NOT_SUPPORTED;
	return IDL_E_REMOTE;
}

static int console_get_size(idl_request *r, const console_console_get_size_request *req,
                            console_console_get_size_reply *reply, sys_errno *error)
{
	(void)r;
	(void)req;
	(void)error;
	memset(&reply->size, 0, sizeof(reply->size)); /* absent: a plain stream has no size */
	return IDL_OK;
}

static const console_console_handlers handlers = {
    .write = console_write,
    .print = console_print,
    .read = console_read,
    .get_mode = console_get_mode,
    .set_mode = console_set_mode,
    .get_size = console_get_size,
};

int main(int argc, char **argv)
{
	hosted_standard_descriptors();
	const char *name = hosted_service_name("IDL_CONSOLE_NAME", "console");
	int opt;
	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n') {
			fprintf(stderr, "usage: %s [-n NAME]\n", argv[0]);
			return 2;
		}
		name = optarg;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: %s [-n NAME]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	static idl_linux_server ls;
	int err = idl_linux_server_open(&ls, name, HOSTED_CAPACITY);
	if (err == IDL_OK)
		err = idl_server_add_interface(&ls.server, &console_console_interface, &handlers,
		                               NULL);
	if (err != IDL_OK) {
		fprintf(stderr, "idl-console-server: cannot serve \"%s\": %s%s\n", name,
		        idl_error_name(err), err == IDL_E_TRANSPORT ? " (is the name taken?)" : "");
		idl_linux_server_close(&ls);
		return 1;
	}
	idl_server_set_sessions(&ls.server, NULL, session_close, NULL);
	idl_linux_server_limit_sessions(&ls, HOSTED_SESSIONS_PER_CLIENT);
	/* A reply finds room at once or is lost (see the top of the file). */
	ls.server.reply_wait_ns = 0;
	/* The threads take no signal (a stop goes to the server thread, and
	 * stdin and stdout see no EINTR): they start with them blocked. */
	sigset_t stops, before;
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stops, &before);
	pthread_t reader_thread;
	if (pthread_create(&reader_thread, NULL, reader, NULL) != 0) {
		fprintf(stderr, "idl-console-server: cannot start the reader\n");
		idl_linux_server_close(&ls);
		return 1;
	}
	pthread_detach(reader_thread); /* ends with stdin, or with the process */
	pthread_t writer_thread;
	if (pthread_create(&writer_thread, NULL, writer, NULL) != 0) {
		fprintf(stderr, "idl-console-server: cannot start the writer\n");
		idl_linux_server_close(&ls);
		return 1;
	}
	pthread_detach(writer_thread); /* ends with the process */
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	idl_linux_server_stop_on_signals(&ls);
	fprintf(stderr, "idl-console-server: serving \"%s\"\n", name);
	err = idl_linux_server_run(&ls);
	if (err != IDL_OK)
		fprintf(stderr, "idl-console-server: %s\n", idl_error_name(err));
	finish_output(2);
	idl_linux_server_close(&ls);
	return err == IDL_OK ? 0 : 1;
}
