/* SPDX-License-Identifier: MIT */
/* compat/uvapi: what stream.c, tcp.c, pipe.c and tty.c share. Not installed. */
#ifndef FUT_UVAPI_STREAM_INTERNAL_H
#define FUT_UVAPI_STREAM_INTERNAL_H

#include "internal.h"

/* Stream-private handle flags (the areas' free bits). */
enum {
  UV_HANDLE_STREAM_SOCKET = 1u << 25, /* a TCP socket: a short read drains it */
  UV_HANDLE_TCP_SINGLE_ACCEPT = 1u << 26,
  UV_HANDLE_IPV6 = 1u << 27
};

/* Set up @s's common stream fields and link it into @loop (no descriptor). */
void uv__stream_init(uv_loop_t *loop, uv_stream_t *s, uv_handle_type type);
/* O_NONBLOCK on (@set) or off; 0 or a UV_E* code. */
int uv__nonblock(int fd, int set);
/* The per-type parts of uv_listen(). */
int uv__tcp_listen(uv_tcp_t *tcp, int backlog);
int uv__pipe_listen(uv_pipe_t *pipe, int backlog);
/* Start a connect on @s whose socket connect(2) was called on: @err is
 * 0 (in progress) or a delayed error to report through @cb. */
void uv__stream_connect_start(uv_stream_t *s, uv_connect_t *req, int err,
                              uv_connect_cb cb);
/* The pipe's part of uv_close(): unlink the bound path. */
void uv__pipe_close(uv_pipe_t *pipe);

#endif
