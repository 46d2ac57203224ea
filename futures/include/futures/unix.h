/* SPDX-License-Identifier: MIT */
/* Unix domain sockets over the reactor: stream listeners and streams, datagram sockets, pairs. */
#ifndef FUTURES_UNIX_H
#define FUTURES_UNIX_H

#include <sys/socket.h>
#include <sys/un.h>

#include "future.h"
#include "io.h"
#include "reactor.h"
#include "timer.h"
#include "udp.h"

FUT__BEGIN_DECLS

/*
 * Sockets are nonblocking and close-on-exec, bind to the runtime of the
 * first context that polls them (struct fut_io) and are used on that
 * runtime's thread. Close each with its close function after dropping the
 * futures that borrow it.
 *
 * Names. Every function that takes a socket name takes (@name, @len):
 * - a path: @len bytes of @name, or strlen(@name) when @len is 0. It must
 *   fit sun_path with its terminating NUL (107 bytes on Linux), else
 *   -ENAMETOOLONG: a name is never truncated. A NUL inside is -EINVAL.
 * - an abstract name (Linux): @name[0] is '\0' and @len counts every byte,
 *   the leading NUL included (at most sizeof sun_path). It lives in the
 *   kernel, not the file system, and goes away with the last socket. Other
 *   kernels answer -ENOTSUP.
 * Binding a path creates a socket file, which closing does not remove:
 * removing it (unlink(2)) is the caller's choice, as is removing a stale
 * file left by an earlier process before binding again; the
 * FUT_UNIX_UNLINK_STALE flag does the latter safely.
 */

/**
 * fut_unix_sockaddr - fill @sun from a name as described above. @sunlen
 * receives the length to pass with it. Returns 0, -EINVAL (NULL, empty,
 * an embedded NUL in a path), -ENAMETOOLONG, or -ENOTSUP (an abstract name
 * outside Linux).
 */
FUT_API int fut_unix_sockaddr(const char *name, size_t len,
                              struct sockaddr_un *sun, socklen_t *sunlen);

/**
 * fut_unix_sockaddr_name - the name in a Unix address (as a receive's
 * struct fut_dgram_info or a local/peer address query gives it).
 * *@name points into @sa (an abstract name starts with '\0'; a path has no
 * NUL counted). Returns the name's length, 0 for an unnamed socket, or
 * -EINVAL (NULL, not AF_UNIX).
 */
FUT_API ssize_t fut_unix_sockaddr_name(const struct sockaddr *sa,
                                       socklen_t len, const char **name);

/**
 * enum fut_unix_flags - options of the bind functions.
 * @FUT_UNIX_UNLINK_STALE: before binding a path, remove a socket file
 *   there that nobody listens on (a connect to it is refused). A live
 *   socket's file, or a file that is not a socket, is left alone (bind
 *   then fails with -EADDRINUSE). Ignored for abstract names.
 */
enum fut_unix_flags {
    FUT_UNIX_UNLINK_STALE = 1u << 0
};

/**
 * struct fut_unix_stream - a connected Unix stream socket: an AsyncRead
 * (@reader) and an AsyncWrite (@writer; poll_close shuts down the write
 * side). Reads and writes spend coop budget. The descriptor is io.fd (-1
 * once closed), which may be read; the rest is private. Waits for a read
 * or a write store the waker in io's slot of that direction, withdrawn by
 * the fut_async_read_note()/forget_reg() protocol (see tcp.h).
 */
struct fut_unix_stream {
    struct fut_async_read reader;
    struct fut_async_write writer;
    struct fut_io io;
};

/** fut_unix_stream_init - make @s a closed stream (its traits answer
 * -EBADF), ready for fut_unix_connect_init(). 0 or -EINVAL. */
FUT_API int fut_unix_stream_init(struct fut_unix_stream *s);

/**
 * fut_unix_stream_pair - a connected pair of streams (socketpair(2)).
 * @a, @b: written whatever they held (they must not be open streams).
 * Returns 0, -EINVAL (NULL), or -errno (-EMFILE...); on failure both are
 * closed streams.
 */
FUT_API int fut_unix_stream_pair(struct fut_unix_stream *a,
                                 struct fut_unix_stream *b);

/**
 * struct fut_unix_cred - who is at the other end (as it was when the
 * connection or pair was made). -1 where unknown.
 */
struct fut_unix_cred {
    long pid;
    long uid;
    long gid;
};

/**
 * fut_unix_stream_peer_cred - the peer's process, user and group
 * (SO_PEERCRED). Returns 0, -EINVAL (NULL), -EBADF (closed), -ENOTSUP on
 * a kernel without the call (then every field is -1), or -errno.
 */
FUT_API int fut_unix_stream_peer_cred(const struct fut_unix_stream *s,
                                      struct fut_unix_cred *cred);

/** fut_unix_stream_local_addr, fut_unix_stream_peer_addr - the socket's own
 * and the peer's address (see fut_unix_sockaddr_name()). 0 or -errno
 * (-EINVAL, -EBADF). */
FUT_API int fut_unix_stream_local_addr(const struct fut_unix_stream *s,
                                       struct sockaddr_storage *ss,
                                       socklen_t *len);
FUT_API int fut_unix_stream_peer_addr(const struct fut_unix_stream *s,
                                      struct sockaddr_storage *ss,
                                      socklen_t *len);

/** fut_unix_stream_shutdown - shutdown(2) with SHUT_RD, SHUT_WR or
 * SHUT_RDWR. 0, -EINVAL, -EBADF or -errno. */
FUT_API int fut_unix_stream_shutdown(struct fut_unix_stream *s, int how);

/*
 * Readiness, then a syscall that never waits, as for TCP (tcp.h says why:
 * a task that awaits readiness first needs no buffer while the connection
 * is idle). The waker a PENDING poll_read_ready or poll_write_ready stores
 * sits in the same slot as one from a PENDING read or write of that
 * direction; code that may be dropped while pending withdraws it with
 * fut_async_read_note()/fut_async_read_forget_reg() on &s->reader (or the
 * write forms on &s->writer). Closing the stream drops it as well.
 */

/**
 * fut_unix_stream_poll_read_ready - wait until a read would not block.
 * @res: receives 0 or -errno.
 *
 * READY with *@res = 0: the socket is readable, or end of file or an error
 * is pending (the next fut_unix_stream_try_read() reports which), or the
 * readiness is stale: try_read then says -EAGAIN and clears it, and the
 * next poll waits. READY with *@res < 0: -EINVAL (NULL @s or @cx, no
 * runtime in @cx), -EBADF (closed), -EXDEV (bound to another runtime), or
 * the backend's registration error. A NULL @res: READY, nothing done.
 * PENDING: not readable yet; a clone of cx->waker is stored in the stream
 * and woken when it may be, or the task's coop budget ran out and it was
 * woken to run again later. Each READY with 0 spends one unit of coop
 * budget. Consumes nothing: cancel-safe. The first poll binds the stream
 * to cx->rt. Runtime thread only.
 */
FUT_API enum fut_poll
fut_unix_stream_poll_read_ready(struct fut_unix_stream *s,
                                struct fut_context *cx, int *res);

/**
 * fut_unix_stream_try_read - one read(2) into @buf, without waiting.
 * @buf: borrowed for this call only.
 *
 * Returns the bytes read (> 0), 0 at end of file, or -errno: -EAGAIN when
 * nothing is there (the read readiness is then cleared, so the next
 * fut_unix_stream_poll_read_ready() waits for the backend), -EINVAL (NULL
 * @s, or NULL @buf with @len > 0), -EBADF (closed), -ECONNRESET... EINTR
 * is retried. A @len of 0 returns 0 without a syscall. A read shorter than
 * @len forgets the readiness too, where the backend makes that safe
 * (fut_io_drained()). Spends no coop budget. Works on a stream no runtime
 * polled yet. Runtime thread only.
 */
FUT_API ssize_t fut_unix_stream_try_read(struct fut_unix_stream *s, void *buf,
                                         size_t len);

/**
 * fut_unix_stream_poll_write_ready - wait until a write would not block.
 * @res: receives 0 or -errno.
 *
 * As fut_unix_stream_poll_read_ready(), for writing: READY with *@res = 0
 * when the socket has room (or an error or hang-up is pending: the next
 * fut_unix_stream_try_write() reports it), READY with -errno (-EINVAL,
 * -EBADF, -EXDEV, registration errors), PENDING with a clone of cx->waker
 * stored in the stream's write slot (or the coop budget ran out).
 * Cancel-safe. Runtime thread only.
 */
FUT_API enum fut_poll
fut_unix_stream_poll_write_ready(struct fut_unix_stream *s,
                                 struct fut_context *cx, int *res);

/**
 * fut_unix_stream_try_write - one send(2) from @buf, without waiting.
 * @buf: borrowed for this call only.
 *
 * Returns the bytes the kernel took (> 0; fewer than @len when its buffer
 * filled up), or -errno: -EAGAIN when it took none (the write readiness is
 * then cleared, so the next fut_unix_stream_poll_write_ready() waits),
 * -EINVAL (NULL @s, or NULL @buf with @len > 0), -EBADF (closed), -EPIPE
 * or -ECONNRESET (the peer is gone; no SIGPIPE is raised). EINTR is
 * retried. A @len of 0 returns 0 without a syscall. Spends no coop budget.
 * Runtime thread only.
 */
FUT_API ssize_t fut_unix_stream_try_write(struct fut_unix_stream *s,
                                          const void *buf, size_t len);

/** fut_unix_stream_close - deregister and close. 0, -EINVAL (NULL) or
 * -EBADF (closed). */
FUT_API int fut_unix_stream_close(struct fut_unix_stream *s);

/**
 * struct fut_unix_listener - a listening Unix stream socket. The
 * descriptor is io.fd (-1 once closed); the rest is private. It holds two
 * descriptors, as a TCP listener does: the socket, and a spare (on
 * /dev/null) that fut_unix_listener_poll_accept() spends when the process
 * runs out.
 */
struct fut_unix_listener {
    struct fut_io io;
    int spare; /* private */
};

/**
 * fut_unix_listener_bind - socket, bind to a name (see above), listen, and
 * a spare descriptor (failing to open it is not an error: the listener
 * then has none).
 * @backlog: <= 0 means SOMAXCONN. @flags: enum fut_unix_flags or 0.
 * Returns 0, -EINVAL (NULL, bad name, unknown flags), -ENAMETOOLONG,
 * -ENOTSUP, or the -errno of the syscall (-EADDRINUSE: the name is taken,
 * -ENOENT: no such directory, -EACCES...). On failure @l is closed and
 * nothing is left open or created.
 */
FUT_API int fut_unix_listener_bind(struct fut_unix_listener *l,
                                   const char *name, size_t len, int backlog,
                                   unsigned int flags);

/** fut_unix_listener_local_addr - the bound address. 0 or -errno. */
FUT_API int fut_unix_listener_local_addr(const struct fut_unix_listener *l,
                                         struct sockaddr_storage *ss,
                                         socklen_t *len);

/**
 * fut_unix_listener_poll_accept - accept one connection into @out.
 * READY with *@res = 0 (@out is an open stream: close it; it is written
 * whatever it held, so it must not be open) or -errno: -EINVAL (NULL),
 * -EBADF (closed), -ENOBUFS / -ENOMEM (the connection stays queued; the
 * caller decides), or -EMFILE / -ENFILE only from a listener that has no
 * spare descriptor. PENDING: none waiting; a clone of cx->waker is in the
 * listener (or the coop budget ran out). Cancel-safe. Runtime thread only.
 *
 * As fut_tcp_listener_poll_accept() (tcp.h), errors that concern one
 * connection (ECONNABORTED, EPROTO, EINTR, ...) are retried inside, and out
 * of descriptors (EMFILE, ENFILE) the listener refuses the waiting
 * connections through its spare descriptor instead of reporting the error:
 * the peer sees its connection closed, the backlog drains and the listener
 * waits for the next connection without spinning.
 */
FUT_API enum fut_poll
fut_unix_listener_poll_accept(struct fut_unix_listener *l,
                              struct fut_context *cx,
                              struct fut_unix_stream *out, int *res);

/** fut_unix_listener_close - deregister and close (the socket file stays;
 * see above). 0, -EINVAL or -EBADF. */
FUT_API int fut_unix_listener_close(struct fut_unix_listener *l);

/**
 * struct fut_unix_accept - accept as a future. @res: 0 or -errno; on 0,
 * @out holds the new stream. Cancel-safe: dropped while pending it
 * withdraws its own waker registration and accepts nothing.
 */
struct fut_unix_accept {
    struct fut_future base;
    struct fut_unix_listener *listener;
    struct fut_unix_stream *out;
    int res;
    struct fut_reg reg; /* private */
};

/** fut_unix_accept_init - returns 0 or -EINVAL. */
FUT_API int fut_unix_accept_init(struct fut_unix_accept *f,
                                 struct fut_unix_listener *l,
                                 struct fut_unix_stream *out);

/**
 * struct fut_unix_connect - connect a stream to a listening name.
 * @res after READY: 0 (@stream is open: close it) or -errno: -ENOENT (no
 * such path), -ECONNREFUSED (nobody listens), -EACCES, -ETIMEDOUT (the
 * deadline passed first), ...; @stream is then not open.
 *
 * Linux completes a Unix connect at once or, when the listener's backlog
 * is full, refuses the nonblocking connect with EAGAIN without queueing
 * it: there is no readiness to wait for. The future then retries on a
 * timer, 1 ms at first, doubling up to 100 ms, until it connects, fails
 * otherwise or the deadline passes. Dropping it while pending closes the
 * half-made socket and disarms the timer. Fields are private but @res.
 */
struct fut_unix_connect {
    struct fut_future base;
    struct fut_unix_stream *stream;
    struct sockaddr_un addr;
    socklen_t addrlen;
    int state;
    int res;
    int64_t deadline_ns;
    int64_t backoff_ns;
    struct fut_sleep sleep;
};

/**
 * fut_unix_connect_init - prepare a connect of @stream to @name.
 * @stream: not open (fut_unix_stream_init(), closed, or a failed connect).
 * @timeout_ns: < 0 for no limit.
 * Returns 0, -EINVAL (NULL, bad name), -ENAMETOOLONG, -ENOTSUP, or
 * -EISCONN when @stream is open (it is left as it was).
 */
FUT_API int fut_unix_connect_init(struct fut_unix_connect *f,
                                  struct fut_unix_stream *stream,
                                  const char *name, size_t len,
                                  int64_t timeout_ns);

/**
 * struct fut_unix_dgram - a Unix datagram socket. The descriptor is io.fd
 * (-1 once closed); the rest is private. Datagrams behave as udp.h states
 * (whole, zero length allowed, truncation reported as -EMSGSIZE with
 * struct fut_dgram_info, no end of file). A sender that is bound shows its
 * name in the receiver's struct fut_dgram_info; an unbound one shows none
 * (addrlen 0 or just the family: fut_unix_sockaddr_name() gives 0).
 */
struct fut_unix_dgram {
    struct fut_io io;
    unsigned int state; /* private */
};

/** fut_unix_dgram_init - make @d a closed socket. 0 or -EINVAL. */
FUT_API int fut_unix_dgram_init(struct fut_unix_dgram *d);

/**
 * fut_unix_dgram_open - an unbound socket, for sending only (send_to, or
 * connect then send): having no name, nothing can send to it, so its
 * receives answer -ENOTCONN. Returns 0, -EINVAL or -errno.
 */
FUT_API int fut_unix_dgram_open(struct fut_unix_dgram *d);

/**
 * fut_unix_dgram_bind - a socket bound to @name (see above).
 * @flags: enum fut_unix_flags or 0. Returns as fut_unix_listener_bind().
 */
FUT_API int fut_unix_dgram_bind(struct fut_unix_dgram *d, const char *name,
                                size_t len, unsigned int flags);

/**
 * fut_unix_dgram_pair - a connected pair (socketpair(2)). Returns 0,
 * -EINVAL, or -errno; on failure both are closed sockets.
 */
FUT_API int fut_unix_dgram_pair(struct fut_unix_dgram *a,
                                struct fut_unix_dgram *b);

/**
 * fut_unix_dgram_connect - set the default peer to the bound socket @name
 * (it does not wait). Returns 0, -EINVAL, -ENAMETOOLONG, -EBADF (closed),
 * or -errno (-ENOENT, -ECONNREFUSED: nobody bound there).
 */
FUT_API int fut_unix_dgram_connect(struct fut_unix_dgram *d, const char *name,
                                   size_t len);

/** fut_unix_dgram_local_addr - the bound address. 0 or -errno. */
FUT_API int fut_unix_dgram_local_addr(const struct fut_unix_dgram *d,
                                      struct sockaddr_storage *ss,
                                      socklen_t *len);

/**
 * fut_unix_dgram_poll_send_to - send one datagram of @len bytes to @name
 * (NULL: the connected peer), waiting for room. READY with *@res = @len or
 * -errno: -EINVAL (NULL @d/@cx, NULL @buf with @len > 0, bad name),
 * -ENAMETOOLONG, -EBADF (closed), -EMSGSIZE (larger than the socket's
 * send buffer allows), -ENOENT / -ECONNREFUSED (nobody bound at @name, or
 * the connected peer is gone), -EDESTADDRREQ (no name, not connected).
 * PENDING: the receiver's queue or the send buffer is full; a clone of
 * cx->waker waits in the write slot. Cancel-safe. Runtime thread only.
 */
FUT_API enum fut_poll fut_unix_dgram_poll_send_to(struct fut_unix_dgram *d,
                                                  struct fut_context *cx,
                                                  const void *buf, size_t len,
                                                  const char *name,
                                                  size_t namelen,
                                                  ssize_t *res);

/**
 * fut_unix_dgram_poll_recv_from - receive one datagram, as
 * fut_udp_poll_recv_from() does (-EMSGSIZE on truncation, @info optional).
 * A socket that can never receive (from fut_unix_dgram_open(): neither
 * bound nor one of a pair) gives READY with -ENOTCONN.
 */
FUT_API enum fut_poll fut_unix_dgram_poll_recv_from(
    struct fut_unix_dgram *d, struct fut_context *cx, void *buf, size_t len,
    struct fut_dgram_info *info, ssize_t *res);

/** fut_unix_dgram_try_send_to - one sendto(2) without waiting: as
 * poll_send_to, plus -EAGAIN. */
FUT_API ssize_t fut_unix_dgram_try_send_to(struct fut_unix_dgram *d,
                                           const void *buf, size_t len,
                                           const char *name, size_t namelen);

/** fut_unix_dgram_try_recv_from - one recvfrom(2) without waiting: as
 * poll_recv_from, plus -EAGAIN. */
FUT_API ssize_t fut_unix_dgram_try_recv_from(struct fut_unix_dgram *d,
                                             void *buf, size_t len,
                                             struct fut_dgram_info *info);

/**
 * fut_unix_dgram_send_init - a struct fut_dgram_send (udp.h) for @d: sends
 * to @name (NULL: the connected peer). Returns 0, -EINVAL, -ENAMETOOLONG
 * or -ENOTSUP (the name is checked and copied here).
 */
FUT_API int fut_unix_dgram_send_init(struct fut_dgram_send *f,
                                     struct fut_unix_dgram *d,
                                     const void *buf, size_t len,
                                     const char *name, size_t namelen);

/** fut_unix_dgram_recv_init - a struct fut_dgram_recv (udp.h) for @d.
 * Returns 0, -EINVAL, or -ENOTCONN (a socket that cannot receive). */
FUT_API int fut_unix_dgram_recv_init(struct fut_dgram_recv *f,
                                     struct fut_unix_dgram *d, void *buf,
                                     size_t len, struct fut_dgram_info *info);

/** fut_unix_dgram_close - deregister and close (a bound path's file stays).
 * 0, -EINVAL or -EBADF. */
FUT_API int fut_unix_dgram_close(struct fut_unix_dgram *d);

FUT__END_DECLS

#endif /* FUTURES_UNIX_H */
