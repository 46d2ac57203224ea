/* SPDX-License-Identifier: MIT */
/* tests/eventapi: the bufferevent tests (filled in with event2/bufferevent.h). */
#include "evtest.h"

Suite *
evtest_bufferevent_suite(void)
{
  return suite_create("bufferevent");
}
