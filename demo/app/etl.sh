#!/bin/sh
# Demo batch job (the noisy one): an ETL container with a CPU quota (0.1 CPU) that mostly
# idles, and bursts when `sh /app/fault.sh cpu on SECONDS` says so: two busy loops that want two
# whole CPUs, so the kernel throttles it in nearly every period of its quota, even on a busy host. It publishes its own
# cgroup's CFS counters (cgroup v1 cpu.stat, v2 cpu.stat) under cAdvisor's names:
#
#   container_cpu_cfs_periods_total{container="<CONTAINER_NAME>",workload="batch"}
#   container_cpu_cfs_throttled_periods_total{...}
#   container_cpu_cfs_throttled_seconds_total{...}
#
# There is no cAdvisor on these machines: the container reads the counters the kernel keeps
# for it, the same ones cAdvisor reads. The burst ends by itself (SECONDS) or with `cpu off`.
set -u
. /app/textfile-lib.sh
WORKLOAD=${WORKLOAD:-batch}
mkdir -p /run/demo
burner=''
trap '[ -n "$burner" ] && kill $burner 2>/dev/null; unpublish; exit 0' TERM INT

# cgroup v1 mounts the container's own cpu controller at /sys/fs/cgroup/cpu; v2 at the root.
CPU_STAT=/sys/fs/cgroup/cpu/cpu.stat
[ -f "$CPU_STAT" ] || CPU_STAT=/sys/fs/cgroup/cpu.stat

write_metrics() {
  stat_of "$CPU_STAT" nr_periods; periods=$VALUE
  stat_of "$CPU_STAT" nr_throttled; throttled=$VALUE
  # v1: throttled_time in ns; v2: throttled_usec.
  stat_of "$CPU_STAT" throttled_time; ns=$VALUE
  [ "$ns" = 0 ] && stat_of "$CPU_STAT" throttled_usec && ns=$((VALUE * 1000))
  lbl="container=\"$NAME\",workload=\"$WORKLOAD\""
  busy=0; [ -n "$burner" ] && busy=1
  publish <<METRICS
# HELP container_cpu_cfs_periods_total Number of elapsed enforcement period intervals.
# TYPE container_cpu_cfs_periods_total counter
container_cpu_cfs_periods_total{$lbl} $periods
# HELP container_cpu_cfs_throttled_periods_total Number of throttled period intervals.
# TYPE container_cpu_cfs_throttled_periods_total counter
container_cpu_cfs_throttled_periods_total{$lbl} $throttled
# HELP container_cpu_cfs_throttled_seconds_total Total time duration the container has been throttled.
# TYPE container_cpu_cfs_throttled_seconds_total counter
container_cpu_cfs_throttled_seconds_total{$lbl} $((ns / 1000000000)).$(printf '%09d' $((ns % 1000000000)))
# HELP demo_fault_active 1 while a demo fault is injected.
# TYPE demo_fault_active gauge
demo_fault_active{container="$NAME",fault="cpu"} $busy
METRICS
}

while :; do
  until_s=0
  [ -f /run/demo/burst ] && read -r until_s < /run/demo/burst
  read -r up _ < /proc/uptime
  if [ "${up%.*}" -lt "${until_s:-0}" ]; then
    if [ -z "$burner" ]; then
      (while :; do :; done) &
      burner=$!
      (while :; do :; done) &
      burner="$burner $!"
    fi
  elif [ -n "$burner" ]; then
    kill $burner 2>/dev/null
    burner=''
    rm -f /run/demo/burst
  fi
  write_metrics
  sleep 1 & wait $!
done
