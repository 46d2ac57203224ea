/* SPDX-License-Identifier: MIT */
/* TCP listeners, streams and connects over the reactor (tcp.h). */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Streams, their traits and the accept loop are the stream core's
 * (sockstream.c), shared with Unix streams. Every call goes through the
 * fut__sys table, the Linux-specific ones (accept4, SOCK_NONBLOCK,
 * MSG_NOSIGNAL) through the OS layer (os.c).
 *
 * A closed listener has fd == io.fd == -1, a closed stream io.fd == -1;
 * every operation on either answers -EBADF.
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
        fut__os_close(fd);
        return err;
    }
    err = fut_io_init(&l->io, fd);
    if (err != 0) {
        fut__os_close(fd);
        return err;
    }
    l->fd = fd;
    /* Without a spare (the process is at its limit already) the listener
     * still works; it reports EMFILE as accept(2) does. */
    l->spare = fut__listener_spare();
    return 0;
}

int
fut_tcp_listener_local_addr(const struct fut_tcp_listener *l,
                            struct sockaddr_storage *ss, socklen_t *len)
{
    return fut__sock_addr(l != NULL ? &l->io : NULL, ss, len, 0);
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
    int err;

    if (l == NULL)
        return -EINVAL;
    err = fut__listener_close(&l->io, &l->spare);
    if (err == 0)
        l->fd = -1;
    return err;
}

/* ---- stream -------------------------------------------------------------- */

int
fut_tcp_stream_init(struct fut_tcp_stream *s)
{
    if (s == NULL)
        return -EINVAL;
    fut__sockstream_reset(&s->io);
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
    return fut__sockstream_open(&s->io, fd);
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
    return fut__sock_shutdown(s != NULL ? &s->io : NULL, how);
}

int
fut_tcp_stream_peer_addr(const struct fut_tcp_stream *s,
                         struct sockaddr_storage *ss, socklen_t *len)
{
    return fut__sock_addr(s != NULL ? &s->io : NULL, ss, len, 1);
}

int
fut_tcp_stream_local_addr(const struct fut_tcp_stream *s,
                          struct sockaddr_storage *ss, socklen_t *len)
{
    return fut__sock_addr(s != NULL ? &s->io : NULL, ss, len, 0);
}

/* Readiness, then a syscall that never waits: the stream core's. */
enum fut_poll
fut_tcp_stream_poll_read_ready(struct fut_tcp_stream *s,
                               struct fut_context *cx, int *res)
{
    return fut__stream_poll_ready(s != NULL ? &s->io : NULL, cx,
                                  FUT_IO_READABLE, res);
}

enum fut_poll
fut_tcp_stream_poll_write_ready(struct fut_tcp_stream *s,
                                struct fut_context *cx, int *res)
{
    return fut__stream_poll_ready(s != NULL ? &s->io : NULL, cx,
                                  FUT_IO_WRITABLE, res);
}

ssize_t
fut_tcp_stream_try_read(struct fut_tcp_stream *s, void *buf, size_t len)
{
    return fut__stream_try_io(s != NULL ? &s->io : NULL, FUT__STREAM_READ,
                              buf, len);
}

ssize_t
fut_tcp_stream_try_write(struct fut_tcp_stream *s, const void *buf,
                         size_t len)
{
    return fut__stream_try_io(s != NULL ? &s->io : NULL, FUT__STREAM_SEND,
                              (void *)buf, len);
}

int
fut_tcp_stream_close(struct fut_tcp_stream *s)
{
    return fut__sock_close(s != NULL ? &s->io : NULL);
}

/* ---- accept -------------------------------------------------------------- */

enum fut_poll
fut_tcp_listener_poll_accept(struct fut_tcp_listener *l,
                             struct fut_context *cx,
                             struct fut_tcp_stream *out, int *res)
{
    return fut__listener_poll_accept(l != NULL ? &l->io : NULL,
                                     l != NULL ? &l->spare : NULL, cx,
                                     out != NULL ? &out->io : NULL, res);
}

static enum fut_poll
accept_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_tcp_accept *a = (struct fut_tcp_accept *)f;

    return fut__accept_poll(&a->listener->io, &a->listener->spare, cx,
                            &a->out->io, &a->res, &a->reg);
}

static void
accept_drop(struct fut_future *f)
{
    struct fut_tcp_accept *a = (struct fut_tcp_accept *)f;

    /* A READY future's stream is the caller's: only the waker goes. */
    fut__accept_forget(&a->listener->io, &a->reg);
}

static int
accept_result(const struct fut_future *f)
{
    const struct fut_tcp_accept *a = (const struct fut_tcp_accept *)f;

    return a->res == FUT__ACCEPT_PENDING ? 0 : a->res;
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
    f->res = FUT__ACCEPT_PENDING;
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
    err = fut__sockstream_open(&f->stream->io, fd);
    if (err != 0) {
        fut__os_close(fd);
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
    if (f == NULL || stream == NULL || !addr_ok(addr, len) ||
        len > (socklen_t)sizeof f->addr)
        return -EINVAL;
    /* Resetting an open stream would lose its descriptor. The contract
     * asks for an initialised stream, so this reads defined memory. */
    if (fut__sockstream_is_open(&stream->io)) {
        f->base.vtable = NULL; /* dropped state: dropping it is harmless */
        return -EISCONN;
    }
    memset(f, 0, sizeof *f);
    f->base.vtable = &connect_vtable;
    f->stream = stream;
    memcpy(&f->addr, addr, len);
    f->addrlen = len;
    /* The deadline counts from now, as a timeout wrapped around the future
     * at construction would. */
    f->deadline_ns = fut__deadline_after(timeout_ns);
    f->state = CONNECT_START;
    f->res = 0;
    /* Until the connect succeeds the stream is not open: its operations
     * answer -EBADF and closing it is harmless. */
    fut__sockstream_reset(&stream->io);
    return 0;
}
