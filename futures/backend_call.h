/* SPDX-License-Identifier: MIT */
/* The one place the core calls through a backend's vtable; never installed. */
#ifndef FUTURES_BACKEND_CALL_H
#define FUTURES_BACKEND_CALL_H

#include <assert.h>
#include <errno.h>

#include "futures/backend.h"

/*
 * One wrapper per slot of struct fut_backend_vtable, as SQLite's os.c has
 * one per sqlite3_io_methods slot: core code calls these and never
 * dereferences be->vtable itself. Each asserts its arguments, supplies the
 * default of an optional (NULL-able) slot, and reads a slot only after
 * checking that the table's version has it, so a version-1 table is never
 * read past its end.
 *
 * Mandatory slots (init, fini, io_start, io_stop, notify, turn) are
 * checked once by fut_runtime_init() (fut__backend_vtable_ok()); the
 * wrappers only assert them.
 */

/* Versions of struct fut_backend_vtable this core knows. */
#define FUT__BACKEND_VTABLE_MIN_VERSION 1u

/* 1 if @vt is a table of a known version whose mandatory slots are set. */
static inline int
fut__backend_vtable_ok(const struct fut_backend_vtable *vt)
{
    return vt != NULL && vt->version >= FUT__BACKEND_VTABLE_MIN_VERSION &&
           vt->version <= FUT_BACKEND_VTABLE_VERSION &&
           vt->size >= sizeof(struct fut_backend) && vt->init != NULL &&
           vt->fini != NULL && vt->io_start != NULL && vt->io_stop != NULL &&
           vt->notify != NULL && vt->turn != NULL;
}

static inline int
fut__backend_init(struct fut_backend *be, const struct fut_backend_config *c)
{
    assert(be != NULL && fut__backend_vtable_ok(be->vtable));
    return be->vtable->init(be, c);
}

static inline void
fut__backend_fini(struct fut_backend *be)
{
    assert(be != NULL && be->vtable != NULL && be->vtable->fini != NULL);
    be->vtable->fini(be);
}

static inline int
fut__backend_io_start(struct fut_backend *be, struct fut_io *io,
                      unsigned int interest)
{
    assert(be != NULL && be->vtable != NULL && be->vtable->io_start != NULL);
    assert(io != NULL && io->fd >= 0 && io->rt == be->rt);
    assert(interest != 0 &&
           (interest & ~(unsigned int)(FUT_IO_READABLE | FUT_IO_WRITABLE)) ==
               0);
    return be->vtable->io_start(be, io, interest);
}

/* NULL slot: an edge-triggered backend that watches everything already. */
static inline int
fut__backend_io_update(struct fut_backend *be, struct fut_io *io,
                       unsigned int interest)
{
    assert(be != NULL && be->vtable != NULL);
    assert(io != NULL && io->rt == be->rt);
    assert((interest & ~(unsigned int)(FUT_IO_READABLE | FUT_IO_WRITABLE)) ==
           0);
    if (be->vtable->io_update == NULL)
        return 0;
    return be->vtable->io_update(be, io, interest);
}

static inline void
fut__backend_io_stop(struct fut_backend *be, struct fut_io *io)
{
    assert(be != NULL && be->vtable != NULL && be->vtable->io_stop != NULL);
    assert(io != NULL && io->rt == be->rt);
    be->vtable->io_stop(be, io);
}

/* Any thread, possibly concurrently with fut__backend_turn(). */
static inline int
fut__backend_notify(struct fut_backend *be)
{
    assert(be != NULL && be->vtable != NULL && be->vtable->notify != NULL);
    return be->vtable->notify(be);
}

static inline int
fut__backend_turn(struct fut_backend *be, int64_t deadline_ns)
{
    assert(be != NULL && be->vtable != NULL && be->vtable->turn != NULL);
    assert(deadline_ns >= -1);
    return be->vtable->turn(be, deadline_ns);
}

/* NULL slot: the backend has no attached mode. */
static inline int
fut__backend_attach(struct fut_backend *be, void *loop)
{
    assert(be != NULL && be->vtable != NULL);
    assert(loop != NULL);
    if (be->vtable->attach == NULL)
        return -ENOTSUP;
    return be->vtable->attach(be, loop);
}

/* 1 if the backend has a schedule hook: version 2 or later, slot set. The
 * version is checked first, since a version-1 table ends before it. */
static inline int
fut__backend_has_schedule(const struct fut_backend_vtable *vt)
{
    assert(vt != NULL);
    return vt->version >= 2 && vt->schedule != NULL;
}

/* NULL slot, or a version-1 table: nothing to do (owned mode). */
static inline void
fut__backend_schedule(struct fut_backend *be)
{
    assert(be != NULL && be->vtable != NULL);
    if (fut__backend_has_schedule(be->vtable))
        be->vtable->schedule(be);
}

/* NULL slot, or a table before version 3: nothing to do. */
static inline void
fut__backend_hold(struct fut_backend *be, int on)
{
    assert(be != NULL && be->vtable != NULL);
    if (be->vtable->version >= 3 && be->vtable->hold != NULL)
        be->vtable->hold(be, on);
}

/* NULL slot, or a table before version 4: no descriptor to hand out. */
static inline int
fut__backend_embed_fd(struct fut_backend *be)
{
    assert(be != NULL && be->vtable != NULL);
    if (be->vtable->version < 4 || be->vtable->embed_fd == NULL)
        return -ENOTSUP;
    return be->vtable->embed_fd(be);
}

/* 1 if the backend can follow a fork(2): version 5 or later, slot set.
 * The version is checked first, since an older table ends before it. */
static inline int
fut__backend_has_fork(const struct fut_backend_vtable *vt)
{
    assert(vt != NULL);
    return vt->version >= 5 && vt->fork != NULL;
}

/* NULL slot, or a table before version 5: the backend cannot follow a
 * fork. */
static inline int
fut__backend_fork(struct fut_backend *be)
{
    assert(be != NULL && be->vtable != NULL);
    if (!fut__backend_has_fork(be->vtable))
        return -ENOTSUP;
    return be->vtable->fork(be);
}

#endif /* FUTURES_BACKEND_CALL_H */
