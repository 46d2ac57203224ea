/* SPDX-License-Identifier: MIT */
/* TCP listeners, streams and connects over the reactor (tcp.h). */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Writes go through send(2) and sendmsg(2) with MSG_NOSIGNAL rather than
 * write(2), so a peer that has gone away gives -EPIPE instead of killing the
 * process with SIGPIPE; programs need not ignore the signal. Every call
 * goes through the fut__sys table, the Linux-specific ones (accept4,
 * SOCK_NONBLOCK, MSG_NOSIGNAL) through the OS layer (os.c).
 *
 * A closed listener has fd == -1, a closed stream io.fd == -1 (a stream
 * keeps its descriptor only in its registration: every connection embeds
 * one, so it carries no second copy); every operation on either answers
 * -EBADF.
 */

static int
addr_ok(const struct sockaddr *addr, socklen_t len)
{
    if (addr == NULL)
        return 0;
    if (addr->sa_family == AF_INET)
        return len >= (socklen_t)sizeof(struct sockaddr_in);
    if (addr->sa_family == AF_INET6)
        return len >= (socklen_t)sizeof(struct sockaddr_in6);
    return 0;
}

static void
close_fd(int fd)
{
    /* Linux releases the descriptor even when close(2) says EINTR, so it is
     * never retried (a retry could close a descriptor reused meanwhile). */
    (void)fut__sys.close(fd);
}

int
fut_sockaddr_parse(const char *host, unsigned int port,
                   struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *sin;
    struct sockaddr_in6 *sin6;

    if (host == NULL || ss == NULL || len == NULL || port > 65535)
        return -EINVAL;
    memset(ss, 0, sizeof *ss);
    sin = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *len = (socklen_t)sizeof *sin;
        return 0;
    }
    sin6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *len = (socklen_t)sizeof *sin6;
        return 0;
    }
    memset(ss, 0, sizeof *ss);
    return -EINVAL;
}

/* ---- listener ------------------------------------------------------------ */

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
static int
spare_open(void)
{
    return fut__sys.openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC, 0);
}

int
fut_tcp_listener_bind(struct fut_tcp_listener *l, const struct sockaddr *addr,
                      socklen_t len, int backlog)
{
    int fd, err;
    int one = 1;

    if (l == NULL)
        return -EINVAL;
    memset(l, 0, sizeof *l);
    l->fd = -1;
    l->spare = -1;
    l->io.fd = -1;
    if (!addr_ok(addr, len))
        return -EINVAL;
    fd = fut__os_socket(addr->sa_family, SOCK_STREAM, 0);
    if (fd < 0)
        return fd;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, addr, len) < 0 ||
        listen(fd, backlog <= 0 ? SOMAXCONN : backlog) < 0) {
        err = -errno;
        close_fd(fd);
        return err;
    }
    err = fut_io_init(&l->io, fd);
    if (err != 0) {
        close_fd(fd);
        return err;
    }
    l->fd = fd;
    /* Without a spare (the process is at its limit already) the listener
     * still works; it reports EMFILE as accept(2) does. */
    l->spare = spare_open();
    return 0;
}

int
fut_tcp_listener_local_addr(const struct fut_tcp_listener *l,
                            struct sockaddr_storage *ss, socklen_t *len)
{
    if (l == NULL || ss == NULL || len == NULL)
        return -EINVAL;
    if (l->fd < 0)
        return -EBADF;
    *len = (socklen_t)sizeof *ss;
    if (getsockname(l->fd, (struct sockaddr *)ss, len) < 0)
        return -errno;
    return 0;
}

int
fut_tcp_listener_bind_host(struct fut_tcp_listener *l, const char *host,
                           unsigned int port, int backlog)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int err;

    if (l == NULL)
        return -EINVAL;
    err = fut_sockaddr_parse(host, port, &ss, &len);
    if (err != 0)
        return err;
    return fut_tcp_listener_bind(l, (const struct sockaddr *)&ss, len,
                                 backlog);
}

int
fut_tcp_listener_port(const struct fut_tcp_listener *l)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int err = fut_tcp_listener_local_addr(l, &ss, &len);

    if (err != 0)
        return err;
    if (ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)(const void *)&ss)
                         ->sin6_port);
    if (ss.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)(const void *)&ss)
                         ->sin_port);
    return -EAFNOSUPPORT;
}

int
fut_tcp_listener_close(struct fut_tcp_listener *l)
{
    if (l == NULL)
        return -EINVAL;
    if (l->fd < 0)
        return -EBADF;
    (void)fut_io_close(&l->io);
    close_fd(l->fd);
    l->fd = -1;
    if (l->spare >= 0) {
        close_fd(l->spare);
        l->spare = -1;
    }
    return 0;
}

/*
 * Out of descriptors: refuse one queued connection through the spare (see
 * spare_open()). Returns 0 when the spare was there (the caller accepts
 * again: the next connection, or EAGAIN), or -@err when there is none.
 */
static int
listener_refuse(struct fut_tcp_listener *l, int err)
{
    int fd;

    if (l->spare < 0) {
        /* Try to get it back: descriptors may have been freed since. */
        l->spare = spare_open();
        return l->spare < 0 ? -err : 0;
    }
    close_fd(l->spare);
    l->spare = -1;
    fd = fut__os_accept(l->fd, NULL, NULL);
    if (fd >= 0)
        close_fd(fd);
    l->spare = spare_open();
    return 0;
}

/* ---- stream: AsyncRead / AsyncWrite -------------------------------------- */

static struct fut_tcp_stream *
reader_stream(struct fut_async_read *r)
{
    return FUT_CONTAINER_OF(r, struct fut_tcp_stream, reader);
}

static struct fut_tcp_stream *
writer_stream(struct fut_async_write *w)
{
    return FUT_CONTAINER_OF(w, struct fut_tcp_stream, writer);
}

/*
 * The readiness half of every read and write: wait until @dir is ready and
 * spend one unit of coop budget. Returns FUT_READY with *err == 0 when the
 * caller should make its syscall, FUT_READY with *err < 0 on failure, or
 * FUT_PENDING.
 */
static enum fut_poll
stream_ready(struct fut_tcp_stream *s, struct fut_context *cx,
             unsigned int dir, int *err)
{
    if (s->io.fd < 0) {
        *err = -EBADF;
        return FUT_READY;
    }
    if (fut_io_poll_ready(&s->io, cx, dir, err) == FUT_PENDING)
        return FUT_PENDING;
    if (*err != 0)
        return FUT_READY;
    /* Spent before the syscall: bytes already moved must not be lost to a
     * budget that ran out after it. */
    if (!fut_coop_proceed(cx))
        return FUT_PENDING;
    return FUT_READY;
}

/*
 * What a read or write syscall's result means. Returns FUT_READY with *res
 * set, or FUT_PENDING-as-"try again": the caller loops (EAGAIN after
 * clearing the readiness, so the next round waits for the backend).
 */
static enum fut_poll
stream_result(struct fut_tcp_stream *s, unsigned int dir, ssize_t n,
              ssize_t *res)
{
    if (n >= 0) {
        *res = n;
        return FUT_READY;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        fut_io_clear_ready(&s->io, dir);
        return FUT_PENDING;
    }
    if (errno == EINTR)
        return FUT_PENDING;
    *res = -errno;
    return FUT_READY;
}

static enum fut_poll
stream_poll_read(struct fut_async_read *self, struct fut_context *cx,
                 void *buf, size_t len, ssize_t *res)
{
    struct fut_tcp_stream *s = reader_stream(self);
    int err;

    for (;;) {
        if (stream_ready(s, cx, FUT_IO_READABLE, &err) == FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        if (stream_result(s, FUT_IO_READABLE, fut__sys.read(s->io.fd, buf, len),
                          res) == FUT_READY) {
            /* A short read emptied the socket: skip the read that would
             * only say EAGAIN (where the backend makes that safe). */
            if (*res > 0 && (size_t)*res < len)
                fut_io_drained(&s->io, FUT_IO_READABLE);
            return FUT_READY;
        }
    }
}

/* Bytes a readv of @iov could take; saturates rather than wraps. */
static size_t
iov_total(const struct iovec *iov, int iovcnt)
{
    size_t total = 0;
    int i;

    for (i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > SIZE_MAX - total)
            return SIZE_MAX;
        total += iov[i].iov_len;
    }
    return total;
}

static enum fut_poll
stream_poll_readv(struct fut_async_read *self, struct fut_context *cx,
                  const struct iovec *iov, int iovcnt, ssize_t *res)
{
    struct fut_tcp_stream *s = reader_stream(self);
    int err;

    for (;;) {
        if (stream_ready(s, cx, FUT_IO_READABLE, &err) == FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        if (stream_result(s, FUT_IO_READABLE,
                          fut__sys.readv(s->io.fd, iov, iovcnt),
                          res) == FUT_READY) {
            if (*res > 0 && (size_t)*res < iov_total(iov, iovcnt))
                fut_io_drained(&s->io, FUT_IO_READABLE);
            return FUT_READY;
        }
    }
}

static enum fut_poll
stream_poll_write(struct fut_async_write *self, struct fut_context *cx,
                  const void *buf, size_t len, ssize_t *res)
{
    struct fut_tcp_stream *s = writer_stream(self);
    int err;

    for (;;) {
        if (stream_ready(s, cx, FUT_IO_WRITABLE, &err) == FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        if (stream_result(s, FUT_IO_WRITABLE,
                          fut__sys.send(s->io.fd, buf, len, FUT__OS_SEND_FLAGS),
                          res) == FUT_READY)
            return FUT_READY;
    }
}

static enum fut_poll
stream_poll_writev(struct fut_async_write *self, struct fut_context *cx,
                   const struct iovec *iov, int iovcnt, ssize_t *res)
{
    struct fut_tcp_stream *s = writer_stream(self);
    struct msghdr msg;
    int err;

    memset(&msg, 0, sizeof msg);
    msg.msg_iov = (struct iovec *)iov;
    msg.msg_iovlen = (size_t)iovcnt;
    for (;;) {
        if (stream_ready(s, cx, FUT_IO_WRITABLE, &err) == FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        if (stream_result(s, FUT_IO_WRITABLE,
                          fut__sys.sendmsg(s->io.fd, &msg, FUT__OS_SEND_FLAGS),
                          res) == FUT_READY)
            return FUT_READY;
    }
}

static enum fut_poll
stream_poll_flush(struct fut_async_write *self, struct fut_context *cx,
                  ssize_t *res)
{
    /* Nothing is buffered in user space; the kernel sends on its own. */
    *res = writer_stream(self)->io.fd < 0 ? -EBADF : 0;
    return FUT_READY;
}

static enum fut_poll
stream_poll_close(struct fut_async_write *self, struct fut_context *cx,
                  ssize_t *res)
{
    struct fut_tcp_stream *s = writer_stream(self);

    if (s->io.fd < 0)
        *res = -EBADF;
    else if (shutdown(s->io.fd, SHUT_WR) < 0)
        *res = -errno;
    else
        *res = 0;
    return FUT_READY;
}

/* The waker of a pending read or write is in the registration's slot for
 * that direction (a closed stream's io has none left). */
static void
stream_forget_read(struct fut_async_read *self, const struct fut_waker *w)
{
    fut_io_forget(&reader_stream(self)->io, FUT_IO_READABLE, w);
}

static void
stream_forget_write(struct fut_async_write *self, const struct fut_waker *w)
{
    fut_io_forget(&writer_stream(self)->io, FUT_IO_WRITABLE, w);
}

/*
 * The numbered forms: reads and writes store their waker only through
 * fut_io_poll_ready(), and a coop yield returns PENDING only once the
 * direction is ready, when its slot is empty; so the registration in the
 * slot right after a PENDING poll is the one that poll made, or none.
 */
static void
stream_note_read(struct fut_async_read *self, struct fut_reg *reg)
{
    struct fut_io *io = &reader_stream(self)->io;

    reg->id = io->read_waker.vtable != NULL ? io->read_id : 0;
}

static void
stream_forget_read_reg(struct fut_async_read *self, const struct fut_reg *reg)
{
    fut_io_forget_reg(&reader_stream(self)->io, FUT_IO_READABLE, reg);
}

static void
stream_note_write(struct fut_async_write *self, struct fut_reg *reg)
{
    struct fut_io *io = &writer_stream(self)->io;

    reg->id = io->write_waker.vtable != NULL ? io->write_id : 0;
}

static void
stream_forget_write_reg(struct fut_async_write *self,
                        const struct fut_reg *reg)
{
    fut_io_forget_reg(&writer_stream(self)->io, FUT_IO_WRITABLE, reg);
}

static const struct fut_async_read_vtable stream_read_vtable = {
    .version = 3,
    .poll_read = stream_poll_read,
    .poll_readv = stream_poll_readv,
    .forget_read = stream_forget_read,
    .note_read = stream_note_read,
    .forget_read_reg = stream_forget_read_reg,
};

static const struct fut_async_write_vtable stream_write_vtable = {
    .version = 3,
    .poll_write = stream_poll_write,
    .poll_writev = stream_poll_writev,
    .poll_flush = stream_poll_flush,
    .poll_close = stream_poll_close,
    .forget_write = stream_forget_write,
    .note_write = stream_note_write,
    .forget_write_reg = stream_forget_write_reg,
};

/* A stream that is not open: its traits work and answer -EBADF. */
static void
stream_reset(struct fut_tcp_stream *s)
{
    memset(s, 0, sizeof *s);
    s->reader.vtable = &stream_read_vtable;
    s->writer.vtable = &stream_write_vtable;
    s->io.fd = -1;
}

int
fut_tcp_stream_init(struct fut_tcp_stream *s)
{
    if (s == NULL)
        return -EINVAL;
    stream_reset(s);
    return 0;
}

/* Adopt @fd (nonblocking already) into @s. Returns 0 or -errno. */
static int
stream_open(struct fut_tcp_stream *s, int fd)
{
    int err;

    stream_reset(s);
    err = fut_io_init(&s->io, fd);
    if (err != 0)
        return err;
    return 0;
}

int
fut_tcp_stream_from_fd(struct fut_tcp_stream *s, int fd)
{
    int err;

    if (s == NULL || fd < 0)
        return -EINVAL;
    err = fut__os_set_nonblock(fd, 1, NULL);
    if (err != 0)
        return err;
    return stream_open(s, fd);
}

int
fut_tcp_stream_set_nodelay(struct fut_tcp_stream *s, int on)
{
    int v = on != 0;

    if (s == NULL)
        return -EINVAL;
    if (s->io.fd < 0)
        return -EBADF;
    if (setsockopt(s->io.fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) < 0)
        return -errno;
    return 0;
}

int
fut_tcp_stream_shutdown(struct fut_tcp_stream *s, int how)
{
    if (s == NULL || (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR))
        return -EINVAL;
    if (s->io.fd < 0)
        return -EBADF;
    if (shutdown(s->io.fd, how) < 0)
        return -errno;
    return 0;
}

int
fut_tcp_stream_peer_addr(const struct fut_tcp_stream *s,
                         struct sockaddr_storage *ss, socklen_t *len)
{
    if (s == NULL || ss == NULL || len == NULL)
        return -EINVAL;
    if (s->io.fd < 0)
        return -EBADF;
    *len = (socklen_t)sizeof *ss;
    if (getpeername(s->io.fd, (struct sockaddr *)ss, len) < 0)
        return -errno;
    return 0;
}

int
fut_tcp_stream_local_addr(const struct fut_tcp_stream *s,
                          struct sockaddr_storage *ss, socklen_t *len)
{
    if (s == NULL || ss == NULL || len == NULL)
        return -EINVAL;
    if (s->io.fd < 0)
        return -EBADF;
    *len = (socklen_t)sizeof *ss;
    if (getsockname(s->io.fd, (struct sockaddr *)ss, len) < 0)
        return -errno;
    return 0;
}

/* ---- stream: readiness, then a syscall that never waits ------------------ */

/*
 * These let a connection hold no buffer while it waits: its task awaits
 * readiness with nothing borrowed, then reads into a buffer it borrows for
 * that one call. They share stream_ready() with the AsyncRead/AsyncWrite
 * paths, so the waker slot, the coop budget and the error rules are the
 * same; the syscall half is the loop body of stream_poll_read() and
 * stream_poll_write(), made once.
 */
static enum fut_poll
stream_poll_ready(struct fut_tcp_stream *s, struct fut_context *cx,
                  unsigned int dir, int *res)
{
    if (res == NULL)
        return FUT_READY;
    if (s == NULL || cx == NULL) {
        *res = -EINVAL;
        return FUT_READY;
    }
    return stream_ready(s, cx, dir, res);
}

enum fut_poll
fut_tcp_stream_poll_read_ready(struct fut_tcp_stream *s,
                               struct fut_context *cx, int *res)
{
    return stream_poll_ready(s, cx, FUT_IO_READABLE, res);
}

enum fut_poll
fut_tcp_stream_poll_write_ready(struct fut_tcp_stream *s,
                                struct fut_context *cx, int *res)
{
    return stream_poll_ready(s, cx, FUT_IO_WRITABLE, res);
}

/* What a try_read or try_write syscall's result @n means for @dir. */
static ssize_t
stream_try_result(struct fut_tcp_stream *s, unsigned int dir, ssize_t n)
{
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        /* The kernel said so: the next poll_*_ready waits for the
         * backend. */
        fut_io_clear_ready(&s->io, dir);
        return -EAGAIN;
    }
    return -errno;
}

ssize_t
fut_tcp_stream_try_read(struct fut_tcp_stream *s, void *buf, size_t len)
{
    ssize_t n;

    if (s == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    if (s->io.fd < 0)
        return -EBADF;
    if (len == 0)
        return 0;
    do
        n = fut__sys.read(s->io.fd, buf, len);
    while (n < 0 && errno == EINTR);
    /* As in stream_poll_read(): a short read emptied the socket. */
    if (n > 0 && (size_t)n < len)
        fut_io_drained(&s->io, FUT_IO_READABLE);
    return stream_try_result(s, FUT_IO_READABLE, n);
}

ssize_t
fut_tcp_stream_try_write(struct fut_tcp_stream *s, const void *buf,
                         size_t len)
{
    ssize_t n;

    if (s == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    if (s->io.fd < 0)
        return -EBADF;
    if (len == 0)
        return 0;
    do
        n = fut__sys.send(s->io.fd, buf, len, FUT__OS_SEND_FLAGS);
    while (n < 0 && errno == EINTR);
    return stream_try_result(s, FUT_IO_WRITABLE, n);
}

int
fut_tcp_stream_close(struct fut_tcp_stream *s)
{
    if (s == NULL)
        return -EINVAL;
    if (s->io.fd < 0)
        return -EBADF;
    (void)fut_io_close(&s->io);
    close_fd(s->io.fd);
    s->io.fd = -1;
    return 0;
}

/* ---- accept -------------------------------------------------------------- */

enum fut_poll
fut_tcp_listener_poll_accept(struct fut_tcp_listener *l,
                             struct fut_context *cx,
                             struct fut_tcp_stream *out, int *res)
{
    int fd, err;

    if (res == NULL)
        return FUT_READY;
    if (l == NULL || cx == NULL || out == NULL) {
        *res = -EINVAL;
        return FUT_READY;
    }
    if (l->fd < 0) {
        *res = -EBADF;
        return FUT_READY;
    }
    for (;;) {
        if (fut_io_poll_ready(&l->io, cx, FUT_IO_READABLE, &err) ==
            FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        /* A listener under a connection storm is ready again and again;
         * the budget lets the accepted connections' tasks run too. */
        if (!fut_coop_proceed(cx))
            return FUT_PENDING;
        fd = fut__os_accept(l->fd, NULL, NULL);
        if (fd >= 0)
            break;
        switch (-fd) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            fut_io_clear_ready(&l->io, FUT_IO_READABLE);
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
            err = listener_refuse(l, errno);
            if (err == 0)
                continue;
            *res = err;
            return FUT_READY;
        default:
            /* ENOBUFS, ENOMEM, EPERM (a firewall): the connection stays
             * queued; the caller decides. */
            *res = -errno;
            return FUT_READY;
        }
    }
    err = stream_open(out, fd);
    if (err != 0) {
        close_fd(fd);
        *res = err;
        return FUT_READY;
    }
    *res = 0;
    return FUT_READY;
}

/* The accept future keeps res at ACCEPT_PENDING until it is READY, so that
 * polling again after READY returns the same output (futures are fused). */
#define ACCEPT_PENDING 1

/*
 * A pending accept leaves a clone of its waker in the listener's
 * registration until the next readiness or close. The waker may point into
 * storage freed right after the future is dropped (a select's child
 * waker), so the future notes its registration (a plain copy of the waker
 * and the listener's number for it) when PENDING and withdraws it when it
 * is dropped or finishes, leaving a newer one of the same task alone.
 */
static void
accept_forget(struct fut_tcp_accept *a)
{
    if (a->reg.waker.vtable != NULL) {
        fut_io_forget_reg(&a->listener->io, FUT_IO_READABLE, &a->reg);
        fut_reg_clear(&a->reg);
    }
}

static enum fut_poll
accept_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_tcp_accept *a = (struct fut_tcp_accept *)f;
    int res;

    if (a->res != ACCEPT_PENDING)
        return FUT_READY;
    if (fut_tcp_listener_poll_accept(a->listener, cx, a->out, &res) ==
        FUT_PENDING) {
        /* Noted for accept_forget(). */
        fut_io_note(&a->listener->io, FUT_IO_READABLE, cx, &a->reg);
        return FUT_PENDING;
    }
    accept_forget(a);
    a->res = res;
    return FUT_READY;
}

static void
accept_drop(struct fut_future *f)
{
    /* A READY future's stream is the caller's: only the waker goes. */
    accept_forget((struct fut_tcp_accept *)f);
}

static int
accept_result(const struct fut_future *f)
{
    const struct fut_tcp_accept *a = (const struct fut_tcp_accept *)f;

    return a->res == ACCEPT_PENDING ? 0 : a->res;
}

static const struct fut_future_vtable accept_vtable = {
    .poll = accept_poll,
    .drop = accept_drop,
    .result = accept_result,
};

int
fut_tcp_accept_init(struct fut_tcp_accept *f, struct fut_tcp_listener *l,
                    struct fut_tcp_stream *out)
{
    if (f == NULL || l == NULL || out == NULL)
        return -EINVAL;
    f->base.vtable = &accept_vtable;
    f->listener = l;
    f->out = out;
    f->res = ACCEPT_PENDING;
    fut_reg_clear(&f->reg);
    return 0;
}

/* ---- connect ------------------------------------------------------------- */

enum connect_state {
    CONNECT_START = 0,
    CONNECT_WAIT,       /* socket made, connect(2) in progress */
    CONNECT_DONE
};

/* Give up the half-made socket of @f. */
static void
connect_abandon(struct fut_tcp_connect *f)
{
    fut_future_drop(&f->sleep.base);
    (void)fut_tcp_stream_close(f->stream);
}

static enum fut_poll
connect_finish(struct fut_tcp_connect *f, int res)
{
    if (res != 0)
        connect_abandon(f);
    else
        fut_future_drop(&f->sleep.base);
    f->res = res;
    f->state = CONNECT_DONE;
    return FUT_READY;
}

/* First poll: make the socket and start connect(2). */
static enum fut_poll
connect_start(struct fut_tcp_connect *f, struct fut_context *cx)
{
    int fd, err;

    if (cx->rt == NULL) {
        f->res = -EINVAL;
        f->state = CONNECT_DONE;
        return FUT_READY;
    }
    fd = fut__os_socket(f->addr.ss_family, SOCK_STREAM, 0);
    if (fd < 0) {
        f->res = fd;
        f->state = CONNECT_DONE;
        return FUT_READY;
    }
    err = stream_open(f->stream, fd);
    if (err != 0) {
        close_fd(fd);
        f->res = err;
        f->state = CONNECT_DONE;
        return FUT_READY;
    }
    f->state = CONNECT_WAIT;
    if (f->deadline_ns >= 0)
        (void)fut_sleep_until_init(&f->sleep, f->deadline_ns);
    if (fut__sys.connect(fd, (const struct sockaddr *)&f->addr,
                         f->addrlen) == 0)
        return connect_finish(f, 0);
    /* EINTR: a nonblocking connect goes on in the background, as after
     * EINPROGRESS; the outcome is read with SO_ERROR all the same. */
    if (errno != EINPROGRESS && errno != EINTR)
        return connect_finish(f, -errno);
    return FUT_PENDING;
}

/* Is the connect of @fd finished? 0: connected; -errno: failed;
 * -EINPROGRESS: not yet (the readiness was stale or spurious). */
static int
connect_outcome(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int soerr = 0;
    socklen_t elen = sizeof soerr;

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) < 0)
        return -errno;
    if (soerr != 0)
        return -soerr;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return errno == ENOTCONN ? -EINPROGRESS : -errno;
    return 0;
}

static enum fut_poll
connect_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_tcp_connect *f = (struct fut_tcp_connect *)base;
    int err;

    if (f->state == CONNECT_DONE)
        return FUT_READY;
    if (f->state == CONNECT_START) {
        if (connect_start(f, cx) == FUT_READY)
            return FUT_READY;
    }
    for (;;) {
        if (fut_io_poll_ready(&f->stream->io, cx, FUT_IO_WRITABLE, &err) ==
            FUT_PENDING)
            break;
        if (err != 0)
            return connect_finish(f, err);
        err = connect_outcome(f->stream->io.fd);
        if (err != -EINPROGRESS)
            return connect_finish(f, err);
        /* Readiness without a result (a stale or spurious edge): wait for
         * the next one. Error and hang-up stay ready until the descriptor
         * is closed, so with those set waiting would spin; the kernel has
         * no error to give, so the socket is simply not connected. */
        if (f->stream->io.ready & (FUT_IO_ERROR | FUT_IO_HUP))
            return connect_finish(f, -ENOTCONN);
        fut_io_clear_ready(&f->stream->io, FUT_IO_WRITABLE);
    }
    /* Pending on the socket: now the deadline. The socket was checked
     * first, so a connect that made it in time wins a tie. */
    if (f->deadline_ns >= 0 &&
        fut_future_poll(&f->sleep.base, cx) == FUT_READY)
        return connect_finish(f, f->sleep.res != 0 ? f->sleep.res
                                                   : -ETIMEDOUT);
    return FUT_PENDING;
}

static void
connect_drop(struct fut_future *base)
{
    struct fut_tcp_connect *f = (struct fut_tcp_connect *)base;

    /* Only a pending connect has a waker in the stream's registration, and
     * abandoning closes the stream, which drops it (fut_io_close()); a
     * finished connect's was taken by the readiness that finished it, or
     * the stream was closed. */
    if (f->state == CONNECT_WAIT)
        connect_abandon(f);
    fut_future_drop(&f->sleep.base);
}

static int
connect_result(const struct fut_future *base)
{
    const struct fut_tcp_connect *f = (const struct fut_tcp_connect *)base;

    return f->state == CONNECT_DONE ? f->res : 0;
}

static const struct fut_future_vtable connect_vtable = {
    .poll = connect_poll,
    .drop = connect_drop,
    .result = connect_result,
};

int
fut_tcp_connect_init(struct fut_tcp_connect *f, struct fut_tcp_stream *stream,
                     const struct sockaddr *addr, socklen_t len,
                     int64_t timeout_ns)
{
    int64_t now;

    if (f == NULL || stream == NULL || !addr_ok(addr, len) ||
        len > (socklen_t)sizeof f->addr)
        return -EINVAL;
    /* Resetting an open stream would lose its descriptor. The contract
     * asks for an initialised stream, so this reads defined memory. */
    if (stream->reader.vtable == &stream_read_vtable && stream->io.fd >= 0) {
        f->base.vtable = NULL; /* dropped state: dropping it is harmless */
        return -EISCONN;
    }
    memset(f, 0, sizeof *f);
    f->base.vtable = &connect_vtable;
    f->stream = stream;
    memcpy(&f->addr, addr, len);
    f->addrlen = len;
    /* The deadline counts from now, as a timeout wrapped around the future
     * at construction would. It saturates instead of overflowing. */
    if (timeout_ns < 0) {
        f->deadline_ns = -1;
    } else {
        now = fut_now_ns();
        f->deadline_ns = timeout_ns > INT64_MAX - now ? INT64_MAX
                                                      : now + timeout_ns;
    }
    f->state = CONNECT_START;
    f->res = 0;
    /* Until the connect succeeds the stream is not open: its operations
     * answer -EBADF and closing it is harmless. */
    stream_reset(stream);
    return 0;
}
