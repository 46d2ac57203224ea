/* SPDX-License-Identifier: MIT */
/* tests/uvapi: the misc part of the libuv API shim (area owner fills it). */
#include "uvtest.h"

Suite *
uvtest_misc_suite(void)
{
  Suite *s = suite_create("uv-misc");
  return s;
}
