#!/bin/sh
# Shared by the queue broker and its consumers: the "emails" queue is a message count in a
# directory every container of the demo mounts at /queue (a host folder or a volume). Every
# read-modify-write holds a lock (mkdir is atomic), so each message is taken exactly once,
# however many consumer replicas run.
Q=${QUEUE_DIR:-/queue}

lock() {
  tries=0
  until mkdir "$Q/.lock" 2>/dev/null; do
    tries=$((tries + 1))
    # Holders keep it for microseconds; one that waited ~2 s is looking at a lock left by a
    # replica killed while holding it. Break it rather than stall the queue forever.
    if [ "$tries" -ge 200 ]; then rm -rf "$Q/.lock"; tries=0; fi
    sleep 0.01
  done
}

unlock() { rm -rf "$Q/.lock"; }

# DEPTH <- the queue's depth (call with the lock held).
read_depth() {
  DEPTH=0
  [ -f "$Q/depth" ] && read -r DEPTH < "$Q/depth"
  case "$DEPTH" in '' | *[!0-9]*) DEPTH=0 ;; esac
}

# Seconds since boot (the same clock in every container of the host).
uptime_s() { read -r up _ < /proc/uptime; UP=${up%.*}; }
