/* SPDX-License-Identifier: MIT */
/* tests/uvapi: the stream part of the libuv API shim (area owner fills it). */
#include "uvtest.h"

Suite *
uvtest_stream_suite(void)
{
  Suite *s = suite_create("uv-stream");
  return s;
}
