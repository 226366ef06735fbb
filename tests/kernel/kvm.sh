#!/bin/sh
# Boots the demo, fault and hostile images and a shell session on the disk
# under KVM where this machine has hardware virtualization
# (kernel-stubs/hwvirt.sh); elsewhere it reports itself skipped (exit 77,
# ctest's SKIP_RETURN_CODE) with the reason.
#
#   kvm.sh IMAGES_DIR TESTS_DIR
set -u
images=$1
tests=$2
here=$(dirname "$0")
if ! why=$("$here/../../kernel-stubs/hwvirt.sh"); then
	echo "SKIPPED: no KVM here: $why"
	exit 77
fi
export BOOT_KVM=1
bad=0
for image in demo faults hostile; do
	iso=$images/idlk-$image.iso
	input=$tests/$image.input
	[ -f "$input" ] || input=$tests/demo.input
	echo "== $image under KVM"
	sh "$here/boot.sh" "$iso" "$tests/$image.expected" "$input" || bad=1
done
echo "== a shell session under KVM"
sh "$here/shell_test.sh" "$images/.." session || bad=1
exit "$bad"
