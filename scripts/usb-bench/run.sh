#!/usr/bin/env bash
# Run a command inside the bench VM and return its exit code and output.
#   run.sh 'shell command ...'      (arguments are joined, as ssh does)
#   run.sh -f script.sh [args...]
# The VM (qemu TCG, the cached Debian kernel) sees the host's root read-only
# under a tmpfs overlay, so the repo, node and dfu-util are there at the same
# paths; the command runs as root in the current directory, with the caller's
# PATH, CI and FLASHDATA_* variables. Its output is streamed as it runs.
# Exit codes: the command's, 77 when this machine cannot run the bench, 125
# when the VM gave no result (the end of the console log is printed: the guest
# panics on a kernel oops or a hung task, see guest/stage2.sh). A run that did
# not exit 0 leaves its logs in .cache/usb-bench-runs/.
# Environment: FLASHDATA_BENCH_MEM (2G), FLASHDATA_BENCH_CPUS (2),
# FLASHDATA_BENCH_TCG (single: see the qemu line),
# FLASHDATA_BENCH_TIMEOUT (900 s), FLASHDATA_BENCH_KEEP=1 keeps the run dir.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -gt 0 ] || { echo "usage: run.sh 'command' | run.sh -f script [args]" >&2; exit 2; }
"$BENCH_DIR/prepare.sh" 2> >(grep -v '^usb-bench: ready:' >&2) || exit $?
source "$BENCH_READY"

mkdir -p "$BENCH_CACHE/runs"
run=$(mktemp -d "$BENCH_CACHE/runs/run.XXXXXX")
if [ "$1" = -f ]; then
  [ -f "${2:-}" ] || { echo "run.sh: no such script: ${2:-}" >&2; exit 2; }
  { printf 'set -- '; printf '%q ' "${@:3}"; printf '\n'; cat "$2"; } >"$run/cmd"
else
  printf '%s\n' "$*" >"$run/cmd"
fi
{
  printf 'cd %q\n' "$PWD"
  for v in PATH CI TERM $(compgen -e | grep -E '^FLASHDATA_' || true); do
    [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
  done
  printf 'export BENCH_OUT=%q\n' "$run"
} >"$run/env"
: >"$run/out.log"

t0=$(date +%s.%N)
# Single-threaded TCG: the vCPUs take turns on one host thread, so code the
# guest kernel patches at run time (jump labels, text_poke's int3) is never
# seen half-done by another vCPU; under thread=multi a boot died now and then
# with 'Oops: int3' in kernel text. FLASHDATA_BENCH_TCG=multi brings that back.
timeout "${FLASHDATA_BENCH_TIMEOUT:-900}" qemu-system-x86_64 -accel "tcg,thread=${FLASHDATA_BENCH_TCG:-single}" -cpu max -M q35 \
  -smp "${FLASHDATA_BENCH_CPUS:-2}" -m "${FLASHDATA_BENCH_MEM:-2G}" \
  -nodefaults -display none -monitor none -no-reboot -serial "file:$run/console.log" \
  -kernel "$BENCH_VMLINUZ" -initrd "$BENCH_INITRD" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 bench.run=$run bench.stage2=$BENCH_DIR/guest/stage2.sh bench.moddir=$BENCH_MODDIR" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$run,mount_tag=run,security_model=none,multidevs=remap" \
  </dev/null >"$run/qemu.log" 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null; wait $qemu 2>/dev/null; rm -rf "$run"; exit 130' INT TERM
tail -n +1 -s 0.2 --pid=$qemu -f "$run/out.log"
qemu_rc=0; wait $qemu || qemu_rc=$?
t1=$(date +%s.%N)

mtime() { stat -c %.3Y "$1" 2>/dev/null; }
if [ -f "$run/rc" ]; then
  rc=$(cat "$run/rc")
  awk -v t0="$t0" -v s="$(mtime "$run/started")" -v f="$(mtime "$run/rc")" -v t1="$t1" \
    'BEGIN { printf "usb-bench: boot %.1f s, command %.1f s, power-off %.1f s, total %.1f s\n", s - t0, f - s, t1 - f, t1 - t0 }' >&2
else
  rc=$BENCH_VM_FAILED
  # The guest panics on an oops or a hung task (guest/stage2.sh): the console log's end says why.
  why=$([ $qemu_rc = 124 ] && echo " (timed out after ${FLASHDATA_BENCH_TIMEOUT:-900} s)" ||
    { grep -q 'Kernel panic' "$run/console.log" 2>/dev/null && echo ' (the guest kernel panicked)'; } || true)
  say "the VM gave no result$why; qemu's log and the end of the console log follow"
  tail -n 10 "$run/qemu.log" >&2
  tail -n 80 "$run/console.log" >&2
  [ -s "$run/out.log" ] || say "the command printed nothing: the VM failed before it ran"
fi
# A failed command or a VM that gave no result leaves its logs (console, bridge
# logs, the command's output) in .cache/usb-bench-runs of the current folder,
# where CI keeps them; FLASHDATA_BENCH_KEEP=1 keeps every run directory.
if [ "$rc" != 0 ]; then
  kept=$PWD/.cache/usb-bench-runs/$(date +%Y%m%d-%H%M%S)-$(basename "$run")
  mkdir -p "$kept" && cp -r "$run"/. "$kept"/ && say "logs of this run kept in $kept"
fi
if [ "${FLASHDATA_BENCH_KEEP:-0}" = 1 ]; then say "run directory kept: $run"; else rm -rf "$run"; fi
exit "$rc"
