#!/bin/sh
# Demo api: busybox httpd serving /cgi-bin/work, and a synthetic client in the same container
# that calls it a few times a second and records each request's measured latency in a
# Prometheus histogram, served at /metrics:
#
#   http_request_duration_seconds_bucket{container="<CONTAINER_NAME>",handler="/work",le="..."}
#
# `sh /app/fault.sh latency on` makes every request slow (see www/cgi-bin/work): p99 goes
# above 2 s and the HighLatency rule fires. The flag lives on a tmpfs (/run/demo) and the
# counters in this shell, so a restart clears the fault and resets the counters, as a real
# process restart would.
#
# Environment: PORT (8080), LISTEN (127.0.0.1; 0.0.0.0 on a bridge network), CONTAINER_NAME
# (the `container` label; Docker does not tell a container its name), REQUEST_INTERVAL (0.2 s).
set -u
PORT=${PORT:-8080}
LISTEN=${LISTEN:-127.0.0.1}
NAME=${CONTAINER_NAME:-demo-api}
INTERVAL=${REQUEST_INTERVAL:-0.2}
WWW=/app/www
# Bucket upper bounds in centiseconds, and as the `le` label: 0.05 s .. 5 s.
BUCKETS="5 10 25 50 100 250 500"
LE_5=0.05 LE_10=0.1 LE_25=0.25 LE_50=0.5 LE_100=1 LE_250=2.5 LE_500=5

mkdir -p /run/demo
httpd -f -p "$LISTEN:$PORT" -h "$WWW" &
httpd_pid=$!
# Background + wait, so that SIGTERM (docker stop/restart) is handled at once, not after the
# current request or sleep.
trap 'kill "$httpd_pid" 2>/dev/null; exit 0' TERM INT

count=0 sum=0 failed=0
for le in $BUCKETS; do eval "b_$le=0"; done

# Centiseconds since boot, from /proc/uptime ("12345.67 ..."): busybox date has no %N.
now_cs() { read -r up _ < /proc/uptime; NOW=${up%.*}${up#*.}; }
# Centiseconds as seconds text, without a subshell: 5 -> 0.05, 250 -> 2.50.
secs() { S="$(($1 / 100)).$(($1 % 100 / 10))$(($1 % 10))"; }

write_metrics() {
  lbl="container=\"$NAME\",handler=\"/work\""
  fault=0; [ -f /run/demo/slow ] && fault=1
  {
    echo '# HELP http_request_duration_seconds Latency of requests to the demo api, measured by its synthetic client.'
    echo '# TYPE http_request_duration_seconds histogram'
    for le in $BUCKETS; do
      eval "v=\$b_$le le_text=\$LE_$le"
      echo "http_request_duration_seconds_bucket{$lbl,le=\"$le_text\"} $v"
    done
    echo "http_request_duration_seconds_bucket{$lbl,le=\"+Inf\"} $count"
    secs "$sum"
    echo "http_request_duration_seconds_sum{$lbl} $S"
    echo "http_request_duration_seconds_count{$lbl} $count"
    echo '# HELP http_requests_failed_total Requests of the synthetic client that got no answer.'
    echo '# TYPE http_requests_failed_total counter'
    echo "http_requests_failed_total{$lbl} $failed"
    echo '# HELP demo_fault_active 1 while a demo fault is injected.'
    echo '# TYPE demo_fault_active gauge'
    echo "demo_fault_active{container=\"$NAME\",fault=\"latency\"} $fault"
  } > "$WWW/metrics.tmp"
  mv "$WWW/metrics.tmp" "$WWW/metrics" # atomic: a scrape never sees half a file
}

write_metrics
while :; do
  now_cs; t0=$NOW
  # No -T: busybox wget -T segfaults in Debian's static build; the handler never hangs anyway.
  wget -q -O /dev/null "http://127.0.0.1:$PORT/cgi-bin/work" & wait $! || failed=$((failed + 1))
  now_cs; d=$((NOW - t0))
  count=$((count + 1)); sum=$((sum + d))
  for le in $BUCKETS; do
    [ "$d" -le "$le" ] && eval "b_$le=\$((b_$le + 1))"
  done
  write_metrics
  sleep "$INTERVAL" & wait $!
done
