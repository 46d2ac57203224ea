/* SPDX-License-Identifier: MIT */
/* Conformance: adopted descriptors (fd.h): pipes, FIFOs, terminals, sockets. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conformance.h"
#include "internal.h"

static struct fut__syscalls real_sys;

static void
fd_setup(void)
{
    conf_setup();
    fut__sys_reset();
    real_sys = fut__sys;
}

static void
fd_teardown(void)
{
    fut__sys_reset();
    conf_teardown();
}

static int
nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    ck_assert_int_ge(fl, 0);
    return (fl & O_NONBLOCK) != 0;
}

static int
is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

/* ---- data ---------------------------------------------------------------- */

START_TEST(test_fd_pipe_round_trip_and_eof)
{
    struct fut_fd r, w;
    char buf[64];

    ck_assert_int_eq(fut_fd_pipe(&r, &w), 0);
    ck_assert(nonblocking(r.io.fd) && nonblocking(w.io.fd));
    ck_assert_int_eq(conf_write_all(&w.writer, "hello", 5), 0);
    ck_assert_int_eq(conf_read_some(&r.reader, buf, sizeof buf), 5);
    ck_assert(memcmp(buf, "hello", 5) == 0);
    ck_assert_int_eq(conf_write_all(&w.writer, "bye", 3), 0);
    /* Closing the only write end is the reader's end of file. */
    ck_assert_int_eq(fut_fd_close(&w), 0);
    ck_assert_int_eq(conf_read_to_end(&r.reader, buf, sizeof buf), 3);
    ck_assert_str_eq(buf, "bye");
    ck_assert_int_eq(conf_read_some(&r.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(fut_fd_close(&r), 0);
}
END_TEST

/* A large transfer: the writer blocks on a full pipe and is woken. */
START_TEST(test_fd_pipe_large_transfer)
{
    enum { N = 1 << 20 };
    unsigned char *src = malloc(N), *dst = malloc(N);
    struct fut_fd r, w;
    struct fut_task_join j;
    struct fut_write_all f;
    struct fut_task *t;
    size_t got = 0;
    ssize_t n;
    size_t i;

    ck_assert_ptr_nonnull(src);
    ck_assert_ptr_nonnull(dst);
    for (i = 0; i < N; i++)
        src[i] = (unsigned char)(i * 7 + (i >> 9));
    ck_assert_int_eq(fut_fd_pipe(&r, &w), 0);
    ck_assert_int_eq(fut_write_all_init(&f, &w.writer, src, N), 0);
    ck_assert_int_eq(fut_spawn(&conf_rt, &f.base, sizeof f, &t), 0);
    while (got < N) {
        n = conf_read_some(&r.reader, dst + got, N - got);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
    }
    ck_assert_int_eq(fut_task_join_init(&j, t), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &j.base), 0);
    ck_assert_int_eq(fut_future_result(&j.base), 0);
    fut_future_drop(&j.base);
    fut_task_detach(t); /* releases the handle */
    ck_assert(memcmp(src, dst, N) == 0);
    ck_assert_int_eq(fut_fd_close(&w), 0);
    ck_assert_int_eq(fut_fd_close(&r), 0);
    free(src);
    free(dst);
}
END_TEST

/* readv / writev through a future that polls them. */
struct iov_op {
    struct fut_future base;
    struct fut_fd *f;
    const struct iovec *iov;
    int iovcnt, write;
    ssize_t res;
};

static enum fut_poll
iov_op_poll(struct fut_future *base, struct fut_context *cx)
{
    struct iov_op *op = (struct iov_op *)base;

    if (op->write)
        return fut_async_write_poll_writev(&op->f->writer, cx, op->iov,
                                           op->iovcnt, &op->res);
    return fut_async_read_poll_readv(&op->f->reader, cx, op->iov, op->iovcnt,
                                     &op->res);
}

static void
iov_op_drop(struct fut_future *base)
{
    /* Run to READY by block_on: no waker is left behind. */
}

static const struct fut_future_vtable iov_op_vtable = {
    .poll = iov_op_poll,
    .drop = iov_op_drop,
};

static ssize_t
iov_run(struct fut_fd *f, const struct iovec *iov, int iovcnt, int write)
{
    struct iov_op op = { { &iov_op_vtable }, f, iov, iovcnt, write, 0 };

    ck_assert_int_eq(fut_block_on(&conf_rt, &op.base), 0);
    fut_future_drop(&op.base);
    return op.res;
}

START_TEST(test_fd_readv_writev)
{
    struct fut_fd r, w;
    struct iovec iov[2];
    char a[3], b[8];

    ck_assert_int_eq(fut_fd_pipe(&r, &w), 0);
    iov[0].iov_base = "abc";
    iov[0].iov_len = 3;
    iov[1].iov_base = "defgh";
    iov[1].iov_len = 5;
    ck_assert_int_eq(iov_run(&w, iov, 2, 1), 8);
    iov[0].iov_base = a;
    iov[0].iov_len = sizeof a;
    iov[1].iov_base = b;
    iov[1].iov_len = sizeof b;
    ck_assert_int_eq(iov_run(&r, iov, 2, 0), 8);
    ck_assert(memcmp(a, "abc", 3) == 0);
    ck_assert(memcmp(b, "defgh", 5) == 0);
    ck_assert_int_eq(fut_fd_close(&w), 0);
    ck_assert_int_eq(fut_fd_close(&r), 0);
}
END_TEST

/* A reader that is gone: -EPIPE, and the process does not die. */
START_TEST(test_fd_write_epipe_no_sigpipe)
{
    struct fut_fd r, w;
    sigset_t pending;

    ck_assert_int_eq(fut_fd_pipe(&r, &w), 0);
    ck_assert_int_eq(fut_fd_close(&r), 0);
    ck_assert_int_eq(conf_write_all(&w.writer, "x", 1), -EPIPE);
    ck_assert_int_eq(conf_write_all(&w.writer, "y", 1), -EPIPE);
    /* No SIGPIPE is left pending either. */
    ck_assert_int_eq(sigpending(&pending), 0);
    ck_assert_int_eq(sigismember(&pending, SIGPIPE), 0);
    ck_assert_int_eq(fut_fd_close(&w), 0);
}
END_TEST

/* The same through a socket (send with MSG_NOSIGNAL). */
START_TEST(test_fd_socket_adopt_and_shutdown)
{
    struct fut_fd a, b;
    struct fut_shutdown sh;
    int sv[2];
    char buf[16];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    ck_assert_int_eq(fut_fd_init(&a, sv[0], FUT_FD_OWN), 0);
    ck_assert_int_eq(fut_fd_init(&b, sv[1], FUT_FD_OWN), 0);
    ck_assert_int_eq(conf_write_all(&a.writer, "ping", 4), 0);
    ck_assert_int_eq(conf_read_some(&b.reader, buf, sizeof buf), 4);
    /* poll_close on a socket shuts the write side down: the peer sees
     * end of file, and can still answer. */
    ck_assert_int_eq(fut_shutdown_init(&sh, &a.writer), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &sh.base), 0);
    ck_assert_int_eq(sh.res, 0);
    fut_future_drop(&sh.base);
    ck_assert_int_eq(conf_read_some(&b.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(conf_write_all(&b.writer, "pong", 4), 0);
    ck_assert_int_eq(conf_read_some(&a.reader, buf, sizeof buf), 4);
    ck_assert_int_eq(fut_fd_close(&a), 0);
    ck_assert_int_eq(conf_write_all(&b.writer, "z", 1) < 0, 1);
    ck_assert_int_eq(fut_fd_close(&b), 0);
}
END_TEST

/* poll_close on an owned pipe end closes it: the reader sees EOF. */
START_TEST(test_fd_pipe_shutdown_closes_owned_end)
{
    struct fut_fd r, w;
    struct fut_shutdown sh;
    char buf[8];

    ck_assert_int_eq(fut_fd_pipe(&r, &w), 0);
    ck_assert_int_eq(conf_write_all(&w.writer, "ab", 2), 0);
    ck_assert_int_eq(fut_shutdown_init(&sh, &w.writer), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &sh.base), 0);
    ck_assert_int_eq(sh.res, 0);
    fut_future_drop(&sh.base);
    ck_assert_int_eq(conf_read_to_end(&r.reader, buf, sizeof buf), 2);
    ck_assert_int_eq(conf_write_all(&w.writer, "c", 1), -EBADF);
    /* The close after the shutdown has nothing left to do, once. */
    ck_assert_int_eq(fut_fd_close(&w), 0);
    ck_assert_int_eq(fut_fd_close(&w), -EBADF);
    ck_assert_int_eq(fut_fd_close(&r), 0);
}
END_TEST

/* ---- adoption modes ------------------------------------------------------ */

START_TEST(test_fd_borrow_restores_flags_and_keeps_fd)
{
    struct fut_fd r;
    int p[2];
    char buf[4];

    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert(!nonblocking(p[0]));
    ck_assert_int_eq(fut_fd_init(&r, p[0], FUT_FD_BORROW), 0);
    ck_assert(nonblocking(p[0]));
    ck_assert_int_eq(write(p[1], "ok", 2), 2);
    ck_assert_int_eq(conf_read_some(&r.reader, buf, sizeof buf), 2);
    ck_assert_int_eq(fut_fd_close(&r), 0);
    /* Still open, blocking again, still usable by its owner. */
    ck_assert(is_open(p[0]));
    ck_assert(!nonblocking(p[0]));
    ck_assert_int_eq(write(p[1], "k", 1), 1);
    ck_assert_int_eq(read(p[0], buf, sizeof buf), 1);
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(test_fd_own_closes_and_restores_description)
{
    struct fut_fd r;
    int p[2], dup_fd;

    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    /* A second descriptor on the same open file description shows what
     * happens to the flag after the owned one is closed. */
    dup_fd = fcntl(p[0], F_DUPFD_CLOEXEC, 0);
    ck_assert_int_ge(dup_fd, 0);
    ck_assert_int_eq(fut_fd_init(&r, p[0], FUT_FD_OWN), 0);
    ck_assert(nonblocking(dup_fd));
    ck_assert_int_eq(fut_fd_close(&r), 0);
    ck_assert(!is_open(p[0]));
    ck_assert(!nonblocking(dup_fd));
    close(dup_fd);
    close(p[1]);
}
END_TEST

START_TEST(test_fd_already_nonblocking_stays_so)
{
    struct fut_fd r;
    int p[2];

    ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    ck_assert_int_eq(fut_fd_init(&r, p[0], FUT_FD_BORROW), 0);
    ck_assert_int_eq(fut_fd_close(&r), 0);
    ck_assert(nonblocking(p[0]));
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(test_fd_release_hands_back)
{
    struct fut_fd r;
    int p[2];

    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(fut_fd_init(&r, p[0], FUT_FD_OWN), 0);
    ck_assert_int_eq(fut_fd_release(&r), p[0]);
    ck_assert(is_open(p[0]));
    ck_assert(!nonblocking(p[0]));
    ck_assert_int_eq(fut_fd_release(&r), -EBADF);
    ck_assert_int_eq(fut_fd_close(&r), -EBADF);
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(test_fd_fifo)
{
    char dir[] = "/tmp/fut-fifo.XXXXXX", path[64];
    struct fut_fd r, w;
    int rfd, wfd;
    char buf[16];

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    /* A nonblocking open of the reading side does not wait for a writer;
     * then the writing side opens at once. */
    rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ck_assert_int_ge(rfd, 0);
    wfd = open(path, O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(wfd, 0);
    ck_assert_int_eq(fut_fd_init(&r, rfd, FUT_FD_OWN), 0);
    ck_assert_int_eq(fut_fd_init(&w, wfd, FUT_FD_OWN), 0);
    ck_assert_int_eq(conf_write_all(&w.writer, "fifo", 4), 0);
    ck_assert_int_eq(fut_fd_close(&w), 0);
    ck_assert_int_eq(conf_read_to_end(&r.reader, buf, sizeof buf), 4);
    ck_assert_str_eq(buf, "fifo");
    ck_assert_int_eq(fut_fd_close(&r), 0);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_fd_tty)
{
    struct fut_fd m;
    int mfd, sfd;
    char buf[64];
    ssize_t n;

    mfd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (mfd < 0 || grantpt(mfd) != 0 || unlockpt(mfd) != 0 ||
        ptsname(mfd) == NULL) {
        if (mfd >= 0)
            close(mfd);
        CONF_SKIP("no pseudo-terminal here");
    }
    sfd = open(ptsname(mfd), O_RDWR | O_NOCTTY | O_CLOEXEC);
    ck_assert_int_ge(sfd, 0);
    ck_assert_int_eq(fut_fd_init(&m, mfd, FUT_FD_OWN), 0);
    /* What the terminal's program writes, the master reads (the line
     * discipline may turn "\n" into "\r\n"). */
    ck_assert_int_eq(write(sfd, "tty\n", 4), 4);
    n = conf_read_some(&m.reader, buf, sizeof buf);
    ck_assert_int_ge(n, 3);
    ck_assert(memcmp(buf, "tty", 3) == 0);
    ck_assert_int_eq(fut_fd_close(&m), 0);
    close(sfd);
}
END_TEST

/* ---- bad input ----------------------------------------------------------- */

START_TEST(test_fd_bad_input)
{
    struct fut_fd f, g;
    struct fut_context cx = { fut_waker_noop(), &conf_rt };
    char tmpl[] = "/tmp/fut-fd-file.XXXXXX";
    int p[2], closed_fd, file_fd, dir_fd;
    char buf[4];
    ssize_t res;

    ck_assert_int_eq(fut_fd_init(NULL, 0, FUT_FD_OWN), -EINVAL);
    ck_assert_int_eq(fut_fd_init(&f, -1, FUT_FD_OWN), -EINVAL);
    ck_assert_int_eq(fut_fd_close(&f), -EBADF);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(fut_fd_init(&f, p[0], 0), -EINVAL);
    ck_assert_int_eq(fut_fd_init(&f, p[0], FUT_FD_OWN | FUT_FD_BORROW),
                     -EINVAL);
    ck_assert_int_eq(fut_fd_init(&f, p[0], 0x80), -EINVAL);
    /* A failed adoption left the descriptor as it was. */
    ck_assert(is_open(p[0]));
    ck_assert(!nonblocking(p[0]));
    closed_fd = fcntl(p[0], F_DUPFD_CLOEXEC, 0);
    close(closed_fd);
    ck_assert_int_eq(fut_fd_init(&f, closed_fd, FUT_FD_OWN), -EBADF);
    ck_assert_int_eq(fut_fd_init(&f, 1 << 20, FUT_FD_BORROW), -EBADF);
    /* A regular file cannot be polled: the file API is for it. */
    file_fd = mkostemp(tmpl, O_CLOEXEC);
    ck_assert_int_ge(file_fd, 0);
    unlink(tmpl);
    ck_assert_int_eq(fut_fd_init(&f, file_fd, FUT_FD_OWN), -ENOTSUP);
    ck_assert(is_open(file_fd));
    close(file_fd);
    dir_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(dir_fd, 0);
    ck_assert_int_eq(fut_fd_init(&f, dir_fd, FUT_FD_BORROW), -EISDIR);
    close(dir_fd);

    ck_assert_int_eq(fut_fd_pipe(NULL, &g), -EINVAL);
    ck_assert_int_eq(fut_fd_pipe(&f, NULL), -EINVAL);
    ck_assert_int_eq(fut_fd_pipe(&f, &f), -EINVAL);
    ck_assert_int_eq(fut_fd_close(NULL), -EINVAL);
    ck_assert_int_eq(fut_fd_release(NULL), -EINVAL);

    /* A closed object answers -EBADF to everything. */
    ck_assert_int_eq(fut_fd_init(&f, p[0], FUT_FD_BORROW), 0);
    ck_assert_int_eq(fut_fd_close(&f), 0);
    ck_assert_int_eq(fut_fd_close(&f), -EBADF);
    ck_assert_int_eq(fut_async_read_poll_read(&f.reader, &cx, buf, sizeof buf,
                                              &res), FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_async_write_poll_write(&f.writer, &cx, "x", 1, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_async_write_poll_flush(&f.writer, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_async_write_poll_close(&f.writer, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    /* Zero lengths and NULL buffers are the wrappers' (no syscall). */
    ck_assert_int_eq(fut_fd_init(&f, p[0], FUT_FD_BORROW), 0);
    ck_assert_int_eq(fut_async_read_poll_read(&f.reader, &cx, buf, 0, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_async_read_poll_read(&f.reader, &cx, NULL, 4, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_fd_close(&f), 0);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* No runtime in the context: -EINVAL, nothing registered. */
START_TEST(test_fd_no_runtime)
{
    struct fut_fd r, w;
    struct fut_context cx = { fut_waker_noop(), NULL };
    char buf[4];
    ssize_t res;

    ck_assert_int_eq(fut_fd_pipe(&r, &w), 0);
    ck_assert_int_eq(fut_async_read_poll_read(&r.reader, &cx, buf, sizeof buf,
                                              &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_fd_close(&r), 0);
    ck_assert_int_eq(fut_fd_close(&w), 0);
}
END_TEST

/* ---- drop at every pending state ----------------------------------------- */

START_TEST(test_fd_read_drop_after_n_polls)
{
    struct fut_fd r, w;
    struct fut_read f;
    char buf[8];
    int ready;

    ck_assert_int_eq(fut_fd_pipe(&r, &w), 0);
    ck_assert_int_eq(fut_read_init(&f, &r.reader, buf, sizeof buf), 0);
    ready = conf_drive(&f.base, _i);
    ck_assert_int_eq(ready, 0);
    fut_future_drop(&f.base);
    /* The drop took its waker back; nothing was consumed. */
    ck_assert_ptr_null(r.io.read_waker.vtable);
    ck_assert_int_eq(conf_write_all(&w.writer, "late", 4), 0);
    ck_assert_int_eq(conf_read_some(&r.reader, buf, sizeof buf), 4);
    ck_assert_int_eq(fut_fd_close(&r), 0);
    ck_assert_int_eq(fut_fd_close(&w), 0);
}
END_TEST

START_TEST(test_fd_write_drop_after_n_polls)
{
    static char chunk[65536];
    struct fut_fd r, w;
    struct fut_write f;
    char buf[4096];
    ssize_t n;
    int ready;

    ck_assert_int_eq(fut_fd_pipe(&r, &w), 0);
    /* Fill the pipe until the kernel takes no more. */
    while ((n = write(w.io.fd, chunk, sizeof chunk)) > 0)
        ;
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_int_eq(fut_write_init(&f, &w.writer, "x", 1), 0);
    ready = conf_drive(&f.base, _i);
    ck_assert_int_eq(ready, 0);
    fut_future_drop(&f.base);
    ck_assert_ptr_null(w.io.write_waker.vtable);
    /* Room again: a new write goes through. */
    ck_assert_int_gt(conf_read_some(&r.reader, buf, sizeof buf), 0);
    while (read(r.io.fd, buf, sizeof buf) > 0)
        ;
    ck_assert_int_eq(conf_write_all(&w.writer, "y", 1), 0);
    ck_assert_int_eq(fut_fd_close(&r), 0);
    ck_assert_int_eq(fut_fd_close(&w), 0);
}
END_TEST

/* ---- faults -------------------------------------------------------------- */

static int eintr_left;

static ssize_t
eintr_read(int fd, void *buf, size_t len)
{
    if (eintr_left > 0) {
        eintr_left--;
        errno = EINTR;
        return -1;
    }
    return real_sys.read(fd, buf, len);
}

static ssize_t
eio_write(int fd, const void *buf, size_t len)
{
    errno = EIO;
    return -1;
}

START_TEST(test_fd_fault_eintr_and_error)
{
    struct fut_fd r, w;
    char buf[8];

    ck_assert_int_eq(fut_fd_pipe(&r, &w), 0);
    ck_assert_int_eq(conf_write_all(&w.writer, "abc", 3), 0);
    eintr_left = 3;
    fut__sys.read = eintr_read;
    ck_assert_int_eq(conf_read_some(&r.reader, buf, sizeof buf), 3);
    ck_assert_int_eq(eintr_left, 0);
    fut__sys.write = eio_write;
    ck_assert_int_eq(conf_write_all(&w.writer, "d", 1), -EIO);
    fut__sys_reset();
    ck_assert_int_eq(fut_fd_close(&r), 0);
    ck_assert_int_eq(fut_fd_close(&w), 0);
}
END_TEST

static TCase *
fd_case(const char *name, int timeout)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, fd_setup, fd_teardown);
    tcase_set_timeout(tc, timeout);
    return tc;
}

Suite *
fut_conf_fd_suite(void)
{
    Suite *s = suite_create("fd");
    TCase *tc;

    tc = fd_case("data", 30);
    tcase_add_test(tc, test_fd_pipe_round_trip_and_eof);
    tcase_add_test(tc, test_fd_pipe_large_transfer);
    tcase_add_test(tc, test_fd_readv_writev);
    tcase_add_test(tc, test_fd_write_epipe_no_sigpipe);
    tcase_add_test(tc, test_fd_socket_adopt_and_shutdown);
    tcase_add_test(tc, test_fd_pipe_shutdown_closes_owned_end);
    suite_add_tcase(s, tc);

    tc = fd_case("adopt", 10);
    tcase_add_test(tc, test_fd_borrow_restores_flags_and_keeps_fd);
    tcase_add_test(tc, test_fd_own_closes_and_restores_description);
    tcase_add_test(tc, test_fd_already_nonblocking_stays_so);
    tcase_add_test(tc, test_fd_release_hands_back);
    tcase_add_test(tc, test_fd_fifo);
    tcase_add_test(tc, test_fd_tty);
    suite_add_tcase(s, tc);

    tc = fd_case("errors", 10);
    tcase_add_test(tc, test_fd_bad_input);
    tcase_add_test(tc, test_fd_no_runtime);
    tcase_add_test(tc, test_fd_fault_eintr_and_error);
    suite_add_tcase(s, tc);

    tc = fd_case("drop", 10);
    tcase_add_loop_test(tc, test_fd_read_drop_after_n_polls, 0, 4);
    tcase_add_loop_test(tc, test_fd_write_drop_after_n_polls, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}
