#!/bin/sh
# Demo api (also the demo's agent and its canary): busybox httpd serving /cgi-bin/work, and a
# synthetic client in the same container that calls it a few times a second and records each
# request's measured latency in a Prometheus histogram and its outcome in a counter:
#
#   http_request_duration_seconds_bucket{container="<CONTAINER_NAME>",handler="/work",le="..."}
#   http_requests_total{container="<CONTAINER_NAME>",handler="/work",code="200"|"500"}
#
# Faults, switched with `sh /app/fault.sh ...`: `latency on` makes every request slow (p99 goes
# above 2 s: HighLatency, or SlowExecution for the agent), `errors on` makes every request fail
# with a 500 (HighErrorRate). The flags live on a tmpfs (/run/demo) and the counters in this
# shell, so a restart clears the fault and resets the counters, as a real process restart would.
# Release 2 of the image (DEMO_RELEASE=2, the canary's) has a bug: every request fails; running
# the image before it (a rollback) is what fixes that.
#
# Environment: PORT (8080), LISTEN (127.0.0.1; 0.0.0.0 on a bridge network), CONTAINER_NAME
# (the `container` label; Docker does not tell a container its name), REQUEST_INTERVAL (0.2 s),
# HISTOGRAM (the histogram's name, http_request_duration_seconds; the agent's is
# agent_task_duration_seconds), TRACK (a `track` label, e.g. canary), METRICS_DIR (also publish
# the metrics there as <CONTAINER_NAME>.prom, for node_exporter's textfile collector: what a
# container without a port of its own on the host uses).
set -u
PORT=${PORT:-8080}
LISTEN=${LISTEN:-127.0.0.1}
NAME=${CONTAINER_NAME:-demo-api}
INTERVAL=${REQUEST_INTERVAL:-0.2}
HIST=${HISTOGRAM:-http_request_duration_seconds}
WWW=/app/www
# Bucket upper bounds in centiseconds, and as the `le` label: 0.05 s .. 5 s.
BUCKETS="5 10 25 50 100 250 500"
LE_5=0.05 LE_10=0.1 LE_25=0.25 LE_50=0.5 LE_100=1 LE_250=2.5 LE_500=5

mkdir -p /run/demo
[ "${DEMO_RELEASE:-1}" = 2 ] && : > /run/demo/release-bug
httpd -f -p "$LISTEN:$PORT" -h "$WWW" &
httpd_pid=$!
# Background + wait, so that SIGTERM (docker stop/restart) is handled at once, not after the
# current request or sleep. A stopped container takes its textfile with it.
trap 'kill "$httpd_pid" 2>/dev/null; [ -n "${METRICS_DIR:-}" ] && rm -f "$METRICS_DIR/$NAME.prom"; exit 0' TERM INT

count=0 sum=0 failed=0
for le in $BUCKETS; do eval "b_$le=0"; done

# Centiseconds since boot, from /proc/uptime ("12345.67 ..."): busybox date has no %N.
now_cs() { read -r up _ < /proc/uptime; NOW=${up%.*}${up#*.}; }
# Centiseconds as seconds text, without a subshell: 5 -> 0.05, 250 -> 2.50.
secs() { S="$(($1 / 100)).$(($1 % 100 / 10))$(($1 % 10))"; }

write_metrics() {
  lbl="container=\"$NAME\",handler=\"/work\"${TRACK:+,track=\"$TRACK\"}"
  slow=0 errors=0
  [ -f /run/demo/slow ] && slow=1
  [ -f /run/demo/errors ] && errors=1
  {
    echo "# HELP $HIST Latency of requests to the demo api, measured by its synthetic client."
    echo "# TYPE $HIST histogram"
    for le in $BUCKETS; do
      eval "v=\$b_$le le_text=\$LE_$le"
      echo "${HIST}_bucket{$lbl,le=\"$le_text\"} $v"
    done
    echo "${HIST}_bucket{$lbl,le=\"+Inf\"} $count"
    secs "$sum"
    echo "${HIST}_sum{$lbl} $S"
    echo "${HIST}_count{$lbl} $count"
    echo '# HELP http_requests_total Requests of the synthetic client, by status code (500: failed or no answer).'
    echo '# TYPE http_requests_total counter'
    echo "http_requests_total{$lbl,code=\"200\"} $((count - failed))"
    echo "http_requests_total{$lbl,code=\"500\"} $failed"
    echo '# HELP demo_fault_active 1 while a demo fault is injected.'
    echo '# TYPE demo_fault_active gauge'
    echo "demo_fault_active{container=\"$NAME\",fault=\"latency\"} $slow"
    echo "demo_fault_active{container=\"$NAME\",fault=\"errors\"} $errors"
  } > "$WWW/metrics.tmp"
  # atomic: a scrape never sees half a file
  if [ -n "${METRICS_DIR:-}" ]; then
    cp "$WWW/metrics.tmp" "$METRICS_DIR/.$NAME.tmp" && mv "$METRICS_DIR/.$NAME.tmp" "$METRICS_DIR/$NAME.prom"
  fi
  mv "$WWW/metrics.tmp" "$WWW/metrics"
}

write_metrics
while :; do
  now_cs; t0=$NOW
  # No -T: busybox wget -T segfaults in Debian's static build; the handler never hangs anyway.
  wget -q -O /dev/null "http://127.0.0.1:$PORT/cgi-bin/work" 2>/dev/null & wait $! || failed=$((failed + 1))
  now_cs; d=$((NOW - t0))
  count=$((count + 1)); sum=$((sum + d))
  for le in $BUCKETS; do
    [ "$d" -le "$le" ] && eval "b_$le=\$((b_$le + 1))"
  done
  write_metrics
  sleep "$INTERVAL" & wait $!
done
