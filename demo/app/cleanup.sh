#!/bin/sh
# The cache service's own cleanup (seed 004: clear old logs and caches): what remediator's
# disk_full runbook runs in every opted-in container that declares it by label. Bounded and
# idempotent: it only removes what is under /var/cache/demo.
set -eu
before=$(du -sk /var/cache/demo 2>/dev/null | cut -f1)
rm -rf /var/cache/demo/* 2>/dev/null || true
echo "cleanup: freed ${before:-0} KiB of old logs and caches"
