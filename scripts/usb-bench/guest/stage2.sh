#!/bin/sh
# PID 1 of the bench VM after switch_root. Runs $RUN/cmd with $RUN/env, writes
# its output to $RUN/out.log and its exit code to $RUN/rc, then powers off
# (qemu runs with -no-reboot, so a reboot ends it).
RUN=$(sed -n 's/.*bench\.run=\([^ ]*\).*/\1/p' /proc/cmdline)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
hostname usb-bench
echo 1 >/proc/sys/kernel/printk   # kernel messages only on the console log, not in the output
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
