#!/bin/sh
# SPDX-License-Identifier: MIT
# The libevent 2.1 programs in examples/eventapi, built against the real
# libevent (PROG-libevent) and against the libevent API shim on every
# backend (PROG-epoll, -event, -ev, -uv), must print the same thing; see
# tests/compat-programs.sh. Run by 'make check'; by hand:
#   top_srcdir=. top_builddir=_build sh tests/eventapi/check-programs.sh
API=eventapi
REAL=libevent
PROGRAMS=${EVENTAPI_PROGRAMS:-"timer-signal bufferevent-echo"}
BACKENDS=${EVENTAPI_BACKENDS:-"epoll event ev uv"}
. "${top_srcdir:-.}/tests/compat-programs.sh"
