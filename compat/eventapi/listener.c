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

#include "internal.h"

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
  pthread_mutex_t *lock; /* LEV_OPT_THREADSAFE with evthread_use_pthreads() */
};

#define LEV_LOCK(l)                           \
  do {                                        \
    if ((l)->lock)                            \
      (void)pthread_mutex_lock((l)->lock);    \
  } while (0)
#define LEV_UNLOCK(l)                         \
  do {                                        \
    if ((l)->lock)                            \
      (void)pthread_mutex_unlock((l)->lock);  \
  } while (0)

/* Drop a reference (the lock held). Returns 1 when @lev went (its lock
 * released and freed), 0 when it stays (still locked). */
static int
lev_decref(struct evconnlistener *lev)
{
  if (--lev->refcnt > 0)
    return 0;
  event_del(&lev->ev);
  if (lev->flags & LEV_OPT_CLOSE_ON_FREE)
    close(lev->ev.ev_fd);
  if (lev->lock) {
    (void)pthread_mutex_unlock(lev->lock);
    eva_rlock_free(lev->lock);
  }
  free(lev);
  return 1;
}

static void
listener_read_cb(evutil_socket_t fd, short what, void *arg)
{
  struct evconnlistener *lev = arg;
  int err;

  (void)what;
  LEV_LOCK(lev);
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t socklen = sizeof ss;
    int nfd = accept4(fd, (struct sockaddr *)&ss, &socklen, lev->accept4_flags);
    evconnlistener_cb cb;
    void *user_data;

    if (nfd < 0)
      break;
    if (socklen == 0) {
      close(nfd);
      continue;
    }
    if (!lev->cb) {
      close(nfd);
      LEV_UNLOCK(lev);
      return;
    }
    lev->refcnt++;
    cb = lev->cb;
    user_data = lev->user_data;
    /* Unlocked while the program's callback runs, as libevent does. */
    LEV_UNLOCK(lev);
    cb(lev, nfd, (struct sockaddr *)&ss, (int)socklen, user_data);
    LEV_LOCK(lev);
    if (lev->refcnt == 1) {
      (void)lev_decref(lev); /* freed from the callback */
      return;
    }
    lev->refcnt--;
    if (!lev->enabled) {
      LEV_UNLOCK(lev);
      return;
    }
  }
  err = errno;
  if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED) {
    LEV_UNLOCK(lev);
    return;
  }
  if (lev->errorcb) {
    evconnlistener_errorcb ecb = lev->errorcb;
    void *user_data = lev->user_data;

    lev->refcnt++;
    LEV_UNLOCK(lev);
    errno = err;
    ecb(lev, user_data);
    LEV_LOCK(lev);
    if (lev_decref(lev))
      return;
  }
  LEV_UNLOCK(lev);
}

struct evconnlistener *
evconnlistener_new(struct event_base *base, evconnlistener_cb cb, void *ptr, unsigned flags, int backlog, evutil_socket_t fd)
{
  struct evconnlistener *lev;
  int fl;

  if (!base || fd < 0) {
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
  /* LEV_OPT_THREADSAFE: a lock once evthread_use_pthreads() was called;
   * before, none (libevent allocates none without lock callbacks). */
  if ((flags & LEV_OPT_THREADSAFE) && eva_threads_on && !(lev->lock = eva_rlock_new())) {
    free(lev);
    return NULL;
  }
  if (event_assign(&lev->ev, base, fd, EV_READ | EV_PERSIST, listener_read_cb, lev) < 0) {
    eva_rlock_free(lev->lock);
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

  if (!base || (sa && socklen <= 0)) {
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
  if (!lev)
    return;
  LEV_LOCK(lev);
  if (lev->freed) {
    LEV_UNLOCK(lev);
    return;
  }
  lev->freed = 1;
  lev->cb = NULL;
  lev->errorcb = NULL;
  lev->enabled = 0;
  /* Unlocked: from another thread, event_del() waits for a running
   * accept callback, which takes the lock. */
  LEV_UNLOCK(lev);
  event_del(&lev->ev);
  LEV_LOCK(lev);
  if (!lev_decref(lev))
    LEV_UNLOCK(lev);
}

int
evconnlistener_enable(struct evconnlistener *lev)
{
  int r = 0;

  if (!lev)
    return -1;
  LEV_LOCK(lev);
  if (lev->freed)
    r = -1;
  else {
    lev->enabled = 1;
    if (lev->cb)
      r = event_add(&lev->ev, NULL);
  }
  LEV_UNLOCK(lev);
  return r;
}

int
evconnlistener_disable(struct evconnlistener *lev)
{
  int r;

  if (!lev)
    return -1;
  LEV_LOCK(lev);
  lev->enabled = 0;
  r = event_del(&lev->ev);
  LEV_UNLOCK(lev);
  return r;
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

  if (!lev)
    return;
  LEV_LOCK(lev);
  if (!lev->freed) {
    if (lev->enabled && !lev->cb)
      enable = 1;
    lev->cb = cb;
    lev->user_data = arg;
    if (enable)
      evconnlistener_enable(lev);
  }
  LEV_UNLOCK(lev);
}

void
evconnlistener_set_error_cb(struct evconnlistener *lev, evconnlistener_errorcb errorcb)
{
  if (!lev)
    return;
  LEV_LOCK(lev);
  if (!lev->freed)
    lev->errorcb = errorcb;
  LEV_UNLOCK(lev);
}
