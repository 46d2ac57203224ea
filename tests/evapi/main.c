/* SPDX-License-Identifier: MIT */
/* tests/evapi: the libev API shim, on the backend this binary links. */
#include "evtest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char evtest_order[512];
static size_t order_len;

void
evtest_note(char c)
{
  if (order_len < sizeof evtest_order - 1)
    evtest_order[order_len++] = c;
  evtest_order[order_len] = '\0';
}

void
evtest_reset_order(void)
{
  order_len = 0;
  evtest_order[0] = '\0';
}

static ev_timer safety;

static void
safety_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  ck_abort_msg("the loop still runs after its time limit");
}

void
evtest_safety_start(struct ev_loop *loop, ev_tstamp limit)
{
  ev_timer_init(&safety, safety_cb, limit, 0.);
  ev_timer_start(loop, &safety);
  ev_unref(loop);
}

void
evtest_safety_stop(struct ev_loop *loop)
{
  if (ev_is_active(&safety)) {
    ev_ref(loop);
    ev_timer_stop(loop, &safety);
  }
}

int
main(void)
{
  SRunner *sr;
  int failed;

  signal(SIGPIPE, SIG_IGN);
  sr = srunner_create(evtest_watchers_suite());
  srunner_add_suite(sr, evtest_io_suite());
  srunner_add_suite(sr, evtest_sys_suite());
  if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
    srunner_set_tap(sr, "-");
  srunner_run_all(sr, CK_SILENT);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
