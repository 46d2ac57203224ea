#!/bin/sh
# SPDX-License-Identifier: MIT
# Shared by tests/eventapi/check-programs.sh and tests/evapi/check-programs.sh
# (sourced after they set the variables below): plain libevent / libev
# programs, each built against the real library (DIR/PROG-REAL) and against
# the API shim on every backend built (DIR/PROG-epoll, -event, -ev, -uv),
# must print the same thing. Runs every one (no arguments; stdout and exit
# status), diffs each shim build's output against the real library's and
# fails with the diff.
#
# Set by the caller: API (eventapi, evapi: examples/API holds the
# programs), REAL (libevent, libev: the suffix of the real library's
# build), PROGRAMS (names), BACKENDS (default "epoll event ev uv").
# Environment: top_builddir (.), PROGRAMS_TIMEOUT (seconds any one run may
# take: a safety net, not a measure; 60), PROGRAMS_KEEP (a directory to
# copy every output into, PROG-VARIANT.out).
# Exit status: 0 every shim build printed what the real library printed,
# 1 a difference or a failed run, 77 (skip) when the real library's
# builds or every shim build are missing.

top_builddir=${top_builddir:-.}
BACKENDS=${BACKENDS:-"epoll event ev uv"}
PROGRAMS_TIMEOUT=${PROGRAMS_TIMEOUT:-60}
PROGRAMS_KEEP=${PROGRAMS_KEEP:-}
ex="$top_builddir/examples/$API"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/$API-programs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

note() { echo "check-programs ($API): $*" >&2; }

# run BIN OUT: one run in a scratch directory; stdout, then the exit status.
run() {
    (cd "$tmp/cwd" && timeout "$PROGRAMS_TIMEOUT" "$1") > "$2" 2> "$tmp/err"
    echo "exit $?" >> "$2"
    cat "$tmp/err" >&2
}

abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }

mkdir "$tmp/cwd" || exit 1
failed=0
compared=0
for p in $PROGRAMS; do
    real="$ex/$p-$REAL"
    if [ ! -x "$real" ]; then
        note "no $real (configure found no $REAL?): skipped"
        exit 77
    fi
    run "$(abspath "$real")" "$tmp/$p-$REAL.out"
    if [ "$(tail -n 1 "$tmp/$p-$REAL.out")" != "exit 0" ]; then
        echo "FAIL: $p on the real $REAL did not exit 0:"
        cat "$tmp/$p-$REAL.out"
        failed=1
        continue
    fi
    for b in $BACKENDS; do
        bin="$ex/$p-$b"
        if [ ! -x "$bin" ]; then
            note "no $bin (the shim on $b not built): not compared"
            continue
        fi
        run "$(abspath "$bin")" "$tmp/$p-$b.out"
        compared=$((compared + 1))
        if diff -u "$tmp/$p-$REAL.out" "$tmp/$p-$b.out" > "$tmp/diff"; then
            echo "ok: $p on $b prints what it prints on $REAL ($(wc -l < "$tmp/$p-$REAL.out") lines)"
        else
            echo "FAIL: $p on $b differs from $REAL (- $REAL, + shim):"
            cat "$tmp/diff"
            failed=1
        fi
    done
done
[ -n "$PROGRAMS_KEEP" ] && mkdir -p "$PROGRAMS_KEEP" && cp "$tmp"/*.out "$PROGRAMS_KEEP"/
if [ $failed -eq 0 ] && [ $compared -eq 0 ]; then
    note "the programs ran on the real $REAL, but no shim build to compare: skipped"
    exit 77
fi
exit $failed
