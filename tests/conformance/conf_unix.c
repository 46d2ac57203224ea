/* SPDX-License-Identifier: MIT */
/* Conformance: Unix domain sockets: streams, listeners, names, credentials, datagrams, pairs. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conformance.h"
#include "internal.h"

/* ---- fixture and helpers ------------------------------------------------- */

static char dir[64];
static char path_a[128], path_b[128];
static int abstract_seq;

static void
unix_setup(void)
{
    conf_sys_setup();
    snprintf(dir, sizeof dir, "/tmp/fut-unix.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path_a, sizeof path_a, "%s/a.sock", dir);
    snprintf(path_b, sizeof path_b, "%s/b.sock", dir);
}

static void
unix_teardown(void)
{
    char cmd[128];

    /* The socket files the test left (closing never removes them). */
    (void)unlink(path_a);
    (void)unlink(path_b);
    snprintf(cmd, sizeof cmd, "%s/file", dir);
    (void)unlink(cmd);
    ck_assert_int_eq(rmdir(dir), 0);
    conf_sys_teardown();
}

/* A fresh abstract name ("\0fut-<pid>-<n>") in @buf; returns its length. */
static size_t
abstract_name(char *buf, size_t size)
{
    int n = snprintf(buf + 1, size - 1, "fut-%ld-%d", (long)getpid(),
                     abstract_seq++);

    buf[0] = '\0';
    return (size_t)n + 1;
}

static int
accept_one(struct fut_unix_listener *l, struct fut_unix_stream *out)
{
    struct fut_unix_accept a;
    int res;

    ck_assert_int_eq(fut_unix_accept_init(&a, l, out), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &a.base), 0);
    res = a.res;
    ck_assert_int_eq(fut_future_result(&a.base), res);
    fut_future_drop(&a.base);
    return res;
}

static int
connect_one(struct fut_unix_stream *s, const char *name, size_t len,
            int64_t timeout_ns)
{
    struct fut_unix_connect c;
    int res;

    ck_assert_int_eq(fut_unix_stream_init(s), 0);
    ck_assert_int_eq(fut_unix_connect_init(&c, s, name, len, timeout_ns), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &c.base), 0);
    res = c.res;
    ck_assert_int_eq(fut_future_result(&c.base), res);
    fut_future_drop(&c.base);
    return res;
}

static ssize_t
dsend(struct fut_unix_dgram *d, const void *buf, size_t len,
      const char *name, size_t namelen)
{
    struct fut_dgram_send f;
    ssize_t res;

    ck_assert_int_eq(fut_unix_dgram_send_init(&f, d, buf, len, name,
                                              namelen),
                     0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    res = f.res;
    fut_future_drop(&f.base);
    return res;
}

static ssize_t
drecv(struct fut_unix_dgram *d, void *buf, size_t len,
      struct fut_dgram_info *info)
{
    struct fut_dgram_recv f;
    ssize_t res;

    ck_assert_int_eq(fut_unix_dgram_recv_init(&f, d, buf, len, info), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    res = f.res;
    fut_future_drop(&f.base);
    return res;
}

/* The poll functions of Unix datagram sockets as a future. */
struct dgram_op {
    struct fut_future base;
    int recv;
    struct fut_unix_dgram *d;
    void *buf;
    size_t len;
    const char *name;
    size_t namelen;
    struct fut_dgram_info *info;
    ssize_t res;
};

static enum fut_poll
dgram_op_poll(struct fut_future *f, struct fut_context *cx)
{
    struct dgram_op *o = (struct dgram_op *)f;

    if (o->recv)
        return fut_unix_dgram_poll_recv_from(o->d, cx, o->buf, o->len,
                                             o->info, &o->res);
    return fut_unix_dgram_poll_send_to(o->d, cx, o->buf, o->len, o->name,
                                       o->namelen, &o->res);
}

static void
dgram_op_drop(struct fut_future *f)
{
    FUT__UNUSED(f);
}

static const struct fut_future_vtable dgram_op_vtable = {
    .poll = dgram_op_poll,
    .drop = dgram_op_drop,
    .result = NULL,
};

static ssize_t
run_dgram_op(int recv, struct fut_unix_dgram *d, void *buf, size_t len,
             const char *name, size_t namelen, struct fut_dgram_info *info)
{
    struct dgram_op o;

    memset(&o, 0, sizeof o);
    o.base.vtable = &dgram_op_vtable;
    o.recv = recv;
    o.d = d;
    o.buf = buf;
    o.len = len;
    o.name = name;
    o.namelen = namelen;
    o.info = info;
    ck_assert_int_eq(fut_block_on(&conf_rt, &o.base), 0);
    return o.res;
}

/* The name in @ss equals @name (@len bytes). */
static void
assert_name(const struct sockaddr_storage *ss, socklen_t sslen,
            const char *name, size_t len)
{
    const char *got;
    ssize_t n = fut_unix_sockaddr_name((const struct sockaddr *)ss, sslen,
                                       &got);

    ck_assert_int_eq(n, (ssize_t)len);
    if (len > 0)
        ck_assert_int_eq(memcmp(got, name, len), 0);
}

/* Fill @l's backlog with raw nonblocking connects until the kernel says
 * EAGAIN; their descriptors go to @fds (up to @max). Returns the count. */
static int
fill_backlog(const char *name, size_t len, int *fds, int max)
{
    struct sockaddr_un sun;
    socklen_t sunlen;
    int n = 0, fd;

    ck_assert_int_eq(fut_unix_sockaddr(name, len, &sun, &sunlen), 0);
    while (n < max) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        if (connect(fd, (struct sockaddr *)&sun, sunlen) < 0) {
            ck_assert_int_eq(errno, EAGAIN);
            close(fd);
            return n;
        }
        fds[n++] = fd;
    }
    ck_abort_msg("the backlog never filled");
    return n;
}

static void
close_fds(int *fds, int n)
{
    while (n-- > 0)
        close(fds[n]);
}

/* ---- tests: names ----------------------------------------------------------- */

/* The peer of @s is this process (both ends are ours); where the OS
 * layer has no way to ask (a portable build, FUT_OS_PORTABLE), the
 * documented -ENOTSUP. */
static void
assert_peer_is_us(const struct fut_unix_stream *s)
{
    struct fut_unix_cred cred;
    int r = fut_unix_stream_peer_cred(s, &cred);

    if (!FUT__OS_LINUX) {
        ck_assert_int_eq(r, -ENOTSUP);
        ck_assert_int_eq(cred.pid, -1);
        return;
    }
    ck_assert_int_eq(r, 0);
    ck_assert_int_eq(cred.pid, (long)getpid());
    ck_assert_int_eq(cred.uid, (long)getuid());
    ck_assert_int_eq(cred.gid, (long)getgid());
}

START_TEST(test_unix_sockaddr)
{
    struct sockaddr_un sun;
    socklen_t len;
    char longp[200];
    const char *name;

    ck_assert_int_eq(fut_unix_sockaddr("/tmp/x", 0, &sun, &len), 0);
    ck_assert_int_eq(sun.sun_family, AF_UNIX);
    ck_assert_str_eq(sun.sun_path, "/tmp/x");
    ck_assert_int_eq(len, (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                                      7));
    ck_assert_int_eq(fut_unix_sockaddr_name((struct sockaddr *)&sun, len,
                                            &name),
                     6);
    ck_assert_int_eq(memcmp(name, "/tmp/x", 6), 0);
    /* An explicit length takes a prefix. */
    ck_assert_int_eq(fut_unix_sockaddr("/tmp/xyz", 6, &sun, &len), 0);
    ck_assert_str_eq(sun.sun_path, "/tmp/x");
    /* The longest path that fits (with its NUL), and one more. */
    memset(longp, 'p', sizeof longp);
    longp[0] = '/';
    longp[sizeof sun.sun_path - 1] = '\0';
    ck_assert_int_eq(fut_unix_sockaddr(longp, 0, &sun, &len), 0);
    longp[sizeof sun.sun_path - 1] = 'p';
    longp[sizeof sun.sun_path] = '\0';
    ck_assert_int_eq(fut_unix_sockaddr(longp, 0, &sun, &len), -ENAMETOOLONG);
    longp[sizeof longp - 1] = '\0';
    ck_assert_int_eq(fut_unix_sockaddr(longp, 0, &sun, &len), -ENAMETOOLONG);
    /* Abstract names count their leading NUL. */
    ck_assert_int_eq(fut_unix_sockaddr("\0abc", 4, &sun, &len), 0);
    ck_assert_int_eq(len, (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                                      4));
    ck_assert_int_eq(fut_unix_sockaddr_name((struct sockaddr *)&sun, len,
                                            &name),
                     4);
    ck_assert_int_eq(memcmp(name, "\0abc", 4), 0);
    longp[0] = '\0';
    ck_assert_int_eq(fut_unix_sockaddr(longp, sizeof sun.sun_path, &sun,
                                       &len),
                     0);
    ck_assert_int_eq(fut_unix_sockaddr(longp, sizeof sun.sun_path + 1, &sun,
                                       &len),
                     -ENAMETOOLONG);
    /* Bad input. */
    ck_assert_int_eq(fut_unix_sockaddr(NULL, 3, &sun, &len), -EINVAL);
    ck_assert_int_eq(fut_unix_sockaddr("", 0, &sun, &len), -EINVAL);
    ck_assert_int_eq(fut_unix_sockaddr("\0", 0, &sun, &len), -EINVAL);
    ck_assert_int_eq(fut_unix_sockaddr("a\0b", 3, &sun, &len), -EINVAL);
    ck_assert_int_eq(fut_unix_sockaddr("/x", 0, NULL, &len), -EINVAL);
    ck_assert_int_eq(fut_unix_sockaddr("/x", 0, &sun, NULL), -EINVAL);
    ck_assert_int_eq(fut_unix_sockaddr_name(NULL, 4, &name), -EINVAL);
    ck_assert_int_eq(fut_unix_sockaddr_name((struct sockaddr *)&sun, 4, NULL),
                     -EINVAL);
    /* Unnamed. */
    ck_assert_int_eq(fut_unix_sockaddr_name((struct sockaddr *)&sun, 0,
                                            &name),
                     0);
    ck_assert_int_eq(fut_unix_sockaddr_name((struct sockaddr *)&sun,
                                            sizeof(sa_family_t), &name),
                     0);
    sun.sun_family = AF_INET;
    ck_assert_int_eq(fut_unix_sockaddr_name((struct sockaddr *)&sun, len,
                                            &name),
                     -EINVAL);
}
END_TEST

/* ---- tests: streams --------------------------------------------------------- */

START_TEST(test_unix_stream_path)
{
    struct fut_unix_listener l;
    struct fut_unix_stream c, s;
    struct sockaddr_storage ss;
    socklen_t len;
    struct stat st;
    char buf[32];

    ck_assert_int_eq(fut_unix_listener_bind(&l, path_a, 0, 0, 0), 0);
    ck_assert_int_eq(stat(path_a, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(fut_unix_listener_local_addr(&l, &ss, &len), 0);
    assert_name(&ss, len, path_a, strlen(path_a));
    ck_assert_int_eq(connect_one(&c, path_a, 0, -1), 0);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    /* Data both ways through the traits. */
    ck_assert_int_eq(conf_write_all(&c.writer, "ping", 4), 0);
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 4);
    ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
    ck_assert_int_eq(conf_write_all(&s.writer, "pong!", 5), 0);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 5);
    /* Addresses and credentials. */
    ck_assert_int_eq(fut_unix_stream_peer_addr(&c, &ss, &len), 0);
    assert_name(&ss, len, path_a, strlen(path_a));
    ck_assert_int_eq(fut_unix_stream_local_addr(&s, &ss, &len), 0);
    assert_name(&ss, len, path_a, strlen(path_a));
    assert_peer_is_us(&s);
    assert_peer_is_us(&c);
    /* End of file after the peer shuts down its side. */
    ck_assert_int_eq(fut_unix_stream_shutdown(&c, SHUT_WR), 0);
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(fut_unix_stream_close(&c), 0);
    ck_assert_int_eq(fut_unix_stream_close(&c), -EBADF);
    /* A write to a closed peer is -EPIPE, with no SIGPIPE. */
    ck_assert_int_eq(conf_write_all(&s.writer, "x", 1), -EPIPE);
    ck_assert_int_eq(fut_unix_stream_close(&s), 0);
    ck_assert_int_eq(fut_unix_listener_close(&l), 0);
    ck_assert_int_eq(fut_unix_listener_close(&l), -EBADF);
    /* Closing left the file: removing it is the caller's business. */
    ck_assert_int_eq(stat(path_a, &st), 0);
}
END_TEST

START_TEST(test_unix_stream_abstract)
{
    struct fut_unix_listener l;
    struct fut_unix_stream c, s;
    struct sockaddr_storage ss;
    socklen_t len;
    char name[64], buf[8];
    size_t n = abstract_name(name, sizeof name);

    ck_assert_int_eq(fut_unix_listener_bind(&l, name, n, 4, 0), 0);
    ck_assert_int_eq(fut_unix_listener_local_addr(&l, &ss, &len), 0);
    assert_name(&ss, len, name, n);
    /* Taken while it lives. */
    {
        struct fut_unix_listener l2;

        ck_assert_int_eq(fut_unix_listener_bind(&l2, name, n, 0,
                                                FUT_UNIX_UNLINK_STALE),
                         -EADDRINUSE);
    }
    ck_assert_int_eq(connect_one(&c, name, n, -1), 0);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_eq(conf_write_all(&c.writer, "abs", 3), 0);
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 3);
    ck_assert_int_eq(fut_unix_stream_close(&c), 0);
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(fut_unix_stream_close(&s), 0);
    ck_assert_int_eq(fut_unix_listener_close(&l), 0);
    /* Gone with its socket: the name is free again, nothing to remove. */
    ck_assert_int_eq(fut_unix_listener_bind(&l, name, n, 0, 0), 0);
    ck_assert_int_eq(fut_unix_listener_close(&l), 0);
}
END_TEST

START_TEST(test_unix_stale_file)
{
    struct fut_unix_listener l, l2;
    struct fut_unix_stream c, s;
    char file[128];
    int fd;

    ck_assert_int_eq(fut_unix_listener_bind(&l, path_a, 0, 0, 0), 0);
    /* A live socket's name is never taken, flag or not. */
    ck_assert_int_eq(fut_unix_listener_bind(&l2, path_a, 0, 0, 0),
                     -EADDRINUSE);
    ck_assert_int_eq(fut_unix_listener_bind(&l2, path_a, 0, 0,
                                            FUT_UNIX_UNLINK_STALE),
                     -EADDRINUSE);
    ck_assert_int_eq(connect_one(&c, path_a, 0, -1), 0);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_eq(fut_unix_stream_close(&c), 0);
    ck_assert_int_eq(fut_unix_stream_close(&s), 0);
    ck_assert_int_eq(fut_unix_listener_close(&l), 0);
    /* Stale now: a plain bind fails, the flag removes it and binds. */
    ck_assert_int_eq(connect_one(&c, path_a, 0, -1), -ECONNREFUSED);
    ck_assert_int_eq(fut_unix_listener_bind(&l, path_a, 0, 0, 0),
                     -EADDRINUSE);
    ck_assert_int_eq(fut_unix_listener_bind(&l, path_a, 0, 0,
                                            FUT_UNIX_UNLINK_STALE),
                     0);
    ck_assert_int_eq(connect_one(&c, path_a, 0, -1), 0);
    ck_assert_int_eq(fut_unix_stream_close(&c), 0);
    ck_assert_int_eq(fut_unix_listener_close(&l), 0);
    /* A file that is not a socket is never removed. */
    snprintf(file, sizeof file, "%s/file", dir);
    fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(fut_unix_listener_bind(&l, file, 0, 0,
                                            FUT_UNIX_UNLINK_STALE),
                     -EADDRINUSE);
    ck_assert_int_eq(access(file, F_OK), 0);
}
END_TEST

START_TEST(test_unix_stream_pair)
{
    struct fut_unix_stream a, b;
    char buf[16];
    struct iovec iov[2];
    struct fut_context cx = conf_noop_cx();
    ssize_t res;

    ck_assert_int_eq(fut_unix_stream_pair(&a, &b), 0);
    ck_assert_int_eq(conf_write_all(&a.writer, "left", 4), 0);
    ck_assert_int_eq(conf_read_some(&b.reader, buf, sizeof buf), 4);
    ck_assert_int_eq(conf_write_all(&b.writer, "right", 5), 0);
    ck_assert_int_eq(conf_read_some(&a.reader, buf, sizeof buf), 5);
    ck_assert_int_eq(memcmp(buf, "right", 5), 0);
    /* The vectored forms. */
    iov[0].iov_base = "ab";
    iov[0].iov_len = 2;
    iov[1].iov_base = "cd";
    iov[1].iov_len = 2;
    ck_assert_int_eq(fut_async_write_poll_writev(&a.writer, &cx, iov, 2,
                                                 &res),
                     FUT_READY);
    ck_assert_int_eq(res, 4);
    iov[0].iov_base = buf;
    iov[0].iov_len = 1;
    iov[1].iov_base = buf + 1;
    iov[1].iov_len = 8;
    {
        struct fut_read r;

        ck_assert_int_eq(fut_read_init(&r, &b.reader, buf, 1), 0);
        ck_assert_int_eq(fut_block_on(&conf_rt, &r.base), 0);
        fut_future_drop(&r.base);
    }
    ck_assert_int_eq(fut_async_read_poll_readv(&b.reader, &cx, iov, 2, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 3);
    assert_peer_is_us(&a);
    /* poll_flush and poll_close (a shutdown of the write side). */
    ck_assert_int_eq(fut_async_write_poll_flush(&a.writer, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_async_write_poll_close(&a.writer, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(conf_read_some(&b.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(fut_unix_stream_close(&a), 0);
    ck_assert_int_eq(fut_unix_stream_close(&b), 0);
    /* Closed: the traits answer -EBADF. */
    ck_assert_int_eq(fut_async_write_poll_flush(&a.writer, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_async_write_poll_close(&a.writer, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(conf_read_some(&a.reader, buf, sizeof buf), -EBADF);
    ck_assert_int_eq(conf_write_all(&a.writer, "x", 1), -EBADF);
}
END_TEST

START_TEST(test_unix_connect_errors)
{
    struct fut_unix_stream c;
    struct fut_unix_connect conn;
    struct fut_unix_dgram d;
    char longp[200];

    /* No such file; nobody listening any more; a datagram socket. */
    ck_assert_int_eq(connect_one(&c, path_a, 0, -1), -ENOENT);
    {
        struct fut_unix_listener l;

        ck_assert_int_eq(fut_unix_listener_bind(&l, path_a, 0, 0, 0), 0);
        ck_assert_int_eq(fut_unix_listener_close(&l), 0);
    }
    ck_assert_int_eq(connect_one(&c, path_a, 0, -1), -ECONNREFUSED);
    ck_assert_int_eq(fut_unix_dgram_bind(&d, path_b, 0, 0), 0);
    ck_assert_int_eq(connect_one(&c, path_b, 0, -1), -EPROTOTYPE);
    ck_assert_int_eq(fut_unix_dgram_close(&d), 0);
    /* The failed stream is not open. */
    ck_assert_int_eq(fut_unix_stream_close(&c), -EBADF);
    /* Names checked at init. */
    memset(longp, 'p', sizeof longp);
    longp[sizeof longp - 1] = '\0';
    ck_assert_int_eq(fut_unix_connect_init(&conn, &c, longp, 0, -1),
                     -ENAMETOOLONG);
    ck_assert_int_eq(fut_unix_connect_init(&conn, &c, NULL, 0, -1), -EINVAL);
    ck_assert_int_eq(fut_unix_connect_init(&conn, NULL, path_a, 0, -1),
                     -EINVAL);
    ck_assert_int_eq(fut_unix_connect_init(NULL, &c, path_a, 0, -1),
                     -EINVAL);
    /* An open stream is refused, and left open. */
    {
        struct fut_unix_stream a, b;

        ck_assert_int_eq(fut_unix_stream_pair(&a, &b), 0);
        ck_assert_int_eq(fut_unix_connect_init(&conn, &a, path_a, 0, -1),
                         -EISCONN);
        ck_assert_int_ge(a.io.fd, 0);
        ck_assert_int_eq(fut_unix_stream_close(&a), 0);
        ck_assert_int_eq(fut_unix_stream_close(&b), 0);
    }
}
END_TEST

/* A full backlog: the connect retries on its timer until room is made
 * (or its deadline passes). */
START_TEST(test_unix_connect_backlog_full)
{
    struct fut_unix_listener l;
    struct fut_unix_stream c, s;
    struct fut_unix_connect conn;
    int fds[1024], n, i;

    ck_assert_int_eq(fut_unix_listener_bind(&l, path_a, 0, 1, 0), 0);
    n = fill_backlog(path_a, 0, fds, 1024);
    ck_assert_int_ge(n, 1);
    /* With a deadline and nobody accepting: -ETIMEDOUT. */
    ck_assert_int_eq(connect_one(&c, path_a, 0, 20 * FUT_NSEC_PER_MSEC),
                     -ETIMEDOUT);
    ck_assert_int_eq(fut_unix_stream_close(&c), -EBADF);
    /* Pending while full; connected once the listener accepts. */
    ck_assert_int_eq(fut_unix_stream_init(&c), 0);
    ck_assert_int_eq(fut_unix_connect_init(&conn, &c, path_a, 0, -1), 0);
    ck_assert_int_eq(conf_drive(&conn.base, 3), 0);
    for (i = 0; i < n; i++) {
        ck_assert_int_eq(accept_one(&l, &s), 0);
        ck_assert_int_eq(fut_unix_stream_close(&s), 0);
    }
    ck_assert_int_eq(fut_block_on(&conf_rt, &conn.base), 0);
    ck_assert_int_eq(conn.res, 0);
    fut_future_drop(&conn.base);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_eq(conf_write_all(&c.writer, "in", 2), 0);
    ck_assert_int_eq(fut_unix_stream_close(&s), 0);
    ck_assert_int_eq(fut_unix_stream_close(&c), 0);
    close_fds(fds, n);
    ck_assert_int_eq(fut_unix_listener_close(&l), 0);
}
END_TEST

/* ---- tests: datagrams ------------------------------------------------------- */

START_TEST(test_unix_dgram_paths)
{
    struct fut_unix_dgram a, b, anon;
    struct fut_dgram_info info;
    struct sockaddr_storage ss;
    socklen_t len;
    char big[300], buf[16];

    memset(big, 'z', sizeof big);
    ck_assert_int_eq(fut_unix_dgram_bind(&a, path_a, 0, 0), 0);
    ck_assert_int_eq(fut_unix_dgram_bind(&b, path_b, 0, 0), 0);
    ck_assert_int_eq(fut_unix_dgram_local_addr(&a, &ss, &len), 0);
    assert_name(&ss, len, path_a, strlen(path_a));
    /* The sender's path comes with the datagram. */
    ck_assert_int_eq(dsend(&a, "hello", 5, path_b, 0), 5);
    ck_assert_int_eq(drecv(&b, buf, sizeof buf, &info), 5);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
    assert_name(&info.addr, info.addrlen, path_a, strlen(path_a));
    ck_assert_int_eq(info.truncated, 0);
    /* Reply to it, through the poll functions. */
    {
        const char *from;
        ssize_t n = fut_unix_sockaddr_name((struct sockaddr *)&info.addr,
                                           info.addrlen, &from);
        char fromcopy[128];

        ck_assert_int_gt(n, 0);
        memcpy(fromcopy, from, (size_t)n);
        ck_assert_int_eq(run_dgram_op(0, &b, "back", 4, fromcopy, (size_t)n,
                                      NULL),
                         4);
    }
    ck_assert_int_eq(run_dgram_op(1, &a, buf, sizeof buf, NULL, 0, &info),
                     4);
    assert_name(&info.addr, info.addrlen, path_b, strlen(path_b));
    /* Zero-length. */
    ck_assert_int_eq(dsend(&a, NULL, 0, path_b, 0), 0);
    ck_assert_int_eq(drecv(&b, buf, sizeof buf, &info), 0);
    ck_assert_uint_eq(info.size, 0);
    /* Truncation: reported, with the full size; consumed. */
    ck_assert_int_eq(dsend(&a, big, sizeof big, path_b, 0), 300);
    ck_assert_int_eq(drecv(&b, buf, sizeof buf, &info), -EMSGSIZE);
    /* (the buffer's length where the OS cannot tell: udp.h) */
    ck_assert_uint_eq(info.size, FUT__OS_LINUX ? 300 : sizeof buf);
    ck_assert_int_eq(info.truncated, 1);
    ck_assert_int_eq(fut_unix_dgram_try_recv_from(&b, buf, sizeof buf, NULL),
                     -EAGAIN);
    ck_assert_int_eq(fut_unix_dgram_try_send_to(&a, big, 20, path_b, 0), 20);
    ck_assert_int_eq(fut_unix_dgram_try_recv_from(&b, buf, sizeof buf,
                                                  &info),
                     -EMSGSIZE);
    ck_assert_uint_eq(info.size, FUT__OS_LINUX ? 20 : sizeof buf);
    /* An unbound sender has no name; it cannot receive. */
    ck_assert_int_eq(fut_unix_dgram_open(&anon), 0);
    ck_assert_int_eq(dsend(&anon, "anon", 4, path_b, 0), 4);
    ck_assert_int_eq(drecv(&b, buf, sizeof buf, &info), 4);
    assert_name(&info.addr, info.addrlen, "", 0);
    ck_assert_int_eq(run_dgram_op(1, &anon, buf, sizeof buf, NULL, 0, NULL),
                     -ENOTCONN);
    ck_assert_int_eq(fut_unix_dgram_try_recv_from(&anon, buf, sizeof buf,
                                                  NULL),
                     -ENOTCONN);
    {
        struct fut_dgram_recv r;

        ck_assert_int_eq(fut_unix_dgram_recv_init(&r, &anon, buf, sizeof buf,
                                                  NULL),
                         -ENOTCONN);
    }
    /* Connected: send without a name. */
    ck_assert_int_eq(fut_unix_dgram_connect(&anon, path_b, 0), 0);
    ck_assert_int_eq(dsend(&anon, "conn", 4, NULL, 0), 4);
    ck_assert_int_eq(run_dgram_op(0, &anon, "conn2", 5, NULL, 0, NULL), 5);
    ck_assert_int_eq(drecv(&b, buf, sizeof buf, NULL), 4);
    ck_assert_int_eq(drecv(&b, buf, sizeof buf, NULL), 5);
    /* To a name nobody is bound at; to a peer that went away. */
    ck_assert_int_eq(dsend(&a, "x", 1, "/nonexistent/fut.sock", 0), -ENOENT);
    ck_assert_int_eq(fut_unix_dgram_close(&b), 0);
    ck_assert_int_eq(dsend(&anon, "x", 1, NULL, 0), -ECONNREFUSED);
    ck_assert_int_eq(dsend(&a, "x", 1, path_b, 0), -ECONNREFUSED);
    ck_assert_int_eq(fut_unix_dgram_close(&anon), 0);
    ck_assert_int_eq(fut_unix_dgram_close(&a), 0);
}
END_TEST

START_TEST(test_unix_dgram_abstract_and_pair)
{
    struct fut_unix_dgram a, b, p, q;
    struct fut_dgram_info info;
    char na[64], nb[64], buf[16];
    size_t la = abstract_name(na, sizeof na);
    size_t lb = abstract_name(nb, sizeof nb);

    ck_assert_int_eq(fut_unix_dgram_bind(&a, na, la, 0), 0);
    ck_assert_int_eq(fut_unix_dgram_bind(&b, nb, lb, 0), 0);
    ck_assert_int_eq(dsend(&a, "abs", 3, nb, lb), 3);
    ck_assert_int_eq(drecv(&b, buf, sizeof buf, &info), 3);
    assert_name(&info.addr, info.addrlen, na, la);
    ck_assert_int_eq(fut_unix_dgram_close(&a), 0);
    ck_assert_int_eq(fut_unix_dgram_close(&b), 0);
    /* A pair: both ends can send and receive, unnamed. */
    ck_assert_int_eq(fut_unix_dgram_pair(&p, &q), 0);
    ck_assert_int_eq(dsend(&p, "pq", 2, NULL, 0), 2);
    ck_assert_int_eq(drecv(&q, buf, sizeof buf, &info), 2);
    ck_assert_int_eq(dsend(&q, NULL, 0, NULL, 0), 0);
    ck_assert_int_eq(drecv(&p, buf, sizeof buf, &info), 0);
    /* Oversize: more than the send buffer can ever hold. */
    {
        static char huge[4 << 20];

        ck_assert_int_eq(dsend(&p, huge, sizeof huge, NULL, 0), -EMSGSIZE);
        ck_assert_int_eq(fut_unix_dgram_try_send_to(&p, huge, sizeof huge,
                                                    NULL, 0),
                         -EMSGSIZE);
        ck_assert_int_eq(fut_unix_dgram_try_recv_from(&q, buf, sizeof buf,
                                                      NULL),
                         -EAGAIN);
    }
    ck_assert_int_eq(fut_unix_dgram_close(&p), 0);
    ck_assert_int_eq(fut_unix_dgram_close(&q), 0);
}
END_TEST

/* ---- tests: bad input --------------------------------------------------------- */

START_TEST(test_unix_bad_input)
{
    struct fut_unix_listener l;
    struct fut_unix_stream s, closed;
    struct fut_unix_dgram d, dclosed;
    struct fut_unix_accept acc;
    struct fut_dgram_send ds;
    struct fut_dgram_recv dr;
    struct fut_unix_cred cred;
    struct sockaddr_storage ss;
    socklen_t len;
    struct fut_context cx = conf_noop_cx();
    char longp[200], buf[8], notdir[160];
    ssize_t res;
    int ires;

    memset(longp, 'p', sizeof longp);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    ck_assert_int_eq(fut_unix_stream_init(NULL), -EINVAL);
    ck_assert_int_eq(fut_unix_stream_init(&closed), 0);
    ck_assert_int_eq(fut_unix_dgram_init(NULL), -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_init(&dclosed), 0);
    /* Listener. */
    ck_assert_int_eq(fut_unix_listener_bind(NULL, path_a, 0, 0, 0), -EINVAL);
    ck_assert_int_eq(fut_unix_listener_bind(&l, NULL, 0, 0, 0), -EINVAL);
    ck_assert_int_eq(fut_unix_listener_bind(&l, longp, 0, 0, 0),
                     -ENAMETOOLONG);
    ck_assert_int_eq(fut_unix_listener_bind(&l, path_a, 0, 0, 1u << 9),
                     -EINVAL);
    ck_assert_int_eq(fut_unix_listener_bind(&l, "/nonexistent-dir/x.sock", 0,
                                            0, 0),
                     -ENOENT);
    snprintf(notdir, sizeof notdir, "%s/file", dir);
    ck_assert_int_eq(close(open(notdir, O_CREAT | O_WRONLY | O_CLOEXEC,
                                0600)),
                     0);
    snprintf(notdir, sizeof notdir, "%s/file/x.sock", dir);
    ck_assert_int_eq(fut_unix_listener_bind(&l, notdir, 0, 0, 0), -ENOTDIR);
    ck_assert_int_eq(l.io.fd, -1);
    ck_assert_int_eq(fut_unix_listener_close(&l), -EBADF);
    ck_assert_int_eq(fut_unix_listener_close(NULL), -EINVAL);
    ck_assert_int_eq(fut_unix_listener_local_addr(&l, &ss, &len), -EBADF);
    ck_assert_int_eq(fut_unix_listener_local_addr(NULL, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_unix_listener_poll_accept(&l, &cx, &s, &ires),
                     FUT_READY);
    ck_assert_int_eq(ires, -EBADF);
    ck_assert_int_eq(fut_unix_listener_poll_accept(NULL, &cx, &s, &ires),
                     FUT_READY);
    ck_assert_int_eq(ires, -EINVAL);
    ck_assert_int_eq(fut_unix_listener_poll_accept(&l, &cx, &s, NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_unix_accept_init(&acc, &l, NULL), -EINVAL);
    ck_assert_int_eq(fut_unix_accept_init(NULL, &l, &s), -EINVAL);
    ck_assert_int_eq(fut_unix_accept_init(&acc, &l, &s), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &acc.base), 0);
    ck_assert_int_eq(acc.res, -EBADF);
    fut_future_drop(&acc.base);
    /* Streams. */
    ck_assert_int_eq(fut_unix_stream_pair(NULL, &s), -EINVAL);
    ck_assert_int_eq(fut_unix_stream_pair(&s, &s), -EINVAL);
    ck_assert_int_eq(fut_unix_stream_peer_cred(&closed, &cred), -EBADF);
    ck_assert_int_eq(cred.pid, -1);
    ck_assert_int_eq(fut_unix_stream_peer_cred(NULL, &cred), -EINVAL);
    ck_assert_int_eq(fut_unix_stream_peer_cred(&closed, NULL), -EINVAL);
    ck_assert_int_eq(fut_unix_stream_local_addr(&closed, &ss, &len), -EBADF);
    ck_assert_int_eq(fut_unix_stream_peer_addr(&closed, &ss, &len), -EBADF);
    ck_assert_int_eq(fut_unix_stream_local_addr(NULL, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_unix_stream_peer_addr(NULL, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_unix_stream_shutdown(&closed, SHUT_WR), -EBADF);
    ck_assert_int_eq(fut_unix_stream_shutdown(&closed, 42), -EINVAL);
    ck_assert_int_eq(fut_unix_stream_shutdown(NULL, SHUT_WR), -EINVAL);
    ck_assert_int_eq(fut_unix_stream_close(&closed), -EBADF);
    ck_assert_int_eq(fut_unix_stream_close(NULL), -EINVAL);
    /* Datagram sockets. */
    ck_assert_int_eq(fut_unix_dgram_open(NULL), -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_bind(NULL, path_a, 0, 0), -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_bind(&d, longp, 0, 0), -ENAMETOOLONG);
    ck_assert_int_eq(fut_unix_dgram_bind(&d, path_a, 0, 1u << 5), -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_bind(&d, "", 0, 0), -EINVAL);
    ck_assert_int_eq(d.io.fd, -1);
    ck_assert_int_eq(fut_unix_dgram_pair(&d, NULL), -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_connect(&dclosed, path_a, 0), -EBADF);
    ck_assert_int_eq(fut_unix_dgram_connect(NULL, path_a, 0), -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_local_addr(&dclosed, &ss, &len), -EBADF);
    ck_assert_int_eq(fut_unix_dgram_local_addr(NULL, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_try_send_to(&dclosed, "x", 1, path_a, 0),
                     -EBADF);
    ck_assert_int_eq(fut_unix_dgram_try_recv_from(&dclosed, buf, 1, NULL),
                     -EBADF);
    ck_assert_int_eq(fut_unix_dgram_poll_recv_from(&dclosed, &cx, buf, 1,
                                                   NULL, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_unix_dgram_poll_send_to(&dclosed, &cx, "x", 1,
                                                 path_a, 0, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_unix_dgram_close(&dclosed), -EBADF);
    ck_assert_int_eq(fut_unix_dgram_close(NULL), -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_open(&d), 0);
    ck_assert_int_eq(fut_unix_dgram_connect(&d, longp, 0), -ENAMETOOLONG);
    ck_assert_int_eq(fut_unix_dgram_connect(&d, path_a, 0), -ENOENT);
    ck_assert_int_eq(fut_unix_dgram_try_send_to(&d, "x", 1, longp, 0),
                     -ENAMETOOLONG);
    ck_assert_int_eq(fut_unix_dgram_try_send_to(&d, NULL, 1, path_a, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_try_send_to(&d, "x", 1, NULL, 0),
                     -ENOTCONN);
    ck_assert_int_eq(fut_unix_dgram_try_send_to(NULL, "x", 1, path_a, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_try_recv_from(NULL, buf, 1, NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_poll_send_to(&d, &cx, "x", 1, longp, 0,
                                                 &res),
                     FUT_READY);
    ck_assert_int_eq(res, -ENAMETOOLONG);
    ck_assert_int_eq(fut_unix_dgram_poll_send_to(&d, NULL, "x", 1, path_a, 0,
                                                 &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_poll_recv_from(NULL, &cx, buf, 1, NULL,
                                                   &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_poll_recv_from(&d, &cx, buf, 1, NULL,
                                                   NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_unix_dgram_send_init(&ds, &d, "x", 1, longp, 0),
                     -ENAMETOOLONG);
    ck_assert_int_eq(fut_unix_dgram_send_init(&ds, NULL, "x", 1, path_a, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_send_init(&ds, &d, NULL, 1, path_a, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_recv_init(&dr, NULL, buf, 1, NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_recv_init(&dr, &d, NULL, 1, NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_unix_dgram_close(&d), 0);
}
END_TEST

/* ---- tests: readiness, then a syscall that never waits ------------------- */

/* Poll @s's readiness in @which until READY, turning conf_rt between polls;
 * returns the res. */
static int
wait_ready(struct fut_unix_stream *s, unsigned int which)
{
    struct test_waker tw;
    struct fut_context cx;
    enum fut_poll p;
    int res = 1;

    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    for (;;) {
        if (which == FUT_IO_READABLE)
            p = fut_unix_stream_poll_read_ready(s, &cx, &res);
        else
            p = fut_unix_stream_poll_write_ready(s, &cx, &res);
        if (p == FUT_READY)
            break;
        conf_turn_until_woken(&tw, tw.wakes);
    }
    ck_assert_int_eq(tw.live, 0);
    return res;
}

START_TEST(test_unix_try_bad_input)
{
    struct fut_unix_stream a, b, never;
    struct fut_context rcx = conf_noop_cx();
    char buf[4];
    int res;

    /* NULL arguments. */
    res = 1;
    ck_assert_int_eq(fut_unix_stream_poll_read_ready(NULL, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    res = 1;
    ck_assert_int_eq(fut_unix_stream_poll_write_ready(NULL, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_unix_stream_try_read(NULL, buf, sizeof buf),
                     -EINVAL);
    ck_assert_int_eq(fut_unix_stream_try_write(NULL, buf, sizeof buf),
                     -EINVAL);

    ck_assert_int_eq(fut_unix_stream_pair(&a, &b), 0);
    res = 1;
    ck_assert_int_eq(fut_unix_stream_poll_read_ready(&a, NULL, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    res = 1;
    ck_assert_int_eq(fut_unix_stream_poll_write_ready(&a, NULL, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_unix_stream_poll_read_ready(&a, &rcx, NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_unix_stream_poll_write_ready(&a, &rcx, NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_unix_stream_try_read(&a, NULL, 4), -EINVAL);
    ck_assert_int_eq(fut_unix_stream_try_write(&a, NULL, 4), -EINVAL);

    /* Zero length: 0, and no syscall (a read(2) would fail here). */
    fut__sys.read = conf_fault_read;
    fut__sys.send = conf_fault_send;
    conf_fault_set(-1, EIO, 2);
    ck_assert_int_eq(fut_unix_stream_try_read(&a, buf, 0), 0);
    ck_assert_int_eq(fut_unix_stream_try_read(&a, NULL, 0), 0);
    ck_assert_int_eq(fut_unix_stream_try_write(&a, buf, 0), 0);
    ck_assert_int_eq(fut_unix_stream_try_write(&a, NULL, 0), 0);
    ck_assert_int_eq(conf_fault_hits, 0);
    /* The syscall's error is the call's. */
    ck_assert_int_eq(fut_unix_stream_try_read(&a, buf, sizeof buf), -EIO);
    ck_assert_int_eq(fut_unix_stream_try_write(&a, "x", 1), -EIO);
    ck_assert_int_eq(conf_fault_hits, 2);
    fut__sys_reset();

    /* Closed. */
    ck_assert_int_eq(fut_unix_stream_close(&a), 0);
    res = 1;
    ck_assert_int_eq(fut_unix_stream_poll_read_ready(&a, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    res = 1;
    ck_assert_int_eq(fut_unix_stream_poll_write_ready(&a, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_unix_stream_try_read(&a, buf, sizeof buf), -EBADF);
    ck_assert_int_eq(fut_unix_stream_try_read(&a, buf, 0), -EBADF);
    ck_assert_int_eq(fut_unix_stream_try_write(&a, "x", 1), -EBADF);
    ck_assert_int_eq(fut_unix_stream_try_write(&a, "x", 0), -EBADF);

    /* Never opened. */
    ck_assert_int_eq(fut_unix_stream_init(&never), 0);
    ck_assert_int_eq(fut_unix_stream_try_read(&never, buf, sizeof buf),
                     -EBADF);
    ck_assert_int_eq(fut_unix_stream_try_write(&never, "x", 1), -EBADF);
    res = 1;
    ck_assert_int_eq(fut_unix_stream_poll_write_ready(&never, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_unix_stream_close(&b), 0);
}
END_TEST

/* Nothing there: -EAGAIN, and the readiness is cleared, so the next poll
 * waits for the backend. */
START_TEST(test_unix_try_read_eagain)
{
    struct fut_unix_stream a, b;
    struct fut_context cx;
    struct test_waker tw;
    char buf[8];
    int res;

    ck_assert_int_eq(fut_unix_stream_pair(&a, &b), 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(fut_unix_stream_try_read(&a, buf, sizeof buf), -EAGAIN);
    ck_assert_uint_eq(a.io.ready & FUT_IO_READABLE, 0);
    ck_assert_int_eq(fut_unix_stream_poll_read_ready(&a, &cx, &res),
                     FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    /* Closing drops the stored waker. */
    ck_assert_int_eq(fut_unix_stream_close(&a), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_unix_stream_close(&b), 0);
}
END_TEST

START_TEST(test_unix_read_ready_then_try_read)
{
    struct fut_unix_stream a, b;
    struct fut_context cx;
    struct test_waker tw;
    char buf[16];
    int res;

    ck_assert_int_eq(fut_unix_stream_pair(&a, &b), 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    /* Nothing sent: PENDING, with a clone of the waker in the stream. */
    ck_assert_int_eq(fut_unix_stream_poll_read_ready(&a, &cx, &res),
                     FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    /* Data arrives: the waker is woken (and so released). */
    ck_assert_int_eq(conf_write_all(&b.writer, "hello", 5), 0);
    conf_turn_until_woken(&tw, 0);
    ck_assert_int_eq(tw.live, 0);
    res = 1;
    ck_assert_int_eq(fut_unix_stream_poll_read_ready(&a, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    /* Asking consumed nothing: the bytes are all there. */
    ck_assert_int_eq(fut_unix_stream_try_read(&a, buf, sizeof buf), 5);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
    /* Emptied: the next poll waits (after one -EAGAIN where the backend
     * does not forget the readiness on a short read). */
    if (!(a.io.flags & FUT_IO_SHORT_READ_DRAINS))
        ck_assert_int_eq(fut_unix_stream_try_read(&a, buf, sizeof buf),
                         -EAGAIN);
    ck_assert_int_eq(fut_unix_stream_poll_read_ready(&a, &cx, &res),
                     FUT_PENDING);

    /* The write side: room, and the bytes reach the waiting reader. */
    ck_assert_int_eq(wait_ready(&b, FUT_IO_WRITABLE), 0);
    ck_assert_int_eq(fut_unix_stream_try_write(&b, "abc", 3), 3);
    conf_turn_until_woken(&tw, 1);
    ck_assert_int_eq(fut_unix_stream_poll_read_ready(&a, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(fut_unix_stream_try_read(&a, buf, sizeof buf), 3);
    ck_assert_int_eq(memcmp(buf, "abc", 3), 0);
    /* End of file, then a gone peer: 0, and -EPIPE with no SIGPIPE. */
    ck_assert_int_eq(fut_unix_stream_close(&b), 0);
    ck_assert_int_eq(conf_read_some(&a.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(fut_unix_stream_try_read(&a, buf, sizeof buf), 0);
    ck_assert_int_eq(fut_unix_stream_try_write(&a, "x", 1), -EPIPE);
    ck_assert_int_eq(fut_unix_stream_close(&a), 0);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* A peer that does not read: the socket fills up, the write that finds no
 * room says -EAGAIN and clears the readiness, and the wait for room ends
 * when the peer reads. */
START_TEST(test_unix_try_write_full)
{
    static unsigned char big[1 << 16];
    static unsigned char sink[1 << 16];
    struct fut_unix_stream a, b;
    struct fut_context cx;
    struct test_waker tw;
    size_t total = 0, drained = 0;
    ssize_t n;
    int res, i;

    ck_assert_int_eq(fut_unix_stream_pair(&a, &b), 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    for (i = 0; i < 100000; i++) {
        n = fut_unix_stream_try_write(&a, big, sizeof big);
        if (n == -EAGAIN)
            break;
        ck_assert_int_gt(n, 0);
        total += (size_t)n;
    }
    ck_assert_int_eq(n, -EAGAIN);
    ck_assert_uint_eq(a.io.ready & FUT_IO_WRITABLE, 0);
    ck_assert_int_eq(fut_unix_stream_poll_write_ready(&a, &cx, &res),
                     FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    while (drained < total) {
        n = conf_read_some(&b.reader, sink, sizeof sink);
        ck_assert_int_gt(n, 0);
        drained += (size_t)n;
    }
    conf_turn_until_woken(&tw, 0);
    res = 1;
    ck_assert_int_eq(fut_unix_stream_poll_write_ready(&a, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_unix_stream_try_write(&a, "z", 1), 1);
    ck_assert_int_eq(conf_read_some(&b.reader, sink, sizeof sink), 1);
    ck_assert_int_eq(fut_unix_stream_close(&a), 0);
    ck_assert_int_eq(fut_unix_stream_close(&b), 0);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

/* A plain blocking connect to @name, outside the runtime (a Unix connect
 * completes into the listener's backlog, no accept needed). */
static int
raw_connect(const char *name)
{
    struct sockaddr_un sun;
    socklen_t sunlen;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fut_unix_sockaddr(name, 0, &sun, &sunlen), 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sunlen), 0);
    return fd;
}

/*
 * Out of descriptors, the listener refuses the queued connection through
 * its spare descriptor and waits again, as a TCP listener does: the caller
 * sees no EMFILE, the peer sees its connection closed, and the next
 * connection is accepted. Without a spare (none could be opened) the
 * error is the caller's.
 */
START_TEST(test_unix_accept_emfile_refuses_connection)
{
    static const int errs[] = { EMFILE, ENFILE };
    struct fut_unix_listener l;
    struct fut_unix_stream s;
    struct fut_unix_accept a;
    char byte;
    size_t i;
    int fd;

    ck_assert_int_eq(fut_unix_listener_bind(&l, path_a, 0, 0, 0), 0);
    ck_assert_int_ge(l.spare, 0);
    fut__sys.accept4 = conf_fault_accept4;
    for (i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        fd = raw_connect(path_a);
        conf_fault_set(l.io.fd, errs[i], 1);
        ck_assert_int_eq(fut_unix_accept_init(&a, &l, &s), 0);
        /* It tried, met the fault, and waits again. */
        ck_assert_int_eq(conf_fault_probe(&a.base), 1);
        fut_future_drop(&a.base);
        ck_assert_int_eq(conf_fault_hits, 1);
        /* The spare is back, and the refused peer reads the close. */
        ck_assert_int_ge(l.spare, 0);
        ck_assert_int_le(read(fd, &byte, 1), 0);
        close(fd);
    }
    fd = raw_connect(path_a);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_eq(fut_unix_stream_close(&s), 0);
    close(fd);

    /* No spare, and none to be had: the caller gets -EMFILE, and the
     * connection stays queued for a later accept. */
    close(l.spare);
    l.spare = -1;
    fd = raw_connect(path_a);
    fut__sys.openat = conf_fault_openat;
    conf_fault_set(-1, EMFILE, 2);      /* the accept, the spare's reopen */
    ck_assert_int_eq(accept_one(&l, &s), -EMFILE);
    ck_assert_int_eq(conf_fault_hits, 2);
    ck_assert_int_eq(l.spare, -1);
    /* Descriptors back: the accept works, and the spare returns with the
     * next shortage. */
    ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_eq(fut_unix_stream_close(&s), 0);
    close(fd);
    ck_assert_int_eq(fut_unix_listener_close(&l), 0);
    ck_assert_int_eq(l.spare, -1);
}
END_TEST

/* The errors accept(2) says to treat like EAGAIN are retried inside. */
START_TEST(test_unix_accept_transient_errors_retried)
{
    static const int errs[] = { ECONNABORTED, EPROTO, EINTR };
    struct fut_unix_listener l;
    struct fut_unix_stream s;
    size_t i;
    int fd;

    ck_assert_int_eq(fut_unix_listener_bind(&l, path_a, 0, 0, 0), 0);
    fut__sys.accept4 = conf_fault_accept4;
    for (i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        fd = raw_connect(path_a);
        conf_fault_set(l.io.fd, errs[i], 1);
        ck_assert_msg(accept_one(&l, &s) == 0, "errno %d", errs[i]);
        ck_assert_int_eq(conf_fault_hits, 1);
        ck_assert_int_eq(fut_unix_stream_close(&s), 0);
        close(fd);
    }
    ck_assert_int_eq(fut_unix_listener_close(&l), 0);
}
END_TEST

/* ---- tests: cancellation is drop ---------------------------------------------- */

START_TEST(test_unix_accept_drop_after_n_polls)
{
    struct fut_unix_listener l;
    struct fut_unix_stream c, s;
    struct fut_unix_accept a;
    int ready;

    ck_assert_int_eq(fut_unix_listener_bind(&l, path_a, 0, 0, 0), 0);
    ck_assert_int_eq(fut_unix_accept_init(&a, &l, &s), 0);
    /* Nobody connects: pending until the drop. */
    ready = conf_drive(&a.base, _i);
    ck_assert_int_eq(ready, 0);
    fut_future_drop(&a.base);
    ck_assert_ptr_null(l.io.read_waker.vtable);
    /* Cancel-safe: a connection made after the drop is there to accept. */
    ck_assert_int_eq(connect_one(&c, path_a, 0, -1), 0);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_eq(fut_unix_stream_close(&s), 0);
    ck_assert_int_eq(fut_unix_stream_close(&c), 0);
    ck_assert_int_eq(fut_unix_listener_close(&l), 0);
}
END_TEST

START_TEST(test_unix_connect_drop_after_n_polls)
{
    struct fut_unix_listener l;
    struct fut_unix_stream c;
    struct fut_unix_connect conn;
    int fds[1024], n;

    /* A full backlog keeps the connect pending (retrying on its timer):
     * every drop lands mid-connect, with the timer armed or not. */
    ck_assert_int_eq(fut_unix_listener_bind(&l, path_a, 0, 1, 0), 0);
    n = fill_backlog(path_a, 0, fds, 1024);
    ck_assert_int_eq(fut_unix_stream_init(&c), 0);
    ck_assert_int_eq(fut_unix_connect_init(&conn, &c, path_a, 0,
                                           10 * FUT_NSEC_PER_SEC),
                     0);
    ck_assert_int_eq(conf_drive(&conn.base, _i), 0);
    fut_future_drop(&conn.base);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_uint_eq(fut__runtime_io_count(&conf_rt), 0);
    ck_assert_int_eq(fut_unix_stream_close(&c), -EBADF);
    close_fds(fds, n);
    ck_assert_int_eq(fut_unix_listener_close(&l), 0);
}
END_TEST

START_TEST(test_unix_read_drop_after_n_polls)
{
    struct fut_unix_stream a, b;
    struct fut_read r;
    char buf[8];

    ck_assert_int_eq(fut_unix_stream_pair(&a, &b), 0);
    ck_assert_int_eq(fut_read_init(&r, &a.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(conf_drive(&r.base, _i), 0);
    fut_future_drop(&r.base);
    ck_assert_ptr_null(a.io.read_waker.vtable);
    ck_assert_int_eq(conf_write_all(&b.writer, "after", 5), 0);
    ck_assert_int_eq(conf_read_some(&a.reader, buf, sizeof buf), 5);
    ck_assert_int_eq(fut_unix_stream_close(&a), 0);
    ck_assert_int_eq(fut_unix_stream_close(&b), 0);
}
END_TEST

START_TEST(test_unix_write_drop_after_n_polls)
{
    enum { BIG = 16 << 20 };
    static unsigned char big[BIG];
    struct fut_unix_stream a, b;
    struct fut_write_all w;
    char buf[8];

    ck_assert_int_eq(fut_unix_stream_pair(&a, &b), 0);
    ck_assert_int_eq(fut_write_all_init(&w, &a.writer, big, BIG), 0);
    ck_assert_int_eq(conf_drive(&w.base, _i), 0);
    fut_future_drop(&w.base);
    ck_assert_uint_lt(w.done, BIG);
    ck_assert_ptr_null(a.io.write_waker.vtable);
    /* Still usable: what the dropped write queued arrives, and the
     * stream writes again. */
    if (w.done > 0)
        ck_assert_int_ge(conf_read_some(&b.reader, buf, sizeof buf), 1);
    ck_assert_int_eq(fut_unix_stream_shutdown(&a, SHUT_RDWR), 0);
    ck_assert_int_eq(conf_write_all(&b.writer, "x", 1), -EPIPE);
    ck_assert_int_eq(fut_unix_stream_close(&a), 0);
    ck_assert_int_eq(fut_unix_stream_close(&b), 0);
}
END_TEST

START_TEST(test_unix_dgram_recv_drop_after_n_polls)
{
    struct fut_unix_dgram p, q;
    struct fut_dgram_recv r;
    char buf[8];

    ck_assert_int_eq(fut_unix_dgram_pair(&p, &q), 0);
    ck_assert_int_eq(fut_unix_dgram_recv_init(&r, &p, buf, sizeof buf, NULL),
                     0);
    ck_assert_int_eq(conf_drive(&r.base, _i), 0);
    fut_future_drop(&r.base);
    ck_assert_ptr_null(p.io.read_waker.vtable);
    ck_assert_int_eq(dsend(&q, "after", 5, NULL, 0), 5);
    ck_assert_int_eq(drecv(&p, buf, sizeof buf, NULL), 5);
    ck_assert_int_eq(fut_unix_dgram_close(&p), 0);
    ck_assert_int_eq(fut_unix_dgram_close(&q), 0);
}
END_TEST

/* The receiver does not read: its queue fills, and the send waits for
 * room (a real EAGAIN). Dropped there, it sent nothing. */
START_TEST(test_unix_dgram_send_drop_after_n_polls)
{
    struct fut_unix_dgram a, b;
    struct fut_dgram_send s;
    char buf[8];
    int queued = 0;
    ssize_t n;

    ck_assert_int_eq(fut_unix_dgram_bind(&b, path_b, 0, 0), 0);
    ck_assert_int_eq(fut_unix_dgram_open(&a), 0);
    ck_assert_int_eq(fut_unix_dgram_connect(&a, path_b, 0), 0);
    while ((n = fut_unix_dgram_try_send_to(&a, "f", 1, NULL, 0)) == 1)
        queued++;
    ck_assert_int_eq(n, -EAGAIN);
    ck_assert_int_gt(queued, 0);
    ck_assert_int_eq(fut_unix_dgram_send_init(&s, &a, "last", 4, NULL, 0), 0);
    ck_assert_int_eq(conf_drive(&s.base, _i), 0);
    fut_future_drop(&s.base);
    ck_assert_ptr_null(a.io.write_waker.vtable);
    /* Drain: exactly what was queued, not the dropped "last". */
    while (fut_unix_dgram_try_recv_from(&b, buf, sizeof buf, NULL) == 1)
        queued--;
    ck_assert_int_eq(queued, 0);
    /* Room again: a send completes (it is woken by the drain). */
    ck_assert_int_eq(dsend(&a, "last", 4, NULL, 0), 4);
    ck_assert_int_eq(drecv(&b, buf, sizeof buf, NULL), 4);
    ck_assert_int_eq(fut_unix_dgram_close(&a), 0);
    ck_assert_int_eq(fut_unix_dgram_close(&b), 0);
}
END_TEST

static TCase *
unix_case(const char *name, int timeout)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, unix_setup, unix_teardown);
    tcase_set_timeout(tc, timeout);
    return tc;
}

Suite *
fut_conf_unix_suite(void)
{
    Suite *s = suite_create("unix");
    TCase *tc;

    tc = unix_case("stream", 30);
    tcase_add_test(tc, test_unix_sockaddr);
    tcase_add_test(tc, test_unix_stream_path);
    tcase_add_test(tc, test_unix_stream_abstract);
    tcase_add_test(tc, test_unix_stale_file);
    tcase_add_test(tc, test_unix_stream_pair);
    tcase_add_test(tc, test_unix_connect_errors);
    tcase_add_test(tc, test_unix_connect_backlog_full);
    suite_add_tcase(s, tc);

    tc = unix_case("try_io", 30);
    tcase_add_test(tc, test_unix_try_bad_input);
    tcase_add_test(tc, test_unix_try_read_eagain);
    tcase_add_test(tc, test_unix_read_ready_then_try_read);
    tcase_add_test(tc, test_unix_try_write_full);
    suite_add_tcase(s, tc);

    tc = unix_case("dgram", 30);
    tcase_add_test(tc, test_unix_dgram_paths);
    tcase_add_test(tc, test_unix_dgram_abstract_and_pair);
    suite_add_tcase(s, tc);

    tc = unix_case("errors", 10);
    tcase_add_test(tc, test_unix_bad_input);
    tcase_add_test(tc, test_unix_accept_emfile_refuses_connection);
    tcase_add_test(tc, test_unix_accept_transient_errors_retried);
    suite_add_tcase(s, tc);

    tc = unix_case("drop", 30);
    tcase_add_loop_test(tc, test_unix_accept_drop_after_n_polls, 0, 4);
    tcase_add_loop_test(tc, test_unix_connect_drop_after_n_polls, 0, 5);
    tcase_add_loop_test(tc, test_unix_read_drop_after_n_polls, 0, 4);
    tcase_add_loop_test(tc, test_unix_write_drop_after_n_polls, 0, 5);
    tcase_add_loop_test(tc, test_unix_dgram_recv_drop_after_n_polls, 0, 4);
    tcase_add_loop_test(tc, test_unix_dgram_send_drop_after_n_polls, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}
