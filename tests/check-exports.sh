#!/bin/sh
# SPDX-License-Identifier: MIT
# The shared libraries export nothing but the public fut_* API; the libuv
# API shim (libfutures-uvapi) nothing but libuv's uv_* names.
set -u
builddir=${top_builddir:-.}
nm=${NM:-nm}
fail=0
found=0
for lib in "$builddir"/.libs/libfutures*.so; do
    [ -f "$lib" ] || continue
    found=1
    case ${lib##*/} in
    libfutures-uvapi.so) prefix=uv_ ;;
    *) prefix=fut_ ;;
    esac
    bad=$($nm -D --defined-only "$lib" | awk '{ print $NF }' |
          grep -v -E "^${prefix}[a-z0-9]" | grep -v -E '^(_init|_fini)$')
    if [ -n "$bad" ]; then
        echo "FAIL: $lib exports symbols outside ^$prefix:"; echo "$bad"
        fail=1
    else
        n=$($nm -D --defined-only "$lib" | grep -c " $prefix")
        echo "ok: $lib exports $n $prefix* symbols and nothing else"
    fi
done
if [ $found -eq 0 ]; then
    echo "SKIP: no shared library built (--disable-shared)"; exit 77
fi
exit $fail
