#!/bin/sh
# Demo dependency (it stands for the database or MLflow server an ML API needs): a server on
# PORT (busybox httpd: /healthz, and /metrics as its exporter would serve them), scraped by
# Prometheus, whose `up` for it is what ServiceDown watches. `sh /app/fault.sh db down` kills
# the server process and leaves the container running, as a crashed database under a
# supervisor that does not notice: only a restart brings it back.
#
# Environment: PORT (5432 stands in for it: 18082 in the demo), LISTEN (127.0.0.1).
set -u
PORT=${PORT:-18082}
LISTEN=${LISTEN:-127.0.0.1}
WWW=/tmp/db-www
mkdir -p "$WWW" /run/demo
echo ok > "$WWW/healthz"
{
  echo '# HELP db_up 1 while the demo dependency serves.'
  echo '# TYPE db_up gauge'
  echo 'db_up 1'
} > "$WWW/metrics"
httpd -f -p "$LISTEN:$PORT" -h "$WWW" &
echo $! > /run/demo/server.pid
trap 'kill "$(cat /run/demo/server.pid)" 2>/dev/null; exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
