#!/bin/bash
# SPDX-License-Identifier: MIT
# Memory per idle connection: a server's VmRSS before and after N idle
# connections (each has echoed one byte, then stays open and silent).
# usage: idle-mem.sh NAME CMD [NAME CMD ...]
#   (env: IDLE_CONNS, IDLECONN, IDLE_LEAN)
#
# Each CMD is run as "CMD 0" and must print "listening on 127.0.0.1:PORT";
# commas in a CMD stand for spaces. ours-X-one-fd (echo-server --one-fd,
# FUT_BACKEND_ONE_FD) is set beside raw-X.
# A server named ours-X (examples/echo-server-X) is measured a second time
# as ours-X-lean, run as "CMD --lean 0": the mode that holds no buffer while
# a connection is idle (IDLE_LEAN=0 leaves those rows out). The table is
# printed once every server ran, so that each of ours can be set beside
# raw-X, the raw server on the same loop.
set -u
conns=${IDLE_CONNS:-10000}
idle=${IDLECONN:-./bench/idleconn}
lean=${IDLE_LEAN:-1}
buf=16384               # each server's read buffer per connection
beyond_target=256       # ours: bytes beyond the buffer (issue 4)
lean_target=1024        # ours, --lean: bytes in all
out=$(mktemp)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$out"; }
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

names=() befores=() afters=() pers=() notes=()

# measure NAME CMD...: one server, one row of results.
measure() {
    local name=$1 line before after port
    shift
    : > "$out"
    "$@" 0 > "$out" &
    pid=$!
    port=
    for _ in $(seq 1 100); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
        [ -n "$port" ] && break
        sleep 0.05
    done
    names+=("$name")
    if [ -z "$port" ]; then
        kill "$pid" 2>/dev/null; pid=
        befores+=(""); afters+=(""); pers+=(""); notes+=("failed to start")
        return
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
    befores+=("$before")
    if [ "$line" != "connected $conns" ]; then
        afters+=(""); pers+=(""); notes+=("failed: ${line:-no answer}")
        return
    fi
    afters+=("$after")
    pers+=("$(( (after - before) * 1024 / conns ))")
    notes+=("")
}

while [ $# -ge 2 ]; do
    name=$1 cmd=${2//,/ }
    shift 2
    # shellcheck disable=SC2086 # CMD may carry arguments
    measure "$name" $cmd
    case $name in
    ours-*)
        # shellcheck disable=SC2086
        [ "$lean" = 1 ] && measure "$name-lean" $cmd --lean ;;
    esac
done

# bytes NAME: the bytes/conn of server NAME, empty if it failed or did not run.
bytes() {
    local i
    for i in "${!names[@]}"; do
        [ "${names[$i]}" = "$1" ] && { echo "${pers[$i]}"; return; }
    done
}

echo
echo "### Memory per idle connection ($conns connections, VmRSS)"
echo
echo "| server | RSS before KiB | RSS after KiB | bytes/conn | beyond the $buf B buffer | ratio to raw | target |"
echo "|---|---:|---:|---:|---:|---:|---|"
for i in "${!names[@]}"; do
    name=${names[$i]} per=${pers[$i]}
    if [ -z "$per" ]; then
        echo "| $name | ${befores[$i]} | ${notes[$i]} | | | | |"
        continue
    fi
    beyond='' ratio='' target=''
    case $name in
    ours-*-lean)
        raw=raw-${name#ours-}; raw=${raw%-lean}; raw=${raw%-one-fd}
        if [ "$per" -le "$lean_target" ]; then st=met; else st=missed; fi
        target="≤ $lean_target B in all: $st" ;;
    ours-*)
        raw=raw-${name#ours-}; raw=${raw%-one-fd}
        beyond=$((per - buf))
        if [ "$beyond" -le "$beyond_target" ]; then st=met; else st=missed; fi
        target="≤ $beyond_target B beyond the buffer: $st" ;;
    *)
        raw= ;;
    esac
    rawper=
    [ -n "$raw" ] && rawper=$(bytes "$raw")
    if [ -n "$rawper" ] && [ "$rawper" -gt 0 ]; then
        ratio=$(awk -v a="$per" -v b="$rawper" 'BEGIN { printf "%.2f", a / b }')
    fi
    echo "| $name | ${befores[$i]} | ${afters[$i]} | $per | $beyond | $ratio | $target |"
done
echo
echo "Every server but the lean ones reads into a $buf B buffer per"
echo "connection. The raw servers malloc it and touch it only as they read,"
echo "so an idle one costs about a page of it; ours keeps it in the task,"
echo "which spawn copies in whole, so all of it counts: 'beyond the buffer'"
echo "is what the task, stream and registration cost on top. The -lean rows"
echo "(echo-server --lean) hold no buffer while idle. See docs/performance.md."
