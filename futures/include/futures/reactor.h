/* SPDX-License-Identifier: MIT */
/* Readiness of file descriptors: the bridge between I/O objects and a backend. */
#ifndef FUTURES_REACTOR_H
#define FUTURES_REACTOR_H

#include "future.h"

FUT__BEGIN_DECLS

/**
 * Readiness and interest bits. They are kept in 8-bit fields of struct
 * fut_io, so every bit stays below 1u << 8.
 */
enum fut_io_events {
    FUT_IO_READABLE = 1u << 0, /* data, EOF or a pending connection */
    FUT_IO_WRITABLE = 1u << 1, /* room to write, or a connect finished */
    FUT_IO_ERROR = 1u << 2,    /* an error is pending on the descriptor */
    FUT_IO_HUP = 1u << 3,      /* the peer hung up (both directions) */
    FUT_IO_RDHUP = 1u << 4     /* the peer shut down its sending side: what
                                * is buffered, then end of file, is all that
                                * reads will return */
};

/**
 * enum fut_io_flags - what a backend promises about one registration.
 *
 * Set by the backend in io->flags from @io_start (the core zeroes the
 * field in fut_io_init() and never changes it).
 * @FUT_IO_SHORT_READ_DRAINS: after a read that returned fewer bytes than it
 *   asked for, the backend will report READABLE again when more data or
 *   the end of the stream arrives: it is level-triggered, or it is
 *   edge-triggered and reports FUT_IO_RDHUP. fut_io_drained() only forgets
 *   readiness on registrations that carry this flag.
 * Kept in an 8-bit field, like the readiness bits.
 */
enum fut_io_flags {
    FUT_IO_SHORT_READ_DRAINS = 1u << 0
};

struct fut_backend;

/**
 * struct fut_io - a file descriptor registered with a runtime's reactor.
 *
 * I/O objects (TCP streams, listeners, a user's own descriptor wrapper)
 * embed one. It binds to the runtime of the first context that polls it and
 * stays bound; it is pinned from then on. The backend stores the bits it
 * saw in @ready through fut_io_ready(); the core wakes the stored wakers.
 * If the runtime is closed first, it deregisters the object (which may then
 * be polled again, binding to another runtime). Only the runtime's thread
 * uses it. All fields are private except @fd,
 * which may be read.
 *
 * Every connection embeds one, so it is kept small (96 bytes on LP64): the
 * three bit sets are bytes, and share a word with @fd; the two
 * registration numbers (see struct fut_reg) share the next one.
 */
struct fut_io {
    int fd;
    uint8_t interest;       /* directions with a waiting waker */
    uint8_t ready;          /* readiness seen and not yet consumed */
    uint8_t flags;          /* enum fut_io_flags, set by the backend */
    uint32_t read_id;       /* number of the last read registration */
    uint32_t write_id;      /* number of the last write registration */
    struct fut_waker read_waker;
    struct fut_waker write_waker;
    struct fut_runtime *rt; /* bound runtime, NULL before the first poll */
    struct fut_io *rt_prev, *rt_next; /* the runtime's list of registrations */
    void *backend_data;     /* the backend's, for its own bookkeeping */
    uintptr_t backend_priv[2];
};

/**
 * fut_io_init - prepare @io for descriptor @fd (which must be nonblocking).
 *
 * Nothing is registered until the first fut_io_poll_ready(). Returns 0, or
 * -EINVAL for a NULL @io or a negative @fd. The descriptor stays the
 * caller's: fut_io_close() does not close it.
 */
FUT_API int fut_io_init(struct fut_io *io, int fd);

/**
 * fut_io_poll_ready - wait until @fd is ready in direction @dir.
 * @dir: FUT_IO_READABLE or FUT_IO_WRITABLE.
 * @res: 0 when ready, or a negative errno: -EINVAL (bad arguments, or no
 *       runtime in @cx), -EXDEV (@io is bound to another runtime), -EBADF
 *       (closed), or what the backend's registration failed with.
 *
 * READY: the direction is (or was, for an edge-triggered backend) ready, or
 * an error happened; *res says which. Error and hang-up count as ready in
 * both directions so the caller's syscall reports them.
 * PENDING: the waker of @cx is stored and is woken on readiness; the
 * store is a new registration with a new number (fut_io_note() reads it),
 * even when an equal waker was there already.
 * After a READY, perform the syscall; on EAGAIN call fut_io_clear_ready()
 * and poll again. Runtime thread only.
 */
FUT_API enum fut_poll fut_io_poll_ready(struct fut_io *io,
                                        struct fut_context *cx,
                                        unsigned int dir, int *res);

/**
 * fut_io_clear_ready - forget readiness in @dir after a syscall hit EAGAIN.
 *
 * FUT_IO_RDHUP, FUT_IO_HUP and FUT_IO_ERROR are kept: they stay true for
 * the rest of the descriptor's life. NULL @io: nothing happens. Runtime
 * thread only.
 */
FUT_API void fut_io_clear_ready(struct fut_io *io, unsigned int dir);

/**
 * fut_io_drained - a read on a stream socket moved fewer bytes than asked.
 * @dir: FUT_IO_READABLE (other directions are ignored).
 *
 * The kernel's buffer is then empty, so the next read would only say
 * EAGAIN: this forgets READABLE to save that syscall (tokio does the
 * same), but only where it is safe: the backend set
 * FUT_IO_SHORT_READ_DRAINS on @io, and neither end of file (FUT_IO_RDHUP,
 * FUT_IO_HUP) nor an error has been reported, which a read must still see.
 * Call it only for stream sockets and only after a short read that returned
 * more than zero bytes, and not for a Unix socket that receives
 * descriptors (SCM_RIGHTS) or has SO_PASSCRED set: Linux ends a read at
 * such a message (or at a change of writer) with more data queued, and an
 * edge-triggered backend would not report it again. NULL @io: nothing happens. Runtime thread only.
 */
FUT_API void fut_io_drained(struct fut_io *io, unsigned int dir);

/**
 * fut_io_note - record in @reg the registration that the PENDING
 * fut_io_poll_ready(@io, @cx, @dir) just made.
 * @dir: FUT_IO_READABLE or FUT_IO_WRITABLE.
 * @reg: written: a plain copy of *cx->waker and the registration's
 *   number, or number 0 when the slot is empty (the code between the poll
 *   and this call returned PENDING for another reason, such as its coop
 *   budget, without storing a waker).
 *
 * Call it right after the PENDING poll, before anything else can poll
 * @io, and keep @reg for fut_io_forget_reg(). Reads two fields: no
 * syscall, no lock. NULL arguments or a bad @dir: @reg (if any) is
 * cleared. Runtime thread only.
 */
FUT_API void fut_io_note(const struct fut_io *io, unsigned int dir,
                         const struct fut_context *cx, struct fut_reg *reg);

/**
 * fut_io_forget_reg - withdraw the registration @reg recorded, if it is
 * still the one stored for @dir.
 * @reg: borrowed; filled by fut_io_note().
 *
 * The waker stored for @dir is dropped, and @dir leaves the interest set,
 * only when its number is @reg->id and it will_wake @reg->waker: a later
 * registration (another future of the same task polling the same
 * direction, whose waker is equal) is left alone, and so is any waker of
 * another poller. Readiness is kept. Call it when the future that polled
 * is dropped while pending, or when it finishes: the waker may point into
 * storage its owner frees next (a join's or select's child waker). NULL
 * arguments, a @reg with id 0, a bad @dir, an empty slot or a closed @io:
 * nothing happens. Cannot fail. Runtime thread only.
 */
FUT_API void fut_io_forget_reg(struct fut_io *io, unsigned int dir,
                               const struct fut_reg *reg);

/**
 * fut_io_forget - withdraw a waker that a PENDING fut_io_poll_ready() stored,
 * knowing only the waker (the form of version 2 trait tables).
 * @dir: FUT_IO_READABLE or FUT_IO_WRITABLE.
 * @w: the waker the poll was made with (borrowed; compared, not dropped).
 *
 * If the waker stored for @dir will_wake(@w), it is dropped and @dir leaves
 * the interest set; a waker of another poller is left alone. Readiness is
 * kept. Call it when the future that polled is dropped while pending: the
 * waker may point into storage its owner frees next (a join's or select's
 * child waker). Without a registration number it cannot tell a stale
 * future from a newer one of the same task: that one loses its waker and
 * is not woken. Prefer fut_io_note() and fut_io_forget_reg(). NULL @io or
 * @w, a bad @dir, an empty slot or a closed @io: nothing happens. Cannot
 * fail. Runtime thread only.
 */
FUT_API void fut_io_forget(struct fut_io *io, unsigned int dir,
                           const struct fut_waker *w);

/**
 * fut_io_close - deregister @io from its reactor and drop its wakers.
 *
 * The descriptor is not closed. Call it before closing the descriptor.
 * Closing an unbound or already closed @io is a no-op. Returns 0, or
 * -EINVAL for a NULL @io.
 */
FUT_API int fut_io_close(struct fut_io *io);

/**
 * fut_io_ready - the backend reports readiness @events on @io.
 *
 * For backend authors: call it from inside the backend's turn (or from the
 * foreign loop's callback in attached mode), on the runtime's thread. It
 * records @events and wakes the matching wakers; it never runs tasks.
 */
FUT_API void fut_io_ready(struct fut_io *io, unsigned int events);

FUT__END_DECLS

#endif /* FUTURES_REACTOR_H */
