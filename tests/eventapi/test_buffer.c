/* SPDX-License-Identifier: MIT */
/* tests/eventapi: the buffer tests (filled in with event2/buffer.h). */
#include "evtest.h"

Suite *
evtest_buffer_suite(void)
{
  return suite_create("buffer");
}
