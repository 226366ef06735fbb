/*
 * stdio.c: the libc shim's stdio. printf formats into a line buffer that is
 * flushed at each newline (or when full) through the backend: the console
 * client (console_client.c) once a program connected, else the kernel's
 * debug log. Formats: %d %i %u %x %p %s %c %%, with l and z size modifiers.
 */
#include "ulib.h"

static long debug_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return idlk_debug_log(buf, n);
}

static stdio_backend backend = {debug_write, NULL, NULL};
static char out[256];
static size_t out_len;

void stdio_set_backend(const stdio_backend *b)
{
	fflush_stdout();
	backend = *b;
}

void fflush_stdout(void)
{
	size_t done = 0;
	while (done < out_len) {
		long n = backend.write(backend.ctx, out + done, out_len - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	out_len = 0;
}

static void put(char c)
{
	out[out_len++] = c;
	if (c == '\n' || out_len == sizeof(out))
		fflush_stdout();
}

struct sink {
	char *buf;
	size_t size, len;
};

static void emit(struct sink *s, char c)
{
	if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void emit_number(struct sink *s, uint64_t v, unsigned base, int min_digits)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n < min_digits)
		digits[n++] = '0';
	while (n)
		emit(s, digits[--n]);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = {buf, size, 0};
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			emit(&s, *fmt);
			continue;
		}
		int longs = 0;
		while (fmt[1] == 'l' || fmt[1] == 'z') {
			longs = 1;
			fmt++;
		}
		switch (*++fmt) {
		case 'd':
		case 'i': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (v < 0)
				emit(&s, '-');
			emit_number(&s, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, 0);
			break;
		}
		case 'u':
			emit_number(&s, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, 0);
			break;
		case 'x':
			emit_number(&s, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, 0);
			break;
		case 'p':
			emit(&s, '0');
			emit(&s, 'x');
			emit_number(&s, (uint64_t)va_arg(ap, void *), 16, 1);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			while (*str)
				emit(&s, *str++);
			break;
		}
		case 'c':
			emit(&s, (char)va_arg(ap, int));
			break;
		case '%':
			emit(&s, '%');
			break;
		default:
			return -1;
		}
	}
	if (size)
		buf[s.len < size ? s.len : size - 1] = 0;
	return (int)s.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (int i = 0; i < n && i < (int)sizeof(buf) - 1; i++)
		put(buf[i]);
	return n;
}

int puts(const char *s)
{
	while (*s)
		put(*s++);
	put('\n');
	return 0;
}

/* Reads one line (canonical console) into buf, NUL-terminated; NULL on error. */
char *fgets_stdin(char *buf, int size)
{
	fflush_stdout();
	if (!backend.read || size < 2)
		return NULL;
	long n = backend.read(backend.ctx, buf, (size_t)size - 1);
	if (n < 0)
		return NULL;
	buf[n] = 0;
	return buf;
}
