#!/bin/sh
# PID 1 of the bench VM after switch_root. Runs $RUN/cmd with $RUN/env, writes
# its output to $RUN/out.log and its exit code to $RUN/rc, then powers off
# (qemu runs with -no-reboot, so a reboot ends it).
RUN=$(sed -n 's/.*bench\.run=\([^ ]*\).*/\1/p' /proc/cmdline)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
hostname usb-bench
# Kernel warnings and worse go to the console log, which run.sh prints when the
# VM gives no result. An oops, or a task stuck in the kernel for 5 minutes,
# powers the VM off at once (panic=-1 reboots, qemu has -no-reboot) instead of
# leaving it to hang until the timeout with nothing said.
echo 5 >/proc/sys/kernel/printk
echo 1 >/proc/sys/kernel/panic_on_oops
echo 300 >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
echo 1 >/proc/sys/kernel/hung_task_panic 2>/dev/null
cut -d' ' -f1 /proc/uptime >"$RUN/started"
(
  . "$RUN/env"
  exec bash "$RUN/cmd"
) >"$RUN/out.log" 2>&1 </dev/null
echo $? >"$RUN/rc.tmp"
cut -d' ' -f1 /proc/uptime >"$RUN/finished"
mv "$RUN/rc.tmp" "$RUN/rc"
sync
/bin/busybox reboot -f
