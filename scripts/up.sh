#!/usr/bin/env bash
# One command up on a fresh machine: installs what is missing, starts Redis and a Docker Engine
# where none is reachable (private ports and folders under .run/), then remediator itself in
# the background. `npm run down` stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
RUN="$ROOT/.run"
mkdir -p "$RUN"

bash scripts/ensure-system.sh
bash scripts/ensure-node.sh
[ -f dist/main.js ] && [ -z "$(find src -newer dist/main.js -name '*.ts' | head -1)" ] || { echo "[up] building"; npm run -s build; }

log() { echo "[up] $*"; }
wait_for() { # wait_for SECONDS CMD...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

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
docker_ok() { DOCKER_HOST="$1" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if [ -n "${DOCKER_HOST:-}" ] && docker_ok "$DOCKER_HOST"; then
  log "using Docker at $DOCKER_HOST"
elif [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && docker_ok unix:///var/run/docker.sock; then
  DOCKER_HOST=unix:///var/run/docker.sock; log "using Docker at $DOCKER_HOST"
elif alive "$RUN/dockerd.pid"; then
  DOCKER_HOST="unix://$RUN/docker/docker.sock"; log "Docker Engine already running ($DOCKER_HOST)"
else
  mkdir -p "$RUN/docker"
  DOCKER_HOST="unix://$RUN/docker/docker.sock"
  setsid dockerd --iptables=false --bridge=none --data-root "$RUN/docker/data" --exec-root "$RUN/docker/exec" \
    --host "$DOCKER_HOST" --pidfile "$RUN/docker/dockerd.pid" >"$RUN/dockerd.log" 2>&1 < /dev/null &
  echo $! > "$RUN/dockerd.pid"
  wait_for 30 docker_ok "$DOCKER_HOST" || { log "dockerd did not start: see $RUN/dockerd.log"; exit 1; }
  log "started a Docker Engine ($DOCKER_HOST, data in $RUN/docker)"
fi

# --- remediator ------------------------------------------------------------------------------
[ -f "$RUN/webhook-token" ] || node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))' > "$RUN/webhook-token"
chmod 600 "$RUN/webhook-token"
PORT="${PORT:-9095}"
if alive "$RUN/remediator.pid"; then
  log "remediator already running (pid $(cat "$RUN/remediator.pid"))"
else
  env PORT="$PORT" REDIS_URL="$REDIS_URL" DOCKER_HOST="$DOCKER_HOST" WEBHOOK_TOKEN="$(cat "$RUN/webhook-token")" \
    REMEDIATIONS_DIR="${REMEDIATIONS_DIR:-$ROOT/remediations}" LOG_FORMAT=json \
    setsid node "$ROOT/bin/remediator.js" start >>"$RUN/remediator.log" 2>&1 < /dev/null &
  echo $! > "$RUN/remediator.pid"
  wait_for 20 curl -fsS "http://127.0.0.1:$PORT/healthz" || { log "remediator did not start: see $RUN/remediator.log"; tail -20 "$RUN/remediator.log"; exit 1; }
fi
cat > "$RUN/env" <<ENV
REDIS_URL=$REDIS_URL
DOCKER_HOST=$DOCKER_HOST
PORT=$PORT
ENV

cat <<TXT

remediator is up.
  webhook   POST http://127.0.0.1:$PORT/webhook/alertmanager   (Authorization: Bearer \$(cat .run/webhook-token))
  health    http://127.0.0.1:$PORT/healthz   ready: http://127.0.0.1:$PORT/readyz   metrics: http://127.0.0.1:$PORT/metrics
  Redis     $REDIS_URL
  Docker    $DOCKER_HOST
  logs      .run/remediator.log (JSON, one line per job state change)

Try it (dry-run first: nothing in remediations/ touches a container without remediator.enable=true):
  curl -s -H "Authorization: Bearer \$(cat .run/webhook-token)" -H 'content-type: application/json' \\
       --data @test/fixtures/alertmanager-0.25/firing-disk-full.json http://127.0.0.1:$PORT/webhook/alertmanager

Stop everything: npm run down
TXT
