#!/bin/sh
# Demo cache service: a long-running container that keeps old logs and caches in its own layer
# (/var/cache/demo), as services do. It declares how to clear them with the label
# remediator.cleanup='["sh","/app/cleanup.sh"]', which the disk_full runbook's first step runs.
set -u
mkdir -p /var/cache/demo
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
