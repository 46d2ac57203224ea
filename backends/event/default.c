/* SPDX-License-Identifier: MIT */
/* Link-time swap: a program linked with libfutures-event runs on libevent. */
#include <futures/backend-event.h>

const struct fut_backend_vtable *
fut_backend_default(void)
{
    return fut_backend_event();
}
