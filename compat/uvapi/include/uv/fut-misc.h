/* SPDX-License-Identifier: MIT */
/* libuv API shim (compat/uvapi): the misc part of uv.h. Included by uv.h only. */
#ifndef UV_FUT_MISC_H
#define UV_FUT_MISC_H

#endif /* UV_FUT_MISC_H */
