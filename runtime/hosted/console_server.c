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
 * output queue, and a writer thread writes them to stdout in order. A
 * write's reply waits with them (deferred) and is sent once its bytes are
 * out. So a terminal that stops taking output (a paused terminal, a pipe
 * nobody reads) holds up the writes, as it must, but not the server: reads,
 * modes and sizes are still answered. A print that finds the queue full is
 * dropped, as console.idl says; a write is refused with TOO_MANY.
 */
#include "console.h"
#include "hosted.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Output queued and not yet written: guarded by `output`, like everything
 * down to the writer thread. The writer takes entries from the head, and
 * the server thread adds them at the tail; the head entry stays where it
 * is while the writer writes it without the lock. */
#define MAX_OUTPUT (2u * HOSTED_CAPACITY)
typedef struct queued_output {
	console_console_write_token token;
	bool answer;          /* a write's, whose session is still there: reply when written */
	idl_session *session; /* a write's */
	uint32_t size;
	uint8_t data[CONSOLE_MAX_WRITE];
} queued_output;
static pthread_mutex_t output = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t output_queued = PTHREAD_COND_INITIALIZER;
static pthread_cond_t output_written = PTHREAD_COND_INITIALIZER; /* the queue emptied */
static queued_output outputs[MAX_OUTPUT];
static uint32_t output_head, output_count;

/* The next free entry at the tail, or NULL when the queue is full. */
static queued_output *output_tail(void)
{
	if (output_count == MAX_OUTPUT)
		return NULL;
	return &outputs[(output_head + output_count) % MAX_OUTPUT];
}

static void output_push(queued_output *q, const uint8_t *data, uint32_t size)
{
	memcpy(q->data, data, size);
	q->size = size;
	output_count++;
	pthread_cond_signal(&output_queued);
}

static int console_write(idl_request *r, const console_console_write_request *req,
                         console_console_write_reply *reply, sys_errno *error)
{
	(void)reply;
	int err;
	pthread_mutex_lock(&output);
	queued_output *q = output_tail();
	if (q == NULL) {
		*error = SYS_ERRNO_TOO_MANY;
		err = IDL_E_REMOTE;
	} else {
		/* Answered by the writer once the bytes are out. */
		err = console_console_write_defer(r, &q->token);
		if (err == IDL_DEFERRED) {
			q->answer = true;
			q->session = r->session;
			output_push(q, req->data.data, req->data.size);
		}
	}
	pthread_mutex_unlock(&output);
	return err;
}

static int console_print(idl_request *r, const console_console_print_request *req)
{
	(void)r;
	pthread_mutex_lock(&output);
	queued_output *q = output_tail();
	if (q != NULL) { /* one-way: output that does not fit is dropped, as the .idl says */
		q->answer = false;
		q->session = NULL;
		output_push(q, req->data.data, req->data.size);
	}
	pthread_mutex_unlock(&output);
	return IDL_OK;
}

/* Writes all of data to stdout; 0, or the errno of the write that failed. */
static int write_all(const uint8_t *data, uint32_t size)
{
	while (size > 0) {
		ssize_t n = write(STDOUT_FILENO, data, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		data += n;
		size -= (uint32_t)n;
	}
	return 0;
}

/* The writer thread: the output queue to stdout, oldest first, for as
 * long as the process lives. */
static void *writer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&output);
		while (output_count == 0)
			pthread_cond_wait(&output_queued, &output);
		queued_output *q = &outputs[output_head];
		pthread_mutex_unlock(&output);
		int failed = write_all(q->data, q->size);
		pthread_mutex_lock(&output);
		if (q->answer) {
			int err;
			if (failed != 0) {
				err = console_console_write_reply_error(
				    &q->token, hosted_errno_from_host(failed));
			} else {
				console_console_write_reply reply = {.written = q->size};
				err = console_console_write_reply_ok(&q->token, &reply);
			}
			if (err != IDL_OK && err != IDL_E_PEER_CLOSED)
				fprintf(stderr, "idl-console-server: write reply: %s\n",
				        idl_error_name(err));
		}
		output_head = (output_head + 1) % MAX_OUTPUT;
		if (--output_count == 0)
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
static char pending[PENDING_BYTES];
static size_t pending_bytes;
static bool input_ended;
static int input_error; /* errno of a failed read of stdin, 0 if none */

/* The reads that wait for input, oldest first. */
#define MAX_WAITING (4u * HOSTED_CAPACITY)
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

/* Answers the waiting reads that can be, oldest first. */
static void answer_waiting(void)
{
	static char out[CONSOLE_MAX_READ];
	while (waiting_count > 0 && input_ready(waiting[0].max)) {
		waiting_read w = waiting[0];
		memmove(waiting, waiting + 1, --waiting_count * sizeof(waiting[0]));
		int err;
		if (input_error != 0 && pending_bytes == 0) {
			err = console_console_read_reply_error(&w.token,
			                                       hosted_errno_from_host(input_error));
		} else {
			console_console_read_reply reply = {.data = {.data = (const uint8_t *)out}};
			reply.data.size = take(out, w.max);
			err = console_console_read_reply_ok(&w.token, &reply);
		}
		if (err != IDL_OK && err != IDL_E_PEER_CLOSED)
			fprintf(stderr, "idl-console-server: read reply: %s\n",
			        idl_error_name(err));
	}
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
	} else if (waiting_count == MAX_WAITING) {
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
 * has stopped taking it for `seconds`. */
static void finish_output(int seconds)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	int waited = 0;
	pthread_mutex_lock(&output);
	while (output_count > 0 && waited != ETIMEDOUT)
		waited = pthread_cond_timedwait(&output_written, &output, &deadline);
	pthread_mutex_unlock(&output);
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
	for (uint32_t i = 0; i < output_count; i++) {
		queued_output *q = &outputs[(output_head + i) % MAX_OUTPUT];
		if (q->answer && q->session == session)
			q->answer = false;
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
		answer_waiting();
		pthread_mutex_unlock(&input);
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
	idl_linux_server_stop_on_signals(&ls);
	fprintf(stderr, "idl-console-server: serving \"%s\"\n", name);
	err = idl_linux_server_run(&ls);
	if (err != IDL_OK)
		fprintf(stderr, "idl-console-server: %s\n", idl_error_name(err));
	finish_output(2);
	idl_linux_server_close(&ls);
	return err == IDL_OK ? 0 : 1;
}
