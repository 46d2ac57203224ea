#!/bin/sh
# SPDX-License-Identifier: MIT
# Smoke-tests the examples: echo server and client, UDP echo, the timers demo, coroutines.
#
# Run by 'make check' with top_builddir and top_srcdir in the environment.
# Exits 0 when every example that was built works, 1 otherwise.

top_builddir=${top_builddir:-.}
ex="$top_builddir/examples"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fut-examples.XXXXXX") || exit 1
server_pid=

cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

fail() {
    echo "check-examples: FAIL: $*" >&2
    exit 1
}

# ---- echo server and client, once per backend and mode ---------------------
# The same echo-server object file is linked with each backend library
# (the link-time swap); each must serve the same client, in its default
# mode (a buffer per connection) and with --lean (no buffer while idle).

# check_echo SERVER NAME [OPTION]: start SERVER on a free port, run the
# client against it, stop it; fails the script on any error.
check_echo() {
    : > "$tmp/server.out"
    "$1" 0 ${3:+"$3"} >"$tmp/server.out" 2>"$tmp/server.err" &
    server_pid=$!

    # Wait (up to 20 s) for the "listening on 127.0.0.1:PORT" line.
    port=
    i=0
    while [ $i -lt 200 ]; do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
               "$tmp/server.out")
        [ -n "$port" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1 2>/dev/null || sleep 1
        i=$((i + 1))
    done
    if [ -z "$port" ]; then
        cat "$tmp/server.err" >&2
        fail "$2 did not start"
    fi
    echo "$2 listening on port $port"

    "$ex/echo-client" "$port" 50 200 64 ||
        fail "echo-client against $2 (50 x 200 x 64)"
    "$ex/echo-client" "$port" 4 20 40000 ||
        fail "echo-client against $2 (4 x 20 x 40000)"

    kill -0 "$server_pid" 2>/dev/null || fail "$2 died"
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null
    server_pid=
    if [ -s "$tmp/server.err" ]; then
        cat "$tmp/server.err" >&2
        fail "$2 reported errors"
    fi
}

for backend in ${FUT_BACKENDS:-epoll}; do
    server="$ex/echo-server-$backend"
    [ -x "$server" ] || fail "$server was not built"
    check_echo "$server" "echo-server-$backend"
    check_echo "$server" "echo-server-$backend --lean" --lean
    # An unknown option is a usage error, not a server.
    "$server" 0 --no-such-option >/dev/null 2>&1
    [ $? -eq 2 ] || fail "echo-server-$backend accepted an unknown option"
done
# The same server written as coroutines.
if [ -x "$ex/echo-server-coro" ]; then
    check_echo "$ex/echo-server-coro" "echo-server-coro"
    check_echo "$ex/echo-server-coro" "echo-server-coro --lean" --lean
fi

# ---- line server and client ----------------------------------------------------
# The client checks the replies, the line limit and the 2 s idle timeout
# (it waits for the server to close the idle connection, not for a clock),
# against the server written as async frames and as coroutines.
for line_server in line-server line-server-coro; do
    [ -x "$ex/$line_server" ] || continue
    : > "$tmp/line.out"
    "$ex/$line_server" 0 >"$tmp/line.out" 2>"$tmp/line.err" &
    server_pid=$!
    port=
    i=0
    while [ $i -lt 200 ]; do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
               "$tmp/line.out")
        [ -n "$port" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1 2>/dev/null || sleep 1
        i=$((i + 1))
    done
    [ -n "$port" ] || { cat "$tmp/line.err" >&2; fail "$line_server did not start"; }
    "$ex/line-client" "$port" || fail "line-client against $line_server"
    kill -0 "$server_pid" 2>/dev/null || fail "$line_server died"
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null
    server_pid=
    echo "$line_server OK"
done

# ---- UDP echo server and client ----------------------------------------------------
# The client checks every echo (sequence number and bytes) and says how many
# came back; a usage error is exit status 2.
if [ -x "$ex/udp-echo" ]; then
    : > "$tmp/udp.out"
    "$ex/udp-echo" server 0 >"$tmp/udp.out" 2>"$tmp/udp.err" &
    server_pid=$!
    port=
    i=0
    while [ $i -lt 200 ]; do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
               "$tmp/udp.out")
        [ -n "$port" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1 2>/dev/null || sleep 1
        i=$((i + 1))
    done
    [ -n "$port" ] || { cat "$tmp/udp.err" >&2; fail "udp-echo server did not start"; }
    for args in "500" "50 0" "20 60000"; do
        # shellcheck disable=SC2086
        out=$("$ex/udp-echo" client "$port" $args) ||
            fail "udp-echo client $args"
        set -- $args
        [ "$out" = "$1 datagrams of ${2:-64} bytes echoed" ] ||
            fail "udp-echo client $args said: $out"
    done
    "$ex/udp-echo" client "$port" 1 70000 >/dev/null 2>&1
    [ $? -eq 2 ] || fail "udp-echo accepted a datagram over 65507 bytes"
    kill -0 "$server_pid" 2>/dev/null || fail "udp-echo server died"
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null
    server_pid=
    if [ -s "$tmp/udp.err" ]; then
        cat "$tmp/udp.err" >&2
        fail "udp-echo server reported errors"
    fi
    echo "udp-echo OK"
fi

# ---- attached mode: a program's own loop runs the futures -------------------------
for backend in uv event ev; do
    prog="$ex/attached-$backend"
    [ -x "$prog" ] || continue
    "$prog" >"$tmp/attached.out" 2>&1 || {
        cat "$tmp/attached.out" >&2
        fail "attached-$backend"
    }
    grep -q '^task finished: success' "$tmp/attached.out" ||
        fail "attached-$backend did not report the task's end"
    echo "attached-$backend OK"
done

# ---- timers ------------------------------------------------------------------
if [ -x "$ex/timers" ]; then
    "$ex/timers" >"$tmp/timers.out" 2>&1 || {
        cat "$tmp/timers.out" >&2
        fail "timers"
    }
    echo "timers OK"
fi

# ---- coroutines --------------------------------------------------------------
if [ -x "$ex/coroutines" ]; then
    "$ex/coroutines" >"$tmp/coroutines.out" 2>&1 || {
        cat "$tmp/coroutines.out" >&2
        fail "coroutines"
    }
    cat "$tmp/coroutines.out"
fi

exit 0
