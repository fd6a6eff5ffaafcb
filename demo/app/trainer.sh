#!/bin/sh
# Demo training job: its worker holds the dataset in memory (DATASET_MB, 8 MiB; a bigger one
# arrives with `sh /app/fault.sh oom on [MB]`, kept in the container layer) and re-reads the
# size every few seconds. Past the container's memory limit the kernel's OOM killer kills the
# worker; the job then records it from its own cgroup (memory.oom_control's oom_kill, v1; or
# memory.events, v2) and exits 137, so Docker shows the container exited with OOMKilled:
#
#   container_oom_killed{container="<CONTAINER_NAME>"} 1        its last run ended in an OOM kill
#   container_oom_events_total{container="<CONTAINER_NAME>"} N  OOM kills in its last run
#
# The file outlives the container: it is the job's last word, as a batch job's textfile is
# (docker_state_exporter's container_state_oomkilled says the same from Docker's side). A
# start writes container_oom_killed 0; a stop on purpose removes the file.
set -u
. /app/textfile-lib.sh
DATASET=/var/lib/trainer/dataset-mb
mkdir -p /var/lib/trainer /tmp/trainer
worker=''
trap '[ -n "$worker" ] && kill "$worker" 2>/dev/null; unpublish; exit 0' TERM INT

OOM_FILE=/sys/fs/cgroup/memory/memory.oom_control
[ -f "$OOM_FILE" ] || OOM_FILE=/sys/fs/cgroup/memory.events
write_metrics() { # write_metrics KILLED
  stat_of "$OOM_FILE" oom_kill
  publish <<METRICS
# HELP container_oom_killed 1 when the container's last run ended in an OOM kill.
# TYPE container_oom_killed gauge
container_oom_killed{container="$NAME"} $1
# HELP container_oom_events_total Count of out of memory events observed for the container.
# TYPE container_oom_events_total counter
container_oom_events_total{container="$NAME"} $VALUE
METRICS
}

size() { MB=${DATASET_MB:-8}; [ -f "$DATASET" ] && read -r MB < "$DATASET"; }

# The worker: dd fills one buffer of the dataset's size from /dev/zero (every page touched)
# and blocks writing it to a pipe nobody reads: the memory stays held, no CPU spent.
start_worker() {
  rm -f /tmp/trainer/hold
  mkfifo /tmp/trainer/hold
  sleep 2147483647 < /tmp/trainer/hold &
  reader=$!
  dd if=/dev/zero of=/tmp/trainer/hold bs="${MB}M" count=1 2>/dev/null &
  worker=$!
  loaded=$MB
}

write_metrics 0
size; start_worker
while :; do
  sleep 2 & wait $!
  if ! kill -0 "$worker" 2>/dev/null; then
    wait "$worker"; status=$?
    stat_of "$OOM_FILE" oom_kill
    if [ "$status" = 137 ] || [ "$VALUE" -gt 0 ]; then
      echo "trainer: worker killed loading ${loaded} MiB (OOM kills: $VALUE)" >&2
      write_metrics 1
      kill "$reader" 2>/dev/null
      exit 137
    fi
    echo "trainer: worker ended ($status), starting again" >&2
    kill "$reader" 2>/dev/null
    size; start_worker
    continue
  fi
  size
  if [ "$MB" != "$loaded" ]; then
    echo "trainer: dataset is now ${MB} MiB, reloading" >&2
    kill "$worker" "$reader" 2>/dev/null
    wait "$worker" 2>/dev/null
    size; start_worker
  fi
  write_metrics 0
done
