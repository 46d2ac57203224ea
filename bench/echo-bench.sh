#!/bin/sh
# SPDX-License-Identifier: MIT
# Echo benchmark: our echo server against a raw baseline on the same loop.
#
# Usage: bench/echo-bench.sh BACKEND OURS_CMD RAW_CMD [BACKEND OURS_CMD RAW_CMD ...]
#   e.g. bench/echo-bench.sh epoll build/examples/echo-server-epoll bench/raw/echo_epoll
# Each *_CMD is run as "CMD 0" (port 0 = any free port) and must print
# "listening on 127.0.0.1:PORT"; commas in a CMD stand for spaces, so that
# make can pass arguments (examples/echo-server-uv,--one-fd). Servers run pinned on SERVER_CPU, the load
# generator on LOADGEN_CPU; for every connection count and every repetition
# the two servers of a backend run one after the other (A B A B ...).
# Prints one markdown table per connection count; exit status 1 if any run
# failed.
#
# Environment: LOADGEN (default: loadgen next to this script), CONNS ("64 512"),
# SIZE (64), DURATION (seconds per run, 2), REPS (5), SERVER_CPU (1), LOADGEN_CPU (0),
# RESULTS (file for the raw result lines; default a temporary file), TARGETS
# (the line printed under the tables).
set -u

here=$(cd "$(dirname "$0")" && pwd)
LOADGEN=${LOADGEN:-$here/loadgen}
CONNS=${CONNS:-"64 512"}
SIZE=${SIZE:-64}
DURATION=${DURATION:-2}
REPS=${REPS:-5}
SERVER_CPU=${SERVER_CPU:-1}
LOADGEN_CPU=${LOADGEN_CPU:-0}

if [ $# -eq 0 ] || [ $(($# % 3)) -ne 0 ]; then
    echo "usage: $0 BACKEND OURS_CMD RAW_CMD [BACKEND OURS_CMD RAW_CMD ...]" >&2
    exit 2
fi
[ -x "$LOADGEN" ] || { echo "$0: no load generator at $LOADGEN" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/echo-bench.XXXXXX") || exit 2
RESULTS=${RESULTS:-$tmp/results}
: > "$RESULTS"
. "$here/server.sh"
cleanup() { stop_server; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

failed=0

# run_one BACKEND SERVER(ours|raw) CMD CONNS REP
run_one() {
    start_server "$3"
    if [ -z "$port" ]; then
        line="FAILED server did not start: $(head -c 200 "$tmp/server.err" | tr '\n' ' ')"
    else
        line=$(SERVER_PID=$srv_pid timeout $((DURATION + 20)) \
               taskset -c "$LOADGEN_CPU" "$LOADGEN" 127.0.0.1 "$port" "$4" "$SIZE" "$DURATION" 2>&1 | tail -n 1)
        [ -n "$line" ] || line="FAILED loadgen gave no output (timeout?)"
    fi
    stop_server
    case $line in
    OK*) ;;
    *) failed=1 ;;
    esac
    echo "$1 $2 conns=$4 rep=$5 $line" | tee -a "$RESULTS" >&2
}

for c in $CONNS; do
    rep=1
    while [ $rep -le "$REPS" ]; do
        set -- "$@"
        n=$#
        j=0
        while [ $j -lt $n ]; do
            eval "b=\${$((j + 1))} ours=\${$((j + 2))} raw=\${$((j + 3))}"
            run_one "$b" ours "$ours" "$c" "$rep"
            run_one "$b" raw "$raw" "$c" "$rep"
            j=$((j + 3))
        done
        rep=$((rep + 1))
    done
done

# Tables: medians over repetitions (failed runs excluded, shown as FAILED).
for c in $CONNS; do
    echo
    echo "### Echo, $c connections, $SIZE B messages, ${DURATION} s x $REPS runs (server CPU$SERVER_CPU, loadgen CPU$LOADGEN_CPU)"
    echo
    echo "| backend | server | rps (median) | rps / raw | p99 µs | CPU ns/rt (median) | ratio to raw | paired ratios: median (min-max) |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    awk -v conns="conns=$c" '
    function median(s,   a, n, i, j, t) {
        n = split(s, a, " ")
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        if (n == 0) return ""
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    $3 == conns {
        k = $1 SUBSEP $2
        if (!(k in seen)) { seen[k] = 1; if (!($1 in bseen)) { bseen[$1] = 1; order[++nb] = $1 } }
        if ($5 != "OK") { fails[k]++; next }
        split($4, rk, "=")
        for (i = 6; i <= NF; i++) {
            split($i, kv, "=")
            if (kv[1] == "rps") rps[k] = rps[k] " " kv[2]
            else if (kv[1] == "p99_us") p99[k] = p99[k] " " kv[2]
            else if (kv[1] == "srv_ns_per_rt") { ns[k] = ns[k] " " kv[2]; rep[k SUBSEP rk[2]] = kv[2] }
        }
        if (rk[2] + 0 > nrep) nrep = rk[2] + 0
    }
    # The ratio of each run of ours to the raw run right after it: the two
    # ran seconds apart, so a machine that slows down for a while moves
    # both; the spread of these ratios shows how far to trust the table.
    function paired(be,   r, o, w, lst, n, a, i, j, t, lo, hi) {
        lst = ""; n = 0
        for (r = 1; r <= nrep; r++) {
            o = rep[be SUBSEP "ours" SUBSEP r]; w = rep[be SUBSEP "raw" SUBSEP r]
            if (o == "" || w == "" || w + 0 <= 0) continue
            lst = lst " " (o / w); n++
        }
        if (n == 0) return "n/a"
        split(lst, a, " ")
        lo = a[1] + 0; hi = a[1] + 0
        for (i = 2; i <= n; i++) { if (a[i] + 0 < lo) lo = a[i] + 0; if (a[i] + 0 > hi) hi = a[i] + 0 }
        return sprintf("%.3f (%.3f-%.3f)", median(lst), lo, hi)
    }
    END {
        for (b = 1; b <= nb; b++) {
            be = order[b]
            rawns = median(ns[be SUBSEP "raw"])
            rawrps = median(rps[be SUBSEP "raw"])
            for (s = 1; s <= 2; s++) {
                sv = (s == 1) ? "ours" : "raw"; k = be SUBSEP sv
                if (!(k in seen)) continue
                if (rps[k] == "") { printf "| %s | %s | FAILED | | | | | |\n", be, sv; continue }
                m = median(ns[k])
                ratio = (rawns != "" && rawns > 0 && m != "") ? sprintf("%.3f", m / rawns) : "n/a"
                note = (k in fails) ? sprintf(" (%d failed)", fails[k]) : ""
                pr = (sv == "ours") ? paired(be) : ""
                rr = (rawrps != "" && rawrps > 0) ? sprintf("%.2f", median(rps[k]) / rawrps) : "n/a"
                printf "| %s | %s%s | %.0f | %s | %.0f | %.0f | %s | %s |\n", be, sv, note, median(rps[k]), rr, median(p99[k]), m, ratio, pr
            }
        }
    }' "$RESULTS"
done
echo
echo "${TARGETS:-Targets: ratio (CPU ns/rt ours / raw) <= 1.05 on epoll, <= 1.10 on uv, event, ev.}"
exit $failed
