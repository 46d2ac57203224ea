/* SPDX-License-Identifier: MIT */
/* tests/uvapi: the process part of the libuv API shim (area owner fills it). */
#include "uvtest.h"

Suite *
uvtest_process_suite(void)
{
  Suite *s = suite_create("uv-process");
  return s;
}
