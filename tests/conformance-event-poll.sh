#!/bin/sh
# SPDX-License-Identifier: MIT
# The conformance suite on libevent's poll method: EVENT_NOEPOLL makes
# event_base_new() skip epoll, so the libevent backend takes its
# level-triggered path (no EV_ET), which the default run never reaches.
#
# Run by 'make check' with top_builddir in the environment. Exits with the
# suite's status.

top_builddir=${top_builddir:-.}
EVENT_NOEPOLL=1
export EVENT_NOEPOLL
exec "$top_builddir/tests/conformance-event"
