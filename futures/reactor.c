/* SPDX-License-Identifier: MIT */
/* I/O registrations: readiness kept per descriptor, wakers woken on events. */
#include "internal.h"

#include <string.h>

/*
 * Readiness is kept in io->ready until a syscall reports EAGAIN and the
 * caller clears it (tokio's scheme). That lets edge-triggered backends
 * register a descriptor once for its whole life: the core never misses an
 * edge, because it only forgets readiness after the kernel said there is
 * none. Level-triggered backends get told, through io_update, which
 * directions somebody is waiting for (io->interest), so they do not spin.
 *
 * A waker stored here is taken (woken by value) when its direction becomes
 * ready, so that a waker of a future that was dropped since does not stay
 * here longer than the next event.
 */

int
fut_io_init(struct fut_io *io, int fd)
{
    if (io == NULL || fd < 0)
        return -EINVAL;
    memset(io, 0, sizeof *io);
    io->fd = fd;
    return 0;
}

static int
io_register(struct fut_io *io, struct fut_runtime *rt, unsigned int dir)
{
    struct fut_backend *be = fut__runtime_backend(rt);
    int err;

    io->interest = dir;
    io->rt = rt;
    err = fut__backend_io_start(be, io, dir);
    if (err != 0) {
        io->rt = NULL;
        io->interest = 0;
        io->flags = 0;
        return err;
    }
    fut__runtime_io_link(rt, io);
    return 0;
}

/* The readiness bits that answer a wait for @dir. */
static unsigned int
ready_mask(unsigned int dir)
{
    return dir | FUT_IO_ERROR | FUT_IO_HUP |
           (dir == FUT_IO_READABLE ? (unsigned int)FUT_IO_RDHUP : 0u);
}

enum fut_poll
fut_io_poll_ready(struct fut_io *io, struct fut_context *cx, unsigned int dir,
                  int *res)
{
    struct fut_waker *slot;

    if (res == NULL)
        return FUT_READY;
    if (io == NULL || cx == NULL || cx->waker == NULL ||
        (dir != FUT_IO_READABLE && dir != FUT_IO_WRITABLE)) {
        *res = -EINVAL;
        return FUT_READY;
    }
    if (io->fd < 0) {
        *res = -EBADF;
        return FUT_READY;
    }
    if (io->ready & ready_mask(dir)) {
        *res = 0;
        return FUT_READY;
    }
    slot = dir == FUT_IO_READABLE ? &io->read_waker : &io->write_waker;
    if (io->rt == NULL) {
        int err;

        if (cx->rt == NULL) {
            *res = -EINVAL;
            return FUT_READY;
        }
        err = io_register(io, cx->rt, dir);
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        /* An edge-triggered backend may have seen the descriptor ready at
         * registration; it then reported it already. */
        if (io->ready & ready_mask(dir)) {
            *res = 0;
            return FUT_READY;
        }
    } else if (io->rt != cx->rt) {
        *res = -EXDEV;
        return FUT_READY;
    } else if (!(io->interest & dir)) {
        struct fut_backend *be = fut__runtime_backend(io->rt);
        int err;

        io->interest |= dir;
        err = fut__backend_io_update(be, io, io->interest);
        if (err != 0) {
            io->interest &= ~dir;
            *res = err;
            return FUT_READY;
        }
    }
    fut_waker_set(slot, cx->waker);
    /* Every store is a registration of its own, even when the slot held an
     * equal waker: the future that made it must be told apart from an
     * older one of the same task (fut_io_forget_reg()). */
    if (dir == FUT_IO_READABLE)
        io->read_id = fut_reg_next(io->read_id);
    else
        io->write_id = fut_reg_next(io->write_id);
    return FUT_PENDING;
}

void
fut_io_clear_ready(struct fut_io *io, unsigned int dir)
{
    if (io != NULL)
        io->ready &= ~(dir & (FUT_IO_READABLE | FUT_IO_WRITABLE));
}

void
fut_io_drained(struct fut_io *io, unsigned int dir)
{
    if (io == NULL || !(dir & FUT_IO_READABLE) ||
        !(io->flags & FUT_IO_SHORT_READ_DRAINS) ||
        (io->ready & (FUT_IO_RDHUP | FUT_IO_HUP | FUT_IO_ERROR)))
        return;
    io->ready &= ~(unsigned int)FUT_IO_READABLE;
}

void
fut_io_ready(struct fut_io *io, unsigned int events)
{
    unsigned int both = events & (FUT_IO_ERROR | FUT_IO_HUP);
    void *prev;

    io->ready |= events;
    /* Wakes from here are local to the runtime even when a foreign loop
     * calls us from its own callback (attached mode): they queue the task
     * without a lock, and the backend's schedule hook brings the loop back
     * to the runtime. */
    prev = fut__runtime_enter(io->rt);
    if (events & (FUT_IO_READABLE | FUT_IO_RDHUP | both)) {
        io->interest &= ~(unsigned int)FUT_IO_READABLE;
        fut_waker_take_wake(&io->read_waker);
    }
    if (events & (FUT_IO_WRITABLE | both)) {
        io->interest &= ~(unsigned int)FUT_IO_WRITABLE;
        fut_waker_take_wake(&io->write_waker);
    }
    fut__runtime_leave(prev);
}

int
fut_io_close(struct fut_io *io)
{
    if (io == NULL)
        return -EINVAL;
    if (io->rt != NULL) {
        struct fut_backend *be = fut__runtime_backend(io->rt);

        fut__backend_io_stop(be, io);
        fut__runtime_io_unlink(io->rt, io);
        io->rt = NULL;
    }
    io->interest = 0;
    io->ready = 0;
    io->flags = 0;
    fut_waker_drop(&io->read_waker);
    fut_waker_drop(&io->write_waker);
    return 0;
}

void
fut_io_note(const struct fut_io *io, unsigned int dir,
            const struct fut_context *cx, struct fut_reg *reg)
{
    const struct fut_waker *slot;

    if (reg == NULL)
        return;
    fut_reg_clear(reg);
    if (io == NULL || cx == NULL || cx->waker == NULL ||
        (dir != FUT_IO_READABLE && dir != FUT_IO_WRITABLE))
        return;
    reg->waker = *cx->waker;
    slot = dir == FUT_IO_READABLE ? &io->read_waker : &io->write_waker;
    /* An empty slot: that poll stored nothing (a coop yield finds the
     * direction ready, and readiness has taken any waker), so there is
     * nothing of its own to withdraw later. */
    if (slot->vtable != NULL)
        reg->id = dir == FUT_IO_READABLE ? io->read_id : io->write_id;
}

/* Drop the waker in @dir's slot and take @dir out of the interest set. */
static void
io_withdraw(struct fut_io *io, unsigned int dir, struct fut_waker *slot)
{
    fut_waker_drop(slot);
    /*
     * As when fut_io_ready() empties a slot, the smaller interest set is
     * not pushed to the backend (io_update only hears of growth): a
     * backend that still watches @dir reports it once more, and that
     * report finds no waker. Calling the backend here would also run it
     * from drop functions, which may run while the runtime is closing.
     */
    io->interest &= ~dir;
}

void
fut_io_forget_reg(struct fut_io *io, unsigned int dir,
                  const struct fut_reg *reg)
{
    struct fut_waker *slot;
    uint32_t id;

    if (io == NULL || reg == NULL || reg->id == 0 ||
        (dir != FUT_IO_READABLE && dir != FUT_IO_WRITABLE))
        return;
    slot = dir == FUT_IO_READABLE ? &io->read_waker : &io->write_waker;
    id = dir == FUT_IO_READABLE ? io->read_id : io->write_id;
    if (slot->vtable == NULL || id != reg->id ||
        !fut_waker_will_wake(slot, &reg->waker))
        return;
    io_withdraw(io, dir, slot);
}

void
fut_io_forget(struct fut_io *io, unsigned int dir, const struct fut_waker *w)
{
    struct fut_waker *slot;

    if (io == NULL || w == NULL ||
        (dir != FUT_IO_READABLE && dir != FUT_IO_WRITABLE))
        return;
    slot = dir == FUT_IO_READABLE ? &io->read_waker : &io->write_waker;
    if (slot->vtable == NULL || !fut_waker_will_wake(slot, w))
        return;
    io_withdraw(io, dir, slot);
}
