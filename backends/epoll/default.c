/* SPDX-License-Identifier: MIT */
/* The link-time swap: a program linked with libfutures-epoll runs on epoll. */
#include <futures/backend-epoll.h>

const struct fut_backend_vtable *
fut_backend_default(void)
{
    return fut_backend_epoll();
}
