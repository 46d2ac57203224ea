/* SPDX-License-Identifier: MIT */
/* The unit-test suites, one per core module. */
#ifndef FUT_TEST_SUITES_H
#define FUT_TEST_SUITES_H

#include <check.h>

Suite *fut_test_async_suite(void);
Suite *fut_test_backend_suite(void);
Suite *fut_test_bufreader_suite(void);
Suite *fut_test_channel_suite(void);
Suite *fut_test_combinators_suite(void);
Suite *fut_test_error_suite(void);
Suite *fut_test_frame_suite(void);
Suite *fut_test_io_suite(void);
Suite *fut_test_pipe_suite(void);
Suite *fut_test_waker_suite(void);

#endif
