#!/bin/sh
# SPDX-License-Identifier: MIT
# The demo: the echo server under load from the echo client, then the timers
# example. Usage: examples/demo.sh BUILDDIR
set -eu
build=${1:-.}
server="$build/examples/echo-server-epoll"
client="$build/examples/echo-client"
out=$(mktemp)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -f "$out"
}
trap cleanup EXIT

"$server" 0 > "$out" &
server_pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "demo: the echo server did not start" >&2; exit 1; }
echo "== echo server (libfutures on epoll) listening on 127.0.0.1:$port"
for conns in 1 64 512; do
    echo "== echo client: $conns connection(s), 64-byte messages, every byte verified"
    "$client" "$port" "$conns" $((200000 / conns)) 64
done
srv_ticks=$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")
echo "== server CPU time: $((srv_ticks * 1000 / $(getconf CLK_TCK))) ms," \
     "RSS $(awk '/VmRSS/ { print $2, $3 }' "/proc/$server_pid/status")"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
echo "== timers example"
"$build/examples/timers"
