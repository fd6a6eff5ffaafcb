#!/usr/bin/env bash
# One command up on a fresh machine: installs what is missing, then starts (private ports and
# folders under .run/, 127.0.0.1 only) Redis, a Docker Engine where none is reachable,
# node_exporter, the demo application, Prometheus loaded with alert-rules/, Alertmanager whose
# receiver is remediator's webhook (bearer token from .run/webhook-token), and remediator with
# its queue UI on /admin (user admin, password in .run/admin-password). It writes .run/env
# (where the stack is: the CLI reads it) and prints only the URLs that answer.
# `npm run down` stops everything this script started.
#
#   DEMO_FAST=1 npm run up   test timings (1 s scrape, for: 2s, 10 s windows) instead of the
#                            rules exactly as shipped (alerts then fire after 1-2 minutes)
#   SLACK_BOT_TOKEN=xoxb-... SLACK_CHANNEL=#demo npm run up    and remediator tells Slack (any
#                            variable remediator reads is passed on as it is set here)
# Ports: PORT (9095), REMEDIATOR_{REDIS,PROMETHEUS,ALERTMANAGER,NODE_EXPORTER,DEMO_API,
# DEMO_QUEUE,DEMO_DB}_PORT (16379, 19090, 19093, 19100, 18080, 18081, 18082); REMEDIATOR_RUN_DIR (.run).
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
export REMEDIATOR_DEMO_DB_PORT="${REMEDIATOR_DEMO_DB_PORT:-18082}"
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

# --- secrets ---------------------------------------------------------------------------------
# The webhook's bearer token (Alertmanager reads it from the file) and the queue UI's password:
# 48 random hex characters each, mode 600 from the start.
secret() { [ -s "$1" ] || (umask 077 && node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))' > "$1"); chmod 600 "$1"; }
secret "$RUN/webhook-token"
secret "$RUN/admin-password"
ADMIN_USER="${ADMIN_USER:-admin}"

# --- node_exporter, the demo, Prometheus, Alertmanager ----------------------------------------
# Its textfile collector serves the metrics of the demo containers that have no port of their
# own (the files they write in $RUN/demo/metrics).
mkdir -p "$RUN/demo/metrics"
if ! alive "$RUN/node-exporter.pid"; then
  start_bg node-exporter "$RUN/node-exporter.log" prometheus-node-exporter --web.listen-address="127.0.0.1:$NODE_PORT" \
    --collector.textfile.directory="$RUN/demo/metrics"
  wait_for 20 curl -fsS "http://127.0.0.1:$NODE_PORT/metrics" || { log "node_exporter did not start: see $RUN/node-exporter.log"; exit 1; }
  log "started node_exporter (127.0.0.1:$NODE_PORT)"
fi
# Builds the demo image from busybox, starts it, and writes Prometheus' and Alertmanager's config.
"$TSX" demo/cli.ts start
# --web.external-url: the links both put in alerts (generatorURL, externalURL) name the address
# they are reached at here, not the machine's host name.
if ! alive "$RUN/prometheus.pid"; then
  start_bg prometheus "$RUN/prometheus.log" prometheus --config.file="$RUN/prometheus/prometheus.yml" \
    --storage.tsdb.path="$RUN/prometheus/data" --web.listen-address="127.0.0.1:$PROM_PORT" \
    --web.external-url="http://127.0.0.1:$PROM_PORT"
  wait_for 30 curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready" || { log "Prometheus did not start: see $RUN/prometheus.log"; exit 1; }
  log "started Prometheus (127.0.0.1:$PROM_PORT, rules from alert-rules/${DEMO_FAST:+, fast timings})"
fi
if ! alive "$RUN/alertmanager.pid"; then
  start_bg alertmanager "$RUN/alertmanager.log" prometheus-alertmanager --config.file="$RUN/alertmanager/alertmanager.yml" \
    --storage.path="$RUN/alertmanager/data" --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
    --web.external-url="http://127.0.0.1:$AM_PORT"
  wait_for 30 curl -fsS "http://127.0.0.1:$AM_PORT/-/ready" || { log "Alertmanager did not start: see $RUN/alertmanager.log"; exit 1; }
  log "started Alertmanager (127.0.0.1:$AM_PORT, receiver: remediator's webhook)"
fi
# Debian's Alertmanager has no web UI (its / is a placeholder page): then Slack gets no links to
# UI pages. The UI's own script is what tells.
AM_UI=false
curl -fsS -o /dev/null "http://127.0.0.1:$AM_PORT/script.js" 2>/dev/null && AM_UI=true

# --- remediator ------------------------------------------------------------------------------
# Last, so it knows what the others serve. Secrets go through the environment of a subshell,
# never a command line. SLACK_* and the other settings of this shell reach it as they are.
if alive "$RUN/remediator.pid"; then
  log "remediator already running (pid $(cat "$RUN/remediator.pid"))"
else
  (
    export PORT REDIS_URL DOCKER_HOST REMEDIATIONS_DIR="${REMEDIATIONS_DIR:-$ROOT/remediations}" LOG_FORMAT=json \
      PROMETHEUS_URL="http://127.0.0.1:$PROM_PORT" ALERTMANAGER_URL="http://127.0.0.1:$AM_PORT" \
      ALERTMANAGER_EXTERNAL_URL="http://127.0.0.1:$AM_PORT" ALERTMANAGER_UI="$AM_UI" ADMIN_USER
    WEBHOOK_TOKEN="$(cat "$RUN/webhook-token")" ADMIN_PASSWORD="$(cat "$RUN/admin-password")"
    export WEBHOOK_TOKEN ADMIN_PASSWORD
    start_bg remediator "$RUN/remediator.log" node "$ROOT/bin/remediator.js" start
  )
  wait_for 40 curl -fsS "http://127.0.0.1:$PORT/healthz" || { log "remediator did not start: see $RUN/remediator.log"; tail -20 "$RUN/remediator.log"; exit 1; }
  log "started remediator (127.0.0.1:$PORT)"
fi

# Where this stack is, for `remediator check|simulate|history` (they read it for the variables
# not set) and for other tools: set -a; . .run/env; set +a. npm run down removes it.
env_line() { local v="${!1}"; printf "%s='%s'\n" "$1" "${v//\'/\'\\\'\'}"; }
PROMETHEUS_URL="http://127.0.0.1:$PROM_PORT" ALERTMANAGER_URL="http://127.0.0.1:$AM_PORT"
REMEDIATIONS_DIR="${REMEDIATIONS_DIR:-$ROOT/remediations}"
{
  echo "# The stack npm run up started (npm run down removes this file)."
  for v in REDIS_URL DOCKER_HOST PORT PROMETHEUS_URL ALERTMANAGER_URL REMEDIATIONS_DIR; do env_line "$v"; done
} > "$RUN/env"

# Every URL below is asked first; only what answers is printed.
export REDIS_URL DOCKER_HOST ADMIN_USER REMEDIATOR_ROOT="$ROOT"
"$TSX" scripts/up-summary.ts
