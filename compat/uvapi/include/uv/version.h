/* SPDX-License-Identifier: MIT */
/* The libuv API level the libfutures shim implements (compat/uvapi). */
#ifndef UV_VERSION_H
#define UV_VERSION_H

/*
 * The libuv release whose API this shim implements. uv_version() and
 * uv_version_string() report the same numbers; UV_VERSION_SUFFIX names the
 * shim, so a program (or a bug report) can tell it from the real library.
 */
#define UV_VERSION_MAJOR 1
#define UV_VERSION_MINOR 44
#define UV_VERSION_PATCH 0
#define UV_VERSION_IS_RELEASE 1
#define UV_VERSION_SUFFIX "libfutures"

#define UV_VERSION_HEX ((UV_VERSION_MAJOR << 16) | \
                        (UV_VERSION_MINOR << 8) | \
                        (UV_VERSION_PATCH))

#endif /* UV_VERSION_H */
