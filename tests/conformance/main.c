/* SPDX-License-Identifier: MIT */
/* Runs the conformance suite against the backend this binary was linked with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

#include <futures/backend.h>

#include "conformance.h"
#include "internal.h"

struct fut_runtime conf_rt;
static int conf_fds_at_setup;

int
conf_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

void
conf_setup(void)
{
    static pid_t warmed;
    struct fut_runtime warm;

    /* An event loop library may open descriptors of its own, once per
     * process, the first time a loop starts (libuv's signal lock pipe):
     * start one runtime first, so that only ours are counted. Check runs
     * each test in a child of its own, hence once per pid. */
    if (warmed != getpid()) {
        ck_assert_int_eq(fut_runtime_init_default(&warm), 0);
        ck_assert_int_eq(fut_runtime_close(&warm), 0);
        warmed = getpid();
    }
    conf_fds_at_setup = conf_fd_count();
    /* FUT_TEST_BACKEND_FLAGS: the same suite in another mode of the
     * backend (make check runs uv, event and ev in one-fd mode too). */
    ck_assert_int_eq(test_runtime_init(&conf_rt, fut_backend_default()), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&conf_rt), FUT_TEST_BACKEND);
    /* The mode took: in one-fd mode every backend hands out its set. */
    if (test_backend_flags() & FUT_BACKEND_ONE_FD)
        ck_assert_int_ge(fut_runtime_backend_fd(&conf_rt), 0);
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
    /* ... and no descriptor: the count is back where it started. */
    ck_assert_int_eq(conf_fd_count(), conf_fds_at_setup);
}

int
conf_scaled(int n)
{
    return getenv("FUT_TEST_SLOW") != NULL ? n / 10 + 1 : n;
}

int
conf_slow_factor(void)
{
    return getenv("FUT_TEST_SLOW") != NULL ? 10 : 1;
}

static Suite *(*const suites[])(void) = {
    fut_conf_executor_suite, fut_conf_scope_suite, fut_conf_timer_suite,
    fut_conf_combinators_suite, fut_conf_channel_suite, fut_conf_tcp_suite,
    fut_conf_threads_suite, fut_conf_coro_suite, fut_conf_blocking_suite,
    fut_conf_dns_suite, fut_conf_fs_suite, fut_conf_fd_suite,
    fut_conf_signal_suite, fut_conf_process_suite, fut_conf_udp_suite,
    fut_conf_unix_suite, fut_conf_embed_suite, fut_conf_fork_suite,
};

/*
 * Copies Check's TAP from @in to @out, turning the failures CONF_SKIP()
 * made into skips ("ok N - ... # SKIP why", as Automake's tap-driver.sh
 * reads them). Only a message that starts with the tag counts, so an
 * assertion that fails stays a failure. Returns the number of tests still
 * failed, or -1 when the output cannot be written.
 */
static int
tap_with_skips(FILE *in, FILE *out)
{
    char line[4096];
    int failed = 0;

    while (fgets(line, sizeof line, in) != NULL) {
        /* "not ok N - FILE:CASE:TEST: MESSAGE" */
        char *tag = strstr(line, ": " CONF_SKIP_TAG);

        if (strncmp(line, "not ok ", 7) == 0 && tag != NULL) {
            char *why = tag + 2 + strlen(CONF_SKIP_TAG);
            char *p;

            *tag = '\0';
            why[strcspn(why, "\n")] = '\0';
            /* A '#' in the reason would start another TAP directive. */
            for (p = why; *p != '\0'; p++)
                if (*p == '#')
                    *p = ' ';
            fprintf(out, "ok %s # SKIP %s\n", line + 7, why);
            continue;
        }
        if (strncmp(line, "not ok ", 7) == 0)
            failed++;
        fputs(line, out);
    }
    if (fflush(out) != 0 || ferror(in))
        return -1;
    return failed;
}

int
main(void)
{
    SRunner *sr = NULL;
    const char *dest = getenv("CK_TAP_LOG_FILE_NAME");
    char tmp[] = "/tmp/fut-conformance-tap.XXXXXX";
    FILE *in, *out = stdout;
    size_t i;
    int fd, failed;

    printf("# conformance suite on backend \"%s\"\n", FUT_TEST_BACKEND);
    fflush(stdout);
    /* One runtime opened and closed first: a loop library may open
     * process-wide descriptors on its first loop and keep them (libuv's
     * signal pipe), which the per-test descriptor count must not blame on
     * the first test (or, in fork mode, on every test). */
    {
        struct fut_runtime warm;

        if (fut_runtime_init_default(&warm) == 0)
            (void)fut_runtime_close(&warm);
    }
    for (i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (sr == NULL)
            sr = srunner_create(suites[i]());
        else
            srunner_add_suite(sr, suites[i]());
    }
    /* Check's TAP goes to a file first, to be rewritten (see CONF_SKIP);
     * its own environment variable would send it elsewhere. */
    fd = mkstemp(tmp);
    if (fd < 0) {
        perror("mkstemp");
        return EXIT_FAILURE;
    }
    close(fd);
    if (dest != NULL && strcmp(dest, "-") != 0) {
        out = fopen(dest, "w");
        if (out == NULL) {
            perror(dest);
            unlink(tmp);
            return EXIT_FAILURE;
        }
    }
    unsetenv("CK_TAP_LOG_FILE_NAME");
    srunner_set_tap(sr, tmp);
    srunner_run_all(sr, CK_SILENT);
    srunner_free(sr);
    in = fopen(tmp, "r");
    failed = in != NULL ? tap_with_skips(in, out) : -1;
    if (in != NULL)
        fclose(in);
    unlink(tmp);
    if (out != stdout)
        fclose(out);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
