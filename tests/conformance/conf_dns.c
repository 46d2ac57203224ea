/* SPDX-License-Identifier: MIT */
/* Conformance: getaddrinfo/getnameinfo futures and connect by host name. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conformance.h"
#include "internal.h"

/*
 * Only "localhost" and numeric hosts are resolved for real. Everything
 * else goes through a scripted resolver swapped into fut__sys: it builds
 * its answer from numeric addresses, can fail with any EAI code, and can
 * block on a pipe until the test lets it go (never a sleep), which is how
 * a lookup is held "running" while the test drops its future.
 */

static struct fut__syscalls real_sys;

/* ---- a pipe-backed latch -------------------------------------------------- */

struct latch {
    int fd[2];
};

static void
latch_init(struct latch *l)
{
    ck_assert_int_eq(pipe(l->fd), 0);
}

static void
latch_open(struct latch *l)
{
    ck_assert_int_eq(write(l->fd[1], "x", 1), 1);
}

static void
latch_wait(struct latch *l)
{
    char c;
    ssize_t n;

    do
        n = read(l->fd[0], &c, 1);
    while (n < 0 && errno == EINTR);
    ck_assert_msg(n == 1, "latch read: %zd (%s)", n, strerror(errno));
}

static void
latch_fini(struct latch *l)
{
    close(l->fd[0]);
    close(l->fd[1]);
}

/* ---- the scripted resolver ----------------------------------------------- */

#define SCRIPT_MAX 8

struct fake_node {
    struct addrinfo ai;
    struct sockaddr_storage ss;
};

static const char *script_addr[SCRIPT_MAX];
static unsigned int script_ports[SCRIPT_MAX];
static int script_n;
static int script_eai;          /* returned instead of a list when set */
static int script_errno;        /* errno for EAI_SYSTEM */
static int script_block;        /* hold the call until `release` opens */
static struct latch entered, release;
static int gai_calls;           /* atomic */
static int gai_frees;           /* atomic */
static int gai_done;            /* atomic: calls that returned */

static void
script_reset(void)
{
    script_n = 0;
    script_eai = 0;
    script_errno = 0;
    script_block = 0;
    gai_calls = 0;
    gai_frees = 0;
    gai_done = 0;
}

static void
script_add(const char *addr, unsigned int port)
{
    ck_assert_int_lt(script_n, SCRIPT_MAX);
    script_ports[script_n] = port;
    script_addr[script_n++] = addr;
}

static void
fake_freeaddrinfo(struct addrinfo *ai)
{
    struct addrinfo *next;

    __atomic_add_fetch(&gai_frees, 1, __ATOMIC_SEQ_CST);
    for (; ai != NULL; ai = next) {
        next = ai->ai_next;
        free(ai);
    }
}

static int
fake_getaddrinfo(const char *node, const char *service,
                 const struct addrinfo *hints, struct addrinfo **res)
{
    struct addrinfo *head = NULL, **tail = &head;
    socklen_t len;
    int i;

    (void)node;
    (void)service;
    (void)hints;
    __atomic_add_fetch(&gai_calls, 1, __ATOMIC_SEQ_CST);
    if (script_block) {
        latch_open(&entered);
        latch_wait(&release);
    }
    if (script_eai != 0) {
        errno = script_errno;
        return script_eai;
    }
    for (i = 0; i < script_n; i++) {
        struct fake_node *n = calloc(1, sizeof *n);

        if (n == NULL || fut_sockaddr_parse(script_addr[i], script_ports[i],
                                            &n->ss, &len) != 0) {
            free(n);
            fake_freeaddrinfo(head);
            __atomic_sub_fetch(&gai_frees, 1, __ATOMIC_SEQ_CST);
            return EAI_FAIL;
        }
        n->ai.ai_family = n->ss.ss_family;
        n->ai.ai_socktype = SOCK_STREAM;
        n->ai.ai_protocol = IPPROTO_TCP;
        n->ai.ai_addrlen = len;
        n->ai.ai_addr = (struct sockaddr *)&n->ss;
        *tail = &n->ai;
        tail = &n->ai.ai_next;
    }
    *res = head;
    return 0;
}

static int
fake_getnameinfo(const struct sockaddr *addr, socklen_t len, char *host,
                 socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
    int n;

    __atomic_add_fetch(&gai_calls, 1, __ATOMIC_SEQ_CST);
    if (script_block) {
        latch_open(&entered);
        latch_wait(&release);
    }
    if (script_eai != 0) {
        errno = script_errno;
        __atomic_add_fetch(&gai_done, 1, __ATOMIC_SEQ_CST);
        return script_eai;
    }
    n = real_sys.getnameinfo(addr, len, host, hostlen, serv, servlen, flags);
    __atomic_add_fetch(&gai_done, 1, __ATOMIC_SEQ_CST);
    return n;
}

static void
use_script(void)
{
    fut__sys.getaddrinfo = fake_getaddrinfo;
    fut__sys.freeaddrinfo = fake_freeaddrinfo;
    fut__sys.getnameinfo = fake_getnameinfo;
}

/* Wait until the counter @c reaches @n (the thing itself: a pool thread
 * freed a list, or left the resolver; the bound is only a safety net). */
static void
wait_count(int *c, int n)
{
    int i;

    for (i = 0; i < 20000; i++) {
        if (__atomic_load_n(c, __ATOMIC_SEQ_CST) >= n)
            break;
        usleep(1000);
    }
    ck_assert_int_eq(__atomic_load_n(c, __ATOMIC_SEQ_CST), n);
}

static void
wait_frees(int n)
{
    wait_count(&gai_frees, n);
}

/* ---- the scripted connect --------------------------------------------- */

#define CONNECT_LOG 16

static char connect_log[CONNECT_LOG][INET6_ADDRSTRLEN + 8];
static int connect_calls;
static int connect_refuse;      /* every connect fails: ECONNREFUSED */
static unsigned int never_port; /* connects to this port never finish */
static int never_fd = -1;       /* a pipe's read end: never writable */

static void
connect_reset(void)
{
    connect_calls = 0;
    connect_refuse = 0;
    never_port = 0;
}

static int
fake_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    char buf[INET6_ADDRSTRLEN];
    unsigned int port;

    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)addr;

        inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof buf);
        port = ntohs(s->sin6_port);
    } else {
        const struct sockaddr_in *s = (const struct sockaddr_in *)addr;

        inet_ntop(AF_INET, &s->sin_addr, buf, sizeof buf);
        port = ntohs(s->sin_port);
    }
    if (connect_calls < CONNECT_LOG)
        snprintf(connect_log[connect_calls], sizeof connect_log[0], "%s %u",
                 buf, port);
    connect_calls++;
    if (connect_refuse) {
        errno = ECONNREFUSED;
        return -1;
    }
    if (never_port != 0 && port == never_port) {
        /* The socket becomes a pipe's read end, which is never writable:
         * a connect that stays in progress until it is cancelled. */
        ck_assert_int_ge(dup2(never_fd, fd), 0);
        errno = EINPROGRESS;
        return -1;
    }
    return real_sys.connect(fd, addr, len);
}

/* ---- fixture and helpers ------------------------------------------------- */

static void
dns_setup(void)
{
    conf_setup();
    fut__sys_reset();
    real_sys = fut__sys;
    script_reset();
    connect_reset();
    latch_init(&entered);
    latch_init(&release);
}

static void
dns_teardown(void)
{
    latch_fini(&entered);
    latch_fini(&release);
    conf_teardown();
}

/* A waker that writes a byte to a pipe: the test reads it to learn that a
 * pool thread finished, without polling a clock. */
static struct latch woke;

static struct fut_waker pipe_waker_clone(const void *data);
static void
pipe_waker_wake(const void *data)
{
    (void)data;
    latch_open(&woke);
}
static void
pipe_waker_drop(const void *data)
{
    (void)data;
}
static const struct fut_waker_vtable pipe_waker_vtable = {
    .clone = pipe_waker_clone,
    .wake = pipe_waker_wake,
    .wake_by_ref = pipe_waker_wake,
    .drop = pipe_waker_drop,
};
static struct fut_waker
pipe_waker_clone(const void *data)
{
    struct fut_waker w = {&pipe_waker_vtable, data};

    return w;
}

static unsigned int
port_of(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

static int
is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(
            &((const struct sockaddr_in6 *)sa)->sin6_addr);
    return sa->sa_family == AF_INET &&
           (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) ==
               127;
}

static int
listen_on(struct fut_tcp_listener *l, const char *host, unsigned int *port)
{
    int err = fut_tcp_listener_bind_host(l, host, 0, 16);

    if (err == 0) {
        err = fut_tcp_listener_port(l);
        if (err > 0) {
            *port = (unsigned int)err;
            err = 0;
        }
    }
    return err;
}

static void
skip_without_loopback(const char *host)
{
    struct fut_tcp_listener l;
    unsigned int port = 0;
    int err = listen_on(&l, host, &port);
    char why[128];

    if (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL) {
        snprintf(why, sizeof why, "no %s loopback here (%s)", host,
                 fut_strerror(err));
        CONF_SKIP(why);
    }
    ck_assert_int_eq(err, 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}

/* A port nothing listens on (bound, then closed). */
static unsigned int
closed_port(void)
{
    struct fut_tcp_listener l;
    unsigned int port = 0;

    ck_assert_int_eq(listen_on(&l, "127.0.0.1", &port), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    return port;
}

static int
accept_one(struct fut_tcp_listener *l, struct fut_tcp_stream *out)
{
    struct fut_tcp_accept a;
    int res;

    ck_assert_int_eq(fut_tcp_accept_init(&a, l, out), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &a.base), 0);
    res = a.res;
    fut_future_drop(&a.base);
    return res;
}

static ssize_t
read_some(struct fut_tcp_stream *s, void *buf, size_t len)
{
    struct fut_read r;
    ssize_t res;

    ck_assert_int_eq(fut_read_init(&r, &s->reader, buf, len), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &r.base), 0);
    res = r.res;
    fut_future_drop(&r.base);
    return res;
}

static int
write_all(struct fut_tcp_stream *s, const void *buf, size_t len)
{
    struct fut_write_all w;
    int res;

    ck_assert_int_eq(fut_write_all_init(&w, &s->writer, buf, len), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
    res = w.res;
    fut_future_drop(&w.base);
    return res;
}

static int
connect_host(struct fut_tcp_stream *s, const char *host, unsigned int port,
             const struct fut_connect_options *o, int *eai)
{
    struct fut_tcp_connect_host c;
    int res;

    ck_assert_int_eq(fut_tcp_stream_init(s), 0);
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, s, host, port, o), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &c.base), 0);
    res = c.res;
    ck_assert_int_eq(fut_future_result(&c.base), res);
    if (eai != NULL)
        *eai = c.eai;
    fut_future_drop(&c.base);
    return res;
}

/* ---- lookups ----------------------------------------------------------------- */

START_TEST(test_dns_getaddrinfo_localhost)
{
    struct fut_getaddrinfo g;
    struct addrinfo hints, *p;
    int n = 0;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "80", &hints), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &g.base), 0);
    ck_assert_int_eq(g.res, 0);
    ck_assert_int_eq(g.eai, 0);
    ck_assert_int_eq(fut_future_result(&g.base), 0);
    ck_assert_ptr_nonnull(g.ai);
    for (p = g.ai; p != NULL; p = p->ai_next, n++) {
        ck_assert(is_loopback(p->ai_addr));
        ck_assert_uint_eq(port_of(p->ai_addr), 80);
        ck_assert_int_eq(p->ai_socktype, SOCK_STREAM);
    }
    ck_assert_int_gt(n, 0);
    fut_future_drop(&g.base);
    fut_freeaddrinfo(g.ai); /* the list outlives the future: it is ours */
    fut_freeaddrinfo(NULL);
}
END_TEST

static void
check_numeric(const char *host, int family)
{
    struct fut_getaddrinfo g;
    struct addrinfo hints;
    char buf[INET6_ADDRSTRLEN];

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    ck_assert_int_eq(fut_getaddrinfo_init(&g, host, "8080", &hints), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &g.base), 0);
    ck_assert_int_eq(g.res, 0);
    ck_assert_ptr_nonnull(g.ai);
    ck_assert_ptr_null(g.ai->ai_next);
    ck_assert_int_eq(g.ai->ai_family, family);
    ck_assert_uint_eq(port_of(g.ai->ai_addr), 8080);
    if (family == AF_INET)
        inet_ntop(family, &((struct sockaddr_in *)g.ai->ai_addr)->sin_addr,
                  buf, sizeof buf);
    else
        inet_ntop(family, &((struct sockaddr_in6 *)g.ai->ai_addr)->sin6_addr,
                  buf, sizeof buf);
    ck_assert_str_eq(buf, host);
    fut_freeaddrinfo(g.ai);
    fut_future_drop(&g.base);
}

START_TEST(test_dns_getaddrinfo_numeric)
{
    check_numeric("127.0.0.1", AF_INET);
    check_numeric("::1", AF_INET6);
}
END_TEST

START_TEST(test_dns_getnameinfo_numeric)
{
    struct fut_getnameinfo g;
    struct sockaddr_storage ss;
    socklen_t len;

    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 80, &ss, &len), 0);
    ck_assert_int_eq(fut_getnameinfo_init(&g, (struct sockaddr *)&ss, len,
                                          NI_NUMERICHOST | NI_NUMERICSERV),
                     0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &g.base), 0);
    ck_assert_int_eq(g.res, 0);
    ck_assert_str_eq(g.host, "127.0.0.1");
    ck_assert_str_eq(g.service, "80");
    fut_future_drop(&g.base);

    ck_assert_int_eq(fut_sockaddr_parse("::1", 443, &ss, &len), 0);
    ck_assert_int_eq(fut_getnameinfo_init(&g, (struct sockaddr *)&ss, len,
                                          NI_NUMERICHOST | NI_NUMERICSERV),
                     0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &g.base), 0);
    ck_assert_int_eq(g.res, 0);
    ck_assert_str_eq(g.host, "::1");
    ck_assert_str_eq(g.service, "443");
    fut_future_drop(&g.base);

    /* A name for the loopback address: whatever the hosts file says, the
     * lookup succeeds and gives something. */
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 80, &ss, &len), 0);
    ck_assert_int_eq(fut_getnameinfo_init(&g, (struct sockaddr *)&ss, len,
                                          NI_NUMERICSERV), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &g.base), 0);
    ck_assert_int_eq(g.res, 0);
    ck_assert_int_gt(strlen(g.host), 0);
    fut_future_drop(&g.base);
}
END_TEST

/* ---- bad input and errors --------------------------------------------------- */

START_TEST(test_dns_bad_input)
{
    struct fut_getaddrinfo g;
    struct fut_getnameinfo n;
    struct fut_tcp_connect_host c;
    struct fut_tcp_stream s;
    struct fut_connect_options o;
    struct addrinfo hints;
    struct sockaddr_storage ss;
    struct sockaddr_in sin;
    struct test_waker tw;
    struct fut_context cx;
    socklen_t len;
    char *big;

    big = malloc(FUT_DNS_HOST_MAX + 2);
    ck_assert_ptr_nonnull(big);
    memset(big, 'a', FUT_DNS_HOST_MAX + 1);
    big[FUT_DNS_HOST_MAX + 1] = '\0';

    /* getaddrinfo */
    ck_assert_int_eq(fut_getaddrinfo_init(NULL, "localhost", "1", NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_getaddrinfo_init(&g, NULL, NULL, NULL), -EINVAL);
    fut_future_drop(&g.base); /* harmless after a failed init */
    ck_assert_int_eq(fut_getaddrinfo_init(&g, "", "1", NULL), -EINVAL);
    ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "", NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_getaddrinfo_init(&g, big, "1", NULL),
                     -ENAMETOOLONG);
    ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost",
                                          "0123456789012345678901234567890x",
                                          NULL),
                     -ENAMETOOLONG);
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = 0x40000000;
    ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "1", &hints),
                     -EINVAL);
    memset(&hints, 0, sizeof hints);
    hints.ai_addrlen = 16;
    ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "1", &hints),
                     -EINVAL);
    memset(&hints, 0, sizeof hints);
    hints.ai_next = &hints;
    ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "1", &hints),
                     -EINVAL);
    /* The longest name is accepted (the resolver then says what it is). */
    big[FUT_DNS_HOST_MAX] = '\0';
    ck_assert_int_eq(fut_getaddrinfo_init(&g, big, "1", NULL), 0);
    fut_future_drop(&g.base);
    /* A NULL node with a service is a passive or loopback lookup. */
    ck_assert_int_eq(fut_getaddrinfo_init(&g, NULL, "1", NULL), 0);
    fut_future_drop(&g.base);
    /* Polled without a runtime: -EINVAL, and nothing leaks. */
    test_waker_init(&tw);
    cx = test_cx(&tw, NULL);
    ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "1", NULL), 0);
    ck_assert_int_eq(fut_future_poll(&g.base, &cx), FUT_READY);
    ck_assert_int_eq(g.res, -EINVAL);
    ck_assert_ptr_null(g.ai);
    fut_future_drop(&g.base);

    /* getnameinfo */
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 80, &ss, &len), 0);
    ck_assert_int_eq(fut_getnameinfo_init(NULL, (struct sockaddr *)&ss, len,
                                          0), -EINVAL);
    ck_assert_int_eq(fut_getnameinfo_init(&n, NULL, len, 0), -EINVAL);
    fut_future_drop(&n.base);
    ck_assert_int_eq(fut_getnameinfo_init(&n, (struct sockaddr *)&ss, 0, 0),
                     -EINVAL);
    ck_assert_int_eq(fut_getnameinfo_init(&n, (struct sockaddr *)&ss,
                                          len - 1, 0), -EINVAL);
    ck_assert_int_eq(fut_getnameinfo_init(&n, (struct sockaddr *)&ss,
                                          sizeof ss, 0), -EINVAL);
    ck_assert_int_eq(fut_getnameinfo_init(&n, (struct sockaddr *)&ss, len,
                                          0x40000000), -EINVAL);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_UNIX;
    ck_assert_int_eq(fut_getnameinfo_init(&n, (struct sockaddr *)&sin,
                                          sizeof sin, 0), -EAFNOSUPPORT);
    ck_assert_int_eq(fut_getnameinfo_init(&n, (struct sockaddr *)&ss, len,
                                          NI_NUMERICHOST), 0);
    ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_READY);
    ck_assert_int_eq(n.res, -EINVAL);
    fut_future_drop(&n.base);

    /* connect by host name */
    ck_assert_int_eq(fut_tcp_stream_init(&s), 0);
    ck_assert_int_eq(fut_tcp_connect_host_init(NULL, &s, "localhost", 1,
                                               NULL), -EINVAL);
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, NULL, "localhost", 1,
                                               NULL), -EINVAL);
    fut_future_drop(&c.base);
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, NULL, 1, NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, "", 1, NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, big, 1, NULL), 0);
    fut_future_drop(&c.base);
    big[FUT_DNS_HOST_MAX] = 'a'; /* FUT_DNS_HOST_MAX + 1 bytes */
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, big, 1, NULL),
                     -ENAMETOOLONG);
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, "localhost", 65536,
                                               NULL), -EINVAL);
    memset(&o, 0, sizeof o);
    o.stagger_ns = -1;
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, "localhost", 1, &o),
                     -EINVAL);
    memset(&o, 0, sizeof o);
    o.family = AF_UNIX;
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, "localhost", 1, &o),
                     -EINVAL);
    /* An open stream is refused, not reset over its descriptor. */
    s.io.fd = 0;
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, "localhost", 1,
                                               NULL), -EISCONN);
    ck_assert_int_eq(fut_tcp_stream_init(&s), 0);
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, "localhost", 1,
                                               NULL), 0);
    ck_assert_int_eq(fut_future_poll(&c.base, &cx), FUT_READY);
    ck_assert_int_eq(c.res, -EINVAL);
    fut_future_drop(&c.base);
    ck_assert_int_eq(fut_tcp_stream_close(&s), -EBADF);
    ck_assert_int_eq(tw.live, 0);
    free(big);
}
END_TEST

START_TEST(test_dns_eai_to_errno)
{
    ck_assert_int_eq(fut_eai_to_errno(0), 0);
    ck_assert_int_eq(fut_eai_to_errno(EAI_NONAME), -ENOENT);
    ck_assert_int_eq(fut_eai_to_errno(EAI_AGAIN), -EAGAIN);
    ck_assert_int_eq(fut_eai_to_errno(EAI_FAIL), -EIO);
    ck_assert_int_eq(fut_eai_to_errno(EAI_BADFLAGS), -EINVAL);
    ck_assert_int_eq(fut_eai_to_errno(EAI_FAMILY), -EAFNOSUPPORT);
    ck_assert_int_eq(fut_eai_to_errno(EAI_SOCKTYPE), -ENOTSUP);
    ck_assert_int_eq(fut_eai_to_errno(EAI_SERVICE), -EPROTONOSUPPORT);
    ck_assert_int_eq(fut_eai_to_errno(EAI_MEMORY), -ENOMEM);
    ck_assert_int_eq(fut_eai_to_errno(EAI_OVERFLOW), -ENOBUFS);
#ifdef EAI_NODATA
    ck_assert_int_eq(fut_eai_to_errno(EAI_NODATA), -ENOENT);
#endif
#ifdef EAI_ADDRFAMILY
    ck_assert_int_eq(fut_eai_to_errno(EAI_ADDRFAMILY), -EADDRNOTAVAIL);
#endif
    errno = EMFILE;
    ck_assert_int_eq(fut_eai_to_errno(EAI_SYSTEM), -EMFILE);
    errno = 0;
    ck_assert_int_eq(fut_eai_to_errno(EAI_SYSTEM), -EIO);
    ck_assert_int_eq(fut_eai_to_errno(12345), -EIO);
}
END_TEST

/* The resolver's errors reach the caller as errno and as EAI code. */
START_TEST(test_dns_resolver_errors)
{
    static const struct {
        int eai, err, res;
    } cases[] = {
        {EAI_NONAME, 0, -ENOENT},
        {EAI_AGAIN, 0, -EAGAIN},
        {EAI_FAIL, 0, -EIO},
        {EAI_MEMORY, 0, -ENOMEM},
        {EAI_SYSTEM, EMFILE, -EMFILE},
    };
    struct fut_getaddrinfo g;
    struct fut_getnameinfo n;
    struct fut_tcp_stream s;
    struct sockaddr_storage ss;
    socklen_t len;
    size_t i;
    int eai;

    use_script();
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 80, &ss, &len), 0);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        script_eai = cases[i].eai;
        script_errno = cases[i].err;

        ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "1", NULL), 0);
        ck_assert_int_eq(fut_block_on(&conf_rt, &g.base), 0);
        ck_assert_int_eq(g.res, cases[i].res);
        ck_assert_int_eq(g.eai, cases[i].eai);
        ck_assert_ptr_null(g.ai);
        ck_assert_int_eq(fut_future_result(&g.base), cases[i].res);
        fut_future_drop(&g.base);

        ck_assert_int_eq(fut_getnameinfo_init(&n, (struct sockaddr *)&ss,
                                              len, 0), 0);
        ck_assert_int_eq(fut_block_on(&conf_rt, &n.base), 0);
        ck_assert_int_eq(n.res, cases[i].res);
        ck_assert_int_eq(n.eai, cases[i].eai);
        fut_future_drop(&n.base);

        ck_assert_int_eq(connect_host(&s, "localhost", 1, NULL, &eai),
                         cases[i].res);
        ck_assert_int_eq(eai, cases[i].eai);
        ck_assert_int_eq(fut_tcp_stream_close(&s), -EBADF);
    }
    /* A resolver that says yes with an empty list: no name. */
    script_eai = 0;
    script_n = 0;
    ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "1", NULL), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &g.base), 0);
    ck_assert_int_eq(g.res, -ENOENT);
    ck_assert_int_eq(g.eai, EAI_NONAME);
    fut_future_drop(&g.base);
    ck_assert_int_eq(connect_host(&s, "localhost", 1, NULL, &eai), -ENOENT);
    ck_assert_int_eq(gai_frees, 0);
}
END_TEST

/* ---- connect by host name -------------------------------------------------- */

static void
check_connect_host(const char *listen_host, const char *host)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct sockaddr_storage peer;
    socklen_t len;
    unsigned int port = 0;
    char buf[4];

    skip_without_loopback(listen_host);
    ck_assert_int_eq(listen_on(&l, listen_host, &port), 0);
    ck_assert_int_eq(connect_host(&c, host, port, NULL, NULL), 0);
    ck_assert_int_ge(c.io.fd, 0);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    ck_assert_int_eq(fut_tcp_stream_peer_addr(&c, &peer, &len), 0);
    ck_assert_uint_eq(port_of((struct sockaddr *)&peer), port);
    /* The stream works through the runtime: its descriptor moved from
     * the winning attempt's registration to a new one, on every backend. */
    ck_assert_int_eq(write(s.io.fd, "z", 1), 1);
    ck_assert_int_eq(read_some(&c, buf, sizeof buf), 1);
    ck_assert_int_eq(buf[0], 'z');
    ck_assert_int_eq(write_all(&c, "y", 1), 0);
    ck_assert_int_eq(read(s.io.fd, buf, 1), 1);
    ck_assert_int_eq(buf[0], 'y');
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
}

START_TEST(test_dns_connect_host_v4)
{
    check_connect_host("127.0.0.1", "127.0.0.1");
}
END_TEST

START_TEST(test_dns_connect_host_v6)
{
    check_connect_host("::1", "::1");
}
END_TEST

/* "localhost" may answer ::1 first; with the listener on 127.0.0.1 only,
 * that attempt is refused and the IPv4 one wins. */
START_TEST(test_dns_connect_host_localhost)
{
    check_connect_host("127.0.0.1", "localhost");
}
END_TEST

/* A refused port: every address is tried, the error is ECONNREFUSED. */
START_TEST(test_dns_connect_host_refused)
{
    struct fut_tcp_stream s;
    struct fut_getaddrinfo g;
    struct addrinfo hints, *p;
    unsigned int port = closed_port();
    int n = 0, res;

    /* As many attempts as "localhost" has stream addresses. */
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "1", &hints), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &g.base), 0);
    ck_assert_int_eq(g.res, 0);
    for (p = g.ai; p != NULL; p = p->ai_next)
        n++;
    fut_freeaddrinfo(g.ai);
    fut_future_drop(&g.base);
    fut__sys.connect = fake_connect;
    res = connect_host(&s, "localhost", port, NULL, NULL);
    ck_assert_int_lt(res, 0);
    ck_assert_int_eq(connect_calls, n);
    ck_assert_int_eq(fut_tcp_stream_close(&s), -EBADF);

    /* Several addresses that all refuse: each tried, -ECONNREFUSED. */
    use_script();
    script_add("127.0.0.1", port);
    script_add("127.0.0.1", port);
    script_add("127.0.0.1", port);
    connect_calls = 0;
    ck_assert_int_eq(connect_host(&s, "x", port, NULL, NULL), -ECONNREFUSED);
    ck_assert_int_eq(connect_calls, 3);
    ck_assert_int_eq(gai_frees, 1);
}
END_TEST

static void
skip_without_ipv6_sockets(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);

    if (fd < 0)
        CONF_SKIP("no IPv6 sockets here");
    close(fd);
}

/* RFC 8305's interleave: the first answer's family first, then the
 * other, alternating; the rest of the longer family at the end. The
 * addresses are documentation ones that are never contacted: every
 * connect is refused by the scripted connect. */
START_TEST(test_dns_connect_host_order)
{
    static const char *v6first[] = {"2001:db8::1 9", "192.0.2.1 9",
                                    "2001:db8::2 9", "192.0.2.2 9",
                                    "2001:db8::3 9"};
    static const char *v4first[] = {"192.0.2.1 9", "2001:db8::1 9",
                                    "192.0.2.2 9", "192.0.2.3 9",
                                    "192.0.2.4 9"};
    struct fut_tcp_stream s;
    int i;

    skip_without_ipv6_sockets();
    use_script();
    fut__sys.connect = fake_connect;
    connect_refuse = 1;
    script_add("2001:db8::1", 9);
    script_add("2001:db8::2", 9);
    script_add("2001:db8::3", 9);
    script_add("192.0.2.1", 9);
    script_add("192.0.2.2", 9);
    ck_assert_int_eq(connect_host(&s, "x", 9, NULL, NULL), -ECONNREFUSED);
    ck_assert_int_eq(connect_calls, 5);
    for (i = 0; i < 5; i++)
        ck_assert_str_eq(connect_log[i], v6first[i]);

    script_n = 0;
    connect_calls = 0;
    script_add("192.0.2.1", 9);
    script_add("192.0.2.2", 9);
    script_add("2001:db8::1", 9);
    script_add("192.0.2.3", 9);
    script_add("192.0.2.4", 9);
    ck_assert_int_eq(connect_host(&s, "x", 9, NULL, NULL), -ECONNREFUSED);
    ck_assert_int_eq(connect_calls, 5);
    for (i = 0; i < 5; i++)
        ck_assert_str_eq(connect_log[i], v4first[i]);

    /* A family restriction is the resolver's business: it goes into the
     * hints, and the answer is tried as it comes. */
    ck_assert_int_eq(gai_frees, 2);
}
END_TEST

/* Happy Eyeballs: the first attempt never completes; after the stagger
 * delay the second starts beside it and wins; the first is cancelled and
 * its socket closed (the fixture counts descriptors). The order of the
 * attempts is asserted, never the time they took. */
START_TEST(test_dns_connect_host_stagger_second_wins)
{
    struct fut_tcp_listener l;
    struct fut_tcp_stream c, s;
    struct fut_connect_options o;
    struct sockaddr_storage peer;
    socklen_t len;
    unsigned int port = 0, dead = closed_port();
    int never[2];
    char want[32];

    ck_assert_int_eq(pipe(never), 0);
    never_fd = never[0];
    ck_assert_int_eq(listen_on(&l, "127.0.0.1", &port), 0);
    use_script();
    fut__sys.connect = fake_connect;
    never_port = dead;
    script_add("127.0.0.1", dead);
    script_add("127.0.0.1", port);
    memset(&o, 0, sizeof o);
    o.stagger_ns = 5 * FUT_NSEC_PER_MSEC;
    ck_assert_int_eq(connect_host(&c, "x", 1, &o, NULL), 0);
    ck_assert_int_eq(connect_calls, 2);
    snprintf(want, sizeof want, "127.0.0.1 %u", dead);
    ck_assert_str_eq(connect_log[0], want);
    snprintf(want, sizeof want, "127.0.0.1 %u", port);
    ck_assert_str_eq(connect_log[1], want);
    ck_assert_int_eq(fut_tcp_stream_peer_addr(&c, &peer, &len), 0);
    ck_assert_uint_eq(port_of((struct sockaddr *)&peer), port);
    ck_assert_int_eq(accept_one(&l, &s), 0);
    /* The losing attempt is deregistered: only the listener is left (the
     * winner and the accepted stream register on their first poll). */
    ck_assert_uint_eq(fut__runtime_io_count(&conf_rt), 1);
    ck_assert_int_eq(fut_tcp_stream_close(&s), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&c), 0);
    ck_assert_int_eq(fut_tcp_listener_close(&l), 0);
    ck_assert_int_eq(gai_frees, 1);
    close(never[0]);
    close(never[1]);
    never_fd = -1;
}
END_TEST

/* Attempts that never complete end at their own deadline: -ETIMEDOUT,
 * after every address was tried. */
START_TEST(test_dns_connect_host_attempt_timeout)
{
    struct fut_tcp_stream c;
    struct fut_connect_options o;
    unsigned int dead = closed_port();
    int never[2];

    ck_assert_int_eq(pipe(never), 0);
    never_fd = never[0];
    use_script();
    fut__sys.connect = fake_connect;
    never_port = dead;
    script_add("127.0.0.1", dead);
    script_add("127.0.0.1", dead);
    memset(&o, 0, sizeof o);
    o.stagger_ns = FUT_NSEC_PER_MSEC;
    o.attempt_timeout_ns = 20 * FUT_NSEC_PER_MSEC;
    ck_assert_int_eq(connect_host(&c, "x", 1, &o, NULL), -ETIMEDOUT);
    ck_assert_int_eq(connect_calls, 2);
    ck_assert_int_eq(fut_tcp_stream_close(&c), -EBADF);
    close(never[0]);
    close(never[1]);
    never_fd = -1;
}
END_TEST

/* ---- drop at every pending state ------------------------------------------ */

START_TEST(test_dns_drop_before_poll)
{
    struct fut_getaddrinfo g;
    struct fut_getnameinfo n;
    struct fut_tcp_connect_host c;
    struct fut_tcp_stream s;
    struct sockaddr_storage ss;
    socklen_t len;

    use_script();
    ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "1", NULL), 0);
    fut_future_drop(&g.base);
    fut_future_drop(&g.base); /* twice: nothing */
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 80, &ss, &len), 0);
    ck_assert_int_eq(fut_getnameinfo_init(&n, (struct sockaddr *)&ss, len,
                                          0), 0);
    fut_future_drop(&n.base);
    ck_assert_int_eq(fut_tcp_stream_init(&s), 0);
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, "localhost", 1,
                                               NULL), 0);
    fut_future_drop(&c.base);
    ck_assert_int_eq(gai_calls, 0);
}
END_TEST

static int
blocker_fn(void *arg)
{
    (void)arg;
    latch_open(&entered);
    latch_wait(&release);
    return 7;
}

/* Queued behind a busy pool (one thread, held by a blocker): dropped,
 * the lookups leave the queue and never run. */
START_TEST(test_dns_drop_queued)
{
    struct fut_runtime rt;
    struct fut_runtime_config cfg;
    struct fut_spawn_blocking b;
    struct fut_getaddrinfo g;
    struct fut_getnameinfo n;
    struct fut_tcp_connect_host c;
    struct fut_tcp_stream s;
    struct fut_context cx;
    struct sockaddr_storage ss;
    socklen_t len;

    memset(&cfg, 0, sizeof cfg);
    cfg.version = FUT_RUNTIME_CONFIG_VERSION;
    cfg.blocking_threads = 1;
    ck_assert_int_eq(fut_runtime_init(&rt, fut_backend_default(), &cfg), 0);
    use_script();
    script_add("127.0.0.1", 1);
    cx = test_noop_cx();
    cx.rt = &rt;
    ck_assert_int_eq(fut_spawn_blocking_init(&b, blocker_fn, NULL, NULL), 0);
    ck_assert_int_eq(fut_future_poll(&b.base, &cx), FUT_PENDING);
    latch_wait(&entered); /* the pool's one thread is taken */

    ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "1", NULL), 0);
    ck_assert_int_eq(fut_future_poll(&g.base, &cx), FUT_PENDING);
    fut_future_drop(&g.base);
    ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 80, &ss, &len), 0);
    ck_assert_int_eq(fut_getnameinfo_init(&n, (struct sockaddr *)&ss, len,
                                          0), 0);
    ck_assert_int_eq(fut_future_poll(&n.base, &cx), FUT_PENDING);
    fut_future_drop(&n.base);
    ck_assert_int_eq(fut_tcp_stream_init(&s), 0);
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, "x", 1, NULL), 0);
    ck_assert_int_eq(fut_future_poll(&c.base, &cx), FUT_PENDING);
    fut_future_drop(&c.base);
    ck_assert_int_eq(fut_tcp_stream_close(&s), -EBADF);

    latch_open(&release);
    ck_assert_int_eq(fut_block_on(&rt, &b.base), 0);
    ck_assert_int_eq(b.result, 7);
    fut_future_drop(&b.base);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(gai_calls, 0);
    ck_assert_int_eq(gai_frees, 0);
}
END_TEST

/* Dropped while the resolver runs (held on a pipe): the pool thread
 * finishes the call and frees the list nobody took. Loop index: 0
 * getaddrinfo, 1 getnameinfo, 2 connect by host name. */
START_TEST(test_dns_drop_running)
{
    struct fut_getaddrinfo g;
    struct fut_getnameinfo n;
    struct fut_tcp_connect_host c;
    struct fut_tcp_stream s;
    struct fut_future *f;
    struct fut_context cx;
    struct sockaddr_storage ss;
    socklen_t len;

    use_script();
    script_add("127.0.0.1", 1);
    script_block = 1;
    cx = test_noop_cx();
    cx.rt = &conf_rt;
    ck_assert_int_eq(fut_tcp_stream_init(&s), 0);
    if (_i == 0) {
        ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "1", NULL),
                         0);
        f = &g.base;
    } else if (_i == 1) {
        ck_assert_int_eq(fut_sockaddr_parse("127.0.0.1", 80, &ss, &len), 0);
        ck_assert_int_eq(fut_getnameinfo_init(&n, (struct sockaddr *)&ss,
                                              len, 0), 0);
        f = &n.base;
    } else {
        ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, "x", 1, NULL), 0);
        f = &c.base;
    }
    ck_assert_int_eq(fut_future_poll(f, &cx), FUT_PENDING);
    latch_wait(&entered);   /* the resolver is running now */
    fut_future_drop(f);
    latch_open(&release);
    if (_i != 1)
        wait_frees(1);      /* freed by the pool thread */
    else
        wait_count(&gai_done, 1); /* out of the resolver (and the pipe) */
    ck_assert_int_eq(gai_calls, 1);
    ck_assert_int_eq(fut_tcp_stream_close(&s), -EBADF);
}
END_TEST

/* Finished on the pool thread (the waker says so) but never polled
 * again: the drop frees the answer. */
START_TEST(test_dns_drop_finished)
{
    struct fut_getaddrinfo g;
    struct fut_tcp_connect_host c;
    struct fut_tcp_stream s;
    struct fut_future *f;
    struct fut_waker w = {&pipe_waker_vtable, NULL};
    struct fut_context cx;

    latch_init(&woke);
    use_script();
    script_add("127.0.0.1", 1);
    script_block = 1;       /* so the first poll is PENDING, surely */
    fut_context_init(&cx, &w, &conf_rt);
    ck_assert_int_eq(fut_tcp_stream_init(&s), 0);
    if (_i == 0) {
        ck_assert_int_eq(fut_getaddrinfo_init(&g, "localhost", "1", NULL),
                         0);
        f = &g.base;
    } else {
        ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, "x", 1, NULL), 0);
        f = &c.base;
    }
    ck_assert_int_eq(fut_future_poll(f, &cx), FUT_PENDING);
    latch_wait(&entered);
    latch_open(&release);
    latch_wait(&woke);      /* the job ended and woke us */
    fut_future_drop(f);
    wait_frees(1);
    ck_assert_int_eq(fut_tcp_stream_close(&s), -EBADF);
    latch_fini(&woke);
}
END_TEST

/* Polls its inner future until it is READY or the scripted connect has
 * been called @k times (that many attempts in flight). */
struct until_calls {
    struct fut_future base;
    struct fut_future *inner;
    int k;
    int ready;
};

static enum fut_poll
until_calls_poll(struct fut_future *base, struct fut_context *cx)
{
    struct until_calls *u = (struct until_calls *)base;

    if (fut_future_poll(u->inner, cx) == FUT_READY) {
        u->ready = 1;
        return FUT_READY;
    }
    return connect_calls >= u->k ? FUT_READY : FUT_PENDING;
}

static void
until_calls_drop(struct fut_future *base)
{
    (void)base;
}

static const struct fut_future_vtable until_calls_vtable = {
    .poll = until_calls_poll,
    .drop = until_calls_drop,
};

/* Dropped with 1, 2 or 3 attempts in flight (connects that never
 * complete) and the stagger timer armed: every socket is closed, every
 * registration and timer gone (the fixture checks). */
START_TEST(test_dns_drop_connecting)
{
    struct fut_tcp_connect_host c;
    struct fut_tcp_stream s;
    struct fut_connect_options o;
    struct until_calls u;
    unsigned int dead = closed_port();
    int never[2];

    ck_assert_int_eq(pipe(never), 0);
    never_fd = never[0];
    use_script();
    fut__sys.connect = fake_connect;
    never_port = dead;
    script_add("127.0.0.1", dead);
    script_add("127.0.0.1", dead);
    script_add("127.0.0.1", dead);
    memset(&o, 0, sizeof o);
    o.stagger_ns = FUT_NSEC_PER_MSEC;
    ck_assert_int_eq(fut_tcp_stream_init(&s), 0);
    ck_assert_int_eq(fut_tcp_connect_host_init(&c, &s, "x", 1, &o), 0);
    u.base.vtable = &until_calls_vtable;
    u.inner = &c.base;
    u.k = _i;
    u.ready = 0;
    ck_assert_int_eq(fut_block_on(&conf_rt, &u.base), 0);
    ck_assert_int_eq(u.ready, 0);
    ck_assert_int_ge(connect_calls, _i);
    ck_assert_uint_ge(fut__runtime_io_count(&conf_rt), 1);
    fut_future_drop(&c.base);
    ck_assert_uint_eq(fut__runtime_io_count(&conf_rt), 0);
    ck_assert_uint_eq(fut__runtime_timer_count(&conf_rt), 0);
    ck_assert_int_eq(fut_tcp_stream_close(&s), -EBADF);
    ck_assert_int_eq(gai_frees, 1);
    close(never[0]);
    close(never[1]);
    never_fd = -1;
}
END_TEST

/* ---- the suite ------------------------------------------------------------ */

static TCase *
dns_case(const char *name, int timeout)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, dns_setup, dns_teardown);
    tcase_set_timeout(tc, timeout);
    return tc;
}

Suite *
fut_conf_dns_suite(void)
{
    Suite *s = suite_create("dns");
    TCase *tc;
    struct fut_runtime rt;

    /* libuv opens a process-wide pipe (its signal pipe) with its first
     * loop and keeps it; one runtime made and closed here keeps that from
     * counting as a descriptor leaked by whichever test runs first. */
    if (fut_runtime_init_default(&rt) == 0)
        (void)fut_runtime_close(&rt);

    tc = dns_case("lookup", 30);
    tcase_add_test(tc, test_dns_getaddrinfo_localhost);
    tcase_add_test(tc, test_dns_getaddrinfo_numeric);
    tcase_add_test(tc, test_dns_getnameinfo_numeric);
    suite_add_tcase(s, tc);

    tc = dns_case("errors", 30);
    tcase_add_test(tc, test_dns_bad_input);
    tcase_add_test(tc, test_dns_eai_to_errno);
    tcase_add_test(tc, test_dns_resolver_errors);
    suite_add_tcase(s, tc);

    tc = dns_case("connect", 30);
    tcase_add_test(tc, test_dns_connect_host_v4);
    tcase_add_test(tc, test_dns_connect_host_v6);
    tcase_add_test(tc, test_dns_connect_host_localhost);
    tcase_add_test(tc, test_dns_connect_host_refused);
    tcase_add_test(tc, test_dns_connect_host_order);
    tcase_add_test(tc, test_dns_connect_host_stagger_second_wins);
    tcase_add_test(tc, test_dns_connect_host_attempt_timeout);
    suite_add_tcase(s, tc);

    tc = dns_case("drop", 30);
    tcase_add_test(tc, test_dns_drop_before_poll);
    tcase_add_test(tc, test_dns_drop_queued);
    tcase_add_loop_test(tc, test_dns_drop_running, 0, 3);
    tcase_add_loop_test(tc, test_dns_drop_finished, 0, 2);
    tcase_add_loop_test(tc, test_dns_drop_connecting, 1, 4);
    suite_add_tcase(s, tc);
    return s;
}
