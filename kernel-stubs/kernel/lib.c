/*
 * lib.c: kprintf onto the serial line, and panic. (The string functions are
 * lib/string.c, shared with user space.)
 */
#include "defs.h"
#include "x86.h"
#include <stdarg.h>

static void put_number(uint64_t v, unsigned base, int width)
{
	char buf[24];
	int i = 0;
	do {
		buf[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i < width)
		buf[i++] = '0';
	while (i)
		serial_putc(buf[--i]);
}

/* Formats %d %u %x %p %s %c, with an optional l (64-bit) before d, u, x. */
void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		int is_long = 0;
		if (*++fmt == 'l') {
			is_long = 1;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			int64_t v = is_long ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (v < 0) {
				serial_putc('-');
				v = -v;
			}
			put_number((uint64_t)v, 10, 0);
			break;
		}
		case 'u':
			put_number(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, 0);
			break;
		case 'x':
			put_number(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, 0);
			break;
		case 'p':
			serial_write("0x", 2);
			put_number(va_arg(ap, uint64_t), 16, 16);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			serial_write(s, strlen(s));
			break;
		}
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		default:
			serial_putc('%');
			serial_putc(*fmt);
			break;
		}
	}
	va_end(ap);
}

/*
 * A kernel bug: report it and stop the machine. Under QEMU the debug-exit
 * device turns the stop into exit status 3, which no test accepts.
 */
_Noreturn void panic(const char *why)
{
	kprintf("\nkernel panic: %s\n", why);
	qemu_exit(QEMU_EXIT_PANIC);
}

_Noreturn void qemu_exit(uint8_t code)
{
	outb(0xf4, code);
	halt_forever();
}
