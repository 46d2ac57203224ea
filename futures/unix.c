/* SPDX-License-Identifier: MIT */
/* Unix domain sockets over the reactor (unix.h): streams, listeners, datagrams, pairs. */
#include "internal.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/*
 * Streams and listeners are the stream core's (sockstream.c), as TCP's
 * are: the same traits over a struct fut_io, with send(2)/sendmsg(2) and
 * MSG_NOSIGNAL so a vanished peer is -EPIPE, not SIGPIPE, and the same
 * accept loop with its spare descriptor. Datagram sockets use the
 * datagram core of udp.c (fut__dgram_*), so truncation, zero-length
 * datagrams and the futures behave exactly as for UDP.
 *
 * Names are checked before anything is opened: a path that does not fit
 * sun_path is -ENAMETOOLONG, never cut (a cut name would bind or reach a
 * different file).
 */

enum dgram_state {
    DGRAM_CAN_RECV = 1u << 0 /* bound, or one of a pair */
};

/* ---- names ---------------------------------------------------------------- */

int
fut_unix_sockaddr(const char *name, size_t len, struct sockaddr_un *sun,
                  socklen_t *sunlen)
{
    if (name == NULL || sun == NULL || sunlen == NULL)
        return -EINVAL;
    if (len == 0)
        len = strlen(name);
    if (len == 0)
        return -EINVAL;
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    if (name[0] == '\0') {
#ifdef __linux__
        /* The abstract namespace: the length says where the name ends. */
        if (len > sizeof sun->sun_path)
            return -ENAMETOOLONG;
        memcpy(sun->sun_path, name, len);
        *sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
        return 0;
#else
        return -ENOTSUP;
#endif
    }
    if (memchr(name, '\0', len) != NULL)
        return -EINVAL;
    if (len >= sizeof sun->sun_path)
        return -ENAMETOOLONG;
    memcpy(sun->sun_path, name, len);
    *sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    return 0;
}

ssize_t
fut_unix_sockaddr_name(const struct sockaddr *sa, socklen_t len,
                       const char **name)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
    size_t n;

    if (sa == NULL || name == NULL)
        return -EINVAL;
    *name = NULL;
    if (len < (socklen_t)sizeof(sa_family_t))
        return len == 0 ? 0 : -EINVAL;
    if (sa->sa_family != AF_UNIX ||
        len > (socklen_t)sizeof(struct sockaddr_un))
        return -EINVAL;
    *name = sun->sun_path;
    if (len <= (socklen_t)offsetof(struct sockaddr_un, sun_path))
        return 0;
    n = (size_t)len - offsetof(struct sockaddr_un, sun_path);
    if (sun->sun_path[0] != '\0') {
        /* A path: the kernel may count its NUL, or not. */
        const char *end = memchr(sun->sun_path, '\0', n);

        if (end != NULL)
            n = (size_t)(end - sun->sun_path);
    }
    return (ssize_t)n;
}

/*
 * FUT_UNIX_UNLINK_STALE: remove the socket file at @sun only if nobody is
 * listening there, which a connect tells (ECONNREFUSED); a file that is
 * not a socket, or a live socket, stays, and bind then says EADDRINUSE.
 */
static void
unlink_stale(const struct sockaddr_un *sun, socklen_t len, int type)
{
    struct stat st;
    int fd, r;

    if (sun->sun_path[0] == '\0')
        return;
    if (fut__sys.lstat(sun->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
        return;
    fd = fut__os_socket(AF_UNIX, type, 0);
    if (fd < 0)
        return;
    r = fut__sys.connect(fd, (const struct sockaddr *)sun, len);
    if (r < 0 && errno == ECONNREFUSED)
        (void)fut__sys.unlink(sun->sun_path);
    fut__os_close(fd);
}

/* socket + (unlink_stale) + bind of a checked name; returns fd or -errno. */
static int
bind_name(int type, const char *name, size_t len, unsigned int flags)
{
    struct sockaddr_un sun;
    socklen_t sunlen;
    int fd, err;

    if ((flags & ~(unsigned int)FUT_UNIX_UNLINK_STALE) != 0)
        return -EINVAL;
    err = fut_unix_sockaddr(name, len, &sun, &sunlen);
    if (err != 0)
        return err;
    if (flags & FUT_UNIX_UNLINK_STALE)
        unlink_stale(&sun, sunlen, type);
    fd = fut__os_socket(AF_UNIX, type, 0);
    if (fd < 0)
        return fd;
    if (fut__sys.bind(fd, (const struct sockaddr *)&sun, sunlen) < 0) {
        err = fut__os_err();
        fut__os_close(fd);
        return err;
    }
    return fd;
}

/* ---- stream -------------------------------------------------------------- */

int
fut_unix_stream_init(struct fut_unix_stream *s)
{
    if (s == NULL)
        return -EINVAL;
    fut__sockstream_reset(&s->io);
    return 0;
}

int
fut_unix_stream_pair(struct fut_unix_stream *a, struct fut_unix_stream *b)
{
    int sv[2], err;

    if (a == NULL || b == NULL || a == b)
        return -EINVAL;
    fut__sockstream_reset(&a->io);
    fut__sockstream_reset(&b->io);
    err = fut__os_socketpair(AF_UNIX, SOCK_STREAM, 0, sv, 1);
    if (err != 0)
        return err;
    (void)fut__sockstream_open(&a->io, sv[0]);
    (void)fut__sockstream_open(&b->io, sv[1]);
    return 0;
}

int
fut_unix_stream_peer_cred(const struct fut_unix_stream *s,
                          struct fut_unix_cred *cred)
{
    if (s == NULL || cred == NULL)
        return -EINVAL;
    cred->pid = cred->uid = cred->gid = -1;
    if (s->io.fd < 0)
        return -EBADF;
    return fut__os_peer_cred(s->io.fd, &cred->pid, &cred->uid, &cred->gid);
}

int
fut_unix_stream_local_addr(const struct fut_unix_stream *s,
                           struct sockaddr_storage *ss, socklen_t *len)
{
    return fut__sock_addr(s != NULL ? &s->io : NULL, ss, len, 0);
}

int
fut_unix_stream_peer_addr(const struct fut_unix_stream *s,
                          struct sockaddr_storage *ss, socklen_t *len)
{
    return fut__sock_addr(s != NULL ? &s->io : NULL, ss, len, 1);
}

int
fut_unix_stream_shutdown(struct fut_unix_stream *s, int how)
{
    return fut__sock_shutdown(s != NULL ? &s->io : NULL, how);
}

/* Readiness, then a syscall that never waits: the stream core's. */
enum fut_poll
fut_unix_stream_poll_read_ready(struct fut_unix_stream *s,
                                struct fut_context *cx, int *res)
{
    return fut__stream_poll_ready(s != NULL ? &s->io : NULL, cx,
                                  FUT_IO_READABLE, res);
}

enum fut_poll
fut_unix_stream_poll_write_ready(struct fut_unix_stream *s,
                                 struct fut_context *cx, int *res)
{
    return fut__stream_poll_ready(s != NULL ? &s->io : NULL, cx,
                                  FUT_IO_WRITABLE, res);
}

ssize_t
fut_unix_stream_try_read(struct fut_unix_stream *s, void *buf, size_t len)
{
    return fut__stream_try_io(s != NULL ? &s->io : NULL, FUT__STREAM_READ,
                              buf, len);
}

ssize_t
fut_unix_stream_try_write(struct fut_unix_stream *s, const void *buf,
                          size_t len)
{
    return fut__stream_try_io(s != NULL ? &s->io : NULL, FUT__STREAM_SEND,
                              (void *)buf, len);
}

int
fut_unix_stream_close(struct fut_unix_stream *s)
{
    return fut__sock_close(s != NULL ? &s->io : NULL);
}

/* ---- listener ------------------------------------------------------------- */

int
fut_unix_listener_bind(struct fut_unix_listener *l, const char *name,
                       size_t len, int backlog, unsigned int flags)
{
    int fd, err;

    if (l == NULL)
        return -EINVAL;
    memset(l, 0, sizeof *l);
    l->io.fd = -1;
    l->spare = -1;
    fd = bind_name(SOCK_STREAM, name, len, flags);
    if (fd < 0)
        return fd;
    if (fut__sys.listen(fd, backlog <= 0 ? SOMAXCONN : backlog) < 0) {
        err = fut__os_err();
        fut__os_close(fd);
        return err;
    }
    (void)fut_io_init(&l->io, fd);
    /* As for TCP: without a spare the listener still works, and reports
     * EMFILE as accept(2) does. */
    l->spare = fut__listener_spare();
    return 0;
}

int
fut_unix_listener_local_addr(const struct fut_unix_listener *l,
                             struct sockaddr_storage *ss, socklen_t *len)
{
    return fut__sock_addr(l != NULL ? &l->io : NULL, ss, len, 0);
}

int
fut_unix_listener_close(struct fut_unix_listener *l)
{
    if (l == NULL)
        return -EINVAL;
    return fut__listener_close(&l->io, &l->spare);
}

enum fut_poll
fut_unix_listener_poll_accept(struct fut_unix_listener *l,
                              struct fut_context *cx,
                              struct fut_unix_stream *out, int *res)
{
    return fut__listener_poll_accept(l != NULL ? &l->io : NULL,
                                     l != NULL ? &l->spare : NULL, cx,
                                     out != NULL ? &out->io : NULL, res);
}

/* The accept future: the stream core's (fut__accept_poll()). */
static enum fut_poll
accept_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_unix_accept *a = (struct fut_unix_accept *)f;

    return fut__accept_poll(&a->listener->io, &a->listener->spare, cx,
                            &a->out->io, &a->res, &a->reg);
}

static void
accept_drop(struct fut_future *f)
{
    struct fut_unix_accept *a = (struct fut_unix_accept *)f;

    fut__accept_forget(&a->listener->io, &a->reg);
}

static int
accept_result(const struct fut_future *f)
{
    const struct fut_unix_accept *a = (const struct fut_unix_accept *)f;

    return a->res == FUT__ACCEPT_PENDING ? 0 : a->res;
}

static const struct fut_future_vtable accept_vtable = {
    .poll = accept_poll,
    .drop = accept_drop,
    .result = accept_result,
};

int
fut_unix_accept_init(struct fut_unix_accept *f, struct fut_unix_listener *l,
                     struct fut_unix_stream *out)
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

/* ---- connect -------------------------------------------------------------- */

enum connect_state {
    CONNECT_START = 0,
    CONNECT_TRY,        /* socket made; connect(2) to be (re)tried */
    CONNECT_BACKOFF,    /* the backlog was full: the retry timer runs */
    CONNECT_INPROGRESS, /* a kernel that queues: wait for writable */
    CONNECT_DONE
};

#define CONNECT_BACKOFF_FIRST_NS (1 * FUT_NSEC_PER_MSEC)
#define CONNECT_BACKOFF_MAX_NS (100 * FUT_NSEC_PER_MSEC)

static enum fut_poll
connect_finish(struct fut_unix_connect *f, int res)
{
    fut_future_drop(&f->sleep.base);
    if (res != 0)
        (void)fut_unix_stream_close(f->stream);
    f->res = res;
    f->state = CONNECT_DONE;
    return FUT_READY;
}

static enum fut_poll
connect_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_unix_connect *f = (struct fut_unix_connect *)base;
    int64_t now, until;
    int fd, err, soerr;
    socklen_t elen;

    for (;;) {
        switch (f->state) {
        case CONNECT_DONE:
            return FUT_READY;
        case CONNECT_START:
            if (cx->rt == NULL)
                return connect_finish(f, -EINVAL);
            fd = fut__os_socket(AF_UNIX, SOCK_STREAM, 0);
            if (fd < 0)
                return connect_finish(f, fd);
            err = fut__sockstream_open(&f->stream->io, fd);
            if (err != 0) {
                fut__os_close(fd);
                return connect_finish(f, err);
            }
            f->backoff_ns = CONNECT_BACKOFF_FIRST_NS;
            f->state = CONNECT_TRY;
            break;
        case CONNECT_TRY:
            if (fut__sys.connect(f->stream->io.fd,
                                 (const struct sockaddr *)&f->addr,
                                 f->addrlen) == 0)
                return connect_finish(f, 0);
            if (errno == EINTR)
                break;
            if (errno == EINPROGRESS) {
                f->state = CONNECT_INPROGRESS;
                break;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return connect_finish(f, fut__os_err());
            /* Linux: the backlog is full and a nonblocking Unix connect is
             * not queued; nothing becomes ready when room appears, so the
             * retry runs on a timer. */
            now = fut_now_ns();
            if (f->deadline_ns >= 0 && now >= f->deadline_ns)
                return connect_finish(f, -ETIMEDOUT);
            until = now + f->backoff_ns;
            if (f->deadline_ns >= 0 && until > f->deadline_ns)
                until = f->deadline_ns;
            (void)fut_sleep_until_init(&f->sleep, until);
            f->backoff_ns = f->backoff_ns * 2 > CONNECT_BACKOFF_MAX_NS
                                ? CONNECT_BACKOFF_MAX_NS
                                : f->backoff_ns * 2;
            f->state = CONNECT_BACKOFF;
            break;
        case CONNECT_BACKOFF:
            if (fut_future_poll(&f->sleep.base, cx) == FUT_PENDING)
                return FUT_PENDING;
            if (f->sleep.res != 0)
                return connect_finish(f, f->sleep.res);
            fut_future_drop(&f->sleep.base);
            f->state = CONNECT_TRY;
            break;
        case CONNECT_INPROGRESS:
            if (fut_io_poll_ready(&f->stream->io, cx, FUT_IO_WRITABLE,
                                  &err) == FUT_PENDING)
                return FUT_PENDING;
            if (err != 0)
                return connect_finish(f, err);
            soerr = 0;
            elen = sizeof soerr;
            if (fut__sys.getsockopt(f->stream->io.fd, SOL_SOCKET, SO_ERROR,
                                    &soerr, &elen) < 0)
                return connect_finish(f, fut__os_err());
            return connect_finish(f, -soerr);
        default:
            return connect_finish(f, -EINVAL);
        }
    }
}

static void
connect_drop(struct fut_future *base)
{
    struct fut_unix_connect *f = (struct fut_unix_connect *)base;

    /* Pending: the half-made socket goes (closing it drops its waker). */
    if (f->state != CONNECT_START && f->state != CONNECT_DONE)
        (void)fut_unix_stream_close(f->stream);
    fut_future_drop(&f->sleep.base);
}

static int
connect_result(const struct fut_future *base)
{
    const struct fut_unix_connect *f = (const struct fut_unix_connect *)base;

    return f->state == CONNECT_DONE ? f->res : 0;
}

static const struct fut_future_vtable connect_vtable = {
    .poll = connect_poll,
    .drop = connect_drop,
    .result = connect_result,
};

int
fut_unix_connect_init(struct fut_unix_connect *f,
                      struct fut_unix_stream *stream, const char *name,
                      size_t len, int64_t timeout_ns)
{
    struct sockaddr_un sun;
    socklen_t sunlen;
    int err;

    if (f == NULL || stream == NULL)
        return -EINVAL;
    err = fut_unix_sockaddr(name, len, &sun, &sunlen);
    if (err != 0)
        return err;
    if (fut__sockstream_is_open(&stream->io))
        return -EISCONN;
    memset(f, 0, sizeof *f);
    f->base.vtable = &connect_vtable;
    f->stream = stream;
    f->addr = sun;
    f->addrlen = sunlen;
    f->deadline_ns = fut__deadline_after(timeout_ns);
    f->state = CONNECT_START;
    fut__sockstream_reset(&stream->io);
    return 0;
}

/* ---- datagram sockets ----------------------------------------------------- */

static void
dgram_reset(struct fut_unix_dgram *d)
{
    memset(d, 0, sizeof *d);
    d->io.fd = -1;
}

int
fut_unix_dgram_init(struct fut_unix_dgram *d)
{
    if (d == NULL)
        return -EINVAL;
    dgram_reset(d);
    return 0;
}

int
fut_unix_dgram_open(struct fut_unix_dgram *d)
{
    int fd;

    if (d == NULL)
        return -EINVAL;
    dgram_reset(d);
    fd = fut__os_socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0)
        return fd;
    return fut_io_init(&d->io, fd);
}

int
fut_unix_dgram_bind(struct fut_unix_dgram *d, const char *name, size_t len,
                    unsigned int flags)
{
    int fd;

    if (d == NULL)
        return -EINVAL;
    dgram_reset(d);
    fd = bind_name(SOCK_DGRAM, name, len, flags);
    if (fd < 0)
        return fd;
    d->state = DGRAM_CAN_RECV;
    return fut_io_init(&d->io, fd);
}

int
fut_unix_dgram_pair(struct fut_unix_dgram *a, struct fut_unix_dgram *b)
{
    int sv[2], err;

    if (a == NULL || b == NULL || a == b)
        return -EINVAL;
    dgram_reset(a);
    dgram_reset(b);
    err = fut__os_socketpair(AF_UNIX, SOCK_DGRAM, 0, sv, 1);
    if (err != 0)
        return err;
    (void)fut_io_init(&a->io, sv[0]);
    (void)fut_io_init(&b->io, sv[1]);
    a->state = b->state = DGRAM_CAN_RECV;
    return 0;
}

int
fut_unix_dgram_connect(struct fut_unix_dgram *d, const char *name, size_t len)
{
    struct sockaddr_un sun;
    socklen_t sunlen;
    int err;

    if (d == NULL)
        return -EINVAL;
    err = fut_unix_sockaddr(name, len, &sun, &sunlen);
    if (err != 0)
        return err;
    if (d->io.fd < 0)
        return -EBADF;
    if (fut__sys.connect(d->io.fd, (const struct sockaddr *)&sun, sunlen) < 0)
        return fut__os_err();
    return 0;
}

int
fut_unix_dgram_local_addr(const struct fut_unix_dgram *d,
                          struct sockaddr_storage *ss, socklen_t *len)
{
    return fut__sock_addr(d != NULL ? &d->io : NULL, ss, len, 0);
}

enum fut_poll
fut_unix_dgram_poll_send_to(struct fut_unix_dgram *d, struct fut_context *cx,
                            const void *buf, size_t len, const char *name,
                            size_t namelen, ssize_t *res)
{
    struct sockaddr_un sun;
    socklen_t sunlen = 0;
    int err;

    if (res == NULL)
        return FUT_READY;
    if (d == NULL || cx == NULL || (buf == NULL && len > 0)) {
        *res = -EINVAL;
        return FUT_READY;
    }
    if (name != NULL) {
        err = fut_unix_sockaddr(name, namelen, &sun, &sunlen);
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
    }
    return fut__dgram_poll_send(&d->io, cx, buf, len,
                                name != NULL ? (struct sockaddr *)&sun : NULL,
                                sunlen, res);
}

enum fut_poll
fut_unix_dgram_poll_recv_from(struct fut_unix_dgram *d, struct fut_context *cx,
                              void *buf, size_t len,
                              struct fut_dgram_info *info, ssize_t *res)
{
    if (res == NULL)
        return FUT_READY;
    if (d == NULL || cx == NULL || (buf == NULL && len > 0)) {
        *res = -EINVAL;
        return FUT_READY;
    }
    if (d->io.fd >= 0 && !(d->state & DGRAM_CAN_RECV)) {
        *res = -ENOTCONN;
        return FUT_READY;
    }
    return fut__dgram_poll_recv(&d->io, cx, buf, len, info, res);
}

ssize_t
fut_unix_dgram_try_send_to(struct fut_unix_dgram *d, const void *buf,
                           size_t len, const char *name, size_t namelen)
{
    struct sockaddr_un sun;
    socklen_t sunlen = 0;
    int err;

    if (d == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    if (name != NULL) {
        err = fut_unix_sockaddr(name, namelen, &sun, &sunlen);
        if (err != 0)
            return err;
    }
    return fut__dgram_try_send(&d->io, buf, len,
                               name != NULL ? (struct sockaddr *)&sun : NULL,
                               sunlen);
}

ssize_t
fut_unix_dgram_try_recv_from(struct fut_unix_dgram *d, void *buf, size_t len,
                             struct fut_dgram_info *info)
{
    if (d == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    if (d->io.fd >= 0 && !(d->state & DGRAM_CAN_RECV))
        return -ENOTCONN;
    return fut__dgram_try_recv(&d->io, buf, len, info);
}

int
fut_unix_dgram_send_init(struct fut_dgram_send *f, struct fut_unix_dgram *d,
                         const void *buf, size_t len, const char *name,
                         size_t namelen)
{
    struct sockaddr_un sun;
    socklen_t sunlen = 0;
    int err;

    if (f == NULL || d == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    if (name != NULL) {
        err = fut_unix_sockaddr(name, namelen, &sun, &sunlen);
        if (err != 0)
            return err;
    }
    fut__dgram_send_setup(f, &d->io, buf, len,
                          name != NULL ? (struct sockaddr *)&sun : NULL,
                          sunlen);
    return 0;
}

int
fut_unix_dgram_recv_init(struct fut_dgram_recv *f, struct fut_unix_dgram *d,
                         void *buf, size_t len, struct fut_dgram_info *info)
{
    if (f == NULL || d == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    if (d->io.fd >= 0 && !(d->state & DGRAM_CAN_RECV))
        return -ENOTCONN;
    fut__dgram_recv_setup(f, &d->io, buf, len, info);
    return 0;
}

int
fut_unix_dgram_close(struct fut_unix_dgram *d)
{
    return fut__sock_close(d != NULL ? &d->io : NULL);
}
