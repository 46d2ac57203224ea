/* SPDX-License-Identifier: MIT */
/*
 * compat/eventapi: the public bufferevent functions take the bufferevent's
 * lock (BEV_OPT_THREADSAFE) around the unlocked versions in bufferevent.c;
 * without a lock bufferevent_lock() does nothing.
 */
#include <stdint.h>

#include "bufferevent-lock.h"

int
bufferevent_enable(struct bufferevent *bufev, short event)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take(bufev);
  r = bev_nolock_enable(bufev, event);
  fut_bev_lock_drop(lk);
  return r;
}

int
bufferevent_disable(struct bufferevent *bufev, short event)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take(bufev);
  r = bev_nolock_disable(bufev, event);
  fut_bev_lock_drop(lk);
  return r;
}

short
bufferevent_get_enabled(struct bufferevent *bufev)
{
  struct bev_lock *lk;
  short r;

  lk = fut_bev_lock_take(bufev);
  r = bev_nolock_get_enabled(bufev);
  fut_bev_lock_drop(lk);
  return r;
}

void
bufferevent_setcb(struct bufferevent *bufev, bufferevent_data_cb readcb, bufferevent_data_cb writecb, bufferevent_event_cb eventcb, void *cbarg)
{
  struct bev_lock *lk;
  lk = fut_bev_lock_take(bufev);
  bev_nolock_setcb(bufev, readcb, writecb, eventcb, cbarg);
  fut_bev_lock_drop(lk);
}

void
bufferevent_getcb(struct bufferevent *bufev, bufferevent_data_cb *readcb_ptr, bufferevent_data_cb *writecb_ptr, bufferevent_event_cb *eventcb_ptr, void **cbarg_ptr)
{
  struct bev_lock *lk;
  lk = fut_bev_lock_take(bufev);
  bev_nolock_getcb(bufev, readcb_ptr, writecb_ptr, eventcb_ptr, cbarg_ptr);
  fut_bev_lock_drop(lk);
}

int
bufferevent_set_timeouts(struct bufferevent *bufev, const struct timeval *timeout_read, const struct timeval *timeout_write)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take(bufev);
  r = bev_nolock_set_timeouts(bufev, timeout_read, timeout_write);
  fut_bev_lock_drop(lk);
  return r;
}

void
bufferevent_setwatermark(struct bufferevent *bufev, short events, size_t lowmark, size_t highmark)
{
  struct bev_lock *lk;
  lk = fut_bev_lock_take(bufev);
  bev_nolock_setwatermark(bufev, events, lowmark, highmark);
  fut_bev_lock_drop(lk);
}

int
bufferevent_getwatermark(struct bufferevent *bufev, short events, size_t *lowmark, size_t *highmark)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take(bufev);
  r = bev_nolock_getwatermark(bufev, events, lowmark, highmark);
  fut_bev_lock_drop(lk);
  return r;
}

int
bufferevent_flush(struct bufferevent *bufev, short iotype, enum bufferevent_flush_mode mode)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take(bufev);
  r = bev_nolock_flush(bufev, iotype, mode);
  fut_bev_lock_drop(lk);
  return r;
}

void
bufferevent_trigger(struct bufferevent *bufev, short iotype, int options)
{
  struct bev_lock *lk;
  lk = fut_bev_lock_take(bufev);
  bev_nolock_trigger(bufev, iotype, options);
  fut_bev_lock_drop(lk);
}

void
bufferevent_trigger_event(struct bufferevent *bufev, short what, int options)
{
  struct bev_lock *lk;
  lk = fut_bev_lock_take(bufev);
  bev_nolock_trigger_event(bufev, what, options);
  fut_bev_lock_drop(lk);
}

int
bufferevent_setfd(struct bufferevent *bufev, evutil_socket_t fd)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take(bufev);
  r = bev_nolock_setfd(bufev, fd);
  fut_bev_lock_drop(lk);
  return r;
}

evutil_socket_t
bufferevent_getfd(struct bufferevent *bufev)
{
  struct bev_lock *lk;
  evutil_socket_t r;

  lk = fut_bev_lock_take(bufev);
  r = bev_nolock_getfd(bufev);
  fut_bev_lock_drop(lk);
  return r;
}

int
bufferevent_priority_set(struct bufferevent *bev, int pri)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take(bev);
  r = bev_nolock_priority_set(bev, pri);
  fut_bev_lock_drop(lk);
  return r;
}

int
bufferevent_get_priority(const struct bufferevent *bev)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take((struct bufferevent *)(uintptr_t)bev);
  r = bev_nolock_get_priority(bev);
  fut_bev_lock_drop(lk);
  return r;
}

int
bufferevent_set_max_single_read(struct bufferevent *bev, size_t size)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take(bev);
  r = bev_nolock_set_max_single_read(bev, size);
  fut_bev_lock_drop(lk);
  return r;
}

int
bufferevent_set_max_single_write(struct bufferevent *bev, size_t size)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take(bev);
  r = bev_nolock_set_max_single_write(bev, size);
  fut_bev_lock_drop(lk);
  return r;
}

ev_ssize_t
bufferevent_get_max_single_read(struct bufferevent *bev)
{
  struct bev_lock *lk;
  ev_ssize_t r;

  lk = fut_bev_lock_take(bev);
  r = bev_nolock_get_max_single_read(bev);
  fut_bev_lock_drop(lk);
  return r;
}

ev_ssize_t
bufferevent_get_max_single_write(struct bufferevent *bev)
{
  struct bev_lock *lk;
  ev_ssize_t r;

  lk = fut_bev_lock_take(bev);
  r = bev_nolock_get_max_single_write(bev);
  fut_bev_lock_drop(lk);
  return r;
}

int
bufferevent_socket_connect(struct bufferevent *bev, const struct sockaddr *sa, int socklen)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take(bev);
  r = bev_nolock_socket_connect(bev, sa, socklen);
  fut_bev_lock_drop(lk);
  return r;
}

int
bufferevent_socket_get_dns_error(struct bufferevent *bev)
{
  struct bev_lock *lk;
  int r;

  lk = fut_bev_lock_take(bev);
  r = bev_nolock_socket_get_dns_error(bev);
  fut_bev_lock_drop(lk);
  return r;
}

ev_ssize_t
bufferevent_get_max_to_read(struct bufferevent *bev)
{
  struct bev_lock *lk;
  ev_ssize_t r;

  lk = fut_bev_lock_take(bev);
  r = bev_nolock_get_max_to_read(bev);
  fut_bev_lock_drop(lk);
  return r;
}

ev_ssize_t
bufferevent_get_max_to_write(struct bufferevent *bev)
{
  struct bev_lock *lk;
  ev_ssize_t r;

  lk = fut_bev_lock_take(bev);
  r = bev_nolock_get_max_to_write(bev);
  fut_bev_lock_drop(lk);
  return r;
}
