/* SPDX-License-Identifier: MIT */
/* tests/uvapi: UDP handles and poll handles: libuv's documented callback
 * order, return values, error codes. */
#include "uvtest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct sockaddr_in
ip4(const char *ip, int port)
{
  struct sockaddr_in a;

  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  ck_assert_int_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
  return a;
}

static struct sockaddr_in6
ip6(const char *ip, int port)
{
  struct sockaddr_in6 a;

  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons((uint16_t)port);
  ck_assert_int_eq(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
  return a;
}

/* The bound address of @h (port filled in). */
static struct sockaddr_storage
udp_name(uv_udp_t *h)
{
  struct sockaddr_storage ss;
  int len = sizeof ss;

  ck_assert_int_eq(uv_udp_getsockname(h, (struct sockaddr *)&ss, &len), 0);
  return ss;
}

/* ---- send / receive ---------------------------------------------------- */

static char rbuf[65536];
static int recv_count, recv_empty, send_count, close_count;
static ssize_t last_nread;
static unsigned last_flags;
static char last_data[64];
static int last_status;
static size_t queue_count_at_send_cb;
static uv_udp_t *peer_to_close;

static void
alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  (void)h;
  ck_assert_uint_eq(suggested, 65536);
  buf->base = rbuf;
  buf->len = sizeof rbuf;
}

static void
close_cb(uv_handle_t *h)
{
  (void)h;
  close_count++;
}

static void
recv_close_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
              const struct sockaddr *addr, unsigned flags)
{
  if (nread == 0) {
    ck_assert_ptr_null(addr);
    recv_empty++;
    return;
  }
  ck_assert_int_gt(nread, 0);
  ck_assert_ptr_nonnull(addr);
  ck_assert_ptr_eq(buf->base, rbuf);
  recv_count++;
  last_nread = nread;
  last_flags = flags;
  memcpy(last_data, buf->base, (size_t)nread < sizeof last_data ? (size_t)nread : sizeof last_data);
  uv_close((uv_handle_t *)h, close_cb);
  if (peer_to_close != NULL)
    uv_close((uv_handle_t *)peer_to_close, close_cb);
}

static void
send_cb(uv_udp_send_t *req, int status)
{
  ck_assert_ptr_nonnull(req->handle);
  last_status = status;
  queue_count_at_send_cb = req->handle->send_queue_count;
  send_count++;
}

static void
reset(void)
{
  recv_count = recv_empty = send_count = close_count = 0;
  last_nread = 0;
  last_flags = 0;
  last_status = -1;
  peer_to_close = NULL;
  memset(last_data, 0, sizeof last_data);
}

static void
send_recv(int family)
{
  uv_loop_t loop;
  uv_udp_t server, client;
  uv_udp_send_t req;
  struct sockaddr_storage dst;
  uv_buf_t b = { "PING", 4 };
  int r;

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &server), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &client), 0);
  if (family == AF_INET) {
    struct sockaddr_in a = ip4("127.0.0.1", 0);
    r = uv_udp_bind(&server, (struct sockaddr *)&a, 0);
  } else {
    struct sockaddr_in6 a = ip6("::1", 0);
    r = uv_udp_bind(&server, (struct sockaddr *)&a, UV_UDP_IPV6ONLY);
    if (r == UV_EADDRNOTAVAIL || r == UV_EAFNOSUPPORT) {
      uvtest_close_loop(&loop); /* no IPv6 here */
      return;
    }
  }
  ck_assert_int_eq(r, 0);
  dst = udp_name(&server);
  ck_assert_int_eq(dst.ss_family, family);
  ck_assert_int_eq(uv_udp_recv_start(&server, alloc_cb, recv_close_cb), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&server), 1);
  ck_assert_int_eq(uv_udp_recv_start(&server, alloc_cb, recv_close_cb), UV_EALREADY);
  ck_assert_int_eq(uv_udp_send(&req, &client, &b, 1, (struct sockaddr *)&dst, send_cb), 0);
  /* never synchronous; counted until the callback ran */
  ck_assert_int_eq(send_count, 0);
  ck_assert_uint_eq(client.send_queue_count, 1);
  ck_assert_uint_eq(uv_udp_get_send_queue_count(&client), 1);
  ck_assert_uint_eq(uv_udp_get_send_queue_size(&client), 4);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&client), 1);
  ck_assert_int_eq(req.type, UV_UDP_SEND);
  ck_assert_ptr_eq(req.handle, &client);
  peer_to_close = &client;
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(send_count, 1);
  ck_assert_int_eq(last_status, 0);
  ck_assert_uint_eq(queue_count_at_send_cb, 0);
  ck_assert_int_eq(recv_count, 1);
  ck_assert_int_eq(last_nread, 4);
  ck_assert_uint_eq(last_flags, 0);
  ck_assert_str_eq(last_data, "PING");
  ck_assert_int_eq(close_count, 2);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}

START_TEST(test_udp_send_recv_ipv4) { send_recv(AF_INET); }
END_TEST

START_TEST(test_udp_send_recv_ipv6) { send_recv(AF_INET6); }
END_TEST

/* The end of a batch: after the datagrams, nread 0 with no address. */
static int batch_data;
static void
recv_batch_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
              const struct sockaddr *addr, unsigned flags)
{
  (void)buf;
  (void)flags;
  if (nread > 0) {
    ck_assert_ptr_nonnull(addr);
    batch_data++;
    return;
  }
  ck_assert_int_eq(nread, 0);
  ck_assert_ptr_null(addr);
  if (batch_data == 3) {
    recv_empty++;
    uv_close((uv_handle_t *)h, close_cb);
  }
}

START_TEST(test_udp_recv_empty_after_batch)
{
  uv_loop_t loop;
  uv_udp_t server;
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  struct sockaddr_storage dst;
  int fd, i;

  reset();
  batch_data = 0;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &server), 0);
  ck_assert_int_eq(uv_udp_bind(&server, (struct sockaddr *)&a, 0), 0);
  dst = udp_name(&server);
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  ck_assert_int_ge(fd, 0);
  for (i = 0; i < 3; i++)
    ck_assert_int_eq(sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in)), 1);
  ck_assert_int_eq(uv_udp_recv_start(&server, alloc_cb, recv_batch_cb), 0);
  uvtest_run(&loop, 10000);
  close(fd);
  ck_assert_int_eq(batch_data, 3);
  ck_assert_int_eq(recv_empty, 1);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* A datagram larger than the buffer: UV_UDP_PARTIAL. */
static void
small_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  (void)h;
  (void)suggested;
  buf->base = rbuf;
  buf->len = 4;
}

START_TEST(test_udp_partial)
{
  uv_loop_t loop;
  uv_udp_t server, client;
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  struct sockaddr_storage dst;
  uv_buf_t b = { "0123456789", 10 };

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &server), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &client), 0);
  ck_assert_int_eq(uv_udp_bind(&server, (struct sockaddr *)&a, 0), 0);
  dst = udp_name(&server);
  ck_assert_int_eq(uv_udp_recv_start(&server, small_alloc_cb, recv_close_cb), 0);
  ck_assert_int_eq(uv_udp_try_send(&client, &b, 1, (struct sockaddr *)&dst), 10);
  peer_to_close = &client;
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(recv_count, 1);
  ck_assert_int_eq(last_nread, 4);
  ck_assert_uint_eq(last_flags, UV_UDP_PARTIAL);
  ck_assert_int_eq(memcmp(last_data, "0123", 4), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* An empty buffer from alloc_cb: UV_ENOBUFS. */
static void
empty_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  (void)h;
  (void)suggested;
  buf->base = NULL;
  buf->len = 0;
}

static void
recv_enobufs_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                const struct sockaddr *addr, unsigned flags)
{
  (void)buf;
  (void)flags;
  ck_assert_int_eq(nread, UV_ENOBUFS);
  ck_assert_ptr_null(addr);
  recv_count++;
  ck_assert_int_eq(uv_udp_recv_stop(h), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)h), 0);
  uv_close((uv_handle_t *)h, close_cb);
}

START_TEST(test_udp_enobufs)
{
  uv_loop_t loop;
  uv_udp_t server;
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  struct sockaddr_storage dst;
  int fd;

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &server), 0);
  ck_assert_int_eq(uv_udp_bind(&server, (struct sockaddr *)&a, 0), 0);
  dst = udp_name(&server);
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  ck_assert_int_eq(sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in)), 1);
  ck_assert_int_eq(uv_udp_recv_start(&server, empty_alloc_cb, recv_enobufs_cb), 0);
  uvtest_run(&loop, 10000);
  close(fd);
  ck_assert_int_eq(recv_count, 1);
  ck_assert_int_eq(close_count, 1);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* ---- connect, disconnect -------------------------------------------------- */

START_TEST(test_udp_connect)
{
  uv_loop_t loop;
  uv_udp_t server, client;
  uv_udp_send_t req;
  struct sockaddr_in a = ip4("127.0.0.1", 0), bad;
  struct sockaddr_storage dst, peer;
  uv_buf_t b = { "PING", 4 };
  int len;

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &server), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &client), 0);
  ck_assert_int_eq(uv_udp_bind(&server, (struct sockaddr *)&a, 0), 0);
  dst = udp_name(&server);

  ck_assert_int_eq(uv_udp_connect(&client, NULL), UV_ENOTCONN);
  memset(&bad, 0, sizeof bad);
  bad.sin_family = AF_UNIX;
  ck_assert_int_eq(uv_udp_connect(&client, (struct sockaddr *)&bad), UV_EINVAL);
  len = sizeof peer;
  ck_assert_int_eq(uv_udp_getpeername(&client, (struct sockaddr *)&peer, &len), UV_EBADF);
  /* not connected, no address */
  ck_assert_int_eq(uv_udp_send(&req, &client, &b, 1, NULL, send_cb), UV_EDESTADDRREQ);
  ck_assert_int_eq(uv_udp_try_send(&client, &b, 1, NULL), UV_EDESTADDRREQ);

  ck_assert_int_eq(uv_udp_connect(&client, (struct sockaddr *)&dst), 0);
  ck_assert_int_eq(uv_udp_connect(&client, (struct sockaddr *)&dst), UV_EISCONN);
  len = sizeof peer;
  ck_assert_int_eq(uv_udp_getpeername(&client, (struct sockaddr *)&peer, &len), 0);
  ck_assert_int_eq(len, (int)sizeof(struct sockaddr_in));
  ck_assert_int_eq(((struct sockaddr_in *)&peer)->sin_port, ((struct sockaddr_in *)&dst)->sin_port);
  /* connected: an address is refused */
  ck_assert_int_eq(uv_udp_send(&req, &client, &b, 1, (struct sockaddr *)&dst, send_cb), UV_EISCONN);
  ck_assert_int_eq(uv_udp_try_send(&client, &b, 1, (struct sockaddr *)&dst), UV_EISCONN);

  ck_assert_int_eq(uv_udp_connect(&client, NULL), 0);
  ck_assert_int_eq(uv_udp_connect(&client, NULL), UV_ENOTCONN);
  len = sizeof peer;
  ck_assert_int_eq(uv_udp_getpeername(&client, (struct sockaddr *)&peer, &len), UV_ENOTCONN);
  ck_assert_int_eq(uv_udp_send(&req, &client, &b, 1, NULL, send_cb), UV_EDESTADDRREQ);

  /* connected again: a send without address reaches the server */
  ck_assert_int_eq(uv_udp_connect(&client, (struct sockaddr *)&dst), 0);
  ck_assert_int_eq(uv_udp_recv_start(&server, alloc_cb, recv_close_cb), 0);
  ck_assert_int_eq(uv_udp_send(&req, &client, &b, 1, NULL, send_cb), 0);
  peer_to_close = &client;
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(send_count, 1);
  ck_assert_int_eq(last_status, 0);
  ck_assert_int_eq(recv_count, 1);
  ck_assert_str_eq(last_data, "PING");
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* ---- errors ------------------------------------------------------------ */

static void
never_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
              const struct sockaddr *addr, unsigned flags)
{
  (void)h; (void)nread; (void)buf; (void)addr; (void)flags;
  ck_abort_msg("no datagram was sent");
}

START_TEST(test_udp_errors)
{
  uv_loop_t loop;
  uv_udp_t h, h2, h3;
  uv_udp_send_t req;
  struct sockaddr_in a = ip4("127.0.0.1", 0), bad;
  struct sockaddr_storage dst;
  uv_buf_t b = { "x", 1 };
  uv_os_fd_t fd;
  int s;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init_ex(&loop, &h, AF_UNIX), UV_EINVAL);
  ck_assert_int_eq(uv_udp_init_ex(&loop, &h, AF_INET | 512), UV_EINVAL);
  ck_assert_int_eq(uv_udp_init_ex(&loop, &h, AF_INET | UV_UDP_RECVMMSG), 0);
  ck_assert_int_eq(uv_fileno((uv_handle_t *)&h, &fd), 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(uv_udp_using_recvmmsg(&h), 0);
  /* it has a socket already */
  s = socket(AF_INET, SOCK_DGRAM, 0);
  ck_assert_int_eq(uv_udp_open(&h, s), UV_EBUSY);
  ck_assert_int_eq(uv_udp_init(&loop, &h2), 0);
  ck_assert_int_eq(uv_fileno((uv_handle_t *)&h2, &fd), UV_EBADF);
  /* no socket yet: the options say EBADF */
  ck_assert_int_eq(uv_udp_set_broadcast(&h2, 1), UV_EBADF);
  ck_assert_int_eq(uv_udp_set_ttl(&h2, 10), UV_EBADF);
  ck_assert_int_eq(uv_udp_set_ttl(&h2, 0), UV_EINVAL);
  ck_assert_int_eq(uv_udp_set_ttl(&h2, 256), UV_EINVAL);
  ck_assert_int_eq(uv_udp_set_multicast_ttl(&h2, 256), UV_EINVAL);
  ck_assert_int_eq(uv_udp_set_multicast_loop(&h2, -1), UV_EINVAL);
  ck_assert_int_eq(uv_udp_open(&h2, s), 0);
  ck_assert_int_eq(uv_fileno((uv_handle_t *)&h2, &fd), 0);
  ck_assert_int_eq(fd, s);
  ck_assert_int_ne(fcntl(s, F_GETFL) & O_NONBLOCK, 0);

  /* bind: bad family, IPV6ONLY on IPv4, unknown flag, twice */
  memset(&bad, 0, sizeof bad);
  bad.sin_family = AF_UNIX;
  ck_assert_int_eq(uv_udp_bind(&h, (struct sockaddr *)&bad, 0), UV_EINVAL);
  ck_assert_int_eq(uv_udp_bind(&h, (struct sockaddr *)&a, UV_UDP_IPV6ONLY), UV_EINVAL);
  ck_assert_int_eq(uv_udp_bind(&h, (struct sockaddr *)&a, 1024), UV_EINVAL);
  ck_assert_int_eq(uv_udp_bind(&h, (struct sockaddr *)&a, 0), 0);
  ck_assert_int_eq(uv_udp_bind(&h, (struct sockaddr *)&a, 0), UV_EINVAL);
  dst = udp_name(&h);
  /* the port is taken */
  ck_assert_int_eq(uv_udp_init(&loop, &h3), 0);
  ck_assert_int_eq(uv_udp_bind(&h3, (struct sockaddr *)&dst, 0), UV_EADDRINUSE);

  /* receive: NULL callbacks */
  ck_assert_int_eq(uv_udp_recv_start(&h, NULL, never_recv_cb), UV_EINVAL);
  ck_assert_int_eq(uv_udp_recv_start(&h, alloc_cb, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_udp_recv_stop(&h), 0); /* not receiving: fine */
  /* send: no buffers, bad family */
  ck_assert_int_eq(uv_udp_send(&req, &h2, &b, 0, (struct sockaddr *)&dst, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_udp_send(&req, &h2, &b, 1, (struct sockaddr *)&bad, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_udp_try_send(&h2, &b, 1, (struct sockaddr *)&bad), UV_EINVAL);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&h2), 0);

  /* recv_stop makes the handle inactive; closing: no more calls */
  ck_assert_int_eq(uv_udp_recv_start(&h, alloc_cb, never_recv_cb), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&h), 1);
  ck_assert_int_eq(uv_udp_recv_stop(&h), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&h), 0);
  uv_close((uv_handle_t *)&h3, NULL);
  ck_assert_int_eq(uv_udp_recv_start(&h3, alloc_cb, never_recv_cb), UV_EINVAL);
  ck_assert_int_eq(uv_udp_send(&req, &h3, &b, 1, (struct sockaddr *)&dst, NULL), UV_EBADF);
  uvtest_close_loop(&loop);
}
END_TEST

/* try_send: bytes sent at once; UV_EAGAIN while sends are queued. */
START_TEST(test_udp_try_send)
{
  uv_loop_t loop;
  uv_udp_t server, client;
  uv_udp_send_t req;
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  struct sockaddr_storage dst;
  uv_buf_t b[2] = { { "AB", 2 }, { "CD", 2 } };

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &server), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &client), 0);
  ck_assert_int_eq(uv_udp_bind(&server, (struct sockaddr *)&a, 0), 0);
  dst = udp_name(&server);
  ck_assert_int_eq(uv_udp_send(&req, &client, b, 2, (struct sockaddr *)&dst, send_cb), 0);
  ck_assert_int_eq(uv_udp_try_send(&client, b, 2, (struct sockaddr *)&dst), UV_EAGAIN);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0); /* the send callback */
  ck_assert_int_eq(send_count, 1);
  ck_assert_int_eq(last_status, 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&client), 0);
  ck_assert_int_eq(uv_udp_try_send(&client, b, 2, (struct sockaddr *)&dst), 4);
  ck_assert_int_eq(uv_udp_recv_start(&server, alloc_cb, recv_close_cb), 0);
  peer_to_close = &client;
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(recv_count, 1);
  ck_assert_int_eq(last_nread, 4);
  ck_assert_str_eq(last_data, "ABCD");
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* ---- a send queue that the socket cannot take at once ------------------ */

#define NSEND 400
static uv_udp_send_t sreqs[NSEND];
static int send_order_ok, send_ok, send_canceled, sends_before_close;
static char big[2048];

static void
queued_send_cb(uv_udp_send_t *req, int status)
{
  int i = (int)(req - sreqs);

  if (i != send_count)
    send_order_ok = 0;
  send_count++;
  if (status == 0) {
    ck_assert_int_eq(send_canceled, 0); /* cancelled ones come last */
    send_ok++;
  } else {
    ck_assert_int_eq(status, UV_ECANCELED);
    send_canceled++;
  }
  if (close_count != 0)
    sends_before_close = 0;
}

/* A connected datagram socketpair: the sender blocks when the peer's
 * queue is full (AF_UNIX datagrams are never dropped). */
static void
dgram_pair(int sv[2])
{
  int sz = 4096;

  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
  ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz), 0);
}

static int
fill_queue(uv_udp_t *h)
{
  uv_buf_t b = { big, sizeof big };
  int i;

  for (i = 0; i < NSEND; i++)
    ck_assert_int_eq(uv_udp_send(&sreqs[i], h, &b, 1, NULL, queued_send_cb), 0);
  ck_assert_uint_eq(h->send_queue_count, NSEND);
  ck_assert_uint_eq(h->send_queue_size, (size_t)NSEND * sizeof big);
  return 0;
}

START_TEST(test_udp_close_cancels_queued_sends)
{
  uv_loop_t loop;
  uv_udp_t h;
  int sv[2];

  reset();
  send_order_ok = 1;
  send_ok = send_canceled = 0;
  sends_before_close = 1;
  dgram_pair(sv);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &h), 0);
  ck_assert_int_eq(uv_udp_open(&h, sv[0]), 0);
  fill_queue(&h);
  uv_close((uv_handle_t *)&h, close_cb);
  ck_assert_int_eq(send_count, 0); /* callbacks come from the loop */
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(close_count, 1);
  ck_assert_int_eq(send_count, NSEND);
  ck_assert_int_eq(send_order_ok, 1);
  ck_assert_int_gt(send_canceled, 0); /* the peer read nothing */
  ck_assert_int_eq(sends_before_close, 1);
  ck_assert_uint_eq(h.send_queue_count, 0);
  ck_assert_uint_eq(h.send_queue_size, 0);
  close(sv[1]);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static int drained;
static void
drain_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
              const struct sockaddr *addr, unsigned flags)
{
  (void)buf; (void)addr; (void)flags;
  if (nread == 0)
    return;
  ck_assert_int_eq(nread, (ssize_t)sizeof big);
  if (++drained == NSEND)
    uv_close((uv_handle_t *)h, close_cb);
}

static void
all_sent_cb(uv_udp_send_t *req, int status)
{
  queued_send_cb(req, status);
  ck_assert_int_eq(status, 0);
  if (send_count == NSEND)
    uv_close((uv_handle_t *)req->handle, close_cb);
}

START_TEST(test_udp_send_queue_drains_in_order)
{
  uv_loop_t loop;
  uv_udp_t h, peer;
  uv_buf_t b = { big, sizeof big };
  int sv[2], i;

  reset();
  send_order_ok = 1;
  send_ok = send_canceled = drained = 0;
  sends_before_close = 1;
  dgram_pair(sv);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &h), 0);
  ck_assert_int_eq(uv_udp_open(&h, sv[0]), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &peer), 0);
  ck_assert_int_eq(uv_udp_open(&peer, sv[1]), 0);
  for (i = 0; i < NSEND; i++)
    ck_assert_int_eq(uv_udp_send(&sreqs[i], &h, &b, 1, NULL, all_sent_cb), 0);
  ck_assert_int_eq(uv_udp_recv_start(&peer, alloc_cb, drain_recv_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(send_count, NSEND);
  ck_assert_int_eq(send_ok, NSEND);
  ck_assert_int_eq(send_order_ok, 1);
  ck_assert_int_eq(drained, NSEND);
  ck_assert_int_eq(close_count, 2);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* ---- options ----------------------------------------------------------- */

static int
sockopt_int(int fd, int level, int name)
{
  int v = -1;
  socklen_t len = sizeof v;

  ck_assert_int_eq(getsockopt(fd, level, name, &v, &len), 0);
  return v;
}

START_TEST(test_udp_options)
{
  uv_loop_t loop;
  uv_udp_t h, h6;
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  uv_os_fd_t fd;
  int r;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &h), 0);
  ck_assert_int_eq(uv_udp_bind(&h, (struct sockaddr *)&a, UV_UDP_REUSEADDR), 0);
  ck_assert_int_eq(uv_fileno((uv_handle_t *)&h, &fd), 0);
  ck_assert_int_eq(sockopt_int(fd, SOL_SOCKET, SO_REUSEADDR), 1);

  ck_assert_int_eq(uv_udp_set_broadcast(&h, 1), 0);
  ck_assert_int_eq(sockopt_int(fd, SOL_SOCKET, SO_BROADCAST), 1);
  ck_assert_int_eq(uv_udp_set_broadcast(&h, 0), 0);
  ck_assert_int_eq(sockopt_int(fd, SOL_SOCKET, SO_BROADCAST), 0);
  ck_assert_int_eq(uv_udp_set_ttl(&h, 17), 0);
  ck_assert_int_eq(sockopt_int(fd, IPPROTO_IP, IP_TTL), 17);
  ck_assert_int_eq(uv_udp_set_multicast_ttl(&h, 5), 0);
  ck_assert_int_eq(sockopt_int(fd, IPPROTO_IP, IP_MULTICAST_TTL), 5);
  ck_assert_int_eq(uv_udp_set_multicast_loop(&h, 0), 0);
  ck_assert_int_eq(sockopt_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP), 0);
  ck_assert_int_eq(uv_udp_set_multicast_loop(&h, 1), 0);
  ck_assert_int_eq(sockopt_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP), 1);
  ck_assert_int_eq(uv_udp_set_multicast_interface(&h, "127.0.0.1"), 0);
  ck_assert_int_eq(uv_udp_set_multicast_interface(&h, NULL), 0);
  ck_assert_int_eq(uv_udp_set_multicast_interface(&h, "not-an-address"), UV_EINVAL);

  ck_assert_int_eq(uv_udp_set_membership(&h, "not-an-address", NULL, UV_JOIN_GROUP), UV_EINVAL);
  ck_assert_int_eq(uv_udp_set_membership(&h, "239.255.0.1", "bad", UV_JOIN_GROUP), UV_EINVAL);
  ck_assert_int_eq(uv_udp_set_membership(&h, "239.255.0.1", NULL, (uv_membership)7), UV_EINVAL);
  r = uv_udp_set_membership(&h, "239.255.0.1", "127.0.0.1", UV_JOIN_GROUP);
  if (r == 0) {
    ck_assert_int_eq(uv_udp_set_membership(&h, "239.255.0.1", "127.0.0.1", UV_JOIN_GROUP), UV_EADDRINUSE);
    ck_assert_int_eq(uv_udp_set_membership(&h, "239.255.0.1", "127.0.0.1", UV_LEAVE_GROUP), 0);
  } else {
    ck_assert(r == UV_ENODEV || r == UV_EADDRNOTAVAIL); /* no multicast here */
  }
  /* leaving a group never joined */
  ck_assert_int_eq(uv_udp_set_membership(&h, "239.255.0.2", "127.0.0.1", UV_LEAVE_GROUP), UV_EADDRNOTAVAIL);
  ck_assert_int_eq(uv_udp_set_source_membership(&h, "232.1.1.1", NULL, "bad", UV_JOIN_GROUP), UV_EINVAL);
  ck_assert_int_eq(uv_udp_set_source_membership(&h, "bad", NULL, "127.0.0.1", UV_JOIN_GROUP), UV_EINVAL);
  r = uv_udp_set_source_membership(&h, "232.1.1.1", "127.0.0.1", "127.0.0.1", UV_JOIN_GROUP);
  if (r == 0)
    ck_assert_int_eq(uv_udp_set_source_membership(&h, "232.1.1.1", "127.0.0.1", "127.0.0.1", UV_LEAVE_GROUP), 0);

  /* IPv6: the options take the IPv6 level */
  r = uv_udp_init_ex(&loop, &h6, AF_INET6);
  if (r == UV_EAFNOSUPPORT) { /* no IPv6 here */
    uvtest_close_loop(&loop);
    return;
  }
  ck_assert_int_eq(r, 0);
  ck_assert_int_eq(uv_fileno((uv_handle_t *)&h6, &fd), 0);
  ck_assert_int_eq(uv_udp_set_ttl(&h6, 33), 0);
  ck_assert_int_eq(sockopt_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 33);
  ck_assert_int_eq(uv_udp_set_multicast_ttl(&h6, 7), 0);
  ck_assert_int_eq(sockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS), 7);
  ck_assert_int_eq(uv_udp_set_multicast_loop(&h6, 0), 0);
  ck_assert_int_eq(sockopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP), 0);
  ck_assert_int_eq(uv_udp_set_multicast_interface(&h6, NULL), 0);
  uvtest_close_loop(&loop);
}
END_TEST

/* recv_stop, then start again: the datagram waits in the socket. */
static void
stop_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
             const struct sockaddr *addr, unsigned flags)
{
  (void)buf; (void)addr; (void)flags;
  if (nread == 0)
    return;
  recv_count++;
  ck_assert_int_eq(uv_udp_recv_stop(h), 0);
}

START_TEST(test_udp_recv_stop_restart)
{
  uv_loop_t loop;
  uv_udp_t server;
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  struct sockaddr_storage dst;
  int fd;

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &server), 0);
  ck_assert_int_eq(uv_udp_bind(&server, (struct sockaddr *)&a, 0), 0);
  dst = udp_name(&server);
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  ck_assert_int_eq(sendto(fd, "1", 1, 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in)), 1);
  ck_assert_int_eq(sendto(fd, "2", 1, 0, (struct sockaddr *)&dst, sizeof(struct sockaddr_in)), 1);
  ck_assert_int_eq(uv_udp_recv_start(&server, alloc_cb, stop_recv_cb), 0);
  /* the loop ends: the handle is inactive after one datagram */
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(recv_count, 1);
  ck_assert_int_eq(uv_udp_recv_start(&server, alloc_cb, stop_recv_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(recv_count, 2);
  close(fd);
  uvtest_close_loop(&loop);
}
END_TEST

/* More buffers than the inline array; a send queued from a send
 * callback goes out too, and its callback follows. */
static uv_udp_send_t chain_req[2];
static struct sockaddr_storage chain_dst;
static void
chain_send_cb(uv_udp_send_t *req, int status)
{
  static uv_buf_t b = { "second", 6 };

  ck_assert_int_eq(status, 0);
  send_count++;
  if (req == &chain_req[0]) {
    ck_assert_int_eq(uv_udp_send(&chain_req[1], req->handle, &b, 1, (struct sockaddr *)&chain_dst, chain_send_cb), 0);
    ck_assert_uint_eq(req->handle->send_queue_count, 1);
  }
}

static int chain_recv;
static void
chain_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
              const struct sockaddr *addr, unsigned flags)
{
  (void)addr; (void)flags;
  if (nread == 0)
    return;
  if (chain_recv++ == 0) {
    ck_assert_int_eq(nread, 12);
    ck_assert_int_eq(memcmp(buf->base, "abcdefghijkl", 12), 0);
  } else {
    ck_assert_int_eq(nread, 6);
    ck_assert_int_eq(memcmp(buf->base, "second", 6), 0);
    uv_close((uv_handle_t *)h, close_cb);
  }
}

START_TEST(test_udp_many_bufs_and_send_from_cb)
{
  uv_loop_t loop;
  uv_udp_t server, client;
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  uv_buf_t b[6] = { { "ab", 2 }, { "cd", 2 }, { "ef", 2 },
                    { "gh", 2 }, { "ij", 2 }, { "kl", 2 } };

  reset();
  chain_recv = 0;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &server), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &client), 0);
  ck_assert_int_eq(uv_udp_bind(&server, (struct sockaddr *)&a, 0), 0);
  chain_dst = udp_name(&server);
  ck_assert_int_eq(uv_udp_recv_start(&server, alloc_cb, chain_recv_cb), 0);
  ck_assert_int_eq(uv_udp_send(&chain_req[0], &client, b, 6, (struct sockaddr *)&chain_dst, chain_send_cb), 0);
  ck_assert_uint_eq(client.send_queue_size, 12);
  uvtest_run(&loop, 10000); /* the client ends when its sends are done */
  ck_assert_int_eq(send_count, 2);
  ck_assert_int_eq(chain_recv, 2);
  ck_assert_uint_eq(client.send_queue_count, 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&client), 0);
  uvtest_close_loop(&loop);
}
END_TEST

/* ======================================================================== */
/* poll handles                                                              */
/* ======================================================================== */

static int poll_calls, poll_iter, poll_last_events, poll_last_status;
static int poll_iters[8];
static uv_prepare_t iter_prep;

static void
iter_prepare_cb(uv_prepare_t *p)
{
  (void)p;
  poll_iter++;
}

static void
poll_reset(uv_loop_t *loop)
{
  poll_calls = poll_iter = poll_last_events = 0;
  poll_last_status = 1;
  close_count = 0;
  ck_assert_int_eq(uv_prepare_init(loop, &iter_prep), 0);
  ck_assert_int_eq(uv_prepare_start(&iter_prep, iter_prepare_cb), 0);
  uv_unref((uv_handle_t *)&iter_prep);
}

/* Never drains: must be called again in each following iteration. */
static void
level_cb(uv_poll_t *h, int status, int events)
{
  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(events, UV_READABLE);
  poll_iters[poll_calls++] = poll_iter;
  if (poll_calls == 3)
    uv_close((uv_handle_t *)h, close_cb);
}

START_TEST(test_poll_level_triggered)
{
  uv_loop_t loop;
  uv_poll_t p;
  int sv[2];

  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  poll_reset(&loop);
  ck_assert_int_eq(uv_poll_init(&loop, &p, sv[0]), 0);
  ck_assert_int_ne(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
  ck_assert_int_eq(write(sv[1], "abc", 3), 3);
  ck_assert_int_eq(uv_poll_start(&p, UV_READABLE, level_cb), 0);
  ck_assert_int_eq(poll_calls, 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&p), 1);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(poll_calls, 3);
  ck_assert_int_eq(poll_iters[1], poll_iters[0] + 1);
  ck_assert_int_eq(poll_iters[2], poll_iters[1] + 1);
  ck_assert_int_eq(close_count, 1);
  /* the descriptor is the program's: still open */
  ck_assert_int_ge(fcntl(sv[0], F_GETFL), 0);
  close(sv[0]);
  close(sv[1]);
  uvtest_close_loop(&loop);
}
END_TEST

/* Drains each time; the writer adds more from a check callback once the
 * poll handle went quiet: every write must be seen (re-armed after a
 * drain, on edge-triggered backends too). */
static int writes_left, sv_w;
static uv_check_t writer_check;
static int quiet;

static void
drain_cb(uv_poll_t *h, int status, int events)
{
  char buf[64];
  uv_os_fd_t fd;

  ck_assert_int_eq(status, 0);
  ck_assert_int_ne(events & UV_READABLE, 0);
  poll_calls++;
  ck_assert_int_eq(uv_fileno((uv_handle_t *)h, &fd), 0);
  while (read(fd, buf, sizeof buf) > 0)
    ;
  quiet = 0;
  if (writes_left == 0) {
    uv_close((uv_handle_t *)h, close_cb);
    uv_close((uv_handle_t *)&writer_check, NULL);
  }
}

static void
writer_check_cb(uv_check_t *c)
{
  (void)c;
  /* two quiet iterations after a drain, then write again */
  if (++quiet < 2 || writes_left == 0)
    return;
  writes_left--;
  ck_assert_int_eq(write(sv_w, "z", 1), 1);
}

START_TEST(test_poll_rearm_after_drain)
{
  uv_loop_t loop;
  uv_poll_t p;
  int sv[2];
  uv_os_fd_t fd;

  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  poll_reset(&loop);
  ck_assert_int_eq(uv_poll_init_socket(&loop, &p, sv[0]), 0);
  ck_assert_int_eq(uv_fileno((uv_handle_t *)&p, &fd), 0);
  ck_assert_int_eq(fd, sv[0]);
  sv_w = sv[1];
  writes_left = 4;
  quiet = 0;
  ck_assert_int_eq(uv_check_init(&loop, &writer_check), 0);
  ck_assert_int_eq(uv_check_start(&writer_check, writer_check_cb), 0);
  ck_assert_int_eq(uv_poll_start(&p, UV_READABLE, drain_cb), 0);
  ck_assert_int_eq(write(sv[1], "a", 1), 1);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(poll_calls, 5);
  close(sv[0]);
  close(sv[1]);
  uvtest_close_loop(&loop);
}
END_TEST

static void
writable_cb(uv_poll_t *h, int status, int events)
{
  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(events, UV_WRITABLE);
  poll_calls++;
  ck_assert_int_eq(uv_poll_stop(h), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)h), 0);
}

START_TEST(test_poll_writable_stop_restart)
{
  uv_loop_t loop;
  uv_poll_t p;
  int sv[2];

  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  poll_reset(&loop);
  ck_assert_int_eq(uv_poll_init(&loop, &p, sv[0]), 0);
  /* not readable: only WRITABLE is reported */
  ck_assert_int_eq(uv_poll_start(&p, UV_READABLE | UV_WRITABLE, writable_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(poll_calls, 1);
  /* restart: reported again */
  ck_assert_int_eq(uv_poll_start(&p, UV_WRITABLE, writable_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(poll_calls, 2);
  /* events 0 stops */
  ck_assert_int_eq(uv_poll_start(&p, UV_WRITABLE, writable_cb), 0);
  ck_assert_int_eq(uv_poll_start(&p, 0, writable_cb), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&p), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(poll_calls, 2);
  /* stopped: the descriptor may be closed while the handle lives */
  close(sv[0]);
  close(sv[1]);
  uvtest_close_loop(&loop);
}
END_TEST

static void
disconnect_cb(uv_poll_t *h, int status, int events)
{
  ck_assert_int_eq(status, 0);
  poll_last_events = events;
  poll_calls++;
  uv_close((uv_handle_t *)h, close_cb);
}

START_TEST(test_poll_disconnect_and_hangup)
{
  uv_loop_t loop;
  uv_poll_t p, q;
  int sv[2], sw[2];

  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sw), 0);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  poll_reset(&loop);
  ck_assert_int_eq(uv_poll_init(&loop, &p, sv[0]), 0);
  ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
  ck_assert_int_eq(uv_poll_start(&p, UV_DISCONNECT, disconnect_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(poll_calls, 1);
  ck_assert_int_eq(poll_last_events, UV_DISCONNECT);

  /* the peer closed: READABLE (a read sees end of file) */
  ck_assert_int_eq(uv_poll_init(&loop, &q, sw[0]), 0);
  ck_assert_int_eq(uv_poll_start(&q, UV_READABLE, disconnect_cb), 0);
  close(sw[1]);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(poll_calls, 2);
  ck_assert_int_eq(poll_last_events & UV_READABLE, UV_READABLE);
  close(sv[0]);
  close(sv[1]);
  close(sw[0]);
  uvtest_close_loop(&loop);
}
END_TEST

/* An error condition (a refused datagram: POLLERR) ends the watch with
 * UV_EBADF, as libuv. */
static void
error_poll_cb(uv_poll_t *h, int status, int events)
{
  poll_last_status = status;
  poll_last_events = events;
  poll_calls++;
  ck_assert_int_eq(uv_is_active((uv_handle_t *)h), 0);
  uv_close((uv_handle_t *)h, close_cb);
}

START_TEST(test_poll_error_condition)
{
  uv_loop_t loop;
  uv_poll_t p;
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  socklen_t len = sizeof a;
  int s, closed;

  /* a port nobody listens on: bind one, note it, close it */
  closed = socket(AF_INET, SOCK_DGRAM, 0);
  ck_assert_int_eq(bind(closed, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(getsockname(closed, (struct sockaddr *)&a, &len), 0);
  close(closed);
  s = socket(AF_INET, SOCK_DGRAM, 0);
  ck_assert_int_eq(connect(s, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(send(s, "x", 1, 0), 1); /* the ICMP reply sets SO_ERROR */
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  poll_reset(&loop);
  ck_assert_int_eq(uv_poll_init_socket(&loop, &p, s), 0);
  ck_assert_int_eq(uv_poll_start(&p, UV_READABLE, error_poll_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(poll_calls, 1);
  ck_assert_int_eq(poll_last_status, UV_EBADF);
  ck_assert_int_eq(poll_last_events, 0);
  close(s);
  uvtest_close_loop(&loop);
}
END_TEST

static void
never_poll_cb(uv_poll_t *h, int status, int events)
{
  (void)h; (void)status; (void)events;
  ck_abort_msg("a closed or stopped poll handle was called");
}

static void
close_in_check_cb(uv_check_t *c)
{
  uv_poll_t *p = c->data;

  uv_close((uv_handle_t *)p, close_cb);
  uv_close((uv_handle_t *)c, NULL);
}

START_TEST(test_poll_errors_and_close)
{
  uv_loop_t loop;
  uv_poll_t p, p2;
  uv_check_t c;
  int sv[2], fd;
  char path[] = "/tmp/uvapi-poll-XXXXXX";

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  poll_reset(&loop);
  fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  unlink(path);
  ck_assert_int_eq(uv_poll_init(&loop, &p, fd), UV_EPERM);
  close(fd);
  ck_assert_int_eq(uv_poll_init(&loop, &p, fd), UV_EBADF);
  ck_assert_int_eq(uv_poll_init(&loop, &p, -1), UV_EBADF);

  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ck_assert_int_eq(uv_poll_init(&loop, &p, sv[0]), 0);
  ck_assert_int_eq(uv_poll_init(&loop, &p2, sv[0]), UV_EEXIST);
  ck_assert_int_eq(uv_poll_start(&p, UV_PRIORITIZED, never_poll_cb), UV_ENOTSUP);
  ck_assert_int_eq(uv_poll_start(&p, 64, never_poll_cb), UV_EINVAL);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&p), 0);
  /* readable data, but closed before the loop looks: no callback */
  ck_assert_int_eq(write(sv[1], "x", 1), 1);
  ck_assert_int_eq(uv_poll_start(&p, UV_READABLE, never_poll_cb), 0);
  uv_close((uv_handle_t *)&p, close_cb);
  ck_assert_int_eq(uv_poll_start(&p, UV_READABLE, never_poll_cb), UV_EINVAL);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(close_count, 1);

  /* closed while started (from a check callback, between polls) */
  ck_assert_int_eq(uv_poll_init(&loop, &p2, sv[1]), 0);
  ck_assert_int_eq(uv_poll_start(&p2, UV_READABLE, never_poll_cb), 0);
  ck_assert_int_eq(uv_check_init(&loop, &c), 0);
  c.data = &p2;
  ck_assert_int_eq(uv_check_start(&c, close_in_check_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(close_count, 2);
  close(sv[0]);
  close(sv[1]);
  uvtest_close_loop(&loop);
}
END_TEST

Suite *
uvtest_udp_suite(void)
{
  Suite *s = suite_create("uv-udp");
  TCase *tc = tcase_create("udp");

  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_udp_send_recv_ipv4);
  tcase_add_test(tc, test_udp_send_recv_ipv6);
  tcase_add_test(tc, test_udp_recv_empty_after_batch);
  tcase_add_test(tc, test_udp_partial);
  tcase_add_test(tc, test_udp_enobufs);
  tcase_add_test(tc, test_udp_connect);
  tcase_add_test(tc, test_udp_errors);
  tcase_add_test(tc, test_udp_try_send);
  tcase_add_test(tc, test_udp_close_cancels_queued_sends);
  tcase_add_test(tc, test_udp_send_queue_drains_in_order);
  tcase_add_test(tc, test_udp_options);
  tcase_add_test(tc, test_udp_recv_stop_restart);
  tcase_add_test(tc, test_udp_many_bufs_and_send_from_cb);
  suite_add_tcase(s, tc);

  tc = tcase_create("poll");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_poll_level_triggered);
  tcase_add_test(tc, test_poll_rearm_after_drain);
  tcase_add_test(tc, test_poll_writable_stop_restart);
  tcase_add_test(tc, test_poll_disconnect_and_hangup);
  tcase_add_test(tc, test_poll_errors_and_close);
  tcase_add_test(tc, test_poll_error_condition);
  suite_add_tcase(s, tc);
  return s;
}
