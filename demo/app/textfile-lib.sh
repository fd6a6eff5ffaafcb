#!/bin/sh
# Shared by the demo containers that have no port on the host: they publish their metrics
# as <CONTAINER_NAME>.prom in METRICS_DIR (a host folder mounted at /metrics), which
# node_exporter's textfile collector serves, as it serves a batch job's or a cron job's. A
# file is written beside and moved into place, so a scrape never reads half of it.
METRICS_DIR=${METRICS_DIR:-/metrics}
NAME=${CONTAINER_NAME:-demo}

# publish: the metrics on stdin become $METRICS_DIR/$NAME.prom.
publish() {
  cat > "$METRICS_DIR/.$NAME.tmp" && mv "$METRICS_DIR/.$NAME.tmp" "$METRICS_DIR/$NAME.prom"
}

# unpublish: stopped on purpose, the container takes its metrics with it.
unpublish() { rm -f "$METRICS_DIR/$NAME.prom"; }

# stat_of FILE KEY: VALUE <- the number after KEY in a cgroup file of "key value" lines.
stat_of() {
  VALUE=0
  while read -r k v; do
    [ "$k" = "$2" ] && VALUE=$v && return 0
  done < "$1"
  return 0
}
