/* SPDX-License-Identifier: MIT */
/* UDP sockets (udp.h), and the datagram core that Unix datagram sockets share. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/*
 * Every send is one sendto(2) and every receive one recvfrom(2) through the
 * syscall table (the msghdr forms cost the kernel a copy more per
 * datagram, which a ping-pong benchmark shows). Receives ask for MSG_TRUNC
 * (fut__os_recv_dgram() in os.c), with which Linux returns the datagram's
 * real length even when the buffer was shorter, so a truncated datagram is
 * reported with its size instead of being cut silently; elsewhere the OS
 * layer uses recvmsg(2), whose msg_flags still says MSG_TRUNC.
 *
 * Readiness is kept in struct fut_io as for streams, with one difference:
 * on a stream socket an error or hang-up is final, and the reactor keeps
 * FUT_IO_ERROR and FUT_IO_HUP until close. On a datagram socket an error is
 * one event (an ICMP port unreachable on a connected UDP socket: the next
 * syscall returns ECONNREFUSED and the socket carries on), so after a
 * syscall says EAGAIN the datagram code forgets those bits too; otherwise
 * every later poll would find the socket "ready" and spin on EAGAIN.
 */

/* ---- the datagram core (udp.c and unix.c) -------------------------------- */

/* After EAGAIN: nothing is ready in @dir, and no error is pending any more
 * (the kernel reports a pending error before EAGAIN). */
static void
dgram_clear(struct fut_io *io, unsigned int dir)
{
    fut_io_clear_ready(io, dir);
    io->ready &= (uint8_t) ~(FUT_IO_ERROR | FUT_IO_HUP | FUT_IO_RDHUP);
}

/* One sendto(2); EINTR retried. Returns @len or -errno (-EAGAIN too). */
static ssize_t
dgram_send_once(struct fut_io *io, const void *buf, size_t len,
                const struct sockaddr *addr, socklen_t alen)
{
    ssize_t n;

    do
        n = fut__sys.sendto(io->fd, buf, len, FUT__OS_SEND_FLAGS, addr,
                            addr != NULL ? alen : 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return fut__os_err() == -EWOULDBLOCK ? -EAGAIN : fut__os_err();
    return n;
}

/* One receive (fut__os_recv_dgram()); EINTR retried. Returns the length,
 * -EMSGSIZE when the datagram was longer than @len, or -errno (-EAGAIN
 * too). The sender's address is only asked for when @info wants it. */
static ssize_t
dgram_recv_once(struct fut_io *io, void *buf, size_t len,
                struct fut_dgram_info *info)
{
    struct sockaddr *addr = NULL;
    socklen_t alen = 0, *alenp = NULL;
    size_t full;
    ssize_t n;
    int trunc;

    if (info != NULL) {
        memset(&info->addr, 0, sizeof info->addr);
        addr = (struct sockaddr *)&info->addr;
        alen = (socklen_t)sizeof info->addr;
        alenp = &alen;
    }
    do
        n = fut__os_recv_dgram(io->fd, buf, len, addr, alenp, &full, &trunc);
    while (n == -EINTR);
    if (n == -EWOULDBLOCK)
        n = -EAGAIN;
    if (n < 0)
        return n;
    if (info != NULL) {
        info->addrlen = alen <= (socklen_t)sizeof info->addr
                            ? alen
                            : (socklen_t)sizeof info->addr;
        info->size = full;
        info->truncated = trunc;
    }
    return trunc ? -EMSGSIZE : n;
}

enum fut_poll
fut__dgram_poll_send(struct fut_io *io, struct fut_context *cx,
                     const void *buf, size_t len, const struct sockaddr *addr,
                     socklen_t alen, ssize_t *res)
{
    ssize_t n;
    int err;

    for (;;) {
        if (fut__stream_ready(io, cx, FUT_IO_WRITABLE, &err) == FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        n = dgram_send_once(io, buf, len, addr, alen);
        if (n != -EAGAIN) {
            *res = n;
            return FUT_READY;
        }
        dgram_clear(io, FUT_IO_WRITABLE);
    }
}

enum fut_poll
fut__dgram_poll_recv(struct fut_io *io, struct fut_context *cx, void *buf,
                     size_t len, struct fut_dgram_info *info, ssize_t *res)
{
    ssize_t n;
    int err;

    for (;;) {
        if (fut__stream_ready(io, cx, FUT_IO_READABLE, &err) == FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        n = dgram_recv_once(io, buf, len, info);
        if (n != -EAGAIN) {
            *res = n;
            return FUT_READY;
        }
        dgram_clear(io, FUT_IO_READABLE);
    }
}

ssize_t
fut__dgram_try_send(struct fut_io *io, const void *buf, size_t len,
                    const struct sockaddr *addr, socklen_t alen)
{
    ssize_t n;

    if (io->fd < 0)
        return -EBADF;
    n = dgram_send_once(io, buf, len, addr, alen);
    if (n == -EAGAIN)
        dgram_clear(io, FUT_IO_WRITABLE);
    return n;
}

ssize_t
fut__dgram_try_recv(struct fut_io *io, void *buf, size_t len,
                    struct fut_dgram_info *info)
{
    ssize_t n;

    if (io->fd < 0)
        return -EBADF;
    n = dgram_recv_once(io, buf, len, info);
    if (n == -EAGAIN)
        dgram_clear(io, FUT_IO_READABLE);
    return n;
}

/* ---- the futures ---------------------------------------------------------- */

/*
 * A pending send or receive leaves a clone of its waker in the socket's
 * registration; the waker may point into storage freed right after the
 * drop (a select's child waker), so the future notes its registration
 * when PENDING and withdraws it, and only it, when dropped or finished.
 */
static void
send_forget(struct fut_dgram_send *f)
{
    if (f->reg.waker.vtable != NULL) {
        fut_io_forget_reg(f->io, FUT_IO_WRITABLE, &f->reg);
        fut_reg_clear(&f->reg);
    }
}

static enum fut_poll
send_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_dgram_send *f = (struct fut_dgram_send *)base;
    ssize_t res;

    if (f->done)
        return FUT_READY;
    if (fut__dgram_poll_send(f->io, cx, f->buf, f->len,
                             f->addrlen != 0
                                 ? (const struct sockaddr *)&f->addr
                                 : NULL,
                             f->addrlen, &res) == FUT_PENDING) {
        fut_io_note(f->io, FUT_IO_WRITABLE, cx, &f->reg);
        return FUT_PENDING;
    }
    send_forget(f);
    f->res = res;
    f->done = 1;
    return FUT_READY;
}

static void
send_drop(struct fut_future *base)
{
    send_forget((struct fut_dgram_send *)base);
}

static int
send_result(const struct fut_future *base)
{
    const struct fut_dgram_send *f = (const struct fut_dgram_send *)base;

    return f->done && f->res < 0 ? (int)f->res : 0;
}

static const struct fut_future_vtable send_vtable = {
    .poll = send_poll,
    .drop = send_drop,
    .result = send_result,
};

static void
recv_forget(struct fut_dgram_recv *f)
{
    if (f->reg.waker.vtable != NULL) {
        fut_io_forget_reg(f->io, FUT_IO_READABLE, &f->reg);
        fut_reg_clear(&f->reg);
    }
}

static enum fut_poll
recv_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_dgram_recv *f = (struct fut_dgram_recv *)base;
    ssize_t res;

    if (f->done)
        return FUT_READY;
    if (fut__dgram_poll_recv(f->io, cx, f->buf, f->len, f->info, &res) ==
        FUT_PENDING) {
        fut_io_note(f->io, FUT_IO_READABLE, cx, &f->reg);
        return FUT_PENDING;
    }
    recv_forget(f);
    f->res = res;
    f->done = 1;
    return FUT_READY;
}

static void
recv_drop(struct fut_future *base)
{
    recv_forget((struct fut_dgram_recv *)base);
}

static int
recv_result(const struct fut_future *base)
{
    const struct fut_dgram_recv *f = (const struct fut_dgram_recv *)base;

    return f->done && f->res < 0 ? (int)f->res : 0;
}

static const struct fut_future_vtable recv_vtable = {
    .poll = recv_poll,
    .drop = recv_drop,
    .result = recv_result,
};

void
fut__dgram_send_setup(struct fut_dgram_send *f, struct fut_io *io,
                      const void *buf, size_t len, const struct sockaddr *addr,
                      socklen_t alen)
{
    memset(f, 0, sizeof *f);
    f->base.vtable = &send_vtable;
    f->io = io;
    f->buf = buf;
    f->len = len;
    if (addr != NULL && alen > 0) {
        memcpy(&f->addr, addr, alen);
        f->addrlen = alen;
    }
}

void
fut__dgram_recv_setup(struct fut_dgram_recv *f, struct fut_io *io, void *buf,
                      size_t len, struct fut_dgram_info *info)
{
    memset(f, 0, sizeof *f);
    f->base.vtable = &recv_vtable;
    f->io = io;
    f->buf = buf;
    f->len = len;
    f->info = info;
}

/* ---- UDP sockets ---------------------------------------------------------- */

/* An AF_INET or AF_INET6 address of the right length (NULL with @len 0 is
 * "no address", allowed where @none_ok). */
static int
inet_addr_ok(const struct sockaddr *addr, socklen_t len, int none_ok)
{
    if (addr == NULL)
        return none_ok && len == 0;
    if (addr->sa_family == AF_INET)
        return len >= (socklen_t)sizeof(struct sockaddr_in) &&
               len <= (socklen_t)sizeof(struct sockaddr_storage);
    if (addr->sa_family == AF_INET6)
        return len >= (socklen_t)sizeof(struct sockaddr_in6) &&
               len <= (socklen_t)sizeof(struct sockaddr_storage);
    return 0;
}

static unsigned int
port_of_ss(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)(const void *)ss)
                         ->sin6_port);
    return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
}

static void
udp_reset(struct fut_udp_socket *u)
{
    memset(u, 0, sizeof *u);
    u->io.fd = -1;
}

int
fut_udp_init(struct fut_udp_socket *u)
{
    if (u == NULL)
        return -EINVAL;
    udp_reset(u);
    return 0;
}

int
fut_udp_bind(struct fut_udp_socket *u, const struct sockaddr *addr,
             socklen_t len, unsigned int flags)
{
    int fd, err;
    int one = 1;

    if (u == NULL)
        return -EINVAL;
    udp_reset(u);
    if (!inet_addr_ok(addr, len, 0) ||
        (flags & ~(unsigned int)(FUT_UDP_REUSEADDR | FUT_UDP_IPV6ONLY)) != 0)
        return -EINVAL;
    fd = fut__os_socket(addr->sa_family, SOCK_DGRAM, 0);
    if (fd < 0)
        return fd;
    err = 0;
    if ((flags & FUT_UDP_REUSEADDR) &&
        fut__sys.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) <
            0)
        err = fut__os_err();
    if (err == 0 && (flags & FUT_UDP_IPV6ONLY) && addr->sa_family == AF_INET6 &&
        fut__sys.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) <
            0)
        err = fut__os_err();
    if (err == 0 && fut__sys.bind(fd, addr, len) < 0)
        err = fut__os_err();
    if (err == 0)
        err = fut_io_init(&u->io, fd);
    if (err != 0) {
        fut__os_close(fd);
        udp_reset(u);
        return err;
    }
    u->family = addr->sa_family;
    return 0;
}

int
fut_udp_bind_host(struct fut_udp_socket *u, const char *host,
                  unsigned int port, unsigned int flags)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int err;

    if (u == NULL)
        return -EINVAL;
    err = fut_sockaddr_parse(host, port, &ss, &len);
    if (err != 0) {
        udp_reset(u);
        return err;
    }
    return fut_udp_bind(u, (const struct sockaddr *)&ss, len, flags);
}

int
fut_udp_local_addr(const struct fut_udp_socket *u, struct sockaddr_storage *ss,
                   socklen_t *len)
{
    if (u == NULL || ss == NULL || len == NULL)
        return -EINVAL;
    if (u->io.fd < 0)
        return -EBADF;
    *len = (socklen_t)sizeof *ss;
    if (getsockname(u->io.fd, (struct sockaddr *)ss, len) < 0)
        return fut__os_err();
    return 0;
}

int
fut_udp_port(const struct fut_udp_socket *u)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int err = fut_udp_local_addr(u, &ss, &len);

    if (err != 0)
        return err;
    if (ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)(const void *)&ss)
                         ->sin6_port);
    return ntohs(((const struct sockaddr_in *)(const void *)&ss)->sin_port);
}

/*
 * Linux's disconnect (connect(2) with AF_UNSPEC) also unbinds a port that
 * bind(2) picked (port 0 asked: the kernel did not lock it), so the socket
 * would stop receiving on the port its peers know. We bind it again to the
 * address it had, so a disconnected socket stays where it was bound.
 */
static int
udp_disconnect(struct fut_udp_socket *u, const struct sockaddr *addr,
               socklen_t len)
{
    struct sockaddr_storage before, after;
    socklen_t blen = sizeof before, alen = sizeof after;

    if (getsockname(u->io.fd, (struct sockaddr *)&before, &blen) < 0)
        return fut__os_err();
    if (fut__sys.connect(u->io.fd, addr, len) < 0 && errno != EAFNOSUPPORT)
        return fut__os_err();
    if (getsockname(u->io.fd, (struct sockaddr *)&after, &alen) < 0)
        return fut__os_err();
    if (port_of_ss(&after) == 0 && port_of_ss(&before) != 0 &&
        fut__sys.bind(u->io.fd, (const struct sockaddr *)&before, blen) < 0)
        return fut__os_err();
    return 0;
}

int
fut_udp_connect(struct fut_udp_socket *u, const struct sockaddr *addr,
                socklen_t len)
{
    if (u == NULL || addr == NULL)
        return -EINVAL;
    if (addr->sa_family != AF_UNSPEC && !inet_addr_ok(addr, len, 0))
        return -EINVAL;
    if (addr->sa_family == AF_UNSPEC && len < (socklen_t)sizeof(sa_family_t))
        return -EINVAL;
    if (u->io.fd < 0)
        return -EBADF;
    if (addr->sa_family == AF_UNSPEC)
        return udp_disconnect(u, addr, len);
    /* connect(2) of a UDP socket only records the peer: it never waits. */
    if (fut__sys.connect(u->io.fd, addr, len) < 0)
        return fut__os_err();
    return 0;
}

int
fut_udp_peer_addr(const struct fut_udp_socket *u, struct sockaddr_storage *ss,
                  socklen_t *len)
{
    if (u == NULL || ss == NULL || len == NULL)
        return -EINVAL;
    if (u->io.fd < 0)
        return -EBADF;
    *len = (socklen_t)sizeof *ss;
    if (getpeername(u->io.fd, (struct sockaddr *)ss, len) < 0)
        return fut__os_err();
    return 0;
}

enum fut_poll
fut_udp_poll_send_to(struct fut_udp_socket *u, struct fut_context *cx,
                     const void *buf, size_t len, const struct sockaddr *addr,
                     socklen_t addrlen, ssize_t *res)
{
    if (res == NULL)
        return FUT_READY;
    if (u == NULL || cx == NULL || (buf == NULL && len > 0) ||
        !inet_addr_ok(addr, addrlen, 1)) {
        *res = -EINVAL;
        return FUT_READY;
    }
    return fut__dgram_poll_send(&u->io, cx, buf, len, addr, addrlen, res);
}

enum fut_poll
fut_udp_poll_send(struct fut_udp_socket *u, struct fut_context *cx,
                  const void *buf, size_t len, ssize_t *res)
{
    return fut_udp_poll_send_to(u, cx, buf, len, NULL, 0, res);
}

enum fut_poll
fut_udp_poll_recv_from(struct fut_udp_socket *u, struct fut_context *cx,
                       void *buf, size_t len, struct fut_dgram_info *info,
                       ssize_t *res)
{
    if (res == NULL)
        return FUT_READY;
    if (u == NULL || cx == NULL || (buf == NULL && len > 0)) {
        *res = -EINVAL;
        return FUT_READY;
    }
    return fut__dgram_poll_recv(&u->io, cx, buf, len, info, res);
}

enum fut_poll
fut_udp_poll_recv(struct fut_udp_socket *u, struct fut_context *cx, void *buf,
                  size_t len, ssize_t *res)
{
    return fut_udp_poll_recv_from(u, cx, buf, len, NULL, res);
}

ssize_t
fut_udp_try_send_to(struct fut_udp_socket *u, const void *buf, size_t len,
                    const struct sockaddr *addr, socklen_t addrlen)
{
    if (u == NULL || (buf == NULL && len > 0) ||
        !inet_addr_ok(addr, addrlen, 1))
        return -EINVAL;
    return fut__dgram_try_send(&u->io, buf, len, addr, addrlen);
}

ssize_t
fut_udp_try_recv_from(struct fut_udp_socket *u, void *buf, size_t len,
                      struct fut_dgram_info *info)
{
    if (u == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    return fut__dgram_try_recv(&u->io, buf, len, info);
}

/* setsockopt(2) of an int on an open socket. */
static int
udp_setopt(struct fut_udp_socket *u, int level, int name, const void *val,
           socklen_t len)
{
    if (u->io.fd < 0)
        return -EBADF;
    if (fut__sys.setsockopt(u->io.fd, level, name, val, len) < 0)
        return fut__os_err();
    return 0;
}

int
fut_udp_set_broadcast(struct fut_udp_socket *u, int on)
{
    int v = on != 0;

    if (u == NULL)
        return -EINVAL;
    return udp_setopt(u, SOL_SOCKET, SO_BROADCAST, &v, sizeof v);
}

int
fut_udp_set_ttl(struct fut_udp_socket *u, int ttl)
{
    if (u == NULL || ttl < 1 || ttl > 255)
        return -EINVAL;
    if (u->family == AF_INET6)
        return udp_setopt(u, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
                          sizeof ttl);
    return udp_setopt(u, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
}

int
fut_udp_set_multicast_ttl(struct fut_udp_socket *u, int ttl)
{
    unsigned char c;

    if (u == NULL || ttl < 0 || ttl > 255)
        return -EINVAL;
    if (u->family == AF_INET6)
        return udp_setopt(u, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl,
                          sizeof ttl);
    /* An unsigned char is what every kernel accepts for the IPv4 option
     * (Linux takes an int as well; the BSDs only the char). */
    c = (unsigned char)ttl;
    return udp_setopt(u, IPPROTO_IP, IP_MULTICAST_TTL, &c, sizeof c);
}

int
fut_udp_set_multicast_loop(struct fut_udp_socket *u, int on)
{
    unsigned char c = on != 0;
    unsigned int v = on != 0;

    if (u == NULL)
        return -EINVAL;
    if (u->family == AF_INET6)
        return udp_setopt(u, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &v, sizeof v);
    return udp_setopt(u, IPPROTO_IP, IP_MULTICAST_LOOP, &c, sizeof c);
}

int
fut_udp_set_multicast_interface(struct fut_udp_socket *u, unsigned int ifindex)
{
    if (u == NULL)
        return -EINVAL;
    if (u->io.fd < 0)
        return -EBADF;
    if (u->family == AF_INET6)
        return udp_setopt(u, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
                          sizeof ifindex);
    return fut__os_mcast4_if(u->io.fd, ifindex);
}

static int
udp_multicast(struct fut_udp_socket *u, const char *group,
              unsigned int ifindex, int join)
{
    struct in_addr a4;
    struct ipv6_mreq m6;

    if (u == NULL || group == NULL)
        return -EINVAL;
    if (inet_pton(AF_INET, group, &a4) == 1) {
        if (!IN_MULTICAST(ntohl(a4.s_addr)))
            return -EINVAL;
        if (u->io.fd < 0)
            return -EBADF;
        if (u->family != AF_INET)
            return -EAFNOSUPPORT;
        return fut__os_mcast4(u->io.fd, join, &a4, ifindex);
    }
    memset(&m6, 0, sizeof m6);
    if (inet_pton(AF_INET6, group, &m6.ipv6mr_multiaddr) != 1 ||
        !IN6_IS_ADDR_MULTICAST(&m6.ipv6mr_multiaddr))
        return -EINVAL;
    if (u->io.fd < 0)
        return -EBADF;
    if (u->family != AF_INET6)
        return -EAFNOSUPPORT;
    m6.ipv6mr_interface = ifindex;
    return udp_setopt(u, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP
                                            : IPV6_LEAVE_GROUP,
                      &m6, sizeof m6);
}

int
fut_udp_join_multicast(struct fut_udp_socket *u, const char *group,
                       unsigned int ifindex)
{
    return udp_multicast(u, group, ifindex, 1);
}

int
fut_udp_leave_multicast(struct fut_udp_socket *u, const char *group,
                        unsigned int ifindex)
{
    return udp_multicast(u, group, ifindex, 0);
}

int
fut_udp_close(struct fut_udp_socket *u)
{
    int fd;

    if (u == NULL)
        return -EINVAL;
    if (u->io.fd < 0)
        return -EBADF;
    fd = u->io.fd;
    (void)fut_io_close(&u->io);
    fut__os_close(fd);
    u->io.fd = -1;
    return 0;
}

int
fut_udp_send_init(struct fut_dgram_send *f, struct fut_udp_socket *u,
                  const void *buf, size_t len, const struct sockaddr *addr,
                  socklen_t addrlen)
{
    if (f == NULL || u == NULL || (buf == NULL && len > 0) ||
        !inet_addr_ok(addr, addrlen, 1))
        return -EINVAL;
    fut__dgram_send_setup(f, &u->io, buf, len, addr, addrlen);
    return 0;
}

int
fut_udp_recv_init(struct fut_dgram_recv *f, struct fut_udp_socket *u,
                  void *buf, size_t len, struct fut_dgram_info *info)
{
    if (f == NULL || u == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    fut__dgram_recv_setup(f, &u->io, buf, len, info);
    return 0;
}
