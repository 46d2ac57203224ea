/* SPDX-License-Identifier: MIT */
/*
 * echo-server: a plain libuv (1.44) TCP echo server and its client.
 *
 *   echo-server server PORT        listen on 127.0.0.1:PORT (0: any free
 *                                  port), print "listening on
 *                                  127.0.0.1:PORT", echo every byte back;
 *                                  on SIGTERM print the totals, close
 *                                  every handle and exit
 *   echo-server client PORT N M    open N connections, send M messages
 *                                  on each (one in flight), check every
 *                                  echo, shut the connection down, wait
 *                                  for the server's EOF, print totals
 *
 * Everything printed on stdout is fixed by what the client sends, never
 * by timing, so the output is the same on libuv and on any loop that
 * implements libuv's API (tests/uvapi/check-programs.sh compares them).
 *
 * Build: cc echo-server.c $(pkg-config --cflags --libs libuv)
 *   or   cc echo-server.c $(pkg-config --cflags --libs futures-uvapi futures-epoll)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define CHECK(expr)                                                        \
  do {                                                                     \
    int r_ = (expr);                                                       \
    if (r_ < 0) {                                                          \
      fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #expr,   \
              uv_strerror(r_), uv_err_name(r_));                           \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

static uv_loop_t *loop;

/* ---- server ------------------------------------------------------------- */

static uv_tcp_t server;
static uv_signal_t sigterm;
static unsigned long accepted;
static unsigned long long echoed;

struct echo_write {
  uv_write_t req;
  uv_buf_t buf;
};

static void
on_conn_closed(uv_handle_t *h)
{
  free(h);
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  (void)h;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

static void
on_echo_written(uv_write_t *req, int status)
{
  struct echo_write *w = (struct echo_write *)req;
  if (status < 0 && status != UV_ECANCELED)
    fprintf(stderr, "server: write: %s\n", uv_strerror(status));
  free(w->buf.base);
  free(w);
}

static void
on_server_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
  if (n > 0) {
    struct echo_write *w = malloc(sizeof *w);
    if (!w) {
      free(buf->base);
      uv_close((uv_handle_t *)s, on_conn_closed);
      return;
    }
    w->buf = uv_buf_init(buf->base, (unsigned int)n);
    echoed += (unsigned long long)n;
    int r = uv_write(&w->req, s, &w->buf, 1, on_echo_written);
    if (r < 0) {
      fprintf(stderr, "server: uv_write: %s\n", uv_strerror(r));
      free(buf->base);
      free(w);
      uv_close((uv_handle_t *)s, on_conn_closed);
    }
    return;
  }
  free(buf->base);
  if (n == 0)
    return; /* EAGAIN: nothing read */
  if (n != UV_EOF)
    fprintf(stderr, "server: read: %s\n", uv_strerror((int)n));
  if (!uv_is_closing((uv_handle_t *)s))
    uv_close((uv_handle_t *)s, on_conn_closed);
}

static void
on_connection(uv_stream_t *srv, int status)
{
  if (status < 0) {
    fprintf(stderr, "server: connection: %s\n", uv_strerror(status));
    return;
  }
  uv_tcp_t *c = malloc(sizeof *c);
  if (!c)
    return;
  CHECK(uv_tcp_init(loop, c));
  int r = uv_accept(srv, (uv_stream_t *)c);
  if (r == 0)
    r = uv_read_start((uv_stream_t *)c, on_alloc, on_server_read);
  if (r < 0) {
    fprintf(stderr, "server: accept: %s\n", uv_strerror(r));
    uv_close((uv_handle_t *)c, on_conn_closed);
    return;
  }
  accepted++;
}

static void
close_any(uv_handle_t *h, void *arg)
{
  (void)arg;
  if (uv_is_closing(h))
    return;
  /* the connections were malloc'ed; the listener and the signal are static */
  if (h == (uv_handle_t *)&server || h == (uv_handle_t *)&sigterm)
    uv_close(h, NULL);
  else
    uv_close(h, on_conn_closed);
}

static void
on_sigterm(uv_signal_t *h, int signum)
{
  printf("server: signal %s\n", signum == SIGTERM ? "SIGTERM" : "other");
  printf("server: accepted %lu connections, echoed %llu bytes\n", accepted,
         echoed);
  uv_walk(h->loop, close_any, NULL);
}

static int
run_server(int port)
{
  struct sockaddr_in addr;
  CHECK(uv_ip4_addr("127.0.0.1", port, &addr));
  CHECK(uv_tcp_init(loop, &server));
  CHECK(uv_signal_init(loop, &sigterm));
  CHECK(uv_signal_start(&sigterm, on_sigterm, SIGTERM));
  CHECK(uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0));
  CHECK(uv_listen((uv_stream_t *)&server, 128, on_connection));
  struct sockaddr_storage ss;
  int len = sizeof ss;
  CHECK(uv_tcp_getsockname(&server, (struct sockaddr *)&ss, &len));
  printf("listening on 127.0.0.1:%d\n",
         ntohs(((struct sockaddr_in *)&ss)->sin_port));
  fflush(stdout);
  CHECK(uv_run(loop, UV_RUN_DEFAULT));
  int r = uv_loop_close(loop);
  printf("server: loop closed: %s\n", r == 0 ? "ok" : uv_err_name(r));
  return r == 0 ? 0 : 1;
}

/* ---- client ------------------------------------------------------------- */

#define MSG_LEN 32

struct client {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_write_t write;
  uv_shutdown_t shutdown;
  int index;
  int sent;                 /* messages sent */
  int matched;              /* echoes that matched */
  int got_eof;
  int closed;
  int readable, writable;     /* uv_is_readable/writable once connected */
  char out[MSG_LEN];        /* the message in flight */
  char in[MSG_LEN];         /* its echo so far */
  size_t in_len;
  char rbuf[4096];
};

static struct client *clients;
static int nclients, nmessages;
static unsigned long long client_bytes;
static int mismatches, errors;

static void
on_client_closed(uv_handle_t *h)
{
  struct client *c = h->data;
  c->closed = 1;
}

static void
client_fail(struct client *c, const char *what, int err)
{
  fprintf(stderr, "client %d: %s: %s\n", c->index, what, uv_strerror(err));
  errors++;
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, on_client_closed);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
  struct client *c = req->data;
  if (status < 0)
    client_fail(c, "shutdown", status);
}

static void
on_client_written(uv_write_t *req, int status)
{
  struct client *c = req->data;
  if (status < 0)
    client_fail(c, "write", status);
}

static void
send_next(struct client *c)
{
  if (c->sent == nmessages) {
    c->shutdown.data = c;
    int r = uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown);
    if (r < 0)
      client_fail(c, "uv_shutdown", r);
    return;
  }
  snprintf(c->out, sizeof c->out, "connection %03d message %05d\n", c->index,
           c->sent);
  memset(c->out + strlen(c->out), '.', MSG_LEN - strlen(c->out));
  c->out[MSG_LEN - 1] = '\n';
  c->in_len = 0;
  c->sent++;
  /* two buffers, one write: the echo must come back in order */
  uv_buf_t b[2] = {uv_buf_init(c->out, 10),
                   uv_buf_init(c->out + 10, MSG_LEN - 10)};
  c->write.data = c;
  int r = uv_write(&c->write, (uv_stream_t *)&c->tcp, b, 2, on_client_written);
  if (r < 0)
    client_fail(c, "uv_write", r);
}

static void
on_client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  (void)suggested;
  struct client *c = h->data;
  *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void
on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
  struct client *c = s->data;
  if (n == UV_EOF) {
    c->got_eof = 1;
    uv_close((uv_handle_t *)s, on_client_closed);
    return;
  }
  if (n < 0) {
    client_fail(c, "read", (int)n);
    return;
  }
  for (ssize_t i = 0; i < n; i++) {
    if (c->in_len == MSG_LEN) {
      fprintf(stderr, "client %d: unexpected bytes\n", c->index);
      mismatches++;
      continue;
    }
    c->in[c->in_len++] = buf->base[i];
  }
  client_bytes += (unsigned long long)n;
  if (c->in_len == MSG_LEN) {
    if (memcmp(c->in, c->out, MSG_LEN) == 0)
      c->matched++;
    else
      mismatches++;
    send_next(c);
  }
}

static void
on_connect(uv_connect_t *req, int status)
{
  struct client *c = req->data;
  if (status < 0) {
    client_fail(c, "connect", status);
    return;
  }
  c->readable = uv_is_readable((uv_stream_t *)&c->tcp);
  c->writable = uv_is_writable((uv_stream_t *)&c->tcp);
  int r = uv_read_start((uv_stream_t *)&c->tcp, on_client_alloc, on_client_read);
  if (r < 0) {
    client_fail(c, "uv_read_start", r);
    return;
  }
  send_next(c);
}

/* A connection to a port bound but not listening is refused. */
static uv_tcp_t refused_tcp, bound_tcp;
static uv_connect_t refused_req;
static int refused_status = 1;

static void
on_refused(uv_connect_t *req, int status)
{
  refused_status = status;
  uv_close((uv_handle_t *)req->handle, NULL);
  uv_close((uv_handle_t *)&bound_tcp, NULL);
}

static void
try_refused(void)
{
  struct sockaddr_in addr;
  struct sockaddr_storage ss;
  int len = sizeof ss;
  CHECK(uv_ip4_addr("127.0.0.1", 0, &addr));
  CHECK(uv_tcp_init(loop, &bound_tcp));
  CHECK(uv_tcp_bind(&bound_tcp, (const struct sockaddr *)&addr, 0));
  CHECK(uv_tcp_getsockname(&bound_tcp, (struct sockaddr *)&ss, &len));
  CHECK(uv_tcp_init(loop, &refused_tcp));
  CHECK(uv_tcp_connect(&refused_req, &refused_tcp, (const struct sockaddr *)&ss,
                       on_refused));
}

static int
run_client(int port, int n, int m)
{
  struct sockaddr_in addr;
  CHECK(uv_ip4_addr("127.0.0.1", port, &addr));
  nclients = n;
  nmessages = m;
  clients = calloc((size_t)n, sizeof *clients);
  if (!clients)
    return 1;
  for (int i = 0; i < n; i++) {
    struct client *c = &clients[i];
    c->index = i;
    CHECK(uv_tcp_init(loop, &c->tcp));
    c->tcp.data = c;
    c->connect.data = c;
    CHECK(uv_tcp_connect(&c->connect, &c->tcp, (const struct sockaddr *)&addr,
                         on_connect));
  }
  try_refused();
  CHECK(uv_run(loop, UV_RUN_DEFAULT));
  int all_eof = 1;
  for (int i = 0; i < n; i++) {
    if (!clients[i].closed)
      errors++;
    if (!clients[i].got_eof)
      all_eof = 0;
    printf("client: connection %d: readable %d, writable %d, %d of %d "
           "echoes matched\n", i, clients[i].readable, clients[i].writable,
           clients[i].matched, m);
  }
  printf("client: %d connections, %d messages each, %llu bytes echoed, "
         "%d mismatches, %d errors, EOF from the server on every "
         "connection: %s\n",
         n, m, client_bytes, mismatches, errors, all_eof ? "yes" : "no");
  printf("client: connect to a port nobody listens on: %s\n",
         refused_status == 1 ? "no callback" : uv_err_name(refused_status));
  int r = uv_loop_close(loop);
  printf("client: loop closed: %s\n", r == 0 ? "ok" : uv_err_name(r));
  free(clients);
  return r == 0 && errors == 0 && mismatches == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
  signal(SIGPIPE, SIG_IGN);
  loop = uv_default_loop();
  if (argc == 3 && strcmp(argv[1], "server") == 0)
    return run_server(atoi(argv[2]));
  if (argc == 5 && strcmp(argv[1], "client") == 0)
    return run_client(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
  fprintf(stderr, "usage: %s server PORT | client PORT CONNECTIONS MESSAGES\n",
          argv[0]);
  return 2;
}
