/* SPDX-License-Identifier: MIT */
/* libuv API shim (compat/uvapi): the udp part of uv.h. Included by uv.h only. */
#ifndef UV_FUT_UDP_H
#define UV_FUT_UDP_H

/*
 * UDP handles, as libuv 1.44 on Linux. A handle is active while it
 * receives or has sends queued. Sends are attempted at once, in order; a
 * send that completes at once has its callback run in the next loop
 * iteration (the "pending" phase), never from uv_udp_send(). Loop thread
 * only.
 */

/* Flags of uv_udp_bind(), uv_udp_init_ex() and of a receive callback. */
enum uv_udp_flags {
  /* bind: IPv6 only (no dual stack) */
  UV_UDP_IPV6ONLY = 1,
  /* recv_cb: the datagram was larger than the buffer and was truncated */
  UV_UDP_PARTIAL = 2,
  /* bind: SO_REUSEADDR */
  UV_UDP_REUSEADDR = 4,
  /* recv_cb: part of a recvmmsg batch (never set here: see uv_udp_using_recvmmsg) */
  UV_UDP_MMSG_CHUNK = 8,
  /* recv_cb: the batch buffer may be freed (never set here) */
  UV_UDP_MMSG_FREE = 16,
  /* bind: IP_RECVERR / IPV6_RECVERR */
  UV_UDP_LINUX_RECVERR = 32,
  /* uv_udp_init_ex: ask for recvmmsg (accepted; plain recvmsg is used) */
  UV_UDP_RECVMMSG = 256
};

typedef void (*uv_udp_send_cb)(uv_udp_send_t *req, int status);
typedef void (*uv_udp_recv_cb)(uv_udp_t *handle, ssize_t nread,
                               const uv_buf_t *buf,
                               const struct sockaddr *addr, unsigned flags);

/*
 * struct uv_udp_s - a UDP socket. @send_queue_size (bytes) and
 * @send_queue_count (requests) count the sends whose callbacks have not
 * run yet; they may be read. The rest is private.
 */
struct uv_udp_s {
  UV_HANDLE_FIELDS
  size_t send_queue_size;
  size_t send_queue_count;
  /* private */
  uv_alloc_cb alloc_cb_;
  uv_udp_recv_cb recv_cb_;
  struct fut_io io_;
  struct fut_kit_ev ev_;            /* readiness of io_ */
  struct fut_kit_ev done_ev_;       /* completed sends, next pending phase */
  struct fut_kit_queue write_queue_;     /* not yet sent */
  struct fut_kit_queue write_completed_; /* sent or failed, callback due */
};

/*
 * struct uv_udp_send_s - a send request. @handle and @cb may be read. The
 * buffers' memory must stay valid until the callback; the uv_buf_t array
 * itself is copied.
 */
struct uv_udp_send_s {
  UV_REQ_FIELDS
  uv_udp_t *handle;
  uv_udp_send_cb cb;
  /* private */
  struct fut_kit_queue queue_;
  struct sockaddr_storage addr_;
  socklen_t addrlen_;
  unsigned int nbufs_;
  uv_buf_t *bufs_;
  uv_buf_t bufsml_[4];
  ssize_t status_;
};

/**
 * uv_udp_init - initialise @handle; the socket is created when it is
 * first bound, connected or used (an IPv4 one then, unless bound to an
 * IPv6 address). Returns 0 or UV_EINVAL (NULL).
 */
UV_EXTERN int uv_udp_init(uv_loop_t *loop, uv_udp_t *handle);

/**
 * uv_udp_init_ex - as uv_udp_init(); the low 8 bits of @flags are a
 * family: AF_INET or AF_INET6 create the socket now, AF_UNSPEC as
 * uv_udp_init(). UV_UDP_RECVMMSG is accepted (and has no effect). Returns
 * 0, UV_EINVAL (another family or flag) or the socket(2) error.
 */
UV_EXTERN int uv_udp_init_ex(uv_loop_t *loop, uv_udp_t *handle, unsigned int flags);

/**
 * uv_udp_open - use the existing datagram socket @sock (made nonblocking;
 * SO_REUSEADDR set; a connected one is seen as connected). The handle
 * owns it from then on. Returns 0, UV_EBUSY (the handle has a socket),
 * UV_EEXIST (another handle of the loop has it) or a UV_E* code.
 */
UV_EXTERN int uv_udp_open(uv_udp_t *handle, uv_os_sock_t sock);

/**
 * uv_udp_bind - bind to @addr (AF_INET or AF_INET6) with @flags
 * UV_UDP_IPV6ONLY (AF_INET6 only), UV_UDP_REUSEADDR,
 * UV_UDP_LINUX_RECVERR. Returns 0, UV_EINVAL (bad family or flags, bound
 * already), or bind(2)'s error (UV_EADDRINUSE...).
 */
UV_EXTERN int uv_udp_bind(uv_udp_t *handle, const struct sockaddr *addr, unsigned int flags);

/**
 * uv_udp_connect - associate the handle with the peer @addr (sends then
 * take no address and only that peer's datagrams are received); NULL
 * @addr disconnects. An unbound handle is bound to the wildcard address
 * first. Returns 0, UV_EISCONN (connected already), UV_ENOTCONN
 * (disconnecting a handle that is not connected), UV_EINVAL (bad family)
 * or connect(2)'s error.
 */
UV_EXTERN int uv_udp_connect(uv_udp_t *handle, const struct sockaddr *addr);

/**
 * uv_udp_getpeername - the connected peer's address into @name (*@namelen
 * in: its size; out: the length). Returns 0, UV_ENOTCONN, UV_EBADF (no
 * socket) or a UV_E* code.
 */
UV_EXTERN int uv_udp_getpeername(const uv_udp_t *handle, struct sockaddr *name, int *namelen);

/** uv_udp_getsockname - the local address, as uv_udp_getpeername(). */
UV_EXTERN int uv_udp_getsockname(const uv_udp_t *handle, struct sockaddr *name, int *namelen);

/**
 * uv_udp_set_membership - join or leave (@membership) the multicast group
 * @multicast_addr (an IPv4 or IPv6 address string) on the interface
 * @interface_addr (NULL: the system's choice). An unbound handle is bound
 * first (wildcard, SO_REUSEADDR). Returns 0, UV_EINVAL (bad address or
 * membership) or setsockopt(2)'s error.
 */
UV_EXTERN int uv_udp_set_membership(uv_udp_t *handle, const char *multicast_addr, const char *interface_addr, uv_membership membership);

/**
 * uv_udp_set_source_membership - as uv_udp_set_membership(), for the
 * source-specific group (@multicast_addr, @source_addr). Returns 0,
 * UV_EINVAL or setsockopt(2)'s error.
 */
UV_EXTERN int uv_udp_set_source_membership(uv_udp_t *handle, const char *multicast_addr, const char *interface_addr, const char *source_addr, uv_membership membership);

/** uv_udp_set_multicast_loop - loop multicast sends back (@on 0/1). 0, UV_EINVAL (not 0..255), UV_EBADF (no socket) or a UV_E* code. */
UV_EXTERN int uv_udp_set_multicast_loop(uv_udp_t *handle, int on);

/** uv_udp_set_multicast_ttl - multicast TTL / hop limit (0..255, else UV_EINVAL). UV_EBADF without a socket. */
UV_EXTERN int uv_udp_set_multicast_ttl(uv_udp_t *handle, int ttl);

/**
 * uv_udp_set_multicast_interface - the interface multicast is sent from:
 * an IPv4 address, an IPv6 address with a %scope, or NULL (the default).
 * Returns 0, UV_EINVAL (unparsable) or setsockopt(2)'s error.
 */
UV_EXTERN int uv_udp_set_multicast_interface(uv_udp_t *handle, const char *interface_addr);

/** uv_udp_set_broadcast - SO_BROADCAST on (@on nonzero) or off. 0 or a UV_E* code (UV_EBADF without a socket). */
UV_EXTERN int uv_udp_set_broadcast(uv_udp_t *handle, int on);

/** uv_udp_set_ttl - unicast TTL / hop limit, 1..255 (else UV_EINVAL). 0 or a UV_E* code. */
UV_EXTERN int uv_udp_set_ttl(uv_udp_t *handle, int ttl);

/**
 * uv_udp_send - send the datagram made of @bufs (@nbufs >= 1) to @addr
 * (NULL on a connected handle). Requests are sent in order; @send_cb (may
 * be NULL) gets 0 or a UV_E* code, UV_ECANCELED if the handle is closed
 * first. An unbound handle is bound to the wildcard address first.
 * Returns 0, or (no callback then) UV_EISCONN (@addr on a connected
 * handle), UV_EDESTADDRREQ (no @addr, not connected), UV_EINVAL (bad
 * family, no buffers, NULL), UV_EBADF (closing), UV_ENOMEM, or the bind
 * error.
 */
UV_EXTERN int uv_udp_send(uv_udp_send_t *req, uv_udp_t *handle, const uv_buf_t bufs[], unsigned int nbufs, const struct sockaddr *addr, uv_udp_send_cb send_cb);

/**
 * uv_udp_try_send - send at once or not at all: the number of bytes sent,
 * UV_EAGAIN (sends are queued, or the socket would block), or the errors
 * of uv_udp_send(), or sendmsg(2)'s.
 */
UV_EXTERN int uv_udp_try_send(uv_udp_t *handle, const uv_buf_t bufs[], unsigned int nbufs, const struct sockaddr *addr);

/**
 * uv_udp_recv_start - receive datagrams: for each, @alloc_cb (64 KiB
 * suggested) then @recv_cb(handle, nread, buf, addr, flags) with the
 * sender's @addr and UV_UDP_PARTIAL if it was truncated; nread < 0 is an
 * error; nread == 0 with @addr NULL says there is nothing more to read
 * for now (the buffer is handed back); an empty buffer from @alloc_cb
 * gives UV_ENOBUFS. An unbound handle is bound to 0.0.0.0:0 first.
 * Returns 0, UV_EINVAL (NULL callbacks, closing), UV_EALREADY
 * (receiving), or the bind error.
 */
UV_EXTERN int uv_udp_recv_start(uv_udp_t *handle, uv_alloc_cb alloc_cb, uv_udp_recv_cb recv_cb);

/** uv_udp_recv_stop - stop receiving (no more callbacks). Returns 0. */
UV_EXTERN int uv_udp_recv_stop(uv_udp_t *handle);

/** uv_udp_using_recvmmsg - 0: datagrams are received one recvmsg(2) at a time. */
UV_EXTERN int uv_udp_using_recvmmsg(const uv_udp_t *handle);

/** uv_udp_get_send_queue_size - @send_queue_size. */
UV_EXTERN size_t uv_udp_get_send_queue_size(const uv_udp_t *handle);
/** uv_udp_get_send_queue_count - @send_queue_count. */
UV_EXTERN size_t uv_udp_get_send_queue_count(const uv_udp_t *handle);

#endif /* UV_FUT_UDP_H */
