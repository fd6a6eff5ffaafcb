#!/bin/sh
# Demo consumer: one replica of the queue's worker service. Every second it takes up to
# CONSUMER_RATE (400) messages from the shared queue, so the queue drains faster the more
# replicas run: what remediator's QueueDepthHigh remediation (scale out) relies on.
set -u
. /app/queue-lib.sh
RATE=${CONSUMER_RATE:-400}
trap 'exit 0' TERM INT

mkdir -p "$Q"
while :; do
  lock
  read_depth
  take=$RATE
  [ "$DEPTH" -lt "$take" ] && take=$DEPTH
  echo "$((DEPTH - take))" > "$Q/depth"
  unlock
  sleep 1 & wait $!
done
