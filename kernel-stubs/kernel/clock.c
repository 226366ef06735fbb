/*
 * clock.c: the 8254 PIT as the only time source: channel 0 interrupts at
 * TICK_HZ, which drives preemption and timeouts and counts monotonic time.
 * The clock's resolution is therefore one tick (1 ms).
 */
#include "defs.h"
#include "x86.h"

#define PIT_HZ 1193182

static volatile uint64_t ticks;

void clock_init(void)
{
	uint16_t divisor = (PIT_HZ + TICK_HZ / 2) / TICK_HZ;
	outb(0x43, 0x34); /* channel 0, lobyte/hibyte, rate generator */
	outb(0x40, (uint8_t)divisor);
	outb(0x40, (uint8_t)(divisor >> 8));
	pic_unmask(0);
}

void clock_tick(void)
{
	ticks++;
}

uint64_t clock_ns(void)
{
	return ticks * (1000000000ull / TICK_HZ);
}

uint64_t clock_ticks(void)
{
	return ticks;
}
