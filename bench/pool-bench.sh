#!/bin/bash
# SPDX-License-Identifier: MIT
# The blocking pool against libuv's uv_queue_work, side by side in one run.
#
# Usage: pool-bench.sh OURS [RAW_UV] [ROUNDS] [ROUND_TRIPS]
# Runs OURS (bench/pool) and RAW_UV (bench/raw/pool_uv) alternately
# ROUNDS times (default 7) and prints the median of each measurement in
# ns per operation, and ours / libuv (target: <= 1.00). The CPU rows are
# the CPU time of all the threads of each process per operation: on a
# loaded machine the wall clock mostly measures the scheduler.
set -u
ours=$1
uv=${2:-}
rounds=${3:-7}
n=${4:-20000}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

for ((r = 0; r < rounds; r++)); do
    "$ours" "$n" >> "$tmp/ours" || exit 1
    if [ -n "$uv" ]; then
        "$uv" "$n" >> "$tmp/uv" || exit 1
    fi
done

median() { # FILE NAME
    awk -v k="$2" '$1 == k { print $2 }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

printf '| %-40s | %10s | %10s | %6s |\n' "blocking pool, ns/op (median of $rounds)" \
    ours libuv ratio
printf '|%s|%s|%s|%s|\n' "------------------------------------------" \
    "------------" "------------" "--------"
row() { # LABEL OURS_KEY UV_KEY
    local o u ratio
    o=$(median "$tmp/ours" "$2")
    u=
    [ -n "$uv" ] && u=$(median "$tmp/uv" "$3")
    if [ -n "$u" ]; then
        ratio=$(awk -v a="$o" -v b="$u" 'BEGIN { printf "%.2f", a / b }')
    else
        u=-
        ratio=-
    fi
    printf '| %-40s | %10s | %10s | %6s |\n' "$1" "$o" "$u" "$ratio"
}
row "round trip, empty job, awaited" rt rt
row "10,000 at once (pool: 64 threads)" many many
row "10,000 at once (pool: 4 threads)" many4 many
row "10,000 at once, one task (64 threads)" join many
row "10,000 at once, one task (4 threads)" join4 many
row "CPU: round trip" rt_cpu rt_cpu
row "CPU: 10,000 at once (64 threads)" many_cpu many_cpu
row "CPU: 10,000 at once (4 threads)" many4_cpu many_cpu
row "CPU: 10,000 at once, one task (64 thr.)" join_cpu many_cpu
row "CPU: 10,000 at once, one task (4 thr.)" join4_cpu many_cpu
