#!/bin/bash
# SPDX-License-Identifier: MIT
# Memory per idle connection: a server's VmRSS before and after N idle
# connections (each has echoed one byte, then stays open and silent).
# usage: idle-mem.sh NAME CMD [NAME CMD ...]   (env: IDLE_CONNS, IDLECONN)
set -u
conns=${IDLE_CONNS:-10000}
idle=${IDLECONN:-./bench/idleconn}
out=$(mktemp)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$out"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

echo
echo "### Memory per idle connection ($conns connections, VmRSS)"
echo
echo "| server | RSS before KiB | RSS after KiB | bytes/conn |"
echo "|---|---:|---:|---:|"
while [ $# -ge 2 ]; do
    name=$1 cmd=$2
    shift 2
    : > "$out"
    $cmd 0 > "$out" &
    pid=$!
    port=
    for _ in $(seq 1 100); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
        [ -n "$port" ] && break
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "| $name | failed to start | | |"
        kill "$pid" 2>/dev/null; pid=; continue
    fi
    before=$(rss "$pid")
    coproc IDLE { timeout 60 "$idle" "$port" "$conns" 30; }
    read -r -t 50 line <&"${IDLE[0]}" || line=
    sleep 0.5
    after=$(rss "$pid")
    kill "$IDLE_PID" 2>/dev/null
    wait "$IDLE_PID" 2>/dev/null
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
    if [ "$line" != "connected $conns" ]; then
        echo "| $name | $before | failed: ${line:-no answer} | |"
        continue
    fi
    echo "| $name | $before | $after | $(( (after - before) * 1024 / conns )) |"
done
echo
echo "Each server reads into a 16 KiB buffer per connection; a figure below"
echo "16 KiB means the buffer's pages were not all touched (see docs/performance.md)."
