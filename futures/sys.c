/* SPDX-License-Identifier: MIT */
/* The syscall table: one seam through which tests inject failures. */
#include "internal.h"

#include <unistd.h>

static ssize_t
sys_read(int fd, void *buf, size_t len)
{
    return read(fd, buf, len);
}

static ssize_t
sys_write(int fd, const void *buf, size_t len)
{
    return write(fd, buf, len);
}

static ssize_t
sys_readv(int fd, const struct iovec *iov, int iovcnt)
{
    return readv(fd, iov, iovcnt);
}

static ssize_t
sys_writev(int fd, const struct iovec *iov, int iovcnt)
{
    return writev(fd, iov, iovcnt);
}

static int
sys_socket(int domain, int type, int protocol)
{
    return socket(domain, type, protocol);
}

static int
sys_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    return accept4(fd, addr, len, flags);
}

static int
sys_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    return connect(fd, addr, len);
}

static int
sys_close(int fd)
{
    return close(fd);
}

static int
sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    return epoll_ctl(epfd, op, fd, ev);
}

static int
sys_epoll_wait(int epfd, struct epoll_event *ev, int max, int ms)
{
    return epoll_wait(epfd, ev, max, ms);
}

/* The real functions, as an initialiser for the live table and the reset. */
#define SYS_REAL                                                            \
    {                                                                       \
        .read = sys_read, .write = sys_write, .readv = sys_readv,           \
        .writev = sys_writev, .socket = sys_socket, .accept4 = sys_accept4, \
        .connect = sys_connect, .close = sys_close,                         \
        .epoll_ctl = sys_epoll_ctl, .epoll_wait = sys_epoll_wait,           \
    }

struct fut__syscalls fut__sys = SYS_REAL;

void
fut__sys_reset(void)
{
    static const struct fut__syscalls real = SYS_REAL;

    fut__sys = real;
}
