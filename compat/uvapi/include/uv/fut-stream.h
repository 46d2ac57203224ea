/* SPDX-License-Identifier: MIT */
/* libuv API shim (compat/uvapi): the stream part of uv.h. Included by uv.h only. */
#ifndef UV_FUT_STREAM_H
#define UV_FUT_STREAM_H

#include <termios.h>

/*
 * Streams: TCP, pipes (Unix domain sockets, or any descriptor given to
 * uv_pipe_open()) and TTYs. Each one keeps a struct fut_io for its
 * descriptor and three loop events: read readiness (reads, accepts), write
 * readiness (writes, connect) and completions (write and shutdown
 * callbacks, run in the loop's pending phase as libuv does). Nothing is
 * allocated per read or write (a write of more than four buffers copies
 * its array, as libuv does).
 *
 * A stream is active (uv_is_active) while it reads or listens; requests in
 * flight (connect, write, shutdown) keep the loop alive on their own.
 * Everything here is for the loop's thread only.
 */

/* The fields every stream has: @write_queue_size (bytes queued, not yet
 * written) may be read; the rest is private. */
#define UV_STREAM_FIELDS \
  size_t write_queue_size; \
  uv_alloc_cb alloc_cb; \
  uv_read_cb read_cb; \
  /* private */ \
  struct fut_io io_; \
  struct fut_kit_ev rev_; \
  struct fut_kit_ev wev_; \
  struct fut_kit_ev cev_; \
  uv_connection_cb connection_cb_; \
  uv_connect_t *connect_req_; \
  uv_shutdown_t *shutdown_req_; \
  struct fut_kit_queue write_queue_; \
  struct fut_kit_queue write_completed_queue_; \
  int accepted_fd_; \
  int delayed_error_; \
  int io_error_; \
  int *queued_fds_; \
  unsigned int queued_fds_count_; \
  unsigned int queued_fds_cap_;

struct uv_stream_s {
  UV_HANDLE_FIELDS
  UV_STREAM_FIELDS
};

struct uv_tcp_s {
  UV_HANDLE_FIELDS
  UV_STREAM_FIELDS
};

struct uv_pipe_s {
  UV_HANDLE_FIELDS
  UV_STREAM_FIELDS
  int ipc; /* non-zero if this pipe is used for passing handles */
  const char *pipe_fname_; /* private: the bound path, unlinked on close */
};

struct uv_tty_s {
  UV_HANDLE_FIELDS
  UV_STREAM_FIELDS
  struct termios orig_termios_; /* private */
  int mode_;                    /* private */
};

/*
 * Poll handles: watch a descriptor the program owns (a socket, pipe, TTY,
 * eventfd...; not a regular file or directory) and be told when it is
 * readable or writable. Level-triggered, as libuv on Linux: while the
 * descriptor stays readable (the callback did not drain it) the callback
 * runs again in every iteration. Loop thread only.
 */
enum uv_poll_event {
  UV_READABLE = 1,
  UV_WRITABLE = 2,
  UV_DISCONNECT = 4,  /* the peer shut down its side (POLLRDHUP) */
  UV_PRIORITIZED = 8  /* not supported: uv_poll_start() says UV_ENOTSUP */
};

/* struct uv_poll_s - a poll handle. @poll_cb may be read; the rest is private. */
struct uv_poll_s {
  UV_HANDLE_FIELDS
  uv_poll_cb poll_cb;
  /* private */
  struct fut_io io_;
  struct fut_kit_ev ev_;
  int events_;
};

/**
 * uv_poll_init - watch descriptor @fd (made nonblocking; it stays the
 * program's: uv_close() does not close it, and it must stay open until
 * the handle is closed or stopped). Returns 0, UV_EINVAL (NULL), UV_EBADF
 * (not open), UV_EPERM (a regular file or directory, which cannot be
 * polled), UV_EEXIST (another poll or UDP handle of the loop has @fd).
 */
UV_EXTERN int uv_poll_init(uv_loop_t *loop, uv_poll_t *handle, int fd);

/** uv_poll_init_socket - uv_poll_init() for a socket. */
UV_EXTERN int uv_poll_init_socket(uv_loop_t *loop, uv_poll_t *handle, uv_os_sock_t sock);

/**
 * uv_poll_start - call @poll_cb(handle, status, events) when @fd is ready
 * for one of @events (UV_READABLE, UV_WRITABLE, UV_DISCONNECT), with the
 * ready ones in @events and status 0; or with status UV_EBADF and events
 * 0 when the descriptor has an error condition (POLLERR) or was closed
 * (the handle is stopped then). Starting again replaces the events and
 * callback; @events 0 stops. The first callback comes from the loop, never
 * from here. Returns 0, UV_EINVAL (NULL, closing, unknown bits),
 * UV_ENOTSUP (UV_PRIORITIZED).
 */
UV_EXTERN int uv_poll_start(uv_poll_t *handle, int events, uv_poll_cb poll_cb);

/** uv_poll_stop - stop watching (no more callbacks). Returns 0. */
UV_EXTERN int uv_poll_stop(uv_poll_t *handle);

/* struct uv_write_s - a write request. @handle, @send_handle and @cb are
 * set by uv_write(); the rest is private. */
struct uv_write_s {
  UV_REQ_FIELDS
  uv_write_cb cb;
  uv_stream_t *send_handle;
  uv_stream_t *handle;
  struct fut_kit_queue queue_;
  unsigned int write_index_;
  unsigned int nbufs_;
  uv_buf_t *bufs_;
  int error_;
  uv_buf_t bufsml_[4];
};

/* struct uv_connect_s - a connect request: @handle and @cb are set by the
 * connect call. */
struct uv_connect_s {
  UV_REQ_FIELDS
  uv_connect_cb cb;
  uv_stream_t *handle;
};

/* struct uv_shutdown_s - a shutdown request: @handle and @cb are set by
 * uv_shutdown(). */
struct uv_shutdown_s {
  UV_REQ_FIELDS
  uv_stream_t *handle;
  uv_shutdown_cb cb;
};

/* ---- streams --------------------------------------------------------- */

/**
 * uv_listen - accept connections on a bound TCP handle or pipe; @cb runs
 * (poll phase) once per connection that waits for uv_accept(), with status
 * 0, or with an error (UV_EMFILE: out of descriptors; the connections
 * waiting then are accepted and closed at once so that the loop does not
 * spin, as libuv does). Until uv_accept() takes the connection no other
 * is accepted. Returns 0, UV_EINVAL (not a TCP handle or pipe, no
 * descriptor, an IPC pipe, closing), UV_EADDRINUSE (delayed from
 * uv_tcp_bind()), or listen(2)'s error. The handle becomes active.
 */
UV_EXTERN int uv_listen(uv_stream_t *stream, int backlog, uv_connection_cb cb);

/**
 * uv_accept - take the connection the connection callback announced into
 * @client (an initialised TCP handle or pipe without a descriptor); on an
 * IPC pipe, take the next received handle (see uv_pipe_pending_type()).
 * A received UDP socket is taken into an initialised uv_udp_t (cast to
 * uv_stream_t *, as with libuv). Returns 0, UV_EAGAIN (nothing to
 * accept), UV_EBUSY (@client has a descriptor: the connection stays
 * pending, where libuv drops it), UV_EINVAL (@client is not a TCP, pipe or
 * UDP handle). Call it from the connection (or read) callback or later.
 */
UV_EXTERN int uv_accept(uv_stream_t *server, uv_stream_t *client);

/**
 * uv_read_start - read from @stream: for each read, @alloc_cb is asked for
 * a buffer (suggested 65536 bytes), then @read_cb gets the byte count, or
 * 0 (nothing to read now: hand the buffer back), UV_EOF (end of stream;
 * reading stops), UV_ENOBUFS (@alloc_cb gave a NULL or empty buffer), or
 * another UV_E* code (reading stops; close the stream). At most 32 reads
 * per readiness. The stream becomes active. Returns 0, UV_EINVAL (NULL
 * argument, closing), UV_EALREADY (reading already), UV_ENOTCONN (not
 * readable).
 */
UV_EXTERN int uv_read_start(uv_stream_t *stream, uv_alloc_cb alloc_cb,
                            uv_read_cb read_cb);

/** uv_read_stop - stop reading (idempotent): no more read callbacks. Returns 0. */
UV_EXTERN int uv_read_stop(uv_stream_t *stream);

/**
 * uv_write - write @bufs (@nbufs > 0; the buffers must stay valid until
 * @cb) after the writes queued before it. The write is tried at once when
 * nothing is queued; what the kernel does not take waits for the
 * descriptor to become writable. @cb (may be NULL) runs in the next
 * iteration's pending phase, never from uv_write() itself, in queue order,
 * with 0, a UV_E* code (UV_EPIPE, UV_ECONNRESET...), or UV_ECANCELED when
 * the stream is closed first. @stream->write_queue_size counts the bytes
 * not yet written. Returns 0, UV_EINVAL (NULL, @nbufs 0), UV_EBADF (no
 * descriptor), UV_EPIPE (not writable: shut down, read-only), UV_ENOMEM.
 */
UV_EXTERN int uv_write(uv_write_t *req, uv_stream_t *handle,
                       const uv_buf_t bufs[], unsigned int nbufs,
                       uv_write_cb cb);

/**
 * uv_write2 - uv_write(), and send @send_handle's descriptor (a TCP
 * handle or pipe) along with the first bytes, over an IPC pipe. Returns
 * as uv_write(), and UV_EINVAL when @send_handle is given on a stream that
 * is not an IPC pipe, UV_EBADF when @send_handle has no descriptor.
 */
UV_EXTERN int uv_write2(uv_write_t *req, uv_stream_t *handle,
                        const uv_buf_t bufs[], unsigned int nbufs,
                        uv_stream_t *send_handle, uv_write_cb cb);

/**
 * uv_try_write - write what the kernel takes now, without queuing. Returns
 * the byte count (> 0), UV_EAGAIN (nothing could be written, writes are
 * queued, or a connect is in progress), or a UV_E* code as uv_write().
 */
UV_EXTERN int uv_try_write(uv_stream_t *handle, const uv_buf_t bufs[],
                           unsigned int nbufs);

/** uv_try_write2 - uv_try_write() with a handle to send, as uv_write2(). */
UV_EXTERN int uv_try_write2(uv_stream_t *handle, const uv_buf_t bufs[],
                            unsigned int nbufs, uv_stream_t *send_handle);

/**
 * uv_shutdown - shut down the sending side once the queued writes are
 * written; @cb (may be NULL; next iteration at the earliest) gets 0, an
 * error, or UV_ECANCELED when the stream is closed first. The stream is
 * not writable from this call on. Returns 0, or UV_ENOTCONN (not writable,
 * shut down or shutting down already, closing), UV_EINVAL (NULL).
 */
UV_EXTERN int uv_shutdown(uv_shutdown_t *req, uv_stream_t *handle,
                          uv_shutdown_cb cb);

/** uv_is_readable, uv_is_writable - nonzero when the stream can be read / written. */
UV_EXTERN int uv_is_readable(const uv_stream_t *handle);
UV_EXTERN int uv_is_writable(const uv_stream_t *handle);

/**
 * uv_stream_set_blocking - make writes blocking (@blocking nonzero): each
 * write then completes before uv_write() returns (its callback is still
 * deferred). Meant for TTYs and pipes. Returns 0 or the fcntl(2) error
 * (UV_EBADF without a descriptor).
 */
UV_EXTERN int uv_stream_set_blocking(uv_stream_t *handle, int blocking);

/** uv_stream_get_write_queue_size - @stream->write_queue_size. */
UV_EXTERN size_t uv_stream_get_write_queue_size(const uv_stream_t *stream);

/* ---- TCP --------------------------------------------------------------- */

/* uv_tcp_bind() flag: the IPv6 socket accepts no IPv4-mapped connection. */
enum uv_tcp_flags {
  UV_TCP_IPV6ONLY = 1
};

/** uv_tcp_init - initialise a TCP handle; the socket is made on bind, connect or open. Returns 0. */
UV_EXTERN int uv_tcp_init(uv_loop_t *loop, uv_tcp_t *handle);

/**
 * uv_tcp_init_ex - as uv_tcp_init(); the low 8 bits of @flags are a
 * domain (AF_INET, AF_INET6: the socket is made now; AF_UNSPEC: later).
 * Returns 0, UV_EINVAL (another domain, other bits set), or socket(2)'s
 * error (the handle is then not initialised).
 */
UV_EXTERN int uv_tcp_init_ex(uv_loop_t *loop, uv_tcp_t *handle, unsigned int flags);

/**
 * uv_tcp_open - use the existing socket @sock (made nonblocking; owned by
 * the handle from now on). Returns 0, UV_EBUSY (the handle has a socket),
 * or fcntl(2)'s error.
 */
UV_EXTERN int uv_tcp_open(uv_tcp_t *handle, uv_os_sock_t sock);

/** uv_tcp_nodelay - set TCP_NODELAY (kept for a socket made later). Returns 0 or setsockopt(2)'s error. */
UV_EXTERN int uv_tcp_nodelay(uv_tcp_t *handle, int enable);

/**
 * uv_tcp_keepalive - set SO_KEEPALIVE and, when enabling, the idle time
 * @delay in seconds (TCP_KEEPIDLE). Kept for a socket made later. Returns
 * 0 or setsockopt(2)'s error.
 */
UV_EXTERN int uv_tcp_keepalive(uv_tcp_t *handle, int enable, unsigned int delay);

/**
 * uv_tcp_simultaneous_accepts - on Unix, whether the listener accepts
 * connections back to back (enabled, the default) or yields the CPU after
 * each one. Returns 0.
 */
UV_EXTERN int uv_tcp_simultaneous_accepts(uv_tcp_t *handle, int enable);

/**
 * uv_tcp_bind - bind to @addr (AF_INET or AF_INET6; the socket is made if
 * needed) with SO_REUSEADDR; @flags UV_TCP_IPV6ONLY (IPv6 only). An
 * address in use is reported by uv_listen() or the connect callback, as
 * libuv does. Returns 0, UV_EINVAL (bad family or flags), or bind(2)'s
 * error (UV_EADDRNOTAVAIL, UV_EACCES...).
 */
UV_EXTERN int uv_tcp_bind(uv_tcp_t *handle, const struct sockaddr *addr, unsigned int flags);

/** uv_tcp_getsockname - the local address. Returns 0, UV_EBADF (no socket), or getsockname(2)'s error. */
UV_EXTERN int uv_tcp_getsockname(const uv_tcp_t *handle, struct sockaddr *name, int *namelen);

/** uv_tcp_getpeername - the peer's address. Returns 0, UV_ENOTCONN, UV_EBADF, or getpeername(2)'s error. */
UV_EXTERN int uv_tcp_getpeername(const uv_tcp_t *handle, struct sockaddr *name, int *namelen);

/**
 * uv_tcp_close_reset - close the handle with a TCP RST to the peer
 * (SO_LINGER 0), then as uv_close(). Returns 0, UV_EINVAL (shutting down),
 * or setsockopt(2)'s error.
 */
UV_EXTERN int uv_tcp_close_reset(uv_tcp_t *handle, uv_close_cb close_cb);

/**
 * uv_tcp_connect - connect to @addr (AF_INET or AF_INET6; the socket is
 * made if needed); @cb (poll phase at the earliest) gets 0, an error
 * (UV_ECONNREFUSED, UV_EADDRINUSE from uv_tcp_bind(), ...) or UV_ECANCELED
 * when the handle is closed first. Returns 0, UV_EINVAL (bad family, not a
 * TCP handle), UV_EALREADY (a connect is in progress), or connect(2)'s
 * error (UV_EISCONN, ...).
 */
UV_EXTERN int uv_tcp_connect(uv_connect_t *req, uv_tcp_t *handle,
                             const struct sockaddr *addr, uv_connect_cb cb);

/**
 * uv_socketpair - a pair of connected AF_UNIX sockets of @type
 * (SOCK_STREAM, SOCK_DGRAM) in @socket_vector, close-on-exec; @flags0 and
 * @flags1 may hold UV_NONBLOCK_PIPE (0x40) to make that end nonblocking.
 * Returns 0 or socketpair(2)'s error.
 */
UV_EXTERN int uv_socketpair(int type, int protocol, uv_os_sock_t socket_vector[2],
                            int flags0, int flags1);

/* ---- pipes ------------------------------------------------------------- */

/**
 * uv_pipe_init - initialise a pipe handle; @ipc nonzero: it passes
 * handles (uv_write2(), uv_accept()). Returns 0.
 */
UV_EXTERN int uv_pipe_init(uv_loop_t *loop, uv_pipe_t *handle, int ipc);

/**
 * uv_pipe_open - use the existing descriptor @file (a pipe, a Unix socket;
 * made nonblocking; owned by the handle from now on). Readable and
 * writable as its access mode says. Returns 0, UV_EBUSY (the handle has
 * one), or fcntl(2)'s error.
 */
UV_EXTERN int uv_pipe_open(uv_pipe_t *handle, uv_file file);

/**
 * uv_pipe_bind - bind to the Unix socket path @name (libuv 1.44 truncates
 * a name longer than sun_path, and so does this). The file is unlinked
 * when the handle closes. Returns 0, UV_EINVAL (bound already, NULL),
 * UV_EADDRINUSE, UV_EACCES (UV_ENOENT is reported as UV_EACCES, as libuv).
 */
UV_EXTERN int uv_pipe_bind(uv_pipe_t *handle, const char *name);

/**
 * uv_pipe_connect - connect to the Unix socket path @name (truncated as in
 * uv_pipe_bind()); @cb (never from this call) gets 0, an error
 * (UV_ENOENT, UV_ECONNREFUSED...) or UV_ECANCELED when the handle is
 * closed first.
 */
UV_EXTERN void uv_pipe_connect(uv_connect_t *req, uv_pipe_t *handle,
                               const char *name, uv_connect_cb cb);

/**
 * uv_pipe_getsockname, uv_pipe_getpeername - the bound / peer's path in
 * @buffer, NUL-terminated, *@size set to its length (without the NUL);
 * 0 with *@size 0 when there is none. Returns 0, UV_ENOBUFS (too small:
 * *@size is set to the space needed), UV_EBADF, or the syscall's error
 * (UV_ENOTCONN).
 */
UV_EXTERN int uv_pipe_getsockname(const uv_pipe_t *handle, char *buffer, size_t *size);
UV_EXTERN int uv_pipe_getpeername(const uv_pipe_t *handle, char *buffer, size_t *size);

/** uv_pipe_pending_instances - Windows only: does nothing on Unix. */
UV_EXTERN void uv_pipe_pending_instances(uv_pipe_t *handle, int count);

/** uv_pipe_pending_count - received handles waiting for uv_accept() on an IPC pipe (0 otherwise). */
UV_EXTERN int uv_pipe_pending_count(uv_pipe_t *handle);

/**
 * uv_pipe_pending_type - the type of the next received handle (UV_TCP,
 * UV_NAMED_PIPE, UV_UDP), UV_UNKNOWN_HANDLE when none: initialise a
 * handle of that type and uv_accept() it.
 */
UV_EXTERN uv_handle_type uv_pipe_pending_type(uv_pipe_t *handle);

/**
 * uv_pipe_chmod - make the bound socket file readable (@flags UV_READABLE,
 * 1) and/or writable (UV_WRITABLE, 2) by everyone. Returns 0, UV_EINVAL
 * (other flags), UV_EBADF (not bound), or the syscall's error.
 */
UV_EXTERN int uv_pipe_chmod(uv_pipe_t *handle, int flags);

/**
 * uv_pipe - a pipe(2): @fds[0] the read end, @fds[1] the write end,
 * close-on-exec; UV_NONBLOCK_PIPE (0x40) in @read_flags / @write_flags
 * makes that end nonblocking. Returns 0 or pipe(2)'s error.
 */
UV_EXTERN int uv_pipe(uv_file fds[2], int read_flags, int write_flags);

/* ---- TTY --------------------------------------------------------------- */

typedef enum {
  UV_TTY_MODE_NORMAL, /* the mode the terminal had at the first uv_tty_set_mode() */
  UV_TTY_MODE_RAW,    /* raw input (cfmakeraw-like, output processing kept) */
  UV_TTY_MODE_IO      /* binary-safe I/O (for IPC over a pty) */
} uv_tty_mode_t;

/* Windows-only; declared for source compatibility of the enum. */
typedef enum {
  UV_TTY_SUPPORTED,
  UV_TTY_UNSUPPORTED
} uv_tty_vtermstate_t;

/**
 * uv_tty_init - a stream on terminal @fd (@readable is ignored, as libuv
 * on Unix: the access mode decides). A pty slave or terminal is reopened
 * (through its name) so that making it nonblocking does not affect other
 * processes sharing it, as libuv does; if that fails, writes block.
 * Returns 0, UV_EINVAL (@fd is a file or unknown), or the error of
 * reopening.
 */
UV_EXTERN int uv_tty_init(uv_loop_t *loop, uv_tty_t *tty, uv_file fd, int readable);

/**
 * uv_tty_set_mode - set the terminal's mode; the mode it had first is
 * saved (process-wide, for uv_tty_reset_mode()). Returns 0, UV_EINVAL
 * (bad mode), or the termios error (UV_ENOTTY...).
 */
UV_EXTERN int uv_tty_set_mode(uv_tty_t *handle, uv_tty_mode_t mode);

/**
 * uv_tty_reset_mode - restore the saved original mode of the terminal
 * whose mode was changed (for exit paths; async-signal-safe). Returns 0
 * or UV_EBUSY (another thread is changing a mode).
 */
UV_EXTERN int uv_tty_reset_mode(void);

/** uv_tty_get_winsize - the window size. Returns 0 or ioctl(2)'s error. */
UV_EXTERN int uv_tty_get_winsize(uv_tty_t *handle, int *width, int *height);

/** uv_tty_set_vterm_state - Windows only: does nothing on Unix, as libuv. */
UV_EXTERN void uv_tty_set_vterm_state(uv_tty_vtermstate_t state);

/** uv_tty_get_vterm_state - Windows only: UV_ENOTSUP on Unix, as libuv. */
UV_EXTERN int uv_tty_get_vterm_state(uv_tty_vtermstate_t *state);

#endif /* UV_FUT_STREAM_H */
