#!/bin/sh
# Whether this machine can run the reference kernel under KVM. Exits 0 when
# it can; otherwise prints why not on one line and exits 1.
#
# A /dev/kvm alone is not enough. Some cloud machines have one backed by
# kvm_pvm, a software hypervisor without hardware virtualization (no vmx or
# svm CPU flag), whose SYSCALL jumps to the kernel's entry point without
# switching to kernel privilege: the first system call of init then faults in
# user mode. The kernel is right and that hypervisor is not, so the answer
# there is TCG, not a kernel that bends around it.
if ! grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null; then
	echo "the CPU has no hardware virtualization (neither vmx nor svm in /proc/cpuinfo)"
	exit 1
fi
if [ -d /sys/module/kvm_pvm ]; then
	echo "/dev/kvm is kvm_pvm, a software hypervisor whose SYSCALL keeps user privilege"
	exit 1
fi
if [ ! -w /dev/kvm ]; then
	echo "/dev/kvm is missing or not writable by $(id -un)"
	exit 1
fi
exit 0
