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
for b in $backends; do
    headers="$headers $srcdir/backends/$b/include/futures/backend-$b.h"
done
# compat/event's header declares struct bufferevent itself: it compiles
# alone wherever the libevent backend is built.
case " $backends " in
*" event "*)
    inc="$inc -I$srcdir/compat/event/include"
    headers="$headers $srcdir/compat/event/include/futures/compat-event.h"
    ;;
esac
for h in $headers; do
    [ -f "$h" ] || continue
    name=${h#"$srcdir"/}
    rel=${h##*/include/}
    printf '#include <%s>\n#include <%s>\nint fut_header_check_dummy;\n' \
        "$rel" "$rel" > "$tmp/t.c"
    if ! $cc -std=c11 -pedantic -Wall -Wextra -Werror $inc -c "$tmp/t.c" \
            -o "$tmp/t.o" 2> "$tmp/err"; then
        echo "FAIL (C11): $name"; cat "$tmp/err"; fail=1
    fi
    cp "$tmp/t.c" "$tmp/t.cc"
    if command -v "$cxx" > /dev/null 2>&1; then
        if ! $cxx -std=c++11 -pedantic -Wall -Wextra -Werror $inc \
                -c "$tmp/t.cc" -o "$tmp/t.o" 2> "$tmp/err"; then
            echo "FAIL (C++): $name"; cat "$tmp/err"; fail=1
        fi
    fi
    [ $fail -eq 0 ] && echo "ok: $name"
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
