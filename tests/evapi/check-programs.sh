#!/bin/sh
# SPDX-License-Identifier: MIT
# The libev 4 programs in examples/evapi, built against the real libev
# (PROG-libev) and against the libev API shim on every backend
# (PROG-epoll, -event, -ev, -uv), must print the same thing; see
# tests/compat-programs.sh. Run by 'make check'; by hand:
#   top_srcdir=. top_builddir=_build sh tests/evapi/check-programs.sh
API=evapi
REAL=libev
PROGRAMS=${EVAPI_PROGRAMS:-"echo-server"}
BACKENDS=${EVAPI_BACKENDS:-"epoll event ev uv"}
. "${top_srcdir:-.}/tests/compat-programs.sh"
