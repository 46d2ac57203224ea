/* SPDX-License-Identifier: MIT */
/* Runs every unit-test suite and reports in TAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

static Suite *(*const suites[])(void) = {
    fut_test_error_suite,  fut_test_waker_suite, fut_test_async_suite,
    fut_test_frame_suite,
    fut_test_combinators_suite, fut_test_io_suite, fut_test_pipe_suite,
    fut_test_bufreader_suite, fut_test_channel_suite, fut_test_backend_suite,
};

int
main(void)
{
    SRunner *sr = NULL;
    size_t i;
    int failed;

    for (i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (sr == NULL)
            sr = srunner_create(suites[i]());
        else
            srunner_add_suite(sr, suites[i]());
    }
    /* TAP on stdout for Automake's tap-driver.sh (unless CK_TAP_LOG_FILE_NAME
     * says otherwise). CK_RUN_SUITE / CK_RUN_CASE select a subset. */
    if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
        srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
