/*
 * console_server.c: the console server. It drives the 16550 UART on COM1
 * from user space, publishes itself as "console" and serves idl/console.idl
 * to every program that looks it up, with the dispatcher idlc generated.
 * Its handle 1 is the right to the UART's 8 I/O ports, its handle 2 the
 * right to IRQ 4 (handle 0 is its channel to the directory): init gives it
 * nothing else, so it cannot touch any other device. The kernel knows
 * nothing of consoles.
 *
 * Two threads. The input thread waits for the UART's interrupt, reads the
 * received bytes, echoes and edits them (erase, kill) and publishes whole
 * lines (or, outside canonical mode, single bytes) into the input ring. The
 * serving thread runs the runtime's server loop: writes go straight to the
 * UART (polled; output is fast enough not to need the transmit interrupt),
 * a read takes from the input ring when a line is there, and otherwise
 * takes its reply with it (a deferred reply), which the input thread sends
 * once it has published a line; meanwhile the server goes on serving. Both
 * threads write to the UART; a lock keeps each write request, and each
 * echo, in one piece.
 */
#include "console.h"
#include "kserve.h"

#define COM1     0x3f8
#define UART_RBR (COM1 + 0) /* receive buffer */
#define UART_THR (COM1 + 0) /* transmit holding */
#define UART_IER (COM1 + 1)
#define UART_FCR (COM1 + 2)
#define UART_LSR (COM1 + 5)
#define LSR_DATA 0x01
#define LSR_THRE 0x20
#define COM1_IRQ 4

/* The handles init passes (init.c): 0 is the directory. */
#define PORTS_HANDLE 1
#define IRQ_HANDLE   2

#define INPUT_BYTES 4096u /* a power of two */
#define LINE_BYTES  256u

static _Atomic uint32_t mode =
    CONSOLE_MODE_ECHO | CONSOLE_MODE_CANONICAL | CONSOLE_MODE_TRANSLATE_NEWLINE;

/* The input ring: the input thread writes bytes and in_head; in_tail moves
 * under input_lock (below); each index has one writer at a time. */
static uint8_t in_buf[INPUT_BYTES];
static _Atomic uint32_t in_head, in_tail;

static _Atomic uint32_t uart_lock_word; /* 0 free, 1 held */

static void uart_lock(void)
{
	while (atomic_exchange(&uart_lock_word, 1) != 0)
		idlk_futex_wait((const volatile uint32_t *)&uart_lock_word, 1, 0);
}

static void uart_unlock(void)
{
	atomic_store(&uart_lock_word, 0);
	idlk_futex_wake((const volatile uint32_t *)&uart_lock_word, 1);
}

/* The caller holds the UART lock. */
static void uart_putc(uint8_t c)
{
	while (!(inb(UART_LSR) & LSR_THRE))
		;
	outb(UART_THR, c);
}

/* The caller holds the UART lock. */
static void uart_write(const uint8_t *p, size_t n)
{
	bool translate = atomic_load(&mode) & CONSOLE_MODE_TRANSLATE_NEWLINE;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && translate)
			uart_putc('\r');
		uart_putc(p[i]);
	}
}

/* Input thread: publishes n bytes, dropping what does not fit. */
static void publish(const uint8_t *p, size_t n)
{
	uint32_t head = atomic_load_explicit(&in_head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&in_tail, memory_order_acquire);
	for (size_t i = 0; i < n && head - tail < INPUT_BYTES; i++)
		in_buf[head++ % INPUT_BYTES] = p[i];
	atomic_store_explicit(&in_head, head, memory_order_release);
}

/* A line typed past LINE_BYTES - 1: what follows is dropped, and at its
 * end the whole line is, with a word on the console. Half a line handed to
 * a shell could be another command (a path cut short). Input thread only. */
static bool overlong;

/* In a line, a control character other than a tab is echoed as a caret and
 * a letter (^@ for NUL, ^[ for escape), as terminals show them: written
 * as it is, it would be invisible or move the cursor. */
static bool shown_as_caret(uint8_t c)
{
	return c < 0x20 && c != '\t';
}

static void echo_typed(uint8_t c)
{
	if (shown_as_caret(c)) {
		uint8_t shown[2] = {'^', (uint8_t)(c + 0x40)};
		uart_write(shown, 2);
	} else {
		uart_putc(c);
	}
}

/* Takes one typed character off the screen: two columns for a caret form. */
static void echo_erase(uint8_t c)
{
	uart_write((const uint8_t *)"\b \b", 3);
	if (shown_as_caret(c))
		uart_write((const uint8_t *)"\b \b", 3);
}

/* Edits the line being typed and echoes; the caller holds the UART lock. */
static void input_byte(uint8_t c, uint8_t *line, size_t *len)
{
	uint32_t m = atomic_load(&mode);
	bool echo = m & CONSOLE_MODE_ECHO;
	if (!(m & CONSOLE_MODE_CANONICAL)) {
		if (echo)
			uart_putc(c);
		publish(&c, 1);
		return;
	}
	if (c == '\r' || c == '\n') {
		if (echo)
			uart_write((const uint8_t *)"\n", 1);
		if (overlong) {
			_Static_assert(LINE_BYTES == 256u, "the note names the longest line");
			static const char note[] = "console: line longer than 255 bytes; dropped\n";
			uart_write((const uint8_t *)note, sizeof(note) - 1);
			line[0] = '\n';
			*len = 1; /* an empty line: the reader gets its prompt back */
			overlong = false;
		} else {
			line[(*len)++] = '\n';
		}
		publish(line, *len);
		*len = 0;
	} else if (c == 0x7f || c == 0x08) { /* erase */
		if (*len > 0) {
			(*len)--;
			if (echo)
				echo_erase(line[*len]);
		}
	} else if (c == 0x15) { /* kill the line */
		for (; *len > 0; (*len)--)
			if (echo)
				echo_erase(line[*len - 1]);
		overlong = false;
	} else if (*len < LINE_BYTES - 1) {
		line[(*len)++] = c;
		if (echo)
			echo_typed(c);
	} else {
		overlong = true;
	}
}

static void answer_waiting_read(void);

/* Room in the input ring for one more whole line. Below it the input
 * thread leaves bytes in the UART, whose FIFO then fills and holds the
 * sender back (QEMU stops reading what is piped into it), rather than
 * drop them: input piped faster than a shell reads it used to lose lines
 * and splice others together. */
static bool room_for_a_line(void)
{
	uint32_t head = atomic_load_explicit(&in_head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&in_tail, memory_order_acquire);
	return head - tail <= INPUT_BYTES - LINE_BYTES;
}

static void input_thread(void *arg)
{
	(void)arg;
	static uint8_t line[LINE_BYTES];
	size_t len = 0;
	for (;;) {
		/* Drain first: bytes that came before the first wait raise no new edge. */
		uart_lock();
		while (room_for_a_line() && (inb(UART_LSR) & LSR_DATA))
			input_byte(inb(UART_RBR), line, &len);
		uart_unlock();
		answer_waiting_read();
		if (!room_for_a_line()) {
			/* Until a reader takes some (take_input wakes us), and look
			 * again now and then all the same. */
			uint32_t tail = atomic_load_explicit(&in_tail, memory_order_acquire);
			if (!room_for_a_line())
				idlk_futex_wait((volatile uint32_t *)&in_tail, tail, 100000000u);
			continue;
		}
		long err = idlk_irq_wait(IRQ_HANDLE);
		if (err < 0) {
			printf("console: irq_wait failed: %ld\n", err);
			idlk_thread_exit();
		}
	}
}

/* Serving thread: whether a read could return now. */
static bool input_ready(void)
{
	uint32_t tail = atomic_load_explicit(&in_tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&in_head, memory_order_acquire);
	if (!(atomic_load(&mode) & CONSOLE_MODE_CANONICAL))
		return head != tail;
	for (uint32_t i = tail; i != head; i++)
		if (in_buf[i % INPUT_BYTES] == '\n')
			return true;
	return false;
}

static int on_write(idl_request *r, const console_console_write_request *req,
                    console_console_write_reply *reply, sys_errno *error)
{
	(void)r, (void)error;
	uart_lock();
	uart_write(req->data.data, req->data.size);
	uart_unlock();
	reply->written = req->data.size;
	return IDL_OK;
}

static int on_print(idl_request *r, const console_console_print_request *req)
{
	(void)r;
	uart_lock();
	uart_write(req->data.data, req->data.size);
	uart_unlock();
	return IDL_OK;
}

/* One consumer of the input ring at a time: the serving thread answering a
 * read, or the input thread answering the read that waits. */
static idl_lock input_lock;

/* Takes up to max bytes (one line in canonical mode) from the input ring. */
static uint32_t take_input(uint8_t *out, uint32_t max)
{
	idl_lock_take(&input_lock);
	bool canonical = atomic_load(&mode) & CONSOLE_MODE_CANONICAL;
	uint32_t tail = atomic_load_explicit(&in_tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&in_head, memory_order_acquire);
	uint32_t n = 0;
	while (tail != head && n < max && n < CONSOLE_MAX_READ) {
		uint8_t c = in_buf[tail++ % INPUT_BYTES];
		out[n++] = c;
		if (canonical && c == '\n')
			break;
	}
	atomic_store_explicit(&in_tail, tail, memory_order_release);
	idlk_futex_wake((volatile uint32_t *)&in_tail, 1); /* room for the input thread */
	idl_lock_give(&input_lock);
	return n;
}

/* The read that waits for input, and whether it still does: whoever turns
 * `waiting` from 1 to 0 answers it. */
static console_console_read_token waiting_read;
static uint32_t waiting_max;
static idl_session *waiting_session;
static _Atomic uint32_t waiting;

/* Answers the read that waits if input is there. The input thread calls it
 * after each publication, the serving thread right after it deferred. */
static void answer_waiting_read(void)
{
	static uint8_t out[CONSOLE_MAX_READ];
	uint32_t armed = 1;
	if (!input_ready() || !atomic_compare_exchange_strong(&waiting, &armed, 0))
		return;
	console_console_read_reply reply = {.data = {.data = out}};
	reply.data.size = take_input(out, waiting_max);
	int err = console_console_read_reply_ok(&waiting_read, &reply);
	if (err != IDL_OK && err != IDL_E_PEER_CLOSED)
		printf("console: read reply failed: %s\n", idl_error_name(err));
}

static int on_read(idl_request *r, const console_console_read_request *req,
                   console_console_read_reply *reply, sys_errno *error)
{
	static uint8_t out[CONSOLE_MAX_READ];
	if (atomic_load(&waiting)) {
		*error = SYS_ERRNO_BUSY; /* one read waits at a time */
		return IDL_E_REMOTE;
	}
	if (input_ready()) {
		reply->data.size = take_input(out, req->max);
		reply->data.data = out;
		return IDL_OK;
	}
	if (atomic_load(&mode) & CONSOLE_MODE_NON_BLOCKING) {
		*error = SYS_ERRNO_WOULD_BLOCK;
		return IDL_E_REMOTE;
	}
	/* Nothing yet: the reply goes with the token, and the server goes on. */
	int err = console_console_read_defer(r, &waiting_read);
	if (err != IDL_DEFERRED)
		return err;
	waiting_max = req->max;
	waiting_session = r->session;
	atomic_store(&waiting, 1);
	/* A line published before `waiting` was set found no read waiting. */
	answer_waiting_read();
	return IDL_DEFERRED;
}

static int on_get_mode(idl_request *r, const console_console_get_mode_request *req,
                       console_console_get_mode_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)error;
	reply->mode = atomic_load(&mode);
	return IDL_OK;
}

static int on_set_mode(idl_request *r, const console_console_set_mode_request *req,
                       console_console_set_mode_reply *reply, sys_errno *error)
{
	(void)r, (void)reply, (void)error;
	atomic_store(&mode, req->mode); /* the decoder rejected undeclared bits */
	return IDL_OK;
}

static int on_get_size(idl_request *r, const console_console_get_size_request *req,
                       console_console_get_size_reply *reply, sys_errno *error)
{
	(void)r, (void)req, (void)error;
	reply->size.present = false; /* a serial line has no size */
	return IDL_OK;
}

static const console_console_handlers handlers = {
    .write = on_write,
    .print = on_print,
    .read = on_read,
    .get_mode = on_get_mode,
    .set_mode = on_set_mode,
    .get_size = on_get_size,
};

/* A session that ends with its read waiting takes the token with it. */
static void session_closed(void *ctx, idl_session *session, int reason)
{
	(void)ctx, (void)reason;
	if (waiting_session == session)
		atomic_store(&waiting, 0);
}

static kserver server;

int umain(const char *args, long nhandles)
{
	(void)args;
	struct idlk_handle_info ports, irq;
	/* Check that the resources are the UART's before using them. */
	if (nhandles < 3 || idlk_handle_info(PORTS_HANDLE, &ports) != IDLK_HANDLE_IOPORT ||
	    ports.base != COM1 || ports.size != 8 ||
	    idlk_handle_info(IRQ_HANDLE, &irq) != IDLK_HANDLE_IRQ || irq.base != COM1_IRQ ||
	    irq.size != 1 || idlk_ioport(PORTS_HANDLE) < 0) {
		printf("console: no access to the UART\n");
		return 1;
	}
	/* No FIFO: enabling it would clear bytes already received (16450 mode is
	 * enough at this speed). Interrupt on received data only. */
	outb(UART_FCR, 0);
	outb(UART_IER, 0x01);
	if (thread_spawn(input_thread, NULL, 16384) < 0) {
		printf("console: cannot start the input thread\n");
		return 1;
	}
	if (kserve_init(&server, KSERVE_MAX_SESSIONS) != IDL_OK ||
	    kserve_add_interface(&server, &console_console_interface, &handlers, NULL) != IDL_OK) {
		printf("console: cannot set up serving\n");
		return 1;
	}
	kserve_set_sessions(&server, NULL, session_closed, NULL);
	int err = kserve_publish(&server, "console");
	if (err != IDL_OK) {
		printf("console: cannot publish: %s\n", idl_error_name(err));
		return 1;
	}
	printf("console: serving idl/console.idl on COM1 (IRQ %d)\n", COM1_IRQ);
	kserve_run(&server);
	return 0;
}
