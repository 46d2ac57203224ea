/* SPDX-License-Identifier: MIT */
/* tests/eventapi: evutil (event2/util.h) and evdns_getaddrinfo. */
#include "evtest.h"

Suite *
evtest_util_suite(void)
{
  Suite *s = suite_create("util");

  return s;
}
