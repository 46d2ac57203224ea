#!/bin/sh
# SPDX-License-Identifier: MIT
# Idle CPU of echo servers: what a server with no traffic costs.
#
# Usage: bench/idle-cpu.sh NAME CMD [NAME CMD ...]
#   e.g. bench/idle-cpu.sh ours-epoll build/examples/echo-server-epoll raw-epoll bench/raw/echo_epoll
# Each CMD is run as "CMD 0" and must print "listening on 127.0.0.1:PORT";
# commas in a CMD stand for spaces. For each server: its CPU time and its
# voluntary context switches (wakes) over IDLE_SECONDS (5) with no
# connection at all; then one connection's ping-pong for a second (so a
# runtime that adapts to traffic has learnt from it), and the same figures
# over the next IDLE_SECONDS with the connection closed.
# Prints a markdown table; exit status 1 if a server did not start.
#
# Environment: LOADGEN (default: loadgen next to this script), IDLE_SECONDS
# (5), SERVER_CPU (1), LOADGEN_CPU (0).
set -u

here=$(cd "$(dirname "$0")" && pwd)
LOADGEN=${LOADGEN:-$here/loadgen}
IDLE_SECONDS=${IDLE_SECONDS:-5}
SERVER_CPU=${SERVER_CPU:-1}
LOADGEN_CPU=${LOADGEN_CPU:-0}

if [ $# -eq 0 ] || [ $(($# % 2)) -ne 0 ]; then
    echo "usage: $0 NAME CMD [NAME CMD ...]" >&2
    exit 2
fi
[ -x "$LOADGEN" ] || { echo "$0: no load generator at $LOADGEN" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/idle-cpu.XXXXXX") || exit 2
. "$here/server.sh"
cleanup() { stop_server; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# CPU ns and voluntary switches of every thread of $srv_pid: "NS SWITCHES".
usage() {
    ns=0 sw=0
    for t in /proc/"$srv_pid"/task/*; do
        read -r run _ < "$t/schedstat" || continue
        v=$(sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "$t/status")
        ns=$((ns + run)) sw=$((sw + ${v:-0}))
    done
    echo "$ns $sw"
}

# idle_window: "CPU% wakes/s" over IDLE_SECONDS.
idle_window() {
    set -- $(usage)
    sleep "$IDLE_SECONDS"
    set -- "$@" $(usage)
    awk -v a="$1" -v b="$3" -v c="$2" -v d="$4" -v s="$IDLE_SECONDS" \
        'BEGIN { printf "%.3f %% | %.1f", (b - a) / (s * 1e7), (d - c) / s }'
}

failed=0
echo
echo "### Idle CPU, ${IDLE_SECONDS} s with no traffic (server CPU$SERVER_CPU)"
echo
echo "| server | CPU, never connected | wakes/s | CPU, after 1 s of 1-connection load | wakes/s |"
echo "|---|---:|---:|---:|---:|"
while [ $# -ge 2 ]; do
    name=$1
    start_server "$2"
    shift 2
    if [ -z "$port" ]; then
        echo "| $name | FAILED (did not start) | | | |"
        failed=1
    else
        sleep 0.5
        fresh=$(idle_window)
        taskset -c "$LOADGEN_CPU" "$LOADGEN" 127.0.0.1 "$port" 1 64 1 > /dev/null 2>&1
        sleep 0.2
        after=$(idle_window)
        echo "| $name | $fresh | $after |"
    fi
    stop_server
done
echo
echo "Target: about 0 % (no polling while idle)."
exit $failed
