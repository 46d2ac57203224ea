/* SPDX-License-Identifier: MIT */
/* The backend flags a test run asks for (FUT_TEST_BACKEND_FLAGS), and runtimes made with them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <futures.h>
#include <futures/backend.h>

#include "support.h"

unsigned int
test_backend_flags(void)
{
    const char *v = getenv("FUT_TEST_BACKEND_FLAGS");

    if (v == NULL || *v == '\0')
        return 0;
    if (strcmp(v, "one-fd") == 0)
        return FUT_BACKEND_ONE_FD;
    ck_abort_msg("FUT_TEST_BACKEND_FLAGS=%s: only \"one-fd\" is known", v);
    return 0;
}

int
test_runtime_init(struct fut_runtime *rt, const struct fut_backend_vtable *be)
{
    struct fut_backend_config bc;
    struct fut_runtime_config cfg;

    if (test_backend_flags() == 0)
        return fut_runtime_init(rt, be, NULL);
    memset(&bc, 0, sizeof bc);
    memset(&cfg, 0, sizeof cfg);
    bc.version = 1;
    bc.flags = test_backend_flags();
    cfg.version = FUT_RUNTIME_CONFIG_VERSION;
    cfg.backend = &bc;
    return fut_runtime_init(rt, be, &cfg);
}

int
test_runtime_attach(struct fut_runtime *rt, const struct fut_backend_vtable *be,
                    void *loop)
{
    return test_runtime_attach_flags(rt, be, loop, test_backend_flags());
}

int
test_runtime_attach_flags(struct fut_runtime *rt,
                          const struct fut_backend_vtable *be, void *loop,
                          unsigned int flags)
{
    struct fut_backend_config bc;
    struct fut_runtime_config cfg;

    if (rt == NULL || be == NULL || loop == NULL)
        return -EINVAL;
    memset(&bc, 0, sizeof bc);
    memset(&cfg, 0, sizeof cfg);
    bc.version = 1;
    bc.flags = flags;
    bc.loop = loop;
    cfg.version = FUT_RUNTIME_CONFIG_VERSION;
    cfg.backend = &bc;
    return fut_runtime_init(rt, be, &cfg);
}
