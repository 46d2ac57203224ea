/* SPDX-License-Identifier: MIT */
/* fut_strerror and fut_err_name, generated from FUT_ERRNO_MAP. */
#include "internal.h"

const char *
fut_strerror(int err)
{
    if (err > 0)
        err = -err;
    switch (err) {
    case 0:
        return "success";
#define FUT__STRERROR_CASE(name, msg)                                       \
    case -name:                                                             \
        return msg;
        FUT_ERRNO_MAP(FUT__STRERROR_CASE)
#undef FUT__STRERROR_CASE
    default:
        return "unknown error";
    }
}

const char *
fut_err_name(int err)
{
    if (err > 0)
        err = -err;
    switch (err) {
    case 0:
        return "OK";
#define FUT__ERRNAME_CASE(name, msg)                                        \
    case -name:                                                             \
        return #name;
        FUT_ERRNO_MAP(FUT__ERRNAME_CASE)
#undef FUT__ERRNAME_CASE
    default:
        return "UNKNOWN";
    }
}
