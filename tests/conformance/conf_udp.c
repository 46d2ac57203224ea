/* SPDX-License-Identifier: MIT */
#include "conformance.h"
Suite *
fut_conf_udp_suite(void)
{
    return suite_create("udp");
}
