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
writer_fd(struct fut_async_write *w)
{
    return FUT_CONTAINER_OF(w, struct fut_fd, writer);
}

/*
 * write(2) or writev(2) on a descriptor that is not a socket, so MSG_NOSIGNAL
 * is not available: SIGPIPE is blocked in this thread for the call, and if
 * the write failed with EPIPE, the SIGPIPE it raised (directed at this
 * thread, so pending here) is taken with a zero-timeout sigtimedwait(2)
 * before the mask is put back. A thread that already blocked SIGPIPE is
 * left alone: whatever is pending is the program's. Returns as the syscall
 * does, with errno as the syscall left it.
 */
ssize_t
fut__fd_write_nosigpipe(int fd, const struct iovec *iov, int iovcnt)
{
    static const struct timespec zero = { 0, 0 };
    sigset_t pipe_set, old;
    ssize_t n;
    int masked, err;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    masked = pthread_sigmask(SIG_BLOCK, &pipe_set, &old) == 0 &&
             !sigismember(&old, SIGPIPE);
    if (iovcnt == 1)
        n = fut__sys.write(fd, iov[0].iov_base, iov[0].iov_len);
    else
        n = fut__sys.writev(fd, iov, iovcnt);
    err = errno;
    if (masked) {
        if (n < 0 && err == EPIPE) {
            while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
                   errno == EINTR)
                ;
        }
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    errno = err;
    return n;
}

/*
 * Reads and writes are the stream core's loop (fut__stream_poll_io()):
 * the readiness half, the result and the registration numbers are the
 * socket streams'. What differs: no short-read drain (a terminal returns a
 * line at a time, so a short read says nothing of what is left), read(2)
 * for one buffer, and for writes the descriptor's kind: send(2)/sendmsg(2)
 * with MSG_NOSIGNAL for a socket, fut__fd_write_nosigpipe() otherwise.
 */
static enum fut_poll
fd_poll_read(struct fut_async_read *self, struct fut_context *cx, void *buf,
             size_t len, ssize_t *res)
{
    struct iovec one = { buf, len };

    return fut__stream_poll_io(fut__stream_reader_io(self), cx,
                               FUT__STREAM_READ, &one, 1, 0, res);
}

static enum fut_poll
fd_poll_readv(struct fut_async_read *self, struct fut_context *cx,
              const struct iovec *iov, int iovcnt, ssize_t *res)
{
    return fut__stream_poll_io(fut__stream_reader_io(self), cx,
                               iovcnt == 1 ? FUT__STREAM_READ
                                           : FUT__STREAM_READV,
                               iov, iovcnt, 0, res);
}

static enum fut_poll
fd_poll_writev_common(struct fut_fd *f, struct fut_context *cx,
                      const struct iovec *iov, int iovcnt, ssize_t *res)
{
    enum fut__stream_call call = FUT__STREAM_WRITE;

    if (f->priv & FD_SOCKET)
        call = iovcnt == 1 ? FUT__STREAM_SEND : FUT__STREAM_SENDMSG;
    return fut__stream_poll_io(&f->io, cx, call, iov, iovcnt, 0, res);
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

/* Put O_NONBLOCK back as it was, deregister, and forget the descriptor;
 * returns it. */
static int
fd_detach(struct fut_fd *f)
{
    int fd = f->io.fd;

    /* A task still waiting on @f learns of it on its next poll (-EBADF):
     * wake it, rather than let fut_io_close() drop its waker silently
     * and leave it waiting for good. */
    fut_waker_take_wake(&f->io.read_waker);
    fut_waker_take_wake(&f->io.write_waker);
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
        *res = fut__sock_shutdown(&f->io, SHUT_WR);
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

/* Flush and the registration numbers are the socket streams'. */
static const struct fut_async_read_vtable fd_read_vtable = {
    .version = 3,
    .poll_read = fd_poll_read,
    .poll_readv = fd_poll_readv,
    .forget_read = fut__stream_forget_read,
    .note_read = fut__stream_note_read,
    .forget_read_reg = fut__stream_forget_read_reg,
};

static const struct fut_async_write_vtable fd_write_vtable = {
    .version = 3,
    .poll_write = fd_poll_write,
    .poll_writev = fd_poll_writev,
    .poll_flush = fut__stream_poll_flush,
    .poll_close = fd_poll_close,
    .forget_write = fut__stream_forget_write,
    .note_write = fut__stream_note_write,
    .forget_write_reg = fut__stream_forget_write_reg,
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
