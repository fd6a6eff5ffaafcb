#!/bin/sh
# Turns a demo fault on or off from inside its container (`docker exec`), so it works with any
# Docker Engine, local or remote:
#   fault.sh latency on [DELAY_SECONDS]   (in the api)    every request takes DELAY (3 s)
#   fault.sh latency off
#   fault.sh queue on [SECONDS]           (in the broker) traffic surge for SECONDS (600)
#   fault.sh queue off
set -eu
what=${1:-}
state=${2:-on}
case "$what/$state" in
  latency/on)
    mkdir -p /run/demo
    echo "${3:-3}" > /run/demo/slow.tmp && mv /run/demo/slow.tmp /run/demo/slow ;;
  latency/off) rm -f /run/demo/slow ;;
  queue/on)
    . /app/queue-lib.sh
    uptime_s
    echo "$((UP + ${3:-600}))" > "$Q/surge.tmp" && mv "$Q/surge.tmp" "$Q/surge" ;;
  queue/off)
    . /app/queue-lib.sh
    rm -f "$Q/surge" ;;
  *)
    echo "usage: fault.sh latency|queue on|off [value]" >&2
    exit 64 ;;
esac
echo "fault $what $state"
