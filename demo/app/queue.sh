#!/bin/sh
# Demo queue broker: produces messages into the shared "emails" queue every second and serves
#
#   queue_depth{queue="emails",service="<CONSUMER_SERVICE>"}
#
# at /metrics. Normal traffic (BASE_RATE/s) is far below what one consumer replica takes
# (consumer.sh: CONSUMER_RATE, 400/s). `sh /app/fault.sh queue on [SECONDS]` starts a surge
# of SURGE_RATE/s (500): more than one replica can take, well under two (which drain 300/s), so the depth grows
# past QueueDepthHigh's threshold with one replica and drains once remediator scales out.
# The surge ends by itself (after SECONDS, 600 by default) or with `fault.sh queue off`.
#
# It also counts the consumer service's replicas from their heartbeats ($Q/replicas/*, at most
# 10 s old: running) against the replicas the deployment asks for (DESIRED_REPLICAS):
#
#   service_replicas_desired{queue="emails",service="worker"} 1
#   service_replicas_running{queue="emails",service="worker"} 1
#
# Environment: PORT (8081), LISTEN (127.0.0.1), QUEUE_NAME (emails), CONSUMER_SERVICE (worker),
# BASE_RATE (50), SURGE_RATE (600), QUEUE_DIR (/queue), DESIRED_REPLICAS (1).
set -u
. /app/queue-lib.sh
PORT=${PORT:-8081}
LISTEN=${LISTEN:-127.0.0.1}
QUEUE=${QUEUE_NAME:-emails}
SERVICE=${CONSUMER_SERVICE:-worker}
BASE=${BASE_RATE:-50}
SURGE=${SURGE_RATE:-600}
DESIRED=${DESIRED_REPLICAS:-1}
WWW=/app/www

mkdir -p "$Q/replicas"
lock; read_depth; echo "$DEPTH" > "$Q/depth"; unlock

produced=0
# RUNNING <- replicas whose heartbeat is at most 10 s old (a busy host delays them); those gone for
# 5 minutes (removed without a stop) are forgotten.
count_replicas() {
  RUNNING=0
  uptime_s
  for f in "$Q"/replicas/*; do
    [ -f "$f" ] || continue
    case "$f" in *.tmp) continue ;; esac
    read -r beat < "$f" 2>/dev/null || continue
    age=$((UP - ${beat:-0}))
    if [ "$age" -le 10 ]; then RUNNING=$((RUNNING + 1)); elif [ "$age" -gt 300 ]; then rm -f "$f"; fi
  done
}
write_metrics() {
  {
    echo '# HELP queue_depth Messages waiting in the queue.'
    echo '# TYPE queue_depth gauge'
    echo "queue_depth{queue=\"$QUEUE\",service=\"$SERVICE\"} $DEPTH"
    echo '# HELP queue_messages_produced_total Messages put on the queue.'
    echo '# TYPE queue_messages_produced_total counter'
    echo "queue_messages_produced_total{queue=\"$QUEUE\"} $produced"
    echo '# HELP demo_fault_active 1 while a demo fault is injected.'
    echo '# TYPE demo_fault_active gauge'
    echo "demo_fault_active{queue=\"$QUEUE\",fault=\"queue\"} $surging"
    echo '# HELP service_replicas_desired Replicas the deployment asks for.'
    echo '# TYPE service_replicas_desired gauge'
    echo "service_replicas_desired{queue=\"$QUEUE\",service=\"$SERVICE\"} $DESIRED"
    echo '# HELP service_replicas_running Replicas that sent a heartbeat in the last 10 seconds.'
    echo '# TYPE service_replicas_running gauge'
    echo "service_replicas_running{queue=\"$QUEUE\",service=\"$SERVICE\"} $RUNNING"
  } > "$WWW/metrics.tmp"
  mv "$WWW/metrics.tmp" "$WWW/metrics"
}

surging=0
DEPTH=0
count_replicas
write_metrics
httpd -f -p "$LISTEN:$PORT" -h "$WWW" &
httpd_pid=$!
trap 'kill "$httpd_pid" 2>/dev/null; exit 0' TERM INT

while :; do
  rate=$BASE surging=0
  if [ -f "$Q/surge" ]; then
    # The flag holds the surge's end, in seconds since boot.
    read -r until_s < "$Q/surge"
    uptime_s
    if [ "$UP" -lt "${until_s:-0}" ]; then rate=$SURGE surging=1; else rm -f "$Q/surge"; fi
  fi
  lock; read_depth; DEPTH=$((DEPTH + rate)); echo "$DEPTH" > "$Q/depth"; unlock
  produced=$((produced + rate))
  count_replicas
  write_metrics
  sleep 1 & wait $!
done
