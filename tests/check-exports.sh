#!/bin/sh
# SPDX-License-Identifier: MIT
# The shared libraries export nothing but the public fut_* API.
set -u
builddir=${top_builddir:-.}
nm=${NM:-nm}
fail=0
found=0
for lib in "$builddir"/.libs/libfutures*.so; do
    [ -f "$lib" ] || continue
    found=1
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
