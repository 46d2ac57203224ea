/* SPDX-License-Identifier: MIT */
/* UDP sockets over the reactor, IPv4 and IPv6, and the datagram futures. */
#ifndef FUTURES_UDP_H
#define FUTURES_UDP_H

#include <sys/socket.h>

#include "future.h"
#include "reactor.h"
#include "tcp.h"

FUT__BEGIN_DECLS

/*
 * Sockets are nonblocking and close-on-exec. A socket binds to the runtime
 * of the first context that polls it (see struct fut_io) and is used on that
 * runtime's thread. Close it with fut_udp_close(), after dropping every
 * future that borrows it.
 *
 * Datagrams are whole: a send either queues the whole datagram or fails,
 * and a receive takes one whole datagram. Zero-length datagrams are valid
 * in both directions. A datagram longer than the receive buffer is never
 * cut silently: the receive reports -EMSGSIZE, the buffer holds the first
 * bytes, and struct fut_dgram_info (when given) says the full length. The
 * datagram is consumed either way. Datagram sockets have no end of file.
 *
 * A socket that is connected (fut_udp_connect()) learns of an ICMP "port
 * unreachable" for a datagram it sent: the next send or receive reports
 * -ECONNREFUSED once, and the socket stays usable.
 */

/**
 * struct fut_dgram_info - what a receive learnt about the datagram.
 * @addr, @addrlen: the sender's address (@addrlen 0 when the sender has
 *   none, such as an unbound Unix datagram socket).
 * @size: the datagram's full length, also when it was longer than the
 *   buffer. (On kernels that cannot tell, which Linux can, it is the buffer
 *   length when @truncated.)
 * @truncated: 1 when the datagram did not fit in the buffer (the receive
 *   then returned -EMSGSIZE), else 0.
 */
struct fut_dgram_info {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    size_t size;
    int truncated;
};

/**
 * struct fut_udp_socket - a UDP socket. The descriptor is io.fd (-1 when
 * closed), which may be read; the other fields are private.
 */
struct fut_udp_socket {
    struct fut_io io;
    int family;
};

/**
 * enum fut_udp_flags - options of fut_udp_bind().
 * @FUT_UDP_REUSEADDR: SO_REUSEADDR before bind (several sockets may then
 *   share a multicast group's port).
 * @FUT_UDP_IPV6ONLY: IPV6_V6ONLY on an IPv6 socket (ignored for IPv4).
 */
enum fut_udp_flags {
    FUT_UDP_REUSEADDR = 1u << 0,
    FUT_UDP_IPV6ONLY = 1u << 1
};

/**
 * fut_udp_init - make @u a closed socket: every operation on it answers
 * -EBADF and closing it answers -EBADF. Returns 0, or -EINVAL for NULL.
 */
FUT_API int fut_udp_init(struct fut_udp_socket *u);

/**
 * fut_udp_bind - open a UDP socket bound to @addr (AF_INET or AF_INET6;
 * port 0 picks a free port, which fut_udp_local_addr() reports).
 * @flags: enum fut_udp_flags, or 0.
 * Returns 0, -EINVAL (NULL, a bad @len or family, unknown @flags), or the
 * -errno of the failing syscall (-EADDRINUSE, -EACCES,
 * -EADDRNOTAVAIL...). @u is written whatever it held: it must not be an
 * open socket. On failure it is a closed socket and nothing is left open.
 */
FUT_API int fut_udp_bind(struct fut_udp_socket *u, const struct sockaddr *addr,
                         socklen_t len, unsigned int flags);

/**
 * fut_udp_bind_host - fut_udp_bind() to a numeric address and a port, as
 * fut_sockaddr_parse() reads them ("127.0.0.1", "::1", "0.0.0.0"; port 0
 * for a free one). Returns as fut_udp_bind(), and -EINVAL for an
 * unparsable @host or a port over 65535.
 */
FUT_API int fut_udp_bind_host(struct fut_udp_socket *u, const char *host,
                              unsigned int port, unsigned int flags);

/** fut_udp_local_addr - the bound address (port 0 resolved). 0 or -errno
 * (-EINVAL for NULL, -EBADF when closed). */
FUT_API int fut_udp_local_addr(const struct fut_udp_socket *u,
                               struct sockaddr_storage *ss, socklen_t *len);

/** fut_udp_port - the bound port, or -EINVAL / -EBADF / -errno. */
FUT_API int fut_udp_port(const struct fut_udp_socket *u);

/**
 * fut_udp_connect - set the default peer (connect(2) on UDP does not
 * wait): sends without an address go there, and only its datagrams are
 * received. An @addr with family AF_UNSPEC (@len at least
 * sizeof(sa_family_t)) disconnects; the socket keeps its local address
 * (Linux drops a port that bind picked at disconnect; it is bound again).
 * Returns 0, -EINVAL (NULL, bad length or family), -EBADF (closed), or
 * -errno (-EAFNOSUPPORT for an IPv6 peer of an IPv4 socket, ...).
 */
FUT_API int fut_udp_connect(struct fut_udp_socket *u,
                            const struct sockaddr *addr, socklen_t len);

/** fut_udp_peer_addr - the connected peer. 0, -EINVAL, -EBADF, or -ENOTCONN
 * when not connected. */
FUT_API int fut_udp_peer_addr(const struct fut_udp_socket *u,
                              struct sockaddr_storage *ss, socklen_t *len);

/**
 * fut_udp_poll_send_to - send one datagram of @len bytes (0 is valid) from
 * @buf to @addr, waiting for room.
 * @buf: borrowed for this call (may be NULL when @len is 0).
 * @addr: borrowed; NULL (with @addrlen 0) sends to the connected peer.
 * READY with *@res = @len, or -errno: -EINVAL (NULL @u/@cx, NULL @buf with
 * @len > 0, an address of the wrong length or family), -EBADF (closed),
 * -EMSGSIZE (longer than a datagram can be), -EDESTADDRREQ (no address
 * and not connected), -ECONNREFUSED (see above), -EACCES (broadcast
 * without fut_udp_set_broadcast()), -EXDEV / registration errors.
 * PENDING: the send buffer is full; a clone of cx->waker is stored in the
 * socket's write slot (fut_io_note() / fut_io_forget_reg() on &u->io
 * withdraw it), or the coop budget ran out. Nothing is sent by a PENDING
 * poll: cancel-safe. Each READY that reaches the syscall spends one unit of
 * coop budget. Runtime thread only.
 */
FUT_API enum fut_poll fut_udp_poll_send_to(struct fut_udp_socket *u,
                                           struct fut_context *cx,
                                           const void *buf, size_t len,
                                           const struct sockaddr *addr,
                                           socklen_t addrlen, ssize_t *res);

/** fut_udp_poll_send - fut_udp_poll_send_to() to the connected peer. */
FUT_API enum fut_poll fut_udp_poll_send(struct fut_udp_socket *u,
                                        struct fut_context *cx,
                                        const void *buf, size_t len,
                                        ssize_t *res);

/**
 * fut_udp_poll_recv_from - receive one datagram into @buf, waiting for one.
 * @info: may be NULL; on READY with a datagram, receives its sender, full
 *   size and truncation flag.
 * READY with *@res = the datagram's length (<= @len; 0 for an empty
 * datagram), or -errno: -EMSGSIZE (it was longer than @len: @buf holds
 * its first @len bytes, @info says the full size; it is consumed),
 * -EINVAL (NULL @u/@cx, NULL @buf with @len > 0), -EBADF (closed),
 * -ECONNREFUSED (see above), -EXDEV / registration errors.
 * PENDING: nothing to receive; a clone of cx->waker is in the read slot,
 * or the coop budget ran out. Cancel-safe. Runtime thread only.
 */
FUT_API enum fut_poll fut_udp_poll_recv_from(struct fut_udp_socket *u,
                                             struct fut_context *cx,
                                             void *buf, size_t len,
                                             struct fut_dgram_info *info,
                                             ssize_t *res);

/** fut_udp_poll_recv - fut_udp_poll_recv_from() without the sender. */
FUT_API enum fut_poll fut_udp_poll_recv(struct fut_udp_socket *u,
                                        struct fut_context *cx, void *buf,
                                        size_t len, ssize_t *res);

/**
 * fut_udp_try_send_to - one sendto(2), without waiting. Returns @len, or
 * -errno as fut_udp_poll_send_to() reports, plus -EAGAIN when the buffer
 * is full (the write readiness is then cleared). @addr NULL: the
 * connected peer. Works on a socket no runtime polled yet.
 */
FUT_API ssize_t fut_udp_try_send_to(struct fut_udp_socket *u, const void *buf,
                                    size_t len, const struct sockaddr *addr,
                                    socklen_t addrlen);

/**
 * fut_udp_try_recv_from - one recvfrom(2), without waiting. Returns as
 * fut_udp_poll_recv_from() (with @info likewise), plus -EAGAIN when no
 * datagram is queued (the read readiness is then cleared).
 */
FUT_API ssize_t fut_udp_try_recv_from(struct fut_udp_socket *u, void *buf,
                                      size_t len, struct fut_dgram_info *info);

/** fut_udp_set_broadcast - SO_BROADCAST on or off. 0, -EINVAL, -EBADF or
 * -errno. */
FUT_API int fut_udp_set_broadcast(struct fut_udp_socket *u, int on);

/**
 * fut_udp_set_ttl - the unicast TTL (IP_TTL, or IPV6_UNICAST_HOPS on an
 * IPv6 socket), 1 to 255. Returns 0, -EINVAL (NULL or out of range),
 * -EBADF or -errno.
 */
FUT_API int fut_udp_set_ttl(struct fut_udp_socket *u, int ttl);

/**
 * fut_udp_join_multicast - join the group @group (a numeric IPv4 or IPv6
 * multicast address, of the socket's family) on interface @ifindex (0: the
 * kernel chooses; see if_nametoindex(3)).
 * Returns 0, -EINVAL (NULL, unparsable, not a multicast address),
 * -EAFNOSUPPORT (the other family), -EBADF (closed), -errno (-EADDRINUSE:
 * joined already; -ENODEV: no such interface or no multicast route).
 */
FUT_API int fut_udp_join_multicast(struct fut_udp_socket *u, const char *group,
                                   unsigned int ifindex);

/** fut_udp_leave_multicast - leave a group joined with the same arguments.
 * Returns as fut_udp_join_multicast(), and -EADDRNOTAVAIL (-EINVAL on some
 * kernels) when the group was not joined. */
FUT_API int fut_udp_leave_multicast(struct fut_udp_socket *u,
                                    const char *group, unsigned int ifindex);

/** fut_udp_set_multicast_ttl - hops of multicast datagrams sent, 0 to 255
 * (IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS; 1 by default). 0 or -errno. */
FUT_API int fut_udp_set_multicast_ttl(struct fut_udp_socket *u, int ttl);

/** fut_udp_set_multicast_loop - whether multicast datagrams sent come back
 * to this host's own members (on by default). 0 or -errno. */
FUT_API int fut_udp_set_multicast_loop(struct fut_udp_socket *u, int on);

/**
 * fut_udp_set_multicast_interface - send multicast datagrams out of
 * interface @ifindex (IP_MULTICAST_IF / IPV6_MULTICAST_IF; 0: the
 * kernel's choice by its routes, the default). libuv's
 * uv_udp_set_multicast_interface() names the interface by an address;
 * if_nametoindex(3) gives the index of a name.
 * Returns 0, -EINVAL (NULL), -EBADF (closed), -ENODEV (no such interface,
 * or on an IPv4 socket outside Linux one without an IPv4 address) or
 * -errno.
 */
FUT_API int fut_udp_set_multicast_interface(struct fut_udp_socket *u,
                                            unsigned int ifindex);

/**
 * fut_udp_close - deregister and close the socket. Returns 0, -EINVAL for
 * NULL, or -EBADF when already closed.
 */
FUT_API int fut_udp_close(struct fut_udp_socket *u);

/*
 * The futures. One send future and one receive future serve UDP sockets
 * and Unix datagram sockets (unix.h) alike; each has an init per socket
 * type. Both are cancel-safe: a datagram is sent or received whole by the
 * READY poll, never by a PENDING one, so dropping one while pending loses
 * nothing; the drop withdraws the waker it left (only its own
 * registration). They may be moved until their first poll. Fields other
 * than @res are private.
 */

/**
 * struct fut_dgram_send - send one datagram. @res after READY: the length
 * sent, or -errno as fut_udp_poll_send_to() reports. The address is
 * copied at init; the buffer is borrowed until READY or drop.
 */
struct fut_dgram_send {
    struct fut_future base;
    struct fut_io *io;
    const void *buf;
    size_t len;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int done;
    ssize_t res;
    struct fut_reg reg; /* private */
};

/**
 * struct fut_dgram_recv - receive one datagram. @res after READY: its
 * length, or -errno as fut_udp_poll_recv_from() reports (-EMSGSIZE when
 * truncated). @info (given at init, may be NULL) is filled on a datagram.
 */
struct fut_dgram_recv {
    struct fut_future base;
    struct fut_io *io;
    void *buf;
    size_t len;
    struct fut_dgram_info *info;
    int done;
    ssize_t res;
    struct fut_reg reg; /* private */
};

/**
 * fut_udp_send_init - a future sending @len bytes of @buf to @addr (NULL
 * with @addrlen 0: the connected peer). Returns 0, or -EINVAL (NULL @f or
 * @u, NULL @buf with @len > 0, an address that is not AF_INET/AF_INET6 of
 * the right length). A closed @u is reported by the future (-EBADF).
 */
FUT_API int fut_udp_send_init(struct fut_dgram_send *f,
                              struct fut_udp_socket *u, const void *buf,
                              size_t len, const struct sockaddr *addr,
                              socklen_t addrlen);

/** fut_udp_recv_init - a future receiving one datagram into @buf. Returns
 * 0, or -EINVAL (NULL @f or @u, NULL @buf with @len > 0). */
FUT_API int fut_udp_recv_init(struct fut_dgram_recv *f,
                              struct fut_udp_socket *u, void *buf, size_t len,
                              struct fut_dgram_info *info);

FUT__END_DECLS

#endif /* FUTURES_UDP_H */
