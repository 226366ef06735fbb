/*
 * stdio.c: the libc shim's stdio. printf formats into a line buffer that is
 * flushed at each newline (or when full) through the backend: the console
 * client (console_client.c) once a program connected, else the kernel's
 * debug log. Formats: %d %i %u %x %o %p %s %c %%, with l and z size modifiers,
 * a field width, and the flags - (left-justify) and 0 (pad numbers with 0).
 */
#include "posix.h"
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

/* Writes v in base into digits (backwards from its end); returns the count. */
static int format_number(char *end, uint64_t v, unsigned base)
{
	int n = 0;
	do {
		*--end = "0123456789abcdef"[v % base];
		v /= base;
		n++;
	} while (v);
	return n;
}

/* How a conversion is written: %[-][0][width][.precision][l|z]c, where
 * width and precision may be '*'; the precision is the most characters of
 * a %s (strings need no terminator within it), and numbers ignore it. */
struct spec {
	bool left, zero;
	int width;
	int precision; /* -1: none */
};

/* Emits text (len bytes) padded to the field's width; a leading '-' of a
 * zero-padded number stays in front of the zeros. */
static void emit_field(struct sink *s, const char *text, int len, const struct spec *sp,
                       bool numeric)
{
	int pad = sp->width > len ? sp->width - len : 0;
	if (!sp->left && sp->zero && numeric) {
		if (len > 0 && text[0] == '-') {
			emit(s, '-');
			text++;
			len--;
		}
		while (pad-- > 0)
			emit(s, '0');
	}
	while (!sp->left && pad-- > 0)
		emit(s, ' ');
	for (int i = 0; i < len; i++)
		emit(s, text[i]);
	while (sp->left && pad-- > 0)
		emit(s, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = {buf, size, 0};
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			emit(&s, *fmt);
			continue;
		}
		struct spec sp = {false, false, 0, -1};
		for (;; fmt++) {
			if (fmt[1] == '-')
				sp.left = true;
			else if (fmt[1] == '0')
				sp.zero = true;
			else
				break;
		}
		if (fmt[1] == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.left = true;
				sp.width = -sp.width;
			}
			fmt++;
		}
		while (fmt[1] >= '0' && fmt[1] <= '9' && sp.width < 1000)
			sp.width = sp.width * 10 + (*++fmt - '0');
		if (fmt[1] == '.') {
			fmt++;
			sp.precision = 0;
			if (fmt[1] == '*') {
				sp.precision = va_arg(ap, int);
				fmt++;
			}
			while (fmt[1] >= '0' && fmt[1] <= '9' && sp.precision < 100000)
				sp.precision = sp.precision * 10 + (*++fmt - '0');
		}
		int longs = 0;
		while (fmt[1] == 'l' || fmt[1] == 'z') {
			longs = 1;
			fmt++;
		}
		char digits[24], *end = digits + sizeof(digits);
		int n;
		switch (*++fmt) {
		case 'd':
		case 'i': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			n = format_number(end, v < 0 ? -(uint64_t)v : (uint64_t)v, 10);
			if (v < 0)
				*(end - ++n) = '-';
			emit_field(&s, end - n, n, &sp, true);
			break;
		}
		case 'u':
			n = format_number(end, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned),
			                  10);
			emit_field(&s, end - n, n, &sp, true);
			break;
		case 'x':
		case 'o':
			n = format_number(end, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned),
			                  *fmt == 'x' ? 16 : 8);
			emit_field(&s, end - n, n, &sp, true);
			break;
		case 'p':
			n = format_number(end, (uint64_t)va_arg(ap, void *), 16);
			*(end - ++n) = 'x';
			*(end - ++n) = '0';
			emit_field(&s, end - n, n, &sp, false);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			int len = 0;
			while ((sp.precision < 0 || len < sp.precision) && str[len])
				len++;
			emit_field(&s, str, len, &sp, false);
			break;
		}
		case 'c':
			digits[0] = (char)va_arg(ap, int);
			emit_field(&s, digits, 1, &sp, false);
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

/* Descriptors 1 and 2 (files.c): bytes to the console, line-buffered. */
void stdio_write(const void *buf, size_t count)
{
	const char *p = buf;
	for (size_t i = 0; i < count; i++)
		put(p[i]);
}

/* Descriptor 0: what the console gives, a line at a time. */
long console_read(void *buf, size_t count)
{
	fflush_stdout();
	if (!backend.read) {
		errno = ENOSYS;
		return -1;
	}
	long n = backend.read(backend.ctx, buf, count);
	if (n < 0) {
		errno = EIO;
		return -1;
	}
	return n;
}

int puts(const char *s)
{
	while (*s)
		put(*s++);
	put('\n');
	return 0;
}

/* Reads one line (canonical console) into buf and NUL-terminates it;
 * returns its length, which tells a NUL byte typed in the line from the end,
 * or -1 on error. */
long read_stdin_line(char *buf, size_t size)
{
	fflush_stdout();
	if (!backend.read || size < 2)
		return -1;
	long n = backend.read(backend.ctx, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

/* The same, for callers that want a string; NULL on error. */
char *fgets_stdin(char *buf, int size)
{
	return size > 0 && read_stdin_line(buf, (size_t)size) >= 0 ? buf : NULL;
}
