/* SPDX-License-Identifier: MIT */
/* tests/evapi: the libev API shim's suite, shared by every area's tests. */
#ifndef EVTEST_H
#define EVTEST_H

#include <check.h>
#include <ev.h>

#ifndef FUT_TEST_BACKEND
#error "FUT_TEST_BACKEND names the backend the suite is linked with"
#endif

Suite *evtest_watchers_suite(void);
Suite *evtest_io_suite(void);
Suite *evtest_sys_suite(void);

/* The order callbacks ran in, one letter per evtest_note(); reset with
 * evtest_reset_order(). Loop thread only. */
extern char evtest_order[512];
void evtest_note(char c);
void evtest_reset_order(void);

/* A safety net against a hang: an unreferenced timer on @loop that fails
 * the test after @limit seconds. Stop it with evtest_safety_stop(). */
void evtest_safety_start(struct ev_loop *loop, ev_tstamp limit);
void evtest_safety_stop(struct ev_loop *loop);

#endif
