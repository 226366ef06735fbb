# Whether this machine has what the reference kernel's build needs: clang and
# lld for the freestanding x86-64 target, grub-mkrescue (with xorriso and
# mtools) for the image, mkfs.fat for the disk. The top-level IDLC_KERNEL
# option defaults to this.
find_program(IDLC_KERNEL_CLANG clang)
find_program(IDLC_KERNEL_LLD ld.lld)
find_program(IDLC_KERNEL_GRUB grub-mkrescue)
find_program(IDLC_KERNEL_XORRISO xorriso)
find_program(IDLC_KERNEL_MFORMAT mformat)
find_program(IDLC_KERNEL_MKFS_FAT mkfs.fat PATHS /usr/sbin /sbin)
if(IDLC_KERNEL_CLANG AND IDLC_KERNEL_LLD AND IDLC_KERNEL_GRUB AND IDLC_KERNEL_XORRISO
   AND IDLC_KERNEL_MFORMAT AND IDLC_KERNEL_MKFS_FAT AND EXISTS /usr/lib/grub/i386-pc)
  set(IDLC_KERNEL_TOOLS_FOUND ON)
else()
  set(IDLC_KERNEL_TOOLS_FOUND OFF)
endif()
