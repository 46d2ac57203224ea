/* SPDX-License-Identifier: MIT */
/* The core's services for backends, as declared in futures/backend.h. */
#include "internal.h"

#include <errno.h>

/*
 * Backends are built as libraries of their own (libfutures-epoll.so...),
 * and the hidden fut__sys table does not cross a shared-library boundary.
 * These exported wrappers are how a backend reaches the one table that
 * lives in libfutures, so a test that swaps an entry (an injected EINTR in
 * epoll_wait) reaches the backend's calls as well as the core's.
 *
 * The table keeps the libc convention (-1 and errno) so that tests can
 * plug libc-like functions into it; the wrappers turn that into the
 * negative errno values of the public API.
 */

/* -errno for a failed call; a test double that forgot to set errno must
 * not make a failure look like success. */
static int
neg_errno(void)
{
    return errno > 0 ? -errno : -EIO;
}

ssize_t
fut_sys_read(int fd, void *buf, size_t len)
{
    ssize_t n = fut__sys.read(fd, buf, len);

    return n < 0 ? neg_errno() : n;
}

ssize_t
fut_sys_write(int fd, const void *buf, size_t len)
{
    ssize_t n = fut__sys.write(fd, buf, len);

    return n < 0 ? neg_errno() : n;
}

int
fut_sys_close(int fd)
{
    return fut__sys.close(fd) < 0 ? neg_errno() : 0;
}

int
fut_sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    return fut__sys.epoll_ctl(epfd, op, fd, ev) < 0 ? neg_errno() : 0;
}

int
fut_sys_epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout_ms)
{
    int n = fut__sys.epoll_wait(epfd, ev, max, timeout_ms);

    return n < 0 ? neg_errno() : n;
}
