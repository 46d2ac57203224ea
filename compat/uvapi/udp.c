/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: UDP handles. The socket's readiness comes from a struct
 * fut_io polled with the handle's event (udp_io_ev): it receives while
 * the handle reads and sends what is queued. Sends are tried at once;
 * those done (or failed) wait in write_completed_ for their callbacks,
 * which run from done_ev_ in the next iteration's pending phase, or right
 * after a send that completed from the poll phase (as libuv).
 */
#include "internal.h"

#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define UDP_DGRAM_MAXSIZE (64 * 1024)
#define UDP_RECV_BATCH 32

static void udp_io_ev(struct fut_kit_ev *ev);
static void udp_done_ev(struct fut_kit_ev *ev);

int
uv__udp_fd(const uv_udp_t *handle)
{
  return handle->io_.fd;
}

static void
udp_maybe_stop(uv_udp_t *h)
{
  if (h->recv_cb_ == NULL && fut_kit_queue_empty(&h->write_queue_) &&
      fut_kit_queue_empty(&h->write_completed_))
    uv__handle_stop((uv_handle_t *)h);
}

/* Make @fd the handle's socket (nonblocking, close-on-exec). */
static int
udp_set_fd(uv_udp_t *h, int fd)
{
  int fl = fcntl(fd, F_GETFL);

  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
    return UV__ERR(errno);
  (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  (void)fut_io_init(&h->io_, fd);
  return 0;
}

static int
udp_socket(uv_udp_t *h, int domain)
{
  int fd = socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return UV__ERR(errno);
  (void)fut_io_init(&h->io_, fd);
  return 0;
}

int
uv_udp_init_ex(uv_loop_t *loop, uv_udp_t *handle, unsigned int flags)
{
  unsigned int domain = flags & 0xFF;
  int err;

  if (loop == NULL || handle == NULL)
    return UV_EINVAL;
  if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNSPEC)
    return UV_EINVAL;
  if ((flags & ~0xFFu) & ~(unsigned int)UV_UDP_RECVMMSG)
    return UV_EINVAL;
  (void)fut_io_init(&handle->io_, 0);
  handle->io_.fd = -1;
  if (domain != AF_UNSPEC) {
    err = udp_socket(handle, (int)domain);
    if (err != 0)
      return err;
  }
  uv__handle_init(loop, (uv_handle_t *)handle, UV_UDP);
  handle->send_queue_size = 0;
  handle->send_queue_count = 0;
  handle->alloc_cb_ = NULL;
  handle->recv_cb_ = NULL;
  uv__ev_init(loop, &handle->ev_, udp_io_ev);
  uv__ev_init(loop, &handle->done_ev_, udp_done_ev);
  fut_kit_queue_init(&handle->write_queue_);
  fut_kit_queue_init(&handle->write_completed_);
  return 0;
}

int
uv_udp_init(uv_loop_t *loop, uv_udp_t *handle)
{
  return uv_udp_init_ex(loop, handle, AF_UNSPEC);
}

/* Another open handle of the loop (UDP, poll, stream) owns @fd. */
static int
fd_in_use(uv_loop_t *loop, const uv_handle_t *self, int fd)
{
  struct fut_kit_queue *q;

  for (q = loop->handle_queue.next; q != &loop->handle_queue; q = q->next) {
    const uv_handle_t *h = fut_kit_queue_data(q, uv_handle_t, handle_queue);
    int hfd = -1;

    if (h == self || uv__is_closing(h))
      continue;
    if (h->type == UV_UDP)
      hfd = uv__udp_fd((const uv_udp_t *)h);
    else if (h->type == UV_POLL)
      hfd = uv__poll_fd((const uv_poll_t *)h);
    if (hfd == fd)
      return 1;
  }
  return 0;
}

int
uv_udp_open(uv_udp_t *handle, uv_os_sock_t sock)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int err, on = 1;

  if (handle == NULL || sock < 0)
    return UV_EINVAL;
  if (uv__is_closing((uv_handle_t *)handle))
    return UV_EINVAL;
  if (handle->io_.fd != -1)
    return UV_EBUSY;
  if (fd_in_use(handle->loop, (uv_handle_t *)handle, sock))
    return UV_EEXIST;
  err = udp_set_fd(handle, sock);
  if (err != 0)
    return err;
  (void)setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (getpeername(sock, (struct sockaddr *)&ss, &len) == 0 &&
      ss.ss_family != AF_UNSPEC)
    handle->flags |= UV_HANDLE_UDP_CONNECTED;
  len = sizeof ss;
  if (getsockname(sock, (struct sockaddr *)&ss, &len) == 0 &&
      ((ss.ss_family == AF_INET &&
        ((struct sockaddr_in *)&ss)->sin_port != 0) ||
       (ss.ss_family == AF_INET6 &&
        ((struct sockaddr_in6 *)&ss)->sin6_port != 0)))
    handle->flags |= UV_HANDLE_BOUND;
  return 0;
}

static int
addr_len(const struct sockaddr *addr, socklen_t *len)
{
  if (addr->sa_family == AF_INET)
    *len = sizeof(struct sockaddr_in);
  else if (addr->sa_family == AF_INET6)
    *len = sizeof(struct sockaddr_in6);
  else
    return UV_EINVAL;
  return 0;
}

static int
udp_bind(uv_udp_t *h, const struct sockaddr *addr, socklen_t len,
         unsigned int flags)
{
  int fd, err, on = 1;

  if (flags & ~(unsigned int)(UV_UDP_IPV6ONLY | UV_UDP_REUSEADDR |
                              UV_UDP_LINUX_RECVERR))
    return UV_EINVAL;
  if ((flags & UV_UDP_IPV6ONLY) && addr->sa_family != AF_INET6)
    return UV_EINVAL;
  if (h->io_.fd == -1) {
    err = udp_socket(h, addr->sa_family);
    if (err != 0)
      return err;
  }
  fd = h->io_.fd;
  if (flags & UV_UDP_LINUX_RECVERR) {
    if (addr->sa_family == AF_INET6)
      err = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
    else
      err = setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
    if (err != 0)
      return UV__ERR(errno);
  }
  if ((flags & UV_UDP_REUSEADDR) &&
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
    return UV__ERR(errno);
  if ((flags & UV_UDP_IPV6ONLY) &&
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)
    return UV__ERR(errno);
  if (bind(fd, addr, len) != 0) {
    err = errno;
    return err == EAFNOSUPPORT ? UV_EINVAL : UV__ERR(err);
  }
  h->flags |= UV_HANDLE_BOUND;
  return 0;
}

int
uv_udp_bind(uv_udp_t *handle, const struct sockaddr *addr, unsigned int flags)
{
  socklen_t len;
  int err;

  if (handle == NULL || addr == NULL)
    return UV_EINVAL;
  if (uv__is_closing((uv_handle_t *)handle))
    return UV_EINVAL;
  err = addr_len(addr, &len);
  if (err != 0)
    return err;
  return udp_bind(handle, addr, len, flags);
}

/* A handle without a socket gets one, bound to the wildcard address of
 * @domain (as libuv: a socket that exists is left as it is; the kernel
 * binds it on its first send). */
static int
udp_maybe_bind(uv_udp_t *h, int domain, unsigned int flags)
{
  struct sockaddr_storage ss;

  if (h->io_.fd != -1)
    return 0;
  memset(&ss, 0, sizeof ss);
  if (domain == AF_INET6) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

    a6->sin6_family = AF_INET6;
    a6->sin6_addr = in6addr_any;
    return udp_bind(h, (struct sockaddr *)a6, sizeof *a6, flags);
  } else {
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

    a4->sin_family = AF_INET;
    a4->sin_addr.s_addr = htonl(INADDR_ANY);
    return udp_bind(h, (struct sockaddr *)a4, sizeof *a4, flags);
  }
}

int
uv_udp_connect(uv_udp_t *handle, const struct sockaddr *addr)
{
  socklen_t len;
  int err, r;

  if (handle == NULL || handle->type != UV_UDP)
    return UV_EINVAL;
  if (uv__is_closing((uv_handle_t *)handle))
    return UV_EINVAL;
  if (addr == NULL) {
    struct sockaddr unspec;

    if (!(handle->flags & UV_HANDLE_UDP_CONNECTED))
      return UV_ENOTCONN;
    memset(&unspec, 0, sizeof unspec);
    unspec.sa_family = AF_UNSPEC;
    do
      r = connect(handle->io_.fd, &unspec, sizeof unspec);
    while (r == -1 && errno == EINTR);
    if (r == -1 && errno != EAFNOSUPPORT && errno != EINVAL)
      return UV__ERR(errno);
    handle->flags &= ~(unsigned int)UV_HANDLE_UDP_CONNECTED;
    return 0;
  }
  err = addr_len(addr, &len);
  if (err != 0)
    return err;
  if (handle->flags & UV_HANDLE_UDP_CONNECTED)
    return UV_EISCONN;
  err = udp_maybe_bind(handle, addr->sa_family, 0);
  if (err != 0)
    return err;
  do
    r = connect(handle->io_.fd, addr, len);
  while (r == -1 && errno == EINTR);
  if (r != 0)
    return UV__ERR(errno);
  handle->flags |= UV_HANDLE_UDP_CONNECTED;
  return 0;
}

static int
udp_getname(const uv_udp_t *h, struct sockaddr *name, int *namelen, int peer)
{
  socklen_t len;
  int r;

  if (h == NULL || name == NULL || namelen == NULL || *namelen < 0)
    return UV_EINVAL;
  if (h->io_.fd < 0 || uv__is_closing((const uv_handle_t *)h))
    return UV_EBADF;
  len = (socklen_t)*namelen;
  r = peer ? getpeername(h->io_.fd, name, &len)
           : getsockname(h->io_.fd, name, &len);
  if (r != 0)
    return UV__ERR(errno);
  *namelen = (int)len;
  return 0;
}

int
uv_udp_getpeername(const uv_udp_t *handle, struct sockaddr *name, int *namelen)
{
  return udp_getname(handle, name, namelen, 1);
}

int
uv_udp_getsockname(const uv_udp_t *handle, struct sockaddr *name, int *namelen)
{
  return udp_getname(handle, name, namelen, 0);
}

/* ---- socket options -------------------------------------------------- */

static int
udp_is_ipv6(const uv_udp_t *h)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;

  if (h->io_.fd >= 0 &&
      getsockname(h->io_.fd, (struct sockaddr *)&ss, &len) == 0)
    return ss.ss_family == AF_INET6;
  return 0;
}

static int
udp_setsockopt(uv_udp_t *h, int opt4, int opt6, int val)
{
  int r;

  if (h == NULL)
    return UV_EINVAL;
  if (h->io_.fd < 0)
    return UV_EBADF;
  if (udp_is_ipv6(h))
    r = setsockopt(h->io_.fd, IPPROTO_IPV6, opt6, &val, sizeof val);
  else
    r = setsockopt(h->io_.fd, IPPROTO_IP, opt4, &val, sizeof val);
  return r != 0 ? UV__ERR(errno) : 0;
}

int
uv_udp_set_ttl(uv_udp_t *handle, int ttl)
{
  if (ttl < 1 || ttl > 255)
    return UV_EINVAL;
  return udp_setsockopt(handle, IP_TTL, IPV6_UNICAST_HOPS, ttl);
}

int
uv_udp_set_multicast_ttl(uv_udp_t *handle, int ttl)
{
  if (ttl < 0 || ttl > 255)
    return UV_EINVAL;
  return udp_setsockopt(handle, IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS, ttl);
}

int
uv_udp_set_multicast_loop(uv_udp_t *handle, int on)
{
  if (on < 0 || on > 255)
    return UV_EINVAL;
  return udp_setsockopt(handle, IP_MULTICAST_LOOP, IPV6_MULTICAST_LOOP, on);
}

int
uv_udp_set_broadcast(uv_udp_t *handle, int on)
{
  if (handle == NULL)
    return UV_EINVAL;
  if (handle->io_.fd < 0)
    return UV_EBADF;
  if (setsockopt(handle->io_.fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on))
    return UV__ERR(errno);
  return 0;
}

/* An IPv4 address string. */
static int
parse_ip4(const char *s, struct in_addr *a)
{
  return inet_pton(AF_INET, s, a) == 1 ? 0 : UV_EINVAL;
}

/* An IPv6 address string, with an optional %scope (an interface name or
 * number), as uv_ip6_addr(). */
static int
parse_ip6(const char *s, struct in6_addr *a, uint32_t *scope)
{
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  const char *pct = strchr(s, '%');
  size_t n = pct != NULL ? (size_t)(pct - s) : strlen(s);

  if (n >= sizeof buf)
    return UV_EINVAL;
  memcpy(buf, s, n);
  buf[n] = '\0';
  if (inet_pton(AF_INET6, buf, a) != 1)
    return UV_EINVAL;
  *scope = 0;
  if (pct != NULL && pct[1] != '\0') {
    unsigned int idx = if_nametoindex(pct + 1);

    if (idx == 0) {
      char *end;
      unsigned long v = strtoul(pct + 1, &end, 10);

      if (*end == '\0')
        idx = (unsigned int)v;
    }
    *scope = idx;
  }
  return 0;
}

int
uv_udp_set_multicast_interface(uv_udp_t *handle, const char *interface_addr)
{
  struct in_addr a4;
  struct in6_addr a6;
  uint32_t scope = 0;
  int r, v6;

  if (handle == NULL)
    return UV_EINVAL;
  if (interface_addr == NULL) {
    v6 = udp_is_ipv6(handle);
    a4.s_addr = htonl(INADDR_ANY);
  } else if (parse_ip4(interface_addr, &a4) == 0) {
    v6 = 0;
  } else if (parse_ip6(interface_addr, &a6, &scope) == 0) {
    v6 = 1;
  } else {
    return UV_EINVAL;
  }
  if (handle->io_.fd < 0)
    return UV_EBADF;
  if (v6) {
    unsigned int idx = scope;

    r = setsockopt(handle->io_.fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx,
                   sizeof idx);
  } else {
    r = setsockopt(handle->io_.fd, IPPROTO_IP, IP_MULTICAST_IF, &a4,
                   sizeof a4);
  }
  return r != 0 ? UV__ERR(errno) : 0;
}

int
uv_udp_set_membership(uv_udp_t *handle, const char *multicast_addr,
                      const char *interface_addr, uv_membership membership)
{
  struct in_addr g4;
  struct in6_addr g6;
  uint32_t scope;
  int err, r;

  if (handle == NULL || multicast_addr == NULL)
    return UV_EINVAL;
  if (membership != UV_JOIN_GROUP && membership != UV_LEAVE_GROUP)
    return UV_EINVAL;
  if (parse_ip4(multicast_addr, &g4) == 0) {
    struct ip_mreq mreq;

    memset(&mreq, 0, sizeof mreq);
    if (interface_addr != NULL) {
      if (parse_ip4(interface_addr, &mreq.imr_interface) != 0)
        return UV_EINVAL;
    } else {
      mreq.imr_interface.s_addr = htonl(INADDR_ANY);
    }
    mreq.imr_multiaddr = g4;
    err = udp_maybe_bind(handle, AF_INET, UV_UDP_REUSEADDR);
    if (err != 0)
      return err;
    r = setsockopt(handle->io_.fd, IPPROTO_IP,
                   membership == UV_JOIN_GROUP ? IP_ADD_MEMBERSHIP
                                               : IP_DROP_MEMBERSHIP,
                   &mreq, sizeof mreq);
  } else if (parse_ip6(multicast_addr, &g6, &scope) == 0) {
    struct ipv6_mreq mreq;

    memset(&mreq, 0, sizeof mreq);
    if (interface_addr != NULL) {
      struct in6_addr ia;
      uint32_t iscope;

      if (parse_ip6(interface_addr, &ia, &iscope) != 0)
        return UV_EINVAL;
      mreq.ipv6mr_interface = iscope;
    }
    mreq.ipv6mr_multiaddr = g6;
    err = udp_maybe_bind(handle, AF_INET6, UV_UDP_REUSEADDR);
    if (err != 0)
      return err;
    r = setsockopt(handle->io_.fd, IPPROTO_IPV6,
                   membership == UV_JOIN_GROUP ? IPV6_ADD_MEMBERSHIP
                                               : IPV6_DROP_MEMBERSHIP,
                   &mreq, sizeof mreq);
  } else {
    return UV_EINVAL;
  }
  return r != 0 ? UV__ERR(errno) : 0;
}

int
uv_udp_set_source_membership(uv_udp_t *handle, const char *multicast_addr,
                             const char *interface_addr,
                             const char *source_addr,
                             uv_membership membership)
{
  struct in_addr g4, s4;
  struct in6_addr g6, s6;
  uint32_t scope;
  int err, r;

  if (handle == NULL || multicast_addr == NULL || source_addr == NULL)
    return UV_EINVAL;
  if (parse_ip4(multicast_addr, &g4) == 0) {
    struct ip_mreq_source mreq;

    if (parse_ip4(source_addr, &s4) != 0)
      return UV_EINVAL;
    memset(&mreq, 0, sizeof mreq);
    if (interface_addr != NULL) {
      if (parse_ip4(interface_addr, &mreq.imr_interface) != 0)
        return UV_EINVAL;
    } else {
      mreq.imr_interface.s_addr = htonl(INADDR_ANY);
    }
    mreq.imr_multiaddr = g4;
    mreq.imr_sourceaddr = s4;
    if (membership != UV_JOIN_GROUP && membership != UV_LEAVE_GROUP)
      return UV_EINVAL;
    err = udp_maybe_bind(handle, AF_INET, UV_UDP_REUSEADDR);
    if (err != 0)
      return err;
    r = setsockopt(handle->io_.fd, IPPROTO_IP,
                   membership == UV_JOIN_GROUP ? IP_ADD_SOURCE_MEMBERSHIP
                                               : IP_DROP_SOURCE_MEMBERSHIP,
                   &mreq, sizeof mreq);
  } else if (parse_ip6(multicast_addr, &g6, &scope) == 0) {
    struct group_source_req req;
    struct sockaddr_in6 *g, *s;
    uint32_t sscope;

    if (parse_ip6(source_addr, &s6, &sscope) != 0)
      return UV_EINVAL;
    memset(&req, 0, sizeof req);
    if (interface_addr != NULL) {
      struct in6_addr ia;
      uint32_t iscope;

      if (parse_ip6(interface_addr, &ia, &iscope) != 0)
        return UV_EINVAL;
      req.gsr_interface = iscope;
    }
    g = (struct sockaddr_in6 *)&req.gsr_group;
    s = (struct sockaddr_in6 *)&req.gsr_source;
    g->sin6_family = AF_INET6;
    g->sin6_addr = g6;
    g->sin6_scope_id = scope;
    s->sin6_family = AF_INET6;
    s->sin6_addr = s6;
    s->sin6_scope_id = sscope;
    if (membership != UV_JOIN_GROUP && membership != UV_LEAVE_GROUP)
      return UV_EINVAL;
    err = udp_maybe_bind(handle, AF_INET6, UV_UDP_REUSEADDR);
    if (err != 0)
      return err;
    r = setsockopt(handle->io_.fd, IPPROTO_IPV6,
                   membership == UV_JOIN_GROUP ? MCAST_JOIN_SOURCE_GROUP
                                               : MCAST_LEAVE_SOURCE_GROUP,
                   &req, sizeof req);
  } else {
    return UV_EINVAL;
  }
  return r != 0 ? UV__ERR(errno) : 0;
}

/* ---- sending --------------------------------------------------------- */

static size_t
count_bufs(const uv_buf_t *bufs, unsigned int nbufs)
{
  size_t n = 0;
  unsigned int i;

  for (i = 0; i < nbufs; i++)
    n += bufs[i].len;
  return n;
}

/* Check the address against the connected state, as libuv: the address
 * length, 0 for none, or a UV_E* code. */
static int
check_before_send(const uv_udp_t *h, const struct sockaddr *addr,
                  socklen_t *len)
{
  if (addr != NULL && (h->flags & UV_HANDLE_UDP_CONNECTED))
    return UV_EISCONN;
  if (addr == NULL && !(h->flags & UV_HANDLE_UDP_CONNECTED))
    return UV_EDESTADDRREQ;
  *len = 0;
  if (addr != NULL)
    return addr_len(addr, len);
  return 0;
}

static ssize_t
udp_sendmsg(int fd, const uv_buf_t *bufs, unsigned int nbufs,
            const void *addr, socklen_t addrlen)
{
  struct msghdr m;
  ssize_t n;

  memset(&m, 0, sizeof m);
  m.msg_name = addrlen != 0 ? (void *)(uintptr_t)addr : NULL;
  m.msg_namelen = addrlen;
  m.msg_iov = (struct iovec *)(uintptr_t)bufs;
  m.msg_iovlen = nbufs;
  do
    n = sendmsg(fd, &m, 0);
  while (n == -1 && errno == EINTR);
  return n;
}

/* Send what is queued, in order, until the socket would block. Returns
 * whether requests completed. */
static int
udp_send_queued(uv_udp_t *h)
{
  int done = 0;

  while (!fut_kit_queue_empty(&h->write_queue_)) {
    struct fut_kit_queue *q = h->write_queue_.next;
    uv_udp_send_t *req = fut_kit_queue_data(q, uv_udp_send_t, queue_);
    ssize_t n = udp_sendmsg(h->io_.fd, req->bufs_, req->nbufs_, &req->addr_,
                            req->addrlen_);

    if (n == -1 &&
        (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
      break;
    req->status_ = n == -1 ? UV__ERR(errno) : n;
    fut_kit_queue_remove(q);
    fut_kit_queue_insert_tail(&h->write_completed_, q);
    done = 1;
  }
  return done;
}

/* Run the callbacks of completed sends. */
static void
udp_run_completed(uv_udp_t *h)
{
  h->flags |= UV_HANDLE_UDP_PROCESSING;
  while (!fut_kit_queue_empty(&h->write_completed_)) {
    struct fut_kit_queue *q = h->write_completed_.next;
    uv_udp_send_t *req = fut_kit_queue_data(q, uv_udp_send_t, queue_);

    fut_kit_queue_remove(q);
    h->send_queue_size -= count_bufs(req->bufs_, req->nbufs_);
    h->send_queue_count--;
    if (req->bufs_ != req->bufsml_)
      uv__free(req->bufs_);
    req->bufs_ = NULL;
    uv__req_unregister(h->loop);
    if (req->cb != NULL)
      req->cb(req, req->status_ >= 0 ? 0 : (int)req->status_);
  }
  h->flags &= ~(unsigned int)UV_HANDLE_UDP_PROCESSING;
  if (!uv__is_closing((uv_handle_t *)h)) {
    /* Sends queued from the callbacks. */
    if (!fut_kit_queue_empty(&h->write_queue_))
      uv__ev_feed(&h->ev_);
    udp_maybe_stop(h);
  }
}

static void
udp_done_ev(struct fut_kit_ev *ev)
{
  uv_udp_t *h = fut_kit_queue_data(ev, uv_udp_t, done_ev_);

  if (!uv__is_closing((uv_handle_t *)h))
    udp_run_completed(h);
}

/* Wait for @dir: 1 if it is ready now (READY), 0 if a waker is stored,
 * or a negative UV_E* code. */
static int
udp_arm(uv_udp_t *h, unsigned int dir)
{
  struct fut_waker w;
  struct fut_context cx;
  int res = 0;

  uv__ev_context(&h->ev_, &w, &cx);
  if (fut_io_poll_ready(&h->io_, &cx, dir, &res) == FUT_PENDING)
    return 0;
  return res < 0 ? res : 1;
}

int
uv_udp_send(uv_udp_send_t *req, uv_udp_t *handle, const uv_buf_t bufs[],
            unsigned int nbufs, const struct sockaddr *addr,
            uv_udp_send_cb send_cb)
{
  socklen_t len;
  int err, empty;

  if (req == NULL || handle == NULL || bufs == NULL || nbufs < 1)
    return UV_EINVAL;
  if (uv__is_closing((uv_handle_t *)handle))
    return UV_EBADF;
  err = check_before_send(handle, addr, &len);
  if (err != 0)
    return err;
  if (addr != NULL) {
    err = udp_maybe_bind(handle, addr->sa_family, 0);
    if (err != 0)
      return err;
  }
  uv__req_init(handle->loop, (uv_req_t *)req, UV_UDP_SEND, NULL);
  req->handle = handle;
  req->cb = send_cb;
  req->addrlen_ = len;
  if (len != 0)
    memcpy(&req->addr_, addr, len);
  req->nbufs_ = nbufs;
  req->bufs_ = req->bufsml_;
  if (nbufs > sizeof req->bufsml_ / sizeof req->bufsml_[0]) {
    req->bufs_ = uv__malloc(nbufs * sizeof bufs[0]);
    if (req->bufs_ == NULL)
      return UV_ENOMEM;
  }
  memcpy(req->bufs_, bufs, nbufs * sizeof bufs[0]);
  req->status_ = 0;
  empty = handle->send_queue_count == 0;
  handle->send_queue_size += count_bufs(bufs, nbufs);
  handle->send_queue_count++;
  fut_kit_queue_insert_tail(&handle->write_queue_, &req->queue_);
  uv__req_register(handle->loop);
  uv__handle_start((uv_handle_t *)handle);
  if (empty && !(handle->flags & UV_HANDLE_UDP_PROCESSING)) {
    if (udp_send_queued(handle))
      uv__ev_feed_pending(&handle->done_ev_);
    if (!fut_kit_queue_empty(&handle->write_queue_)) {
      fut_io_clear_ready(&handle->io_, FUT_IO_WRITABLE);
      if (udp_arm(handle, FUT_IO_WRITABLE) != 0)
        uv__ev_feed(&handle->ev_);
    }
  } else {
    uv__ev_feed(&handle->ev_);
  }
  return 0;
}

int
uv_udp_try_send(uv_udp_t *handle, const uv_buf_t bufs[], unsigned int nbufs,
                const struct sockaddr *addr)
{
  socklen_t len;
  ssize_t n;
  int err;

  if (handle == NULL || bufs == NULL || nbufs < 1)
    return UV_EINVAL;
  if (uv__is_closing((uv_handle_t *)handle))
    return UV_EBADF;
  err = check_before_send(handle, addr, &len);
  if (err != 0)
    return err;
  if (handle->send_queue_count != 0)
    return UV_EAGAIN;
  if (addr != NULL) {
    err = udp_maybe_bind(handle, addr->sa_family, 0);
    if (err != 0)
      return err;
  }
  n = udp_sendmsg(handle->io_.fd, bufs, nbufs, addr, len);
  if (n == -1) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
      return UV_EAGAIN;
    return UV__ERR(errno);
  }
  return (int)n;
}

/* ---- receiving and the readiness event -------------------------------- */

/* Read up to a batch of datagrams; returns 1 if the batch was used up
 * (more may be waiting), 0 if the socket would block or reading stopped. */
static int
udp_recv_batch(uv_udp_t *h)
{
  struct sockaddr_storage peer;
  struct msghdr m;
  struct iovec iov;
  uv_buf_t buf;
  ssize_t n;
  int count = UDP_RECV_BATCH;

  do {
    buf.base = NULL;
    buf.len = 0;
    h->alloc_cb_((uv_handle_t *)h, UDP_DGRAM_MAXSIZE, &buf);
    if (buf.base == NULL || buf.len == 0) {
      h->recv_cb_(h, UV_ENOBUFS, &buf, NULL, 0);
      return h->recv_cb_ != NULL && h->io_.fd != -1 &&
             !uv__is_closing((uv_handle_t *)h);
    }
    memset(&peer, 0, sizeof peer);
    memset(&m, 0, sizeof m);
    iov.iov_base = buf.base;
    iov.iov_len = buf.len;
    m.msg_name = &peer;
    m.msg_namelen = sizeof peer;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    do
      n = recvmsg(h->io_.fd, &m, 0);
    while (n == -1 && errno == EINTR);
    if (n == -1) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        h->recv_cb_(h, 0, &buf, NULL, 0);
        return 0;
      }
      h->recv_cb_(h, UV__ERR(errno), &buf, NULL, 0);
    } else {
      h->recv_cb_(h, n, &buf, (const struct sockaddr *)&peer,
                  (m.msg_flags & MSG_TRUNC) ? UV_UDP_PARTIAL : 0);
    }
    count--;
  } while (count > 0 && h->recv_cb_ != NULL && h->io_.fd != -1 &&
           !uv__is_closing((uv_handle_t *)h));
  return count == 0;
}

static void
udp_io_ev(struct fut_kit_ev *ev)
{
  uv_udp_t *h = fut_kit_queue_data(ev, uv_udp_t, ev_);
  int r, again = 0;

  if (uv__is_closing((uv_handle_t *)h) || h->io_.fd < 0)
    return;
  if (h->recv_cb_ != NULL) {
    r = udp_arm(h, FUT_IO_READABLE);
    if (r < 0) {
      uv_buf_t none = { NULL, 0 };

      h->recv_cb_(h, r, &none, NULL, 0);
    } else if (r > 0) {
      if (udp_recv_batch(h))
        again = 1;
      else if (h->recv_cb_ != NULL && !uv__is_closing((uv_handle_t *)h)) {
        fut_io_clear_ready(&h->io_, FUT_IO_READABLE);
        if (udp_arm(h, FUT_IO_READABLE) != 0)
          again = 1;
      }
    }
  }
  if (uv__is_closing((uv_handle_t *)h))
    return;
  if (!fut_kit_queue_empty(&h->write_queue_)) {
    r = udp_arm(h, FUT_IO_WRITABLE);
    if (r != 0) {
      /* Ready (or an error, which sendmsg reports per request). */
      udp_send_queued(h);
      if (!fut_kit_queue_empty(&h->write_queue_)) {
        fut_io_clear_ready(&h->io_, FUT_IO_WRITABLE);
        if (udp_arm(h, FUT_IO_WRITABLE) != 0)
          again = 1;
      }
      if (!fut_kit_queue_empty(&h->write_completed_)) {
        uv__ev_cancel(&h->done_ev_);
        udp_run_completed(h);
      }
    }
  }
  if (again && !uv__is_closing((uv_handle_t *)h))
    uv__ev_feed(&h->ev_);
}

int
uv_udp_recv_start(uv_udp_t *handle, uv_alloc_cb alloc_cb,
                  uv_udp_recv_cb recv_cb)
{
  int err;

  if (handle == NULL || handle->type != UV_UDP || alloc_cb == NULL ||
      recv_cb == NULL)
    return UV_EINVAL;
  if (uv__is_closing((uv_handle_t *)handle))
    return UV_EINVAL;
  if (handle->recv_cb_ != NULL)
    return UV_EALREADY;
  err = udp_maybe_bind(handle, AF_INET, 0);
  if (err != 0)
    return err;
  handle->alloc_cb_ = alloc_cb;
  handle->recv_cb_ = recv_cb;
  uv__handle_start((uv_handle_t *)handle);
  /* Look at the socket in the next poll phase (never from here). */
  uv__ev_feed(&handle->ev_);
  return 0;
}

int
uv_udp_recv_stop(uv_udp_t *handle)
{
  struct fut_waker w;
  struct fut_context cx;

  if (handle == NULL)
    return UV_EINVAL;
  if (handle->recv_cb_ == NULL)
    return 0;
  handle->alloc_cb_ = NULL;
  handle->recv_cb_ = NULL;
  uv__ev_context(&handle->ev_, &w, &cx);
  fut_io_forget(&handle->io_, FUT_IO_READABLE, &w);
  udp_maybe_stop(handle);
  return 0;
}

int uv_udp_using_recvmmsg(const uv_udp_t *handle) { (void)handle; return 0; }
size_t uv_udp_get_send_queue_size(const uv_udp_t *handle) { return handle->send_queue_size; }
size_t uv_udp_get_send_queue_count(const uv_udp_t *handle) { return handle->send_queue_count; }

/* ---- close ------------------------------------------------------------- */

void
uv__udp_close(uv_udp_t *handle)
{
  uv__ev_cancel(&handle->ev_);
  uv__ev_cancel(&handle->done_ev_);
  handle->alloc_cb_ = NULL;
  handle->recv_cb_ = NULL;
  if (handle->io_.fd >= 0) {
    (void)fut_io_close(&handle->io_);
    close(handle->io_.fd);
    handle->io_.fd = -1;
  }
  uv__handle_stop((uv_handle_t *)handle);
}

void
uv__udp_finish_close(uv_udp_t *handle)
{
  /* Sends not made fail with UV_ECANCELED, after those completed. */
  while (!fut_kit_queue_empty(&handle->write_queue_)) {
    struct fut_kit_queue *q = handle->write_queue_.next;
    uv_udp_send_t *req = fut_kit_queue_data(q, uv_udp_send_t, queue_);

    req->status_ = UV_ECANCELED;
    fut_kit_queue_remove(q);
    fut_kit_queue_insert_tail(&handle->write_completed_, q);
  }
  udp_run_completed(handle);
}
