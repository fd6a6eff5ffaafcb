#!/usr/bin/env bash
# Stops what `npm run up` started, by PID: Alertmanager, Prometheus, the demo containers,
# node_exporter, remediator, then the Docker Engine (and its tmpfs data root) and Redis it
# started, and removes .run/env (where the stack was). Leaves no process, mount or container
# behind. Redis' AOF and the generated secrets (webhook-token, admin-password) stay in .run/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
RUN="${REMEDIATOR_RUN_DIR:-$ROOT/.run}"
[ -d "$RUN" ] || { echo "[down] nothing to stop ($RUN does not exist)"; exit 0; }
RUN="$(cd "$RUN" && pwd)"
export REMEDIATOR_RUN_DIR="$RUN"
# First: the stack it describes is going away, and the CLI must not read it meanwhile.
rm -f "$RUN/env"

stop() { # stop NAME PIDFILE SECONDS
  local pidfile="$2"
  [ -f "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    echo "[down] stopping $1 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $(( $3 * 5 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { echo "[down] $1 still running: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$pidfile"
}
# Processes whose command line names a path under $1 (containerd and shims of our dockerd). The
# first character in brackets keeps grep from matching its own command line.
pids_under() { grep -lsa -- "[${1:0:1}]${1:1}/" /proc/[0-9]*/cmdline | cut -d/ -f3; return 0; }

stop alertmanager "$RUN/alertmanager.pid" 10
stop prometheus "$RUN/prometheus.pid" 20
# The demo's containers go before the engine stops, so none is left on an engine that stays.
if [ -f "$RUN/demo.json" ] && [ -x node_modules/.bin/tsx ]; then
  node_modules/.bin/tsx demo/cli.ts stop || echo "[down] could not remove the demo containers (engine gone?)"
  rm -f "$RUN/demo.json"
fi
stop node-exporter "$RUN/node-exporter.pid" 10
stop remediator "$RUN/remediator.pid" 40
stop dockerd "$RUN/dockerd.pid" 40
# Also after a crash of dockerd: what it started, then its mounts deepest first (overlays, the
# netns bind mount, then the tmpfs data root).
for pid in $(pids_under "$RUN/docker/exec"); do kill -KILL "$pid" 2>/dev/null || true; done
grep -o " $RUN/docker[^ ]*" /proc/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
stop redis "$RUN/redis.pid" 10
echo "[down] stopped"
