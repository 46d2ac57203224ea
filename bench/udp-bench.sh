#!/bin/sh
# SPDX-License-Identifier: MIT
# UDP ping-pong: our UDP echo server against a raw epoll one, CPU per round trip.
#
# Usage: bench/udp-bench.sh OURS_CMD RAW_CMD
#   e.g. bench/udp-bench.sh "build/examples/udp-echo server" bench/raw/udp_echo_epoll
# Each command is run with the port argument 0 appended and must print
# "listening on 127.0.0.1:PORT". The two servers run one after the other,
# REPS times (A B A B ...), pinned on SERVER_CPU; the client (udp_pingpong)
# on CLIENT_CPU keeps one datagram in flight for RTS round trips and reads
# the server's CPU time (/proc/PID/schedstat) before and after. Prints the
# medians of the server's CPU ns per round trip and of the wall time per
# round trip, and the ratio ours/raw of the CPU medians.
#
# Environment: PINGPONG (default: udp_pingpong next to this script), RTS
# (50000), SIZE (64), REPS (5), SERVER_CPU (1), CLIENT_CPU (0).
set -u

here=$(cd "$(dirname "$0")" && pwd)
PINGPONG=${PINGPONG:-$here/udp_pingpong}
RTS=${RTS:-50000}
SIZE=${SIZE:-64}
REPS=${REPS:-5}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

[ $# -eq 2 ] || { echo "usage: $0 OURS_CMD RAW_CMD" >&2; exit 2; }
[ -x "$PINGPONG" ] || { echo "$0: no client at $PINGPONG" >&2; exit 2; }
if command -v taskset >/dev/null 2>&1; then
    pin_server="taskset -c $SERVER_CPU"
    pin_client="taskset -c $CLIENT_CPU"
else
    pin_server=
    pin_client=
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/udp-bench.XXXXXX") || exit 2
srv_pid=
stop_server() {
    if [ -n "$srv_pid" ]; then
        kill "$srv_pid" 2>/dev/null
        wait "$srv_pid" 2>/dev/null
        srv_pid=
    fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

failed=0
# run_one NAME CMD
run_one() {
    : > "$tmp/out"
    # shellcheck disable=SC2086
    $pin_server $2 0 > "$tmp/out" 2> "$tmp/err" &
    srv_pid=$!
    port=
    i=0
    while [ $i -lt 100 ]; do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/out")
        [ -n "$port" ] && break
        kill -0 "$srv_pid" 2>/dev/null || break
        sleep 0.05
        i=$((i + 1))
    done
    if [ -z "$port" ]; then
        line="FAILED server did not start"
    else
        # shellcheck disable=SC2086
        line=$(timeout 120 $pin_client "$PINGPONG" "$port" "$srv_pid" \
               "$RTS" "$SIZE" 2>&1 | tail -n 1)
    fi
    stop_server
    case $line in
    OK*) echo "$1 $line" >> "$tmp/results" ;;
    *) echo "$1: $line" >&2; failed=1 ;;
    esac
}

: > "$tmp/results"
r=0
while [ $r -lt "$REPS" ]; do
    run_one ours "$1"
    run_one raw "$2"
    r=$((r + 1))
done

# median NAME FIELD: the median of FIELD=value over the NAME runs.
median() {
    grep "^$1 " "$tmp/results" | tr ' ' '\n' | sed -n "s/^$2=//p" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
             else if (NR % 2) print v[(NR + 1) / 2];
             else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ours_cpu=$(median ours server_cpu_ns_per_rt)
raw_cpu=$(median raw server_cpu_ns_per_rt)
ours_wall=$(median ours wall_us_per_rt)
raw_wall=$(median raw wall_us_per_rt)
echo "UDP ping-pong, $SIZE-byte datagrams, $RTS round trips x $REPS runs each (medians)"
echo
echo "| server | server CPU ns / round trip | wall µs / round trip |"
echo "|---|---|---|"
echo "| futures (udp-echo) | $ours_cpu | $ours_wall |"
echo "| raw epoll | $raw_cpu | $raw_wall |"
echo
awk -v a="$ours_cpu" -v b="$raw_cpu" 'BEGIN { if (b > 0) printf "CPU ratio futures/raw: %.3f\n", a / b }'
exit $failed
