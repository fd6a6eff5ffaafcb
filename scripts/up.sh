#!/usr/bin/env bash
# One command up on a fresh machine: installs what is missing, then starts (private ports and
# folders under .run/, 127.0.0.1 only) Redis, a Docker Engine where none is reachable,
# remediator, node_exporter, the demo application, Prometheus loaded with alert-rules/ and
# Alertmanager whose receiver is remediator's webhook (bearer token from .run/webhook-token).
# `npm run down` stops everything this script started.
#
#   DEMO_FAST=1 npm run up   test timings (1 s scrape, for: 2s, 10 s windows) instead of the
#                            rules exactly as shipped (alerts then fire after 1-2 minutes)
# Ports: PORT (9095), REMEDIATOR_{REDIS,PROMETHEUS,ALERTMANAGER,NODE_EXPORTER,DEMO_API,
# DEMO_QUEUE}_PORT (16379, 19090, 19093, 19100, 18080, 18081); REMEDIATOR_RUN_DIR (.run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
RUN="${REMEDIATOR_RUN_DIR:-$ROOT/.run}"
mkdir -p "$RUN"
RUN="$(cd "$RUN" && pwd)"
export REMEDIATOR_RUN_DIR="$RUN"
[ "${1:-}" = "--fast" ] && export DEMO_FAST=1

bash scripts/ensure-system.sh
bash scripts/ensure-node.sh
# bin/remediator.js runs the sources through tsx when dist/ is stale, so a failed or skipped
# build (REMEDIATOR_NO_BUILD=1) still starts.
if [ "${REMEDIATOR_NO_BUILD:-0}" != 1 ] && { [ ! -f dist/main.js ] || [ -n "$(find src -newer dist/main.js -name '*.ts' | head -1)" ]; }; then
  echo "[up] building"; npm run -s build || echo "[up] build failed: running from the TypeScript sources"
fi

log() { echo "[up] $*"; }
wait_for() { # wait_for SECONDS CMD...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
TSX="$ROOT/node_modules/.bin/tsx"
PORT="${PORT:-9095}"
PROM_PORT="${REMEDIATOR_PROMETHEUS_PORT:-19090}"
AM_PORT="${REMEDIATOR_ALERTMANAGER_PORT:-19093}"
NODE_PORT="${REMEDIATOR_NODE_EXPORTER_PORT:-19100}"
export PORT REMEDIATOR_PROMETHEUS_PORT="$PROM_PORT" REMEDIATOR_ALERTMANAGER_PORT="$AM_PORT" REMEDIATOR_NODE_EXPORTER_PORT="$NODE_PORT"
export REMEDIATOR_DEMO_API_PORT="${REMEDIATOR_DEMO_API_PORT:-18080}" REMEDIATOR_DEMO_QUEUE_PORT="${REMEDIATOR_DEMO_QUEUE_PORT:-18081}"
# start_bg NAME LOG CMD...: a daemon in its own session (it outlives this script), pid in $RUN/NAME.pid.
start_bg() {
  local name="$1" logfile="$2"; shift 2
  setsid "$@" >>"$logfile" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
}

# --- Redis -----------------------------------------------------------------------------------
REDIS_PORT="${REMEDIATOR_REDIS_PORT:-16379}"
if [ -n "${REDIS_URL:-}" ] && redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
  log "using Redis at $REDIS_URL"
elif alive "$RUN/redis.pid"; then
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT"; log "Redis already running ($REDIS_URL)"
else
  mkdir -p "$RUN/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes --dir "$RUN/redis" \
    --maxmemory-policy noeviction --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log"
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  wait_for 10 redis-cli -p "$REDIS_PORT" ping || { log "Redis did not start: see $RUN/redis.log"; exit 1; }
  log "started Redis ($REDIS_URL, AOF in $RUN/redis)"
fi

# --- Docker Engine ---------------------------------------------------------------------------
# The engine this script starts keeps its data root on a size-limited tmpfs: that is the
# demo's disk (node_exporter watches it; `npm run demo -- disk` fills it, disk_full prunes it).
docker_ok() { DOCKER_HOST="$1" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
DEMO_DISK=""
if [ -n "${DOCKER_HOST:-}" ] && docker_ok "$DOCKER_HOST"; then
  log "using Docker at $DOCKER_HOST"
elif [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && docker_ok unix:///var/run/docker.sock; then
  DOCKER_HOST=unix:///var/run/docker.sock; log "using Docker at $DOCKER_HOST"
elif alive "$RUN/dockerd.pid"; then
  DOCKER_HOST="unix://$RUN/docker/docker.sock"; DEMO_DISK="$RUN/docker/data"; log "Docker Engine already running ($DOCKER_HOST)"
else
  DEMO_DISK="$RUN/docker/data"
  mkdir -p "$DEMO_DISK"
  mountpoint -q "$DEMO_DISK" || mount -t tmpfs -o "size=${DEMO_DISK_SIZE:-256m}" tmpfs "$DEMO_DISK"
  DOCKER_HOST="unix://$RUN/docker/docker.sock"
  start_bg dockerd "$RUN/dockerd.log" dockerd --iptables=false --bridge=none --data-root "$DEMO_DISK" \
    --exec-root "$RUN/docker/exec" --host "$DOCKER_HOST" --pidfile "$RUN/docker/dockerd.pid"
  wait_for 30 docker_ok "$DOCKER_HOST" || { log "dockerd did not start: see $RUN/dockerd.log"; exit 1; }
  log "started a Docker Engine ($DOCKER_HOST, data root on a ${DEMO_DISK_SIZE:-256m} tmpfs at $DEMO_DISK)"
fi
export DOCKER_HOST REMEDIATOR_DEMO_DISK="$DEMO_DISK"

# --- remediator ------------------------------------------------------------------------------
[ -f "$RUN/webhook-token" ] || node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))' > "$RUN/webhook-token"
chmod 600 "$RUN/webhook-token"
if alive "$RUN/remediator.pid"; then
  log "remediator already running (pid $(cat "$RUN/remediator.pid"))"
else
  start_bg remediator "$RUN/remediator.log" env PORT="$PORT" REDIS_URL="$REDIS_URL" DOCKER_HOST="$DOCKER_HOST" \
    WEBHOOK_TOKEN="$(cat "$RUN/webhook-token")" REMEDIATIONS_DIR="${REMEDIATIONS_DIR:-$ROOT/remediations}" LOG_FORMAT=json \
    PROMETHEUS_URL="http://127.0.0.1:$PROM_PORT" ALERTMANAGER_URL="http://127.0.0.1:$AM_PORT" \
    node "$ROOT/bin/remediator.js" start
  wait_for 40 curl -fsS "http://127.0.0.1:$PORT/healthz" || { log "remediator did not start: see $RUN/remediator.log"; tail -20 "$RUN/remediator.log"; exit 1; }
  log "started remediator (http://127.0.0.1:$PORT)"
fi

# --- node_exporter, the demo, Prometheus, Alertmanager ----------------------------------------
if ! alive "$RUN/node-exporter.pid"; then
  start_bg node-exporter "$RUN/node-exporter.log" prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT"
  wait_for 20 curl -fsS "http://127.0.0.1:$NODE_PORT/metrics" || { log "node_exporter did not start: see $RUN/node-exporter.log"; exit 1; }
  log "started node_exporter (http://127.0.0.1:$NODE_PORT)"
fi
# Builds the demo image from busybox, starts it, and writes Prometheus' and Alertmanager's config.
"$TSX" demo/cli.ts start
if ! alive "$RUN/prometheus.pid"; then
  start_bg prometheus "$RUN/prometheus.log" prometheus --config.file="$RUN/prometheus/prometheus.yml" \
    --storage.tsdb.path="$RUN/prometheus/data" --web.listen-address="127.0.0.1:$PROM_PORT"
  wait_for 30 curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready" || { log "Prometheus did not start: see $RUN/prometheus.log"; exit 1; }
  log "started Prometheus (http://127.0.0.1:$PROM_PORT, rules from alert-rules/${DEMO_FAST:+, fast timings})"
fi
if ! alive "$RUN/alertmanager.pid"; then
  start_bg alertmanager "$RUN/alertmanager.log" prometheus-alertmanager --config.file="$RUN/alertmanager/alertmanager.yml" \
    --storage.path="$RUN/alertmanager/data" --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address=
  wait_for 30 curl -fsS "http://127.0.0.1:$AM_PORT/-/ready" || { log "Alertmanager did not start: see $RUN/alertmanager.log"; exit 1; }
  log "started Alertmanager (http://127.0.0.1:$AM_PORT, receiver: remediator's webhook)"
fi

cat > "$RUN/env" <<ENV
REDIS_URL=$REDIS_URL
DOCKER_HOST=$DOCKER_HOST
PORT=$PORT
PROMETHEUS_URL=http://127.0.0.1:$PROM_PORT
ALERTMANAGER_URL=http://127.0.0.1:$AM_PORT
ENV

if [ -n "$DEMO_DISK" ]; then DISK_LINE="npm run demo -- disk       a crashed batch job fills the demo disk ($DEMO_DISK) -> disk_full -> prune"
else DISK_LINE="(disk fault off: remediator uses your Docker Engine, whose disk the demo never fills)"; fi
cat <<TXT

remediator is up.
  webhook       POST http://127.0.0.1:$PORT/webhook/alertmanager   (Authorization: Bearer \$(cat ${RUN#"$ROOT/"}/webhook-token))
  remediator    http://127.0.0.1:$PORT/healthz   /readyz   /metrics   /api/v1/remediations
  Prometheus    http://127.0.0.1:$PROM_PORT/alerts   (alert-rules/${DEMO_FAST:+, fast timings})
  Alertmanager  http://127.0.0.1:$AM_PORT   (receiver: remediator, bearer token from ${RUN#"$ROOT/"}/webhook-token)
  demo          api http://127.0.0.1:$REMEDIATOR_DEMO_API_PORT/metrics   queue http://127.0.0.1:$REMEDIATOR_DEMO_QUEUE_PORT/metrics
  Redis         $REDIS_URL      Docker  $DOCKER_HOST
  logs          ${RUN#"$ROOT/"}/remediator.log (JSON, one line per job state change)

Break something and watch remediator fix it:
  npm run demo -- latency    the api turns slow -> HighLatency -> restart
  npm run demo -- queue      a traffic surge -> QueueDepthHigh -> scale the worker out, back in once resolved
  $DISK_LINE
  npm run demo -- status     alerts in Prometheus and Alertmanager, demo containers

Stop everything: npm run down
TXT
