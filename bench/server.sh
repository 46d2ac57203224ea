# SPDX-License-Identifier: MIT
# Starting and stopping a benchmark's server, shared by echo-bench.sh and
# idle-cpu.sh (sourced, not run). The caller sets $tmp (a directory of
# its own) and SERVER_CPU.

srv_pid=

# start_server CMD: run "CMD 0" pinned on SERVER_CPU (commas in CMD stand
# for spaces, so that make can pass arguments), its output in
# $tmp/server.out and .err, and wait (5 s at most) for its line
# "listening on 127.0.0.1:PORT". Sets srv_pid, and port (empty when the
# server did not start).
start_server() {
    : > "$tmp/server.out"
    cmd=$(printf '%s' "$1" | tr , ' ')
    # shellcheck disable=SC2086 # CMD may carry arguments
    taskset -c "$SERVER_CPU" $cmd 0 > "$tmp/server.out" 2> "$tmp/server.err" &
    srv_pid=$!
    port=
    i=0
    while [ $i -lt 100 ]; do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/server.out" | head -n 1)
        [ -n "$port" ] && break
        kill -0 "$srv_pid" 2>/dev/null || break
        sleep 0.05
        i=$((i + 1))
    done
}

# stop_server: SIGTERM, then SIGKILL after 2 s.
stop_server() {
    if [ -n "$srv_pid" ]; then
        kill "$srv_pid" 2>/dev/null
        i=0
        while kill -0 "$srv_pid" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$srv_pid" 2>/dev/null
        wait "$srv_pid" 2>/dev/null
        srv_pid=
    fi
}
