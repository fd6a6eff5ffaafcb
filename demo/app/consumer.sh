#!/bin/sh
# Demo consumer: one replica of the queue's worker service. Every second it takes up to
# CONSUMER_RATE (400) messages from the shared queue, so the queue drains faster the more
# replicas run: what remediator's QueueDepthHigh remediation (scale out) relies on.
#
# Each replica heartbeats into the shared folder ($Q/replicas/<hostname>: seconds since boot),
# which the broker counts as the service's running replicas (WorkerDown fires when fewer run
# than desired). It keeps a checkpoint (messages taken) in its own container layer; a
# checkpoint that is not a number (`fault.sh worker corrupt`) makes it refuse to start: a
# state a `start` keeps and only a new container (recreate) leaves behind.
set -u
. /app/queue-lib.sh
RATE=${CONSUMER_RATE:-400}
CHECKPOINT=/var/lib/consumer/checkpoint
mkdir -p "$Q/replicas" /var/lib/consumer
HB="$Q/replicas/$(hostname)"
# Stopped on purpose (docker stop, a scale-in): no longer a replica that should run.
trap 'rm -f "$HB"; exit 0' TERM INT

taken=0
if [ -f "$CHECKPOINT" ]; then
  read -r taken < "$CHECKPOINT"
  case "$taken" in
    '' | *[!0-9]*)
      echo "consumer: corrupt checkpoint $CHECKPOINT ($taken): refusing to start" >&2
      exit 1 ;;
  esac
fi

while :; do
  uptime_s
  echo "$UP" > "$HB.tmp" && mv "$HB.tmp" "$HB"
  lock
  read_depth
  take=$RATE
  [ "$DEPTH" -lt "$take" ] && take=$DEPTH
  echo "$((DEPTH - take))" > "$Q/depth"
  unlock
  taken=$((taken + take))
  echo "$taken" > "$CHECKPOINT"
  sleep 1 & wait $!
done
