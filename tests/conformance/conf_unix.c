/* SPDX-License-Identifier: MIT */
#include "conformance.h"
Suite *
fut_conf_unix_suite(void)
{
    return suite_create("unix");
}
