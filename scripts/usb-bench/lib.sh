# Shared settings for the USB bench scripts (sourced, not run).
# The bench lives outside the repo: a Debian kernel, its modules and an
# initramfs, all under one cache directory that the scripts can rebuild.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_REPO=$(cd "$BENCH_DIR/../.." && pwd)
BENCH_CACHE=${FLASHDATA_BENCH_CACHE:-$HOME/.cache/flashdata-usb-bench}
BENCH_KERNEL=$BENCH_CACHE/kernel          # dpkg -x of the kernel package
BENCH_READY=$BENCH_CACHE/ready.env        # written last by prepare.sh

# Exit code meaning "this machine cannot run the bench", with a reason on
# stderr; automake's SKIP code, so CI can tell it from a failure.
BENCH_SKIP=77
# Exit code of run.sh when the VM itself failed (no result from the guest).
BENCH_VM_FAILED=125

# Host packages: qemu boots the VM; the guest runs the host's own binaries
# (its root is the host root over 9p), so dfu-util and usbutils are needed here.
BENCH_PACKAGES="qemu-system-x86 busybox-static dfu-util usbutils cpio kmod xz-utils udev"

say() { printf 'usb-bench: %s\n' "$*" >&2; }
skip() { say "skipped: $*"; exit "$BENCH_SKIP"; }
die() { say "error: $*"; exit 1; }
