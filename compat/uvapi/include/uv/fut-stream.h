/* SPDX-License-Identifier: MIT */
/* libuv API shim (compat/uvapi): the stream part of uv.h. Included by uv.h only. */
#ifndef UV_FUT_STREAM_H
#define UV_FUT_STREAM_H


/* The fields every stream has: @write_queue_size (bytes queued, not yet
 * written) may be read; the rest is private. */
#define UV_STREAM_FIELDS \
  size_t write_queue_size; \
  uv_alloc_cb alloc_cb; \
  uv_read_cb read_cb;

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
};

struct uv_tty_s {
  UV_HANDLE_FIELDS
  UV_STREAM_FIELDS
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
  struct uv__ev ev_;
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

struct uv_write_s {
  UV_REQ_FIELDS
  uv_write_cb cb;
  uv_stream_t *send_handle;
  uv_stream_t *handle;
};

struct uv_connect_s {
  UV_REQ_FIELDS
  uv_connect_cb cb;
  uv_stream_t *handle;
};

struct uv_shutdown_s {
  UV_REQ_FIELDS
  uv_stream_t *handle;
  uv_shutdown_cb cb;
};

#endif /* UV_FUT_STREAM_H */
