#!/usr/bin/env bash
# Stops what `npm run up` started (remediator, then the Docker Engine and Redis it started),
# by PID, and leaves no process or mount behind. Data stays in .run/ for the next `up`.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN="$PWD/.run"
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
stop remediator "$RUN/remediator.pid" 40
if [ -f "$RUN/dockerd.pid" ]; then
  stop dockerd "$RUN/dockerd.pid" 40
  # containerd and shims started by that dockerd, and mounts it may leave behind.
  pkill -f -- "$RUN/docker/exec" 2>/dev/null || true
  grep -o " $RUN/docker[^ ]*" /proc/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
fi
stop redis "$RUN/redis.pid" 10
echo "[down] stopped"
