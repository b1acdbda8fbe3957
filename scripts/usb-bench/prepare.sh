#!/usr/bin/env bash
# Prepare the real-USB bench: host packages, a Debian kernel with dummy_hcd
# and GadgetFS (bookworm-backports 6.12 on a bookworm host), its modules and
# an initramfs. Everything is cached in $FLASHDATA_BENCH_CACHE (default
# ~/.cache/flashdata-usb-bench); a second run only checks and returns.
#
# Exit codes: 0 ready, 77 this machine cannot run the bench (reason on
# stderr), anything else a failure. Options: --refresh re-downloads the kernel.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

refresh=0
[ "${1:-}" = --refresh ] && refresh=1

check_host() {
  [ "$(uname -s)" = Linux ] || skip "needs a Linux host (found $(uname -s))"
  # The guest runs the host's own binaries (node, dfu-util) over 9p.
  [ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host (found $(uname -m))"
  command -v apt-get >/dev/null && command -v dpkg >/dev/null ||
    skip "needs a Debian-based host (apt-get and dpkg not found)"
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif sudo -n true 2>/dev/null; then sudo "$@"
  else skip "host packages missing ($missing) and no root or passwordless sudo to install them"
  fi
}

install_packages() {
  missing=''
  for p in $BENCH_PACKAGES; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  say "installing host packages:$missing"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
  local log=$BENCH_CACHE/apt-install.log
  # Package lists are only fetched when there are none or the install fails.
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    as_root apt-get -q -o DPkg::Lock::Timeout=300 update >"$log" 2>&1 || true
  fi
  if ! as_root "${apt[@]}" install $missing >"$log" 2>&1; then
    as_root apt-get -q -o DPkg::Lock::Timeout=300 update >>"$log" 2>&1 || true
    as_root "${apt[@]}" install $missing >>"$log" 2>&1 ||
      skip "could not install$missing (no network to the Debian mirror?): $(tail -n 2 "$log" | tr '\n' ' ')"
  fi
}

check_qemu() {
  qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg ||
    skip "qemu-system-x86_64 has no TCG accelerator"
  qemu-system-x86_64 -device help 2>/dev/null | grep -q '"virtio-9p-pci"' ||
    skip "qemu-system-x86_64 lacks virtio-9p (needed to share the host root)"
}

# The Debian mirror and key this machine already uses, from its own apt setup.
mirror_and_key() {
  local f=/etc/apt/sources.list.d/debian.sources
  if [ -f "$f" ]; then
    awk -v want="$1" '
      /^[[:space:]]*$/ { flush(); next }
      /^URIs:/ { uri = $2 } /^Suites:/ { suites = $0 } /^Signed-By:/ { key = $2 }
      function flush() { if (!done && uri != "" && (" " suites " ") ~ (" " want " ")) { print uri, key; done = 1 } uri = suites = key = "" }
      END { flush() }' "$f"
  elif [ -f /etc/apt/sources.list ]; then
    awk -v want="$1" '$1 == "deb" { for (i = 2; i < NF; i++) if ($i !~ /^\[/ && $(i+1) == want) { print $i; exit } }' /etc/apt/sources.list
  fi
}

module_dir() {
  local d
  for d in "$1"/lib/modules/*/ "$1"/usr/lib/modules/*/; do [ -d "$d" ] && { echo "${d%/}"; return 0; }; done
  return 1
}

fetch_kernel() {
  [ -f "$BENCH_KERNEL/.complete" ] && [ $refresh = 0 ] && return 0
  local codename suite mirror key
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  # bookworm's own 6.1 FunctionFS/GadgetFS lack what the bench needs; 6.12 has it.
  case "$codename" in
    bookworm) suite=bookworm-backports ;;
    buster|bullseye|'') skip "no suitable kernel source for Debian '$codename' (needs bookworm or later)" ;;
    *) suite=$codename ;;
  esac
  suite=${FLASHDATA_BENCH_SUITE:-$suite}
  read -r mirror key < <(mirror_and_key "$codename") || true
  mirror=${FLASHDATA_BENCH_MIRROR:-$mirror}
  [ -n "$mirror" ] || skip "no Debian mirror for '$codename' in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"

  # A private apt configuration: lists, cache and sources under the cache dir.
  local apt=$BENCH_CACHE/apt
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$BENCH_CACHE/debs"
  echo "deb ${key:+[signed-by=$key] }$mirror $suite main" >"$apt/sources.list"
  local apto=(-q -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
    -o Dir::Etc::Preferences=/nonexistent -o Dir::Etc::PreferencesParts=/nonexistent
    -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o Debug::NoLocking=1)
  say "fetching the package list of $mirror $suite"
  apt-get "${apto[@]}" update >"$apt/update.log" 2>&1 ||
    skip "cannot reach the Debian mirror $mirror ($suite): $(grep -m1 -E '^(E|Err|W):' "$apt/update.log" || tail -n1 "$apt/update.log")"

  local pkg=${FLASHDATA_BENCH_KERNEL:-}
  if [ -z "$pkg" ]; then
    pkg=$(apt-cache "${apto[@]}" show linux-image-amd64 2>/dev/null |
      sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\).*/\1/p' | head -n1)
    [ -n "$pkg" ] || skip "no linux-image-amd64 in $suite on $mirror"
  fi
  say "downloading $pkg from $suite"
  rm -f "$BENCH_CACHE"/debs/*.deb
  (cd "$BENCH_CACHE/debs" && apt-get "${apto[@]}" download "$pkg" >"$apt/download.log" 2>&1) ||
    skip "could not download $pkg: $(tail -n1 "$apt/download.log")"

  say "extracting $pkg"
  rm -rf "$BENCH_KERNEL.tmp" "$BENCH_KERNEL"
  dpkg -x "$BENCH_CACHE"/debs/*.deb "$BENCH_KERNEL.tmp"
  # dpkg -x installs no modules.dep; the guest's modprobe needs it.
  local moddir kver
  moddir=$(module_dir "$BENCH_KERNEL.tmp") || die "$pkg has no lib/modules"
  kver=$(basename "$moddir")
  [ -f "$BENCH_KERNEL.tmp/boot/vmlinuz-$kver" ] || die "$pkg has no boot/vmlinuz-$kver"
  depmod -b "${moddir%/lib/modules/*}" "$kver"
  mv "$BENCH_KERNEL.tmp" "$BENCH_KERNEL"
  rm -f "$BENCH_CACHE"/debs/*.deb
  echo "$pkg" >"$BENCH_KERNEL/.complete"
}

# Modules the initramfs loads to reach the host root: virtio-pci, 9p, overlay.
initramfs_modules() {
  local moddir=$1 m
  resolve() {
    grep -qE "(^|/)$1\.ko$" "$moddir/modules.builtin" && return 0
    local line
    line=$(grep -E "(^|/)$1\.ko(\.xz|\.zst)?:" "$moddir/modules.dep") || die "module $1 not in $moddir"
    for m in ${line#*:}; do m=$(basename "$m"); resolve "${m%%.ko*}"; done
    echo "${line%%:*}"
  }
  for m in virtio_pci 9pnet_virtio 9p overlay; do resolve "$m"; done | awk '!seen[$0]++'
}

build_initramfs() {
  local moddir kver init=$BENCH_DIR/guest/initramfs-init out=$BENCH_CACHE/initramfs.cpio.gz stamp
  moddir=$(module_dir "$BENCH_KERNEL")
  kver=$(basename "$moddir")
  stamp=$(cat "$init" /bin/busybox "$BENCH_KERNEL/.complete" | sha256sum | cut -c1-16)
  if [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then :; else
    say "building the initramfs"
    local w=$BENCH_CACHE/initramfs.tmp p b
    rm -rf "$w"; mkdir -p "$w"/{bin,mods,proc,sys,dev,newroot,ro,rw}
    cp /bin/busybox "$w/bin/busybox"
    for b in sh mount mkdir insmod switch_root cat echo ln sed; do ln -s busybox "$w/bin/$b"; done
    : >"$w/mods/order"
    for p in $(initramfs_modules "$moddir"); do
      b=$(basename "$p")
      case $b in
        *.xz) xz -dc "$moddir/$p" >"$w/mods/${b%.xz}"; b=${b%.xz} ;;
        *.zst) zstd -qdc "$moddir/$p" >"$w/mods/${b%.zst}"; b=${b%.zst} ;;
        *) cp "$moddir/$p" "$w/mods/" ;;
      esac
      echo "$b" >>"$w/mods/order"
    done
    install -m 755 "$init" "$w/init"
    (cd "$w" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
    mv "$out.tmp" "$out"; echo "$stamp" >"$out.stamp"; rm -rf "$w"
  fi
  cat >"$BENCH_READY" <<EOT
BENCH_KVER=$kver
BENCH_MODDIR=$moddir
BENCH_VMLINUZ=$BENCH_KERNEL/boot/vmlinuz-$kver
BENCH_INITRD=$out
EOT
}

check_host
mkdir -p "$BENCH_CACHE"
# Several checkouts on one machine share the cache: one prepares, the others wait.
exec 9>"$BENCH_CACHE/prepare.lock"
flock 9
install_packages
check_qemu
fetch_kernel
build_initramfs
say "ready: $(sed -n 's/^BENCH_KVER=//p' "$BENCH_READY") in $BENCH_CACHE"
