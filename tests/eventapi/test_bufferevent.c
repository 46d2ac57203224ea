/* SPDX-License-Identifier: MIT */
/* tests/eventapi: socket bufferevents (libevent 2.1's documented behaviour). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_compat.h>
#include <event2/bufferevent_struct.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "evtest-buffers.h"

/* ---- echo over a socketpair -------------------------------------------------- */

struct echo {
  int done;
  size_t want, got;
  int events;
  short last_what;
  int last_errno;
};

static void
echo_readcb(struct bufferevent *bev, void *arg)
{
  (void)arg;
  ck_assert_int_eq(bufferevent_write_buffer(bev, bufferevent_get_input(bev)), 0);
}

static void
client_readcb(struct bufferevent *bev, void *arg)
{
  struct echo *e = arg;
  struct evbuffer *in = bufferevent_get_input(bev);

  e->got += evbuffer_get_length(in);
  ck_assert_int_eq(evbuffer_drain(in, evbuffer_get_length(in)), 0);
  if (e->got >= e->want)
    e->done = 1;
}

static void
record_eventcb(struct bufferevent *bev, short what, void *arg)
{
  struct echo *e = arg;

  (void)bev;
  e->events++;
  e->last_what = what;
  e->last_errno = EVUTIL_SOCKET_ERROR();
  e->done = 1;
}

START_TEST(test_echo_socketpair)
{
  struct event_base *base = event_base_new();
  struct bufferevent *srv, *cli;
  struct echo e;
  int sv[2], i;
  char msg[3000];
  bufferevent_data_cb r, w;
  bufferevent_event_cb ev;
  void *arg;

  memset(&e, 0, sizeof e);
  evtb_socketpair(sv);
  srv = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
  cli = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
  ck_assert_ptr_nonnull(srv);
  ck_assert_ptr_nonnull(cli);
  ck_assert_ptr_eq(bufferevent_get_base(srv), base);
  ck_assert_int_eq(bufferevent_getfd(srv), sv[0]);
  ck_assert_int_eq(bufferevent_get_enabled(srv), EV_WRITE);
  bufferevent_setcb(srv, echo_readcb, NULL, record_eventcb, &e);
  bufferevent_getcb(srv, &r, &w, &ev, &arg);
  ck_assert(r == echo_readcb);
  ck_assert(w == NULL);
  ck_assert(ev == record_eventcb);
  ck_assert_ptr_eq(arg, &e);
  bufferevent_setcb(cli, client_readcb, NULL, record_eventcb, &e);
  ck_assert_int_eq(bufferevent_enable(srv, EV_READ), 0);
  ck_assert_int_eq(bufferevent_enable(cli, EV_READ), 0);
  ck_assert_int_eq(bufferevent_get_enabled(srv), EV_READ | EV_WRITE);
  memset(msg, 'm', sizeof msg);
  for (i = 0; i < 100; i++)
    ck_assert_int_eq(bufferevent_write(cli, msg, sizeof msg), 0);
  e.want = 100 * sizeof msg;
  /* Nothing is written inside bufferevent_write(). */
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_output(cli)), e.want);
  evtb_run_until(base, &e.done);
  ck_assert_uint_eq(e.got, e.want);
  ck_assert_int_eq(e.events, 0);
  /* A bufferevent's own buffers: input refuses adds, output refuses drains. */
  ck_assert_int_eq(evbuffer_add(bufferevent_get_input(cli), "x", 1), -1);
  ck_assert_int_eq(bufferevent_write(cli, "abc", 3), 0);
  ck_assert_int_eq(evbuffer_drain(bufferevent_get_output(cli), 1), -1);
  bufferevent_free(srv);
  bufferevent_free(cli);
  evtb_spin(base, 1);
  ck_assert(evtb_fd_closed(sv[0]));
  ck_assert(evtb_fd_closed(sv[1]));
  event_base_free(base);
}
END_TEST

/* ---- 1,000 TCP connections, one loop --------------------------------------------- */

#define MSG_LEN 100

struct mass {
  struct event_base *base;
  int n, accepted, finished, done;
  struct bufferevent **server_bevs;
};

static void
mass_srv_eventcb(struct bufferevent *bev, short what, void *arg)
{
  struct mass *m = arg;

  ck_assert_int_ne(what & BEV_EVENT_EOF, 0);
  (void)m;
  bufferevent_free(bev);
}

static void
mass_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
  struct mass *m = arg;
  struct bufferevent *bev;

  (void)lev;
  (void)sa;
  (void)socklen;
  ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  bev = bufferevent_socket_new(m->base, fd, BEV_OPT_CLOSE_ON_FREE);
  ck_assert_ptr_nonnull(bev);
  bufferevent_setcb(bev, echo_readcb, NULL, mass_srv_eventcb, m);
  ck_assert_int_eq(bufferevent_enable(bev, EV_READ | EV_WRITE), 0);
  m->accepted++;
}

static void
mass_cli_readcb(struct bufferevent *bev, void *arg)
{
  struct mass *m = arg;
  struct evbuffer *in = bufferevent_get_input(bev);
  char buf[MSG_LEN];
  int fd = bufferevent_getfd(bev);

  if (evbuffer_get_length(in) < MSG_LEN)
    return;
  ck_assert_int_eq(bufferevent_read(bev, buf, sizeof buf), MSG_LEN);
  ck_assert_int_eq(buf[0], (char)('A' + fd % 26));
  bufferevent_free(bev); /* from its own callback */
  if (++m->finished == m->n)
    m->done = 1;
}

static void
mass_cli_eventcb(struct bufferevent *bev, short what, void *arg)
{
  char msg[MSG_LEN];

  (void)arg;
  ck_assert_int_eq(what, BEV_EVENT_CONNECTED);
  memset(msg, 'A' + bufferevent_getfd(bev) % 26, sizeof msg);
  ck_assert_int_eq(bufferevent_write(bev, msg, sizeof msg), 0);
}

START_TEST(test_thousand_connections)
{
  struct mass m;
  struct evconnlistener *lev;
  struct sockaddr_in sin = evtb_loopback(0);
  struct rlimit rl;
  int i;

  memset(&m, 0, sizeof m);
  m.n = 1000;
  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < 2200 && rl.rlim_max > rl.rlim_cur) {
    rl.rlim_cur = rl.rlim_max < 2200 ? rl.rlim_max : 2200;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
  }
  if (rl.rlim_cur < 2200)
    m.n = (int)(rl.rlim_cur - 100) / 2; /* both ends live in this process */
  m.base = event_base_new();
  ck_assert_ptr_nonnull(m.base);
  lev = evconnlistener_new_bind(m.base, mass_accept, &m, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
                                (struct sockaddr *)&sin, sizeof sin);
  ck_assert_ptr_nonnull(lev);
  sin = evtb_loopback(evtb_port_of(evconnlistener_get_fd(lev)));
  for (i = 0; i < m.n; i++) {
    struct bufferevent *c = bufferevent_socket_new(m.base, -1, BEV_OPT_CLOSE_ON_FREE);

    ck_assert_ptr_nonnull(c);
    bufferevent_setcb(c, mass_cli_readcb, NULL, mass_cli_eventcb, &m);
    ck_assert_int_eq(bufferevent_enable(c, EV_READ), 0);
    ck_assert_int_eq(bufferevent_socket_connect(c, (struct sockaddr *)&sin, sizeof sin), 0);
    ck_assert_int_ge(bufferevent_getfd(c), 0);
  }
  evtb_run_until(m.base, &m.done);
  ck_assert_int_eq(m.accepted, m.n);
  ck_assert_int_eq(m.finished, m.n);
  /* The server ends see EOF and free themselves. */
  evtb_spin(m.base, 3);
  evconnlistener_free(lev);
  event_base_free(m.base);
}
END_TEST

/* ---- watermarks ----------------------------------------------------------------------- */

struct wm {
  int reads;
  size_t last_len;
  int done;
};

static void
wm_readcb(struct bufferevent *bev, void *arg)
{
  struct wm *w = arg;

  w->reads++;
  w->last_len = evbuffer_get_length(bufferevent_get_input(bev));
  w->done = 1;
}

START_TEST(test_watermarks)
{
  struct event_base *base = event_base_new();
  struct bufferevent *bev;
  struct wm w;
  int sv[2];
  char data[100];
  size_t lo, hi;

  memset(&w, 0, sizeof w);
  memset(data, 'w', sizeof data);
  evtb_socketpair(sv);
  bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev, wm_readcb, NULL, NULL, &w);
  bufferevent_setwatermark(bev, EV_READ, 0, 10);
  ck_assert_int_eq(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
  ck_assert_uint_eq(lo, 0);
  ck_assert_uint_eq(hi, 10);
  ck_assert_int_eq(bufferevent_getwatermark(bev, EV_READ | EV_WRITE, &lo, &hi), -1);
  ck_assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
  ck_assert_int_eq((int)write(sv[1], data, sizeof data), (int)sizeof data);
  evtb_run_until(base, &w.done);
  ck_assert_int_eq(w.reads, 1);
  ck_assert_uint_eq(w.last_len, 10);
  /* The input is at the high watermark: reading stopped. */
  evtb_spin(base, 5);
  ck_assert_int_eq(w.reads, 1);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(bev)), 10);
  /* Draining resumes it. */
  w.done = 0;
  ck_assert_int_eq(evbuffer_drain(bufferevent_get_input(bev), 4), 0);
  evtb_run_until(base, &w.done);
  ck_assert_int_eq(w.reads, 2);
  ck_assert_uint_eq(w.last_len, 10);
  /* Raising the mark resumes too. */
  w.done = 0;
  bufferevent_setwatermark(bev, EV_READ, 0, 0);
  evtb_run_until(base, &w.done);
  ck_assert_uint_eq(w.last_len, 100 - 4);

  /* Low watermark: no read callback below it. */
  ck_assert_int_eq(evbuffer_drain(bufferevent_get_input(bev), 1000), 0);
  bufferevent_setwatermark(bev, EV_READ, 50, 0);
  w.reads = 0;
  w.done = 0;
  ck_assert_int_eq((int)write(sv[1], data, 30), 30);
  evtb_spin(base, 5);
  ck_assert_int_eq(w.reads, 0);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(bev)), 30);
  ck_assert_int_eq((int)write(sv[1], data, 30), 30);
  evtb_run_until(base, &w.done);
  ck_assert_int_eq(w.reads, 1);
  ck_assert_uint_eq(w.last_len, 60);
  bufferevent_free(bev);
  close(sv[1]);
  event_base_free(base);
}
END_TEST

/* Write low watermark: the write callback runs once the output drained to it. */
static void
count_writecb(struct bufferevent *bev, void *arg)
{
  struct wm *w = arg;

  w->reads++;
  w->last_len = evbuffer_get_length(bufferevent_get_output(bev));
  w->done = 1;
}

START_TEST(test_write_callback)
{
  struct event_base *base = event_base_new();
  struct bufferevent *bev;
  struct wm w;
  int sv[2];

  memset(&w, 0, sizeof w);
  evtb_socketpair(sv);
  bev = bufferevent_socket_new(base, sv[0], 0);
  bufferevent_setcb(bev, NULL, count_writecb, NULL, &w);
  ck_assert_int_eq(bufferevent_write(bev, "hello", 5), 0);
  ck_assert_int_eq(w.reads, 0); /* never inside the call */
  evtb_run_until(base, &w.done);
  ck_assert_int_eq(w.reads, 1);
  ck_assert_uint_eq(w.last_len, 0);
  evtb_spin(base, 3);
  ck_assert_int_eq(w.reads, 1); /* empty output: no more */
  /* Disabled writing: nothing is sent. */
  ck_assert_int_eq(bufferevent_disable(bev, EV_WRITE), 0);
  ck_assert_int_eq(bufferevent_write(bev, "more", 4), 0);
  evtb_spin(base, 3);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_output(bev)), 4);
  w.done = 0;
  ck_assert_int_eq(bufferevent_enable(bev, EV_WRITE), 0);
  evtb_run_until(base, &w.done);
  ck_assert_int_eq(w.reads, 2);
  {
    char buf[16];

    ck_assert_int_eq((int)read(sv[1], buf, sizeof buf), 9);
    ck_assert_int_eq(memcmp(buf, "hellomore", 9), 0);
  }
  bufferevent_free(bev);
  ck_assert(!evtb_fd_closed(sv[0])); /* no CLOSE_ON_FREE */
  close(sv[0]);
  close(sv[1]);
  event_base_free(base);
}
END_TEST

/* ---- timeouts, EOF ---------------------------------------------------------------------- */

START_TEST(test_read_timeout)
{
  struct event_base *base = event_base_new();
  struct bufferevent *bev;
  struct echo e;
  struct timeval tv = { 0, 50000 };
  int sv[2];

  memset(&e, 0, sizeof e);
  evtb_socketpair(sv);
  bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev, client_readcb, NULL, record_eventcb, &e);
  ck_assert_int_eq(bufferevent_set_timeouts(bev, &tv, NULL), 0);
  ck_assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
  evtb_run_until(base, &e.done);
  ck_assert_int_eq(e.events, 1);
  ck_assert_int_eq(e.last_what, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
  ck_assert_int_eq(bufferevent_get_enabled(bev) & EV_READ, 0);
  /* Re-enabled, the timeout runs again; data in time cancels nothing but
   * restarts it. */
  e.done = 0;
  ck_assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
  evtb_run_until(base, &e.done);
  ck_assert_int_eq(e.events, 2);
  bufferevent_free(bev);
  close(sv[1]);
  event_base_free(base);
}
END_TEST

START_TEST(test_eof)
{
  struct event_base *base = event_base_new();
  struct bufferevent *bev;
  struct echo e;
  int sv[2];

  memset(&e, 0, sizeof e);
  evtb_socketpair(sv);
  bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev, NULL, NULL, record_eventcb, &e);
  ck_assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
  ck_assert_int_eq((int)write(sv[1], "bye", 3), 3);
  close(sv[1]);
  evtb_run_until(base, &e.done);
  ck_assert_int_eq(e.last_what, BEV_EVENT_EOF | BEV_EVENT_READING);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(bev)), 3);
  ck_assert_int_eq(bufferevent_get_enabled(bev) & EV_READ, 0);
  bufferevent_free(bev);
  evtb_spin(base, 1);
  ck_assert(evtb_fd_closed(sv[0]));
  event_base_free(base);
}
END_TEST

/* ---- connecting ---------------------------------------------------------------------------- */

START_TEST(test_connect_refused)
{
  struct event_base *base = event_base_new();
  struct bufferevent *bev;
  struct echo e;
  struct sockaddr_in sin = evtb_loopback(0);
  int s;

  memset(&e, 0, sizeof e);
  /* A port nobody listens on: bound, never listening. */
  s = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
  sin = evtb_loopback(evtb_port_of(s));
  bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev, NULL, NULL, record_eventcb, &e);
  ck_assert_int_eq(bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof sin), 0);
  ck_assert_int_eq(e.events, 0); /* reported from the loop */
  evtb_run_until(base, &e.done);
  ck_assert_int_eq(e.events, 1);
  ck_assert_int_eq(e.last_what & BEV_EVENT_ERROR, BEV_EVENT_ERROR);
  ck_assert_int_eq(e.last_errno, ECONNREFUSED);
  bufferevent_free(bev);
  close(s);
  event_base_free(base);
}
END_TEST

static int hostname_accepted;
static void
close_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
  (void)lev;
  (void)sa;
  (void)socklen;
  (void)arg;
  hostname_accepted++;
  close(fd);
}

static void
connect_hostname_case(int use_evdns)
{
  struct event_base *base = event_base_new();
  struct evdns_base *dns = use_evdns ? evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS) : NULL;
  struct bufferevent *bev;
  struct evconnlistener *lev;
  struct sockaddr_in sin = evtb_loopback(0);
  struct echo e;

  memset(&e, 0, sizeof e);
  hostname_accepted = 0;
  lev = evconnlistener_new_bind(base, close_accept, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
                                (struct sockaddr *)&sin, sizeof sin);
  ck_assert_ptr_nonnull(lev);
  bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev, NULL, NULL, record_eventcb, &e);
  ck_assert_int_eq(bufferevent_socket_connect_hostname(bev, dns, AF_INET, "localhost",
                                                       ntohs(evtb_port_of(evconnlistener_get_fd(lev)))),
                   0);
  evtb_run_until(base, &e.done);
  ck_assert_int_eq(e.last_what, BEV_EVENT_CONNECTED);
  ck_assert_int_eq(bufferevent_socket_get_dns_error(bev), 0);
  bufferevent_free(bev);
  evconnlistener_free(lev);
  if (dns)
    evdns_base_free(dns, 0);
  event_base_free(base);
}

START_TEST(test_connect_hostname)
{
  connect_hostname_case(0);
}
END_TEST

START_TEST(test_connect_hostname_evdns)
{
  connect_hostname_case(1);
}
END_TEST

START_TEST(test_connect_hostname_fails)
{
  struct event_base *base = event_base_new();
  struct bufferevent *bev;
  struct echo e;

  memset(&e, 0, sizeof e);
  bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev, NULL, NULL, record_eventcb, &e);
  ck_assert_int_eq(bufferevent_socket_connect_hostname(bev, NULL, AF_INET, "no-such-host.invalid", 80), 0);
  evtb_spin(base, 2);
  ck_assert_int_eq(e.events, 1);
  ck_assert_int_ne(e.last_what & BEV_EVENT_ERROR, 0);
  ck_assert_int_ne(bufferevent_socket_get_dns_error(bev), 0);
  ck_assert_int_eq(bufferevent_socket_connect_hostname(NULL, NULL, AF_INET, "localhost", 80), -1);
  ck_assert_int_eq(bufferevent_socket_connect_hostname(bev, NULL, AF_INET, NULL, 80), -1);
  bufferevent_free(bev);
  event_base_free(base);
}
END_TEST

/* ---- deferred callbacks, trigger ------------------------------------------------------------ */

static int trig_reads;
static void
trig_readcb(struct bufferevent *bev, void *arg)
{
  (void)bev;
  (void)arg;
  trig_reads++;
}

START_TEST(test_trigger_and_defer)
{
  struct event_base *base = event_base_new();
  struct bufferevent *bev, *dbev;
  int sv[2];

  evtb_socketpair(sv);
  bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
  dbev = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
  bufferevent_setcb(bev, trig_readcb, NULL, NULL, NULL);
  bufferevent_setcb(dbev, trig_readcb, NULL, NULL, NULL);
  trig_reads = 0;
  bufferevent_trigger(bev, EV_READ, 0);
  ck_assert_int_eq(trig_reads, 1); /* at once */
  bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
  ck_assert_int_eq(trig_reads, 1);
  bufferevent_trigger(dbev, EV_READ, 0);
  ck_assert_int_eq(trig_reads, 1);
  evtb_spin(base, 1);
  ck_assert_int_eq(trig_reads, 3);
  /* The low watermark filters unless told to ignore it. */
  bufferevent_setwatermark(bev, EV_READ, 10, 0);
  bufferevent_trigger(bev, EV_READ, 0);
  ck_assert_int_eq(trig_reads, 3);
  bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
  ck_assert_int_eq(trig_reads, 4);
  /* Freed with a deferred callback pending: it never runs. */
  bufferevent_trigger(dbev, EV_READ, 0);
  bufferevent_free(dbev);
  evtb_spin(base, 2);
  ck_assert_int_eq(trig_reads, 4);
  ck_assert(evtb_fd_closed(sv[1]));
  bufferevent_free(bev);
  event_base_free(base);
}
END_TEST

/* ---- freeing in every state ---------------------------------------------------------------- */

static void
free_in_eventcb(struct bufferevent *bev, short what, void *arg)
{
  int *n = arg;

  (void)what;
  bufferevent_free(bev);
  (*n)++;
}

START_TEST(test_free_states)
{
  struct event_base *base = event_base_new();
  struct bufferevent *bev;
  struct sockaddr_in sin = evtb_loopback(0);
  struct evconnlistener *lev;
  int sv[2], n = 0, fd;

  lev = evconnlistener_new_bind(base, close_accept, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
                                (struct sockaddr *)&sin, sizeof sin);
  sin = evtb_loopback(evtb_port_of(evconnlistener_get_fd(lev)));
  /* While connecting. */
  bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  ck_assert_int_eq(bufferevent_socket_connect(bev, (struct sockaddr *)&sin, sizeof sin), 0);
  fd = bufferevent_getfd(bev);
  bufferevent_free(bev);
  evtb_spin(base, 2);
  ck_assert(evtb_fd_closed(fd));
  /* With unsent output and reading enabled. */
  evtb_socketpair(sv);
  bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
  ck_assert_int_eq(bufferevent_enable(bev, EV_READ | EV_WRITE), 0);
  ck_assert_int_eq(bufferevent_write(bev, "data", 4), 0);
  bufferevent_free(bev);
  evtb_spin(base, 2);
  ck_assert(evtb_fd_closed(sv[0]));
  close(sv[1]);
  /* From its own event callback (EOF). */
  evtb_socketpair(sv);
  bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
  bufferevent_setcb(bev, NULL, NULL, free_in_eventcb, &n);
  ck_assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
  close(sv[1]);
  evtb_run_until(base, &n);
  evtb_spin(base, 1);
  ck_assert(evtb_fd_closed(sv[0]));
  /* While its hostname lookup is in flight (cancelled, never reported). */
  {
    struct evdns_base *dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
    struct echo e;

    memset(&e, 0, sizeof e);
    ck_assert_ptr_nonnull(dns);
    bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, NULL, NULL, record_eventcb, &e);
    ck_assert_int_eq(bufferevent_socket_connect_hostname(bev, dns, AF_INET, "localhost", 80), 0);
    bufferevent_free(bev);
    evtb_spin(base, 3);
    ck_assert_int_eq(e.events, 0);
    evdns_base_free(dns, 0);
  }
  /* Never enabled, no socket. */
  bev = bufferevent_socket_new(base, -1, 0);
  bufferevent_free(bev);
  bufferevent_free(NULL);
  /* Held by a reference. */
  evtb_socketpair(sv);
  bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
  bufferevent_incref(bev);
  bufferevent_free(bev);
  ck_assert(!evtb_fd_closed(sv[0]));
  ck_assert_int_eq(bufferevent_decref(bev), 1);
  evtb_spin(base, 1);
  ck_assert(evtb_fd_closed(sv[0]));
  close(sv[1]);
  evconnlistener_free(lev);
  event_base_free(base);
}
END_TEST

START_TEST(test_bad_input)
{
  struct event_base *base = event_base_new();
  struct bufferevent *bev;
  char buf[4];

  ck_assert_ptr_null(bufferevent_socket_new(NULL, -1, 0));
  bev = bufferevent_socket_new(base, -1, 0);
  ck_assert_ptr_nonnull(bev);
  ck_assert_int_eq(bufferevent_getfd(bev), -1);
  /* Enabling without a socket records the wish; setfd starts watching. */
  ck_assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
  ck_assert_int_eq(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
  ck_assert_uint_eq(bufferevent_read(bev, buf, sizeof buf), 0);
  ck_assert_int_eq(bufferevent_write(bev, NULL, 0), 0);
  ck_assert_int_eq(bufferevent_socket_connect(bev, NULL, 0), -1);
  ck_assert_ptr_null(bufferevent_get_underlying(bev));
  ck_assert_int_eq(bufferevent_flush(bev, EV_WRITE, BEV_FLUSH), 0);
  ck_assert_int_eq(bufferevent_set_max_single_read(bev, 100), 0);
  ck_assert_int_eq((int)bufferevent_get_max_single_read(bev), 100);
  ck_assert_int_eq((int)bufferevent_get_max_single_write(bev), 16384);
  ck_assert_int_eq((int)bufferevent_get_max_to_read(bev), 100);
  ck_assert_int_eq((int)bufferevent_get_max_to_write(bev), 16384);
  ck_assert_int_eq(bufferevent_priority_set(bev, 0), 0);
  ck_assert_int_eq(bufferevent_get_priority(bev), 0);
  bufferevent_free(bev);
  event_base_free(base);
}
END_TEST

START_TEST(test_setfd_and_buffers)
{
  struct event_base *base = event_base_new();
  struct bufferevent *bev;
  struct evbuffer *tmp = evbuffer_new();
  struct echo e;
  int sv[2];
  char buf[8];

  memset(&e, 0, sizeof e);
  evtb_socketpair(sv);
  bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev, client_readcb, NULL, record_eventcb, &e);
  e.want = 5;
  ck_assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
  ck_assert_int_eq(bufferevent_setfd(bev, sv[0]), 0);
  ck_assert_int_eq(bufferevent_getfd(bev), sv[0]);
  ck_assert_int_eq((int)write(sv[1], "12345", 5), 5);
  evtb_run_until(base, &e.done);
  ck_assert_uint_eq(e.got, 5);
  /* read_buffer / write_buffer. */
  ck_assert_int_eq(evbuffer_add(tmp, "xyz", 3), 0);
  ck_assert_int_eq(bufferevent_write_buffer(bev, tmp), 0);
  ck_assert_uint_eq(evbuffer_get_length(tmp), 0);
  bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
  ck_assert_int_eq((int)write(sv[1], "abc", 3), 3);
  while (evbuffer_get_length(bufferevent_get_input(bev)) < 3)
    ck_assert_int_ge(event_base_loop(base, EVLOOP_ONCE), 0);
  ck_assert_int_eq(bufferevent_read_buffer(bev, tmp), 0);
  ck_assert_int_eq(evbuffer_remove(tmp, buf, sizeof buf), 3);
  ck_assert_int_eq(memcmp(buf, "abc", 3), 0);
  evtb_spin(base, 2);
  ck_assert_int_eq((int)read(sv[1], buf, sizeof buf), 3);
  ck_assert_int_eq(memcmp(buf, "xyz", 3), 0);
  evbuffer_free(tmp);
  bufferevent_free(bev);
  close(sv[1]);
  event_base_free(base);
}
END_TEST

/* ---- pairs ------------------------------------------------------------------------------ */

struct pairrec {
  int reads, writes, events;
  short what;
  int done;
};

static void
pair_readcb(struct bufferevent *bev, void *arg)
{
  struct pairrec *r = arg;

  (void)bev;
  r->reads++;
  r->done = 1;
}

static void
pair_writecb(struct bufferevent *bev, void *arg)
{
  struct pairrec *r = arg;

  (void)bev;
  r->writes++;
}

static void
pair_eventcb(struct bufferevent *bev, short what, void *arg)
{
  struct pairrec *r = arg;

  (void)bev;
  r->events++;
  r->what = what;
  r->done = 1;
}

START_TEST(test_pair)
{
  struct event_base *base = event_base_new();
  struct bufferevent *p[2];
  struct pairrec ra, rb;
  char buf[128];

  memset(&ra, 0, sizeof ra);
  memset(&rb, 0, sizeof rb);
  ck_assert_int_eq(bufferevent_pair_new(base, 0, p), 0);
  ck_assert_ptr_eq(bufferevent_pair_get_partner(p[0]), p[1]);
  ck_assert_ptr_eq(bufferevent_pair_get_partner(p[1]), p[0]);
  ck_assert_int_eq(bufferevent_getfd(p[0]), -1);
  ck_assert_int_eq(bufferevent_setfd(p[0], 0), -1);
  bufferevent_setcb(p[0], pair_readcb, pair_writecb, pair_eventcb, &ra);
  bufferevent_setcb(p[1], pair_readcb, pair_writecb, pair_eventcb, &rb);
  /* The reader is not reading: the data waits in the writer's output. */
  ck_assert_int_eq(bufferevent_write(p[0], "hello", 5), 0);
  evtb_spin(base, 2);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_output(p[0])), 5);
  ck_assert_int_eq(rb.reads, 0);
  ck_assert_int_eq(bufferevent_enable(p[1], EV_READ), 0);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(p[1])), 5);
  ck_assert_int_eq(rb.reads, 0); /* deferred, never inside the call */
  evtb_run_until(base, &rb.done);
  ck_assert_int_eq(rb.reads, 1);
  ck_assert_int_eq(ra.writes, 1);
  ck_assert_uint_eq(bufferevent_read(p[1], buf, sizeof buf), 5);
  /* The read high watermark bounds what is handed over. */
  bufferevent_setwatermark(p[1], EV_READ, 0, 10);
  memset(buf, 'z', sizeof buf);
  rb.done = 0;
  ck_assert_int_eq(bufferevent_write(p[0], buf, 100), 0);
  evtb_run_until(base, &rb.done);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(p[1])), 10);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_output(p[0])), 90);
  rb.done = 0;
  ck_assert_int_eq(evbuffer_drain(bufferevent_get_input(p[1]), 10), 0);
  evtb_run_until(base, &rb.done);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(p[1])), 10);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_output(p[0])), 80);
  /* BEV_FINISHED: everything goes, then the partner sees EOF. */
  rb.done = 0;
  ck_assert_int_eq(bufferevent_flush(p[0], EV_WRITE, BEV_FINISHED), 0);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(p[1])), 90);
  evtb_run_until(base, &rb.done);
  while (rb.events == 0)
    ck_assert_int_ge(event_base_loop(base, EVLOOP_ONCE), 0);
  ck_assert_int_eq(rb.what, BEV_EVENT_EOF | BEV_EVENT_READING);
  /* One end freed: the other has no partner. */
  bufferevent_free(p[0]);
  ck_assert_ptr_null(bufferevent_pair_get_partner(p[1]));
  ck_assert_int_eq(bufferevent_flush(p[1], EV_WRITE, BEV_FLUSH), -1);
  ck_assert_int_eq(bufferevent_write(p[1], "x", 1), 0);
  evtb_spin(base, 2);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_output(p[1])), 1);
  bufferevent_free(p[1]);
  ck_assert_int_eq(bufferevent_pair_new(base, BEV_OPT_THREADSAFE, p), -1);
  event_base_free(base);
}
END_TEST

START_TEST(test_pair_timeout)
{
  struct event_base *base = event_base_new();
  struct bufferevent *p[2];
  struct pairrec r;
  struct timeval tv = { 0, 30000 };

  memset(&r, 0, sizeof r);
  ck_assert_int_eq(bufferevent_pair_new(base, 0, p), 0);
  bufferevent_setcb(p[0], NULL, NULL, pair_eventcb, &r);
  ck_assert_int_eq(bufferevent_set_timeouts(p[0], &tv, NULL), 0);
  ck_assert_int_eq(bufferevent_enable(p[0], EV_READ), 0);
  evtb_run_until(base, &r.done);
  ck_assert_int_eq(r.what, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
  ck_assert_int_eq(bufferevent_get_enabled(p[0]) & EV_READ, 0);
  /* Freed with a deferred callback pending on the other end. */
  ck_assert_int_eq(bufferevent_enable(p[1], EV_READ), 0);
  ck_assert_int_eq(bufferevent_write(p[0], "abc", 3), 0);
  bufferevent_free(p[1]);
  bufferevent_free(p[0]);
  evtb_spin(base, 2);
  event_base_free(base);
}
END_TEST

/* The libevent 1.4 names: bufferevent_new on event_init's base, old flags. */
START_TEST(test_compat_names)
{
  struct event_base *base;
  struct bufferevent *bev;
  struct echo e;
  int sv[2];

  memset(&e, 0, sizeof e);
  ck_assert_ptr_null(bufferevent_new(-1, NULL, NULL, NULL, NULL)); /* no event_init() yet */
  base = event_init();
  ck_assert_ptr_nonnull(base);
  evtb_socketpair(sv);
  bev = bufferevent_new(sv[0], client_readcb, NULL, record_eventcb, &e);
  ck_assert_ptr_nonnull(bev);
  ck_assert_ptr_eq(bufferevent_get_base(bev), base);
  ck_assert_ptr_eq(EVBUFFER_INPUT(bev), bufferevent_get_input(bev));
  ck_assert_ptr_eq(EVBUFFER_OUTPUT(bev), bufferevent_get_output(bev));
  bufferevent_settimeout(bev, 1, 0);
  ck_assert_int_eq((int)bev->timeout_read.tv_sec, 1);
  ck_assert_int_eq(bufferevent_enable(bev, EV_READ), 0);
  close(sv[1]);
  evtb_run_until(base, &e.done);
  ck_assert_int_eq(e.last_what, EVBUFFER_EOF | EVBUFFER_READ);
  bufferevent_free(bev);
  close(sv[0]);
  event_base_free(base);
}
END_TEST

Suite *
evtest_bufferevent_suite(void)
{
  Suite *s = suite_create("event-bufferevent");
  TCase *tc = tcase_create("bufferevent");

  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_echo_socketpair);
  tcase_add_test(tc, test_thousand_connections);
  tcase_add_test(tc, test_watermarks);
  tcase_add_test(tc, test_write_callback);
  tcase_add_test(tc, test_read_timeout);
  tcase_add_test(tc, test_eof);
  tcase_add_test(tc, test_connect_refused);
  tcase_add_test(tc, test_connect_hostname);
  tcase_add_test(tc, test_connect_hostname_evdns);
  tcase_add_test(tc, test_connect_hostname_fails);
  tcase_add_test(tc, test_trigger_and_defer);
  tcase_add_test(tc, test_free_states);
  tcase_add_test(tc, test_bad_input);
  tcase_add_test(tc, test_setfd_and_buffers);
  tcase_add_test(tc, test_pair);
  tcase_add_test(tc, test_pair_timeout);
  tcase_add_test(tc, test_compat_names);
  suite_add_tcase(s, tc);
  return s;
}
