/*
 * bootinfo.c: reads the Multiboot2 boot information GRUB leaves in memory
 * (the memory map and the boot modules) into static tables, once, before
 * anything allocates memory; nothing reads the original afterwards.
 */
#include "defs.h"

#define MB2_TAG_END       0
#define MB2_TAG_MODULE    3
#define MB2_TAG_MEMMAP    6
#define MB2_MEM_AVAILABLE 1

struct bootinfo bootinfo;

static void add_range(uint64_t base, uint64_t len)
{
	if (bootinfo.nram == ARRAY_LEN(bootinfo.ram))
		return; /* more fragments than we track: the rest stays unused */
	bootinfo.ram[bootinfo.nram].base = base;
	bootinfo.ram[bootinfo.nram].end = base + len;
	bootinfo.nram++;
}

static void add_module(uint32_t start, uint32_t end, const char *cmdline)
{
	if (bootinfo.nmodules == ARRAY_LEN(bootinfo.modules))
		panic("too many boot modules");
	struct bootmodule *m = &bootinfo.modules[bootinfo.nmodules++];
	m->start = start;
	m->end = end;
	size_t n = strlen(cmdline);
	if (n >= sizeof(m->cmdline))
		n = sizeof(m->cmdline) - 1;
	memcpy(m->cmdline, cmdline, n);
	m->cmdline[n] = 0;
}

void bootinfo_parse(uint64_t mbi_phys)
{
	/* boot.S maps the first 1 GiB at PHYS_BASE; GRUB puts the info low. */
	KASSERT(mbi_phys < (1ull << 30));
	const uint8_t *mbi = P2V(mbi_phys);
	uint32_t total = *(const uint32_t *)mbi;
	bootinfo.mbi_start = mbi_phys;
	bootinfo.mbi_end = mbi_phys + total;
	for (uint32_t off = 8; off + 8 <= total;) {
		const uint32_t *tag = (const uint32_t *)(mbi + off);
		uint32_t type = tag[0], size = tag[1];
		if (type == MB2_TAG_END)
			break;
		if (type == MB2_TAG_MEMMAP) {
			uint32_t entry_size = tag[2];
			for (uint32_t e = 16; e + 24 <= size; e += entry_size) {
				const uint8_t *ent = (const uint8_t *)tag + e;
				uint64_t base = *(const uint64_t *)ent;
				uint64_t len = *(const uint64_t *)(ent + 8);
				uint32_t kind = *(const uint32_t *)(ent + 16);
				if (kind == MB2_MEM_AVAILABLE)
					add_range(base, len);
			}
		} else if (type == MB2_TAG_MODULE) {
			add_module(tag[2], tag[3], (const char *)&tag[4]);
		}
		off += (size + 7) & ~7u;
	}
}
