/* SPDX-License-Identifier: MIT */
/* tests/uvapi: the fs part of the libuv API shim (area owner fills it). */
#include "uvtest.h"

Suite *
uvtest_fs_suite(void)
{
  Suite *s = suite_create("uv-fs");
  return s;
}
