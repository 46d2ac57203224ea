/* SPDX-License-Identifier: MIT */
/* The link-time swap: a program linked with libfutures-uv runs on libuv. */
#include <futures/backend-uv.h>

const struct fut_backend_vtable *
fut_backend_default(void)
{
    return fut_backend_uv();
}
