#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One entry point for a fresh Debian machine: install what is missing,
# bootstrap, configure, build, then run the demo or the whole test suite.
#
#   ./dev.sh demo    the echo server, linked with each backend, under load;
#                    then the timers example
#   ./dev.sh test    make check (gcc, -Werror), then the same suite under
#                    ASan+UBSan, TSan and valgrind, the conformance suite
#                    built with the portable fallbacks (the ucontext
#                    coroutine switch, the OS layer's FUT_OS_PORTABLE),
#                    and make distcheck
#   ./dev.sh quick   make check only
#   ./dev.sh stress  what 'test' runs, while two CPU hogs (stress-ng --cpu 2)
#                    compete for the machine: timing in the tests must hold
set -eu

cd "$(dirname "$0")"
top=$(pwd)
mode=${1:-test}
jobs=$(nproc 2>/dev/null || echo 2)

# ---- dependencies -----------------------------------------------------------
# Debian package -> something that shows it is installed.
need_pkgs=""
need() { # need PACKAGE TEST-COMMAND...
    pkg=$1; shift
    if ! "$@" > /dev/null 2>&1; then need_pkgs="$need_pkgs $pkg"; fi
}
need build-essential sh -c 'command -v gcc && command -v g++ && command -v make'
need autoconf command -v autoreconf
need automake command -v automake
need libtool sh -c 'command -v libtoolize || test -x /usr/bin/libtoolize'
need pkg-config command -v pkg-config
need check sh -c 'pkg-config --exists check'
need valgrind command -v valgrind
# The event loops libfutures has backends for (configure skips a missing
# one; here we install all three so every backend is built and tested).
need libuv1-dev sh -c 'pkg-config --exists libuv'
need libevent-dev sh -c 'pkg-config --exists libevent_core'
need libev-dev test -f /usr/include/ev.h
# GLib: the runtime-inside-a-GLib-main-loop adapter's test and example.
need libglib2.0-dev sh -c 'pkg-config --exists glib-2.0'
# Only the stress mode loads the machine.
if [ "$mode" = stress ]; then
    need stress-ng command -v stress-ng
fi

if [ -n "$need_pkgs" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1; then
        echo "== installing:$need_pkgs"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $need_pkgs > /dev/null
    else
        echo "Missing Debian packages:$need_pkgs" >&2
        echo "Install them with:  sudo apt-get install$need_pkgs" >&2
        exit 1
    fi
fi

# ---- bootstrap and build ------------------------------------------------------
bootstrap() {
    if [ ! -x configure ] || [ configure.ac -nt configure ] ||
       [ Makefile.am -nt configure ]; then
        echo "== autoreconf"
        autoreconf -fi > /dev/null 2>&1 || autoreconf -fi
    fi
}

# build DIR CONFIGURE-ARGS...: configure (once) and build out of tree.
build() {
    dir=$1; shift
    mkdir -p "$dir"
    if [ ! -f "$dir/config.status" ]; then
        echo "== configure $* (in $dir)"
        (cd "$dir" && "$top/configure" -q "$@")
    fi
    echo "== make (in $dir)"
    t0=$(date +%s)
    make -C "$dir" -s -j"$jobs" > /dev/null
    echo "   built in $(( $(date +%s) - t0 )) s"
}

total_pass=0
total_fail=0
# check DIR TARGET [MAKE-VARS...]: run a check target and add up its counts.
check() {
    dir=$1; target=$2; shift 2
    log="$dir/check-output.txt"
    echo "== make $target (in $dir)"
    touch "$log.start"
    t0=$(date +%s)
    status=0
    make -C "$dir" -j"$jobs" AM_COLOR_TESTS=no "$@" "$target" > "$log" 2>&1 ||
        status=$?
    # One line per test program, from Automake's .trs result files.
    find "$dir" -name '*.trs' -newer "$log.start" 2>/dev/null | sort |
        while read -r trs; do
            name=${trs#"$dir"/}
            name=${name%.trs}
            name=${name##*/_build/sub/}
            awk -v n="$name" '
                /^:test-result: (PASS|XFAIL)/ { p++ }
                /^:test-result: SKIP/ { s++ }
                /^:test-result: (FAIL|XPASS|ERROR)/ { f++ }
                END { printf "   %-34s %4d passed, %d failed, %d skipped\n", n, p, f, s }
            ' "$trs"
        done
    p=$(grep -E '^# (PASS|XFAIL|SKIP):' "$log" | awk '{ s += $3 } END { print s + 0 }')
    f=$(grep -E '^# (FAIL|XPASS|ERROR):' "$log" | awk '{ s += $3 } END { print s + 0 }')
    echo "   $target: $p passed, $f failed, in $(( $(date +%s) - t0 )) s"
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    if [ "$status" -ne 0 ]; then
        echo "== $target failed; the end of its output:" >&2
        tail -n 60 "$log" >&2
        find "$dir/tests" -name "*.log" 2>/dev/null | while read -r l; do
            if grep -q -E '^(not ok|FAIL|ERROR)' "$l"; then
                echo "== $l" >&2; grep -E -B2 -A10 '^(not ok|FAIL|ERROR)' "$l" | head -n 80 >&2
            fi
        done
        return 1
    fi
}

# ---- CPU hogs (stress mode) --------------------------------------------------
# stress-ng runs in a session of its own, so that stopping its process group
# stops its workers too. --timeout is only a backstop for a dev.sh killed
# too hard to run its trap; the trap is what stops the hogs.
hog_pid=""
start_hogs() {
    setsid stress-ng --cpu 2 --timeout 6h --quiet &
    hog_pid=$!
    sleep 1
    if ! kill -0 "$hog_pid" 2>/dev/null; then
        echo "== stress-ng did not start" >&2
        hog_pid=""
        return 1
    fi
    echo "== CPU hogs running: stress-ng --cpu 2 (process group $hog_pid)"
}
stop_hogs() {
    if [ -n "$hog_pid" ]; then
        kill -TERM -- "-$hog_pid" 2>/dev/null || true
        wait "$hog_pid" 2>/dev/null || true
        echo "== CPU hogs stopped"
        hog_pid=""
    fi
}

# The whole suite, as './dev.sh test' runs it.
all_tests() {
    build _build --enable-werror
    check _build check
    build _build-asan --enable-asan --disable-shared CC="${ASAN_CC:-gcc}"
    check _build-asan check
    build _build-tsan --enable-tsan --disable-shared
    check _build-tsan check
    build _build-valgrind --enable-valgrind --disable-shared
    check _build-valgrind check-valgrind
    # The portable fallbacks, on a machine that has the faster paths: the
    # coroutine switch's ucontext one, and the OS layer's without Linux's
    # own calls (futures/internal.h, FUT_OS_PORTABLE). The conformance
    # suite on epoll, on libev (the portable loop) and on libevent (its
    # doorbell a pipe and its deadline a libevent timer, not eventfd and
    # timerfd).
    build _build-portable --with-coro-switch=ucontext --disable-shared \
        --enable-werror CPPFLAGS=-DFUT_OS_PORTABLE
    check _build-portable check \
        TESTS="tests/conformance-epoll tests/conformance-ev tests/conformance-event"
    check _build distcheck
}

bootstrap
case "$mode" in
demo)
    build _build
    exec "$top/examples/demo.sh" "$top/_build"
    ;;
quick)
    build _build --enable-werror
    check _build check
    ;;
test)
    all_tests
    ;;
stress)
    # The hogs stop however this ends: success, a failed step (set -e),
    # or a signal (which exits through the EXIT trap).
    trap stop_hogs EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    start_hogs
    all_tests
    ;;
*)
    echo "usage: $0 demo|test|quick|stress" >&2
    exit 2
    ;;
esac
echo
echo "tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
