/* SPDX-License-Identifier: MIT */
/* tests/eventapi: shared helpers of the libevent API shim's suite. */
#ifndef EVTEST_H
#define EVTEST_H

#include <check.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

/* The order callbacks ran in, one character each. */
extern char evtest_order[512];
void evtest_note(char c);
void evtest_reset_order(void);

/* Run @base's loop (flags 0); the process ends (SIGALRM) if it still runs
 * well after @limit_ms. Returns the loop's result. */
int evtest_run(struct event_base *base, unsigned int limit_ms);

Suite *evtest_event_suite(void);
Suite *evtest_util_suite(void);
Suite *evtest_buffer_suite(void);
Suite *evtest_bufferevent_suite(void);
Suite *evtest_listener_suite(void);
Suite *evtest_buffer_more_suite(void);
Suite *evtest_filter_suite(void);
Suite *evtest_thread_suite(void);

#endif
