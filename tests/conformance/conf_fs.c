/* SPDX-License-Identifier: MIT */
#include "conformance.h"
Suite *fut_conf_fs_suite(void){return suite_create("fs");}
