#!/usr/bin/env bash
# Installs the Debian packages remediator's tests, demo and benchmarks run for real: Redis (and
# redis-sentinel for the Sentinel tests), openssl (test certificates for a TLS engine),
# Docker Engine, Prometheus (+promtool), Alertmanager, node_exporter and busybox (base of the
# test images), docker-compose (checks docker-compose.yml) and Chromium (queue UI browser test). Does nothing when they are all there already.
set -euo pipefail

declare -A need=(
  [redis-server]=redis-server
  [redis-sentinel]=redis-sentinel
  [openssl]=openssl
  [dockerd]=docker.io
  [prometheus]=prometheus
  [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [prometheus-node-exporter]=prometheus-node-exporter
  [busybox]=busybox-static
  [docker-compose]=docker-compose
  [chromium]=chromium
  [curl]=curl
  [setpriv]=util-linux
)
missing=()
for bin in "${!need[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || [ -x "/usr/bin/$bin" ] || missing+=("${need[$bin]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "[ensure-system] installing Debian packages: ${pkgs[*]}"
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "[ensure-system] not root and no sudo: install these packages first: ${pkgs[*]}" >&2
    exit 1
  fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
echo "[ensure-system] installed: ${pkgs[*]}"
