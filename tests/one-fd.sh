#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a test program in one-fd mode (FUT_BACKEND_ONE_FD): make check
# runs tests/NAME-one-fd.onefd (a marker file) as tests/NAME with
# FUT_TEST_BACKEND_FLAGS=one-fd, which the conformance suite's conf_setup()
# and the attached suite's loop adapters pass on to the backend. It is
# the .onefd extension's log compiler:
#     one-fd.sh [WRAPPER...] tests/NAME-one-fd.onefd
# where WRAPPER is what runs every test program (valgrind under
# make check-valgrind). TAP output and exit status are the program's.

top_builddir=${top_builddir:-.}
n=$#
i=1
last=
# The for list is expanded once, before set -- rebuilds the arguments
# without the marker.
for a do
    [ "$i" -eq 1 ] && set --
    if [ "$i" -lt "$n" ]; then
        set -- "$@" "$a"
    else
        last=$a
    fi
    i=$((i + 1))
done
name=${last##*/}
name=${name%-one-fd.onefd}
FUT_TEST_BACKEND_FLAGS=one-fd
export FUT_TEST_BACKEND_FLAGS
exec "$@" "$top_builddir/tests/$name"
