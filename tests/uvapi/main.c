/* SPDX-License-Identifier: MIT */
/* tests/uvapi: the libuv API shim, on the backend this binary links. */
#include "uvtest.h"

#include <signal.h>
#include <stdlib.h>
#include <stdio.h>

char uvtest_order[512];
size_t uvtest_order_len;

void
uvtest_note(char c)
{
  if (uvtest_order_len < sizeof uvtest_order - 1)
    uvtest_order[uvtest_order_len++] = c;
  uvtest_order[uvtest_order_len] = '\0';
}

void
uvtest_reset_order(void)
{
  uvtest_order_len = 0;
  uvtest_order[0] = '\0';
}

static void
safety_timer_cb(uv_timer_t *t)
{
  ck_abort_msg("uvtest_run: the loop still runs after its time limit");
  (void)t;
}

void
uvtest_run(uv_loop_t *loop, unsigned int limit_ms)
{
  uv_timer_t safety;
  int r;

  ck_assert_int_eq(uv_timer_init(loop, &safety), 0);
  ck_assert_int_eq(uv_timer_start(&safety, safety_timer_cb, limit_ms, 0), 0);
  uv_unref((uv_handle_t *)&safety);
  r = uv_run(loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(r, 0);
  uv_close((uv_handle_t *)&safety, NULL);
  ck_assert_int_eq(uv_run(loop, UV_RUN_DEFAULT), 0);
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

void
uvtest_close_loop(uv_loop_t *loop)
{
  uv_walk(loop, close_walk_cb, NULL);
  ck_assert_int_eq(uv_run(loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(loop), 0);
}

int
main(void)
{
  SRunner *sr;
  int failed;

  signal(SIGPIPE, SIG_IGN);
  sr = srunner_create(uvtest_loop_suite());
  srunner_add_suite(sr, uvtest_stream_suite());
  srunner_add_suite(sr, uvtest_udp_suite());
  srunner_add_suite(sr, uvtest_process_suite());
  srunner_add_suite(sr, uvtest_fs_suite());
  srunner_add_suite(sr, uvtest_misc_suite());
  /* TAP on stdout for Automake's tap-driver.sh (unless CK_TAP_LOG_FILE_NAME
   * says otherwise). CK_RUN_SUITE / CK_RUN_CASE select a subset. */
  if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
    srunner_set_tap(sr, "-");
  srunner_run_all(sr, CK_SILENT);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
