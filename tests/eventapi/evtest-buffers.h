/* SPDX-License-Identifier: MIT */
/* tests/eventapi: the suites of evbuffer, bufferevent and evconnlistener,
 * and the small helpers the last two share. */
#ifndef EVTEST_BUFFERS_H
#define EVTEST_BUFFERS_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

Suite *evtest_buffer_suite(void);
Suite *evtest_bufferevent_suite(void);
Suite *evtest_listener_suite(void);

/* A safety net only: the tests wait for the thing itself. */
static inline void
evtb_safety_cb(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  (void)arg;
  ck_abort_msg("the loop still waits after its time limit");
}

/* Run @base until *@flag is nonzero (a 10 s safety net). */
static inline void
evtb_run_until(struct event_base *base, const int *flag)
{
  struct timeval tv = { 10, 0 };
  struct event *safety = event_new(base, -1, 0, evtb_safety_cb, NULL);

  ck_assert_ptr_nonnull(safety);
  ck_assert_int_eq(event_add(safety, &tv), 0);
  while (!*flag)
    ck_assert_int_ge(event_base_loop(base, EVLOOP_ONCE), 0);
  event_free(safety);
}

/* A few nonblocking iterations: what is ready in the kernel now (data
 * already written to a local socket) is seen by these. */
static inline void
evtb_spin(struct event_base *base, int n)
{
  while (n-- > 0)
    ck_assert_int_ge(event_base_loop(base, EVLOOP_NONBLOCK), 0);
}

static inline void
evtb_socketpair(int sv[2])
{
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

static inline int
evtb_fd_closed(int fd)
{
  return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

/* The loopback address with @port (network order). */
static inline struct sockaddr_in
evtb_loopback(in_port_t port)
{
  struct sockaddr_in sin;

  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = port;
  return sin;
}

/* The port (network order) @fd is bound to. */
static inline in_port_t
evtb_port_of(int fd)
{
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;

  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
  return sin.sin_port;
}

#endif
