/* SPDX-License-Identifier: MIT */
/* tests/uvapi: streams (TCP, pipes, TTY): libuv's documented behaviour:
 * callback order, error codes, close with requests in flight. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "uvtest.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define NONBLOCK_PIPE 0x40 /* UV_NONBLOCK_PIPE */

/* The callback-order recorder of main.c, by short names. */
#define order uvtest_order
#define order_len uvtest_order_len
#define note uvtest_note
#define reset_order uvtest_reset_order

static struct sockaddr_in
addr4(const char *ip, int port)
{
  struct sockaddr_in a;

  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  ck_assert_int_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
  return a;
}

static int
tcp_port(uv_tcp_t *t)
{
  struct sockaddr_storage ss;
  int len = sizeof ss;

  ck_assert_int_eq(uv_tcp_getsockname(t, (struct sockaddr *)&ss, &len), 0);
  ck_assert_int_eq(ss.ss_family, AF_INET);
  return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Run until *@flag is set (the test case's timeout is the safety net). */
static void
run_until(uv_loop_t *loop, const int *flag)
{
  while (!*flag)
    uv_run(loop, UV_RUN_ONCE);
}

static char rbuf_static[65536];

static void
alloc_static(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
  (void)h;
  (void)size;
  buf->base = rbuf_static;
  buf->len = sizeof rbuf_static;
}

/* ---- a connected TCP pair -------------------------------------------------- */

struct pair {
  uv_loop_t *loop;
  uv_tcp_t server, accepted, client;
  uv_connect_t creq;
  int connected, accepted_ok, connect_status;
};

static void
pair_connection_cb(uv_stream_t *server, int status)
{
  struct pair *p = server->data;

  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(uv_tcp_init(p->loop, &p->accepted), 0);
  ck_assert_int_eq(uv_accept(server, (uv_stream_t *)&p->accepted), 0);
  ck_assert_int_eq(uv_accept(server, (uv_stream_t *)&p->accepted), UV_EAGAIN);
  p->accepted_ok = 1;
  note('A');
}

static void
pair_connect_cb(uv_connect_t *req, int status)
{
  struct pair *p = req->data;

  ck_assert_ptr_eq(req->handle, (uv_stream_t *)&p->client);
  p->connect_status = status;
  p->connected = 1;
  note('C');
}

static void
pair_open(uv_loop_t *loop, struct pair *p)
{
  struct sockaddr_in a = addr4("127.0.0.1", 0);

  memset(p, 0, sizeof *p);
  p->loop = loop;
  ck_assert_int_eq(uv_tcp_init(loop, &p->server), 0);
  p->server.data = p;
  ck_assert_int_eq(uv_tcp_bind(&p->server, (struct sockaddr *)&a, 0), 0);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&p->server, 16, pair_connection_cb), 0);
  ck_assert(uv_is_active((uv_handle_t *)&p->server));
  a = addr4("127.0.0.1", tcp_port(&p->server));
  ck_assert_int_eq(uv_tcp_init(loop, &p->client), 0);
  p->creq.data = p;
  ck_assert_int_eq(uv_tcp_connect(&p->creq, &p->client, (struct sockaddr *)&a,
                                  pair_connect_cb), 0);
  ck_assert_int_eq(p->connected, 0); /* never from the call */
  ck_assert_int_eq(uv_tcp_connect(&p->creq, &p->client, (struct sockaddr *)&a,
                                  pair_connect_cb), UV_EALREADY);
  run_until(loop, &p->connected);
  run_until(loop, &p->accepted_ok);
  ck_assert_int_eq(p->connect_status, 0);
}

/* ---- errors on misuse -------------------------------------------------------- */

static void
never_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
  (void)h; (void)s; (void)b;
  ck_abort_msg("alloc_cb called");
}
static void
never_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  (void)s; (void)n; (void)b;
  ck_abort_msg("read_cb called");
}
static void
never_connection(uv_stream_t *s, int st)
{
  (void)s; (void)st;
  ck_abort_msg("connection_cb called");
}

START_TEST(test_tcp_errors)
{
  uv_loop_t loop;
  uv_tcp_t t, t2;
  uv_write_t w;
  uv_shutdown_t sh;
  struct sockaddr_in a = addr4("127.0.0.1", 0);
  struct sockaddr_storage ss;
  struct sockaddr un = { .sa_family = AF_UNIX };
  int len = sizeof ss;
  uv_buf_t b = { "x", 1 };
  uv_os_fd_t fd;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_tcp_init_ex(&loop, &t, AF_UNIX), UV_EINVAL);
  ck_assert_int_eq(uv_tcp_init_ex(&loop, &t, AF_INET | 0x100), UV_EINVAL);
  ck_assert_int_eq(uv_tcp_init(&loop, &t), 0);
  ck_assert_int_eq(uv_fileno((uv_handle_t *)&t, &fd), UV_EBADF);
  ck_assert_int_eq(uv_tcp_getsockname(&t, (struct sockaddr *)&ss, &len), UV_EBADF);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&t, never_alloc, never_read), UV_ENOTCONN);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&t, NULL, never_read), UV_EINVAL);
  ck_assert_int_eq(uv_write(&w, (uv_stream_t *)&t, &b, 1, NULL), UV_EBADF);
  ck_assert_int_eq(uv_try_write((uv_stream_t *)&t, &b, 1), UV_EBADF);
  ck_assert_int_eq(uv_shutdown(&sh, (uv_stream_t *)&t, NULL), UV_ENOTCONN);
  ck_assert_int_eq(uv_tcp_bind(&t, &un, 0), UV_EINVAL);
  ck_assert_int_eq(uv_tcp_bind(&t, (struct sockaddr *)&a, UV_TCP_IPV6ONLY), UV_EINVAL);
  ck_assert_int_eq(uv_accept((uv_stream_t *)&t, (uv_stream_t *)&t), UV_EAGAIN);
  /* options before the socket exists are kept */
  ck_assert_int_eq(uv_tcp_nodelay(&t, 1), 0);
  ck_assert_int_eq(uv_tcp_keepalive(&t, 1, 30), 0);
  ck_assert_int_eq(uv_tcp_simultaneous_accepts(&t, 0), 0);
  ck_assert_int_eq(uv_tcp_simultaneous_accepts(&t, 1), 0);
  ck_assert_int_eq(uv_tcp_bind(&t, (struct sockaddr *)&a, 0), 0);
  ck_assert_int_eq(uv_fileno((uv_handle_t *)&t, &fd), 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(uv_tcp_getpeername(&t, (struct sockaddr *)&ss, &len), UV_ENOTCONN);
  ck_assert(!uv_is_readable((uv_stream_t *)&t));
  ck_assert(!uv_is_writable((uv_stream_t *)&t));
  ck_assert(!uv_is_active((uv_handle_t *)&t));
  /* init_ex makes the socket now */
  ck_assert_int_eq(uv_tcp_init_ex(&loop, &t2, AF_INET6), 0);
  ck_assert_int_eq(uv_fileno((uv_handle_t *)&t2, &fd), 0);
  ck_assert_int_eq(uv_tcp_open(&t2, 0), UV_EBUSY);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&t2, 1, NULL), UV_EINVAL);
  uv_close((uv_handle_t *)&t2, NULL);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&t2, 1, never_connection), UV_EINVAL);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&t2, never_alloc, never_read), UV_EINVAL);
  ck_assert_int_eq(uv_fileno((uv_handle_t *)&t2, &fd), UV_EBADF);
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- ping-pong -------------------------------------------------------------------- */

static int pp_rounds;
static char pp_buf[64];

static void
pp_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
  (void)h;
  ck_assert_uint_eq(size, 65536);
  buf->base = pp_buf;
  buf->len = sizeof pp_buf;
}

static void
pp_write_cb(uv_write_t *req, int status)
{
  ck_assert_int_eq(status, 0);
  free(req);
}

static void
pp_send(uv_stream_t *s, const char *msg)
{
  uv_write_t *w = malloc(sizeof *w);
  uv_buf_t b = { (char *)msg, strlen(msg) };

  ck_assert_int_eq(uv_write(w, s, &b, 1, pp_write_cb), 0);
  ck_assert_ptr_eq(w->handle, s);
}

static void
pp_read_server(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  if (n == 0)
    return;
  ck_assert_int_eq(n, 4);
  ck_assert(memcmp(b->base, "PING", 4) == 0);
  pp_send(s, "PONG");
}

static void
pp_read_client(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  if (n == 0)
    return;
  ck_assert_int_eq(n, 4);
  ck_assert(memcmp(b->base, "PONG", 4) == 0);
  if (++pp_rounds == 1000) {
    uv_close((uv_handle_t *)s, NULL);
    uv_close((uv_handle_t *)s->data, NULL);
    return;
  }
  pp_send(s, "PING");
}

START_TEST(test_tcp_ping_pong)
{
  uv_loop_t loop;
  struct pair p;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  reset_order();
  pair_open(&loop, &p);
  uv_close((uv_handle_t *)&p.server, NULL);
  ck_assert(uv_is_readable((uv_stream_t *)&p.client));
  ck_assert(uv_is_writable((uv_stream_t *)&p.accepted));
  ck_assert_int_eq(uv_tcp_nodelay(&p.client, 1), 0);
  ck_assert_int_eq(uv_tcp_keepalive(&p.client, 1, 60), 0);
  ck_assert_int_eq(uv_tcp_keepalive(&p.client, 0, 0), 0);
  {
    int v = 0;

    ck_assert_int_eq(uv_send_buffer_size((uv_handle_t *)&p.client, &v), 0);
    ck_assert_int_gt(v, 0);
  }
  p.client.data = &p.accepted;
  pp_rounds = 0;
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&p.accepted, pp_alloc, pp_read_server), 0);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&p.client, pp_alloc, pp_read_client), 0);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&p.client, pp_alloc, pp_read_client), UV_EALREADY);
  ck_assert(uv_is_active((uv_handle_t *)&p.client));
  pp_send((uv_stream_t *)&p.client, "PING");
  uvtest_run(&loop, 20000);
  ck_assert_int_eq(pp_rounds, 1000);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* ---- echo server with many connections ----------------------------------------------- */

#define ECHO_CONNS 1000
#define ECHO_MSG "hello, echo server"

struct echo_client {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  char buf[64];
  size_t got;
};

struct echo_conn {
  uv_tcp_t tcp;
  char buf[256];
};

static int echo_done, echo_accepted, echo_closed;
static uv_tcp_t echo_server;

static void echo_conn_close_cb(uv_handle_t *h) { free(h->data); echo_closed++; }

static void
echo_conn_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
  struct echo_conn *c = h->data;

  (void)s;
  b->base = c->buf;
  b->len = sizeof c->buf;
}

static void
echo_conn_write_cb(uv_write_t *w, int status)
{
  ck_assert(status == 0 || status == UV_ECANCELED);
  free(w);
}

static void
echo_conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  uv_write_t *w;
  uv_buf_t o;

  if (n == 0)
    return;
  if (n < 0) {
    ck_assert_int_eq(n, UV_EOF);
    uv_close((uv_handle_t *)s, echo_conn_close_cb);
    return;
  }
  /* the request and a copy of the bytes in one block, freed by the callback */
  w = malloc(sizeof *w + (size_t)n);
  memcpy(w + 1, b->base, (size_t)n);
  o.base = (char *)(w + 1);
  o.len = (size_t)n;
  ck_assert_int_eq(uv_write(w, s, &o, 1, echo_conn_write_cb), 0);
}

static void
echo_connection_cb(uv_stream_t *server, int status)
{
  struct echo_conn *c = calloc(1, sizeof *c);

  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(uv_tcp_init(server->loop, &c->tcp), 0);
  c->tcp.data = c;
  ck_assert_int_eq(uv_accept(server, (uv_stream_t *)&c->tcp), 0);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&c->tcp, echo_conn_alloc, echo_conn_read), 0);
  echo_accepted++;
}

static void
echo_client_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
  struct echo_client *c = h->data;

  (void)s;
  b->base = c->buf + c->got;
  b->len = sizeof c->buf - c->got;
}

static void
echo_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  struct echo_client *c = s->data;

  (void)b;
  if (n == 0)
    return;
  ck_assert_int_gt(n, 0);
  c->got += (size_t)n;
  if (c->got == strlen(ECHO_MSG)) {
    ck_assert(memcmp(c->buf, ECHO_MSG, c->got) == 0);
    uv_close((uv_handle_t *)s, NULL);
    if (++echo_done == ECHO_CONNS)
      uv_close((uv_handle_t *)&echo_server, NULL);
  }
}

static void
echo_client_connect(uv_connect_t *req, int status)
{
  struct echo_client *c = req->data;
  uv_buf_t b = { (char *)ECHO_MSG, strlen(ECHO_MSG) };

  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&c->tcp, echo_client_alloc, echo_client_read), 0);
  ck_assert_int_eq(uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, NULL), 0);
}

START_TEST(test_tcp_echo_many)
{
  uv_loop_t loop;
  struct echo_client *cl;
  struct rlimit rl;
  struct sockaddr_in a = addr4("127.0.0.1", 0);
  int i;

  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
  }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 2100) {
    fprintf(stderr, "test_tcp_echo_many: skipped: RLIMIT_NOFILE %lu < 2100\n",
            (unsigned long)rl.rlim_cur);
    return;
  }
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  echo_done = echo_accepted = echo_closed = 0;
  ck_assert_int_eq(uv_tcp_init(&loop, &echo_server), 0);
  ck_assert_int_eq(uv_tcp_bind(&echo_server, (struct sockaddr *)&a, 0), 0);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&echo_server, 1024, echo_connection_cb), 0);
  a = addr4("127.0.0.1", tcp_port(&echo_server));
  cl = calloc(ECHO_CONNS, sizeof *cl);
  for (i = 0; i < ECHO_CONNS; i++) {
    ck_assert_int_eq(uv_tcp_init(&loop, &cl[i].tcp), 0);
    cl[i].tcp.data = &cl[i];
    cl[i].creq.data = &cl[i];
    ck_assert_int_eq(uv_tcp_connect(&cl[i].creq, &cl[i].tcp, (struct sockaddr *)&a,
                                    echo_client_connect), 0);
  }
  uvtest_run(&loop, 60000);
  ck_assert_int_eq(echo_done, ECHO_CONNS);
  ck_assert_int_eq(echo_accepted, ECHO_CONNS);
  ck_assert_int_eq(echo_closed, ECHO_CONNS);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
  free(cl);
}
END_TEST

/* ---- write order, write_queue_size, more than 4 buffers --------------------------------- */

#define BIG (4u << 20)
static char *big_data;
static size_t big_got;
static char *big_recv;
static int wcb_index[8], wcb_count, wcb_status[8];
static int in_uv_write;

static void
order_write_cb(uv_write_t *req, int status)
{
  ck_assert(!in_uv_write);
  wcb_index[wcb_count] = (int)(intptr_t)req->data;
  wcb_status[wcb_count] = status;
  wcb_count++;
  note('W');
}

static void
big_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
  (void)h;
  (void)s;
  b->base = big_recv + big_got;
  b->len = 6 * (size_t)BIG + 64 - big_got;
}

static void
big_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  (void)b;
  if (n == 0)
    return;
  if (n == UV_EOF) {
    note('E');
    uv_close((uv_handle_t *)s, NULL);
    return;
  }
  ck_assert_int_gt(n, 0);
  big_got += (size_t)n;
}

static void
shutdown_cb_note(uv_shutdown_t *req, int status)
{
  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(uv_shutdown(req, req->handle, NULL), UV_ENOTCONN);
  note('S');
}

START_TEST(test_write_order_queue_size)
{
  uv_loop_t loop;
  struct pair p;
  uv_write_t w[3];
  uv_shutdown_t sh;
  uv_buf_t bufs[10];
  size_t total = 0, i;
  char *cmp;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  reset_order();
  pair_open(&loop, &p);
  uv_close((uv_handle_t *)&p.server, NULL);
  big_data = malloc(BIG);
  big_recv = malloc(6 * (size_t)BIG + 64);
  big_got = 0;
  for (i = 0; i < BIG; i++)
    big_data[i] = (char)(i * 7 + i / 251);
  wcb_count = 0;
  reset_order();
  /* 1: one big buffer; 2: ten buffers (more than the inline four); 3: small */
  in_uv_write = 1;
  w[0].data = (void *)0;
  bufs[0].base = big_data;
  bufs[0].len = BIG;
  ck_assert_int_eq(uv_write(&w[0], (uv_stream_t *)&p.client, bufs, 1, order_write_cb), 0);
  total += BIG;
  ck_assert_uint_gt(p.client.write_queue_size, 0); /* 4 MiB cannot go at once */
  ck_assert_uint_eq(uv_stream_get_write_queue_size((uv_stream_t *)&p.client),
                    p.client.write_queue_size);
  for (i = 0; i < 10; i++) {
    bufs[i].base = big_data + i * (BIG / 10);
    bufs[i].len = BIG / 10;
    total += BIG / 10;
  }
  w[1].data = (void *)1;
  ck_assert_int_eq(uv_write(&w[1], (uv_stream_t *)&p.client, bufs, 10, order_write_cb), 0);
  w[2].data = (void *)2;
  bufs[0].base = "tail";
  bufs[0].len = 4;
  total += 4;
  ck_assert_int_eq(uv_write(&w[2], (uv_stream_t *)&p.client, bufs, 1, order_write_cb), 0);
  ck_assert_int_eq(uv_try_write((uv_stream_t *)&p.client, bufs, 1), UV_EAGAIN);
  ck_assert_int_eq(uv_shutdown(&sh, (uv_stream_t *)&p.client, shutdown_cb_note), 0);
  ck_assert_int_eq(uv_shutdown(&sh, (uv_stream_t *)&p.client, NULL), UV_ENOTCONN);
  ck_assert_int_eq(uv_write(&w[2], (uv_stream_t *)&p.client, bufs, 1, NULL), UV_EPIPE);
  ck_assert(!uv_is_writable((uv_stream_t *)&p.client));
  in_uv_write = 0;
  ck_assert_int_eq(wcb_count, 0);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&p.accepted, big_alloc, big_read), 0);
  uvtest_run(&loop, 30000);
  ck_assert_int_eq(wcb_count, 3);
  for (i = 0; i < 3; i++) {
    ck_assert_int_eq(wcb_index[i], (int)i);
    ck_assert_int_eq(wcb_status[i], 0);
  }
  ck_assert_str_eq(order, "WWWSE");
  ck_assert_uint_eq(p.client.write_queue_size, 0);
  ck_assert_uint_eq(big_got, total);
  cmp = big_recv;
  ck_assert(memcmp(cmp, big_data, BIG) == 0);
  ck_assert(memcmp(cmp + BIG, big_data, BIG / 10 * 10) == 0);
  ck_assert(memcmp(cmp + BIG + BIG / 10 * 10, "tail", 4) == 0);
  uvtest_close_loop(&loop);
  free(big_data);
  free(big_recv);
}
END_TEST

static void cancel_write_cb(uv_write_t *req, int status);

/* ---- immediate writes: callback deferred, queue size back to 0 ------------------------ */

static int small_wcb;

static void
small_write_cb(uv_write_t *req, int status)
{
  (void)req;
  ck_assert_int_eq(status, 0);
  small_wcb++;
}

START_TEST(test_write_deferred_try_write)
{
  uv_loop_t loop;
  struct pair p;
  uv_write_t w;
  uv_buf_t b = { "abc", 3 }, z = { "", 0 };
  char *chunk = calloc(1, 65536);
  uv_buf_t cb = { chunk, 65536 };
  int r, n = 0;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  pair_open(&loop, &p);
  small_wcb = 0;
  ck_assert_int_eq(uv_write(&w, (uv_stream_t *)&p.client, &b, 1, small_write_cb), 0);
  ck_assert_uint_eq(p.client.write_queue_size, 0); /* written at once */
  ck_assert_int_eq(small_wcb, 0);                  /* but called back later */
  ck_assert_int_eq(uv_try_write((uv_stream_t *)&p.client, &b, 1), 3);
  ck_assert_int_eq(uv_write(&w, (uv_stream_t *)&p.client, &b, 0, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_try_write((uv_stream_t *)&p.client, &z, 0), UV_EINVAL);
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(small_wcb, 1);
  /* fill the socket: try_write ends with UV_EAGAIN */
  while ((r = uv_try_write((uv_stream_t *)&p.client, &cb, 1)) > 0)
    ck_assert_int_lt(++n, 100000);
  ck_assert_int_eq(r, UV_EAGAIN);
  reset_order();
  ck_assert_int_eq(uv_write(&w, (uv_stream_t *)&p.client, &b, 1, cancel_write_cb), 0);
  ck_assert_uint_eq(p.client.write_queue_size, 3);
  ck_assert_int_eq(uv_try_write((uv_stream_t *)&p.client, &b, 1), UV_EAGAIN);
  uvtest_close_loop(&loop);
  ck_assert_int_eq(small_wcb, 1);
  ck_assert_str_eq(order, "c"); /* the queued write was cancelled by the close */
  free(chunk);
}
END_TEST

/* ---- close with requests in flight ---------------------------------------------------- */

static void
cancel_write_cb(uv_write_t *req, int status)
{
  (void)req;
  note(status == UV_ECANCELED ? 'c' : (status == 0 ? 'w' : '?'));
}

static void
cancel_shutdown_cb(uv_shutdown_t *req, int status)
{
  (void)req;
  note(status == UV_ECANCELED ? 's' : '?');
}

static void
cancel_close_cb(uv_handle_t *h)
{
  (void)h;
  note('X');
}

START_TEST(test_close_with_writes_pending)
{
  uv_loop_t loop;
  struct pair p;
  uv_write_t w[3];
  uv_shutdown_t sh;
  char *chunk = calloc(1, 8u << 20);
  uv_buf_t b = { chunk, 8u << 20 };

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  pair_open(&loop, &p);
  reset_order();
  ck_assert_int_eq(uv_write(&w[0], (uv_stream_t *)&p.client, &b, 1, cancel_write_cb), 0);
  ck_assert_int_eq(uv_write(&w[1], (uv_stream_t *)&p.client, &b, 1, cancel_write_cb), 0);
  ck_assert_int_eq(uv_write(&w[2], (uv_stream_t *)&p.client, &b, 1, cancel_write_cb), 0);
  ck_assert_int_eq(uv_shutdown(&sh, (uv_stream_t *)&p.client, cancel_shutdown_cb), 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_str_eq(order, ""); /* nobody reads: everything still queued */
  uv_close((uv_handle_t *)&p.client, cancel_close_cb);
  ck_assert_str_eq(order, "");
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_str_eq(order, "cccsX");
  uvtest_close_loop(&loop);
  free(chunk);
}
END_TEST

static void
connect_cancel_cb(uv_connect_t *req, int status)
{
  (void)req;
  ck_assert_int_eq(status, UV_ECANCELED);
  note('c');
}

static void
refused_cb(uv_connect_t *req, int status)
{
  (void)req;
  ck_assert_int_eq(status, UV_ECONNREFUSED);
  note('r');
  uv_close((uv_handle_t *)req->handle, NULL);
}

START_TEST(test_connect_refused_and_cancel)
{
  uv_loop_t loop;
  uv_tcp_t t, c, c2;
  uv_connect_t req, req2;
  uv_write_t w;
  uv_buf_t b = { "x", 1 };
  struct sockaddr_in a = addr4("127.0.0.1", 0);

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  reset_order();
  /* a bound port nobody listens on */
  ck_assert_int_eq(uv_tcp_init(&loop, &t), 0);
  ck_assert_int_eq(uv_tcp_bind(&t, (struct sockaddr *)&a, 0), 0);
  a = addr4("127.0.0.1", tcp_port(&t));
  ck_assert_int_eq(uv_tcp_init(&loop, &c), 0);
  ck_assert_int_eq(uv_tcp_connect(&req, &c, (struct sockaddr *)&a, refused_cb), 0);
  ck_assert_int_eq(req.type, UV_CONNECT);
  uvtest_run(&loop, 10000);
  ck_assert_str_eq(order, "r");
  /* close while connecting: the callback gets UV_ECANCELED, writes too */
  reset_order();
  ck_assert_int_eq(uv_tcp_init(&loop, &c2), 0);
  ck_assert_int_eq(uv_tcp_connect(&req2, &c2, (struct sockaddr *)&a, connect_cancel_cb), 0);
  ck_assert_int_eq(uv_write(&w, (uv_stream_t *)&c2, &b, 1, cancel_write_cb), 0);
  ck_assert_int_eq(uv_try_write((uv_stream_t *)&c2, &b, 1), UV_EAGAIN);
  uv_close((uv_handle_t *)&c2, cancel_close_cb);
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_str_eq(order, "ccX");
  uvtest_close_loop(&loop);
}
END_TEST

START_TEST(test_addrinuse)
{
  uv_loop_t loop;
  uv_tcp_t a1, a2;
  struct sockaddr_in a = addr4("127.0.0.1", 0);
  struct sockaddr_storage ss;
  int len = sizeof ss;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_tcp_init(&loop, &a1), 0);
  ck_assert_int_eq(uv_tcp_bind(&a1, (struct sockaddr *)&a, 0), 0);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&a1, 5, never_connection), 0);
  a = addr4("127.0.0.1", tcp_port(&a1));
  ck_assert_int_eq(uv_tcp_init(&loop, &a2), 0);
  ck_assert_int_eq(uv_tcp_bind(&a2, (struct sockaddr *)&a, 0), 0); /* told later */
  ck_assert_int_eq(uv_tcp_getsockname(&a2, (struct sockaddr *)&ss, &len), UV_EADDRINUSE);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&a2, 5, never_connection), UV_EADDRINUSE);
  ck_assert(!uv_is_active((uv_handle_t *)&a2));
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- names ------------------------------------------------------------------------------- */

START_TEST(test_tcp_names)
{
  uv_loop_t loop;
  struct pair p;
  struct sockaddr_storage s1, s2;
  int l1 = sizeof s1, l2 = sizeof s2;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  pair_open(&loop, &p);
  ck_assert_int_eq(uv_tcp_getsockname(&p.client, (struct sockaddr *)&s1, &l1), 0);
  ck_assert_int_eq(uv_tcp_getpeername(&p.accepted, (struct sockaddr *)&s2, &l2), 0);
  ck_assert_int_eq(l1, (int)sizeof(struct sockaddr_in));
  ck_assert_int_eq(l1, l2);
  ck_assert(memcmp(&s1, &s2, (size_t)l1) == 0);
  l1 = sizeof s1;
  l2 = sizeof s2;
  ck_assert_int_eq(uv_tcp_getpeername(&p.client, (struct sockaddr *)&s1, &l1), 0);
  ck_assert_int_eq(uv_tcp_getsockname(&p.server, (struct sockaddr *)&s2, &l2), 0);
  ck_assert(memcmp(&s1, &s2, (size_t)l1) == 0);
  ck_assert_int_eq(uv_tcp_getpeername(&p.server, (struct sockaddr *)&s2, &l2), UV_ENOTCONN);
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- reading: EOF, ENOBUFS, stop, close in the callback ------------------------------------ */

static int rd_calls;

static void
null_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
  (void)h;
  (void)s;
  b->base = NULL;
  b->len = 0;
}

static void
enobufs_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  (void)b;
  ck_assert_int_eq(n, UV_ENOBUFS);
  rd_calls++;
  ck_assert_int_eq(uv_read_stop(s), 0);
  ck_assert_int_eq(uv_read_stop(s), 0);
  ck_assert(!uv_is_active((uv_handle_t *)s));
}

static void
close_in_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  (void)b;
  if (n == 0)
    return;
  ck_assert_int_eq(n, 1); /* a 1-byte buffer: more data is there */
  rd_calls++;
  uv_close((uv_handle_t *)s, NULL);
}

static void
one_byte_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
  (void)h;
  (void)s;
  b->base = rbuf_static;
  b->len = 1;
}

START_TEST(test_read_enobufs_stop_close)
{
  uv_loop_t loop;
  struct pair p;
  uv_buf_t b = { "hello", 5 };

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  pair_open(&loop, &p);
  uv_close((uv_handle_t *)&p.server, NULL);
  ck_assert_int_eq(uv_try_write((uv_stream_t *)&p.client, &b, 1), 5);
  rd_calls = 0;
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&p.accepted, null_alloc, enobufs_read), 0);
  uvtest_run(&loop, 10000); /* stopped: the loop ends */
  ck_assert_int_eq(rd_calls, 1);
  rd_calls = 0;
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&p.accepted, one_byte_alloc, close_in_read), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(rd_calls, 1);
  uvtest_close_loop(&loop);
}
END_TEST

static int rst_seen;

static void
rst_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  (void)b;
  if (n == 0)
    return;
  ck_assert_int_eq(n, UV_ECONNRESET);
  ck_assert(!uv_is_readable(s));
  rst_seen = 1;
  uv_close((uv_handle_t *)s, NULL);
}

START_TEST(test_close_reset)
{
  uv_loop_t loop;
  struct pair p;
  uv_shutdown_t sh;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  pair_open(&loop, &p);
  uv_close((uv_handle_t *)&p.server, NULL);
  rst_seen = 0;
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&p.accepted, alloc_static, rst_read), 0);
  ck_assert_int_eq(uv_tcp_close_reset(&p.client, NULL), 0);
  ck_assert(uv_is_closing((uv_handle_t *)&p.client));
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(rst_seen, 1);
  /* shutting down: UV_EINVAL */
  pair_open(&loop, &p);
  ck_assert_int_eq(uv_shutdown(&sh, (uv_stream_t *)&p.client, NULL), 0);
  ck_assert_int_eq(uv_tcp_close_reset(&p.client, NULL), UV_EINVAL);
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- accept later, from outside the connection callback ------------------------------------ */

static int late_conns;

static void
late_connection_cb(uv_stream_t *server, int status)
{
  (void)server;
  ck_assert_int_eq(status, 0);
  late_conns++;
}

static int late_connected;

static void
late_connect_cb(uv_connect_t *req, int status)
{
  (void)req;
  ck_assert_int_eq(status, 0);
  late_connected++;
}

START_TEST(test_accept_later)
{
  uv_loop_t loop;
  uv_tcp_t server, c[2], a[2];
  uv_connect_t req[2];
  struct sockaddr_in addr = addr4("127.0.0.1", 0);
  int i;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  late_conns = late_connected = 0;
  ck_assert_int_eq(uv_tcp_init(&loop, &server), 0);
  ck_assert_int_eq(uv_tcp_bind(&server, (struct sockaddr *)&addr, 0), 0);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&server, 8, late_connection_cb), 0);
  addr = addr4("127.0.0.1", tcp_port(&server));
  for (i = 0; i < 2; i++) {
    ck_assert_int_eq(uv_tcp_init(&loop, &c[i]), 0);
    ck_assert_int_eq(uv_tcp_connect(&req[i], &c[i], (struct sockaddr *)&addr, late_connect_cb), 0);
  }
  while (late_connected < 2 || late_conns < 1)
    uv_run(&loop, UV_RUN_ONCE);
  for (i = 0; i < 5; i++)
    uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(late_conns, 1); /* the second waits for uv_accept() */
  ck_assert_int_eq(uv_tcp_init(&loop, &a[0]), 0);
  ck_assert_int_eq(uv_accept((uv_stream_t *)&server, (uv_stream_t *)&a[0]), 0);
  while (late_conns < 2)
    uv_run(&loop, UV_RUN_ONCE);
  ck_assert_int_eq(uv_accept((uv_stream_t *)&server, (uv_stream_t *)&a[0]), UV_EBUSY);
  ck_assert_int_eq(uv_tcp_init(&loop, &a[1]), 0);
  ck_assert_int_eq(uv_accept((uv_stream_t *)&server, (uv_stream_t *)&a[1]), 0);
  ck_assert_int_eq(uv_accept((uv_stream_t *)&server, (uv_stream_t *)&a[1]), UV_EAGAIN);
  uvtest_close_loop(&loop);
}
END_TEST


/* ---- uv_tcp_open, writes queued while connecting, IPv6, write errors ---------------------- */

static int qc_connected;
static size_t qc_got;
static char qc_data[32];

static void
qc_connect_cb(uv_connect_t *req, int status)
{
  ck_assert_int_eq(status, 0);
  ck_assert_str_eq(order, ""); /* the queued write waits for the connect */
  note('C');
  (void)req;
  qc_connected = 1;
}

static void
qc_write_cb(uv_write_t *req, int status)
{
  (void)req;
  ck_assert_int_eq(status, 0);
  note('w');
}

static uv_tcp_t qc_server, qc_conn;

static void
qc_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  if (n == 0)
    return;
  if (n == UV_EOF) {
    uv_close((uv_handle_t *)s, NULL);
    return;
  }
  ck_assert_int_gt(n, 0);
  memcpy(qc_data + qc_got, b->base, (size_t)n);
  qc_got += (size_t)n;
}

static void
qc_connection_cb(uv_stream_t *server, int status)
{
  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(uv_tcp_init(server->loop, &qc_conn), 0);
  ck_assert_int_eq(uv_accept(server, (uv_stream_t *)&qc_conn), 0);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&qc_conn, alloc_static, qc_read), 0);
  uv_close((uv_handle_t *)server, NULL);
}

START_TEST(test_tcp_open_queued_writes_ipv6)
{
  uv_loop_t loop;
  uv_tcp_t c;
  uv_connect_t req;
  uv_write_t w;
  uv_shutdown_t sh;
  struct sockaddr_in6 a6;
  uv_buf_t b = { "queued", 6 };
  int fd;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  reset_order();
  qc_connected = 0;
  qc_got = 0;
  ck_assert_int_eq(uv_tcp_init_ex(&loop, &qc_server, AF_INET6), 0);
  memset(&a6, 0, sizeof a6);
  a6.sin6_family = AF_INET6;
  a6.sin6_addr = in6addr_loopback;
  if (uv_tcp_bind(&qc_server, (struct sockaddr *)&a6, UV_TCP_IPV6ONLY) != 0) {
    fprintf(stderr, "test_tcp_open_queued_writes_ipv6: skipped: no IPv6 loopback\n");
    uvtest_close_loop(&loop);
    return;
  }
  ck_assert_int_eq(uv_tcp_simultaneous_accepts(&qc_server, 0), 0);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&qc_server, 4, qc_connection_cb), 0);
  {
    struct sockaddr_storage ss;
    int len = sizeof ss;

    ck_assert_int_eq(uv_tcp_getsockname(&qc_server, (struct sockaddr *)&ss, &len), 0);
    ck_assert_int_eq(ss.ss_family, AF_INET6);
    a6.sin6_port = ((struct sockaddr_in6 *)&ss)->sin6_port;
  }
  fd = socket(AF_INET6, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(uv_tcp_init(&loop, &c), 0);
  ck_assert_int_eq(uv_tcp_open(&c, fd), 0);
  ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  ck_assert_int_eq(uv_tcp_connect(&req, &c, (struct sockaddr *)&a6, qc_connect_cb), 0);
  ck_assert_int_eq(uv_write(&w, (uv_stream_t *)&c, &b, 1, qc_write_cb), 0);
  ck_assert_uint_eq(c.write_queue_size, 6);
  ck_assert_int_eq(uv_shutdown(&sh, (uv_stream_t *)&c, NULL), 0);
  uvtest_run(&loop, 10000);
  ck_assert_str_eq(order, "Cw");
  ck_assert_uint_eq(qc_got, 6);
  ck_assert(memcmp(qc_data, "queued", 6) == 0);
  uvtest_close_loop(&loop);
}
END_TEST

static int epipe_status;

static void
epipe_write_cb(uv_write_t *req, int status)
{
  (void)req;
  epipe_status = status;
}

START_TEST(test_write_error_and_resume_read)
{
  uv_loop_t loop;
  struct pair p;
  uv_write_t w;
  char *chunk = calloc(1, 1u << 20);
  uv_buf_t big = { chunk, 1u << 20 };
  int i;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  pair_open(&loop, &p);
  uv_close((uv_handle_t *)&p.server, NULL);
  /* the peer is gone: the write fails in its callback */
  uv_close((uv_handle_t *)&p.accepted, NULL);
  uv_run(&loop, UV_RUN_NOWAIT);
  epipe_status = 1;
  for (i = 0; i < 64 && epipe_status == 1; i++) {
    ck_assert_int_eq(uv_write(&w, (uv_stream_t *)&p.client, &big, 1, epipe_write_cb), 0);
    while (epipe_status == 1 && uv_run(&loop, UV_RUN_ONCE) != 0)
      ;
    if (epipe_status == 0)
      epipe_status = 1;
  }
  ck_assert(epipe_status == UV_EPIPE || epipe_status == UV_ECONNRESET);
  uvtest_close_loop(&loop);
  free(chunk);
}
END_TEST

static int rs_reads;

static void
rs_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  (void)b;
  if (n == 0)
    return;
  ck_assert_int_eq(n, 1);
  rs_reads++;
  ck_assert_int_eq(uv_read_stop(s), 0);
}

START_TEST(test_read_stop_resume)
{
  uv_loop_t loop;
  struct pair p;
  uv_buf_t b = { "xyz", 3 };

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  pair_open(&loop, &p);
  uv_close((uv_handle_t *)&p.server, NULL);
  ck_assert_int_eq(uv_try_write((uv_stream_t *)&p.client, &b, 1), 3);
  rs_reads = 0;
  /* one byte at a time, stopping each time: the rest waits in the kernel */
  while (rs_reads < 3) {
    int before = rs_reads;

    ck_assert_int_eq(uv_read_start((uv_stream_t *)&p.accepted, one_byte_alloc, rs_read), 0);
    ck_assert(uv_is_active((uv_handle_t *)&p.accepted));
    uvtest_run(&loop, 10000);
    ck_assert_int_eq(rs_reads, before + 1);
    ck_assert(!uv_is_active((uv_handle_t *)&p.accepted));
  }
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- pipes ---------------------------------------------------------------------------------- */

static char pipe_path[64];

static void
make_pipe_path(void)
{
  snprintf(pipe_path, sizeof pipe_path, "/tmp/uvapi-test-%ld.sock", (long)getpid());
  unlink(pipe_path);
}

static uv_pipe_t pipe_server, pipe_conn, pipe_client;
static int pipe_state;

static void
pipe_echo_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  static uv_write_t w;
  uv_buf_t o;

  if (n == 0)
    return;
  if (n < 0) {
    ck_assert_int_eq(n, UV_EOF);
    uv_close((uv_handle_t *)s, NULL);
    return;
  }
  o.base = b->base;
  o.len = (size_t)n;
  ck_assert_int_eq(uv_write(&w, s, &o, 1, NULL), 0);
}

static void
pipe_connection_cb(uv_stream_t *server, int status)
{
  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(uv_pipe_init(server->loop, &pipe_conn, 0), 0);
  ck_assert_int_eq(uv_accept(server, (uv_stream_t *)&pipe_conn), 0);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&pipe_conn, alloc_static, pipe_echo_read), 0);
  uv_close((uv_handle_t *)server, NULL);
}

static void
pipe_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  static uv_shutdown_t sh;

  if (n == 0)
    return;
  if (n == UV_EOF) {
    pipe_state = 3;
    uv_close((uv_handle_t *)s, NULL);
    return;
  }
  ck_assert_int_eq(n, 4);
  ck_assert(memcmp(b->base, "pipe", 4) == 0);
  pipe_state = 2;
  ck_assert_int_eq(uv_shutdown(&sh, s, NULL), 0);
}

static void
pipe_connect_cb(uv_connect_t *req, int status)
{
  static uv_write_t w;
  uv_buf_t b = { "pipe", 4 };
  char name[128];
  size_t len = sizeof name;

  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(uv_pipe_getpeername((uv_pipe_t *)req->handle, name, &len), 0);
  ck_assert_str_eq(name, pipe_path);
  ck_assert_uint_eq(len, strlen(pipe_path));
  pipe_state = 1;
  ck_assert_int_eq(uv_read_start(req->handle, alloc_static, pipe_client_read), 0);
  ck_assert_int_eq(uv_write(&w, req->handle, &b, 1, NULL), 0);
}

static int pipe_err;

static void
pipe_err_connect_cb(uv_connect_t *req, int status)
{
  (void)req;
  pipe_err = status;
}

START_TEST(test_pipe_bind_connect)
{
  uv_loop_t loop;
  uv_pipe_t bad, bad2;
  uv_connect_t req, req2;
  char name[128];
  size_t len = sizeof name;
  struct stat st;
  char longname[300];

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_pipe_path();
  pipe_state = 0;
  ck_assert_int_eq(uv_pipe_init(&loop, &pipe_server, 0), 0);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&pipe_server, 4, pipe_connection_cb), UV_EINVAL);
  ck_assert_int_eq(uv_pipe_getsockname(&pipe_server, name, &len), UV_EBADF);
  ck_assert_int_eq(uv_pipe_chmod(&pipe_server, 1), UV_EBADF);
  ck_assert_int_eq(uv_pipe_bind(&pipe_server, pipe_path), 0);
  ck_assert_int_eq(uv_pipe_bind(&pipe_server, pipe_path), UV_EINVAL);
  len = sizeof name;
  ck_assert_int_eq(uv_pipe_getsockname(&pipe_server, name, &len), 0);
  ck_assert_str_eq(name, pipe_path);
  len = 3;
  ck_assert_int_eq(uv_pipe_getsockname(&pipe_server, name, &len), UV_ENOBUFS);
  ck_assert_uint_eq(len, strlen(pipe_path) + 1);
  ck_assert_int_eq(uv_pipe_chmod(&pipe_server, 4), UV_EINVAL);
  ck_assert_int_eq(uv_pipe_chmod(&pipe_server, 1 | 2), 0);
  ck_assert_int_eq(stat(pipe_path, &st), 0);
  ck_assert((st.st_mode & 0666) == 0666);
  uv_pipe_pending_instances(&pipe_server, 4);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&pipe_server, 4, pipe_connection_cb), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &pipe_client, 0), 0);
  uv_pipe_connect(&req, &pipe_client, pipe_path, pipe_connect_cb);
  ck_assert_int_eq(pipe_state, 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(pipe_state, 3);
  ck_assert_int_eq(stat(pipe_path, &st), -1); /* unlinked on close */
  /* no such socket: the callback says so */
  ck_assert_int_eq(uv_pipe_init(&loop, &bad, 0), 0);
  pipe_err = 1;
  uv_pipe_connect(&req2, &bad, pipe_path, pipe_err_connect_cb);
  ck_assert_int_eq(pipe_err, 1);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(pipe_err, UV_ENOENT);
  uv_close((uv_handle_t *)&bad, NULL);
  /* a name longer than sun_path is truncated (libuv 1.44) */
  memset(longname, 'a', sizeof longname);
  memcpy(longname, "/tmp/", 5);
  longname[sizeof longname - 1] = '\0';
  ck_assert_int_eq(uv_pipe_init(&loop, &bad2, 0), 0);
  ck_assert_int_eq(uv_pipe_bind(&bad2, longname), 0);
  len = sizeof name;
  ck_assert_int_eq(uv_pipe_getsockname(&bad2, name, &len), 0);
  ck_assert_uint_eq(len, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
  ck_assert(strncmp(name, longname, len) == 0);
  uvtest_close_loop(&loop);
  ck_assert_int_ne(access(name, F_OK), 0);
}
END_TEST

static int up_got_eof;
static char up_data[16];
static size_t up_len;

static void
up_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  if (n == 0)
    return;
  if (n == UV_EOF) {
    up_got_eof = 1;
    uv_close((uv_handle_t *)s, NULL);
    return;
  }
  ck_assert_int_gt(n, 0);
  memcpy(up_data + up_len, b->base, (size_t)n);
  up_len += (size_t)n;
}

START_TEST(test_uv_pipe_and_open)
{
  uv_loop_t loop;
  uv_file fds[2];
  uv_pipe_t r, w;
  uv_write_t wr;
  uv_buf_t b = { "12345", 5 };
  uv_shutdown_t sh;
  int fl;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_pipe(fds, 0, NONBLOCK_PIPE), 0);
  ck_assert_int_eq(fcntl(fds[0], F_GETFL) & O_NONBLOCK, 0);
  ck_assert_int_ne(fcntl(fds[1], F_GETFL) & O_NONBLOCK, 0);
  ck_assert_int_ne(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &r, 0), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &w, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&r, fds[0]), 0);
  ck_assert_int_eq(uv_pipe_open(&w, fds[1]), 0);
  ck_assert_int_eq(uv_pipe_open(&w, fds[1]), UV_EBUSY);
  fl = fcntl(fds[0], F_GETFL);
  ck_assert_int_ne(fl & O_NONBLOCK, 0);
  ck_assert(uv_is_readable((uv_stream_t *)&r));
  ck_assert(!uv_is_writable((uv_stream_t *)&r));
  ck_assert(!uv_is_readable((uv_stream_t *)&w));
  ck_assert(uv_is_writable((uv_stream_t *)&w));
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&w, alloc_static, up_read), UV_ENOTCONN);
  ck_assert_int_eq(uv_write(&wr, (uv_stream_t *)&r, &b, 1, NULL), UV_EPIPE);
  /* blocking writes: done before uv_write() returns, callback still deferred */
  ck_assert_int_eq(uv_stream_set_blocking((uv_stream_t *)&w, 1), 0);
  ck_assert_int_eq(fcntl(fds[1], F_GETFL) & O_NONBLOCK, 0);
  small_wcb = 0;
  ck_assert_int_eq(uv_write(&wr, (uv_stream_t *)&w, &b, 1, small_write_cb), 0);
  ck_assert_uint_eq(w.write_queue_size, 0);
  ck_assert_int_eq(small_wcb, 0);
  ck_assert_int_eq(uv_shutdown(&sh, (uv_stream_t *)&w, NULL), 0);
  up_got_eof = 0;
  up_len = 0;
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&r, alloc_static, up_read), 0);
  /* a pipe(2) cannot shutdown(2): the write end is closed to end it */
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(small_wcb, 1);
  uv_close((uv_handle_t *)&w, NULL);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(up_got_eof, 1);
  ck_assert_uint_eq(up_len, 5);
  ck_assert(memcmp(up_data, "12345", 5) == 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(test_socketpair)
{
  uv_loop_t loop;
  uv_os_sock_t sv[2];
  uv_pipe_t a, b;
  uv_buf_t buf = { "sp", 2 };

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_socketpair(SOCK_STREAM, 0, sv, NONBLOCK_PIPE, 0), 0);
  ck_assert_int_ne(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
  ck_assert_int_eq(fcntl(sv[1], F_GETFL) & O_NONBLOCK, 0);
  ck_assert_int_ne(fcntl(sv[1], F_GETFD) & FD_CLOEXEC, 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &a, 0), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &b, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&a, sv[0]), 0);
  ck_assert_int_eq(uv_pipe_open(&b, sv[1]), 0);
  ck_assert_int_eq(uv_try_write((uv_stream_t *)&a, &buf, 1), 2);
  up_got_eof = 0;
  up_len = 0;
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&b, alloc_static, up_read), 0);
  uv_close((uv_handle_t *)&a, NULL);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(up_got_eof, 1);
  ck_assert_uint_eq(up_len, 2);
  ck_assert_int_eq(uv_socketpair(SOCK_STREAM, 0, NULL, 0, 0), UV_EINVAL);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static int dup_status[2], dup_calls;

static void
dup_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  int i = s->data != NULL;

  (void)b;
  if (n == 0)
    return;
  dup_status[i] = n > 0 ? 1 : (int)n;
  dup_calls++;
  uv_read_stop(s); /* not closed: that would close the other's descriptor too */
}

/* One descriptor in two handles (a program error: libuv says UV_EEXIST
 * at open). A backend that cannot watch it twice (epoll) fails the second
 * handle's read with its error; one that can lets one handle read the byte
 * and the other see the end. Either way: reported, no hang, no spin. */
START_TEST(test_same_fd_twice)
{
  uv_loop_t loop;
  uv_os_sock_t sv[2];
  uv_pipe_t a, b;
  char c = 'x';

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_socketpair(SOCK_STREAM, 0, sv, 0, 0), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &a, 0), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &b, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&a, sv[0]), 0);
  ck_assert_int_eq(uv_pipe_open(&b, sv[0]), 0); /* closed twice: harmless here */
  a.data = NULL;
  b.data = &b;
  dup_calls = 0;
  dup_status[0] = dup_status[1] = 0;
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&a, alloc_static, dup_read), 0);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&b, alloc_static, dup_read), 0);
  ck_assert_int_eq(write(sv[1], &c, 1), 1);
  while (dup_calls < 1)
    uv_run(&loop, UV_RUN_ONCE);
  close(sv[1]); /* the other one, if it still waits, sees the end */
  uvtest_run(&loop, 10000);
  ck_assert(dup_status[0] == 1 || dup_status[1] == 1);
  ck_assert(dup_status[0] != 0 && dup_status[1] != 0);
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- IPC: passing a handle ------------------------------------------------------------------- */

static uv_pipe_t ipc_recv_pipe, ipc_accepted;
static int ipc_state;

static void
ipc_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  uv_pipe_t *p = (uv_pipe_t *)s;
  uv_buf_t o = { "via passed", 10 };

  (void)b;
  if (n == 0)
    return;
  ck_assert_int_eq(n, 3);
  ck_assert_int_eq(uv_pipe_pending_count(p), 1);
  ck_assert_int_eq(uv_pipe_pending_type(p), UV_NAMED_PIPE);
  ck_assert_int_eq(uv_pipe_init(s->loop, &ipc_accepted, 0), 0);
  ck_assert_int_eq(uv_accept(s, (uv_stream_t *)&ipc_accepted), 0);
  ck_assert_int_eq(uv_pipe_pending_count(p), 0);
  ck_assert_int_eq(uv_pipe_pending_type(p), UV_UNKNOWN_HANDLE);
  ck_assert_int_eq(uv_try_write((uv_stream_t *)&ipc_accepted, &o, 1), 10);
  ipc_state = 1;
  uv_close((uv_handle_t *)s, NULL);
  uv_close((uv_handle_t *)&ipc_accepted, NULL);
}

static void
ipc_write_cb(uv_write_t *req, int status)
{
  ck_assert_int_eq(status, 0);
  uv_close((uv_handle_t *)req->handle, NULL);
  uv_close((uv_handle_t *)req->data, NULL);
}

START_TEST(test_ipc_pass_handle)
{
  uv_loop_t loop;
  uv_os_sock_t ipc[2], other[2];
  uv_pipe_t send_pipe, passed, plain;
  uv_write_t w;
  uv_buf_t b = { "fd!", 3 };
  char got[16];
  ssize_t n;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_socketpair(SOCK_STREAM, 0, ipc, 0, 0), 0);
  ck_assert_int_eq(uv_socketpair(SOCK_STREAM, 0, other, 0, 0), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &send_pipe, 1), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &ipc_recv_pipe, 1), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &passed, 0), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &plain, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&send_pipe, ipc[0]), 0);
  ck_assert_int_eq(uv_pipe_open(&ipc_recv_pipe, ipc[1]), 0);
  ck_assert_int_eq(uv_pipe_open(&passed, other[0]), 0);
  /* not an IPC pipe: UV_EINVAL; a handle without descriptor: UV_EBADF */
  ck_assert_int_eq(uv_pipe_open(&plain, dup(other[1])), 0);
  ck_assert_int_eq(uv_write2(&w, (uv_stream_t *)&plain, &b, 1, (uv_stream_t *)&passed, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_try_write2((uv_stream_t *)&plain, &b, 1, (uv_stream_t *)&passed), UV_EINVAL);
  uv_close((uv_handle_t *)&plain, NULL);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&ipc_recv_pipe, 1, never_connection), UV_EINVAL);
  ck_assert_int_eq(uv_pipe_pending_count(&ipc_recv_pipe), 0);
  ipc_state = 0;
  ck_assert_int_eq(uv_write2(&w, (uv_stream_t *)&send_pipe, &b, 1, (uv_stream_t *)&passed, ipc_write_cb), 0);
  ck_assert_ptr_eq(w.handle, (uv_stream_t *)&send_pipe);
  w.data = &passed;
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&ipc_recv_pipe, alloc_static, ipc_read), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(ipc_state, 1);
  /* what went through the passed descriptor came out of the other end */
  n = read(other[1], got, sizeof got);
  ck_assert_int_eq(n, 10);
  ck_assert(memcmp(got, "via passed", 10) == 0);
  close(other[1]);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* A UDP socket over an IPC pipe: uv_pipe_pending_type() says UV_UDP and
 * uv_accept() takes it into a uv_udp_t, bound where the sender bound it. */
static uv_udp_t ipcu_udp;
static uv_tcp_t ipcu_wrong;
static int ipcu_state;

static void
ipcu_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  uv_pipe_t *p = (uv_pipe_t *)s;

  (void)b;
  if (n == 0)
    return;
  ck_assert_int_eq(uv_pipe_pending_count(p), 1);
  ck_assert_int_eq(uv_pipe_pending_type(p), UV_UDP);
  ck_assert_int_eq(uv_udp_init(s->loop, &ipcu_udp), 0);
  ck_assert_int_eq(uv_tcp_init(s->loop, &ipcu_wrong), 0);
  ck_assert_int_eq(uv_accept(s, (uv_stream_t *)(void *)&ipcu_udp), 0);
  /* taken: nothing more to accept */
  ck_assert_int_eq(uv_accept(s, (uv_stream_t *)&ipcu_wrong), UV_EAGAIN);
  uv_close((uv_handle_t *)&ipcu_wrong, NULL);
  ipcu_state = 1;
  uv_close((uv_handle_t *)s, NULL);
}

START_TEST(test_ipc_pass_udp)
{
  uv_loop_t loop;
  uv_os_sock_t ipc[2];
  uv_pipe_t send_pipe;
  uv_udp_t sent;
  uv_write_t w;
  uv_buf_t b = { "u", 1 };
  struct sockaddr_in a, got_a;
  int len = sizeof got_a;
  int sent_port;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_socketpair(SOCK_STREAM, 0, ipc, 0, 0), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &send_pipe, 1), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &ipc_recv_pipe, 1), 0);
  ck_assert_int_eq(uv_pipe_open(&send_pipe, ipc[0]), 0);
  ck_assert_int_eq(uv_pipe_open(&ipc_recv_pipe, ipc[1]), 0);
  ck_assert_int_eq(uv_udp_init(&loop, &sent), 0);
  ck_assert_int_eq(uv_ip4_addr("127.0.0.1", 0, &a), 0);
  ck_assert_int_eq(uv_udp_bind(&sent, (const struct sockaddr *)&a, 0), 0);
  ck_assert_int_eq(uv_udp_getsockname(&sent, (struct sockaddr *)&got_a, &len), 0);
  sent_port = ntohs(got_a.sin_port);
  ipcu_state = 0;
  ck_assert_int_eq(uv_write2(&w, (uv_stream_t *)&send_pipe, &b, 1, (uv_stream_t *)(void *)&sent, NULL), 0);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&ipc_recv_pipe, alloc_static, ipcu_read), 0);
  uv_close((uv_handle_t *)&send_pipe, NULL);
  uv_close((uv_handle_t *)&sent, NULL);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(ipcu_state, 1);
  len = sizeof got_a;
  ck_assert_int_eq(uv_udp_getsockname(&ipcu_udp, (struct sockaddr *)&got_a, &len), 0);
  ck_assert_int_eq(ntohs(got_a.sin_port), sent_port);
  uv_close((uv_handle_t *)&ipcu_udp, NULL);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* Two handles, a pipe then a TCP socket, sent before the reader runs: the
 * second arrives while the first waits for uv_accept(); both come out in
 * order, each with its type. */
static int ipc2_reads;
static uv_pipe_t ipc2_pipe;
static uv_tcp_t ipc2_tcp;

static void
ipc2_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  uv_pipe_t *p = (uv_pipe_t *)s;

  (void)b;
  if (n == 0)
    return;
  ck_assert_int_eq(n, 1);
  if (++ipc2_reads == 1) {
    ck_assert_int_eq(uv_pipe_pending_count(p), 1);
    return; /* not accepted yet */
  }
  ck_assert_int_eq(uv_pipe_pending_count(p), 2);
  ck_assert_int_eq(uv_pipe_pending_type(p), UV_NAMED_PIPE);
  ck_assert_int_eq(uv_pipe_init(s->loop, &ipc2_pipe, 0), 0);
  ck_assert_int_eq(uv_accept(s, (uv_stream_t *)&ipc2_pipe), 0);
  ck_assert_int_eq(uv_pipe_pending_count(p), 1);
  ck_assert_int_eq(uv_pipe_pending_type(p), UV_TCP);
  ck_assert_int_eq(uv_tcp_init(s->loop, &ipc2_tcp), 0);
  ck_assert_int_eq(uv_accept(s, (uv_stream_t *)&ipc2_tcp), 0);
  ck_assert_int_eq(uv_pipe_pending_count(p), 0);
  ck_assert_int_eq(uv_accept(s, (uv_stream_t *)&ipc2_tcp), UV_EAGAIN);
  uv_close((uv_handle_t *)s, NULL);
}

START_TEST(test_ipc_two_handles)
{
  uv_loop_t loop;
  uv_os_sock_t ipc[2], other[2];
  uv_pipe_t tx, rx, passed;
  uv_tcp_t tcp;
  uv_write_t w1, w2;
  uv_buf_t b1 = { "1", 1 }, b2 = { "2", 1 };
  struct sockaddr_storage ss;
  int len = sizeof ss;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_socketpair(SOCK_STREAM, 0, ipc, 0, 0), 0);
  ck_assert_int_eq(uv_socketpair(SOCK_STREAM, 0, other, 0, 0), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &tx, 1), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &rx, 1), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &passed, 0), 0);
  ck_assert_int_eq(uv_tcp_init_ex(&loop, &tcp, AF_INET), 0);
  ck_assert_int_eq(uv_pipe_open(&tx, ipc[0]), 0);
  ck_assert_int_eq(uv_pipe_open(&rx, ipc[1]), 0);
  ck_assert_int_eq(uv_pipe_open(&passed, other[0]), 0);
  ck_assert_int_eq(uv_write2(&w1, (uv_stream_t *)&tx, &b1, 1, (uv_stream_t *)&passed, NULL), 0);
  ck_assert_int_eq(uv_write2(&w2, (uv_stream_t *)&tx, &b2, 1, (uv_stream_t *)&tcp, NULL), 0);
  uv_run(&loop, UV_RUN_NOWAIT); /* both sent, before anyone reads */
  ipc2_reads = 0;
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&rx, alloc_static, ipc2_read), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(ipc2_reads, 2);
  /* the received TCP handle is the same socket */
  ck_assert_int_eq(uv_tcp_getsockname(&ipc2_tcp, (struct sockaddr *)&ss, &len), 0);
  ck_assert_int_eq(ss.ss_family, AF_INET);
  close(other[1]);
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- TTY ----------------------------------------------------------------------------------------- */

START_TEST(test_tty)
{
  uv_loop_t loop;
  uv_tty_t tty;
  uv_write_t w;
  uv_buf_t b = { "tty!", 4 };
  struct winsize ws = { .ws_row = 24, .ws_col = 80 };
  struct termios t;
  int master, slave, width = 0, height = 0, fd;
  char got[16];
  ssize_t n;
  uv_os_fd_t ufd;

  master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
    fprintf(stderr, "test_tty: skipped: no pty\n");
    if (master >= 0)
      close(master);
    return;
  }
  slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  ck_assert_int_ge(slave, 0);
  ck_assert_int_eq(ioctl(slave, TIOCSWINSZ, &ws), 0);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  fd = open("/dev/null", O_RDONLY);
  ck_assert_int_eq(uv_tty_init(&loop, &tty, fd, 0), UV_EINVAL); /* a file */
  close(fd);
  ck_assert_int_eq(uv_tty_init(&loop, &tty, slave, 1), 0);
  ck_assert(uv_is_readable((uv_stream_t *)&tty));
  ck_assert(uv_is_writable((uv_stream_t *)&tty));
  ck_assert_int_eq(uv_fileno((uv_handle_t *)&tty, &ufd), 0);
  ck_assert_int_ge(ufd, 0);
  ck_assert_int_eq(uv_tty_get_winsize(&tty, &width, &height), 0);
  ck_assert_int_eq(width, 80);
  ck_assert_int_eq(height, 24);
  ck_assert_int_eq(uv_tty_set_mode(&tty, (uv_tty_mode_t)7), UV_EINVAL);
  ck_assert_int_eq(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW), 0);
  ck_assert_int_eq(tcgetattr(slave, &t), 0);
  ck_assert_int_eq(t.c_lflag & ICANON, 0);
  ck_assert_int_eq(uv_tty_set_mode(&tty, UV_TTY_MODE_IO), 0);
  ck_assert_int_eq(uv_tty_set_mode(&tty, UV_TTY_MODE_NORMAL), 0);
  ck_assert_int_eq(tcgetattr(slave, &t), 0);
  ck_assert_int_ne(t.c_lflag & ICANON, 0);
  ck_assert_int_eq(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW), 0);
  ck_assert_int_eq(uv_tty_reset_mode(), 0);
  ck_assert_int_eq(tcgetattr(slave, &t), 0);
  ck_assert_int_ne(t.c_lflag & ICANON, 0);
  ck_assert_int_eq(uv_tty_set_mode(&tty, UV_TTY_MODE_NORMAL), 0);
  ck_assert_int_eq(uv_tty_get_vterm_state(NULL), UV_ENOTSUP);
  uv_tty_set_vterm_state(UV_TTY_SUPPORTED);
  ck_assert_int_eq(uv_write(&w, (uv_stream_t *)&tty, &b, 1, NULL), 0);
  uvtest_run(&loop, 10000);
  n = read(master, got, sizeof got);
  ck_assert_int_ge(n, 4);
  ck_assert(memcmp(got, "tty!", 4) == 0);
  uvtest_close_loop(&loop);
  close(slave);
  close(master);
}
END_TEST

Suite *
uvtest_stream_suite(void)
{
  Suite *s = suite_create("uv-stream");
  TCase *tc = tcase_create("stream");

  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_tcp_errors);
  tcase_add_test(tc, test_tcp_ping_pong);
  tcase_add_test(tc, test_tcp_echo_many);
  tcase_add_test(tc, test_write_order_queue_size);
  tcase_add_test(tc, test_write_deferred_try_write);
  tcase_add_test(tc, test_close_with_writes_pending);
  tcase_add_test(tc, test_connect_refused_and_cancel);
  tcase_add_test(tc, test_addrinuse);
  tcase_add_test(tc, test_tcp_names);
  tcase_add_test(tc, test_read_enobufs_stop_close);
  tcase_add_test(tc, test_close_reset);
  tcase_add_test(tc, test_accept_later);
  tcase_add_test(tc, test_tcp_open_queued_writes_ipv6);
  tcase_add_test(tc, test_write_error_and_resume_read);
  tcase_add_test(tc, test_read_stop_resume);
  tcase_add_test(tc, test_pipe_bind_connect);
  tcase_add_test(tc, test_uv_pipe_and_open);
  tcase_add_test(tc, test_socketpair);
  tcase_add_test(tc, test_same_fd_twice);
  tcase_add_test(tc, test_ipc_pass_handle);
  tcase_add_test(tc, test_ipc_pass_udp);
  tcase_add_test(tc, test_ipc_two_handles);
  tcase_add_test(tc, test_tty);
  suite_add_tcase(s, tc);
  return s;
}
