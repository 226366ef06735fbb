/*
 * program.c: what the broken ELF files of the hostile test carry. The
 * kernel must refuse every one of them at spawn; if it ever runs, it says so.
 * The section .evil is what each linker script here puts where it must not be.
 */
#include "ulib.h"

__attribute__((section(".evil"), used)) static const char evil[4096] = "never loaded";

int umain(const char *args, long nhandles)
{
	(void)nhandles;
	printf("hostile-elf: the kernel loaded a broken program (%s)\n", args);
	return 1;
}
