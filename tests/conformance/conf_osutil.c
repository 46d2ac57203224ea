/* SPDX-License-Identifier: MIT */
/* Helpers shared by the suites: driving futures, reads and writes, fault injection. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conformance.h"
#include "internal.h"

/* Polls @child up to @n times (stopping early once it is READY), napping a
 * millisecond between polls so the runtime turns its reactor; the child
 * is left for the test to drop. */
struct drop_driver {
    struct fut_future base;
    int state;
    struct fut_future *child;
    int n, polls, ready;
    struct fut_sleep nap;
};

static enum fut_poll
drop_driver_poll(struct fut_future *f, struct fut_context *cx)
{
    struct drop_driver *d = (struct drop_driver *)f;

    FUT_ASYNC_BEGIN(&d->state);
    while (d->polls < d->n) {
        d->polls++;
        if (fut_future_poll(d->child, cx) == FUT_READY) {
            d->ready = 1;
            break;
        }
        ck_assert_int_eq(fut_sleep_init(&d->nap, FUT_NSEC_PER_MSEC), 0);
        FUT_AWAIT_FUTURE(&d->state, &d->nap.base, cx);
        fut_future_drop(&d->nap.base);
    }
    FUT_ASYNC_END(&d->state);
}

static void
drop_driver_drop(struct fut_future *f)
{
    fut_future_drop(&((struct drop_driver *)f)->nap.base);
}

static const struct fut_future_vtable drop_driver_vtable = {
    .poll = drop_driver_poll,
    .drop = drop_driver_drop,
    .result = NULL,
};

int
conf_drive(struct fut_future *child, int n)
{
    struct drop_driver d;

    memset(&d, 0, sizeof d);
    d.base.vtable = &drop_driver_vtable;
    d.child = child;
    d.n = n;
    ck_assert_int_eq(fut_block_on(&conf_rt, &d.base), 0);
    fut_future_drop(&d.base);
    return d.ready;
}

ssize_t
conf_read_some(struct fut_async_read *r, void *buf, size_t len)
{
    struct fut_read f;
    ssize_t res;

    ck_assert_int_eq(fut_read_init(&f, r, buf, len), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    res = f.res;
    fut_future_drop(&f.base);
    return res;
}

ssize_t
conf_read_to_end(struct fut_async_read *r, char *buf, size_t cap)
{
    size_t got = 0;
    ssize_t n;

    for (;;) {
        ck_assert_uint_lt(got, cap);
        n = conf_read_some(r, buf + got, cap - got);
        if (n < 0)
            return n;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got < cap ? got : cap - 1] = '\0';
    return (ssize_t)got;
}

int
conf_write_all(struct fut_async_write *w, const void *buf, size_t len)
{
    struct fut_write_all f;
    int res;

    ck_assert_int_eq(fut_write_all_init(&f, w, buf, len), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    res = f.res;
    fut_future_drop(&f.base);
    return res;
}

void
conf_no_children(void)
{
    struct timespec nap = { 0, 1000000 };
    int i, st;
    pid_t r;

    /* Reaper threads of dropped children finish when their child does;
     * the limit is a safety net, not the assertion. */
    for (i = 0; i < 30000 && fut__process_orphan_count() != 0; i++)
        nanosleep(&nap, NULL);
    ck_assert_uint_eq(fut__process_orphan_count(), 0);
    r = waitpid(-1, &st, WNOHANG);
    ck_assert_msg(r == -1 && errno == ECHILD,
                  "a child is left (waitpid(-1) = %d)", (int)r);
    ck_assert_uint_eq(fut__signal_listener_count(), 0);
}

struct fut_context
conf_noop_cx(void)
{
    struct fut_context cx = {fut_waker_noop(), &conf_rt};

    return cx;
}

void
conf_turn_until_woken(struct test_waker *tw, int wakes)
{
    int i;

    for (i = 0; i < 2000 && tw->wakes <= wakes; i++) {
        ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 0);
        usleep(1000);
    }
    ck_assert_int_gt(tw->wakes, wakes);
}

/* ---- fault injection ----------------------------------------------------- */

struct fut__syscalls conf_real_sys;
int conf_fault_hits;
static int fault_fd = -1;   /* the descriptor a fault applies to, -1: any */
static int fault_errno;
static int fault_left;      /* faults still to inject */

void
conf_sys_setup(void)
{
    conf_setup();
    fut__sys_reset();
    conf_real_sys = fut__sys;
    conf_fault_set(-1, 0, 0);
}

void
conf_sys_teardown(void)
{
    /* The real syscalls again before the runtime closes. */
    fut__sys_reset();
    conf_teardown();
}

void
conf_fault_set(int fd, int err, int count)
{
    fault_fd = fd;
    fault_errno = err;
    fault_left = count;
    conf_fault_hits = 0;
}

int
conf_fault_now(int fd)
{
    if (fault_left > 0 && (fault_fd < 0 || fd == fault_fd)) {
        fault_left--;
        conf_fault_hits++;
        errno = fault_errno;
        return 1;
    }
    return 0;
}

int
conf_fault_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    return conf_fault_now(fd) ? -1
                              : conf_real_sys.accept4(fd, addr, len, flags);
}

ssize_t
conf_fault_read(int fd, void *buf, size_t len)
{
    return conf_fault_now(fd) ? -1 : conf_real_sys.read(fd, buf, len);
}

ssize_t
conf_fault_send(int fd, const void *buf, size_t len, int flags)
{
    return conf_fault_now(fd) ? -1 : conf_real_sys.send(fd, buf, len, flags);
}

int
conf_fault_socket(int domain, int type, int protocol)
{
    return conf_fault_now(-1) ? -1
                              : conf_real_sys.socket(domain, type, protocol);
}

int
conf_fault_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    return conf_fault_now(fd) ? -1 : conf_real_sys.connect(fd, addr, len);
}

int
conf_fault_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    return conf_fault_now(-1) ? -1
                              : conf_real_sys.openat(dirfd, path, flags, mode);
}

int
conf_fault_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    return conf_fault_now(fd) ? -1 : conf_real_sys.bind(fd, addr, len);
}

ssize_t
conf_fault_sendto(int fd, const void *buf, size_t len, int flags,
                  const struct sockaddr *addr, socklen_t alen)
{
    return conf_fault_now(fd) ? -1
                              : conf_real_sys.sendto(fd, buf, len, flags,
                                                     addr, alen);
}

ssize_t
conf_fault_recvfrom(int fd, void *buf, size_t len, int flags,
                    struct sockaddr *addr, socklen_t *alen)
{
    return conf_fault_now(fd) ? -1
                              : conf_real_sys.recvfrom(fd, buf, len, flags,
                                                       addr, alen);
}

ssize_t
conf_fault_recvmsg(int fd, struct msghdr *msg, int flags)
{
    return conf_fault_now(fd) ? -1 : conf_real_sys.recvmsg(fd, msg, flags);
}

/* Polls the child; READY once it is, or once a fault was injected and the
 * child went back to waiting. */
struct fault_probe {
    struct fut_future base;
    struct fut_future *child;
    int res;
};

static enum fut_poll
fault_probe_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fault_probe *p = (struct fault_probe *)f;

    if (fut_future_poll(p->child, cx) == FUT_READY) {
        p->res = fut_future_result(p->child);
        return FUT_READY;
    }
    if (conf_fault_hits == 0)
        return FUT_PENDING;     /* not even tried yet: wait for readiness */
    p->res = 1;
    return FUT_READY;
}

static void
fault_probe_drop(struct fut_future *f)
{
    FUT__UNUSED(f);
}

static const struct fut_future_vtable fault_probe_vtable = {
    .poll = fault_probe_poll,
    .drop = fault_probe_drop,
    .result = NULL,
};

int
conf_fault_probe(struct fut_future *child)
{
    struct fault_probe p;

    memset(&p, 0, sizeof p);
    p.base.vtable = &fault_probe_vtable;
    p.child = child;
    ck_assert_int_eq(fut_block_on(&conf_rt, &p.base), 0);
    fut_future_drop(&p.base);
    return p.res;
}
