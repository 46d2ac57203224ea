#!/bin/sh
# SPDX-License-Identifier: MIT
# Every public header compiles alone, as C11 -pedantic and as C++.
set -u
srcdir=${top_srcdir:-.}
cc=${CC:-cc}
cxx=${CXX:-c++}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
# Backends whose library configure found ($FUT_BACKENDS); a backend header
# includes its loop's header, so only those are checked.
backends=${FUT_BACKENDS:-epoll}
inc="-I$srcdir/futures/include ${BACKEND_CFLAGS:-}"
for b in $backends; do
    inc="$inc -I$srcdir/backends/$b/include"
done
headers="$srcdir/futures/include/futures.h $srcdir/futures/include/futures/*.h"
# compat/kit: the layout header the API shims' headers include.
inc="$inc -I$srcdir/compat/kit/include"
headers="$headers $srcdir/compat/kit/include/futures/*.h"
for b in $backends; do
    headers="$headers $srcdir/backends/$b/include/futures/backend-$b.h"
done
# compat/: each library's headers, where configure found its loop.
for b in $backends; do
    if [ -d "$srcdir/compat/$b/include" ]; then
        inc="$inc -I$srcdir/compat/$b/include"
        headers="$headers $srcdir/compat/$b/include/futures/*.h"
    fi
done
if [ "${HAVE_GLIB:-no}" = yes ]; then
    inc="$inc -I$srcdir/compat/glib/include ${GLIB_CFLAGS:-}"
    headers="$headers $srcdir/compat/glib/include/futures/*.h"
fi
for h in $headers; do
    [ -f "$h" ] || continue
    name=${h#"$srcdir"/}
    rel=${h##*/include/}
    # <uv.h> (which the compat/uv headers include) needs the POSIX types
    # (pthread_rwlock_t): a libuv program compiles with them anyway.
    posix=
    case $name in compat/*) posix=-D_POSIX_C_SOURCE=200809L ;; esac
    printf '#include <%s>\n#include <%s>\nint fut_header_check_dummy;\n' \
        "$rel" "$rel" > "$tmp/t.c"
    if ! $cc -std=c11 -pedantic -Wall -Wextra -Werror $posix $inc -c "$tmp/t.c" \
            -o "$tmp/t.o" 2> "$tmp/err"; then
        echo "FAIL (C11): $name"; cat "$tmp/err"; fail=1
    fi
    cp "$tmp/t.c" "$tmp/t.cc"
    if command -v "$cxx" > /dev/null 2>&1; then
        if ! $cxx -std=c++11 -pedantic -Wall -Wextra -Werror $posix $inc \
                -c "$tmp/t.cc" -o "$tmp/t.o" 2> "$tmp/err"; then
            echo "FAIL (C++): $name"; cat "$tmp/err"; fail=1
        fi
    fi
    [ $fail -eq 0 ] && echo "ok: $name"
done
# compat/uvapi: libuv's API on the core; programs include <uv.h>, which
# must not meet the real libuv's (so this has its own include path). The
# uv/fut-*.h parts are pieces of uv.h, not headers of their own.
uvinc="-I$srcdir/futures/include -I$srcdir/compat/kit/include -I$srcdir/compat/uvapi/include"
for rel in uv.h uv/errno.h uv/version.h uv/unix.h; do
    [ -f "$srcdir/compat/uvapi/include/$rel" ] || continue
    printf '#include <%s>\n#include <%s>\nint fut_header_check_dummy;\n' \
        "$rel" "$rel" > "$tmp/t.c"
    cp "$tmp/t.c" "$tmp/t.cc"
    ok=1
    if ! $cc -std=c11 -pedantic -Wall -Wextra -Werror \
            -D_POSIX_C_SOURCE=200809L $uvinc -c "$tmp/t.c" -o "$tmp/t.o" \
            2> "$tmp/err"; then
        echo "FAIL (C11): compat/uvapi/include/$rel"; cat "$tmp/err"; fail=1; ok=0
    fi
    if command -v "$cxx" > /dev/null 2>&1 &&
            ! $cxx -std=c++11 -pedantic -Wall -Wextra -Werror $uvinc \
            -c "$tmp/t.cc" -o "$tmp/t.o" 2> "$tmp/err"; then
        echo "FAIL (C++): compat/uvapi/include/$rel"; cat "$tmp/err"; fail=1; ok=0
    fi
    [ $ok -eq 1 ] && echo "ok: compat/uvapi/include/$rel"
done
# compat/evapi: ev.h alone, twice, as C11 -pedantic and as C++ (and with
# the rename header's macro off: it is generated at build time).
evinc="-I$srcdir/futures/include -I$srcdir/compat/kit/include -I$srcdir/compat/evapi/include"
if [ -f "$srcdir/compat/evapi/include/ev.h" ]; then
    printf '#include <ev.h>\n#include <ev.h>\nint fut_header_check_dummy;\n' > "$tmp/t.c"
    cp "$tmp/t.c" "$tmp/t.cc"
    ok=1
    if ! $cc -std=c11 -pedantic -Wall -Wextra -Werror \
            -D_POSIX_C_SOURCE=200809L $evinc -c "$tmp/t.c" -o "$tmp/t.o" \
            2> "$tmp/err"; then
        echo "FAIL (C11): compat/evapi/include/ev.h"; cat "$tmp/err"; fail=1; ok=0
    fi
    if command -v "$cxx" > /dev/null 2>&1 &&
            ! $cxx -std=c++11 -pedantic -Wall -Wextra -Werror $evinc \
            -c "$tmp/t.cc" -o "$tmp/t.o" 2> "$tmp/err"; then
        echo "FAIL (C++): compat/evapi/include/ev.h"; cat "$tmp/err"; fail=1; ok=0
    fi
    [ $ok -eq 1 ] && echo "ok: compat/evapi/include/ev.h"
fi
# compat/eventapi: libevent's API on the core; programs include <event.h>
# and <event2/*.h>, which must not meet the real libevent's (own include
# path). Each header alone, twice, as strict C11 -pedantic (no POSIX
# feature macro) and as C++11.
eventinc="-I$srcdir/futures/include -I$srcdir/compat/kit/include -I$srcdir/compat/eventapi/include"
for h in "$srcdir"/compat/eventapi/include/event.h "$srcdir"/compat/eventapi/include/event2/*.h; do
    [ -f "$h" ] || continue
    rel=${h#"$srcdir"/compat/eventapi/include/}
    [ "$rel" = event2/fut-rename.h ] && continue
    printf '#include <%s>\n#include <%s>\nint fut_header_check_dummy;\n' \
        "$rel" "$rel" > "$tmp/t.c"
    cp "$tmp/t.c" "$tmp/t.cc"
    ok=1
    if ! $cc -std=c11 -pedantic -Wall -Wextra -Werror \
            $eventinc -c "$tmp/t.c" -o "$tmp/t.o" \
            2> "$tmp/err"; then
        echo "FAIL (C11): compat/eventapi/include/$rel"; cat "$tmp/err"; fail=1; ok=0
    fi
    if command -v "$cxx" > /dev/null 2>&1 &&
            ! $cxx -std=c++11 -pedantic -Wall -Wextra -Werror $eventinc \
            -c "$tmp/t.cc" -o "$tmp/t.o" 2> "$tmp/err"; then
        echo "FAIL (C++): compat/eventapi/include/$rel"; cat "$tmp/err"; fail=1; ok=0
    fi
    [ $ok -eq 1 ] && echo "ok: compat/eventapi/include/$rel"
done
# Layering: the user headers do not pull in the backend contract, and the
# backends include public headers only, never the core's internal ones.
for rel in futures.h futures/executor.h; do
    printf '#include <%s>\n#ifdef FUTURES_BACKEND_H\n#error backend.h\n#endif\nint fut_header_check_dummy;\n' \
        "$rel" > "$tmp/t.c"
    if ! $cc -std=c11 $inc -c "$tmp/t.c" -o "$tmp/t.o" 2> "$tmp/err"; then
        echo "FAIL (layering): $rel includes futures/backend.h"; fail=1
    else
        echo "ok: $rel does not include futures/backend.h"
    fi
done
if grep -l -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](futures/)?internal\.h' \
        "$srcdir"/backends/*/*.c "$srcdir"/backends/*.h \
        "$srcdir"/backends/*/include/futures/*.h > "$tmp/bad" 2> /dev/null; then
    echo "FAIL (layering): backends including internal.h:"; cat "$tmp/bad"
    fail=1
else
    echo "ok: no backend includes internal.h"
fi
exit $fail
