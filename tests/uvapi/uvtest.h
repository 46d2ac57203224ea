/* SPDX-License-Identifier: MIT */
/* tests/uvapi: the libuv API shim's suite, shared by every area's tests. */
#ifndef UVTEST_H
#define UVTEST_H

#include <check.h>
#include <uv.h>

#ifndef FUT_TEST_BACKEND
#error "FUT_TEST_BACKEND names the backend the suite is linked with"
/* The order callbacks ran in, one letter per uvtest_note() (tests of
 * callback order compare it with a string); uvtest_reset_order() empties
 * it. Loop thread only. */
extern char uvtest_order[512];
extern size_t uvtest_order_len;
void uvtest_note(char c);
void uvtest_reset_order(void);

#endif

/* Each area's suite (one file each). */
Suite *uvtest_loop_suite(void);
Suite *uvtest_stream_suite(void);
Suite *uvtest_udp_suite(void);
Suite *uvtest_process_suite(void);
Suite *uvtest_fs_suite(void);
Suite *uvtest_misc_suite(void);

/* Run @loop until nothing is alive, failing the test after @limit_ms of
 * wall time (a safety net against a hang, never the assertion). */
void uvtest_run(uv_loop_t *loop, unsigned int limit_ms);

/* Close every handle of @loop, run it until the close callbacks ran, and
 * check that uv_loop_close() succeeds (no leaked handle or request). */
void uvtest_close_loop(uv_loop_t *loop);

/* The order callbacks ran in, one letter per uvtest_note() (tests of
 * callback order compare it with a string); uvtest_reset_order() empties
 * it. Loop thread only. */
extern char uvtest_order[512];
extern size_t uvtest_order_len;
void uvtest_note(char c);
void uvtest_reset_order(void);

#endif
