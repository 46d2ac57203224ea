/* SPDX-License-Identifier: MIT */
/* Conformance: UDP sockets, the datagram futures, truncation, ICMP errors, options. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conformance.h"
#include "internal.h"

/* ---- fixture and helpers ------------------------------------------------- */

/* Bind @u to @host port 0 and return its address in @ss / @len. */
static int
bind_on(struct fut_udp_socket *u, const char *host,
        struct sockaddr_storage *ss, socklen_t *len)
{
    int err = fut_udp_bind_host(u, host, 0, 0);

    if (err == 0)
        err = fut_udp_local_addr(u, ss, len);
    return err;
}

/* An IPv6 loopback, or the test is skipped. */
static void
bind_v6_or_skip(struct fut_udp_socket *u, struct sockaddr_storage *ss,
                socklen_t *len)
{
    int err = bind_on(u, "::1", ss, len);

    if (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT)
        CONF_SKIP("no IPv6 loopback (::1) on this machine");
    ck_assert_int_eq(err, 0);
}

static unsigned int
port_of(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* Send with the send future, driven by the runtime. */
static ssize_t
send_to(struct fut_udp_socket *u, const void *buf, size_t len,
        const struct sockaddr_storage *to, socklen_t tolen)
{
    struct fut_dgram_send f;
    ssize_t res;

    ck_assert_int_eq(fut_udp_send_init(&f, u, buf, len,
                                       (const struct sockaddr *)to, tolen),
                     0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    res = f.res;
    ck_assert_int_eq(fut_future_result(&f.base), res < 0 ? (int)res : 0);
    fut_future_drop(&f.base);
    return res;
}

/* Receive with the receive future, driven by the runtime. */
static ssize_t
recv_from(struct fut_udp_socket *u, void *buf, size_t len,
          struct fut_dgram_info *info)
{
    struct fut_dgram_recv f;
    ssize_t res;

    ck_assert_int_eq(fut_udp_recv_init(&f, u, buf, len, info), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &f.base), 0);
    res = f.res;
    fut_future_drop(&f.base);
    return res;
}

/* The poll functions, each wrapped as a future that block_on drives. */
enum op_kind { OP_SEND_TO, OP_SEND, OP_RECV_FROM, OP_RECV };

struct udp_op {
    struct fut_future base;
    enum op_kind kind;
    struct fut_udp_socket *u;
    void *buf;
    size_t len;
    const struct sockaddr *addr;
    socklen_t alen;
    struct fut_dgram_info *info;
    ssize_t res;
};

static enum fut_poll
udp_op_poll(struct fut_future *f, struct fut_context *cx)
{
    struct udp_op *o = (struct udp_op *)f;

    switch (o->kind) {
    case OP_SEND_TO:
        return fut_udp_poll_send_to(o->u, cx, o->buf, o->len, o->addr,
                                    o->alen, &o->res);
    case OP_SEND:
        return fut_udp_poll_send(o->u, cx, o->buf, o->len, &o->res);
    case OP_RECV_FROM:
        return fut_udp_poll_recv_from(o->u, cx, o->buf, o->len, o->info,
                                      &o->res);
    default:
        return fut_udp_poll_recv(o->u, cx, o->buf, o->len, &o->res);
    }
}

static void
udp_op_drop(struct fut_future *f)
{
    FUT__UNUSED(f);
}

static const struct fut_future_vtable udp_op_vtable = {
    .poll = udp_op_poll,
    .drop = udp_op_drop,
    .result = NULL,
};

static ssize_t
run_op(enum op_kind kind, struct fut_udp_socket *u, void *buf, size_t len,
       const struct sockaddr_storage *addr, socklen_t alen,
       struct fut_dgram_info *info)
{
    struct udp_op o;

    memset(&o, 0, sizeof o);
    o.base.vtable = &udp_op_vtable;
    o.kind = kind;
    o.u = u;
    o.buf = buf;
    o.len = len;
    o.addr = (const struct sockaddr *)addr;
    o.alen = alen;
    o.info = info;
    ck_assert_int_eq(fut_block_on(&conf_rt, &o.base), 0);
    fut_future_drop(&o.base);
    return o.res;
}

/* ---- tests: bind, addresses, data ------------------------------------------ */

START_TEST(test_udp_bind_v4)
{
    struct fut_udp_socket u;
    struct sockaddr_storage ss;
    socklen_t len;

    ck_assert_int_eq(bind_on(&u, "127.0.0.1", &ss, &len), 0);
    ck_assert_int_eq(ss.ss_family, AF_INET);
    ck_assert_int_eq(len, (socklen_t)sizeof(struct sockaddr_in));
    ck_assert_uint_gt(port_of(&ss), 0);
    ck_assert_int_eq(fut_udp_port(&u), (int)port_of(&ss));
    ck_assert_int_ge(u.io.fd, 0);
    ck_assert_int_eq(fut_udp_close(&u), 0);
    ck_assert_int_eq(u.io.fd, -1);
    ck_assert_int_eq(fut_udp_close(&u), -EBADF);
}
END_TEST

START_TEST(test_udp_round_trip_v4)
{
    struct fut_udp_socket a, b;
    struct sockaddr_storage sa, sb;
    socklen_t la, lb;
    struct fut_dgram_info info;
    char buf[64];

    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(bind_on(&b, "127.0.0.1", &sb, &lb), 0);
    ck_assert_int_eq(send_to(&a, "hello", 5, &sb, lb), 5);
    memset(&info, 0xa5, sizeof info);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, &info), 5);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
    ck_assert_uint_eq(info.size, 5);
    ck_assert_int_eq(info.truncated, 0);
    ck_assert_int_eq(info.addr.ss_family, AF_INET);
    ck_assert_uint_eq(port_of(&info.addr), port_of(&sa));
    /* Back, through the poll functions, to the address just learnt. */
    ck_assert_int_eq(run_op(OP_SEND_TO, &b, "world!", 6, &info.addr,
                            info.addrlen, NULL),
                     6);
    ck_assert_int_eq(run_op(OP_RECV_FROM, &a, buf, sizeof buf, NULL, 0,
                            &info),
                     6);
    ck_assert_int_eq(memcmp(buf, "world!", 6), 0);
    ck_assert_uint_eq(port_of(&info.addr), port_of(&sb));
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
}
END_TEST

START_TEST(test_udp_round_trip_v6)
{
    struct fut_udp_socket a, b;
    struct sockaddr_storage sa, sb;
    socklen_t la, lb;
    struct fut_dgram_info info;
    char buf[64];

    bind_v6_or_skip(&a, &sa, &la);
    ck_assert_int_eq(bind_on(&b, "::1", &sb, &lb), 0);
    ck_assert_int_eq(sa.ss_family, AF_INET6);
    ck_assert_int_eq(fut_udp_port(&a), (int)port_of(&sa));
    ck_assert_int_eq(send_to(&a, "six", 3, &sb, lb), 3);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, &info), 3);
    ck_assert_int_eq(memcmp(buf, "six", 3), 0);
    ck_assert_int_eq(info.addr.ss_family, AF_INET6);
    ck_assert_uint_eq(port_of(&info.addr), port_of(&sa));
    /* Connected, over IPv6. */
    ck_assert_int_eq(fut_udp_connect(&b, (struct sockaddr *)&sa, la), 0);
    ck_assert_int_eq(run_op(OP_SEND, &b, "v6", 2, NULL, 0, NULL), 2);
    ck_assert_int_eq(run_op(OP_RECV, &a, buf, sizeof buf, NULL, 0, NULL), 2);
    ck_assert_int_eq(fut_udp_set_ttl(&a, 9), 0);
    ck_assert_int_eq(fut_udp_set_multicast_ttl(&a, 3), 0);
    ck_assert_int_eq(fut_udp_set_multicast_loop(&a, 0), 0);
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
}
END_TEST

START_TEST(test_udp_zero_length)
{
    struct fut_udp_socket a, b;
    struct sockaddr_storage sa, sb;
    socklen_t la, lb;
    struct fut_dgram_info info;
    char buf[16];

    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(bind_on(&b, "127.0.0.1", &sb, &lb), 0);
    /* An empty datagram is sent, and received as one (not as nothing). */
    ck_assert_int_eq(send_to(&a, NULL, 0, &sb, lb), 0);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, &info), 0);
    ck_assert_uint_eq(info.size, 0);
    ck_assert_int_eq(info.truncated, 0);
    ck_assert_uint_eq(port_of(&info.addr), port_of(&sa));
    /* Into no buffer at all. */
    ck_assert_int_eq(fut_udp_try_send_to(&a, "", 0, (struct sockaddr *)&sb,
                                         lb),
                     0);
    ck_assert_int_eq(recv_from(&b, NULL, 0, &info), 0);
    ck_assert_int_eq(info.truncated, 0);
    ck_assert_int_eq(fut_udp_try_recv_from(&b, buf, sizeof buf, NULL),
                     -EAGAIN);
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
}
END_TEST

START_TEST(test_udp_truncation)
{
    struct fut_udp_socket a, b;
    struct sockaddr_storage sa, sb;
    socklen_t la, lb;
    struct fut_dgram_info info;
    char big[100], buf[10];
    int i;

    for (i = 0; i < (int)sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(bind_on(&b, "127.0.0.1", &sb, &lb), 0);
    /* The future: -EMSGSIZE, the first bytes, the full size. */
    ck_assert_int_eq(send_to(&a, big, sizeof big, &sb, lb), 100);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, &info), -EMSGSIZE);
    ck_assert_int_eq(memcmp(buf, big, sizeof buf), 0);
    /* (the buffer's length where the OS cannot tell: udp.h) */
    ck_assert_uint_eq(info.size, FUT__OS_LINUX ? 100 : sizeof buf);
    ck_assert_int_eq(info.truncated, 1);
    ck_assert_uint_eq(port_of(&info.addr), port_of(&sa));
    /* It was consumed: nothing more is queued. */
    ck_assert_int_eq(fut_udp_try_recv_from(&b, buf, sizeof buf, &info),
                     -EAGAIN);
    /* The try form and the poll form say the same. */
    ck_assert_int_eq(fut_udp_try_send_to(&a, big, 11, (struct sockaddr *)&sb,
                                         lb),
                     11);
    ck_assert_int_eq(run_op(OP_RECV, &b, buf, sizeof buf, NULL, 0, NULL),
                     -EMSGSIZE);
    ck_assert_int_eq(send_to(&a, big, 40, &sb, lb), 40);
    ck_assert_int_eq(fut_udp_try_recv_from(&b, buf, sizeof buf, &info),
                     -EMSGSIZE);
    ck_assert_uint_eq(info.size, FUT__OS_LINUX ? 40 : sizeof buf);
    /* A zero-length buffer meets a non-empty datagram: truncated too. */
    ck_assert_int_eq(send_to(&a, big, 7, &sb, lb), 7);
    ck_assert_int_eq(recv_from(&b, NULL, 0, &info), -EMSGSIZE);
    ck_assert_uint_eq(info.size, FUT__OS_LINUX ? 7 : 0);
    ck_assert_int_eq(info.truncated, 1);
    /* Exactly the buffer's size is not truncated. */
    ck_assert_int_eq(send_to(&a, big, sizeof buf, &sb, lb), 10);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, &info), 10);
    ck_assert_int_eq(info.truncated, 0);
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
}
END_TEST

START_TEST(test_udp_connect_and_disconnect)
{
    struct fut_udp_socket a, b, c;
    struct sockaddr_storage sa, sb, sc, peer;
    socklen_t la, lb, lc, lp;
    struct sockaddr unspec;
    char buf[16];

    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(bind_on(&b, "127.0.0.1", &sb, &lb), 0);
    ck_assert_int_eq(bind_on(&c, "127.0.0.1", &sc, &lc), 0);
    ck_assert_int_eq(fut_udp_peer_addr(&a, &peer, &lp), -ENOTCONN);
    ck_assert_int_eq(fut_udp_connect(&a, (struct sockaddr *)&sb, lb), 0);
    ck_assert_int_eq(fut_udp_peer_addr(&a, &peer, &lp), 0);
    ck_assert_uint_eq(port_of(&peer), port_of(&sb));
    /* send without an address: to the peer. */
    ck_assert_int_eq(run_op(OP_SEND, &a, "to-b", 4, NULL, 0, NULL), 4);
    ck_assert_int_eq(send_to(&a, "to-b2", 5, NULL, 0), 5);
    ck_assert_int_eq(fut_udp_try_send_to(&a, "to-b3", 5, NULL, 0), 5);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, NULL), 4);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, NULL), 5);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, NULL), 5);
    /* Only the peer's datagrams arrive: c's is filtered by the kernel. */
    ck_assert_int_eq(send_to(&c, "from-c", 6, &sa, la), 6);
    ck_assert_int_eq(send_to(&b, "from-b", 6, &sa, la), 6);
    ck_assert_int_eq(recv_from(&a, buf, sizeof buf, NULL), 6);
    ck_assert_int_eq(memcmp(buf, "from-b", 6), 0);
    ck_assert_int_eq(fut_udp_try_recv_from(&a, buf, sizeof buf, NULL),
                     -EAGAIN);
    /* AF_UNSPEC disconnects. */
    memset(&unspec, 0, sizeof unspec);
    unspec.sa_family = AF_UNSPEC;
    ck_assert_int_eq(fut_udp_connect(&a, &unspec, sizeof unspec), 0);
    ck_assert_int_eq(fut_udp_peer_addr(&a, &peer, &lp), -ENOTCONN);
    ck_assert_int_eq(run_op(OP_SEND, &a, "x", 1, NULL, 0, NULL),
                     -EDESTADDRREQ);
    ck_assert_int_eq(send_to(&c, "from-c", 6, &sa, la), 6);
    ck_assert_int_eq(recv_from(&a, buf, sizeof buf, NULL), 6);
    ck_assert_int_eq(memcmp(buf, "from-c", 6), 0);
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
    ck_assert_int_eq(fut_udp_close(&c), 0);
}
END_TEST

/* A closed port's ICMP "port unreachable" reaches a connected socket as
 * -ECONNREFUSED once, on the next receive or send; the socket then goes
 * on (no spin on the stale error, no crash, no hang). */
START_TEST(test_udp_connection_refused)
{
    struct fut_udp_socket a, gone, b;
    struct sockaddr_storage sa, sg, sb;
    socklen_t la, lg, lb;
    struct fut_dgram_recv r;
    char buf[16];

    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(bind_on(&gone, "127.0.0.1", &sg, &lg), 0);
    ck_assert_int_eq(fut_udp_close(&gone), 0);
    ck_assert_int_eq(fut_udp_connect(&a, (struct sockaddr *)&sg, lg), 0);
    /* On a receive. */
    ck_assert_int_eq(send_to(&a, "ping", 4, NULL, 0), 4);
    ck_assert_int_eq(recv_from(&a, buf, sizeof buf, NULL), -ECONNREFUSED);
    /* Reported once: a receive now waits (it stays pending through
     * several turns of the reactor instead of spinning on the error). */
    ck_assert_int_eq(fut_udp_recv_init(&r, &a, buf, sizeof buf, NULL), 0);
    ck_assert_int_eq(conf_drive(&r.base, 3), 0);
    fut_future_drop(&r.base);
    ck_assert_ptr_null(a.io.read_waker.vtable);
    /* On a send. */
    ck_assert_int_eq(send_to(&a, "ping", 4, NULL, 0), 4);
    ck_assert_int_eq(run_op(OP_SEND, &a, "ping", 4, NULL, 0, NULL),
                     -ECONNREFUSED);
    ck_assert_int_eq(fut_udp_try_send_to(&a, "ping", 4, NULL, 0), 4);
    ck_assert_int_eq(fut_udp_try_recv_from(&a, buf, sizeof buf, NULL),
                     -ECONNREFUSED);
    ck_assert_int_eq(fut_udp_try_recv_from(&a, buf, sizeof buf, NULL),
                     -EAGAIN);
    /* Still usable with a live peer. */
    ck_assert_int_eq(bind_on(&b, "127.0.0.1", &sb, &lb), 0);
    ck_assert_int_eq(fut_udp_connect(&a, (struct sockaddr *)&sb, lb), 0);
    ck_assert_int_eq(fut_udp_connect(&b, (struct sockaddr *)&sa, la), 0);
    ck_assert_int_eq(send_to(&a, "live", 4, NULL, 0), 4);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, NULL), 4);
    ck_assert_int_eq(send_to(&b, "back", 4, NULL, 0), 4);
    ck_assert_int_eq(recv_from(&a, buf, sizeof buf, NULL), 4);
    ck_assert_int_eq(memcmp(buf, "back", 4), 0);
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
}
END_TEST

START_TEST(test_udp_many_datagrams)
{
    enum { N = 200 };
    struct fut_udp_socket a, b;
    struct sockaddr_storage sa, sb;
    socklen_t la, lb;
    unsigned int i, v;

    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(bind_on(&b, "127.0.0.1", &sb, &lb), 0);
    /* Ping-pong: each datagram answered before the next (no loss on the
     * loopback with one in flight). */
    for (i = 0; i < N; i++) {
        ck_assert_int_eq(send_to(&a, &i, sizeof i, &sb, lb), sizeof i);
        ck_assert_int_eq(recv_from(&b, &v, sizeof v, NULL), sizeof v);
        ck_assert_uint_eq(v, i);
        ck_assert_int_eq(send_to(&b, &v, sizeof v, &sa, la), sizeof v);
        ck_assert_int_eq(recv_from(&a, &v, sizeof v, NULL), sizeof v);
        ck_assert_uint_eq(v, i);
    }
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
}
END_TEST

START_TEST(test_udp_bind_in_use_and_reuse)
{
    struct fut_udp_socket a, b, c;
    struct sockaddr_storage sa;
    socklen_t la;

    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(fut_udp_bind(&b, (struct sockaddr *)&sa, la, 0),
                     -EADDRINUSE);
    ck_assert_int_eq(b.io.fd, -1);
    ck_assert_int_eq(fut_udp_close(&b), -EBADF);
    ck_assert_int_eq(fut_udp_close(&a), 0);
    /* Two sockets on one port with FUT_UDP_REUSEADDR (both ask). */
    ck_assert_int_eq(fut_udp_bind_host(&a, "0.0.0.0", 0, FUT_UDP_REUSEADDR),
                     0);
    ck_assert_int_eq(fut_udp_bind_host(&b, "0.0.0.0",
                                       (unsigned int)fut_udp_port(&a),
                                       FUT_UDP_REUSEADDR),
                     0);
    ck_assert_int_eq(fut_udp_port(&a), fut_udp_port(&b));
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
    /* IPV6ONLY is accepted (and ignored for IPv4). */
    ck_assert_int_eq(fut_udp_bind_host(&c, "127.0.0.1", 0, FUT_UDP_IPV6ONLY),
                     0);
    ck_assert_int_eq(fut_udp_close(&c), 0);
}
END_TEST

/* ---- tests: options -------------------------------------------------------- */

static int
getopt_int(int fd, int level, int name)
{
    int v = 0;
    unsigned char c;
    socklen_t len = sizeof v;

    ck_assert_int_eq(getsockopt(fd, level, name, &v, &len), 0);
    if (len == 1) {
        memcpy(&c, &v, 1);
        return c;
    }
    return v;
}

START_TEST(test_udp_options_v4)
{
    struct fut_udp_socket u;
    struct sockaddr_storage ss;
    socklen_t len;

    ck_assert_int_eq(bind_on(&u, "127.0.0.1", &ss, &len), 0);
    ck_assert_int_eq(fut_udp_set_broadcast(&u, 1), 0);
    ck_assert_int_ne(getopt_int(u.io.fd, SOL_SOCKET, SO_BROADCAST), 0);
    ck_assert_int_eq(fut_udp_set_broadcast(&u, 0), 0);
    ck_assert_int_eq(getopt_int(u.io.fd, SOL_SOCKET, SO_BROADCAST), 0);
    ck_assert_int_eq(fut_udp_set_ttl(&u, 7), 0);
    ck_assert_int_eq(getopt_int(u.io.fd, IPPROTO_IP, IP_TTL), 7);
    ck_assert_int_eq(fut_udp_set_multicast_ttl(&u, 4), 0);
    ck_assert_int_eq(getopt_int(u.io.fd, IPPROTO_IP, IP_MULTICAST_TTL), 4);
    ck_assert_int_eq(fut_udp_set_multicast_loop(&u, 0), 0);
    ck_assert_int_eq(getopt_int(u.io.fd, IPPROTO_IP, IP_MULTICAST_LOOP), 0);
    ck_assert_int_eq(fut_udp_set_multicast_loop(&u, 1), 0);
    ck_assert_int_eq(getopt_int(u.io.fd, IPPROTO_IP, IP_MULTICAST_LOOP), 1);
    /* Out of range. */
    ck_assert_int_eq(fut_udp_set_ttl(&u, 0), -EINVAL);
    ck_assert_int_eq(fut_udp_set_ttl(&u, 256), -EINVAL);
    ck_assert_int_eq(fut_udp_set_multicast_ttl(&u, -1), -EINVAL);
    ck_assert_int_eq(fut_udp_set_multicast_ttl(&u, 256), -EINVAL);
    ck_assert_int_eq(fut_udp_close(&u), 0);
}
END_TEST

/* Join a group on the default interface or, failing that (a machine with
 * no multicast route), on the loopback; skip when neither works. */
static unsigned int
join_or_skip(struct fut_udp_socket *u, const char *group)
{
    unsigned int lo = if_nametoindex("lo");
    int err = fut_udp_join_multicast(u, group, 0);

    if (err == 0)
        return 0;
    if (lo != 0 && fut_udp_join_multicast(u, group, lo) == 0)
        return lo;
    CONF_SKIP("no multicast route or interface on this machine");
    return 0;
}

START_TEST(test_udp_multicast_v4)
{
    struct fut_udp_socket u, v6;
    unsigned int ifi;

    ck_assert_int_eq(fut_udp_bind_host(&u, "0.0.0.0", 0, FUT_UDP_REUSEADDR),
                     0);
    ifi = join_or_skip(&u, "239.255.42.1");
    ck_assert_int_eq(fut_udp_join_multicast(&u, "239.255.42.1", ifi),
                     -EADDRINUSE);
    ck_assert_int_eq(fut_udp_leave_multicast(&u, "239.255.42.1", ifi), 0);
    ck_assert_int_eq(fut_udp_leave_multicast(&u, "239.255.42.1", ifi),
                     -EADDRNOTAVAIL);
    /* Not a multicast address, not an address, the other family. */
    ck_assert_int_eq(fut_udp_join_multicast(&u, "127.0.0.1", 0), -EINVAL);
    ck_assert_int_eq(fut_udp_join_multicast(&u, "not-an-ip", 0), -EINVAL);
    ck_assert_int_eq(fut_udp_join_multicast(&u, "ff02::1", 0),
                     -EAFNOSUPPORT);
    ck_assert_int_eq(fut_udp_join_multicast(&u, "::1", 0), -EINVAL);
    ck_assert_int_eq(fut_udp_join_multicast(&u, NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_udp_leave_multicast(NULL, "239.255.42.1", 0),
                     -EINVAL);
    ck_assert_int_eq(fut_udp_close(&u), 0);
    ck_assert_int_eq(fut_udp_join_multicast(&u, "239.255.42.1", 0), -EBADF);
    /* An IPv6 socket refuses an IPv4 group. */
    if (fut_udp_bind_host(&v6, "::", 0, 0) == 0) {
        ck_assert_int_eq(fut_udp_join_multicast(&v6, "239.255.42.1", 0),
                         -EAFNOSUPPORT);
        ck_assert_int_eq(fut_udp_close(&v6), 0);
    }
}
END_TEST

/* A datagram sent to a group reaches a member: both ends on the loopback
 * (the sender's interface set to it, loop on), so that no other machine
 * sees it. Skips where the loopback carries no multicast. */
START_TEST(test_udp_multicast_delivery_v4)
{
    struct fut_udp_socket r, s;
    struct sockaddr_storage sr;
    struct sockaddr_in to;
    socklen_t lr = sizeof sr;
    struct fut_dgram_info info;
    unsigned int lo = if_nametoindex("lo");
    char buf[64];
    int err;

    if (lo == 0)
        CONF_SKIP("no loopback interface named lo");
    ck_assert_int_eq(fut_udp_bind_host(&r, "0.0.0.0", 0, FUT_UDP_REUSEADDR),
                     0);
    ck_assert_int_eq(fut_udp_local_addr(&r, &sr, &lr), 0);
    err = fut_udp_join_multicast(&r, "239.255.42.7", lo);
    if (err == -ENODEV || err == -EADDRNOTAVAIL || err == -ENOTSUP) {
        ck_assert_int_eq(fut_udp_close(&r), 0);
        CONF_SKIP("no multicast on the loopback");
    }
    ck_assert_int_eq(err, 0);
    ck_assert_int_eq(fut_udp_bind_host(&s, "127.0.0.1", 0, 0), 0);
    ck_assert_int_eq(fut_udp_set_multicast_interface(&s, lo), 0);
    ck_assert_int_eq(fut_udp_set_multicast_loop(&s, 1), 0);
    ck_assert_int_eq(fut_udp_set_multicast_ttl(&s, 0), 0);
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((unsigned short)port_of(&sr));
    ck_assert_int_eq(inet_pton(AF_INET, "239.255.42.7", &to.sin_addr), 1);
    ck_assert_int_eq(send_to(&s, "group", 5,
                             (const struct sockaddr_storage *)(void *)&to,
                             sizeof to),
                     5);
    ck_assert_int_eq(recv_from(&r, buf, sizeof buf, &info), 5);
    ck_assert_int_eq(memcmp(buf, "group", 5), 0);
    /* Left: the next datagram to the group does not arrive, which the
     * member learns by one sent to it directly getting there first. */
    ck_assert_int_eq(fut_udp_leave_multicast(&r, "239.255.42.7", lo), 0);
    ck_assert_int_eq(send_to(&s, "late", 4,
                             (const struct sockaddr_storage *)(void *)&to,
                             sizeof to),
                     4);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(send_to(&s, "direct", 6,
                             (const struct sockaddr_storage *)(void *)&to,
                             sizeof to),
                     6);
    ck_assert_int_eq(recv_from(&r, buf, sizeof buf, &info), 6);
    ck_assert_int_eq(memcmp(buf, "direct", 6), 0);
    /* Bad input. */
    ck_assert_int_eq(fut_udp_set_multicast_interface(NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_udp_set_multicast_interface(&s, 0), 0);
    ck_assert_int_eq(fut_udp_close(&s), 0);
    ck_assert_int_eq(fut_udp_set_multicast_interface(&s, lo), -EBADF);
    ck_assert_int_eq(fut_udp_close(&r), 0);
}
END_TEST

START_TEST(test_udp_multicast_v6)
{
    struct fut_udp_socket u;
    unsigned int lo = if_nametoindex("lo");
    int err;

    err = fut_udp_bind_host(&u, "::", 0, 0);
    if (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT)
        CONF_SKIP("no IPv6 on this machine");
    ck_assert_int_eq(err, 0);
    /* A link-scope group needs an interface: the loopback's. */
    err = fut_udp_join_multicast(&u, "ff02::114", lo);
    if (err == -ENODEV || err == -EADDRNOTAVAIL || err == -EINVAL) {
        ck_assert_int_eq(fut_udp_close(&u), 0);
        CONF_SKIP("no IPv6 multicast on the loopback");
    }
    ck_assert_int_eq(err, 0);
    ck_assert_int_eq(fut_udp_join_multicast(&u, "ff02::114", lo),
                     -EADDRINUSE);
    ck_assert_int_eq(fut_udp_leave_multicast(&u, "ff02::114", lo), 0);
    err = fut_udp_leave_multicast(&u, "ff02::114", lo);
    ck_assert(err == -EADDRNOTAVAIL || err == -EINVAL);
    ck_assert_int_eq(fut_udp_join_multicast(&u, "fe80::1", lo), -EINVAL);
    ck_assert_int_eq(fut_udp_close(&u), 0);
}
END_TEST

/* ---- tests: bad input -------------------------------------------------------- */

START_TEST(test_udp_bad_input)
{
    struct fut_udp_socket u, closed;
    struct fut_dgram_send s;
    struct fut_dgram_recv r;
    struct sockaddr_storage ss;
    struct sockaddr_in short_sin;
    struct sockaddr unix_sa;
    socklen_t len;
    struct fut_context cx = conf_noop_cx();
    ssize_t res;
    char buf[8];
    static char huge[70000];

    ck_assert_int_eq(fut_udp_init(NULL), -EINVAL);
    ck_assert_int_eq(fut_udp_init(&closed), 0);
    /* bind */
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 0, &ss, &len), 0);
    ck_assert_int_eq(fut_udp_bind(NULL, (struct sockaddr *)&ss, len, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_udp_bind(&u, NULL, len, 0), -EINVAL);
    ck_assert_int_eq(fut_udp_bind(&u, (struct sockaddr *)&ss, 3, 0), -EINVAL);
    ck_assert_int_eq(fut_udp_bind(&u, (struct sockaddr *)&ss, len, 1u << 7),
                     -EINVAL);
    memset(&unix_sa, 0, sizeof unix_sa);
    unix_sa.sa_family = AF_UNIX;
    ck_assert_int_eq(fut_udp_bind(&u, &unix_sa, sizeof unix_sa, 0), -EINVAL);
    ck_assert_int_eq(fut_udp_bind_host(&u, "nope", 0, 0), -EINVAL);
    ck_assert_int_eq(fut_udp_bind_host(&u, "127.0.0.1", 70000, 0), -EINVAL);
    ck_assert_int_eq(fut_udp_bind_host(&u, NULL, 0, 0), -EINVAL);
    ck_assert_int_eq(fut_udp_bind_host(NULL, "127.0.0.1", 0, 0), -EINVAL);
    ck_assert_int_eq(u.io.fd, -1);
    /* Address queries. */
    ck_assert_int_eq(fut_udp_local_addr(NULL, &ss, &len), -EINVAL);
    ck_assert_int_eq(fut_udp_local_addr(&closed, &ss, &len), -EBADF);
    ck_assert_int_eq(fut_udp_port(&closed), -EBADF);
    ck_assert_int_eq(fut_udp_port(NULL), -EINVAL);
    ck_assert_int_eq(fut_udp_peer_addr(&closed, &ss, &len), -EBADF);
    ck_assert_int_eq(fut_udp_peer_addr(NULL, &ss, &len), -EINVAL);
    /* Closed (never bound) socket: every operation -EBADF. */
    ck_assert_int_eq(fut_udp_connect(&closed, (struct sockaddr *)&ss, len),
                     -EBADF);
    ck_assert_int_eq(fut_udp_try_send_to(&closed, "x", 1,
                                         (struct sockaddr *)&ss, len),
                     -EBADF);
    ck_assert_int_eq(fut_udp_try_recv_from(&closed, buf, sizeof buf, NULL),
                     -EBADF);
    ck_assert_int_eq(fut_udp_poll_recv_from(&closed, &cx, buf, sizeof buf,
                                            NULL, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_udp_poll_send_to(&closed, &cx, buf, 1,
                                          (struct sockaddr *)&ss, len, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(recv_from(&closed, buf, sizeof buf, NULL), -EBADF);
    ck_assert_int_eq(send_to(&closed, "x", 1, &ss, len), -EBADF);
    ck_assert_int_eq(fut_udp_set_broadcast(&closed, 1), -EBADF);
    ck_assert_int_eq(fut_udp_set_ttl(&closed, 5), -EBADF);
    ck_assert_int_eq(fut_udp_set_multicast_ttl(&closed, 5), -EBADF);
    ck_assert_int_eq(fut_udp_set_multicast_loop(&closed, 1), -EBADF);
    ck_assert_int_eq(fut_udp_close(&closed), -EBADF);
    /* NULLs. */
    ck_assert_int_eq(fut_udp_connect(NULL, (struct sockaddr *)&ss, len),
                     -EINVAL);
    ck_assert_int_eq(fut_udp_set_broadcast(NULL, 1), -EINVAL);
    ck_assert_int_eq(fut_udp_set_ttl(NULL, 1), -EINVAL);
    ck_assert_int_eq(fut_udp_set_multicast_ttl(NULL, 1), -EINVAL);
    ck_assert_int_eq(fut_udp_set_multicast_loop(NULL, 1), -EINVAL);
    ck_assert_int_eq(fut_udp_close(NULL), -EINVAL);
    ck_assert_int_eq(fut_udp_poll_recv(NULL, &cx, buf, 1, &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_udp_poll_send(NULL, &cx, buf, 1, &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_udp_poll_recv(&closed, &cx, buf, 1, NULL),
                     FUT_READY);
    ck_assert_int_eq(fut_udp_try_send_to(NULL, "x", 1, NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_udp_try_recv_from(NULL, buf, 1, NULL), -EINVAL);
    ck_assert_int_eq(fut_udp_send_init(NULL, &closed, "x", 1, NULL, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_udp_send_init(&s, NULL, "x", 1, NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_udp_recv_init(NULL, &closed, buf, 1, NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_udp_recv_init(&r, NULL, buf, 1, NULL), -EINVAL);

    /* An open socket, with bad arguments. */
    ck_assert_int_eq(bind_on(&u, "127.0.0.1", &ss, &len), 0);
    ck_assert_int_eq(fut_udp_poll_recv_from(&u, NULL, buf, 1, NULL, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_udp_poll_recv_from(&u, &cx, NULL, 1, NULL, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_udp_poll_send_to(&u, &cx, NULL, 1,
                                          (struct sockaddr *)&ss, len, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_udp_try_recv_from(&u, NULL, 1, NULL), -EINVAL);
    ck_assert_int_eq(fut_udp_try_send_to(&u, NULL, 1, (struct sockaddr *)&ss,
                                         len),
                     -EINVAL);
    ck_assert_int_eq(fut_udp_recv_init(&r, &u, NULL, 1, NULL), -EINVAL);
    ck_assert_int_eq(fut_udp_send_init(&s, &u, NULL, 1, NULL, 0), -EINVAL);
    /* Bad addresses: wrong family, short, NULL with a length. */
    ck_assert_int_eq(fut_udp_try_send_to(&u, "x", 1, &unix_sa,
                                         sizeof unix_sa),
                     -EINVAL);
    memcpy(&short_sin, &ss, sizeof short_sin);
    ck_assert_int_eq(fut_udp_try_send_to(&u, "x", 1,
                                         (struct sockaddr *)&short_sin, 4),
                     -EINVAL);
    ck_assert_int_eq(fut_udp_try_send_to(&u, "x", 1, NULL, 16), -EINVAL);
    ck_assert_int_eq(fut_udp_send_init(&s, &u, "x", 1, &unix_sa,
                                       sizeof unix_sa),
                     -EINVAL);
    ck_assert_int_eq(fut_udp_connect(&u, NULL, len), -EINVAL);
    ck_assert_int_eq(fut_udp_connect(&u, &unix_sa, sizeof unix_sa), -EINVAL);
    ck_assert_int_eq(fut_udp_connect(&u, (struct sockaddr *)&ss, 2), -EINVAL);
    ck_assert_int_eq(fut_udp_poll_send_to(&u, &cx, "x", 1, &unix_sa,
                                          sizeof unix_sa, &res),
                     FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    /* Oversize: more than a UDP datagram can carry. */
    ck_assert_int_eq(fut_udp_try_send_to(&u, huge, sizeof huge,
                                         (struct sockaddr *)&ss, len),
                     -EMSGSIZE);
    ck_assert_int_eq(send_to(&u, huge, sizeof huge, &ss, len), -EMSGSIZE);
    /* A family mismatch the kernel refuses. */
    {
        struct sockaddr_storage s6;
        socklen_t l6;

        ck_assert_int_eq(fut_sockaddr_parse("::1", 9, &s6, &l6), 0);
        ck_assert_int_lt(fut_udp_try_send_to(&u, "x", 1,
                                             (struct sockaddr *)&s6, l6),
                         0);
    }
    /* Nothing was received. */
    ck_assert_int_eq(fut_udp_try_recv_from(&u, buf, sizeof buf, NULL),
                     -EAGAIN);
    ck_assert_int_eq(fut_udp_close(&u), 0);
    /* A future over a socket closed since init reports -EBADF. */
    ck_assert_int_eq(bind_on(&u, "127.0.0.1", &ss, &len), 0);
    ck_assert_int_eq(fut_udp_recv_init(&r, &u, buf, sizeof buf, NULL), 0);
    ck_assert_int_eq(fut_udp_close(&u), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &r.base), 0);
    ck_assert_int_eq(r.res, -EBADF);
    ck_assert_int_eq(fut_future_result(&r.base), -EBADF);
    fut_future_drop(&r.base);
}
END_TEST

START_TEST(test_udp_try_io)
{
    struct fut_udp_socket a, b;
    struct sockaddr_storage sa, sb;
    socklen_t la, lb;
    struct fut_dgram_info info;
    char buf[16];

    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(bind_on(&b, "127.0.0.1", &sb, &lb), 0);
    ck_assert_int_eq(fut_udp_try_recv_from(&b, buf, sizeof buf, &info),
                     -EAGAIN);
    ck_assert_int_eq(fut_udp_try_send_to(&a, "try", 3, (struct sockaddr *)&sb,
                                         lb),
                     3);
    ck_assert_int_eq(fut_udp_try_recv_from(&b, buf, sizeof buf, &info), 3);
    ck_assert_int_eq(memcmp(buf, "try", 3), 0);
    ck_assert_uint_eq(port_of(&info.addr), port_of(&sa));
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
}
END_TEST

/* ---- tests: cancellation is drop ---------------------------------------------- */

START_TEST(test_udp_recv_drop_after_n_polls)
{
    struct fut_udp_socket a, b;
    struct sockaddr_storage sa, sb;
    socklen_t la, lb;
    struct fut_dgram_recv r;
    struct fut_context cx = conf_noop_cx();
    char buf[16];

    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(bind_on(&b, "127.0.0.1", &sb, &lb), 0);
    ck_assert_int_eq(fut_udp_recv_init(&r, &b, buf, sizeof buf, NULL), 0);
    /* Nothing was sent: pending until the drop. */
    ck_assert_int_eq(conf_drive(&r.base, _i), 0);
    fut_future_drop(&r.base);
    ck_assert_ptr_null(b.io.read_waker.vtable);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    /* Cancel-safe: the datagram sent after the drop is there whole. */
    ck_assert_int_eq(send_to(&a, "after", 5, &sb, lb), 5);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, NULL), 5);
    ck_assert_int_eq(memcmp(buf, "after", 5), 0);
    /* Fused: READY again after READY, with the same result. */
    ck_assert_int_eq(fut_udp_recv_init(&r, &b, buf, sizeof buf, NULL), 0);
    ck_assert_int_eq(send_to(&a, "x", 1, &sb, lb), 1);
    ck_assert_int_eq(fut_block_on(&conf_rt, &r.base), 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_READY);
    ck_assert_int_eq(r.res, 1);
    fut_future_drop(&r.base);
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
}
END_TEST

/* A UDP send buffer rarely fills on the loopback (the kernel drops at the
 * receiver instead), so EAGAIN is injected: the send waits for writable
 * readiness, and is dropped there. */
START_TEST(test_udp_send_drop_after_n_polls)
{
    struct fut_udp_socket a, b;
    struct sockaddr_storage sa, sb;
    socklen_t la, lb;
    struct fut_dgram_send s;
    char buf[16];
    int ready;

    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(bind_on(&b, "127.0.0.1", &sb, &lb), 0);
    conf_fault_set(-1, EAGAIN, 1000000);
    fut__sys.sendto = conf_fault_sendto;
    ck_assert_int_eq(fut_udp_send_init(&s, &a, "data", 4,
                                       (struct sockaddr *)&sb, lb),
                     0);
    ready = conf_drive(&s.base, _i);
    ck_assert_int_eq(ready, 0);
    fut_future_drop(&s.base);
    ck_assert_ptr_null(a.io.write_waker.vtable);
    fut__sys.sendto = conf_real_sys.sendto;
    /* Nothing was sent by the dropped future. */
    ck_assert_int_eq(fut_udp_try_recv_from(&b, buf, sizeof buf, NULL),
                     -EAGAIN);
    /* The socket still works. (A try: the injected EAGAIN cleared a
     * readiness that an edge-triggered backend will not report again,
     * since the socket never really filled up.) */
    ck_assert_int_eq(fut_udp_try_send_to(&a, "data", 4,
                                         (struct sockaddr *)&sb, lb),
                     4);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, NULL), 4);
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
}
END_TEST

/* Two receives of one task wait on one socket; dropping the older one
 * withdraws only its own registration, so the newer one is still woken. */
START_TEST(test_udp_stale_recv_drop_keeps_live_waker)
{
    struct fut_udp_socket a, b;
    struct sockaddr_storage sa, sb;
    socklen_t la, lb;
    struct fut_dgram_recv stale, live;
    struct fut_context cx = conf_noop_cx();
    char buf[8], buf2[8];

    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(bind_on(&b, "127.0.0.1", &sb, &lb), 0);
    ck_assert_int_eq(fut_udp_recv_init(&stale, &b, buf, sizeof buf, NULL), 0);
    ck_assert_int_eq(fut_udp_recv_init(&live, &b, buf2, sizeof buf2, NULL),
                     0);
    ck_assert_int_eq(fut_future_poll(&stale.base, &cx), FUT_PENDING);
    ck_assert_int_eq(fut_future_poll(&live.base, &cx), FUT_PENDING);
    fut_future_drop(&stale.base);
    ck_assert_ptr_nonnull(b.io.read_waker.vtable);
    ck_assert_int_eq(send_to(&a, "live", 4, &sb, lb), 4);
    ck_assert_int_eq(fut_block_on(&conf_rt, &live.base), 0);
    ck_assert_int_eq(live.res, 4);
    fut_future_drop(&live.base);
    ck_assert_ptr_null(b.io.read_waker.vtable);
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
}
END_TEST

/* ---- tests: faults --------------------------------------------------------- */

START_TEST(test_udp_fault_eintr_retried)
{
    struct fut_udp_socket a, b;
    struct sockaddr_storage sa, sb;
    socklen_t la, lb;
    char buf[16];

    ck_assert_int_eq(bind_on(&a, "127.0.0.1", &sa, &la), 0);
    ck_assert_int_eq(bind_on(&b, "127.0.0.1", &sb, &lb), 0);
    conf_fault_set(-1, EINTR, 2);
    fut__sys.sendto = conf_fault_sendto;
    ck_assert_int_eq(send_to(&a, "intr", 4, &sb, lb), 4);
    ck_assert_int_eq(conf_fault_hits, 2);
    fut__sys.sendto = conf_real_sys.sendto;
    conf_fault_set(-1, EINTR, 2);
    /* (recvmsg(2) where the OS layer cannot use recvfrom: os.c) */
    fut__sys.recvfrom = conf_fault_recvfrom;
    fut__sys.recvmsg = conf_fault_recvmsg;
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, NULL), 4);
    ck_assert_int_eq(conf_fault_hits, 2);
    /* Another error is passed on. */
    conf_fault_set(-1, ENOBUFS, 1);
    fut__sys.sendto = conf_fault_sendto;
    ck_assert_int_eq(send_to(&a, "x", 1, &sb, lb), -ENOBUFS);
    ck_assert_int_eq(fut_udp_try_send_to(&a, "x", 1, (struct sockaddr *)&sb,
                                         lb),
                     1);
    conf_fault_set(-1, ENOMEM, 1);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, NULL), -ENOMEM);
    ck_assert_int_eq(recv_from(&b, buf, sizeof buf, NULL), 1);
    ck_assert_int_eq(fut_udp_close(&a), 0);
    ck_assert_int_eq(fut_udp_close(&b), 0);
}
END_TEST

START_TEST(test_udp_fault_bind_leaves_nothing)
{
    struct fut_udp_socket u;

    conf_fault_set(-1, EMFILE, 1);
    fut__sys.socket = conf_fault_socket;
    ck_assert_int_eq(fut_udp_bind_host(&u, "127.0.0.1", 0, 0), -EMFILE);
    ck_assert_int_eq(u.io.fd, -1);
    fut__sys.socket = conf_real_sys.socket;
    conf_fault_set(-1, EACCES, 1);
    fut__sys.bind = conf_fault_bind;
    ck_assert_int_eq(fut_udp_bind_host(&u, "127.0.0.1", 0, 0), -EACCES);
    ck_assert_int_eq(u.io.fd, -1);
    /* The teardown checks no descriptor was left open. */
}
END_TEST

static TCase *
udp_case(const char *name, int timeout)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, conf_sys_setup, conf_sys_teardown);
    tcase_set_timeout(tc, timeout);
    return tc;
}

Suite *
fut_conf_udp_suite(void)
{
    Suite *s = suite_create("udp");
    TCase *tc;

    tc = udp_case("data", 30);
    tcase_add_test(tc, test_udp_bind_v4);
    tcase_add_test(tc, test_udp_round_trip_v4);
    tcase_add_test(tc, test_udp_round_trip_v6);
    tcase_add_test(tc, test_udp_zero_length);
    tcase_add_test(tc, test_udp_truncation);
    tcase_add_test(tc, test_udp_connect_and_disconnect);
    tcase_add_test(tc, test_udp_connection_refused);
    tcase_add_test(tc, test_udp_many_datagrams);
    tcase_add_test(tc, test_udp_bind_in_use_and_reuse);
    tcase_add_test(tc, test_udp_try_io);
    suite_add_tcase(s, tc);

    tc = udp_case("options", 10);
    tcase_add_test(tc, test_udp_options_v4);
    tcase_add_test(tc, test_udp_multicast_v4);
    tcase_add_test(tc, test_udp_multicast_delivery_v4);
    tcase_add_test(tc, test_udp_multicast_v6);
    suite_add_tcase(s, tc);

    tc = udp_case("errors", 10);
    tcase_add_test(tc, test_udp_bad_input);
    tcase_add_test(tc, test_udp_fault_eintr_retried);
    tcase_add_test(tc, test_udp_fault_bind_leaves_nothing);
    suite_add_tcase(s, tc);

    tc = udp_case("drop", 10);
    tcase_add_loop_test(tc, test_udp_recv_drop_after_n_polls, 0, 4);
    tcase_add_loop_test(tc, test_udp_send_drop_after_n_polls, 0, 4);
    tcase_add_test(tc, test_udp_stale_recv_drop_keeps_live_waker);
    suite_add_tcase(s, tc);
    return s;
}
