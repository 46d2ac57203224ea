/* SPDX-License-Identifier: MIT */
/* TCP listeners and streams over the reactor, IPv4 and IPv6. */
#ifndef FUTURES_TCP_H
#define FUTURES_TCP_H

#include <sys/socket.h>

#include "future.h"
#include "io.h"
#include "reactor.h"
#include "timer.h"

FUT__BEGIN_DECLS

/*
 * Sockets are nonblocking and close-on-exec. An object binds to the runtime
 * of the first context that polls it (see struct fut_io) and is used on
 * that runtime's thread. Each must be closed with its close function, which
 * deregisters it and closes the descriptor; futures that borrow it must be
 * dropped first.
 */

/**
 * fut_sockaddr_parse - fill @ss from a numeric IPv4 or IPv6 address and a
 * port ("127.0.0.1", "::1"; no name lookup).
 * Returns 0, or -EINVAL for NULL, a port over 65535 or an unparsable host.
 */
FUT_API int fut_sockaddr_parse(const char *host, unsigned int port,
                               struct sockaddr_storage *ss, socklen_t *len);

/**
 * struct fut_tcp_listener - a listening socket. Fields are private. It
 * holds two descriptors: the socket, and a spare (on /dev/null) that
 * fut_tcp_listener_poll_accept() spends when the process runs out.
 */
struct fut_tcp_listener {
    struct fut_io io;
    int fd;
    int spare;
};

/**
 * fut_tcp_listener_bind - socket, SO_REUSEADDR, bind, listen, and a
 * spare descriptor (see fut_tcp_listener_poll_accept(); failing to open
 * it is not an error: the listener then has none).
 * @backlog: <= 0 means SOMAXCONN.
 * Returns 0, -EINVAL (NULL, bad @len or family), or the -errno of the
 * failing syscall (-EADDRINUSE, -EACCES, ...). On failure nothing is left
 * open.
 */
FUT_API int fut_tcp_listener_bind(struct fut_tcp_listener *l,
                                  const struct sockaddr *addr,
                                  socklen_t len, int backlog);

/**
 * fut_tcp_listener_bind_host - fut_tcp_listener_bind() to a numeric
 * address and port, as fut_sockaddr_parse() reads them ("127.0.0.1",
 * "::", port 0 for a free one). Returns as fut_tcp_listener_bind() does,
 * and -EINVAL for an unparsable @host or a port over 65535.
 */
FUT_API int fut_tcp_listener_bind_host(struct fut_tcp_listener *l,
                                       const char *host, unsigned int port,
                                       int backlog);

/**
 * fut_tcp_listener_port - the bound port (port 0 resolved), or -EINVAL
 * (NULL), -EBADF (closed) or the -errno of getsockname(2).
 */
FUT_API int fut_tcp_listener_port(const struct fut_tcp_listener *l);

/** fut_tcp_listener_local_addr - the bound address (port 0 resolved). */
FUT_API int fut_tcp_listener_local_addr(const struct fut_tcp_listener *l,
                                        struct sockaddr_storage *ss,
                                        socklen_t *len);

/**
 * fut_tcp_listener_close - deregister and close the socket and the spare.
 * Returns 0, or -EINVAL (NULL) / -EBADF (already closed).
 */
FUT_API int fut_tcp_listener_close(struct fut_tcp_listener *l);

struct fut_tcp_stream;

/**
 * fut_tcp_listener_poll_accept - accept one connection into @out.
 * READY with *@res = 0 (@out is an open stream the caller must close) or
 * -errno; @out is written on success whatever it held, so it must not be
 * an open stream (that one would leak) and needs no fut_tcp_stream_init().
 * Errors: -EBADF for a closed listener, -ENOBUFS / -ENOMEM, -EPERM, or
 * -EMFILE / -ENFILE only from a listener that has no spare descriptor.
 * PENDING: no connection waiting; a clone of cx->waker stays in the
 * listener until it is ready or closed (or the coop budget ran out and the
 * task was woken to run later).
 *
 * Errors that concern one connection, not the listener, are retried
 * inside, as accept(2) advises: ECONNABORTED and EPROTO (reset while
 * queued), EINTR, and the network errors Linux passes on (ENETDOWN,
 * ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH).
 *
 * Out of descriptors (EMFILE, ENFILE), the listener refuses the waiting
 * connections instead of reporting the error: it closes its spare
 * descriptor, accepts the connection into that slot, closes it (the peer
 * sees it closed or reset) and reopens the spare. So the backlog drains,
 * the listener waits for the next connection without spinning, and no
 * caller needs a back-off of its own. (libuv does the same; a built-in
 * back-off would need a timer, keep refused peers waiting and still wake
 * at its rate while the limit lasts.) A listener without a spare (none
 * could be opened at bind, nor since) reports -EMFILE / -ENFILE and leaves
 * the connection queued.
 *
 * Cancel-safe. Code that may be dropped while pending should await a
 * struct fut_tcp_accept instead, which withdraws that waker when dropped.
 * Runtime thread only.
 */
FUT_API enum fut_poll fut_tcp_listener_poll_accept(struct fut_tcp_listener *l,
                                                   struct fut_context *cx,
                                                   struct fut_tcp_stream *out,
                                                   int *res);

/**
 * struct fut_tcp_accept - accept as a future. @res: 0 or -errno; on 0,
 * @out holds the new stream. Cancel-safe: dropped while pending, it
 * withdraws its waker from the listener (fut_io_forget_reg()), and only
 * the registration it made. @reg is private: the registration of its last
 * PENDING poll (fut_io_note()).
 */
struct fut_tcp_accept {
    struct fut_future base;
    struct fut_tcp_listener *listener;
    struct fut_tcp_stream *out;
    int res;
    struct fut_reg reg; /* private */
};

/** fut_tcp_accept_init - returns 0 or -EINVAL. */
FUT_API int fut_tcp_accept_init(struct fut_tcp_accept *f,
                                struct fut_tcp_listener *l,
                                struct fut_tcp_stream *out);

/**
 * struct fut_tcp_stream - a connected TCP socket: an AsyncRead (@reader)
 * and an AsyncWrite (@writer; poll_close shuts down the write side).
 * Reads and writes spend coop budget. Fields other than the two traits are
 * private; the descriptor is io.fd (-1 once closed), which may be read.
 */
struct fut_tcp_stream {
    struct fut_async_read reader;
    struct fut_async_write writer;
    struct fut_io io;
};

/**
 * fut_tcp_stream_init - make @s a closed stream: its reads and writes
 * answer -EBADF, closing it answers -EBADF and touches no descriptor, and
 * it may be connected (fut_tcp_connect_init()). The way to prepare fresh
 * storage for a connect, as uv_tcp_init() is before uv_tcp_connect().
 * Any thread, on storage no other thread uses. Returns 0, or -EINVAL for
 * NULL.
 */
FUT_API int fut_tcp_stream_init(struct fut_tcp_stream *s);

/**
 * fut_tcp_stream_from_fd - adopt a connected socket (made nonblocking here).
 * Returns 0, or -EINVAL for NULL or a negative @fd, or -errno.
 */
FUT_API int fut_tcp_stream_from_fd(struct fut_tcp_stream *s, int fd);

/**
 * struct fut_tcp_connect - connect @stream to an address.
 * @res: after READY, 0 (@stream is open: close it) or -errno
 * (-ECONNREFUSED, -ETIMEDOUT if the deadline passed first, ...; @stream is
 * then not open). Dropping it while pending closes the half-made socket.
 */
struct fut_tcp_connect {
    struct fut_future base;
    struct fut_tcp_stream *stream;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int64_t deadline_ns;
    int state;
    int res;
    struct fut_sleep sleep;
};

/**
 * fut_tcp_connect_init - prepare a connect to @addr.
 * @timeout_ns: give up after this long (-ETIMEDOUT); < 0 means no limit.
 * @stream: a stream that is not open: one set up by fut_tcp_stream_init(),
 *   one that was closed, or one whose connect failed. It is reset here.
 *   Fresh (uninitialised) storage must go through fut_tcp_stream_init()
 *   first: this call reads @stream to tell whether it is open, and an
 *   uninitialised one has no answer (memory checkers report the read).
 * Returns 0, -EINVAL for NULL arguments or an address that is not
 * AF_INET/AF_INET6 of the right length, or -EISCONN when @stream is open
 * (from fut_tcp_stream_from_fd(), an accept or a connect, connected or
 * still connecting): it is left as it was, descriptor and all, rather
 * than reset over an open descriptor, which would leak it. Close it first.
 */
FUT_API int fut_tcp_connect_init(struct fut_tcp_connect *f,
                                 struct fut_tcp_stream *stream,
                                 const struct sockaddr *addr, socklen_t len,
                                 int64_t timeout_ns);

/** fut_tcp_stream_set_nodelay - TCP_NODELAY on or off. 0 or -errno. */
FUT_API int fut_tcp_stream_set_nodelay(struct fut_tcp_stream *s, int on);

/**
 * fut_tcp_stream_shutdown - shutdown(2) with SHUT_RD, SHUT_WR or SHUT_RDWR.
 * Returns 0, -EINVAL or -errno (-ENOTCONN).
 */
FUT_API int fut_tcp_stream_shutdown(struct fut_tcp_stream *s, int how);

/** fut_tcp_stream_peer_addr - the peer's address. 0 or -errno. */
FUT_API int fut_tcp_stream_peer_addr(const struct fut_tcp_stream *s,
                                     struct sockaddr_storage *ss,
                                     socklen_t *len);

/** fut_tcp_stream_local_addr - the local address. 0 or -errno. */
FUT_API int fut_tcp_stream_local_addr(const struct fut_tcp_stream *s,
                                      struct sockaddr_storage *ss,
                                      socklen_t *len);

/*
 * Readiness, then a syscall that never waits (tokio's poll_read_ready and
 * try_read). A task that awaits readiness first needs no buffer while the
 * connection is idle: it reads into one it borrows for that read only (one
 * buffer for every connection of a thread, say), and keeps per connection
 * only what it could not write at once.
 *
 * A waker that a PENDING poll_read_ready or poll_write_ready stores sits in
 * the same slot as one from a PENDING read or write (poll_read, poll_write,
 * ...): one waiter per direction, and each PENDING poll is a new
 * registration. Code that may be dropped while pending records it right
 * after the PENDING poll with fut_async_read_note(&s->reader, cx, &reg)
 * (fut_async_write_note(&s->writer, cx, &reg) for writing) and withdraws
 * it with fut_async_read_forget_reg(&s->reader, &reg) (or
 * fut_async_write_forget_reg()); only its own registration goes, not a
 * newer one of the same task. Closing the stream drops it as well.
 */

/**
 * fut_tcp_stream_poll_read_ready - wait until a read would not block.
 * @res: receives 0 or -errno.
 *
 * READY with *@res = 0: the socket is readable, or end of file or an error
 * is pending (the next fut_tcp_stream_try_read() reports which), or the
 * readiness is stale: try_read then says -EAGAIN and clears it, and the
 * next poll waits. READY with *@res < 0: -EINVAL (NULL @s or @cx, no
 * runtime in @cx), -EBADF (closed), -EXDEV (bound to another runtime), or
 * the backend's registration error. A NULL @res: READY, nothing done.
 * PENDING: not readable yet; a clone of cx->waker is stored in the stream
 * and woken when it may be (see above for withdrawing it), or the task's
 * coop budget ran out and it was woken to run again later. Each READY
 * with 0 spends one unit of coop budget. Consumes nothing: cancel-safe.
 * The first poll binds the stream to cx->rt. Runtime thread only.
 */
FUT_API enum fut_poll fut_tcp_stream_poll_read_ready(struct fut_tcp_stream *s,
                                                     struct fut_context *cx,
                                                     int *res);

/**
 * fut_tcp_stream_try_read - one read(2) into @buf, without waiting.
 * @buf: borrowed for this call only.
 *
 * Returns the bytes read (> 0), 0 at end of file, or -errno: -EAGAIN when
 * nothing is there (the stream's read readiness is then cleared, so the
 * next fut_tcp_stream_poll_read_ready() waits for the backend), -EINVAL
 * (NULL @s, or NULL @buf with @len > 0), -EBADF (closed), -ECONNRESET...
 * EINTR is retried. A @len of 0 returns 0 without a syscall. A read
 * shorter than @len forgets the readiness too, where the backend makes
 * that safe (fut_io_drained()), so a read that would only say EAGAIN is
 * not made. Spends no coop budget. Works on a stream no runtime polled
 * yet. Runtime thread only.
 */
FUT_API ssize_t fut_tcp_stream_try_read(struct fut_tcp_stream *s, void *buf,
                                        size_t len);

/**
 * fut_tcp_stream_poll_write_ready - wait until a write would not block.
 * @res: receives 0 or -errno.
 *
 * As fut_tcp_stream_poll_read_ready(), for writing: READY with *@res = 0
 * when the socket has room (or an error or hang-up is pending: the next
 * fut_tcp_stream_try_write() reports it), READY with -errno (-EINVAL,
 * -EBADF, -EXDEV, registration errors), PENDING with a clone of cx->waker
 * stored in the stream's write slot (or the coop budget ran out).
 * Cancel-safe. Runtime thread only.
 */
FUT_API enum fut_poll fut_tcp_stream_poll_write_ready(struct fut_tcp_stream *s,
                                                      struct fut_context *cx,
                                                      int *res);

/**
 * fut_tcp_stream_try_write - one send(2) from @buf, without waiting.
 * @buf: borrowed for this call only.
 *
 * Returns the bytes the kernel took (> 0; fewer than @len when its buffer
 * filled up), or -errno: -EAGAIN when it took none (the write readiness is
 * then cleared, so the next fut_tcp_stream_poll_write_ready() waits),
 * -EINVAL (NULL @s, or NULL @buf with @len > 0), -EBADF (closed), -EPIPE
 * or -ECONNRESET (the peer is gone; no SIGPIPE is raised). EINTR is
 * retried. A @len of 0 returns 0 without a syscall. Spends no coop budget.
 * Runtime thread only.
 */
FUT_API ssize_t fut_tcp_stream_try_write(struct fut_tcp_stream *s,
                                         const void *buf, size_t len);

/**
 * fut_tcp_stream_close - deregister and close the socket. Returns 0, or
 * -EINVAL for NULL, or -EBADF if it is already closed.
 */
FUT_API int fut_tcp_stream_close(struct fut_tcp_stream *s);

FUT__END_DECLS

#endif /* FUTURES_TCP_H */
