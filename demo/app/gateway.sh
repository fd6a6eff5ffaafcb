#!/bin/sh
# Demo gateway: a service that lives on a user network of the demo project (demo_default) and
# probes its own attachment every second: an interface besides lo that is up, as a network
# readiness check does. It publishes the result under the blackbox exporter's name:
#
#   probe_success{container="<CONTAINER_NAME>",probe="network"} 1|0
#
# Disconnected from its network (`npm run demo -- network`: docker network disconnect), the
# probe fails while the container runs (network_failure); reconnected, it passes again. The
# probe looks at the container's own interfaces and sends no traffic: these machines allow
# none to the private addresses of a user network.
set -u
. /app/textfile-lib.sh
trap 'unpublish; exit 0' TERM INT

attached() {
  for dev in /sys/class/net/*; do
    [ "${dev##*/}" = lo ] && continue
    read -r state < "$dev/operstate" 2>/dev/null || continue
    [ "$state" = up ] && return 0
  done
  return 1
}

while :; do
  ok=0; attached && ok=1
  publish <<METRICS
# HELP probe_success Displays whether or not the probe was a success.
# TYPE probe_success gauge
probe_success{container="$NAME",probe="network"} $ok
METRICS
  sleep 1 & wait $!
done
