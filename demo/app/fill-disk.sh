#!/bin/sh
# Demo batch job that crashes and leaves its scratch data behind: it writes into its own
# container layer until the disk holding the Docker Engine's data root has only LEAVE_PERCENT
# (2 %) free, then exits non-zero. The data stays on the host's disk for as long as the
# stopped container exists; pruning stopped opted-in containers (the disk_full remediation)
# gives the space back.
#
# Only for a small demo disk: it refuses when that filesystem is larger than MAX_DISK_MB
# (1024), so it can never fill a real Docker host's disk.
set -u
LEAVE=${LEAVE_PERCENT:-2}
MAX_MB=${MAX_DISK_MB:-1024}
# The container's root is an overlay whose upper layer is on the engine's data-root disk, so
# df / reports that disk: "overlay <size-KiB> <used> <avail> <use%> /".
set -- $(df -k / | tail -n 1)
size_kb=$2 avail_kb=$4
if [ $((size_kb / 1024)) -gt "$MAX_MB" ]; then
  echo "fill-disk: the Docker data root is $((size_kb / 1024)) MiB, more than MAX_DISK_MB=$MAX_MB: not filling a real disk" >&2
  exit 2
fi
mb=$(((avail_kb - size_kb * LEAVE / 100) / 1024))
if [ "$mb" -le 0 ]; then
  echo "fill-disk: already less than $LEAVE% free" >&2
  exit 1
fi
echo "fill-disk: writing $mb MiB of scratch data to a $((size_kb / 1024)) MiB disk"
dd if=/dev/zero of=/scratch.bin bs=1M count="$mb" 2>&1 | tail -n 1
echo "fill-disk: crashed, leaving /scratch.bin behind" >&2
exit 1
