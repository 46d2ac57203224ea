/* SPDX-License-Identifier: MIT */
/* tests/eventapi: the suites of evbuffer, bufferevent and evconnlistener. */
#ifndef EVTEST_BUFFERS_H
#define EVTEST_BUFFERS_H
#include <check.h>
Suite *evtest_buffer_suite(void);
Suite *evtest_bufferevent_suite(void);
Suite *evtest_listener_suite(void);
#endif
