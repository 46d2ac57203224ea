/* SPDX-License-Identifier: MIT */
/* The link-time swap: a program linked with libfutures-ev runs on libev. */
#include <futures/backend-ev.h>

const struct fut_backend_vtable *
fut_backend_default(void)
{
    return fut_backend_ev();
}
