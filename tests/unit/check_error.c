/* SPDX-License-Identifier: MIT */
/* Unit tests: error names and messages. */
#include <string.h>

#include "suites.h"
#include "support.h"

START_TEST(test_error_names)
{
    ck_assert_str_eq(fut_err_name(0), "OK");
    ck_assert_str_eq(fut_err_name(-ECONNRESET), "ECONNRESET");
    ck_assert_str_eq(fut_err_name(ECONNRESET), "ECONNRESET");
    ck_assert_str_eq(fut_err_name(-ECANCELED), "ECANCELED");
    ck_assert_str_eq(fut_err_name(-ETIMEDOUT), "ETIMEDOUT");
    ck_assert_str_eq(fut_err_name(-EMSGSIZE), "EMSGSIZE");
    ck_assert_str_eq(fut_err_name(-99999), "UNKNOWN");
    ck_assert_str_eq(fut_err_name(-2147483647), "UNKNOWN");
}
END_TEST

START_TEST(test_error_messages)
{
    ck_assert_str_eq(fut_strerror(0), "success");
    ck_assert_str_eq(fut_strerror(-EINVAL), "invalid argument");
    ck_assert_str_eq(fut_strerror(-ENODATA), "unexpected end of stream");
    ck_assert_str_eq(fut_strerror(-99999), "unknown error");
}
END_TEST

/* Every mapped code has a distinct name that round-trips. */
START_TEST(test_error_map_complete)
{
#define CHECK_ONE(name, msg)                                                \
    ck_assert_str_eq(fut_err_name(-name), #name);                           \
    ck_assert_str_eq(fut_strerror(-name), msg);                             \
    ck_assert(strlen(msg) > 0);
    FUT_ERRNO_MAP(CHECK_ONE)
#undef CHECK_ONE
}
END_TEST

Suite *
fut_test_error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("names");

    tcase_add_test(tc, test_error_names);
    tcase_add_test(tc, test_error_messages);
    tcase_add_test(tc, test_error_map_complete);
    suite_add_tcase(s, tc);
    return s;
}
