#!/bin/sh
# Demo API that depends on the demo dependency (db.sh at DEPENDENCY_URL): it checks it every
# second through a connection pool that, once a connection broke, stays broken (a flag on its
# tmpfs) even after the dependency is back: the API answers again only after a restart of
# its own. Its health check says so, which is what the dependency-down remediation's second
# step (restart the API, verified healthy) fixes.
#
# Environment: DEPENDENCY_URL (http://127.0.0.1:18082/healthz).
set -u
URL=${DEPENDENCY_URL:-http://127.0.0.1:18082/healthz}
mkdir -p /run/demo
trap 'exit 0' TERM INT
while :; do
  if ! wget -q -O /dev/null "$URL" 2>/dev/null; then
    [ -f /run/demo/pool-broken ] || echo "mlapi: lost the connection to $URL; the pool stays broken" >&2
    : > /run/demo/pool-broken
  fi
  sleep 1 & wait $!
done
