/*
 * pic.c: the two 8259 interrupt controllers, remapped to vectors 32-47. Only
 * the timer and the lines that user-space drivers wait on are unmasked. A
 * line given to user space is masked from its interrupt until its driver
 * calls irq_wait again: that is how the driver acknowledges it.
 */
#include "defs.h"
#include "x86.h"

#define PIC1 0x20
#define PIC2 0xa0

static uint16_t mask = 0xffff;

static void write_mask(void)
{
	outb(PIC1 + 1, (uint8_t)mask);
	outb(PIC2 + 1, (uint8_t)(mask >> 8));
}

void pic_init(void)
{
	outb(PIC1, 0x11); /* ICW1: init, ICW4 follows */
	outb(PIC2, 0x11);
	outb(PIC1 + 1, IRQ_VECTOR_BASE);
	outb(PIC2 + 1, IRQ_VECTOR_BASE + 8);
	outb(PIC1 + 1, 0x04); /* the slave sits on line 2 */
	outb(PIC2 + 1, 0x02);
	outb(PIC1 + 1, 0x01); /* 8086 mode */
	outb(PIC2 + 1, 0x01);
	mask = 0xffff & ~(1u << 2);
	write_mask();
}

void pic_unmask(int irq)
{
	mask &= ~(1u << irq);
	write_mask();
}

void pic_mask(int irq)
{
	mask |= 1u << irq;
	write_mask();
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2, 0x20);
	outb(PIC1, 0x20);
}
