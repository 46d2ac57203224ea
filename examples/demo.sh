#!/bin/sh
# SPDX-License-Identifier: MIT
# The demo: one echo server source, linked once per backend, under the same
# load from the echo client; then the timers example.
# Usage: examples/demo.sh BUILDDIR
set -eu
build=${1:-.}
client="$build/examples/echo-client"
out=$(mktemp)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -f "$out"
}
trap cleanup EXIT

# run_backend NAME CONNS MESSAGES: start echo-server-NAME, load it, print a row.
run_backend() {
    server="$build/examples/echo-server-$1"
    : > "$out"
    "$server" 0 > "$out" &
    server_pid=$!
    port=
    for _ in $(seq 1 100); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || { echo "demo: echo-server-$1 did not start" >&2; exit 1; }
    line=$("$client" "$port" "$2" "$3" 64)
    ticks=$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    rts=$(echo "$line" | sed -n 's/.* \([0-9]*\) rt\/s.*/\1/p')
    p50=$(echo "$line" | sed -n 's/.*p50 \([0-9]*\) us.*/\1/p')
    p99=$(echo "$line" | sed -n 's/.*p99 \([0-9]*\) us.*/\1/p')
    cpu_ms=$((ticks * 1000 / $(getconf CLK_TCK)))
    printf '| %-7s | %11s | %7s | %7s | %14s |\n' "$1" "$rts" "$p50" "$p99" \
        "$cpu_ms"
}

backends=
for s in "$build"/examples/echo-server-*; do
    [ -x "$s" ] && backends="$backends ${s##*/echo-server-}"
done
conns=64
messages=2000
echo "== the same echo server (examples/echo-server.c) linked with each backend library;"
echo "   echo-client: $conns connections x $messages ping-pongs of 64 bytes, every byte verified"
echo
echo "| backend | round trips/s | p50 µs | p99 µs | server CPU ms |"
echo "|---------|--------------:|-------:|-------:|--------------:|"
for b in $backends; do
    run_backend "$b" "$conns" "$messages"
done
echo
echo "(one client thread and the server share this machine's cores: compare"
echo " the rows with each other, not with other machines)"
echo
echo "== timers example"
"$build/examples/timers"
