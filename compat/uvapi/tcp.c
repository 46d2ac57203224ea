/* SPDX-License-Identifier: MIT */
/* compat/uvapi: TCP handles (libuv 1.44's behaviour on Linux). */
#include "stream-internal.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

static int
tcp_new_socket(uv_tcp_t *tcp, int domain, unsigned int flags)
{
  int fd, err;

  fd = socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return UV__ERR(errno);
  err = uv__stream_open((uv_stream_t *)tcp, fd, flags);
  if (err != 0) {
    close(fd);
    return err;
  }
  return 0;
}

/* Make the socket of @domain unless there is one (AF_UNSPEC: only keep @flags). */
static int
tcp_maybe_new_socket(uv_tcp_t *tcp, int domain, unsigned int flags)
{
  if (domain == AF_UNSPEC || tcp->u.fd != -1) {
    tcp->flags |= flags;
    return 0;
  }
  return tcp_new_socket(tcp, domain, flags);
}

int
uv_tcp_init_ex(uv_loop_t *loop, uv_tcp_t *tcp, unsigned int flags)
{
  int domain = (int)(flags & 0xFF), err;

  if (loop == NULL || tcp == NULL)
    return UV_EINVAL;
  if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNSPEC)
    return UV_EINVAL;
  if (flags & ~0xFFu)
    return UV_EINVAL;
  uv__stream_init(loop, (uv_stream_t *)tcp, UV_TCP);
  if (domain != AF_UNSPEC) {
    err = tcp_new_socket(tcp, domain, 0);
    if (err != 0) {
      fut_kit_queue_remove(&tcp->handle_queue);
      return err;
    }
  }
  return 0;
}

int
uv_tcp_init(uv_loop_t *loop, uv_tcp_t *tcp)
{
  return uv_tcp_init_ex(loop, tcp, AF_UNSPEC);
}

int
uv_tcp_open(uv_tcp_t *tcp, uv_os_sock_t sock)
{
  if (tcp == NULL || sock < 0)
    return UV_EINVAL;
  if (tcp->u.fd != -1)
    return UV_EBUSY;
  return uv__stream_open((uv_stream_t *)tcp, sock,
                         UV_HANDLE_READABLE | UV_HANDLE_WRITABLE);
}

static int
addr_len(const struct sockaddr *addr, socklen_t *len)
{
  if (addr == NULL)
    return UV_EINVAL;
  if (addr->sa_family == AF_INET)
    *len = sizeof(struct sockaddr_in);
  else if (addr->sa_family == AF_INET6)
    *len = sizeof(struct sockaddr_in6);
  else
    return UV_EINVAL;
  return 0;
}

int
uv_tcp_bind(uv_tcp_t *tcp, const struct sockaddr *addr, unsigned int flags)
{
  socklen_t len;
  int err, on = 1;

  if (tcp == NULL || tcp->type != UV_TCP)
    return UV_EINVAL;
  err = addr_len(addr, &len);
  if (err != 0)
    return err;
  if (flags & ~(unsigned int)UV_TCP_IPV6ONLY)
    return UV_EINVAL;
  if ((flags & UV_TCP_IPV6ONLY) && addr->sa_family != AF_INET6)
    return UV_EINVAL;
  err = tcp_maybe_new_socket(tcp, addr->sa_family, 0);
  if (err != 0)
    return err;
  if (setsockopt(tcp->u.fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
    return UV__ERR(errno);
  if (addr->sa_family == AF_INET6) {
    on = (flags & UV_TCP_IPV6ONLY) != 0;
    if (setsockopt(tcp->u.fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)
      return UV__ERR(errno);
  }
  errno = 0;
  if (bind(tcp->u.fd, addr, len) != 0 && errno != EADDRINUSE) {
    if (errno == EAFNOSUPPORT)
      return UV_EINVAL; /* an IPv6 address on an IPv4 socket (libuv) */
    return UV__ERR(errno);
  }
  /* An address in use is told by uv_listen() or the connect callback. */
  tcp->delayed_error_ = errno == EADDRINUSE ? UV_EADDRINUSE : 0;
  tcp->flags |= UV_HANDLE_BOUND;
  if (addr->sa_family == AF_INET6)
    tcp->flags |= UV_HANDLE_IPV6;
  return 0;
}

int
uv__tcp_listen(uv_tcp_t *tcp, int backlog)
{
  int err;

  if (tcp->delayed_error_ != 0)
    return tcp->delayed_error_;
  err = tcp_maybe_new_socket(tcp, AF_INET, 0);
  if (err != 0)
    return err;
  if (listen(tcp->u.fd, backlog) != 0)
    return UV__ERR(errno);
  return 0;
}

int
uv_tcp_connect(uv_connect_t *req, uv_tcp_t *tcp, const struct sockaddr *addr,
               uv_connect_cb cb)
{
  socklen_t len;
  int err, r;

  if (req == NULL || tcp == NULL || tcp->type != UV_TCP)
    return UV_EINVAL;
  err = addr_len(addr, &len);
  if (err != 0)
    return err;
  if (uv__is_closing((uv_handle_t *)tcp))
    return UV_EINVAL;
  if (tcp->connect_req_ != NULL)
    return UV_EALREADY;
  if (tcp->delayed_error_ == 0) {
    err = tcp_maybe_new_socket(tcp, addr->sa_family,
                               UV_HANDLE_READABLE | UV_HANDLE_WRITABLE);
    if (err != 0)
      return err;
    do {
      errno = 0;
      r = connect(tcp->u.fd, addr, len);
    } while (r == -1 && errno == EINTR);
    if (r == -1 && errno != 0) {
      if (errno == ECONNREFUSED)
        tcp->delayed_error_ = UV_ECONNREFUSED; /* told in the callback */
      else if (errno != EINPROGRESS)
        return UV__ERR(errno);
      else /* not writable until connected, whatever was seen before */
        fut_io_clear_ready(&tcp->io_, FUT_IO_WRITABLE);
    }
  }
  /* A connect that finished at once still reports through the callback. */
  uv__stream_connect_start((uv_stream_t *)tcp, req, tcp->delayed_error_, cb);
  return 0;
}

static int
tcp_name(const uv_tcp_t *tcp, struct sockaddr *name, int *namelen, int peer)
{
  socklen_t len;
  int r;

  if (tcp == NULL || name == NULL || namelen == NULL || *namelen < 0)
    return UV_EINVAL;
  if (tcp->delayed_error_ != 0)
    return tcp->delayed_error_;
  if (tcp->u.fd < 0 || uv__is_closing((const uv_handle_t *)tcp))
    return UV_EBADF;
  len = (socklen_t)*namelen;
  r = peer ? getpeername(tcp->u.fd, name, &len) : getsockname(tcp->u.fd, name, &len);
  if (r != 0)
    return UV__ERR(errno);
  *namelen = (int)len;
  return 0;
}

int
uv_tcp_getsockname(const uv_tcp_t *tcp, struct sockaddr *name, int *namelen)
{
  return tcp_name(tcp, name, namelen, 0);
}

int
uv_tcp_getpeername(const uv_tcp_t *tcp, struct sockaddr *name, int *namelen)
{
  return tcp_name(tcp, name, namelen, 1);
}

int
uv_tcp_nodelay(uv_tcp_t *tcp, int enable)
{
  int on = enable != 0;

  if (tcp == NULL)
    return UV_EINVAL;
  if (tcp->u.fd != -1 &&
      setsockopt(tcp->u.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
    return UV__ERR(errno);
  if (on)
    tcp->flags |= UV_HANDLE_TCP_NODELAY;
  else
    tcp->flags &= ~UV_HANDLE_TCP_NODELAY;
  return 0;
}

int
uv_tcp_keepalive(uv_tcp_t *tcp, int enable, unsigned int delay)
{
  int on = enable != 0, idle = (int)delay;

  if (tcp == NULL)
    return UV_EINVAL;
  if (tcp->u.fd != -1) {
    if (setsockopt(tcp->u.fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0)
      return UV__ERR(errno);
    if (on && setsockopt(tcp->u.fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle,
                         sizeof idle) != 0)
      return UV__ERR(errno);
  }
  if (on)
    tcp->flags |= UV_HANDLE_TCP_KEEPALIVE;
  else
    tcp->flags &= ~UV_HANDLE_TCP_KEEPALIVE;
  return 0;
}

int
uv_tcp_simultaneous_accepts(uv_tcp_t *tcp, int enable)
{
  if (tcp == NULL)
    return UV_EINVAL;
  if (enable)
    tcp->flags &= ~UV_HANDLE_TCP_SINGLE_ACCEPT;
  else
    tcp->flags |= UV_HANDLE_TCP_SINGLE_ACCEPT;
  return 0;
}

int
uv_tcp_close_reset(uv_tcp_t *tcp, uv_close_cb close_cb)
{
  struct linger l = { 1, 0 };

  if (tcp == NULL || uv__is_closing((uv_handle_t *)tcp))
    return UV_EINVAL;
  if (tcp->flags & UV_HANDLE_SHUTTING)
    return UV_EINVAL;
  if (setsockopt(tcp->u.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) {
    /* EINVAL may mean the socket was shut down already (POSIX). */
    return errno == EINVAL ? UV_ECONNRESET : UV__ERR(errno);
  }
  uv_close((uv_handle_t *)tcp, close_cb);
  return 0;
}

int
uv_socketpair(int type, int protocol, uv_os_sock_t fds[2], int flags0, int flags1)
{
  enum { NONBLOCK_PIPE = 0x40 }; /* UV_NONBLOCK_PIPE (uv_stdio_flags) */
  int sv[2], err;

  if (fds == NULL)
    return UV_EINVAL;
  if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, protocol, sv) != 0)
    return UV__ERR(errno);
  if (((flags0 & NONBLOCK_PIPE) && (err = uv__nonblock(sv[0], 1)) != 0) ||
      ((flags1 & NONBLOCK_PIPE) && (err = uv__nonblock(sv[1], 1)) != 0)) {
    close(sv[0]);
    close(sv[1]);
    return err;
  }
  fds[0] = sv[0];
  fds[1] = sv[1];
  return 0;
}
