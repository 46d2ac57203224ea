#!/bin/sh
# SPDX-License-Identifier: MIT
# The libuv programs in examples/uvapi, each built against the real libuv
# (examples/uvapi/PROG-libuv) and against the shim on every backend built
# (PROG-epoll, PROG-event, PROG-ev, PROG-uv), must print the same thing.
# Runs every one, diffs each shim's stdout against the real libuv's, and
# fails with the diff.
#
# Run by 'make check' with top_builddir in the environment; by hand:
#   top_builddir=_b sh tests/uvapi/check-programs.sh
# Exit status: 0 all equal, 1 a difference or a failed run, 77 (skip) when
# the programs built against the real libuv are missing.

# The programs compared: each needs the shim's areas it uses (timers: the
# loop; echo-server: streams, TCP, signals; file-tool: fs; spawner:
# process, pipes, streams). The environment may narrow the list.
UVAPI_PROGRAMS=${UVAPI_PROGRAMS:-"timers echo-server file-tool spawner"}
# The shim's builds, one per backend; those not built are left out.
UVAPI_BACKENDS=${UVAPI_BACKENDS:-"epoll event ev uv"}
# Seconds any one run may take (a safety net, not a measure).
UVAPI_TIMEOUT=${UVAPI_TIMEOUT:-60}
# A directory to keep every output in (PROG-VARIANT.out), for a look.
UVAPI_KEEP=${UVAPI_KEEP:-}

top_builddir=${top_builddir:-.}
ex="$top_builddir/examples/uvapi"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uvapi-programs.XXXXXX") || exit 1
server_pid=

cleanup() {
    if [ -n "$server_pid" ]; then
        kill -9 "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

failed=0
note() { echo "check-programs: $*" >&2; }

# run_echo BIN OUT: the echo server on a free port, the client against it
# (N connections, M messages each), then SIGTERM to the server. OUT gets
# the server's output, then the client's, with the port replaced by PORT.
run_echo() {
    bin=$1 out=$2
    : > "$tmp/srv.out"
    # Not under timeout(1), which sends its SIGTERM to the child and to
    # the process group: the server would get two, and the second, after
    # it closed its uv_signal_t, kills it (on libuv as well).
    "$bin" server 0 > "$tmp/srv.out" 2> "$tmp/srv.err" &
    server_pid=$!
    port=
    i=0
    while [ $i -lt 200 ]; do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$tmp/srv.out")
        [ -n "$port" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
        i=$((i + 1))
    done
    if [ -z "$port" ]; then
        note "$bin: the server did not start: $(cat "$tmp/srv.err")"
        wait "$server_pid"
        server_pid=
        return 1
    fi
    timeout "$UVAPI_TIMEOUT" "$bin" client "$port" 8 50 > "$tmp/cli.out" 2> "$tmp/cli.err"
    crc=$?
    kill -TERM "$server_pid"
    i=0
    while kill -0 "$server_pid" 2>/dev/null && [ $i -lt $((UVAPI_TIMEOUT * 10)) ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -9 "$server_pid" 2>/dev/null && note "$bin: the server ignored SIGTERM"
    wait "$server_pid"
    src=$?
    server_pid=
    sed "s/:$port\$/:PORT/" "$tmp/srv.out" > "$out"
    cat "$tmp/cli.out" >> "$out"
    echo "server exit $src, client exit $crc" >> "$out"
    cat "$tmp/srv.err" "$tmp/cli.err" >&2
    return 0
}

# run PROG BIN OUT: one run of a program; its stdout and exit status in OUT.
run() {
    case $1 in
    echo-server) run_echo "$2" "$3" ;;
    *)
        (cd "$tmp/cwd" && timeout "$UVAPI_TIMEOUT" "$2") > "$3" 2> "$tmp/err"
        echo "exit $?" >> "$3"
        cat "$tmp/err" >&2
        ;;
    esac
}

mkdir "$tmp/cwd" || exit 1
compared=0
for p in $UVAPI_PROGRAMS; do
    real="$ex/$p-libuv"
    if [ ! -x "$real" ]; then
        note "no $real (configure found no libuv?): skipped"
        exit 77
    fi
    abs_real=$(cd "$(dirname "$real")" && pwd)/$(basename "$real")
    if ! run "$p" "$abs_real" "$tmp/$p-libuv.out"; then
        failed=1
        continue
    fi
    for b in $UVAPI_BACKENDS; do
        bin="$ex/$p-$b"
        if [ ! -x "$bin" ]; then
            [ "$b" = epoll ] && { note "no $bin"; failed=1; }
            continue
        fi
        abs=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
        if ! run "$p" "$abs" "$tmp/$p-$b.out"; then
            failed=1
            continue
        fi
        compared=$((compared + 1))
        if diff -u "$tmp/$p-libuv.out" "$tmp/$p-$b.out" > "$tmp/diff"; then
            echo "ok: $p on $b prints what it prints on libuv ($(wc -l < "$tmp/$p-libuv.out") lines)"
        else
            echo "FAIL: $p on $b differs from libuv (- libuv, + shim):"
            cat "$tmp/diff"
            failed=1
        fi
    done
done
[ -n "$UVAPI_KEEP" ] && mkdir -p "$UVAPI_KEEP" && cp "$tmp"/*.out "$UVAPI_KEEP"/
[ $compared -gt 0 ] || { note "nothing compared"; exit 1; }
exit $failed
