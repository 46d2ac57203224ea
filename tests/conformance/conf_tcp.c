/* SPDX-License-Identifier: MIT */
/* Conformance: TCP listeners, streams and connects over the reactor. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conformance.h"
#include "internal.h"

/* ---- fixture and helpers ------------------------------------------------- */

/* Bind @l to @host port 0; its address goes to @ss / @len. */
static int
listen_on(struct fut_tcp_listener *l, const char *host, int backlog,
          struct sockaddr_storage *ss, socklen_t *len)
{
    int err = fut_sockaddr_parse(host, 0, ss, len);

    if (err == 0)
        err = fut_tcp_listener_bind(l, (struct sockaddr *)ss, *len, backlog);
    if (err == 0)
        err = fut_tcp_listener_local_addr(l, ss, len);
    return err;
}

static unsigned int
port_of(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* A plain blocking connect, outside the runtime (the kernel completes the
 * handshake from the listener's backlog, no accept needed). */
static int
raw_connect(const struct sockaddr_storage *ss, socklen_t len)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (const struct sockaddr *)ss, len), 0);
    return fd;
}

/* Accept one connection with the accept future, driven by the runtime. */
static int
accept_one(struct fut_tcp_listener *l, struct fut_tcp_stream *out)
{
    struct fut_tcp_accept a;
    int res;

    ck_assert_int_eq(fut_tcp_accept_init(&a, l, out), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &a.base), 0);
    res = a.res;
    ck_assert_int_eq(fut_future_result(&a.base), res);
    fut_future_drop(&a.base);
    return res;
}

/* Connect with the connect future, driven by the runtime. */
static int
connect_one(struct fut_tcp_stream *s, const struct sockaddr_storage *ss,
            socklen_t len, int64_t timeout_ns)
{
    struct fut_tcp_connect c;
    int res;

    ck_assert_int_eq(fut_tcp_stream_init(s), 0);
    ck_assert_int_eq(fut_tcp_connect_init(&c, s, (const struct sockaddr *)ss,
                                          len, timeout_ns), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &c.base), 0);
    res = c.res;
    ck_assert_int_eq(fut_future_result(&c.base), res);
    fut_future_drop(&c.base);
    return res;
}

/* A connected pair: @client made by the connect future, @server accepted. */
static void
make_pair(struct fut_tcp_listener *l, struct fut_tcp_stream *client,
          struct fut_tcp_stream *server)
{
    struct sockaddr_storage ss;
    socklen_t len;

    ck_assert_int_eq(listen_on(l, "127.0.0.1", 0, &ss, &len), 0);
    ck_assert_int_eq(connect_one(client, &ss, len, -1), 0);
    ck_assert_int_eq(accept_one(l, server), 0);
}

static void
raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---- echo tasks (shared by the echo tests) ------------------------------- */

struct echo_stats {
    int accepted;
    int served;         /* server tasks that reached EOF cleanly */
    int clients_ok;
    int failures;
    long round_trips;
    int short_writes;   /* try_echo_task: writes the kernel took in part */
};

/* Server side of one connection: echo until EOF. */
struct echo_task {
    struct fut_future base;
    int state;
    struct echo_stats *stats;
    struct fut_tcp_stream s;
    int open;
    ssize_t got, res;
    size_t off;
    unsigned char buf[512];
};

static enum fut_poll
echo_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct echo_task *e = (struct echo_task *)f;

    FUT_ASYNC_BEGIN(&e->state);
    for (;;) {
        FUT_AWAIT(&e->state,
                  fut_async_read_poll_read(&e->s.reader, cx, e->buf,
                                           sizeof e->buf, &e->got));
        if (e->got < 0)
            e->stats->failures++;
        if (e->got <= 0)
            break;
        for (e->off = 0; e->off < (size_t)e->got; e->off += (size_t)e->res) {
            FUT_AWAIT(&e->state,
                      fut_async_write_poll_write(&e->s.writer, cx,
                                                 e->buf + e->off,
                                                 (size_t)e->got - e->off,
                                                 &e->res));
            if (e->res <= 0) {
                e->stats->failures++;
                goto out;
            }
        }
    }
    e->stats->served++;
out:
    (void)fut_tcp_stream_close(&e->s);
    e->open = 0;
    FUT_ASYNC_END(&e->state);
}

static void
echo_task_drop(struct fut_future *f)
{
    struct echo_task *e = (struct echo_task *)f;

    if (e->open)
        (void)fut_tcp_stream_close(&e->s);
    e->open = 0;
}

static const struct fut_future_vtable echo_task_vtable = {
    .poll = echo_task_poll,
    .drop = echo_task_drop,
    .result = NULL,
};

/*
 * Server side of one connection without a buffer of its own (the pattern
 * of examples/echo-server --lean): await readiness, try_read into one
 * buffer shared by every task, try_write it back, and keep only what the
 * kernel would not take yet. The shared buffer is smaller than the
 * clients' messages, so reads fill it (readiness kept) as well as fall
 * short (readiness forgotten where the backend allows).
 */
static unsigned char shared_buf[512];

struct try_echo_task {
    struct fut_future base;
    int state;
    int err;
    struct echo_stats *stats;
    struct fut_tcp_stream s;
    unsigned char *unsent;      /* malloc'd, NULL when all was written */
    size_t unsent_len, unsent_off;
};

/* Echo shared_buf[0..n); returns 0 or -errno. */
static int
try_echo_write(struct try_echo_task *e, size_t n)
{
    ssize_t w = fut_tcp_stream_try_write(&e->s, shared_buf, n);

    if (w == -EAGAIN)
        w = 0;
    if (w < 0)
        return (int)w;
    if ((size_t)w == n)
        return 0;
    e->unsent = malloc(n - (size_t)w);
    ck_assert_ptr_nonnull(e->unsent);
    memcpy(e->unsent, shared_buf + w, n - (size_t)w);
    e->unsent_len = n - (size_t)w;
    e->unsent_off = 0;
    e->stats->short_writes++;
    return 0;
}

static enum fut_poll
try_echo_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct try_echo_task *e = (struct try_echo_task *)f;
    ssize_t n;

    FUT_ASYNC_BEGIN(&e->state);
    for (;;) {
        FUT_AWAIT(&e->state,
                  fut_tcp_stream_poll_read_ready(&e->s, cx, &e->err));
        if (e->err != 0) {
            e->stats->failures++;
            goto out;
        }
        n = fut_tcp_stream_try_read(&e->s, shared_buf, sizeof shared_buf);
        if (n == -EAGAIN)
            continue;
        if (n < 0)
            e->stats->failures++;
        if (n <= 0)
            break;
        if (try_echo_write(e, (size_t)n) != 0) {
            e->stats->failures++;
            goto out;
        }
        while (e->unsent != NULL) {
            FUT_AWAIT(&e->state,
                      fut_tcp_stream_poll_write_ready(&e->s, cx, &e->err));
            if (e->err != 0) {
                e->stats->failures++;
                goto out;
            }
            n = fut_tcp_stream_try_write(&e->s, e->unsent + e->unsent_off,
                                         e->unsent_len - e->unsent_off);
            if (n == -EAGAIN)
                continue;
            if (n <= 0) {
                e->stats->failures++;
                goto out;
            }
            e->unsent_off += (size_t)n;
            if (e->unsent_off == e->unsent_len) {
                free(e->unsent);
                e->unsent = NULL;
            }
        }
    }
    e->stats->served++;
out:
    free(e->unsent);
    e->unsent = NULL;
    (void)fut_tcp_stream_close(&e->s);
    FUT_ASYNC_END(&e->state);
}

static void
try_echo_task_drop(struct fut_future *f)
{
    struct try_echo_task *e = (struct try_echo_task *)f;

    free(e->unsent);
    e->unsent = NULL;
    (void)fut_tcp_stream_close(&e->s);
}

static const struct fut_future_vtable try_echo_task_vtable = {
    .poll = try_echo_task_poll,
    .drop = try_echo_task_drop,
    .result = NULL,
};

/* Accepts @remaining connections, spawning an echo_task for each (a
 * try_echo_task when @try_io is set). */
struct acceptor {
    struct fut_future base;
    int state;
    struct echo_stats *stats;
    struct fut_tcp_listener *l;
    int remaining;
    int try_io;
    struct fut_tcp_stream s;
    int res;
};

static int
spawn_try_echo(struct fut_runtime *rt, struct echo_stats *stats,
               const struct fut_tcp_stream *s)
{
    struct try_echo_task t;

    memset(&t, 0, sizeof t);
    t.base.vtable = &try_echo_task_vtable;
    t.stats = stats;
    t.s = *s;           /* never polled: may still move */
    return FUT_SPAWN(rt, &t, NULL);
}

static enum fut_poll
acceptor_poll(struct fut_future *f, struct fut_context *cx)
{
    struct acceptor *a = (struct acceptor *)f;
    struct echo_task e;

    FUT_ASYNC_BEGIN(&a->state);
    while (a->remaining > 0) {
        FUT_AWAIT(&a->state,
                  fut_tcp_listener_poll_accept(a->l, cx, &a->s, &a->res));
        if (a->res != 0) {
            a->stats->failures++;
            break;
        }
        a->remaining--;
        a->stats->accepted++;
        if (a->try_io) {
            if (spawn_try_echo(cx->rt, a->stats, &a->s) != 0) {
                (void)fut_tcp_stream_close(&a->s);
                a->stats->failures++;
            }
            continue;
        }
        memset(&e, 0, offsetof(struct echo_task, buf));
        e.base.vtable = &echo_task_vtable;
        e.stats = a->stats;
        e.s = a->s;         /* never polled: may still move */
        e.open = 1;
        if (FUT_SPAWN(cx->rt, &e, NULL) != 0) {
            (void)fut_tcp_stream_close(&a->s);
            a->stats->failures++;
        }
    }
    FUT_ASYNC_END(&a->state);
}

static void
acceptor_drop(struct fut_future *f)
{
    /* Each accepted stream moves into its task at once: nothing to free. */
    (void)f;
}

static const struct fut_future_vtable acceptor_vtable = {
    .poll = acceptor_poll,
    .drop = acceptor_drop,
    .result = NULL,
};

/* Client side: connect, then @messages round trips of @size bytes, each
 * byte checked, then close. */
#define CLIENT_MAX_SIZE 4096

struct client_task {
    struct fut_future base;
    int state;
    struct echo_stats *stats;
    const struct sockaddr_storage *addr;
    socklen_t addrlen;
    int id;
    int messages, i;
    size_t size, off;
    ssize_t res;
    struct fut_tcp_connect connect;
    struct fut_tcp_stream s;
    int open;
    unsigned char tx[CLIENT_MAX_SIZE];
    unsigned char rx[CLIENT_MAX_SIZE];
};

static enum fut_poll
client_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct client_task *c = (struct client_task *)f;
    size_t k;

    FUT_ASYNC_BEGIN(&c->state);
    ck_assert_int_eq(fut_tcp_stream_init(&c->s), 0);
    ck_assert_int_eq(fut_tcp_connect_init(&c->connect, &c->s,
                                          (const struct sockaddr *)c->addr,
                                          c->addrlen, 20 * FUT_NSEC_PER_SEC),
                     0);
    FUT_AWAIT_FUTURE(&c->state, &c->connect.base, cx);
    if (c->connect.res != 0) {
        fprintf(stderr, "# client %d: connect: %s\n", c->id,
                fut_strerror(c->connect.res));
        c->stats->failures++;
        FUT_ASYNC_RETURN(&c->state);
    }
    c->open = 1;
    fut_future_drop(&c->connect.base);
    for (c->i = 0; c->i < c->messages; c->i++) {
        for (k = 0; k < c->size; k++)
            c->tx[k] = (unsigned char)(c->id * 131 + c->i * 17 + (int)k);
        for (c->off = 0; c->off < c->size; c->off += (size_t)c->res) {
            FUT_AWAIT(&c->state,
                      fut_async_write_poll_write(&c->s.writer, cx,
                                                 c->tx + c->off,
                                                 c->size - c->off, &c->res));
            if (c->res <= 0)
                goto fail;
        }
        memset(c->rx, 0, c->size);
        for (c->off = 0; c->off < c->size; c->off += (size_t)c->res) {
            FUT_AWAIT(&c->state,
                      fut_async_read_poll_read(&c->s.reader, cx,
                                               c->rx + c->off,
                                               c->size - c->off, &c->res));
            if (c->res <= 0)
                goto fail;
        }
        if (memcmp(c->tx, c->rx, c->size) != 0)
            goto fail;
        c->stats->round_trips++;
    }
    c->stats->clients_ok++;
    (void)fut_tcp_stream_close(&c->s);
    c->open = 0;
    FUT_ASYNC_RETURN(&c->state);
fail:
    fprintf(stderr, "# client %d: message %d: res %zd\n", c->id, c->i,
            c->res);
    c->stats->failures++;
    (void)fut_tcp_stream_close(&c->s);
    c->open = 0;
    FUT_ASYNC_END(&c->state);
}

static void
client_task_drop(struct fut_future *f)
{
    struct client_task *c = (struct client_task *)f;

    fut_future_drop(&c->connect.base);
    if (c->open)
        (void)fut_tcp_stream_close(&c->s);
    c->open = 0;
}

static const struct fut_future_vtable client_task_vtable = {
    .poll = client_task_poll,
    .drop = client_task_drop,
    .result = NULL,
};

static void
spawn_client(struct echo_stats *stats, const struct sockaddr_storage *ss,
             socklen_t len, int id, int messages, size_t size)
{
    static struct client_task c;    /* too big for comfort on the stack */

    ck_assert_uint_le(size, CLIENT_MAX_SIZE);
    memset(&c, 0, offsetof(struct client_task, tx));
    c.base.vtable = &client_task_vtable;
    c.stats = stats;
    c.addr = ss;
    c.addrlen = len;
    c.id = id;
    c.messages = messages;
    c.size = size;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &c, NULL), 0);
}

/* Echo @conns clients x @messages round trips of @size bytes through one
 * listener on @host, server and clients in the same runtime; the server's
 * tasks are echo_tasks, or try_echo_tasks when @try_io is set. Returns 0,
 * or -EAFNOSUPPORT / -EADDRNOTAVAIL when @host cannot be bound. */
static int
run_echo_with(const char *host, int conns, int messages, size_t size,
              int try_io, struct echo_stats *out)
{
    struct fut_tcp_listener l;
    struct sockaddr_storage ss;
    socklen_t len;
    struct echo_stats stats;
    struct acceptor a;
    int i, err;

    memset(&stats, 0, sizeof stats);
    err = listen_on(&l, host, 0, &ss, &len);
    if (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL)
        return err;
    ck_assert_int_eq(err, 0);
    memset(&a, 0, sizeof a);
    a.base.vtable = &acceptor_vtable;
    a.stats = &stats;
    a.l = &l;
    a.remaining = conns;
    a.try_io = try_io;
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &a, NULL), 0);
    for (i = 0; i < conns; i++)
        spawn_client(&stats, &ss, len, i, messages, size);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(stats.failures, 0);
    ck_assert_int_eq(stats.accepted, conns);
    ck_assert_int_eq(stats.served, conns);
    ck_assert_int_eq(stats.clients_ok, conns);
    ck_assert_int_eq(stats.round_trips, (long)conns * messages);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    if (out != NULL)
        *out = stats;
    return 0;
}

static int
run_echo(const char *host, int conns, int messages, size_t size)
{
    return run_echo_with(host, conns, messages, size, 0, NULL);
}

/* ---- fault injection ----------------------------------------------------- */

/* A signal that lands in connect(2): the connect has started, but the call
 * says EINTR. */
static int
fault_connect_eintr(int fd, const struct sockaddr *addr, socklen_t len)
{
    int r = conf_real_sys.connect(fd, addr, len);

    if ((r == 0 || errno == EINPROGRESS) && conf_fault_now(fd)) {
        errno = EINTR;
        return -1;
    }
    return r;
}

static int
fault_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    if (op == EPOLL_CTL_ADD && conf_fault_now(fd))
        return -1;
    return conf_real_sys.epoll_ctl(epfd, op, fd, ev);
}

static int
fault_epoll_wait(int epfd, struct epoll_event *ev, int max, int ms)
{
    return conf_fault_now(-1) ? -1 : conf_real_sys.epoll_wait(epfd, ev, max, ms);
}

/* ---- tests: addresses, bind, accept, connect ----------------------------- */

START_TEST(test_tcp_sockaddr_parse)
{
    struct sockaddr_storage ss;
    socklen_t len;

    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 8080, &ss, &len), 0);
    ck_assert_int_eq(ss.ss_family, AF_INET);
    ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
    ck_assert_uint_eq(port_of(&ss), 8080);
    ck_assert_uint_eq(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr),
                      0x7f000001u);
    ck_assert_int_eq(fut_sockaddr_parse("::1", 65535, &ss, &len), 0);
    ck_assert_int_eq(ss.ss_family, AF_INET6);
    ck_assert_uint_eq(len, sizeof(struct sockaddr_in6));
    ck_assert_uint_eq(port_of(&ss), 65535);
    ck_assert_int_eq(fut_sockaddr_parse("0.0.0.0", 0, &ss, &len), 0);

    ck_assert_int_eq(fut_sockaddr_parse("localhost", 1, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_sockaddr_parse("1.2.3", 1, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_sockaddr_parse("", 1, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 65536, &ss, &len),
                     -EINVAL);
    ck_assert_int_eq(fut_sockaddr_parse(NULL, 1, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_sockaddr_parse("::1", 1, NULL, &len), -EINVAL);
    ck_assert_int_eq(fut_sockaddr_parse("::1", 1, &ss, NULL), -EINVAL);
}
END_TEST

/* Skips the calling test when @host (a loopback address) cannot be bound
 * here: no IPv6, or no ::1 on the loopback interface. */
static void
skip_without_loopback(const char *host)
{
    struct fut_tcp_listener l;
    struct sockaddr_storage ss;
    socklen_t len;
    int err = listen_on(&l, host, 1, &ss, &len);
    char why[128];

    if (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL) {
        snprintf(why, sizeof why, "no %s loopback here (%s)", host,
                 fut_strerror(err));
        CONF_SKIP(why);
    }
    ck_assert_int_eq(err, 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}

static void
check_accept_connect(const char *host)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct sockaddr_storage ss, a, b;
    socklen_t len, alen, blen;
    int err, v = 0;
    socklen_t vlen = sizeof v;

    skip_without_loopback(host);
    err = listen_on(&l, host, 16, &ss, &len);
    ck_assert_int_eq(err, 0);
    ck_assert_uint_ne(port_of(&ss), 0);

    ck_assert_int_eq(connect_one(&c, &ss, len, 5 * FUT_NSEC_PER_SEC), 0);
    ck_assert_int_eq(accept_one(&l, &s), 0);

    /* Each end sees the other's address. */
    ck_assert_int_eq(fut_tcp_stream_peer_addr(&c, &a, &alen), 0);
    ck_assert_uint_eq(alen, len);
    ck_assert_int_eq(memcmp(&a, &ss, len), 0);
    ck_assert_int_eq(fut_tcp_stream_local_addr(&c, &a, &alen), 0);
    ck_assert_int_eq(fut_tcp_stream_peer_addr(&s, &b, &blen), 0);
    ck_assert_uint_eq(alen, blen);
    ck_assert_int_eq(memcmp(&a, &b, alen), 0);
    ck_assert_int_eq(fut_tcp_stream_local_addr(&s, &b, &blen), 0);
    ck_assert_uint_eq(port_of(&b), port_of(&ss));

    ck_assert_int_eq(fut_tcp_stream_set_nodelay(&c, 1), 0);
    ck_assert_int_eq(getsockopt(c.io.fd, IPPROTO_TCP, TCP_NODELAY, &v, &vlen),
                     0);
    ck_assert_int_ne(v, 0);
    ck_assert_int_eq(fut_tcp_stream_set_nodelay(&c, 0), 0);
    ck_assert_int_eq(getsockopt(c.io.fd, IPPROTO_TCP, TCP_NODELAY, &v, &vlen),
                     0);
    ck_assert_int_eq(v, 0);

    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}

START_TEST(test_tcp_accept_connect_v4)
{
    check_accept_connect("127.0.0.1");
}
END_TEST

START_TEST(test_tcp_accept_connect_v6)
{
    check_accept_connect("::1");
}
END_TEST

START_TEST(test_tcp_bind_in_use)
{
    struct fut_tcp_listener l, l2;
    struct sockaddr_storage ss;
    socklen_t len;

    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    ck_assert_int_eq(fut_tcp_listener_bind(&l2, (struct sockaddr *)&ss, len,
                                           0), -EADDRINUSE);
    /* A failed bind leaves a closed listener behind. */
    ck_assert_int_eq(fut_tcp_listener_close(&l2), -EBADF);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), -EBADF);
}
END_TEST

START_TEST(test_tcp_from_fd)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream s, c;
    struct sockaddr_storage ss;
    socklen_t len;
    char buf[8];
    int fd;

    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    fd = raw_connect(&ss, len);     /* blocking: from_fd makes it not */
    ck_assert_int_eq(fut_tcp_stream_from_fd(&c, fd), 0);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_eq(conf_write_all(&s.writer, "ping", 4), 0);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 4);
    ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* ---- tests: data --------------------------------------------------------- */

START_TEST(test_tcp_echo_round_trip)
{
    /* 3000 bytes a message: more than the server's 512-byte buffer, so
     * both sides see short reads. */
    ck_assert_int_eq(run_echo("127.0.0.1", 1, 50, 3000), 0);
}
END_TEST

START_TEST(test_tcp_echo_round_trip_v6)
{
    skip_without_loopback("::1");
    ck_assert_int_eq(run_echo("::1", 2, 10, 100), 0);
}
END_TEST

START_TEST(test_tcp_echo_1000_connections)
{
    int64_t t0 = fut_now_ns();

    raise_nofile();
    ck_assert_int_eq(run_echo("127.0.0.1", 1000, 4, 128), 0);
    fprintf(stderr, "# 1000 echo connections in %.3f s\n",
            (double)(fut_now_ns() - t0) / 1e9);
}
END_TEST

START_TEST(test_tcp_readv_writev)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct fut_context cx;
    struct test_waker tw;
    struct iovec iov[3];
    char a[3], b[4], out[16];
    ssize_t res = 0;
    int i;

    make_pair(&l, &c, &s);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    iov[0].iov_base = "abc";
    iov[0].iov_len = 3;
    iov[1].iov_base = "";
    iov[1].iov_len = 0;
    iov[2].iov_base = "defg";
    iov[2].iov_len = 4;
    /* Polled by hand: a fresh socket has room, so at most one reactor turn
     * (to learn about it) lies between PENDING and READY. */
    for (i = 0; i < 100; i++) {
        if (fut_async_write_poll_writev(&c.writer, &cx, iov, 3, &res) ==
            FUT_READY)
            break;
        ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 0);
        usleep(1000);
    }
    ck_assert_int_eq(res, 7);
    iov[0].iov_base = a;
    iov[0].iov_len = sizeof a;
    iov[1].iov_base = b;
    iov[1].iov_len = sizeof b;
    for (i = 0; i < 100; i++) {
        if (fut_async_read_poll_readv(&s.reader, &cx, iov, 2, &res) ==
            FUT_READY)
            break;
        ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 0);
        usleep(1000);
    }
    ck_assert_int_gt(res, 0);
    ck_assert_int_le(res, 7);
    memcpy(out, a, 3);
    memcpy(out + 3, b, 4);
    ck_assert_int_eq(memcmp(out, "abcdefg", (size_t)res), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_tcp_eof_after_shutdown)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct fut_shutdown sd;
    char buf[16];
    ssize_t n;
    size_t got = 0;

    make_pair(&l, &c, &s);
    ck_assert_int_eq(conf_write_all(&s.writer, "bye", 3), 0);
    /* poll_close shuts the write side down: the peer reads the bytes, then
     * end of file, and can still write back. */
    ck_assert_int_eq(fut_shutdown_init(&sd, &s.writer), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &sd.base), 0);
    ck_assert_int_eq(sd.res, 0);
    fut_future_drop(&sd.base);
    while (got < 3) {
        n = conf_read_some(&c.reader, buf + got, sizeof buf - got);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
    }
    ck_assert_int_eq(memcmp(buf, "bye", 3), 0);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 0);    /* and again */
    ck_assert_int_eq(conf_write_all(&c.writer, "ok", 2), 0);
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 2);

    /* The other way, with fut_tcp_stream_shutdown(). */
    ck_assert_int_eq(fut_tcp_stream_shutdown(&c, SHUT_WR), 0);
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* Counts read(2) calls made through the core's syscall table. */
static int reads_made;

static ssize_t
counting_read(int fd, void *buf, size_t len)
{
    reads_made++;
    return conf_real_sys.read(fd, buf, len);
}

/*
 * A read that returns less than it asked for has emptied the socket: the
 * next read waits for the backend instead of paying a read(2) that would
 * only say EAGAIN. End of file must survive that: data and FIN that arrive
 * together are reported once by an edge-triggered backend, and the read
 * after the short one must still see end of file, not wait forever.
 */
START_TEST(test_tcp_short_read_drains)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    char buf[64];
    int before;

    make_pair(&l, &c, &s);
    fut__sys.read = counting_read;
    ck_assert_int_eq(conf_write_all(&s.writer, "abc", 3), 0);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 3);
    ck_assert_int_eq(memcmp(buf, "abc", 3), 0);

    /* The next read: one read(2), the one that returns the new bytes. */
    ck_assert_int_eq(conf_write_all(&s.writer, "defg", 4), 0);
    before = reads_made;
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 4);
    ck_assert_int_eq(memcmp(buf, "defg", 4), 0);
    ck_assert_int_eq(reads_made - before, 1);

    /* A full read keeps readiness: what is left comes without a wait. */
    ck_assert_int_eq(conf_write_all(&s.writer, "0123456789", 10), 0);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, 4), 4);
    ck_assert_int_eq(conf_read_some(&c.reader, buf + 4, sizeof buf - 4), 6);
    ck_assert_int_eq(memcmp(buf, "0123456789", 10), 0);

    /* Data and end of file together, before the reader looks. */
    ck_assert_int_eq(conf_write_all(&s.writer, "hi", 2), 0);
    ck_assert_int_eq(fut_tcp_stream_shutdown(&s, SHUT_WR), 0);
    usleep(2000);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 2);
    ck_assert_int_eq(memcmp(buf, "hi", 2), 0);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 0);

    /* The other way: the reader waits first, then data and FIN arrive. */
    {
        struct fut_read r;

        ck_assert_int_eq(fut_read_init(&r, &s.reader, buf, sizeof buf), 0);
        ck_assert_int_eq(conf_drive(&r.base, 3), 0);
        ck_assert_int_eq(conf_write_all(&c.writer, "yo", 2), 0);
        ck_assert_int_eq(fut_tcp_stream_shutdown(&c, SHUT_WR), 0);
        usleep(2000);
        ck_assert_int_eq(fut_block_on(&conf_rt, &r.base), 0);
        ck_assert_int_eq(r.res, 2);
        fut_future_drop(&r.base);
        ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 0);
    }
    fut__sys.read = conf_real_sys.read;
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_write_after_peer_close)
{
    static unsigned char big[1 << 16];
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    int res, i;

    make_pair(&l, &c, &s);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    /* The first write may be accepted; the peer's reset then fails the
     * next ones with EPIPE or ECONNRESET, and no SIGPIPE kills us. */
    for (i = 0; i < 50; i++) {
        res = conf_write_all(&c.writer, big, sizeof big);
        if (res != 0)
            break;
        usleep(1000);
    }
    ck_assert(res == -EPIPE || res == -ECONNRESET);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* ---- tests: errors ------------------------------------------------------- */

START_TEST(test_tcp_connect_refused)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c;
    struct sockaddr_storage ss;
    socklen_t len;
    char buf[4];

    /* A port that was just free: bind, learn it, close. */
    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    ck_assert_int_eq(connect_one(&c, &ss, len, -1), -ECONNREFUSED);
    /* The stream is not open and nothing stays registered. */
    ck_assert_uint_eq(fut__runtime_io_count(&conf_rt), 0);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), -EBADF);
    ck_assert_int_eq(fut_tcp_stream_close(&c), -EBADF);
    /* Again with a deadline: the timer goes with the failure. */
    ck_assert_int_eq(connect_one(&c, &ss, len, 10 * FUT_NSEC_PER_SEC),
                     -ECONNREFUSED);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
}
END_TEST

/* A listener with a backlog of 1 that never accepts, filled up: the kernel
 * drops further SYNs, so a connect to it hangs until its deadline. */
static void
fill_backlog(struct fut_tcp_listener *l, struct sockaddr_storage *ss,
             socklen_t *len, int *fds, int nfds)
{
    int i;

    ck_assert_int_eq(listen_on(l, "127.0.0.1", 1, ss, len), 0);
    for (i = 0; i < nfds; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        0);
        ck_assert_int_ge(fds[i], 0);
        if (connect(fds[i], (struct sockaddr *)ss, *len) != 0)
            ck_assert_int_eq(errno, EINPROGRESS);
        usleep(2000);   /* let the handshake finish before the next */
    }
}

static void
close_fds(int *fds, int nfds)
{
    int i;

    for (i = 0; i < nfds; i++)
        close(fds[i]);
}

START_TEST(test_tcp_connect_timeout)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c;
    struct sockaddr_storage ss;
    socklen_t len;
    int fds[4];
    int64_t t0, dt;

    fill_backlog(&l, &ss, &len, fds, 4);
    t0 = fut_now_ns();
    ck_assert_int_eq(connect_one(&c, &ss, len, 50 * FUT_NSEC_PER_MSEC),
                     -ETIMEDOUT);
    dt = fut_now_ns() - t0;
    ck_assert_int_ge(dt, 50 * FUT_NSEC_PER_MSEC);   /* never early */
    ck_assert_int_eq(fut_tcp_stream_close(&c), -EBADF);
    ck_assert_uint_eq(fut__runtime_io_count(&conf_rt), 0);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    /* A deadline already past times out at once as well. */
    ck_assert_int_eq(connect_one(&c, &ss, len, 0), -ETIMEDOUT);
    close_fds(fds, 4);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* fut_tcp_listener_bind_host() and fut_tcp_listener_port(). */
START_TEST(test_tcp_bind_host_and_port)
{
    struct fut_tcp_listener l, l2;
    int port;

    ck_assert_int_eq(fut_tcp_listener_bind_host(NULL, "127.0.0.1", 0, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_bind_host(&l, NULL, 0, 0), -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_bind_host(&l, "localhost", 0, 0),
                     -EINVAL); /* numeric only: no name lookup */
    ck_assert_int_eq(fut_tcp_listener_bind_host(&l, "127.0.0.1", 65536, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_port(NULL), -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_bind_host(&l, "127.0.0.1", 0, 0), 0);
    port = fut_tcp_listener_port(&l);
    ck_assert_int_gt(port, 0);
    ck_assert_int_le(port, 65535);
    /* The same port again is in use. */
    ck_assert_int_eq(fut_tcp_listener_bind_host(&l2, "127.0.0.1",
                                                (unsigned int)port, 0),
                     -EADDRINUSE);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    ck_assert_int_eq(fut_tcp_listener_port(&l), -EBADF);
}
END_TEST

START_TEST(test_tcp_bad_input)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream s, c;
    struct fut_tcp_accept a;
    struct fut_tcp_connect conn;
    struct sockaddr_storage ss;
    struct sockaddr_in sin;
    struct sockaddr un = { .sa_family = AF_UNIX };
    socklen_t len;
    struct fut_context cx = test_noop_cx();
    struct fut_context rcx;
    struct iovec iov = { .iov_base = NULL, .iov_len = 0 };
    char buf[4];
    ssize_t res;
    int ires;

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    /* Listener. */
    ck_assert_int_eq(fut_tcp_listener_bind(NULL, (struct sockaddr *)&sin,
                                           sizeof sin, 0), -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_bind(&l, NULL, sizeof sin, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_bind(&l, (struct sockaddr *)&sin,
                                           sizeof sin - 1, 0), -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_bind(&l, &un, sizeof un, 0), -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_local_addr(NULL, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_close(NULL), -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_bind(&l, (struct sockaddr *)&sin,
                                           sizeof sin, 0), 0);
    ck_assert_int_eq(fut_tcp_listener_local_addr(&l, NULL, &len), -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_local_addr(&l, &ss, NULL), -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_poll_accept(NULL, &cx, &s, &ires),
                     FUT_READY);
    ck_assert_int_eq(ires, -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_poll_accept(&l, NULL, &s, &ires),
                     FUT_READY);
    ck_assert_int_eq(ires, -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_poll_accept(&l, &cx, NULL, &ires),
                     FUT_READY);
    ck_assert_int_eq(ires, -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_poll_accept(&l, &cx, &s, NULL),
                     FUT_READY);
    /* No runtime in the context: nothing to register with. */
    ck_assert_int_eq(fut_tcp_listener_poll_accept(&l, &cx, &s, &ires),
                     FUT_READY);
    ck_assert_int_eq(ires, -EINVAL);
    ck_assert_int_eq(fut_tcp_accept_init(NULL, &l, &s), -EINVAL);
    ck_assert_int_eq(fut_tcp_accept_init(&a, NULL, &s), -EINVAL);
    ck_assert_int_eq(fut_tcp_accept_init(&a, &l, NULL), -EINVAL);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    /* Closed listener. */
    ck_assert_int_eq(fut_tcp_listener_close(&l), -EBADF);
    ck_assert_int_eq(fut_tcp_listener_local_addr(&l, &ss, &len), -EBADF);
    ck_assert_int_eq(fut_tcp_listener_poll_accept(&l, &cx, &s, &ires),
                     FUT_READY);
    ck_assert_int_eq(ires, -EBADF);
    ck_assert_int_eq(accept_one(&l, &s), -EBADF);

    /* Connect. */
    ck_assert_int_eq(fut_tcp_stream_init(NULL), -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_init(&c), 0);
    /* An initialised stream is closed: no descriptor is touched. */
    ck_assert_int_eq(c.io.fd, -1);
    ck_assert_int_eq(fut_tcp_stream_try_write(&c, "x", 1), -EBADF);
    ck_assert_int_eq(fut_tcp_stream_close(&c), -EBADF);
    ck_assert_int_eq(fut_tcp_connect_init(NULL, &c, (struct sockaddr *)&sin,
                                          sizeof sin, -1), -EINVAL);
    ck_assert_int_eq(fut_tcp_connect_init(&conn, NULL,
                                          (struct sockaddr *)&sin,
                                          sizeof sin, -1), -EINVAL);
    ck_assert_int_eq(fut_tcp_connect_init(&conn, &c, NULL, sizeof sin, -1),
                     -EINVAL);
    ck_assert_int_eq(fut_tcp_connect_init(&conn, &c, (struct sockaddr *)&sin,
                                          3, -1), -EINVAL);
    ck_assert_int_eq(fut_tcp_connect_init(&conn, &c, &un, sizeof un, -1),
                     -EINVAL);
    /* Polled with no runtime: -EINVAL, and nothing is left open. */
    ck_assert_int_eq(fut_tcp_connect_init(&conn, &c, (struct sockaddr *)&sin,
                                          sizeof sin, -1), 0);
    ck_assert_int_eq(fut_future_poll(&conn.base, &cx), FUT_READY);
    ck_assert_int_eq(conn.res, -EINVAL);
    ck_assert_int_eq(fut_future_result(&conn.base), -EINVAL);
    ck_assert_int_eq(fut_future_poll(&conn.base, &cx), FUT_READY); /* fused */
    fut_future_drop(&conn.base);
    ck_assert_int_eq(fut_tcp_stream_close(&c), -EBADF);

    /* Stream. */
    ck_assert_int_eq(fut_tcp_stream_from_fd(NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&s, -1), -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&s, 1 << 20), -EBADF);
    ck_assert_int_eq(fut_tcp_stream_set_nodelay(NULL, 1), -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_shutdown(NULL, SHUT_WR), -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_peer_addr(NULL, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_local_addr(NULL, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_close(NULL), -EINVAL);

    /* An open stream: bad arguments, zero-length I/O, then closed. */
    make_pair(&l, &c, &s);
    rcx = test_noop_cx();
    rcx.rt = &conf_rt;
    ck_assert_int_eq(fut_tcp_stream_shutdown(&c, 42), -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_peer_addr(&c, NULL, &len), -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_local_addr(&c, &ss, NULL), -EINVAL);
    ck_assert_int_eq(fut_async_read_poll_read(&c.reader, &rcx, buf, 0, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_async_write_poll_write(&c.writer, &rcx, buf, 0,
                                                &res), FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_async_read_poll_readv(&c.reader, &rcx, &iov, 1,
                                               &res), FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_async_write_poll_writev(&c.writer, &rcx, &iov, 1,
                                                 &res), FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_async_read_poll_read(&c.reader, &rcx, NULL, 4,
                                              &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_async_write_poll_flush(&c.writer, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);

    ck_assert_int_eq(fut_tcp_stream_close(&c), -EBADF);
    ck_assert_int_eq(fut_tcp_stream_set_nodelay(&c, 1), -EBADF);
    ck_assert_int_eq(fut_tcp_stream_shutdown(&c, SHUT_RDWR), -EBADF);
    ck_assert_int_eq(fut_tcp_stream_peer_addr(&c, &ss, &len), -EBADF);
    ck_assert_int_eq(fut_tcp_stream_local_addr(&c, &ss, &len), -EBADF);
    ck_assert_int_eq(fut_async_read_poll_read(&c.reader, &rcx, buf,
                                              sizeof buf, &res), FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_async_write_poll_write(&c.writer, &rcx, "x", 1,
                                                &res), FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    iov.iov_base = buf;
    iov.iov_len = sizeof buf;
    ck_assert_int_eq(fut_async_read_poll_readv(&c.reader, &rcx, &iov, 1,
                                               &res), FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_async_write_poll_writev(&c.writer, &rcx, &iov, 1,
                                                 &res), FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_async_write_poll_flush(&c.writer, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_async_write_poll_close(&c.writer, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(conf_write_all(&c.writer, "x", 1), -EBADF);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), -EBADF);

    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* ---- tests: cancellation is drop ----------------------------------------- */

START_TEST(test_tcp_accept_drop_after_n_polls)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream s;
    struct fut_tcp_accept a;
    struct sockaddr_storage ss;
    socklen_t len;
    char buf[4];
    int fd, ready;

    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    fd = raw_connect(&ss, len);
    ck_assert_int_eq(fut_tcp_accept_init(&a, &l, &s), 0);
    ready = conf_drive(&a.base, _i);
    if (ready) {
        ck_assert_int_eq(a.res, 0);
        /* Fused: polling again gives the same output, accepts nothing. */
        ck_assert_int_eq(fut_future_poll(&a.base, &(struct fut_context){
                                                      fut_waker_noop(),
                                                      &conf_rt }),
                         FUT_READY);
        ck_assert_int_eq(a.res, 0);
    }
    fut_future_drop(&a.base);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    /* The drop took back the waker it left in the listener. */
    ck_assert_ptr_null(l.io.read_waker.vtable);
    /* Cancel-safe: a connection not accepted before the drop is still
     * there for the next accept. */
    if (!ready)
        ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_eq(write(fd, "hi", 2), 2);
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 2);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    close(fd);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_connect_drop_after_n_polls)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct fut_tcp_connect conn;
    struct sockaddr_storage ss;
    socklen_t len;
    int ready;

    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    ck_assert_int_eq(fut_tcp_stream_init(&c), 0);
    ck_assert_int_eq(fut_tcp_connect_init(&conn, &c, (struct sockaddr *)&ss,
                                          len, 10 * FUT_NSEC_PER_SEC), 0);
    ready = conf_drive(&conn.base, _i);
    fut_future_drop(&conn.base);
    /* The deadline's timer is gone either way. */
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    if (ready) {
        ck_assert_int_eq(conn.res, 0);
        ck_assert_uint_eq(fut__runtime_io_count(&conf_rt), 1);
        ck_assert_int_eq(accept_one(&l, &s), 0);
        ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
        ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    } else {
        /* Dropped half-way: the socket is closed and deregistered. */
        ck_assert_uint_eq(fut__runtime_io_count(&conf_rt), 0);
        ck_assert_int_eq(fut_tcp_stream_close(&c), -EBADF);
    }
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_connect_timeout_drop_after_n_polls)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c;
    struct fut_tcp_connect conn;
    struct sockaddr_storage ss;
    socklen_t len;
    int fds[4];

    /* A connect that stays pending for its whole life (until its 10 s
     * deadline): every drop lands mid-connect, with the timer armed. */
    fill_backlog(&l, &ss, &len, fds, 4);
    ck_assert_int_eq(fut_tcp_stream_init(&c), 0);
    ck_assert_int_eq(fut_tcp_connect_init(&conn, &c, (struct sockaddr *)&ss,
                                          len, 10 * FUT_NSEC_PER_SEC), 0);
    ck_assert_int_eq(conf_drive(&conn.base, _i), 0);
    fut_future_drop(&conn.base);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_uint_eq(fut__runtime_io_count(&conf_rt), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), -EBADF);
    close_fds(fds, 4);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_read_drop_after_n_polls)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct fut_read r;
    char buf[8];

    make_pair(&l, &c, &s);
    ck_assert_int_eq(fut_read_init(&r, &c.reader, buf, sizeof buf), 0);
    /* Nothing was sent: the read stays pending until the drop. */
    ck_assert_int_eq(conf_drive(&r.base, _i), 0);
    fut_future_drop(&r.base);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_ptr_null(c.io.read_waker.vtable);
    /* Cancel-safe: what arrives after the drop is all there to read. */
    ck_assert_int_eq(conf_write_all(&s.writer, "after", 5), 0);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 5);
    ck_assert_int_eq(memcmp(buf, "after", 5), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_write_drop_after_n_polls)
{
    enum { BIG = 32 << 20 };
    static unsigned char big[BIG];
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct fut_write_all w;
    char buf[8];

    make_pair(&l, &c, &s);
    /* More than the socket buffers hold while the peer does not read: the
     * write goes pending after the first chunks. */
    ck_assert_int_eq(fut_write_all_init(&w, &c.writer, big, BIG), 0);
    ck_assert_int_eq(conf_drive(&w.base, _i), 0);
    fut_future_drop(&w.base);
    ck_assert_uint_lt(w.done, BIG);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_ptr_null(c.io.write_waker.vtable);
    /* The stream is still usable after the drop. */
    ck_assert_int_eq(fut_tcp_stream_shutdown(&c, SHUT_RDWR), 0);
    ck_assert_int_eq(conf_write_all(&s.writer, "x", 1), 0);
    ck_assert_int_ge(conf_read_some(&s.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/*
 * A task awaits a select of a read on a stream against a short sleep; the
 * sleep wins and the select drops the read, whose waker was the select's
 * child waker, pointing into the task's memory. The task finishes and its
 * memory is freed. When the stream becomes readable afterwards, the
 * reactor must find no waker to wake: the read took it back when it was
 * dropped (under ASan, a stale one is a heap use after free).
 */
struct read_race {
    struct fut_future base;
    int state;
    struct fut_tcp_stream *s;
    ssize_t *winner;
    struct fut_read rd;
    struct fut_sleep nap;
    struct fut_select2 sel;
    char buf[8];
};

static enum fut_poll
read_race_poll(struct fut_future *f, struct fut_context *cx)
{
    struct read_race *r = (struct read_race *)f;

    FUT_ASYNC_BEGIN(&r->state);
    ck_assert_int_eq(fut_read_init(&r->rd, &r->s->reader, r->buf,
                                   sizeof r->buf), 0);
    ck_assert_int_eq(fut_sleep_init(&r->nap, 2 * FUT_NSEC_PER_MSEC), 0);
    ck_assert_int_eq(fut_select2_init(&r->sel, &r->rd.base, &r->nap.base),
                     0);
    FUT_AWAIT_FUTURE(&r->state, &r->sel.all.base, cx);
    *r->winner = r->sel.all.index;
    FUT_ASYNC_END(&r->state);
}

static void
read_race_drop(struct fut_future *f)
{
    struct read_race *r = (struct read_race *)f;

    /* The select owns (and drops) the read and the sleep. */
    fut_future_drop(&r->sel.all.base);
}

static const struct fut_future_vtable read_race_vtable = {
    .poll = read_race_poll,
    .drop = read_race_drop,
    .result = NULL,
};

START_TEST(test_tcp_select_dropped_read_forgets_waker)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct read_race race;
    struct fut_sleep nap;
    ssize_t winner = -1;
    char buf[8];

    make_pair(&l, &c, &s);
    memset(&race, 0, sizeof race);
    race.base.vtable = &read_race_vtable;
    race.s = &c;
    race.winner = &winner;
    /* Detached: the task's memory goes as soon as it finishes. */
    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &race, NULL), 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(winner, 1);
    ck_assert_uint_eq(fut_runtime_task_count(&conf_rt), 0);
    /* The dropped read took its child waker out of the stream. */
    ck_assert_ptr_null(c.io.read_waker.vtable);
    /* Now the peer writes, and the runtime turns its reactor for a few
     * milliseconds: the readiness finds nothing to wake. */
    ck_assert_int_eq(conf_write_all(&s.writer, "late", 4), 0);
    ck_assert_int_eq(fut_sleep_init(&nap, 5 * FUT_NSEC_PER_MSEC), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &nap.base), 0);
    fut_future_drop(&nap.base);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 0);
    /* Cancel-safe: the bytes are all there for the next read. */
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 4);
    ck_assert_int_eq(memcmp(buf, "late", 4), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* ---- tests: readiness, then try_read / try_write ------------------------- */

/*
 * Awaits readiness of @s in @dir, as a future that may be dropped while
 * pending: it keeps a copy of the waker of its last PENDING poll and
 * withdraws it from the stream when dropped (the protocol tcp.h asks of
 * callers of fut_tcp_stream_poll_*_ready).
 */
struct ready_wait {
    struct fut_future base;
    struct fut_tcp_stream *s;
    unsigned int dir;
    int done;
    int res;
    struct fut_waker waker_id;
};

static void
ready_wait_forget(struct ready_wait *w)
{
    if (w->waker_id.vtable == NULL)
        return;
    if (w->dir == FUT_IO_READABLE)
        fut_async_read_forget(&w->s->reader, &w->waker_id);
    else
        fut_async_write_forget(&w->s->writer, &w->waker_id);
    w->waker_id.vtable = NULL;
    w->waker_id.data = NULL;
}

static enum fut_poll
ready_wait_poll(struct fut_future *f, struct fut_context *cx)
{
    struct ready_wait *w = (struct ready_wait *)f;
    enum fut_poll p;

    if (w->done)
        return FUT_READY;
    if (w->dir == FUT_IO_READABLE)
        p = fut_tcp_stream_poll_read_ready(w->s, cx, &w->res);
    else
        p = fut_tcp_stream_poll_write_ready(w->s, cx, &w->res);
    if (p == FUT_PENDING) {
        w->waker_id = *cx->waker;
        return FUT_PENDING;
    }
    ready_wait_forget(w);
    w->done = 1;
    return FUT_READY;
}

static void
ready_wait_drop(struct fut_future *f)
{
    ready_wait_forget((struct ready_wait *)f);
}

static const struct fut_future_vtable ready_wait_vtable = {
    .poll = ready_wait_poll,
    .drop = ready_wait_drop,
    .result = NULL,
};

static void
ready_wait_init(struct ready_wait *w, struct fut_tcp_stream *s,
                unsigned int dir)
{
    memset(w, 0, sizeof *w);
    w->base.vtable = &ready_wait_vtable;
    w->s = s;
    w->dir = dir;
}

/* Wait, driven by the runtime, until @s is ready in @dir; the res. */
static int
wait_ready(struct fut_tcp_stream *s, unsigned int dir)
{
    struct ready_wait w;

    ready_wait_init(&w, s, dir);
    ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
    fut_future_drop(&w.base);
    return w.res;
}

START_TEST(test_tcp_try_bad_input)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s, never;
    struct fut_tcp_connect conn;
    struct fut_runtime rt2;
    struct sockaddr_storage ss;
    socklen_t len;
    struct fut_context cx = test_noop_cx();     /* no runtime */
    struct fut_context rcx = test_noop_cx();
    struct fut_context cx2 = test_noop_cx();
    char buf[4];
    int res, before;

    rcx.rt = &conf_rt;
    /* NULL arguments. */
    res = 1;
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(NULL, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    res = 1;
    ck_assert_int_eq(fut_tcp_stream_poll_write_ready(NULL, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_try_read(NULL, buf, sizeof buf),
                     -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_try_write(NULL, buf, sizeof buf),
                     -EINVAL);

    make_pair(&l, &c, &s);
    res = 1;
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, NULL, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    res = 1;
    ck_assert_int_eq(fut_tcp_stream_poll_write_ready(&c, NULL, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &rcx, NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_tcp_stream_poll_write_ready(&c, &rcx, NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, NULL, 4), -EINVAL);
    ck_assert_int_eq(fut_tcp_stream_try_write(&c, NULL, 4), -EINVAL);
    /* No runtime in the context: the accepted stream, never polled, has
     * nothing to register with. */
    res = 1;
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&s, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    /* Bound to conf_rt (by its connect): another runtime gets -EXDEV. */
    ck_assert_int_eq(fut_runtime_init_default(&rt2), 0);
    cx2.rt = &rt2;
    res = 1;
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &cx2, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EXDEV);
    ck_assert_int_eq(fut_runtime_close(&rt2), 0);

    /* Zero length: 0, and no syscall (0 means end of file only for a
     * read that asked for bytes). */
    fut__sys.read = counting_read;
    before = reads_made;
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, 0), 0);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, NULL, 0), 0);
    ck_assert_int_eq(reads_made, before);
    fut__sys.read = conf_real_sys.read;
    ck_assert_int_eq(fut_tcp_stream_try_write(&c, buf, 0), 0);
    ck_assert_int_eq(fut_tcp_stream_try_write(&c, NULL, 0), 0);

    /* Closed. */
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    res = 1;
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    res = 1;
    ck_assert_int_eq(fut_tcp_stream_poll_write_ready(&c, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, sizeof buf), -EBADF);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, 0), -EBADF);
    ck_assert_int_eq(fut_tcp_stream_try_write(&c, "x", 1), -EBADF);
    ck_assert_int_eq(fut_tcp_stream_try_write(&c, "x", 0), -EBADF);
    ck_assert_int_eq(wait_ready(&c, FUT_IO_READABLE), -EBADF);
    ck_assert_int_eq(wait_ready(&c, FUT_IO_WRITABLE), -EBADF);

    /* Never opened: a connect that was never polled leaves it closed. */
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 9, &ss, &len), 0);
    ck_assert_int_eq(fut_tcp_stream_init(&never), 0);
    ck_assert_int_eq(fut_tcp_connect_init(&conn, &never,
                                          (struct sockaddr *)&ss, len, -1),
                     0);
    fut_future_drop(&conn.base);
    ck_assert_int_eq(fut_tcp_stream_try_read(&never, buf, sizeof buf),
                     -EBADF);
    ck_assert_int_eq(fut_tcp_stream_try_write(&never, "x", 1), -EBADF);
    res = 1;
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&never, &rcx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);

    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_read_ready_then_try_read)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct fut_context cx;
    struct test_waker tw;
    char buf[16];
    int res, wakes;

    make_pair(&l, &c, &s);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    /* Nothing sent: PENDING, with a clone of the waker in the stream. */
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &cx, &res),
                     FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    ck_assert_int_eq(tw.wakes, 0);
    /* Data arrives: the waker is woken (and so released). */
    ck_assert_int_eq(conf_write_all(&s.writer, "hello", 5), 0);
    conf_turn_until_woken(&tw, 0);
    ck_assert_int_eq(tw.live, 0);
    res = 1;
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    /* Asking consumes nothing: still ready, and the data is all there. */
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, sizeof buf), 5);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
    /* The short read emptied the socket. A backend that promises
     * FUT_IO_SHORT_READ_DRAINS has the readiness forgotten at once;
     * otherwise the next try_read says -EAGAIN and forgets it. Either way
     * the next poll waits. */
    if (!(c.io.flags & FUT_IO_SHORT_READ_DRAINS))
        ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, sizeof buf),
                         -EAGAIN);
    ck_assert_uint_eq(c.io.ready & FUT_IO_READABLE, 0);
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &cx, &res),
                     FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);

    /* A read that fills its buffer keeps the readiness: the rest comes
     * without a wait. */
    wakes = tw.wakes;
    ck_assert_int_eq(conf_write_all(&s.writer, "0123456789", 10), 0);
    conf_turn_until_woken(&tw, wakes);
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, 4), 4);
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf + 4, sizeof buf - 4),
                     6);
    ck_assert_int_eq(memcmp(buf, "0123456789", 10), 0);

    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_tcp_try_read_eagain)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct fut_context cx;
    struct test_waker tw;
    char buf[16];
    int res, before;

    make_pair(&l, &c, &s);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    fut__sys.read = counting_read;
    /* Nothing there: one read(2), -EAGAIN, readiness cleared. */
    before = reads_made;
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, sizeof buf), -EAGAIN);
    ck_assert_int_eq(reads_made - before, 1);
    ck_assert_uint_eq(c.io.ready & FUT_IO_READABLE, 0);

    /* Stale readiness: a read that took exactly what was there keeps it,
     * so the poll says READY; the read then says -EAGAIN and clears it,
     * and the next poll waits. */
    ck_assert_int_eq(conf_write_all(&s.writer, "abcd", 4), 0);
    ck_assert_int_eq(wait_ready(&c, FUT_IO_READABLE), 0);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, 4), 4);
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, sizeof buf), -EAGAIN);
    ck_assert_uint_eq(c.io.ready & FUT_IO_READABLE, 0);
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &cx, &res),
                     FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    fut__sys.read = conf_real_sys.read;
    /* Closing drops the stored waker. */
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_try_read_eof)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct ready_wait w;
    char buf[16];

    make_pair(&l, &c, &s);
    /* Data and end of file together, before the reader looks. */
    ck_assert_int_eq(conf_write_all(&s.writer, "hi", 2), 0);
    ck_assert_int_eq(fut_tcp_stream_shutdown(&s, SHUT_WR), 0);
    usleep(2000);
    ck_assert_int_eq(wait_ready(&c, FUT_IO_READABLE), 0);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, sizeof buf), 2);
    ck_assert_int_eq(memcmp(buf, "hi", 2), 0);
    /* The short read did not forget the end of file: the wait ends. */
    ck_assert_int_eq(wait_ready(&c, FUT_IO_READABLE), 0);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, sizeof buf), 0);
    ck_assert_int_eq(wait_ready(&c, FUT_IO_READABLE), 0);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, sizeof buf), 0);

    /* The other way: the reader waits first, then data and FIN arrive. */
    ready_wait_init(&w, &s, FUT_IO_READABLE);
    ck_assert_int_eq(conf_drive(&w.base, 3), 0);
    ck_assert_int_eq(conf_write_all(&c.writer, "yo", 2), 0);
    ck_assert_int_eq(fut_tcp_stream_shutdown(&c, SHUT_WR), 0);
    usleep(2000);
    ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
    ck_assert_int_eq(w.res, 0);
    fut_future_drop(&w.base);
    ck_assert_int_eq(fut_tcp_stream_try_read(&s, buf, sizeof buf), 2);
    ck_assert_int_eq(wait_ready(&s, FUT_IO_READABLE), 0);
    ck_assert_int_eq(fut_tcp_stream_try_read(&s, buf, sizeof buf), 0);

    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_try_write)
{
    static unsigned char big[1 << 16];
    static unsigned char sink[1 << 16];
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct fut_context cx;
    struct test_waker tw;
    char buf[8];
    ssize_t n;
    size_t total = 0, drained = 0;
    int res, i;

    make_pair(&l, &c, &s);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(wait_ready(&c, FUT_IO_WRITABLE), 0);
    ck_assert_int_eq(fut_tcp_stream_try_write(&c, "abc", 3), 3);
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 3);
    ck_assert_int_eq(memcmp(buf, "abc", 3), 0);

    /* The peer does not read: the socket fills up, and the write that
     * finds no room says -EAGAIN and clears the readiness. */
    for (i = 0; i < 100000; i++) {
        n = fut_tcp_stream_try_write(&c, big, sizeof big);
        if (n == -EAGAIN)
            break;
        ck_assert_int_gt(n, 0);
        total += (size_t)n;
    }
    ck_assert_int_eq(n, -EAGAIN);
    ck_assert_uint_eq(c.io.ready & FUT_IO_WRITABLE, 0);
    ck_assert_int_eq(fut_tcp_stream_poll_write_ready(&c, &cx, &res),
                     FUT_PENDING);
    ck_assert_int_eq(tw.live, 1);
    /* The peer reads it all: room again, and the waker is woken. */
    while (drained < total) {
        n = conf_read_some(&s.reader, sink, sizeof sink);
        ck_assert_int_gt(n, 0);
        drained += (size_t)n;
    }
    conf_turn_until_woken(&tw, 0);
    ck_assert_int_eq(tw.live, 0);
    res = 1;
    ck_assert_int_eq(fut_tcp_stream_poll_write_ready(&c, &cx, &res),
                     FUT_READY);
    ck_assert_int_eq(res, 0);
    ck_assert_int_eq(fut_tcp_stream_try_write(&c, "z", 1), 1);
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 1);

    /* The peer gone: -EPIPE or -ECONNRESET (after a write or two the
     * kernel may still take), and no SIGPIPE. */
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    for (i = 0; i < 50; i++) {
        n = fut_tcp_stream_try_write(&c, big, sizeof big);
        if (n < 0 && n != -EAGAIN)
            break;
        usleep(1000);
    }
    ck_assert(n == -EPIPE || n == -ECONNRESET);
    ck_assert_int_eq(wait_ready(&c, FUT_IO_WRITABLE), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    ck_assert_int_eq(tw.live, 0);
}
END_TEST

START_TEST(test_tcp_echo_try_io)
{
    struct echo_stats st;

    raise_nofile();
    /* 3000-byte messages through a 512-byte shared buffer: reads that fill
     * it and reads that fall short, on every backend. */
    ck_assert_int_eq(run_echo_with("127.0.0.1", 4, 50, 3000, 1, &st), 0);
    ck_assert_int_eq(run_echo_with("127.0.0.1", 200, 4, 128, 1, &st), 0);
}
END_TEST

/*
 * Backpressure through try_write: the client writes and does not read, so
 * the echo fills its receive buffer (made small), the server's try_write
 * falls short, and the server keeps the rest and stops reading until it
 * is sent. Then the client reads while it writes the rest: every byte
 * comes back, in order.
 */
START_TEST(test_tcp_echo_try_io_backpressure)
{
    enum { N = 1 << 20 };
    static unsigned char tx[N], rx[N];
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct echo_stats st;
    struct fut_write_all wa;
    struct fut_read_exact re;
    struct fut_join2 j;
    struct fut_sleep nap;
    struct sockaddr_storage ss;
    socklen_t len;
    size_t done;
    int small = 4096, i, fd;

    memset(&st, 0, sizeof st);
    /* The way back is small (the server's send buffer, which the accepted
     * socket inherits from the listener, and the client's receive buffer,
     * set before the handshake fixes its window); the way there is not. */
    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    ck_assert_int_eq(setsockopt(l.fd, SOL_SOCKET, SO_SNDBUF, &small,
                                sizeof small), 0);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small,
                                sizeof small), 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, len), 0);
    ck_assert_int_eq(fut_tcp_stream_from_fd(&c, fd), 0);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    for (i = 0; i < N; i++)
        tx[i] = (unsigned char)(i * 7 + i / 251);
    /* The task owns the server's stream from here on and closes it. */
    ck_assert_int_eq(spawn_try_echo(&conf_rt, &st, &s), 0);

    /* The kernel may take all of it on the way there (loopback buffers
     * grow to megabytes): the write need not be pending after this. */
    ck_assert_int_eq(fut_write_all_init(&wa, &c.writer, tx, N), 0);
    if (conf_drive(&wa.base, 20))
        ck_assert_int_eq(wa.res, 0);
    fut_future_drop(&wa.base);
    /* Let the server run with nobody reading the echo. */
    for (i = 0; i < 200 && st.short_writes == 0; i++) {
        ck_assert_int_eq(fut_sleep_init(&nap, FUT_NSEC_PER_MSEC), 0);
        ck_assert_int_eq(fut_block_on(&conf_rt, &nap.base), 0);
        fut_future_drop(&nap.base);
    }
    ck_assert_int_ge(st.short_writes, 1);
    ck_assert_int_eq(st.failures, 0);
    done = wa.done;

    ck_assert_int_eq(fut_read_exact_init(&re, &c.reader, rx, N), 0);
    if (done < N) {
        ck_assert_int_eq(fut_write_all_init(&wa, &c.writer, tx + done,
                                            N - done), 0);
        ck_assert_int_eq(fut_join2_init(&j, &wa.base, &re.base), 0);
        ck_assert_int_eq(fut_block_on(&conf_rt, &j.all.base), 0);
        ck_assert_int_eq(wa.res, 0);
        fut_future_drop(&j.all.base);
    } else {
        ck_assert_int_eq(fut_block_on(&conf_rt, &re.base), 0);
        fut_future_drop(&re.base);
    }
    ck_assert_int_eq(re.res, 0);
    ck_assert_int_eq(memcmp(tx, rx, N), 0);

    /* End of file: the server's task finishes cleanly. */
    ck_assert_int_eq(fut_tcp_stream_shutdown(&c, SHUT_WR), 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(st.served, 1);
    ck_assert_int_eq(st.failures, 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* A readiness wait dropped after _i polls leaves no waker behind, in
 * either direction, and consumed nothing. */
START_TEST(test_tcp_ready_drop_after_n_polls)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct ready_wait w;
    char buf[8];

    make_pair(&l, &c, &s);
    ready_wait_init(&w, &c, FUT_IO_READABLE);
    /* Nothing was sent: it stays pending until the drop. */
    ck_assert_int_eq(conf_drive(&w.base, _i), 0);
    fut_future_drop(&w.base);
    ck_assert_ptr_null(c.io.read_waker.vtable);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    /* Cancel-safe: what arrives after the drop is all there to read. */
    ck_assert_int_eq(conf_write_all(&s.writer, "after", 5), 0);
    ck_assert_int_eq(wait_ready(&c, FUT_IO_READABLE), 0);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, sizeof buf), 5);
    ck_assert_int_eq(memcmp(buf, "after", 5), 0);

    /* Writable: READY at the first poll that learns of it, or dropped
     * before; nothing stays in the write slot either way. */
    ready_wait_init(&w, &c, FUT_IO_WRITABLE);
    if (conf_drive(&w.base, _i))
        ck_assert_int_eq(w.res, 0);
    fut_future_drop(&w.base);
    ck_assert_ptr_null(c.io.write_waker.vtable);

    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_fault_try_read)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    char buf[16];

    make_pair(&l, &c, &s);
    ck_assert_int_eq(conf_write_all(&s.writer, "hello", 5), 0);
    ck_assert_int_eq(wait_ready(&c, FUT_IO_READABLE), 0);
    fut__sys.read = conf_fault_read;
    /* An error is returned as is, and the data stays. */
    conf_fault_set(c.io.fd, ECONNRESET, 1);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, sizeof buf),
                     -ECONNRESET);
    /* EINTR is retried inside: never -EINTR. */
    conf_fault_set(c.io.fd, EINTR, 3);
    ck_assert_int_eq(fut_tcp_stream_try_read(&c, buf, sizeof buf), 5);
    ck_assert_int_eq(conf_fault_hits, 3);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* ---- tests: injected faults ---------------------------------------------- */

START_TEST(test_tcp_fault_accept_aborted_skipped)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream s;
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;

    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    fd = raw_connect(&ss, len);
    conf_fault_set(l.fd, ECONNABORTED, 2);
    fut__sys.accept4 = conf_fault_accept4;
    ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_eq(conf_fault_hits, 2);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    close(fd);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_fault_read_eintr)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    char buf[16];

    make_pair(&l, &c, &s);
    ck_assert_int_eq(conf_write_all(&s.writer, "hello", 5), 0);
    conf_fault_set(c.io.fd, EINTR, 3);
    fut__sys.read = conf_fault_read;
    /* EINTR is retried inside: the caller sees the data, never -EINTR. */
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 5);
    ck_assert_int_eq(conf_fault_hits, 3);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_fault_read_error)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    char buf[16];

    make_pair(&l, &c, &s);
    ck_assert_int_eq(conf_write_all(&s.writer, "hello", 5), 0);
    conf_fault_set(c.io.fd, ECONNRESET, 1);
    fut__sys.read = conf_fault_read;
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), -ECONNRESET);
    ck_assert_int_eq(conf_read_some(&c.reader, buf, sizeof buf), 5);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_fault_socket)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c;
    struct sockaddr_storage ss;
    socklen_t len;

    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 0, &ss, &len), 0);
    conf_fault_set(-1, EMFILE, 2);
    fut__sys.socket = conf_fault_socket;
    ck_assert_int_eq(fut_tcp_listener_bind(&l, (struct sockaddr *)&ss, len,
                                           0), -EMFILE);
    ck_assert_int_eq(fut_tcp_listener_close(&l), -EBADF);
    ck_assert_int_eq(connect_one(&c, &ss, len, FUT_NSEC_PER_SEC), -EMFILE);
    ck_assert_int_eq(fut_tcp_stream_close(&c), -EBADF);
    ck_assert_int_eq(conf_fault_hits, 2);
}
END_TEST

START_TEST(test_tcp_fault_connect)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c;
    struct sockaddr_storage ss;
    socklen_t len;

    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    conf_fault_set(-1, ENETUNREACH, 1);
    fut__sys.connect = conf_fault_connect;
    ck_assert_int_eq(connect_one(&c, &ss, len, FUT_NSEC_PER_SEC),
                     -ENETUNREACH);
    ck_assert_int_eq(fut_tcp_stream_close(&c), -EBADF);
    ck_assert_uint_eq(fut__runtime_io_count(&conf_rt), 0);
    /* EINTR from a nonblocking connect means it goes on in the
     * background: the connect still succeeds. */
    conf_fault_set(-1, EINTR, 1);
    fut__sys.connect = fault_connect_eintr;
    ck_assert_int_eq(connect_one(&c, &ss, len, FUT_NSEC_PER_SEC), 0);
    ck_assert_int_eq(conf_fault_hits, 1);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_fault_register)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    char buf[16];

    make_pair(&l, &c, &s);
    ck_assert_int_eq(conf_write_all(&c.writer, "later", 5), 0);
    /* The accepted stream was never polled, so its first read registers
     * it; the backend cannot, and the read reports why. */
    conf_fault_set(s.io.fd, ENOMEM, 1);
    fut__sys.epoll_ctl = fault_epoll_ctl;
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), -ENOMEM);
    ck_assert_int_eq(conf_fault_hits, 1);
    /* The next attempt registers and works. */
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 5);
    ck_assert_int_eq(memcmp(buf, "later", 5), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

START_TEST(test_tcp_fault_turn_eintr)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream s;
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;

    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    /* A signal interrupting the backend's wait is not an error. */
    conf_fault_set(-1, EINTR, 2);
    fut__sys.epoll_wait = fault_epoll_wait;
    fd = raw_connect(&ss, len);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_ge(conf_fault_hits, 1);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    close(fd);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

/* ---- tests: registrations, listener errors, connect on an open stream -- */

/* Let the runtime turn its reactor at least once (a short sleep: the turn
 * waits for I/O until the timer is due). Callers loop on what they wait
 * for, never on the time. */
static void
turn_reactor(void)
{
    struct fut_sleep nap;

    ck_assert_int_eq(fut_sleep_init(&nap, FUT_NSEC_PER_MSEC), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &nap.base), 0);
    fut_future_drop(&nap.base);
}

/*
 * Two reads of one task on the same stream: the older one's registration
 * was replaced by the newer one's (equal wakers). Dropping the stale one
 * must leave the live registration, or the live read is never woken.
 */
START_TEST(test_tcp_stale_read_drop_keeps_live_waker)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct test_waker tw;
    struct fut_context cx;
    struct fut_read stale, live;
    char b1[4], b2[4];

    make_pair(&l, &c, &s);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(fut_read_init(&stale, &c.reader, b1, sizeof b1), 0);
    ck_assert_int_eq(fut_read_init(&live, &c.reader, b2, sizeof b2), 0);
    ck_assert_int_eq(fut_future_poll(&stale.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&live.base, &cx), FUT_PENDING);
    fut_future_drop(&stale.base);
    /* The live read's registration is still there... */
    ck_assert_ptr_nonnull(c.io.read_waker.vtable);
    /* ...and it is woken by the data, in whatever turns that takes. */
    ck_assert_int_eq(conf_write_all(&s.writer, "x", 1), 0);
    while (tw.wakes == 0)
        turn_reactor();
    ck_assert_int_eq(fut_future_poll(&live.base, &cx), FUT_READY);
    ck_assert_int_eq(live.res, 1);
    fut_future_drop(&live.base);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* The same on the write side, through readiness waits (the lean-connection
 * protocol of tcp.h: note after PENDING, forget_reg on drop). */
START_TEST(test_tcp_stale_ready_drop_keeps_live_waker)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct test_waker tw;
    struct fut_context cx;
    struct fut_reg stale, live;
    int res;

    make_pair(&l, &c, &s);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    /* Nothing to read yet: both waits are pending, the second one live. */
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &cx, &res),
                     FUT_PENDING);
    fut_async_read_note(&c.reader, &cx, &stale);
    ck_assert_uint_ne(stale.id, 0);
    ck_assert_int_eq(fut_tcp_stream_poll_read_ready(&c, &cx, &res),
                     FUT_PENDING);
    fut_async_read_note(&c.reader, &cx, &live);
    ck_assert_uint_ne(live.id, stale.id);
    fut_async_read_forget_reg(&c.reader, &stale);
    ck_assert_ptr_nonnull(c.io.read_waker.vtable);
    fut_async_read_forget_reg(&c.reader, &live);
    ck_assert_ptr_null(c.io.read_waker.vtable);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* Two accept futures of one task on one listener: the same rule. */
START_TEST(test_tcp_stale_accept_drop_keeps_live_waker)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream a1, a2;
    struct sockaddr_storage ss;
    socklen_t len;
    struct test_waker tw;
    struct fut_context cx;
    struct fut_tcp_accept stale, live;
    int fd;

    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(fut_tcp_accept_init(&stale, &l, &a1), 0);
    ck_assert_int_eq(fut_tcp_accept_init(&live, &l, &a2), 0);
    ck_assert_int_eq(fut_future_poll(&stale.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&live.base, &cx), FUT_PENDING);
    fut_future_drop(&stale.base);
    ck_assert_ptr_nonnull(l.io.read_waker.vtable);
    fd = raw_connect(&ss, len);
    while (tw.wakes == 0)
        turn_reactor();
    ck_assert_int_eq(fut_future_poll(&live.base, &cx), FUT_READY);
    ck_assert_int_eq(live.res, 0);
    fut_future_drop(&live.base);
    ck_assert_int_eq(tw.live, 0);
    ck_assert_int_eq(fut_tcp_stream_close(&a2), 0);
    close(fd);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* Two stream-next futures of one task on one mpsc receiver. */
START_TEST(test_mpsc_stale_next_drop_keeps_live_waker)
{
    struct fut_mpsc_sender tx;
    struct fut_mpsc_receiver rx;
    struct test_waker tw;
    struct fut_context cx;
    struct fut_stream_next stale, live;
    int v1 = 0, v2 = 0, one = 1;

    ck_assert_int_eq(fut_mpsc_new(&tx, &rx, sizeof(int), 4), 0);
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    ck_assert_int_eq(fut_stream_next_init(&stale, &rx.stream, &v1), 0);
    ck_assert_int_eq(fut_stream_next_init(&live, &rx.stream, &v2), 0);
    ck_assert_int_eq(fut_future_poll(&stale.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&live.base, &cx), FUT_PENDING);
    fut_future_drop(&stale.base);
    ck_assert_int_eq(fut_mpsc_try_send(&tx, &one), 0);
    /* The send woke the live poller: its registration was kept. */
    ck_assert_int_eq(tw.wakes, 1);
    ck_assert_int_eq(fut_future_poll(&live.base, &cx), FUT_READY);
    ck_assert_int_eq(v2, 1);
    fut_future_drop(&live.base);
    ck_assert_int_eq(tw.live, 0);
    fut_mpsc_sender_close(&tx);
    fut_mpsc_receiver_close(&rx);
}
END_TEST

/*
 * Out of descriptors, the listener refuses the queued connection through
 * its spare descriptor and waits again: the caller sees no EMFILE, the
 * peer sees its connection closed, and the next connection is accepted.
 */
START_TEST(test_tcp_accept_emfile_refuses_connection)
{
    static const int errs[] = { EMFILE, ENFILE };
    struct fut_tcp_listener l;
    struct fut_tcp_stream s;
    struct sockaddr_storage ss;
    socklen_t len;
    struct fut_tcp_accept a;
    char byte;
    size_t i;
    int fd;

    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    ck_assert_int_ge(l.spare, 0);
    fut__sys.accept4 = conf_fault_accept4;
    for (i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        fd = raw_connect(&ss, len);
        conf_fault_set(l.fd, errs[i], 1);
        ck_assert_int_eq(fut_tcp_accept_init(&a, &l, &s), 0);
        /* It tried, met the fault, and waits again. */
        ck_assert_int_eq(conf_fault_probe(&a.base), 1);
        fut_future_drop(&a.base);
        ck_assert_int_eq(conf_fault_hits, 1);
        /* The spare is back, and the refused peer reads the close. */
        ck_assert_int_ge(l.spare, 0);
        ck_assert_int_le(read(fd, &byte, 1), 0);
        close(fd);
    }
    fd = raw_connect(&ss, len);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    close(fd);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* The errors accept(2) says to treat like EAGAIN are retried inside. */
START_TEST(test_tcp_accept_transient_errors_retried)
{
    static const int errs[] = { ENETDOWN, EPROTO, ENOPROTOOPT, EHOSTDOWN,
                                ENONET, EHOSTUNREACH, EOPNOTSUPP,
                                ENETUNREACH, ECONNABORTED, EINTR };
    struct fut_tcp_listener l;
    struct fut_tcp_stream s;
    struct sockaddr_storage ss;
    socklen_t len;
    size_t i;
    int fd;

    ck_assert_int_eq(listen_on(&l, "127.0.0.1", 0, &ss, &len), 0);
    fut__sys.accept4 = conf_fault_accept4;
    for (i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        fd = raw_connect(&ss, len);
        conf_fault_set(l.fd, errs[i], 1);
        ck_assert_msg(accept_one(&l, &s) == 0, "errno %d", errs[i]);
        ck_assert_int_eq(conf_fault_hits, 1);
        ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
        close(fd);
    }
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

/* A connect on a stream that is open is refused, descriptor untouched. */
START_TEST(test_tcp_connect_init_open_stream)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct fut_tcp_connect conn;
    struct sockaddr_storage ss;
    socklen_t len;
    char buf[4];
    int fd;

    make_pair(&l, &c, &s);
    fd = c.io.fd;
    ck_assert_int_eq(fut_tcp_listener_local_addr(&l, &ss, &len), 0);
    ck_assert_int_eq(fut_tcp_connect_init(&conn, &c,
                                          (const struct sockaddr *)&ss, len,
                                          -1),
                     -EISCONN);
    fut_future_drop(&conn.base);
    /* Still the same open stream, still working. */
    ck_assert_int_eq(c.io.fd, fd);
    ck_assert_int_eq(conf_write_all(&c.writer, "ok", 2), 0);
    ck_assert_int_eq(conf_read_some(&s.reader, buf, sizeof buf), 2);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    /* Closed, it may be connected again. */
    ck_assert_int_eq(fut_tcp_connect_init(&conn, &c,
                                          (const struct sockaddr *)&ss, len,
                                          -1),
                     0);
    fut_future_drop(&conn.base);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}
END_TEST

static TCase *
tcp_case(const char *name, int timeout)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, conf_sys_setup, conf_sys_teardown);
    tcase_set_timeout(tc, timeout);
    return tc;
}

Suite *
fut_conf_tcp_suite(void)
{
    Suite *s = suite_create("tcp");
    TCase *tc;

    tc = tcp_case("connect", 10);
    tcase_add_test(tc, test_tcp_sockaddr_parse);
    tcase_add_test(tc, test_tcp_accept_connect_v4);
    tcase_add_test(tc, test_tcp_accept_connect_v6);
    tcase_add_test(tc, test_tcp_bind_in_use);
    tcase_add_test(tc, test_tcp_bind_host_and_port);
    tcase_add_test(tc, test_tcp_from_fd);
    suite_add_tcase(s, tc);

    tc = tcp_case("data", 30);
    tcase_add_test(tc, test_tcp_echo_round_trip);
    tcase_add_test(tc, test_tcp_echo_round_trip_v6);
    tcase_add_test(tc, test_tcp_echo_1000_connections);
    tcase_add_test(tc, test_tcp_readv_writev);
    tcase_add_test(tc, test_tcp_eof_after_shutdown);
    tcase_add_test(tc, test_tcp_short_read_drains);
    tcase_add_test(tc, test_tcp_write_after_peer_close);
    suite_add_tcase(s, tc);

    tc = tcp_case("try_io", 30);
    tcase_add_test(tc, test_tcp_try_bad_input);
    tcase_add_test(tc, test_tcp_read_ready_then_try_read);
    tcase_add_test(tc, test_tcp_try_read_eagain);
    tcase_add_test(tc, test_tcp_try_read_eof);
    tcase_add_test(tc, test_tcp_try_write);
    tcase_add_test(tc, test_tcp_echo_try_io);
    tcase_add_test(tc, test_tcp_echo_try_io_backpressure);
    suite_add_tcase(s, tc);

    tc = tcp_case("errors", 10);
    tcase_add_test(tc, test_tcp_connect_refused);
    tcase_add_test(tc, test_tcp_connect_timeout);
    tcase_add_test(tc, test_tcp_bad_input);
    suite_add_tcase(s, tc);

    tc = tcp_case("drop", 10);
    tcase_add_loop_test(tc, test_tcp_accept_drop_after_n_polls, 0, 5);
    tcase_add_loop_test(tc, test_tcp_connect_drop_after_n_polls, 0, 5);
    tcase_add_loop_test(tc, test_tcp_connect_timeout_drop_after_n_polls, 0,
                        4);
    tcase_add_loop_test(tc, test_tcp_read_drop_after_n_polls, 0, 4);
    tcase_add_loop_test(tc, test_tcp_write_drop_after_n_polls, 0, 5);
    tcase_add_test(tc, test_tcp_select_dropped_read_forgets_waker);
    tcase_add_loop_test(tc, test_tcp_ready_drop_after_n_polls, 0, 4);
    suite_add_tcase(s, tc);

    tc = tcp_case("faults", 10);
    tcase_add_test(tc, test_tcp_fault_accept_aborted_skipped);
    tcase_add_test(tc, test_tcp_fault_read_eintr);
    tcase_add_test(tc, test_tcp_fault_read_error);
    tcase_add_test(tc, test_tcp_fault_try_read);
    tcase_add_test(tc, test_tcp_fault_socket);
    tcase_add_test(tc, test_tcp_fault_connect);
    /* These two inject faults into the epoll backend's own syscalls (the
     * fut__sys table); the other backends make theirs inside their loop
     * library, which has no such seam. */
    if (strcmp(FUT_TEST_BACKEND, "epoll") == 0) {
        tcase_add_test(tc, test_tcp_fault_register);
        tcase_add_test(tc, test_tcp_fault_turn_eintr);
    }
    suite_add_tcase(s, tc);

    tc = tcp_case("issue8", 10);
    tcase_add_test(tc, test_tcp_stale_read_drop_keeps_live_waker);
    tcase_add_test(tc, test_tcp_stale_ready_drop_keeps_live_waker);
    tcase_add_test(tc, test_tcp_stale_accept_drop_keeps_live_waker);
    tcase_add_test(tc, test_mpsc_stale_next_drop_keeps_live_waker);
    tcase_add_test(tc, test_tcp_accept_emfile_refuses_connection);
    tcase_add_test(tc, test_tcp_accept_transient_errors_retried);
    tcase_add_test(tc, test_tcp_connect_init_open_stream);
    suite_add_tcase(s, tc);
    return s;
}
