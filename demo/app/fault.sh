#!/bin/sh
# Turns a demo fault on or off from inside its container (`docker exec`), so it works with any
# Docker Engine, local or remote:
#   fault.sh latency on [DELAY_SECONDS]   (api, agent) every request takes DELAY (3 s)
#   fault.sh latency off
#   fault.sh errors on|off                (api, agent) every request answers 500
#   fault.sh queue on [SECONDS]           (broker)     traffic surge for SECONDS (600)
#   fault.sh queue off
#   fault.sh worker corrupt               (consumer)   freeze it and corrupt its checkpoint
#                                                      (the caller then kills the container)
#   fault.sh cpu on [SECONDS]|off         (etl)        CPU burst for SECONDS (300)
#   fault.sh oom on [MB]                  (trainer)    the dataset grows to MB (48) MiB
#   fault.sh oom off                                   back to the default size
#   fault.sh db down                      (db)         the server process dies, the container stays
set -eu
what=${1:-}
state=${2:-on}
case "$what/$state" in
  latency/on)
    mkdir -p /run/demo
    echo "${3:-3}" > /run/demo/slow.tmp && mv /run/demo/slow.tmp /run/demo/slow ;;
  latency/off) rm -f /run/demo/slow ;;
  errors/on) mkdir -p /run/demo && : > /run/demo/errors ;;
  errors/off) rm -f /run/demo/errors ;;
  queue/on)
    . /app/queue-lib.sh
    uptime_s
    echo "$((UP + ${3:-600}))" > "$Q/surge.tmp" && mv "$Q/surge.tmp" "$Q/surge" ;;
  queue/off)
    . /app/queue-lib.sh
    rm -f "$Q/surge" ;;
  worker/corrupt)
    # SIGSTOP first: the consumer rewrites its checkpoint every second.
    for p in $(ps -o pid,args | grep '[c]onsumer.sh' | while read -r pid _; do echo "$pid"; done); do kill -STOP "$p"; done
    mkdir -p /var/lib/consumer
    echo 'x7f#' > /var/lib/consumer/checkpoint ;;
  cpu/on)
    mkdir -p /run/demo
    read -r up _ < /proc/uptime
    echo "$((${up%.*} + ${3:-300}))" > /run/demo/burst.tmp && mv /run/demo/burst.tmp /run/demo/burst ;;
  cpu/off) rm -f /run/demo/burst ;;
  oom/on)
    mkdir -p /var/lib/trainer
    echo "${3:-48}" > /var/lib/trainer/dataset-mb ;;
  oom/off) rm -f /var/lib/trainer/dataset-mb ;;
  db/down) kill "$(cat /run/demo/server.pid)" ;;
  *)
    echo "usage: fault.sh latency|errors|queue|worker|cpu|oom|db on|off|... [value]" >&2
    exit 64 ;;
esac
echo "fault $what $state"
