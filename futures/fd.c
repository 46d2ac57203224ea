/* SPDX-License-Identifier: MIT */
/* Adopted descriptors (fd.h): pipes, FIFOs, terminals, sockets. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * The private word: the adoption mode, whether the descriptor is a socket
 * (written with send(2) and MSG_NOSIGNAL) or not (written with SIGPIPE
 * blocked around the write), the O_NONBLOCK it had before adoption, and
 * whether poll_close already closed an owned pipe end.
 */
#define FD_OWN 0x01u
#define FD_BORROW 0x02u
#define FD_SOCKET 0x04u
#define FD_WAS_NONBLOCK 0x08u
#define FD_SHUT 0x10u

static struct fut_fd *
reader_fd(struct fut_async_read *r)
{
    return FUT_CONTAINER_OF(r, struct fut_fd, reader);
}

static struct fut_fd *
writer_fd(struct fut_async_write *w)
{
    return FUT_CONTAINER_OF(w, struct fut_fd, writer);
}

/* Readiness, then one unit of coop budget (as tcp.c's stream_ready()). */
static enum fut_poll
fd_ready(struct fut_fd *f, struct fut_context *cx, unsigned int dir, int *err)
{
    if (f->io.fd < 0) {
        *err = -EBADF;
        return FUT_READY;
    }
    if (fut_io_poll_ready(&f->io, cx, dir, err) == FUT_PENDING)
        return FUT_PENDING;
    if (*err != 0)
        return FUT_READY;
    if (!fut_coop_proceed(cx))
        return FUT_PENDING;
    return FUT_READY;
}

/* READY with *res, or PENDING meaning "go round again" (EAGAIN after the
 * readiness was cleared, or EINTR). */
static enum fut_poll
fd_result(struct fut_fd *f, unsigned int dir, ssize_t n, int err,
          ssize_t *res)
{
    if (n >= 0) {
        *res = n;
        return FUT_READY;
    }
    if (err == EAGAIN || err == EWOULDBLOCK) {
        fut_io_clear_ready(&f->io, dir);
        return FUT_PENDING;
    }
    if (err == EINTR)
        return FUT_PENDING;
    *res = err > 0 ? -err : -EIO;
    return FUT_READY;
}

/*
 * write(2) or writev(2) on a descriptor that is not a socket, so MSG_NOSIGNAL
 * is not available: SIGPIPE is blocked in this thread for the call, and if
 * the write failed with EPIPE, the SIGPIPE it raised (directed at this
 * thread, so pending here) is taken with a zero-timeout sigtimedwait(2)
 * before the mask is put back. A thread that already blocked SIGPIPE is
 * left alone: whatever is pending is the program's. Returns as the syscall
 * does, with its errno in *@err.
 */
static ssize_t
write_nosigpipe(int fd, const struct iovec *iov, int iovcnt, int *err)
{
    static const struct timespec zero = { 0, 0 };
    sigset_t pipe_set, old;
    ssize_t n;
    int masked;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    masked = pthread_sigmask(SIG_BLOCK, &pipe_set, &old) == 0 &&
             !sigismember(&old, SIGPIPE);
    if (iovcnt == 1)
        n = fut__sys.write(fd, iov[0].iov_base, iov[0].iov_len);
    else
        n = fut__sys.writev(fd, iov, iovcnt);
    *err = n < 0 ? errno : 0;
    if (masked) {
        if (n < 0 && *err == EPIPE) {
            while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
                   errno == EINTR)
                ;
        }
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    return n;
}

static enum fut_poll
fd_poll_readv_common(struct fut_fd *f, struct fut_context *cx,
                     const struct iovec *iov, int iovcnt, ssize_t *res)
{
    ssize_t n;
    int err;

    for (;;) {
        if (fd_ready(f, cx, FUT_IO_READABLE, &err) == FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        if (iovcnt == 1)
            n = fut__sys.read(f->io.fd, iov[0].iov_base, iov[0].iov_len);
        else
            n = fut__sys.readv(f->io.fd, iov, iovcnt);
        if (fd_result(f, FUT_IO_READABLE, n, n < 0 ? errno : 0, res) ==
            FUT_READY)
            return FUT_READY;
    }
}

static enum fut_poll
fd_poll_read(struct fut_async_read *self, struct fut_context *cx, void *buf,
             size_t len, ssize_t *res)
{
    struct iovec iov;

    iov.iov_base = buf;
    iov.iov_len = len;
    return fd_poll_readv_common(reader_fd(self), cx, &iov, 1, res);
}

static enum fut_poll
fd_poll_readv(struct fut_async_read *self, struct fut_context *cx,
              const struct iovec *iov, int iovcnt, ssize_t *res)
{
    return fd_poll_readv_common(reader_fd(self), cx, iov, iovcnt, res);
}

static enum fut_poll
fd_poll_writev_common(struct fut_fd *f, struct fut_context *cx,
                      const struct iovec *iov, int iovcnt, ssize_t *res)
{
    struct msghdr msg;
    ssize_t n;
    int err;

    for (;;) {
        if (fd_ready(f, cx, FUT_IO_WRITABLE, &err) == FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        if (f->priv & FD_SOCKET) {
            if (iovcnt == 1) {
                n = fut__sys.send(f->io.fd, iov[0].iov_base, iov[0].iov_len,
                                  FUT__OS_SEND_FLAGS);
            } else {
                memset(&msg, 0, sizeof msg);
                msg.msg_iov = (struct iovec *)iov;
                msg.msg_iovlen = (size_t)iovcnt;
                n = fut__sys.sendmsg(f->io.fd, &msg, FUT__OS_SEND_FLAGS);
            }
            err = n < 0 ? errno : 0;
        } else {
            n = write_nosigpipe(f->io.fd, iov, iovcnt, &err);
        }
        if (fd_result(f, FUT_IO_WRITABLE, n, err, res) == FUT_READY)
            return FUT_READY;
    }
}

static enum fut_poll
fd_poll_write(struct fut_async_write *self, struct fut_context *cx,
              const void *buf, size_t len, ssize_t *res)
{
    struct iovec iov;

    iov.iov_base = (void *)buf;
    iov.iov_len = len;
    return fd_poll_writev_common(writer_fd(self), cx, &iov, 1, res);
}

static enum fut_poll
fd_poll_writev(struct fut_async_write *self, struct fut_context *cx,
               const struct iovec *iov, int iovcnt, ssize_t *res)
{
    return fd_poll_writev_common(writer_fd(self), cx, iov, iovcnt, res);
}

static enum fut_poll
fd_poll_flush(struct fut_async_write *self, struct fut_context *cx,
              ssize_t *res)
{
    *res = writer_fd(self)->io.fd < 0 ? -EBADF : 0;
    return FUT_READY;
}

/* Put O_NONBLOCK back as it was, deregister, and forget the descriptor;
 * returns it. */
static int
fd_detach(struct fut_fd *f)
{
    int fd = f->io.fd;

    (void)fut_io_close(&f->io);
    if (!(f->priv & FD_WAS_NONBLOCK))
        (void)fut__os_set_nonblock(fd, 0, NULL);
    f->io.fd = -1;
    return fd;
}

static enum fut_poll
fd_poll_close(struct fut_async_write *self, struct fut_context *cx,
              ssize_t *res)
{
    struct fut_fd *f = writer_fd(self);

    if (f->io.fd < 0) {
        *res = -EBADF;
    } else if (f->priv & FD_SOCKET) {
        *res = shutdown(f->io.fd, SHUT_WR) < 0 ? fut__os_err() : 0;
    } else if (f->priv & FD_OWN) {
        /* A pipe's reader sees end of file only once every write end is
         * closed: closing ours is the shutdown. */
        fut__os_close(fd_detach(f));
        f->priv |= FD_SHUT;
        *res = 0;
    } else {
        *res = 0;
    }
    return FUT_READY;
}

/* The numbered registrations, as tcp.c's streams: the waker is stored only
 * through fut_io_poll_ready(), so the slot holds this poll's or none. */
static void
fd_forget_read(struct fut_async_read *self, const struct fut_waker *w)
{
    fut_io_forget(&reader_fd(self)->io, FUT_IO_READABLE, w);
}

static void
fd_forget_write(struct fut_async_write *self, const struct fut_waker *w)
{
    fut_io_forget(&writer_fd(self)->io, FUT_IO_WRITABLE, w);
}

static void
fd_note_read(struct fut_async_read *self, struct fut_reg *reg)
{
    struct fut_io *io = &reader_fd(self)->io;

    reg->id = io->read_waker.vtable != NULL ? io->read_id : 0;
}

static void
fd_forget_read_reg(struct fut_async_read *self, const struct fut_reg *reg)
{
    fut_io_forget_reg(&reader_fd(self)->io, FUT_IO_READABLE, reg);
}

static void
fd_note_write(struct fut_async_write *self, struct fut_reg *reg)
{
    struct fut_io *io = &writer_fd(self)->io;

    reg->id = io->write_waker.vtable != NULL ? io->write_id : 0;
}

static void
fd_forget_write_reg(struct fut_async_write *self, const struct fut_reg *reg)
{
    fut_io_forget_reg(&writer_fd(self)->io, FUT_IO_WRITABLE, reg);
}

static const struct fut_async_read_vtable fd_read_vtable = {
    .version = 3,
    .poll_read = fd_poll_read,
    .poll_readv = fd_poll_readv,
    .forget_read = fd_forget_read,
    .note_read = fd_note_read,
    .forget_read_reg = fd_forget_read_reg,
};

static const struct fut_async_write_vtable fd_write_vtable = {
    .version = 3,
    .poll_write = fd_poll_write,
    .poll_writev = fd_poll_writev,
    .poll_flush = fd_poll_flush,
    .poll_close = fd_poll_close,
    .forget_write = fd_forget_write,
    .note_write = fd_note_write,
    .forget_write_reg = fd_forget_write_reg,
};

/* A closed object: every operation answers -EBADF. */
static void
fd_reset(struct fut_fd *f)
{
    memset(f, 0, sizeof *f);
    f->reader.vtable = &fd_read_vtable;
    f->writer.vtable = &fd_write_vtable;
    (void)fut_io_init(&f->io, 0);
    f->io.fd = -1;
}

int
fut_fd_init(struct fut_fd *f, int fd, unsigned int flags)
{
    struct stat st;
    int was, err;

    if (f == NULL)
        return -EINVAL;
    fd_reset(f);
    if (fd < 0 || (flags != FUT_FD_OWN && flags != FUT_FD_BORROW))
        return -EINVAL;
    if (fut__sys.fstat(fd, &st) < 0)
        return fut__os_err();
    /* A regular file is always "ready" (epoll refuses it with EPERM):
     * polling it would spin or fail. Its I/O belongs on the blocking
     * pool, which is what the file API does. */
    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
        return -ENOTSUP;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    err = fut__os_set_nonblock(fd, 1, &was);
    if (err != 0)
        return err;
    err = fut_io_init(&f->io, fd);
    if (err != 0) {
        if (!was)
            (void)fut__os_set_nonblock(fd, 0, NULL);
        fd_reset(f);
        return err;
    }
    f->priv = flags == FUT_FD_OWN ? FD_OWN : FD_BORROW;
    if (S_ISSOCK(st.st_mode))
        f->priv |= FD_SOCKET;
    if (was)
        f->priv |= FD_WAS_NONBLOCK;
    return 0;
}

int
fut_fd_pipe(struct fut_fd *r, struct fut_fd *w)
{
    int fds[2], err;

    if (r == NULL || w == NULL || r == w)
        return -EINVAL;
    fd_reset(r);
    fd_reset(w);
    err = fut__os_pipe(fds, 1);
    if (err != 0)
        return err;
    err = fut_fd_init(r, fds[0], FUT_FD_OWN);
    if (err == 0)
        err = fut_fd_init(w, fds[1], FUT_FD_OWN);
    if (err != 0) {
        fd_reset(r);
        fd_reset(w);
        fut__os_close(fds[0]);
        fut__os_close(fds[1]);
        return err;
    }
    /* Created nonblocking: nothing to put back at close. */
    r->priv |= FD_WAS_NONBLOCK;
    w->priv |= FD_WAS_NONBLOCK;
    return 0;
}

int
fut_fd_close(struct fut_fd *f)
{
    int fd;

    if (f == NULL)
        return -EINVAL;
    if (f->io.fd < 0) {
        if (f->priv & FD_SHUT) {
            /* poll_close closed it already: this close has nothing left. */
            f->priv = 0;
            return 0;
        }
        return -EBADF;
    }
    fd = fd_detach(f);
    if (f->priv & FD_OWN)
        fut__os_close(fd);
    f->priv = 0;
    return 0;
}

int
fut_fd_release(struct fut_fd *f)
{
    int fd;

    if (f == NULL)
        return -EINVAL;
    if (f->io.fd < 0)
        return -EBADF;
    fd = fd_detach(f);
    f->priv = 0;
    return fd;
}
