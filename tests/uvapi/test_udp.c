/* SPDX-License-Identifier: MIT */
/* tests/uvapi: the udp part of the libuv API shim (area owner fills it). */
#include "uvtest.h"

Suite *
uvtest_udp_suite(void)
{
  Suite *s = suite_create("uv-udp");
  return s;
}
