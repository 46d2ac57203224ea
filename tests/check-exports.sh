#!/bin/sh
# SPDX-License-Identifier: MIT
# The shared libraries export nothing but the public fut_* API.
set -u
builddir=${top_builddir:-.}
nm=${NM:-nm}
fail=0
found=0
srcdir=${top_srcdir:-.}
for lib in "$builddir"/.libs/libfutures*.so; do
    [ -f "$lib" ] || continue
    found=1
    case $lib in
    */libfutures-uvapi.so)
        # libuv's API: uv_* and nothing else, and exactly the functions
        # the headers declare (a declared function missing from the
        # library would fail only when a program links; one exported but
        # not declared is not part of the API).
        $nm -D --defined-only "$lib" | awk '{ print $NF }' |
            grep -v -E '^(_init|_fini)$' | sort > "$builddir/uvapi-exported.txt"
        sed -n 's/^UV_EXTERN[^(]*[^a-z0-9_]\(uv_[a-z0-9_]*\) *(.*/\1/p' \
            "$srcdir"/compat/uvapi/include/uv.h \
            "$srcdir"/compat/uvapi/include/uv/*.h | sort -u \
            > "$builddir/uvapi-declared.txt"
        if ! diff "$builddir/uvapi-declared.txt" "$builddir/uvapi-exported.txt" \
                > "$builddir/uvapi-exports.diff"; then
            echo "FAIL: $lib: declared (<) and exported (>) uv_* differ:"
            cat "$builddir/uvapi-exports.diff"
            fail=1
        else
            echo "ok: $lib exports the $(wc -l < "$builddir/uvapi-declared.txt") uv_* functions uv.h declares and nothing else"
        fi
        # docs/compat-uv.md lists every one of them and states the count.
        doc="$srcdir/docs/compat-uv.md"
        missing=$(while read -r f; do
            grep -q "\`$f\`" "$doc" || echo "$f"; done < "$builddir/uvapi-declared.txt")
        if [ -n "$missing" ]; then
            echo "FAIL: docs/compat-uv.md does not list:"; echo "$missing"; fail=1
        fi
        said=$(sed -n 's/.*The shim implements \*\*\([0-9]*\)\*\*.*/\1/p' "$doc" | head -n 1)
        have=$(wc -l < "$builddir/uvapi-declared.txt" | tr -d ' ')
        if [ "$said" != "$have" ]; then
            echo "FAIL: docs/compat-uv.md says ${said:-no count} functions, the headers declare $have"
            fail=1
        fi
        rm -f "$builddir/uvapi-exported.txt" "$builddir/uvapi-declared.txt" \
            "$builddir/uvapi-exports.diff"
        continue ;;
    */libfutures-eventapi.so)
        # libevent's API: exactly the functions event.h and event2/*.h
        # declare (EVENT2_EXPORT_SYMBOL ... name(, on one line), nothing else.
        $nm -D --defined-only "$lib" | awk '{ print $NF }' |
            grep -v -E '^(_init|_fini)$' | sort > "$builddir/eventapi-exported.txt"
        sed -n 's/^EVENT2_EXPORT_SYMBOL[^(]*[^A-Za-z0-9_]\([a-z][a-z0-9_]*\) *(.*/\1/p' \
            "$srcdir"/compat/eventapi/include/event.h \
            "$srcdir"/compat/eventapi/include/event2/*.h | sort -u \
            > "$builddir/eventapi-declared.txt"
        if ! diff "$builddir/eventapi-declared.txt" "$builddir/eventapi-exported.txt" \
                > "$builddir/eventapi-exports.diff"; then
            echo "FAIL: $lib: declared (<) and exported (>) functions differ:"
            cat "$builddir/eventapi-exports.diff"
            fail=1
        else
            echo "ok: $lib exports the $(wc -l < "$builddir/eventapi-declared.txt") functions event2/*.h declare and nothing else"
        fi
        # docs/compat-event.md lists every one of them and states the count.
        doc="$srcdir/docs/compat-event.md"
        missing=$(while read -r f; do
            grep -q "\`$f\`" "$doc" || echo "$f"; done < "$builddir/eventapi-declared.txt")
        if [ -n "$missing" ]; then
            echo "FAIL: docs/compat-event.md does not list:"; echo "$missing"; fail=1
        fi
        said=$(sed -n 's/.*The shim implements \*\*\([0-9]*\)\*\*.*/\1/p' "$doc" | head -n 1)
        have=$(wc -l < "$builddir/eventapi-declared.txt" | tr -d ' ')
        if [ "$said" != "$have" ]; then
            echo "FAIL: docs/compat-event.md says ${said:-no count} functions, the headers declare $have"
            fail=1
        fi
        rm -f "$builddir/eventapi-exported.txt" "$builddir/eventapi-declared.txt" \
            "$builddir/eventapi-exports.diff"
        continue ;;
    */libfutures-evapi.so)
        # libev's API: exactly the ev_* functions ev.h declares (the
        # header's inline compatibility functions are not exported).
        $nm -D --defined-only "$lib" | awk '{ print $NF }' |
            grep -v -E '^(_init|_fini)$' | sort > "$builddir/evapi-exported.txt"
        sed -n 's/^EV_FUT_EXTERN[^(]*[^a-z0-9_]\(ev_[a-z0-9_]*\) *(.*/\1/p' \
            "$srcdir"/compat/evapi/include/ev.h | sort -u \
            > "$builddir/evapi-declared.txt"
        if ! diff "$builddir/evapi-declared.txt" "$builddir/evapi-exported.txt" \
                > "$builddir/evapi-exports.diff"; then
            echo "FAIL: $lib: declared (<) and exported (>) ev_* differ:"
            cat "$builddir/evapi-exports.diff"
            fail=1
        else
            echo "ok: $lib exports the $(wc -l < "$builddir/evapi-declared.txt") ev_* functions ev.h declares and nothing else"
        fi
        doc="$srcdir/docs/compat-ev.md"
        missing=$(while read -r f; do
            grep -q "\`$f\`" "$doc" || echo "$f"; done < "$builddir/evapi-declared.txt")
        if [ -n "$missing" ]; then
            echo "FAIL: docs/compat-ev.md does not list:"; echo "$missing"; fail=1
        fi
        said=$(sed -n 's/.*The shim implements \*\*\([0-9]*\)\*\*.*/\1/p' "$doc" | head -n 1)
        have=$(wc -l < "$builddir/evapi-declared.txt" | tr -d ' ')
        if [ "$said" != "$have" ]; then
            echo "FAIL: docs/compat-ev.md says ${said:-no count} functions, the headers declare $have"
            fail=1
        fi
        rm -f "$builddir/evapi-exported.txt" "$builddir/evapi-declared.txt" \
            "$builddir/evapi-exports.diff"
        continue ;;
    esac
    bad=$($nm -D --defined-only "$lib" | awk '{ print $NF }' |
          grep -v -E '^fut_[a-z0-9]' | grep -v -E '^(_init|_fini)$')
    if [ -n "$bad" ]; then
        echo "FAIL: $lib exports symbols outside ^fut_:"; echo "$bad"
        fail=1
    else
        n=$($nm -D --defined-only "$lib" | grep -c ' fut_')
        echo "ok: $lib exports $n fut_* symbols and nothing else"
    fi
done
if [ $found -eq 0 ]; then
    echo "SKIP: no shared library built (--disable-shared)"; exit 77
fi
exit $fail
