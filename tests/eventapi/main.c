/* SPDX-License-Identifier: MIT */
/* tests/eventapi: the libevent API shim, on the backend this binary links. */
#include "evtest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

char evtest_order[512];
static size_t evtest_order_len;

void
evtest_note(char c)
{
  if (evtest_order_len < sizeof evtest_order - 1)
    evtest_order[evtest_order_len++] = c;
  evtest_order[evtest_order_len] = '\0';
}

void
evtest_reset_order(void)
{
  evtest_order_len = 0;
  evtest_order[0] = '\0';
}

int
evtest_run(struct event_base *base, unsigned int limit_ms)
{
  int r;

  /* A safety net that adds no event of the base's (one would keep the loop
   * from ending when it runs out of events): SIGALRM ends the process. */
  alarm((limit_ms + 999) / 1000 + 5);
  r = event_base_dispatch(base);
  alarm(0);
  return r;
}

int
main(void)
{
  SRunner *sr;
  int failed;

  signal(SIGPIPE, SIG_IGN);
  sr = srunner_create(evtest_event_suite());
  srunner_add_suite(sr, evtest_util_suite());
  srunner_add_suite(sr, evtest_buffer_suite());
  srunner_add_suite(sr, evtest_bufferevent_suite());
  srunner_add_suite(sr, evtest_listener_suite());
  srunner_add_suite(sr, evtest_buffer_more_suite());
  srunner_add_suite(sr, evtest_filter_suite());
  /* Last: it turns evthread_use_pthreads() on (for good without fork). */
  srunner_add_suite(sr, evtest_thread_suite());
  /* TAP on stdout for Automake's tap-driver.sh (unless CK_TAP_LOG_FILE_NAME
   * says otherwise). CK_RUN_SUITE / CK_RUN_CASE select a subset. */
  if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
    srunner_set_tap(sr, "-");
  srunner_run_all(sr, CK_SILENT);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
