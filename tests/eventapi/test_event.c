/* SPDX-License-Identifier: MIT */
/* tests/eventapi: the event core (event2/event.h), from libevent 2.1's
 * documented behaviour. */
#include "evtest.h"

Suite *
evtest_event_suite(void)
{
  Suite *s = suite_create("event");

  return s;
}
