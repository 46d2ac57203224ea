#!/bin/sh
# SPDX-License-Identifier: MIT
# Compiles and runs every complete program in the documentation, and
# checks that its relative links lead to files of the source tree.
#
# A fenced block whose info string is exactly "c example" (```c example) in
# docs/*.md or README.md is a whole program: it is extracted, compiled with
# -std=c11 -Wall -Wextra -Werror against the built libraries, and run with a
# 10 second limit; it must exit 0 by itself. A block marked "c uv example"
# is a libuv program: it is compiled against the shim's <uv.h>
# (compat/uvapi) and linked with libfutures-uvapi. Other ```c blocks are
# snippets and are left alone.
#
# Run by 'make check' with top_srcdir, top_builddir and CC in the
# environment. Prints "ok: FILE example N" per block. Exits 0 when every
# block passed, 1 when one failed, 77 (skip) when there is no block.

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
CC=${CC:-cc}
limit=10

top_srcdir=$(cd "$top_srcdir" && pwd) || exit 1
top_builddir=$(cd "$top_builddir" && pwd) || exit 1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fut-docs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# ---- extract ------------------------------------------------------------------
# Block N of a document goes to $tmp/<doc number>-<N>.c; list records
# "file-name<TAB>doc-path<TAB>N<TAB>kind" per block (kind: c or uv).
: >"$tmp/list"
ndoc=0
for doc in "$top_srcdir"/docs/*.md "$top_srcdir"/README.md; do
    [ -f "$doc" ] || continue
    ndoc=$((ndoc + 1))
    rel=${doc#"$top_srcdir"/}
    awk -v dir="$tmp" -v id="$ndoc" -v rel="$rel" '
        function strip(s) { sub(/[ \t\r]+$/, "", s); return s }
        !inblock && (strip($0) == "```c example" ||
                     strip($0) == "```c uv example") {
            inblock = 1
            n++
            kind = strip($0) == "```c example" ? "c" : "uv"
            out = sprintf("%s/%s-%d.c", dir, id, n)
            # Diagnostics then point into the document itself.
            printf "#line %d \"%s\"\n", NR + 1, rel > out
            printf "%s-%d.c\t%s\t%d\t%s\n", id, n, rel, n, kind >> (dir "/list")
            start = NR
            next
        }
        inblock && strip($0) == "```" {
            inblock = 0
            close(out)
            next
        }
        inblock { print > out }
        END {
            if (inblock) {
                printf "check-docs: %s:%d: unterminated example block\n",
                       rel, start > "/dev/stderr"
                exit 1
            }
        }
    ' "$doc" || { echo "FAIL: $rel: could not extract examples"; exit 1; }
done

if [ ! -s "$tmp/list" ]; then
    echo "check-docs: no \`\`\`c example blocks found; skipping"
    exit 77
fi

# ---- how to link ----------------------------------------------------------------
# Through libtool when the build has one: it links whichever of the shared
# and static libraries were built. Otherwise straight to the static archives.
san=
if [ -f "$top_builddir/Makefile" ]; then
    # A sanitizer build instruments the libraries; the programs must match.
    san=$(sed -n 's/^SAN_CFLAGS *= *//p' "$top_builddir/Makefile" | head -n 1)
fi
cflags="-std=c11 -Wall -Wextra -Werror -I$top_srcdir/futures/include \
-I$top_srcdir/backends/epoll/include $san"

if [ -x "$top_builddir/libtool" ] && [ -f "$top_builddir/libfutures.la" ] &&
   [ -f "$top_builddir/libfutures-epoll.la" ]; then
    link_mode=libtool
elif [ -f "$top_builddir/.libs/libfutures.a" ] &&
     [ -f "$top_builddir/.libs/libfutures-epoll.a" ]; then
    link_mode=static
else
    echo "check-docs: the libraries are not built in $top_builddir" >&2
    exit 1
fi

build() { # build SRC PROG KIND
    if [ "$3" = uv ]; then
        # shellcheck disable=SC2086
        if [ "$link_mode" = libtool ]; then
            "$top_builddir/libtool" --mode=link --tag=CC $CC $cflags \
                -D_POSIX_C_SOURCE=200809L \
                -I"$top_srcdir/compat/uvapi/include" \
                -I"$top_srcdir/compat/kit/include" "$1" \
                "$top_builddir/libfutures-uvapi.la" \
                "$top_builddir/libfutures-epoll.la" \
                "$top_builddir/libfutures.la" -pthread -o "$2"
        else
            $CC $cflags -D_POSIX_C_SOURCE=200809L \
                -I"$top_srcdir/compat/uvapi/include" \
                -I"$top_srcdir/compat/kit/include" "$1" \
                "$top_builddir/.libs/libfutures-uvapi.a" \
                "$top_builddir/.libs/libfutures-epoll.a" \
                "$top_builddir/.libs/libfutures.a" -pthread -o "$2"
        fi
        return
    fi
    if [ "$link_mode" = libtool ]; then
        # shellcheck disable=SC2086
        "$top_builddir/libtool" --mode=link --tag=CC $CC $cflags "$1" \
            "$top_builddir/libfutures-epoll.la" "$top_builddir/libfutures.la" \
            -pthread -o "$2"
    else
        # shellcheck disable=SC2086
        $CC $cflags "$1" "$top_builddir/.libs/libfutures-epoll.a" \
            "$top_builddir/.libs/libfutures.a" -pthread -o "$2"
    fi
}

# run PROG: with a $limit second limit; returns the program's status
# (124 when it ran out of time).
if command -v timeout >/dev/null 2>&1; then
    run() { timeout "$limit" "$1"; }
else
    run() {
        "$1" &
        pid=$!
        # The watchdog sleeps in one-second steps, so that killing it
        # leaves no long sleep behind.
        (
            i=0
            while [ "$i" -lt "$limit" ]; do
                sleep 1
                kill -0 "$pid" 2>/dev/null || exit 0
                i=$((i + 1))
            done
            kill -9 "$pid" 2>/dev/null
        ) &
        dog=$!
        wait "$pid"
        rc=$?
        kill "$dog" 2>/dev/null
        wait "$dog" 2>/dev/null
        [ "$rc" -eq 137 ] && rc=124
        return "$rc"
    }
fi

# ---- build and run ------------------------------------------------------------------
failed=0
total=0
tab=$(printf '\t')
while IFS="$tab" read -r src rel n kind; do
    total=$((total + 1))
    prog="$tmp/prog-${src%.c}"
    what="$rel example $n"
    if ! build "$tmp/$src" "$prog" "$kind" >"$tmp/build.log" 2>&1; then
        echo "FAIL: $what: does not compile"
        sed 's/^/    /' "$tmp/build.log"
        failed=$((failed + 1))
        continue
    fi
    run "$prog" >"$tmp/run.log" 2>&1 </dev/null
    rc=$?
    if [ "$rc" -ne 0 ]; then
        if [ "$rc" -eq 124 ]; then
            echo "FAIL: $what: still running after ${limit}s"
        else
            echo "FAIL: $what: exit status $rc"
        fi
        sed 's/^/    /' "$tmp/run.log"
        failed=$((failed + 1))
        continue
    fi
    echo "ok: $what"
done <"$tmp/list"

# ---- links ----------------------------------------------------------------------------
# Every relative link of the documents names a file or folder of the source
# tree (a user has nothing else): [text](path) and [text](path#anchor).
nlinks=0
for doc in "$top_srcdir"/docs/*.md "$top_srcdir"/README.md; do
    [ -f "$doc" ] || continue
    rel=${doc#"$top_srcdir"/}
    dir=$(dirname "$doc")
    # Links outside code spans and fenced blocks.
    awk '
        /^```/ { fence = !fence; next }
        fence { next }
        {
            line = $0
            gsub(/`[^`]*`/, "", line)
            while (match(line, /\]\([^)[:space:]]+\)/)) {
                print substr(line, RSTART + 2, RLENGTH - 3)
                line = substr(line, RSTART + RLENGTH)
            }
        }
    ' "$doc" >"$tmp/links"
    while read -r target; do
        case $target in
        http://* | https://* | mailto:* | '#'*) continue ;;
        esac
        nlinks=$((nlinks + 1))
        path=${target%%#*}
        if [ ! -e "$dir/$path" ]; then
            echo "FAIL: $rel: link to $target: no such file in the source tree"
            failed=$((failed + 1))
        fi
    done <"$tmp/links"
done
echo "ok: $nlinks relative links lead to files of the source tree"

if [ "$failed" -ne 0 ]; then
    echo "check-docs: $failed failures in $total examples and the links"
    exit 1
fi
echo "check-docs: all $total examples compiled and ran"
exit 0
