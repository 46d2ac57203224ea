/* SPDX-License-Identifier: MIT */
/* The stream core: the traits of TCP, Unix and adopted-fd streams, and stream listeners. */
#include "internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>

/*
 * Socket streams write with send(2) and sendmsg(2) and MSG_NOSIGNAL rather
 * than write(2), so a peer that has gone away gives -EPIPE instead of
 * killing the process with SIGPIPE; programs need not ignore the signal.
 * A closed stream has io.fd == -1 (a stream keeps its descriptor only in
 * its registration: every connection embeds one, so it carries no second
 * copy); every operation on it answers -EBADF.
 */

/* The layout every function here relies on (internal.h). */
#define SAME_OFFSET(type, member)                                          \
    _Static_assert(offsetof(type, member) ==                                \
                       offsetof(struct fut_tcp_stream, member),             \
                   #type " must begin as struct fut_tcp_stream does")
SAME_OFFSET(struct fut_unix_stream, reader);
SAME_OFFSET(struct fut_unix_stream, writer);
SAME_OFFSET(struct fut_unix_stream, io);
SAME_OFFSET(struct fut_fd, reader);
SAME_OFFSET(struct fut_fd, writer);
SAME_OFFSET(struct fut_fd, io);

/* ---- the traits --------------------------------------------------------- */

static enum fut_poll
stream_poll_read(struct fut_async_read *self, struct fut_context *cx,
                 void *buf, size_t len, ssize_t *res)
{
    struct iovec one = { buf, len };

    return fut__stream_poll_io(fut__stream_reader_io(self), cx,
                               FUT__STREAM_READ, &one, 1, 1, res);
}

static enum fut_poll
stream_poll_readv(struct fut_async_read *self, struct fut_context *cx,
                  const struct iovec *iov, int iovcnt, ssize_t *res)
{
    return fut__stream_poll_io(fut__stream_reader_io(self), cx,
                               FUT__STREAM_READV, iov, iovcnt, 1, res);
}

static enum fut_poll
stream_poll_write(struct fut_async_write *self, struct fut_context *cx,
                  const void *buf, size_t len, ssize_t *res)
{
    struct iovec one = { (void *)buf, len };

    return fut__stream_poll_io(fut__stream_writer_io(self), cx,
                               FUT__STREAM_SEND, &one, 1, 0, res);
}

static enum fut_poll
stream_poll_writev(struct fut_async_write *self, struct fut_context *cx,
                   const struct iovec *iov, int iovcnt, ssize_t *res)
{
    return fut__stream_poll_io(fut__stream_writer_io(self), cx,
                               FUT__STREAM_SENDMSG, iov, iovcnt, 0, res);
}

enum fut_poll
fut__stream_poll_flush(struct fut_async_write *self, struct fut_context *cx,
                       ssize_t *res)
{
    /* Nothing is buffered in user space; the kernel sends on its own. */
    FUT__UNUSED(cx);
    *res = fut__stream_writer_io(self)->fd < 0 ? -EBADF : 0;
    return FUT_READY;
}

static enum fut_poll
stream_poll_close(struct fut_async_write *self, struct fut_context *cx,
                  ssize_t *res)
{
    FUT__UNUSED(cx);
    *res = fut__sock_shutdown(fut__stream_writer_io(self), SHUT_WR);
    return FUT_READY;
}

/* The waker of a pending read or write is in the registration's slot for
 * that direction (a closed stream's io has none left). */
void
fut__stream_forget_read(struct fut_async_read *self,
                        const struct fut_waker *w)
{
    fut_io_forget(fut__stream_reader_io(self), FUT_IO_READABLE, w);
}

void
fut__stream_forget_write(struct fut_async_write *self,
                         const struct fut_waker *w)
{
    fut_io_forget(fut__stream_writer_io(self), FUT_IO_WRITABLE, w);
}

/*
 * The numbered forms: reads and writes store their waker only through
 * fut_io_poll_ready(), and a coop yield returns PENDING only once the
 * direction is ready, when its slot is empty; so the registration in the
 * slot right after a PENDING poll is the one that poll made, or none.
 */
void
fut__stream_note_read(struct fut_async_read *self, struct fut_reg *reg)
{
    const struct fut_io *io = fut__stream_reader_io(self);

    reg->id = io->read_waker.vtable != NULL ? io->read_id : 0;
}

void
fut__stream_forget_read_reg(struct fut_async_read *self,
                            const struct fut_reg *reg)
{
    fut_io_forget_reg(fut__stream_reader_io(self), FUT_IO_READABLE, reg);
}

void
fut__stream_note_write(struct fut_async_write *self, struct fut_reg *reg)
{
    const struct fut_io *io = fut__stream_writer_io(self);

    reg->id = io->write_waker.vtable != NULL ? io->write_id : 0;
}

void
fut__stream_forget_write_reg(struct fut_async_write *self,
                             const struct fut_reg *reg)
{
    fut_io_forget_reg(fut__stream_writer_io(self), FUT_IO_WRITABLE, reg);
}

const struct fut_async_read_vtable fut__sockstream_read_vtable = {
    .version = 3,
    .poll_read = stream_poll_read,
    .poll_readv = stream_poll_readv,
    .forget_read = fut__stream_forget_read,
    .note_read = fut__stream_note_read,
    .forget_read_reg = fut__stream_forget_read_reg,
};

const struct fut_async_write_vtable fut__sockstream_write_vtable = {
    .version = 3,
    .poll_write = stream_poll_write,
    .poll_writev = stream_poll_writev,
    .poll_flush = fut__stream_poll_flush,
    .poll_close = stream_poll_close,
    .forget_write = fut__stream_forget_write,
    .note_write = fut__stream_note_write,
    .forget_write_reg = fut__stream_forget_write_reg,
};

/* ---- socket streams ----------------------------------------------------- */

static struct fut_async_read *
io_reader(struct fut_io *io)
{
    return (struct fut_async_read *)(void *)((char *)io - FUT__STREAM_IO_OFF +
                                             FUT__STREAM_READER_OFF);
}

static struct fut_async_write *
io_writer(struct fut_io *io)
{
    return (struct fut_async_write *)(void *)((char *)io - FUT__STREAM_IO_OFF +
                                              FUT__STREAM_WRITER_OFF);
}

/* A stream that is not open: its traits work and answer -EBADF. */
void
fut__sockstream_reset(struct fut_io *io)
{
    struct fut_async_read *r = io_reader(io);
    struct fut_async_write *w = io_writer(io);

    memset(r, 0, sizeof *r);
    memset(w, 0, sizeof *w);
    memset(io, 0, sizeof *io);
    r->vtable = &fut__sockstream_read_vtable;
    w->vtable = &fut__sockstream_write_vtable;
    io->fd = -1;
}

int
fut__sockstream_open(struct fut_io *io, int fd)
{
    fut__sockstream_reset(io);
    return fut_io_init(io, fd);
}

int
fut__sockstream_is_open(struct fut_io *io)
{
    /* The vtable tells an initialised stream from other memory; the
     * contracts ask for one, so this reads defined memory. */
    return io_reader(io)->vtable == &fut__sockstream_read_vtable &&
           io->fd >= 0;
}

int
fut__sock_shutdown(struct fut_io *io, int how)
{
    if (io == NULL || (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR))
        return -EINVAL;
    if (io->fd < 0)
        return -EBADF;
    if (shutdown(io->fd, how) < 0)
        return fut__os_err();
    return 0;
}

int
fut__sock_addr(const struct fut_io *io, struct sockaddr_storage *ss,
               socklen_t *len, int peer)
{
    int r;

    if (io == NULL || ss == NULL || len == NULL)
        return -EINVAL;
    if (io->fd < 0)
        return -EBADF;
    *len = (socklen_t)sizeof *ss;
    r = peer ? getpeername(io->fd, (struct sockaddr *)ss, len)
             : getsockname(io->fd, (struct sockaddr *)ss, len);
    return r < 0 ? fut__os_err() : 0;
}

int
fut__sock_close(struct fut_io *io)
{
    if (io == NULL)
        return -EINVAL;
    if (io->fd < 0)
        return -EBADF;
    (void)fut_io_close(io);
    /* Never retried, even on EINTR (fut__os_close()). */
    fut__os_close(io->fd);
    io->fd = -1;
    return 0;
}

/* ---- listeners ---------------------------------------------------------- */

/*
 * Out of descriptors (EMFILE, ENFILE), accept(2) fails and leaves the
 * connection queued, so the listener stays readable: a caller that simply
 * polls again spins, and one that backs off holds the peer in the backlog
 * for nothing. Each listener therefore keeps one spare descriptor (libuv's
 * trick, with its own code): on EMFILE or ENFILE it closes the spare,
 * accepts the queued connection into the freed slot, closes it at once
 * (the peer sees the connection reset or closed) and opens the spare
 * again. The queue drains, the readiness is cleared by the EAGAIN that
 * follows, and the listener waits for the next connection: no spin, no
 * timer, and the caller never sees EMFILE. We chose this over a built-in
 * back-off because a back-off needs a timer and a choice of delay, keeps
 * refused peers waiting, and still polls at that rate while the limit
 * lasts; the price is one descriptor per listener.
 */
int
fut__listener_spare(void)
{
    int fd = fut__sys.openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC, 0);

    return fd < 0 ? -1 : fd;
}

/*
 * Out of descriptors: refuse one queued connection through the spare (see
 * fut__listener_spare()). Returns 0 when the spare was there (the caller
 * accepts again: the next connection, or EAGAIN), or @err (-EMFILE or
 * -ENFILE) when there is none.
 */
static int
listener_refuse(struct fut_io *io, int *spare, int err)
{
    int fd;

    if (*spare < 0) {
        /* Try to get it back: descriptors may have been freed since. */
        *spare = fut__listener_spare();
        return *spare < 0 ? err : 0;
    }
    fut__os_close(*spare);
    *spare = -1;
    fd = fut__os_accept(io->fd, NULL, NULL);
    if (fd >= 0)
        fut__os_close(fd);
    *spare = fut__listener_spare();
    return 0;
}

enum fut_poll
fut__listener_poll_accept(struct fut_io *io, int *spare,
                          struct fut_context *cx, struct fut_io *out,
                          int *res)
{
    int fd, err;

    if (res == NULL)
        return FUT_READY;
    if (io == NULL || cx == NULL || out == NULL) {
        *res = -EINVAL;
        return FUT_READY;
    }
    if (io->fd < 0) {
        *res = -EBADF;
        return FUT_READY;
    }
    for (;;) {
        if (fut_io_poll_ready(io, cx, FUT_IO_READABLE, &err) == FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        /* A listener under a connection storm is ready again and again;
         * the budget lets the accepted connections' tasks run too. */
        if (!fut_coop_proceed(cx))
            return FUT_PENDING;
        fd = fut__os_accept(io->fd, NULL, NULL);
        if (fd >= 0)
            break;
        switch (-fd) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            fut_io_clear_ready(io, FUT_IO_READABLE);
            continue;
        case EINTR:
            continue;
        case ECONNABORTED:
        case EPROTO:
        case ENETDOWN:
        case ENOPROTOOPT:
        case EHOSTDOWN:
#ifdef ENONET
        case ENONET:
#endif
        case EHOSTUNREACH:
        case EOPNOTSUPP:
        case ENETUNREACH:
            /* The connection was reset while it waited in the backlog,
             * or Linux passed on a network error of the new connection;
             * accept(2) ("Error handling") says to treat these like
             * EAGAIN by retrying. They concern that one connection, not
             * the listener: skip it. The coop budget above bounds the
             * loop should they keep coming. */
            continue;
        case EMFILE:
        case ENFILE:
            err = listener_refuse(io, spare, fd);
            if (err == 0)
                continue;
            *res = err;
            return FUT_READY;
        default:
            /* ENOBUFS, ENOMEM, EPERM (a firewall): the connection stays
             * queued; the caller decides. */
            *res = fd;
            return FUT_READY;
        }
    }
    err = fut__sockstream_open(out, fd);
    if (err != 0) {
        fut__os_close(fd);
        *res = err;
        return FUT_READY;
    }
    *res = 0;
    return FUT_READY;
}

int
fut__listener_close(struct fut_io *io, int *spare)
{
    int err = fut__sock_close(io);

    if (err == 0 && *spare >= 0) {
        fut__os_close(*spare);
        *spare = -1;
    }
    return err;
}

/* ---- the accept futures ------------------------------------------------- */

/*
 * A pending accept leaves a clone of its waker in the listener's
 * registration until the next readiness or close. The waker may point into
 * storage freed right after the future is dropped (a select's child
 * waker), so the future notes its registration (a plain copy of the waker
 * and the listener's number for it) when PENDING and withdraws it when it
 * is dropped or finishes, leaving a newer one of the same task alone.
 */
void
fut__accept_forget(struct fut_io *io, struct fut_reg *reg)
{
    if (reg->waker.vtable != NULL) {
        fut_io_forget_reg(io, FUT_IO_READABLE, reg);
        fut_reg_clear(reg);
    }
}

enum fut_poll
fut__accept_poll(struct fut_io *io, int *spare, struct fut_context *cx,
                 struct fut_io *out, int *res, struct fut_reg *reg)
{
    int r;

    if (*res != FUT__ACCEPT_PENDING)
        return FUT_READY;
    if (fut__listener_poll_accept(io, spare, cx, out, &r) == FUT_PENDING) {
        /* Noted for fut__accept_forget(). */
        fut_io_note(io, FUT_IO_READABLE, cx, reg);
        return FUT_PENDING;
    }
    fut__accept_forget(io, reg);
    *res = r;
    return FUT_READY;
}
