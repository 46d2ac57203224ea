/* SPDX-License-Identifier: MIT */
/*
 * compat/eventapi: evconnlistener, as libevent builds it: a persistent
 * read event on the listening socket; each readiness accepts until
 * EAGAIN, handing every connection to the callback.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event2/event.h"
#include "event2/event_struct.h"
#include "event2/listener.h"

struct evconnlistener {
  struct event ev;
  struct event_base *base;
  evconnlistener_cb cb;
  evconnlistener_errorcb errorcb;
  void *user_data;
  unsigned flags;
  int refcnt;
  int enabled;
  int accept4_flags;
  int freed;
};

static void
lev_decref(struct evconnlistener *lev)
{
  if (--lev->refcnt > 0)
    return;
  event_del(&lev->ev);
  if (lev->flags & LEV_OPT_CLOSE_ON_FREE)
    close(lev->ev.ev_fd);
  free(lev);
}

static void
listener_read_cb(evutil_socket_t fd, short what, void *arg)
{
  struct evconnlistener *lev = arg;
  int err;

  (void)what;
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t socklen = sizeof ss;
    int nfd = accept4(fd, (struct sockaddr *)&ss, &socklen, lev->accept4_flags);

    if (nfd < 0)
      break;
    if (socklen == 0) {
      close(nfd);
      continue;
    }
    if (!lev->cb) {
      close(nfd);
      return;
    }
    lev->refcnt++;
    lev->cb(lev, nfd, (struct sockaddr *)&ss, (int)socklen, lev->user_data);
    if (lev->refcnt == 1) {
      lev_decref(lev); /* freed from the callback */
      return;
    }
    lev->refcnt--;
    if (!lev->enabled)
      return;
  }
  err = errno;
  if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED)
    return;
  if (lev->errorcb) {
    lev->refcnt++;
    errno = err;
    lev->errorcb(lev, lev->user_data);
    lev_decref(lev);
  }
}

struct evconnlistener *
evconnlistener_new(struct event_base *base, evconnlistener_cb cb, void *ptr, unsigned flags, int backlog, evutil_socket_t fd)
{
  struct evconnlistener *lev;
  int fl;

  if (!base || fd < 0 || (flags & LEV_OPT_THREADSAFE)) {
    errno = EINVAL;
    return NULL;
  }
  fl = fcntl(fd, F_GETFL);
  if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))
    return NULL;
  if (backlog > 0) {
    if (listen(fd, backlog) < 0)
      return NULL;
  } else if (backlog < 0) {
    if (listen(fd, 128) < 0)
      return NULL;
  }
  lev = calloc(1, sizeof(*lev));
  if (!lev)
    return NULL;
  if (event_assign(&lev->ev, base, fd, EV_READ | EV_PERSIST, listener_read_cb, lev) < 0) {
    free(lev);
    return NULL;
  }
  lev->base = base;
  lev->cb = cb;
  lev->user_data = ptr;
  lev->flags = flags;
  lev->refcnt = 1;
  if (!(flags & LEV_OPT_LEAVE_SOCKETS_BLOCKING))
    lev->accept4_flags |= SOCK_NONBLOCK;
  if (flags & LEV_OPT_CLOSE_ON_EXEC)
    lev->accept4_flags |= SOCK_CLOEXEC;
  if (!(flags & LEV_OPT_DISABLED))
    evconnlistener_enable(lev);
  return lev;
}

struct evconnlistener *
evconnlistener_new_bind(struct event_base *base, evconnlistener_cb cb, void *ptr, unsigned flags, int backlog, const struct sockaddr *sa, int socklen)
{
  struct evconnlistener *lev;
  int fd, on = 1, family = sa ? sa->sa_family : AF_INET;
  int type = SOCK_STREAM | SOCK_NONBLOCK;

  if (!base || (flags & LEV_OPT_THREADSAFE) || (sa && socklen <= 0)) {
    errno = EINVAL;
    return NULL;
  }
  if (flags & LEV_OPT_CLOSE_ON_EXEC)
    type |= SOCK_CLOEXEC;
  fd = socket(family, type, 0);
  if (fd < 0)
    return NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) < 0)
    goto err;
  if ((flags & LEV_OPT_REUSEABLE) && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
    goto err;
  if ((flags & LEV_OPT_REUSEABLE_PORT) && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0)
    goto err;
  if (flags & LEV_OPT_DEFERRED_ACCEPT) {
    int secs = 1;

    if (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof secs) < 0)
      goto err;
  }
  if ((flags & LEV_OPT_BIND_IPV6ONLY) && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0)
    goto err;
  if (sa && bind(fd, sa, (socklen_t)socklen) < 0)
    goto err;
  lev = evconnlistener_new(base, cb, ptr, flags, backlog, fd);
  if (!lev)
    goto err;
  return lev;
err: {
  int e = errno;

  close(fd);
  errno = e;
  return NULL;
}
}

void
evconnlistener_free(struct evconnlistener *lev)
{
  if (!lev || lev->freed)
    return;
  lev->freed = 1;
  lev->cb = NULL;
  lev->errorcb = NULL;
  lev->enabled = 0;
  event_del(&lev->ev);
  lev_decref(lev);
}

int
evconnlistener_enable(struct evconnlistener *lev)
{
  if (!lev || lev->freed)
    return -1;
  lev->enabled = 1;
  if (lev->cb)
    return event_add(&lev->ev, NULL);
  return 0;
}

int
evconnlistener_disable(struct evconnlistener *lev)
{
  if (!lev)
    return -1;
  lev->enabled = 0;
  return event_del(&lev->ev);
}

struct event_base *
evconnlistener_get_base(struct evconnlistener *lev)
{
  return lev ? lev->base : NULL;
}

evutil_socket_t
evconnlistener_get_fd(struct evconnlistener *lev)
{
  return lev ? lev->ev.ev_fd : -1;
}

void
evconnlistener_set_cb(struct evconnlistener *lev, evconnlistener_cb cb, void *arg)
{
  int enable = 0;

  if (!lev || lev->freed)
    return;
  if (lev->enabled && !lev->cb)
    enable = 1;
  lev->cb = cb;
  lev->user_data = arg;
  if (enable)
    evconnlistener_enable(lev);
}

void
evconnlistener_set_error_cb(struct evconnlistener *lev, evconnlistener_errorcb errorcb)
{
  if (!lev || lev->freed)
    return;
  lev->errorcb = errorcb;
}
