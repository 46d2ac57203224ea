/* SPDX-License-Identifier: MIT */
/* Conformance: stackful coroutines (placeholder). */
#include "conformance.h"

Suite *
fut_conf_coro_suite(void)
{
    return suite_create("coro");
}
