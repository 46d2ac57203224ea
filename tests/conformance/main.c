/* SPDX-License-Identifier: MIT */
/* Runs the conformance suite against the backend this binary was linked with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"
#include "internal.h"

struct fut_runtime conf_rt;

void
conf_setup(void)
{
    ck_assert_int_eq(fut_runtime_init_default(&conf_rt), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&conf_rt), FUT_TEST_BACKEND);
}

void
conf_teardown(void)
{
    /* Nothing may be left behind by a test: no task, no armed timer, no
     * I/O registration. */
    ck_assert_uint_eq(fut_runtime_task_count(&conf_rt), 0);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_uint_eq(fut__runtime_io_count(&conf_rt), 0);
    ck_assert_int_eq(fut_runtime_close(&conf_rt), 0);
    fut__sys_reset();
}

int
conf_slow_factor(void)
{
    return getenv("FUT_TEST_SLOW") != NULL ? 10 : 1;
}

static Suite *(*const suites[])(void) = {
    fut_conf_executor_suite, fut_conf_scope_suite, fut_conf_timer_suite,
    fut_conf_combinators_suite, fut_conf_channel_suite, fut_conf_tcp_suite,
    fut_conf_threads_suite,
};

int
main(void)
{
    SRunner *sr = NULL;
    size_t i;
    int failed;

    printf("# conformance suite on backend \"%s\"\n", FUT_TEST_BACKEND);
    for (i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (sr == NULL)
            sr = srunner_create(suites[i]());
        else
            srunner_add_suite(sr, suites[i]());
    }
    if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
        srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
