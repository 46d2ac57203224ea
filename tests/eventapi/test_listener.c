/* SPDX-License-Identifier: MIT */
/* tests/eventapi: evconnlistener (libevent 2.1's documented behaviour). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "evtest-buffers.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

struct acc {
  int count;
  int want;
  int done;
  int nonblocking;
  int cloexec;
  int errors;
  int err;
  int free_in_cb;
  int disable_in_cb;
};

static void
acc_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
  struct acc *a = arg;

  ck_assert_int_eq(sa->sa_family, AF_INET);
  ck_assert_int_eq(socklen, (int)sizeof(struct sockaddr_in));
  if (fcntl(fd, F_GETFL) & O_NONBLOCK)
    a->nonblocking++;
  if (fcntl(fd, F_GETFD) & FD_CLOEXEC)
    a->cloexec++;
  close(fd);
  if (++a->count >= a->want)
    a->done = 1;
  if (a->disable_in_cb)
    ck_assert_int_eq(evconnlistener_disable(lev), 0);
  if (a->free_in_cb)
    evconnlistener_free(lev);
}

static int
client_connect(in_port_t port)
{
  struct sockaddr_in sin = evtb_loopback(port);
  int s = socket(AF_INET, SOCK_STREAM, 0);

  ck_assert_int_ge(s, 0);
  ck_assert_int_eq(connect(s, (struct sockaddr *)&sin, sizeof sin), 0);
  return s;
}

static struct evconnlistener *
bind_any(struct event_base *base, struct acc *a, unsigned flags)
{
  struct sockaddr_in sin = evtb_loopback(0);
  struct evconnlistener *lev =
      evconnlistener_new_bind(base, acc_cb, a, flags | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof sin);

  ck_assert_ptr_nonnull(lev);
  ck_assert_ptr_eq(evconnlistener_get_base(lev), base);
  return lev;
}

START_TEST(test_accept_count)
{
  struct event_base *base = event_base_new();
  struct acc a;
  struct evconnlistener *lev;
  int cl[50], i, lfd;
  in_port_t port;

  memset(&a, 0, sizeof a);
  a.want = 50;
  lev = bind_any(base, &a, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC);
  lfd = evconnlistener_get_fd(lev);
  port = evtb_port_of(lfd);
  for (i = 0; i < 50; i++)
    cl[i] = client_connect(port);
  ck_assert_int_eq(a.count, 0); /* accepted from the loop */
  evtb_run_until(base, &a.done);
  ck_assert_int_eq(a.count, 50);
  ck_assert_int_eq(a.nonblocking, 50);
  ck_assert_int_eq(a.cloexec, 50);
  for (i = 0; i < 50; i++)
    close(cl[i]);
  evconnlistener_free(lev);
  ck_assert(evtb_fd_closed(lfd));
  event_base_free(base);
}
END_TEST

START_TEST(test_disable_enable)
{
  struct event_base *base = event_base_new();
  struct acc a;
  struct evconnlistener *lev;
  int c1, c2, c3, lfd;
  in_port_t port;

  memset(&a, 0, sizeof a);
  a.want = 1;
  lev = bind_any(base, &a, LEV_OPT_DISABLED | LEV_OPT_LEAVE_SOCKETS_BLOCKING);
  lfd = evconnlistener_get_fd(lev);
  port = evtb_port_of(lfd);
  c1 = client_connect(port);
  evtb_spin(base, 5);
  ck_assert_int_eq(a.count, 0);
  ck_assert_int_eq(evconnlistener_enable(lev), 0);
  evtb_run_until(base, &a.done);
  ck_assert_int_eq(a.count, 1);
  ck_assert_int_eq(a.nonblocking, 0);
  ck_assert_int_eq(evconnlistener_disable(lev), 0);
  c2 = client_connect(port);
  evtb_spin(base, 5);
  ck_assert_int_eq(a.count, 1);
  /* Disabled from the callback: the second pending connection waits. */
  c3 = client_connect(port);
  a.disable_in_cb = 1;
  a.done = 0;
  a.want = 2;
  ck_assert_int_eq(evconnlistener_enable(lev), 0);
  evtb_run_until(base, &a.done);
  evtb_spin(base, 3);
  ck_assert_int_eq(a.count, 2);
  a.want = 3;
  a.done = 0;
  ck_assert_int_eq(evconnlistener_enable(lev), 0);
  evtb_run_until(base, &a.done);
  ck_assert_int_eq(a.count, 3);
  close(c1);
  close(c2);
  close(c3);
  evconnlistener_free(lev);
  ck_assert(!evtb_fd_closed(lfd)); /* no LEV_OPT_CLOSE_ON_FREE */
  close(lfd);
  event_base_free(base);
}
END_TEST

static void
err_cb(struct evconnlistener *lev, void *arg)
{
  struct acc *a = arg;

  a->err = EVUTIL_SOCKET_ERROR();
  a->errors++;
  a->done = 1;
  ck_assert_int_eq(evconnlistener_disable(lev), 0);
}

START_TEST(test_error_callback)
{
  struct event_base *base;
  struct acc a;
  struct evconnlistener *lev;
  struct rlimit old, rl;
  int c, probe;

  /* valgrind emulates the descriptor limit its own way (accept4 is not
   * refused with EMFILE there): this case cannot be observed under it. */
  if (RUNNING_ON_VALGRIND)
    return;
  base = event_base_new();
  memset(&a, 0, sizeof a);
  a.want = 1;
  lev = bind_any(base, &a, LEV_OPT_CLOSE_ON_FREE);
  evconnlistener_set_error_cb(lev, err_cb);
  c = client_connect(evtb_port_of(evconnlistener_get_fd(lev)));
  /* No descriptor left for accept(2): EMFILE reaches the error callback. */
  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
  probe = dup(0);
  ck_assert_int_ge(probe, 0);
  close(probe);
  rl = old;
  rl.rlim_cur = (rlim_t)probe;
  ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
  evtb_run_until(base, &a.done);
  ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
  ck_assert_int_eq(a.errors, 1);
  ck_assert_int_eq(a.err, EMFILE);
  ck_assert_int_eq(a.count, 0);
  /* With descriptors again, the waiting connection is accepted. */
  a.want = 1;
  a.done = 0;
  ck_assert_int_eq(evconnlistener_enable(lev), 0);
  evtb_run_until(base, &a.done);
  ck_assert_int_eq(a.count, 1);
  close(c);
  evconnlistener_free(lev);
  event_base_free(base);
}
END_TEST

START_TEST(test_free_in_callback_and_null_cb)
{
  struct event_base *base = event_base_new();
  struct acc a;
  struct evconnlistener *lev;
  int c1, c2, lfd;
  in_port_t port;
  char ch;

  memset(&a, 0, sizeof a);
  a.want = 1;
  a.free_in_cb = 1;
  lev = bind_any(base, &a, LEV_OPT_CLOSE_ON_FREE);
  lfd = evconnlistener_get_fd(lev);
  port = evtb_port_of(lfd);
  c1 = client_connect(port);
  c2 = client_connect(port);
  evtb_run_until(base, &a.done);
  evtb_spin(base, 2);
  ck_assert_int_eq(a.count, 1);
  ck_assert(evtb_fd_closed(lfd));
  close(c1);
  close(c2);

  /* No callback: connections are accepted and closed. */
  memset(&a, 0, sizeof a);
  lev = bind_any(base, &a, LEV_OPT_CLOSE_ON_FREE);
  evconnlistener_set_cb(lev, NULL, NULL);
  c1 = client_connect(evtb_port_of(evconnlistener_get_fd(lev)));
  {
    int flag = 0;

    while (!flag) {
      ssize_t n;

      evtb_spin(base, 1);
      n = recv(c1, &ch, 1, MSG_DONTWAIT);
      if (n == 0)
        flag = 1;
      else
        ck_assert(n < 0 && errno == EAGAIN);
    }
  }
  close(c1);
  /* A callback set again: accepting works. */
  a.want = 1;
  evconnlistener_set_cb(lev, acc_cb, &a);
  c1 = client_connect(evtb_port_of(evconnlistener_get_fd(lev)));
  evtb_run_until(base, &a.done);
  ck_assert_int_eq(a.count, 1);
  close(c1);
  evconnlistener_free(lev);
  evconnlistener_free(NULL);
  event_base_free(base);
}
END_TEST

START_TEST(test_new_on_fd_and_bad_input)
{
  struct event_base *base = event_base_new();
  struct sockaddr_in sin = evtb_loopback(0);
  struct evconnlistener *lev;
  struct acc a;
  int s, c;

  memset(&a, 0, sizeof a);
  a.want = 1;
  ck_assert_ptr_null(evconnlistener_new(base, acc_cb, &a, 0, -1, -1));
  ck_assert_ptr_null(evconnlistener_new(NULL, acc_cb, &a, 0, -1, 0));
  ck_assert_ptr_null(evconnlistener_new_bind(NULL, acc_cb, &a, 0, -1, (struct sockaddr *)&sin, sizeof sin));
  ck_assert_int_eq(evconnlistener_enable(NULL), -1);
  ck_assert_int_eq(evconnlistener_get_fd(NULL), -1);
  /* An existing socket, listen(2) with the given backlog. */
  s = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
  lev = evconnlistener_new(base, acc_cb, &a, LEV_OPT_CLOSE_ON_FREE, 16, s);
  ck_assert_ptr_nonnull(lev);
  ck_assert_int_eq(evconnlistener_get_fd(lev), s);
  c = client_connect(evtb_port_of(s));
  evtb_run_until(base, &a.done);
  ck_assert_int_eq(a.count, 1);
  close(c);
  /* A port in use: new_bind fails without LEV_OPT_REUSEABLE_PORT. */
  sin = evtb_loopback(evtb_port_of(s));
  ck_assert_ptr_null(evconnlistener_new_bind(base, acc_cb, &a, 0, -1, (struct sockaddr *)&sin, sizeof sin));
  evconnlistener_free(lev);
  ck_assert(evtb_fd_closed(s));
  event_base_free(base);
}
END_TEST

Suite *
evtest_listener_suite(void)
{
  Suite *s = suite_create("event-listener");
  TCase *tc = tcase_create("listener");

  tcase_add_test(tc, test_accept_count);
  tcase_add_test(tc, test_disable_enable);
  tcase_add_test(tc, test_error_callback);
  tcase_add_test(tc, test_free_in_callback_and_null_cb);
  tcase_add_test(tc, test_new_on_fd_and_bad_input);
  suite_add_tcase(s, tc);
  return s;
}
