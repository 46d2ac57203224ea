#!/bin/sh
# SPDX-License-Identifier: MIT
# Smoke-tests the examples: echo server and client, UDP echo, the timers demo,
# coroutines, copy, resolve, pipeline, drain-server, uv-compat-echo,
# uv-foreign, glib-futures, event-compat-ping, ev-fd-share.
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
# mode (a buffer per connection), with --lean (no buffer while idle) and
# with --one-fd (the backend's one-descriptor mode).

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
    # FUT_BACKEND_ONE_FD: the loop watches the runtime's epoll set only.
    check_echo "$server" "echo-server-$backend --one-fd" --one-fd
    # An unknown option is a usage error, not a server.
    "$server" 0 --no-such-option >/dev/null 2>&1
    [ $? -eq 2 ] || fail "echo-server-$backend accepted an unknown option"
done
# The same server written as coroutines.
if [ -x "$ex/echo-server-coro" ]; then
    check_echo "$ex/echo-server-coro" "echo-server-coro"
    check_echo "$ex/echo-server-coro" "echo-server-coro --lean" --lean
fi

# compat/uv: a libuv program's own echo server whose per-connection handler
# is a future over the wrapped uv_tcp_t (built where libuv was found).
# Its signal callback (callback code) saves a report through a future
# (fut_spawn_callback) before it stops: 50 + 4 connections were served.
if [ -x "$ex/uv-compat-echo" ]; then
    check_echo "$ex/uv-compat-echo" "uv-compat-echo" "$tmp/report.txt"
    grep -qx 'connections: 54' "$tmp/report.txt" ||
        fail "uv-compat-echo: report: $(cat "$tmp/report.txt" 2>&1)"
fi

# compat/uv: an epoll-runtime program driving a component's private libuv
# loop (fut_uv_drive): the echo comes back through the component, which
# saw exactly the bytes sent, and its loop ends and closes cleanly.
if [ -x "$ex/uv-foreign" ]; then
    "$ex/uv-foreign" "through a foreign loop" >"$tmp/foreign.out" \
        2>"$tmp/foreign.err" || fail "uv-foreign exited $?: $(cat "$tmp/foreign.err")"
    grep -q '^component listening on 127\.0\.0\.1:[0-9][0-9]*$' "$tmp/foreign.out" ||
        fail "uv-foreign: no listening line"
    grep -qx 'echoed: through a foreign loop' "$tmp/foreign.out" ||
        fail "uv-foreign: wrong echo: $(cat "$tmp/foreign.out")"
    grep -qx 'component saw 1 connection, 22 bytes' "$tmp/foreign.out" ||
        fail "uv-foreign: component counts: $(cat "$tmp/foreign.out")"
    grep -qx 'component loop finished: 0' "$tmp/foreign.out" ||
        fail "uv-foreign: the drive did not end with 0"
    grep -qx 'uv_loop_close: 0' "$tmp/foreign.out" ||
        fail "uv-foreign: uv_loop_close failed"
fi

if [ -x "$ex/glib-futures" ]; then
    "$ex/glib-futures" >"$tmp/glib.out" 2>"$tmp/glib.err" ||
        fail "glib-futures exited $?: $(cat "$tmp/glib.err")"
    for l in 'GLib wrote: tick 1' 'GLib wrote: tick 3' 'GLib closed the pipe' \
             'future read: tick 1' 'future read: tick 2' 'future read: tick 3' \
             'future timer fired' 'future read 3 lines, then end of file' \
             'main loop quit; runtime closed: 0'; do
        grep -qx "$l" "$tmp/glib.out" ||
            fail "glib-futures: no line '$l': $(cat "$tmp/glib.out")"
    done
fi

# compat/event: a task talks through a wrapped bufferevent.
if [ -x "$ex/event-compat-ping" ]; then
    out=$("$ex/event-compat-ping" 2>&1) || fail "event-compat-ping exited $?: $out"
    [ "$out" = "task: success, answer: pong" ] ||
        fail "event-compat-ping: wrong output: $out"
fi

# libev: the program's ev_io reads what a task wrote to the same descriptor.
if [ -x "$ex/ev-fd-share" ]; then
    out=$("$ex/ev-fd-share" 2>&1) || fail "ev-fd-share exited $?: $out"
    [ "$out" = "program read: hello from a task" ] ||
        fail "ev-fd-share: wrong output: $out"
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
# Once per backend the tool was linked with (the same source).
for sfx in "" -uv -event -ev; do
    if [ -x "$ex/udp-echo$sfx" ]; then
        : > "$tmp/udp.out"
        "$ex/udp-echo$sfx" server 0 >"$tmp/udp.out" 2>"$tmp/udp.err" &
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
            out=$("$ex/udp-echo$sfx" client "$port" $args) ||
                fail "udp-echo client $args"
            set -- $args
            [ "$out" = "$1 datagrams of ${2:-64} bytes echoed" ] ||
                fail "udp-echo client $args said: $out"
        done
        "$ex/udp-echo$sfx" client "$port" 1 70000 >/dev/null 2>&1
        [ $? -eq 2 ] || fail "udp-echo accepted a datagram over 65507 bytes"
        kill -0 "$server_pid" 2>/dev/null || fail "udp-echo server died"
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null
        server_pid=
        if [ -s "$tmp/udp.err" ]; then
            cat "$tmp/udp.err" >&2
            fail "udp-echo server reported errors"
        fi
        echo "udp-echo$sfx OK"
    fi
done

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

# ---- resolve -----------------------------------------------------------------
# Names only from the hosts file and numeric ones: no network is needed.
# Once per backend the tool was linked with (the same source).
for sfx in "" -uv -event -ev; do
    if [ -x "$ex/resolve$sfx" ]; then
        "$ex/resolve$sfx" localhost 127.0.0.1 ::1 >"$tmp/resolve.out" 2>&1 || {
            cat "$tmp/resolve.out" >&2
            fail "resolve localhost 127.0.0.1 ::1"
        }
        grep -Eq '^localhost (127\.[0-9.]+|::1)$' "$tmp/resolve.out" ||
            fail "resolve printed no loopback address for localhost"
        grep -qx '127.0.0.1 127.0.0.1' "$tmp/resolve.out" ||
            fail "resolve did not print 127.0.0.1 for itself"
        grep -qx '::1 ::1' "$tmp/resolve.out" ||
            fail "resolve did not print ::1 for itself"
        n=$(grep -c '^127\.0\.0\.1 ' "$tmp/resolve.out")
        [ "$n" -eq 1 ] || fail "resolve printed 127.0.0.1 $n times"
        # An empty name is refused before any lookup: status 1; no host: 2.
        "$ex/resolve$sfx" "" >/dev/null 2>"$tmp/resolve.err"
        [ $? -eq 1 ] || fail "resolve '' did not exit 1"
        grep -q 'invalid argument' "$tmp/resolve.err" ||
            fail "resolve '' did not say why"
        "$ex/resolve$sfx" >/dev/null 2>&1
        [ $? -eq 2 ] || fail "resolve without a host did not exit 2"
        echo "resolve$sfx OK"
    fi
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

# ---- copy (the file API) -------------------------------------------------------
# A few MB of varied bytes (not a multiple of the 1 MiB buffer), copied and
# compared; then the errors: a missing source, a directory, a bad usage.
# Once per backend the tool was linked with (the same source).
for sfx in "" -uv -event -ev; do
    if [ -x "$ex/copy$sfx" ]; then
        head -c 3500017 /dev/urandom >"$tmp/copy.src" ||
            fail "could not make the copy source"
        chmod 640 "$tmp/copy.src"
        "$ex/copy$sfx" "$tmp/copy.src" "$tmp/copy.dst" || fail "copy"
        cmp "$tmp/copy.src" "$tmp/copy.dst" || fail "copy: the copy differs"
        [ "$(stat -c %a "$tmp/copy.dst")" = 640 ] ||
            fail "copy: mode not carried over"
        : >"$tmp/copy.empty"
        "$ex/copy$sfx" "$tmp/copy.empty" "$tmp/copy.dst" || fail "copy of an empty file"
        [ ! -s "$tmp/copy.dst" ] || fail "copy: an empty source made a non-empty copy"
        if "$ex/copy$sfx" "$tmp/no-such" "$tmp/copy.dst" 2>"$tmp/copy.err"; then
            fail "copy of a missing file succeeded"
        fi
        grep -qi 'no such file' "$tmp/copy.err" || {
            cat "$tmp/copy.err" >&2
            fail "copy: no ENOENT message"
        }
        if "$ex/copy$sfx" "$tmp" "$tmp/copy.dst" 2>/dev/null; then
            fail "copy of a directory succeeded"
        fi
        if "$ex/copy$sfx" only-one 2>/dev/null; then
            fail "copy with one argument succeeded"
        fi
        echo "copy$sfx OK"
    fi
done

# ---- pipeline: two children connected like sh -c 'A | B' -----------------------
# Once per backend the tool was linked with (the same source).
for sfx in "" -uv -event -ev; do
    if [ -x "$ex/pipeline$sfx" ]; then
        for mode in "" --direct; do
            out=$("$ex/pipeline$sfx" $mode "printf 'b\na\nc\n'" sort) ||
                fail "pipeline $mode exited $?"
            [ "$out" = "a
b
c" ] || fail "pipeline $mode printed '$out'"
            out=$("$ex/pipeline$sfx" $mode "yes | head -c 300000" "wc -c") ||
                fail "pipeline $mode (300000 bytes) exited $?"
            [ "$(echo $out)" = 300000 ] || fail "pipeline $mode copied '$out' bytes"
            # B's exit status is the pipeline's.
            "$ex/pipeline$sfx" $mode true "exit 3"
            [ $? -eq 3 ] || fail "pipeline $mode lost B's exit status"
            # B ending first is how 'yes | head' ends: not an error.
            out=$("$ex/pipeline$sfx" $mode yes "head -n 2") ||
                fail "pipeline $mode (yes | head) exited $?"
            [ "$out" = "y
y" ] || fail "pipeline $mode (yes | head) printed '$out'"
        done
        echo "pipeline$sfx OK"
    fi
done

# ---- drain-server: SIGTERM stops accepting, open connections finish --------------
# The client side needs bash's /dev/tcp; without bash this part is skipped.
# Once per backend the tool was linked with (the same source).
for sfx in "" -uv -event -ev; do
    if [ -x "$ex/drain-server$sfx" ] && command -v bash >/dev/null 2>&1; then
        : > "$tmp/drain.out"
        "$ex/drain-server$sfx" 0 >"$tmp/drain.out" 2>"$tmp/drain.err" &
        server_pid=$!
        port=
        i=0
        while [ $i -lt 200 ]; do
            port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
                   "$tmp/drain.out")
            [ -n "$port" ] && break
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1 2>/dev/null || sleep 1
            i=$((i + 1))
        done
        [ -n "$port" ] || { cat "$tmp/drain.err" >&2; fail "drain-server did not start"; }
        # One connection stays open across the SIGTERM: it is echoed before,
        # and after the server said it is draining; a new connection is then
        # refused; closing the last connection lets the server exit 0.
        PORT=$port SERVER=$server_pid OUT="$tmp/drain.out" bash -c '
            exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 10
            printf "before\n" >&3
            read -r line <&3 || exit 11
            [ "$line" = before ] || exit 12
            kill -TERM "$SERVER" || exit 13
            i=0
            until grep -q "^draining 1 connection" "$OUT"; do
                i=$((i + 1))
                [ $i -lt 200 ] || exit 14
                sleep 0.1
            done
            printf "after\n" >&3
            read -r line <&3 || exit 15
            [ "$line" = after ] || exit 16
            if (exec 4<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then exit 17; fi
            exec 3>&-
            exit 0' || fail "drain-server client step $? failed"
        wait "$server_pid"
        rc=$?
        server_pid=
        [ $rc -eq 0 ] || { cat "$tmp/drain.err" >&2; fail "drain-server exited $rc"; }
        grep -q '^drained$' "$tmp/drain.out" || fail "drain-server did not drain"
        [ -s "$tmp/drain.err" ] && { cat "$tmp/drain.err" >&2; fail "drain-server reported errors"; }
        echo "drain-server$sfx OK"
    fi
done

exit 0
