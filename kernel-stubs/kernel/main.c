/*
 * main.c: kmain, the boot sequence, each step needing the ones before it:
 * the serial line for reports, the boot information for memory, memory for
 * page tables, page tables for everything else; then the CPU tables, the
 * interrupt controller and timer, the system-call entry, and the first user
 * process, init, started from the boot module of that name with the whole
 * machine as its limits and every device resource as its handles 0-3.
 */
#include "syscall.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289

void kmain(uint32_t magic, uint32_t mbi_phys)
{
	serial_init();
	kprintf("idlk: booting, long mode, Multiboot2 info at %x\n", mbi_phys);
	if (magic != MB2_BOOTLOADER_MAGIC)
		panic("not started by a Multiboot2 loader");
	bootinfo_parse(mbi_phys);
	pmm_init();
	vm_init();
	proc_init();
	gdt_init();
	trap_init();
	pic_init();
	clock_init();
	syscall_init();
	for (size_t i = 0; i < bootinfo.nmodules; i++)
		kprintf("module %s: %lu bytes\n", bootinfo.modules[i].cmdline,
		        bootinfo.modules[i].end - bootinfo.modules[i].start);
	int64_t pid = spawn_init();
	if (pid < 0)
		panic("cannot start init");
	kprintf("idlk: init is process %ld; starting the scheduler\n", pid);
	scheduler();
}
