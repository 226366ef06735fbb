/*
 * serial.c: the kernel's own output, polled, on COM1. It carries the debug
 * log and fault reports only; the console server owns the UART for everything
 * else and drives it by interrupts. Both write the transmit register, which is
 * safe: a byte is written only once the holding register is empty, and the
 * kernel (which runs with interrupts off) leaves it empty.
 */
#include "defs.h"
#include "x86.h"

#define COM1 0x3f8

void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts until the console server asks */
	outb(COM1 + 3, 0x80); /* DLAB on */
	outb(COM1 + 0, 0x01); /* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1, DLAB off */
	/* FIFOs stay off: turning them on or off clears bytes already received,
	 * and the console server must see every byte typed since power-on. */
	outb(COM1 + 2, 0x00);
	outb(COM1 + 4, 0x0b); /* DTR, RTS, OUT2 (OUT2 gates the IRQ line) */
}

/* Waits until the transmit holding register is empty. Bounded (about a
 * second of polls under TCG) only so that a UART that never drains cannot
 * hang the kernel: a byte written before is overwritten, and lost. */
static void wait_until_empty(void)
{
	for (uint32_t i = 0; i < (1u << 24) && !(inb(COM1 + 5) & 0x20); i++)
		;
}

/* Also waits for the byte to leave the register before returning: the
 * console server may have seen the register empty just before this thread
 * ran in the kernel, and writes as soon as it runs again. */
void serial_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	wait_until_empty();
	outb(COM1, (uint8_t)c);
	wait_until_empty();
}

void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		serial_putc(s[i]);
}
