/* SPDX-License-Identifier: MIT */
/*
 * compat/eventapi: socket bufferevents, built as libevent builds them on
 * the base's public event API: a persistent read event and a persistent
 * write event on the socket (with the read and write timeouts), the
 * buffers' change hooks to arm writing when output grows and to resume
 * reading when input drains under the high watermark, and one internal
 * event activated to run deferred callbacks.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event2/bufferevent.h"
#include "event2/bufferevent_struct.h"
#include "event2/bufferevent_compat.h"
#include "event2/dns.h"
#include "event2/event.h"

#include "buffer-internal.h"
#include "bufferevent-internal.h"
#include "bufferevent-lock.h"
#include "internal.h"

#define MAX_SINGLE_DEFAULT 16384

struct bufferevent_ops {
  const char *type;
};
static const struct bufferevent_ops socket_ops = { "socket" };
static const struct bufferevent_ops pair_ops = { "pair" };
static const struct bufferevent_ops filter_ops = { "filter" };

struct bev_private {
  struct bufferevent bev;
  struct event deferred;
  int options;
  int refcnt;
  int connecting;
  int read_suspended;   /* by the high watermark */
  int deferred_pending; /* the deferred event is active (holds a ref) */
  int readcb_pending, writecb_pending;
  short eventcb_pending;
  int errno_pending;
  int dns_error;
  struct evdns_getaddrinfo_request *dns_request;
  size_t max_read, max_write;
  int freed;
  int dns_cb_ran;
  struct bev_private *partner; /* pairs: the other end, NULL once unlinked */
  struct fut_bev_filter *filter; /* filters: bufferevent_filter.c's state */
  struct bev_lock *lk;         /* BEV_OPT_THREADSAFE (a pair shares one) */
};

/* A bufferevent's recursive lock, shared by its two buffers (and by both
 * ends of a pair); counted so the last user frees it. */
struct bev_lock {
  pthread_mutex_t m;
  int refs; /* under m */
};

#define BEV_LOCK(p)                            \
  do {                                         \
    if ((p)->lk)                               \
      (void)pthread_mutex_lock(&(p)->lk->m);   \
  } while (0)
#define BEV_UNLOCK(p)                          \
  do {                                         \
    if ((p)->lk)                               \
      (void)pthread_mutex_unlock(&(p)->lk->m); \
  } while (0)

static struct bev_lock *
bev_lock_new(void)
{
  pthread_mutexattr_t a;
  struct bev_lock *lk = eva_malloc(sizeof *lk);

  if (!lk)
    return NULL;
  if (pthread_mutexattr_init(&a) != 0) {
    eva_free(lk);
    return NULL;
  }
  (void)pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  if (pthread_mutex_init(&lk->m, &a) != 0) {
    (void)pthread_mutexattr_destroy(&a);
    eva_free(lk);
    return NULL;
  }
  (void)pthread_mutexattr_destroy(&a);
  lk->refs = 1;
  return lk;
}

static void
bev_lock_unref(struct bev_lock *lk)
{
  int left;

  (void)pthread_mutex_lock(&lk->m);
  left = --lk->refs;
  (void)pthread_mutex_unlock(&lk->m);
  if (left == 0) {
    (void)pthread_mutex_destroy(&lk->m);
    eva_free(lk);
  }
}

/* Give @p the lock @lk (a new one when NULL), its buffers too. */
static int
bev_lock_setup(struct bev_private *p, struct bev_lock *lk)
{
  if (!lk) {
    lk = bev_lock_new();
    if (!lk)
      return -1;
  } else {
    (void)pthread_mutex_lock(&lk->m);
    lk->refs++;
    (void)pthread_mutex_unlock(&lk->m);
  }
  p->lk = lk;
  (void)evbuffer_enable_locking(p->bev.input, &lk->m);
  (void)evbuffer_enable_locking(p->bev.output, &lk->m);
  return 0;
}

#define IS_PAIR(p) ((p)->bev.be_ops == &pair_ops)
#define NOT_SOCKET(p) ((p)->bev.be_ops != &socket_ops)
static void pair_enable(struct bev_private *p, short events);
static void pair_transfer(struct bev_private *src, struct bev_private *dst, int ignore_wm);

#define PRIV(b) ((struct bev_private *)(void *)(b))

static void be_readcb(evutil_socket_t fd, short what, void *arg);
static void be_writecb(evutil_socket_t fd, short what, void *arg);
static void be_deferred_cb(evutil_socket_t fd, short what, void *arg);

static int
tv_set(const struct timeval *tv)
{
  return tv && (tv->tv_sec || tv->tv_usec);
}

static int
add_event(struct event *ev, const struct timeval *tv)
{
  if (ev->ev_fd < 0)
    return 0;
  return event_add(ev, tv_set(tv) ? tv : NULL);
}

/* ---- references and teardown --------------------------------------------------- */

static void
destruct(struct bev_private *p)
{
  struct bufferevent *b = &p->bev;

  if (p->filter)
    fut_bev_filter_destruct(p->filter);
  event_del(&b->ev_read);
  event_del(&b->ev_write);
  event_del(&p->deferred);
  if (!IS_PAIR(p) && (p->options & BEV_OPT_CLOSE_ON_FREE) && b->ev_read.ev_fd >= 0)
    close(b->ev_read.ev_fd);
  fut_evbuffer_free_owned(b->input);
  fut_evbuffer_free_owned(b->output);
  if (p->lk)
    bev_lock_unref(p->lk);
  free(p);
}

static void
incref(struct bev_private *p)
{
  p->refcnt++;
}

static int
decref(struct bev_private *p)
{
  if (--p->refcnt > 0)
    return 0;
  destruct(p);
  return 1;
}

/* decref() and release the lock taken by BEV_LOCK (which may outlive @p). */
static int
decref_unlock(struct bev_private *p)
{
  struct bev_lock *lk = p->lk;
  int r;

  if (!lk)
    return decref(p);
  lk->refs++;
  r = decref(p);
  (void)pthread_mutex_unlock(&lk->m);
  bev_lock_unref(lk);
  return r;
}

void
bufferevent_incref(struct bufferevent *bufev)
{
  if (bufev) {
    BEV_LOCK(PRIV(bufev));
    incref(PRIV(bufev));
    BEV_UNLOCK(PRIV(bufev));
  }
}

int
bufferevent_decref(struct bufferevent *bufev)
{
  if (!bufev)
    return 0;
  BEV_LOCK(PRIV(bufev));
  return decref_unlock(PRIV(bufev));
}

/* ---- running callbacks ------------------------------------------------------------ */

static void
schedule_deferred(struct bev_private *p)
{
  if (p->deferred_pending)
    return;
  p->deferred_pending = 1;
  incref(p);
  event_active(&p->deferred, EV_READ, 1);
}

static int
want_defer(struct bev_private *p, int options)
{
  return (options & BEV_TRIG_DEFER_CALLBACKS) || (p->options & BEV_OPT_DEFER_CALLBACKS);
}

static void
run_readcb(struct bev_private *p, int options)
{
  struct bufferevent *b = &p->bev;

  if (!b->readcb)
    return;
  if (want_defer(p, options)) {
    p->readcb_pending = 1;
    schedule_deferred(p);
  } else {
    b->readcb(b, b->cbarg);
  }
}

static void
run_writecb(struct bev_private *p, int options)
{
  struct bufferevent *b = &p->bev;

  if (!b->writecb)
    return;
  if (want_defer(p, options)) {
    p->writecb_pending = 1;
    schedule_deferred(p);
  } else {
    b->writecb(b, b->cbarg);
  }
}

static void
run_eventcb(struct bev_private *p, short what, int options)
{
  struct bufferevent *b = &p->bev;

  if (!b->errorcb)
    return;
  if (want_defer(p, options)) {
    p->eventcb_pending |= what;
    p->errno_pending = errno;
    schedule_deferred(p);
  } else {
    b->errorcb(b, what, b->cbarg);
  }
}

static void
be_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
  struct bev_private *p = arg;
  struct bufferevent *b = &p->bev;

  (void)fd;
  (void)what;
  BEV_LOCK(p);
  p->deferred_pending = 0;
  if ((p->eventcb_pending & BEV_EVENT_CONNECTED) && b->errorcb) {
    /* The connection first: a program writes from its event callback. */
    p->eventcb_pending &= ~BEV_EVENT_CONNECTED;
    b->errorcb(b, BEV_EVENT_CONNECTED, b->cbarg);
  }
  if (p->readcb_pending && b->readcb) {
    p->readcb_pending = 0;
    b->readcb(b, b->cbarg);
  }
  if (p->writecb_pending && b->writecb) {
    p->writecb_pending = 0;
    b->writecb(b, b->cbarg);
  }
  if (p->eventcb_pending && b->errorcb) {
    short w = p->eventcb_pending;

    p->eventcb_pending = 0;
    errno = p->errno_pending;
    b->errorcb(b, w, b->cbarg);
  }
  p->readcb_pending = p->writecb_pending = 0;
  p->eventcb_pending = 0;
  decref_unlock(p);
}

/* ---- suspension by the read high watermark --------------------------------------- */

static void
suspend_read(struct bev_private *p)
{
  if (p->read_suspended || p->filter)
    return;
  p->read_suspended = 1;
  event_del(&p->bev.ev_read);
}

static void
unsuspend_read(struct bev_private *p)
{
  if (!p->read_suspended)
    return;
  p->read_suspended = 0;
  if ((p->bev.enabled & EV_READ) && !p->freed) {
    if (IS_PAIR(p))
      pair_enable(p, EV_READ);
    else
      add_event(&p->bev.ev_read, &p->bev.timeout_read);
  }
}

static void
input_hook(struct evbuffer *buf, size_t added, size_t deleted, void *arg)
{
  struct bev_private *p = arg;
  size_t high = p->bev.wm_read.high;

  (void)added;
  (void)deleted;
  if (!high)
    return;
  if (evbuffer_get_length(buf) >= high)
    suspend_read(p);
  else
    unsuspend_read(p);
}

static void
output_hook(struct evbuffer *buf, size_t added, size_t deleted, void *arg)
{
  struct bev_private *p = arg;
  struct bufferevent *b = &p->bev;

  (void)buf;
  if (IS_PAIR(p)) {
    /* More data: hand it over when the other end reads. */
    if (added > deleted && p->partner && !p->freed)
      pair_enable(p, EV_WRITE | 0x1000);
    return;
  }
  if (added && (b->enabled & EV_WRITE) && !p->freed &&
      !event_pending(&b->ev_write, EV_WRITE, NULL))
    add_event(&b->ev_write, &b->timeout_write);
}

/* ---- I/O ------------------------------------------------------------------------------ */

static void
be_readcb(evutil_socket_t fd, short what, void *arg)
{
  struct bev_private *p = arg;
  struct bufferevent *b = &p->bev;
  struct evbuffer *input = b->input;
  short ev = BEV_EVENT_READING;
  ev_ssize_t howmuch = -1;
  int n;

  BEV_LOCK(p);
  incref(p);
  if (what & EV_TIMEOUT) {
    bufferevent_disable(b, EV_READ);
    run_eventcb(p, BEV_EVENT_TIMEOUT | BEV_EVENT_READING, 0);
    goto done;
  }
  if (b->wm_read.high) {
    size_t len = evbuffer_get_length(input);

    if (len >= b->wm_read.high) {
      suspend_read(p);
      goto done;
    }
    howmuch = (ev_ssize_t)(b->wm_read.high - len);
  }
  if (howmuch < 0 || (size_t)howmuch > p->max_read)
    howmuch = (ev_ssize_t)p->max_read;
  if (p->read_suspended)
    goto done;
  evbuffer_unfreeze(input, 0);
  n = fut_evbuffer_read_max(input, fd, (int)howmuch);
  evbuffer_freeze(input, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      goto done;
    ev |= BEV_EVENT_ERROR;
    goto fail;
  }
  if (n == 0) {
    ev |= BEV_EVENT_EOF;
    goto fail;
  }
  if (evbuffer_get_length(input) >= b->wm_read.low)
    run_readcb(p, 0);
  goto done;
fail: {
  int e = errno;

  bufferevent_disable(b, EV_READ);
  errno = e;
  run_eventcb(p, ev, 0);
}
done:
  decref_unlock(p);
}

static int
finished_connecting(int fd)
{
  int e = 0;
  socklen_t len = sizeof e;

  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
    return -1;
  if (e == EINPROGRESS || e == EINTR || e == EAGAIN)
    return 0;
  if (e) {
    errno = e;
    return -1;
  }
  return 1;
}

static void
be_writecb(evutil_socket_t fd, short what, void *arg)
{
  struct bev_private *p = arg;
  struct bufferevent *b = &p->bev;
  short ev = BEV_EVENT_WRITING;
  int res = 0, connected = 0;

  BEV_LOCK(p);
  incref(p);
  if (what & EV_TIMEOUT) {
    bufferevent_disable(b, EV_WRITE);
    run_eventcb(p, BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING, 0);
    goto done;
  }
  if (p->connecting) {
    int c = finished_connecting(fd);

    if (c == 0)
      goto done;
    p->connecting = 0;
    if (c < 0) {
      int e = errno;

      event_del(&b->ev_write);
      event_del(&b->ev_read);
      errno = e;
      run_eventcb(p, BEV_EVENT_ERROR, 0);
      goto done;
    }
    connected = 1;
    run_eventcb(p, BEV_EVENT_CONNECTED, 0);
    if (p->freed || !(b->enabled & EV_WRITE)) {
      event_del(&b->ev_write);
      goto done;
    }
  }
  if (evbuffer_get_length(b->output)) {
    evbuffer_unfreeze(b->output, 1);
    res = evbuffer_write_atmost(b->output, fd, (ev_ssize_t)p->max_write);
    evbuffer_freeze(b->output, 1);
    if (res < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        goto done;
      ev |= BEV_EVENT_ERROR;
    } else if (res == 0) {
      ev |= BEV_EVENT_EOF;
    }
    if (res <= 0) {
      int e = errno;

      bufferevent_disable(b, EV_WRITE);
      errno = e;
      run_eventcb(p, ev, 0);
      goto done;
    }
  }
  if (evbuffer_get_length(b->output) == 0)
    event_del(&b->ev_write);
  if ((res || !connected) && evbuffer_get_length(b->output) <= b->wm_write.low)
    run_writecb(p, 0);
done:
  decref_unlock(p);
}

/* ---- life --------------------------------------------------------------------------------- */

static void pair_timeout_read(evutil_socket_t fd, short what, void *arg);
static void pair_timeout_write(evutil_socket_t fd, short what, void *arg);

static struct bufferevent *
bev_new(struct event_base *base, evutil_socket_t fd, int options, const struct bufferevent_ops *ops)
{
  struct bev_private *p;
  struct bufferevent *b;
  int r;

  if (!base) {
    /* The base event_init() made, as event_assign() finds it. */
    struct event probe;

    if (event_assign(&probe, NULL, -1, 0, be_deferred_cb, NULL) < 0)
      return NULL;
    base = event_get_base(&probe);
  }
  /* BEV_OPT_THREADSAFE needs evthread_use_pthreads(), as in libevent. */
  if (!base || (options & BEV_OPT_UNLOCK_CALLBACKS) ||
      ((options & BEV_OPT_THREADSAFE) && !eva_threads_on))
    return NULL;
  if (options & ~(BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS | BEV_OPT_THREADSAFE))
    return NULL;
  p = calloc(1, sizeof(*p));
  if (!p)
    return NULL;
  b = &p->bev;
  b->input = evbuffer_new();
  b->output = evbuffer_new();
  if (!b->input || !b->output) {
    evbuffer_free(b->input);
    evbuffer_free(b->output);
    free(p);
    return NULL;
  }
  b->ev_base = base;
  b->be_ops = ops;
  if (ops != &socket_ops)
    r = event_assign(&b->ev_read, base, -1, 0, pair_timeout_read, p) < 0 ||
        event_assign(&b->ev_write, base, -1, 0, pair_timeout_write, p) < 0;
  else
    r = event_assign(&b->ev_read, base, fd, EV_READ | EV_PERSIST, be_readcb, p) < 0 ||
        event_assign(&b->ev_write, base, fd, EV_WRITE | EV_PERSIST, be_writecb, p) < 0;
  if (r || event_assign(&p->deferred, base, -1, 0, be_deferred_cb, p) < 0) {
    evbuffer_free(b->input);
    evbuffer_free(b->output);
    free(p);
    return NULL;
  }
  p->options = options;
  p->refcnt = 1;
  p->max_read = p->max_write = MAX_SINGLE_DEFAULT;
  b->enabled = EV_WRITE;
  fut_evbuffer_set_owned(b->input, 1);
  fut_evbuffer_set_owned(b->output, 1);
  fut_evbuffer_set_hook(b->input, input_hook, p);
  fut_evbuffer_set_hook(b->output, output_hook, p);
  evbuffer_freeze(b->input, 0);
  evbuffer_freeze(b->output, 1);
  /* A pair's ends share one lock (bufferevent_pair_new sets it), and a
   * filter its underlying bufferevent's (fut_bev_new_filter sets it). */
  if ((options & BEV_OPT_THREADSAFE) && ops != &pair_ops && ops != &filter_ops &&
      bev_lock_setup(p, NULL) != 0) {
    destruct(p);
    return NULL;
  }
  return b;
}

struct bufferevent *
bufferevent_socket_new(struct event_base *base, evutil_socket_t fd, int options)
{
  return bev_new(base, fd, options, &socket_ops);
}

/* ---- pairs ------------------------------------------------------------------------------ */

static int
wants_to_talk(struct bev_private *src, struct bev_private *dst)
{
  return !src->freed && !dst->freed && (src->bev.enabled & EV_WRITE) &&
         (dst->bev.enabled & EV_READ) && !dst->read_suspended &&
         evbuffer_get_length(src->bev.output) > 0;
}

static void
pair_transfer(struct bev_private *src, struct bev_private *dst, int ignore_wm)
{
  struct bufferevent *s = &src->bev, *d = &dst->bev;
  size_t n;

  evbuffer_unfreeze(s->output, 1);
  evbuffer_unfreeze(d->input, 0);
  if (d->wm_read.high) {
    size_t have = evbuffer_get_length(d->input);

    if (have < d->wm_read.high) {
      n = d->wm_read.high - have;
      evbuffer_remove_buffer(s->output, d->input, n);
    } else {
      if (!ignore_wm)
        goto done;
      n = evbuffer_get_length(s->output);
      evbuffer_add_buffer(d->input, s->output);
    }
  } else {
    n = evbuffer_get_length(s->output);
    evbuffer_add_buffer(d->input, s->output);
  }
  if (n) {
    if (tv_set(&d->timeout_read))
      event_add(&d->ev_read, &d->timeout_read);
    if (evbuffer_get_length(d->output) && tv_set(&d->timeout_write))
      event_add(&d->ev_write, &d->timeout_write);
    else
      event_del(&d->ev_write);
  }
  evbuffer_freeze(s->output, 1);
  evbuffer_freeze(d->input, 0);
  bufferevent_trigger(d, EV_READ, 0);
  bufferevent_trigger(s, EV_WRITE, 0);
  return;
done:
  evbuffer_freeze(s->output, 1);
  evbuffer_freeze(d->input, 0);
}

/* Directions @events (EV_READ, EV_WRITE) just enabled on pair end @p (0x1000:
 * only new output, no timeout change): start the transfers that can go. */
static void
pair_enable(struct bev_private *p, short events)
{
  struct bufferevent *b = &p->bev;

  incref(p);
  if (!(events & 0x1000)) {
    if ((events & EV_READ) && tv_set(&b->timeout_read))
      event_add(&b->ev_read, &b->timeout_read);
    if ((events & EV_WRITE) && evbuffer_get_length(b->output) && tv_set(&b->timeout_write))
      event_add(&b->ev_write, &b->timeout_write);
  }
  if ((events & EV_READ) && p->partner && wants_to_talk(p->partner, p))
    pair_transfer(p->partner, p, 0);
  if ((events & EV_WRITE) && p->partner && wants_to_talk(p, p->partner))
    pair_transfer(p, p->partner, 0);
  decref(p);
}

static void
pair_timeout(struct bev_private *p, short dir, short what)
{
  BEV_LOCK(p);
  incref(p);
  bufferevent_disable(&p->bev, dir);
  run_eventcb(p, BEV_EVENT_TIMEOUT | what, 0);
  decref_unlock(p);
}

static void
pair_timeout_read(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  pair_timeout(arg, EV_READ, BEV_EVENT_READING);
}

static void
pair_timeout_write(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  pair_timeout(arg, EV_WRITE, BEV_EVENT_WRITING);
}

int
bufferevent_pair_new(struct event_base *base, int options, struct bufferevent *pair[2])
{
  struct bufferevent *a, *b;

  if (!pair)
    return -1;
  options |= BEV_OPT_DEFER_CALLBACKS;
  a = bev_new(base, -1, options, &pair_ops);
  if (!a)
    return -1;
  b = bev_new(base, -1, options, &pair_ops);
  if (!b) {
    bufferevent_free(a);
    return -1;
  }
  if ((options & BEV_OPT_THREADSAFE) &&
      (bev_lock_setup(PRIV(a), NULL) != 0 || bev_lock_setup(PRIV(b), PRIV(a)->lk) != 0)) {
    bufferevent_free(a);
    bufferevent_free(b);
    return -1;
  }
  PRIV(a)->partner = PRIV(b);
  PRIV(b)->partner = PRIV(a);
  pair[0] = a;
  pair[1] = b;
  return 0;
}

struct bufferevent *
bufferevent_pair_get_partner(struct bufferevent *bev)
{
  if (!bev || !IS_PAIR(PRIV(bev)) || !PRIV(bev)->partner)
    return NULL;
  return &PRIV(bev)->partner->bev;
}

void
bufferevent_free(struct bufferevent *bufev)
{
  struct bev_private *p;

  if (!bufev)
    return;
  p = PRIV(bufev);
  BEV_LOCK(p);
  if (p->freed) {
    BEV_UNLOCK(p);
    return;
  }
  p->freed = 1;
  if (p->partner) {
    p->partner->partner = NULL;
    p->partner = NULL;
  }
  bufev->readcb = bufev->writecb = NULL;
  bufev->errorcb = NULL;
  bufev->cbarg = NULL;
  /* Unlocked: event_del() from another thread waits for a running
   * callback of the event, which takes this lock. */
  BEV_UNLOCK(p);
  event_del(&bufev->ev_read);
  event_del(&bufev->ev_write);
  BEV_LOCK(p);
  if (p->filter)
    fut_bev_filter_unlink(p->filter);
  if (p->dns_request) {
    struct evdns_getaddrinfo_request *r = p->dns_request;

    /* Its callback runs now with EVUTIL_EAI_CANCEL and drops its ref. */
    p->dns_request = NULL;
    evdns_getaddrinfo_cancel(r);
  }
  decref_unlock(p);
}

struct event_base *
bufferevent_get_base(struct bufferevent *bev)
{
  return bev ? bev->ev_base : NULL;
}

int
bufferevent_base_set(struct event_base *base, struct bufferevent *bev)
{
  struct bev_private *p;
  int fd, pri;

  if (!base || !bev)
    return -1;
  p = PRIV(bev);
  if (NOT_SOCKET(p))
    return -1; /* sockets only, as libevent */
  if (bev->ev_base == base)
    return 0;
  if (event_pending(&bev->ev_read, EV_READ | EV_TIMEOUT, NULL) ||
      event_pending(&bev->ev_write, EV_WRITE | EV_TIMEOUT, NULL) || p->deferred_pending ||
      p->dns_request)
    return -1;
  fd = bev->ev_read.ev_fd;
  pri = event_get_priority(&bev->ev_read);
  bev->ev_base = base;
  if (event_assign(&bev->ev_read, base, fd, EV_READ | EV_PERSIST, be_readcb, p) < 0 ||
      event_assign(&bev->ev_write, base, fd, EV_WRITE | EV_PERSIST, be_writecb, p) < 0 ||
      event_assign(&p->deferred, base, -1, 0, be_deferred_cb, p) < 0)
    return -1;
  if (pri != event_get_priority(&bev->ev_read))
    bufferevent_priority_set(bev, pri);
  return 0;
}

int
bev_nolock_priority_set(struct bufferevent *bev, int pri)
{
  struct bev_private *p;

  if (!bev)
    return -1;
  p = PRIV(bev);
  if (event_priority_set(&bev->ev_read, pri) < 0 || event_priority_set(&bev->ev_write, pri) < 0)
    return -1;
  if (!p->deferred_pending)
    event_priority_set(&p->deferred, pri);
  return 0;
}

int
bev_nolock_get_priority(const struct bufferevent *bev)
{
  return bev ? event_get_priority(&bev->ev_read) : -1;
}

void
bev_nolock_setcb(struct bufferevent *bufev, bufferevent_data_cb readcb, bufferevent_data_cb writecb, bufferevent_event_cb eventcb, void *cbarg)
{
  if (!bufev)
    return;
  bufev->readcb = readcb;
  bufev->writecb = writecb;
  bufev->errorcb = eventcb;
  bufev->cbarg = cbarg;
}

void
bev_nolock_getcb(struct bufferevent *bufev, bufferevent_data_cb *readcb_ptr, bufferevent_data_cb *writecb_ptr, bufferevent_event_cb *eventcb_ptr, void **cbarg_ptr)
{
  if (!bufev)
    return;
  if (readcb_ptr)
    *readcb_ptr = bufev->readcb;
  if (writecb_ptr)
    *writecb_ptr = bufev->writecb;
  if (eventcb_ptr)
    *eventcb_ptr = bufev->errorcb;
  if (cbarg_ptr)
    *cbarg_ptr = bufev->cbarg;
}

int
bev_nolock_setfd(struct bufferevent *bufev, evutil_socket_t fd)
{
  struct bev_private *p;
  int pri;

  if (!bufev)
    return -1;
  p = PRIV(bufev);
  if (NOT_SOCKET(p))
    return -1;
  pri = event_get_priority(&bufev->ev_read);
  event_del(&bufev->ev_read);
  event_del(&bufev->ev_write);
  if (event_assign(&bufev->ev_read, bufev->ev_base, fd, EV_READ | EV_PERSIST, be_readcb, p) < 0 ||
      event_assign(&bufev->ev_write, bufev->ev_base, fd, EV_WRITE | EV_PERSIST, be_writecb, p) < 0)
    return -1;
  event_priority_set(&bufev->ev_read, pri);
  event_priority_set(&bufev->ev_write, pri);
  p->connecting = 0;
  p->dns_error = 0;
  if (fd >= 0)
    bufferevent_enable(bufev, bufev->enabled);
  return 0;
}

evutil_socket_t
bev_nolock_getfd(struct bufferevent *bufev)
{
  return bufev ? bufev->ev_read.ev_fd : -1;
}

struct bufferevent *
bufferevent_get_underlying(struct bufferevent *bufev)
{
  return bufev && PRIV(bufev)->filter ? fut_bev_filter_underlying(PRIV(bufev)->filter) : NULL;
}

/* ---- data ------------------------------------------------------------------------------- */

int
bufferevent_write(struct bufferevent *bufev, const void *data, size_t size)
{
  if (!bufev)
    return -1;
  return evbuffer_add(bufev->output, data, size);
}

int
bufferevent_write_buffer(struct bufferevent *bufev, struct evbuffer *buf)
{
  if (!bufev)
    return -1;
  return evbuffer_add_buffer(bufev->output, buf);
}

size_t
bufferevent_read(struct bufferevent *bufev, void *data, size_t size)
{
  int n;

  if (!bufev)
    return 0;
  n = evbuffer_remove(bufev->input, data, size);
  return n < 0 ? 0 : (size_t)n;
}

int
bufferevent_read_buffer(struct bufferevent *bufev, struct evbuffer *buf)
{
  if (!bufev)
    return -1;
  return evbuffer_add_buffer(buf, bufev->input);
}

struct evbuffer *
bufferevent_get_input(struct bufferevent *bufev)
{
  return bufev ? bufev->input : NULL;
}

struct evbuffer *
bufferevent_get_output(struct bufferevent *bufev)
{
  return bufev ? bufev->output : NULL;
}

/* ---- directions, timeouts, watermarks ------------------------------------------------ */

int
bev_nolock_enable(struct bufferevent *bufev, short event)
{
  struct bev_private *p;
  int r = 0;

  if (!bufev)
    return -1;
  p = PRIV(bufev);
  event &= EV_READ | EV_WRITE;
  bufev->enabled |= event;
  if (p->freed)
    return 0;
  if (p->filter)
    return fut_bev_filter_enable(p->filter, event);
  if (IS_PAIR(p)) {
    short impl = event;

    if (p->read_suspended)
      impl &= ~EV_READ;
    if (impl)
      pair_enable(p, impl);
    return 0;
  }
  if ((event & EV_READ) && !p->read_suspended)
    if (add_event(&bufev->ev_read, &bufev->timeout_read) < 0)
      r = -1;
  if (event & EV_WRITE)
    if (add_event(&bufev->ev_write, &bufev->timeout_write) < 0)
      r = -1;
  return r;
}

int
bev_nolock_disable(struct bufferevent *bufev, short event)
{
  struct bev_private *p;

  if (!bufev)
    return -1;
  p = PRIV(bufev);
  event &= EV_READ | EV_WRITE;
  bufev->enabled &= ~event;
  if (p->filter)
    return fut_bev_filter_disable(p->filter, event);
  if (event & EV_READ)
    event_del(&bufev->ev_read);
  /* A connection in progress keeps waiting for writability. */
  if ((event & EV_WRITE) && !p->connecting)
    event_del(&bufev->ev_write);
  return 0;
}

short
bev_nolock_get_enabled(struct bufferevent *bufev)
{
  return bufev ? bufev->enabled : 0;
}

int
bev_nolock_set_timeouts(struct bufferevent *bufev, const struct timeval *timeout_read, const struct timeval *timeout_write)
{
  int r = 0;

  if (!bufev)
    return -1;
  if (timeout_read)
    bufev->timeout_read = *timeout_read;
  else
    memset(&bufev->timeout_read, 0, sizeof bufev->timeout_read);
  if (timeout_write)
    bufev->timeout_write = *timeout_write;
  else
    memset(&bufev->timeout_write, 0, sizeof bufev->timeout_write);
  if (NOT_SOCKET(PRIV(bufev))) {
    if ((bufev->enabled & EV_READ) && !PRIV(bufev)->read_suspended && tv_set(&bufev->timeout_read))
      r |= event_add(&bufev->ev_read, &bufev->timeout_read);
    else
      r |= event_del(&bufev->ev_read);
    if ((bufev->enabled & EV_WRITE) && tv_set(&bufev->timeout_write) && evbuffer_get_length(bufev->output))
      r |= event_add(&bufev->ev_write, &bufev->timeout_write);
    else
      r |= event_del(&bufev->ev_write);
    return r ? -1 : 0;
  }
  if (event_pending(&bufev->ev_read, EV_READ, NULL)) {
    if (tv_set(&bufev->timeout_read))
      r |= event_add(&bufev->ev_read, &bufev->timeout_read);
    else
      r |= event_remove_timer(&bufev->ev_read);
  }
  if (event_pending(&bufev->ev_write, EV_WRITE, NULL)) {
    if (tv_set(&bufev->timeout_write))
      r |= event_add(&bufev->ev_write, &bufev->timeout_write);
    else
      r |= event_remove_timer(&bufev->ev_write);
  }
  return r ? -1 : 0;
}

void
bev_nolock_setwatermark(struct bufferevent *bufev, short events, size_t lowmark, size_t highmark)
{
  struct bev_private *p;

  if (!bufev)
    return;
  p = PRIV(bufev);
  if (events & EV_WRITE) {
    bufev->wm_write.low = lowmark;
    bufev->wm_write.high = highmark;
  }
  if (events & EV_READ) {
    bufev->wm_read.low = lowmark;
    bufev->wm_read.high = highmark;
    if (highmark && evbuffer_get_length(bufev->input) >= highmark)
      suspend_read(p);
    else
      unsuspend_read(p);
  }
}

int
bev_nolock_getwatermark(struct bufferevent *bufev, short events, size_t *lowmark, size_t *highmark)
{
  const struct event_watermark *w;

  if (!bufev)
    return -1;
  if (events == EV_READ)
    w = &bufev->wm_read;
  else if (events == EV_WRITE)
    w = &bufev->wm_write;
  else
    return -1;
  if (lowmark)
    *lowmark = w->low;
  if (highmark)
    *highmark = w->high;
  return 0;
}

int
bev_nolock_flush(struct bufferevent *bufev, short iotype, enum bufferevent_flush_mode mode)
{
  struct bev_private *p, *partner;

  if (!bufev)
    return -1;
  p = PRIV(bufev);
  if (p->filter)
    return fut_bev_filter_flush(p->filter, iotype, mode);
  if (!IS_PAIR(p))
    return 0; /* a socket sends as it can: nothing to do, as libevent */
  if (!p->partner)
    return -1;
  if (mode == BEV_NORMAL)
    return 0;
  partner = p->partner;
  incref(p);
  incref(partner);
  if (iotype & EV_READ)
    pair_transfer(partner, p, 1);
  if ((iotype & EV_WRITE) && p->partner)
    pair_transfer(p, partner, 1);
  if (mode == BEV_FINISHED) {
    short what = BEV_EVENT_EOF;

    if (iotype & EV_READ)
      what |= BEV_EVENT_WRITING;
    if (iotype & EV_WRITE)
      what |= BEV_EVENT_READING;
    run_eventcb(partner, what, 0);
  }
  decref(partner);
  decref(p);
  return 0;
}

void
bev_nolock_trigger(struct bufferevent *bufev, short iotype, int options)
{
  struct bev_private *p;

  if (!bufev)
    return;
  p = PRIV(bufev);
  incref(p);
  if ((iotype & EV_READ) &&
      ((options & BEV_TRIG_IGNORE_WATERMARKS) || evbuffer_get_length(bufev->input) >= bufev->wm_read.low))
    run_readcb(p, options);
  if ((iotype & EV_WRITE) &&
      ((options & BEV_TRIG_IGNORE_WATERMARKS) || evbuffer_get_length(bufev->output) <= bufev->wm_write.low))
    run_writecb(p, options);
  decref(p);
}

void
bev_nolock_trigger_event(struct bufferevent *bufev, short what, int options)
{
  struct bev_private *p;

  if (!bufev)
    return;
  p = PRIV(bufev);
  incref(p);
  run_eventcb(p, what, options);
  decref(p);
}

struct bev_lock *
fut_bev_lock_take(struct bufferevent *bufev)
{
  struct bev_lock *lk = bufev ? PRIV(bufev)->lk : NULL;

  if (lk) {
    (void)pthread_mutex_lock(&lk->m);
    lk->refs++;
  }
  return lk;
}

void
fut_bev_lock_drop(struct bev_lock *lk)
{
  if (lk) {
    (void)pthread_mutex_unlock(&lk->m);
    bev_lock_unref(lk);
  }
}

void
bufferevent_lock(struct bufferevent *bufev)
{
  if (bufev)
    BEV_LOCK(PRIV(bufev));
}

void
bufferevent_unlock(struct bufferevent *bufev)
{
  if (bufev)
    BEV_UNLOCK(PRIV(bufev));
}

int
bev_nolock_set_max_single_read(struct bufferevent *bev, size_t size)
{
  if (!bev)
    return -1;
  if (size == 0 || size > (size_t)EV_SSIZE_MAX || size > 0x7fffffff)
    size = MAX_SINGLE_DEFAULT;
  PRIV(bev)->max_read = size;
  return 0;
}

int
bev_nolock_set_max_single_write(struct bufferevent *bev, size_t size)
{
  if (!bev)
    return -1;
  if (size == 0 || size > (size_t)EV_SSIZE_MAX || size > 0x7fffffff)
    size = MAX_SINGLE_DEFAULT;
  PRIV(bev)->max_write = size;
  return 0;
}

ev_ssize_t
bev_nolock_get_max_single_read(struct bufferevent *bev)
{
  return bev ? (ev_ssize_t)PRIV(bev)->max_read : -1;
}

ev_ssize_t
bev_nolock_get_max_single_write(struct bufferevent *bev)
{
  return bev ? (ev_ssize_t)PRIV(bev)->max_write : -1;
}

/* ---- connecting ------------------------------------------------------------------------ */

int
bev_nolock_socket_connect(struct bufferevent *bev, const struct sockaddr *sa, int socklen)
{
  struct bev_private *p;
  int fd, ownfd = 0, r = 0, result = -1;

  if (!bev || NOT_SOCKET(PRIV(bev)))
    return -1;
  p = PRIV(bev);
  incref(p);
  fd = bufferevent_getfd(bev);
  if (fd < 0) {
    if (!sa)
      goto done;
    fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      goto done;
    ownfd = 1;
  }
  if (sa) {
    if (socklen <= 0) {
      errno = EINVAL;
      goto freesock;
    }
    if (connect(fd, sa, (socklen_t)socklen) == 0) {
      r = 1;
    } else if (errno == EINPROGRESS || errno == EINTR) {
      r = 0;
    } else if (errno == ECONNREFUSED) {
      r = 2;
    } else {
      goto freesock;
    }
  }
  bufferevent_setfd(bev, fd);
  if (r == 0) {
    if (add_event(&bev->ev_write, &bev->timeout_write) == 0) {
      p->connecting = 1;
      result = 0;
      goto done;
    }
    goto done;
  } else if (r == 1) {
    /* Connected at once: the write event reports it. */
    result = 0;
    p->connecting = 1;
    add_event(&bev->ev_write, &bev->timeout_write);
  } else {
    result = 0;
    errno = ECONNREFUSED;
    run_eventcb(p, BEV_EVENT_ERROR, BEV_TRIG_DEFER_CALLBACKS);
    bufferevent_disable(bev, EV_WRITE | EV_READ);
  }
  goto done;
freesock:
  if (ownfd) {
    int e = errno;

    close(fd);
    errno = e;
  }
done:
  decref(p);
  return result;
}

static void
dns_cb(int result, struct evutil_addrinfo *ai, void *arg)
{
  struct bev_private *p = arg;
  struct bufferevent *b = &p->bev;

  p->dns_cb_ran = 1;
  if (result == EVUTIL_EAI_CANCEL) {
    if (ai)
      evutil_freeaddrinfo(ai);
    decref(p);
    return;
  }
  p->dns_request = NULL;
  if (result != 0) {
    p->dns_error = result;
    run_eventcb(p, BEV_EVENT_ERROR, 0);
    bufferevent_disable(b, EV_READ | EV_WRITE);
    if (ai)
      evutil_freeaddrinfo(ai);
    decref(p);
    return;
  }
  bufferevent_socket_connect(b, ai->ai_addr, (int)ai->ai_addrlen);
  evutil_freeaddrinfo(ai);
  decref(p);
}

int
bufferevent_socket_connect_hostname(struct bufferevent *bev, struct evdns_base *evdns_base, int family, const char *hostname, int port)
{
  struct bev_private *p;
  struct evutil_addrinfo hint;
  char portbuf[10];

  if (!bev || !hostname || port < 1 || port > 65535)
    return -1;
  if (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC)
    return -1;
  p = PRIV(bev);
  if (p->dns_request || p->freed || NOT_SOCKET(p))
    return -1;
  p->dns_error = 0;
  memset(&hint, 0, sizeof hint);
  hint.ai_family = family;
  hint.ai_protocol = IPPROTO_TCP;
  hint.ai_socktype = SOCK_STREAM;
  snprintf(portbuf, sizeof portbuf, "%d", port);
  incref(p); /* the request's, dropped by dns_cb */
  if (evdns_base) {
    struct evdns_getaddrinfo_request *r;
    int ok = 0;

    incref(p); /* this frame's: dns_cb may run now and free the bev */
    p->dns_cb_ran = 0;
    r = evdns_getaddrinfo(evdns_base, hostname, portbuf, &hint, dns_cb, p);
    if (!p->dns_cb_ran) {
      if (r) {
        p->dns_request = r;
        ok = 1;
      } else {
        decref(p); /* no callback will come */
      }
    } else {
      ok = 1;
    }
    decref(p);
    return ok ? 0 : -1;
  }
  {
    struct evutil_addrinfo *ai = NULL;
    int e = evutil_getaddrinfo(hostname, portbuf, &hint, &ai);

    dns_cb(e, e == 0 ? ai : NULL, p);
  }
  return 0;
}

int
bev_nolock_socket_get_dns_error(struct bufferevent *bev)
{
  return bev ? PRIV(bev)->dns_error : 0;
}

ev_ssize_t
bev_nolock_get_max_to_read(struct bufferevent *bev)
{
  return bufferevent_get_max_single_read(bev);
}

ev_ssize_t
bev_nolock_get_max_to_write(struct bufferevent *bev)
{
  return bufferevent_get_max_single_write(bev);
}

/* ---- libevent 1.4 names ------------------------------------------------------------ */

struct bufferevent *
bufferevent_new(evutil_socket_t fd, evbuffercb readcb, evbuffercb writecb, everrorcb errorcb, void *cbarg)
{
  struct bufferevent *bev = bufferevent_socket_new(NULL, fd, 0);

  if (bev)
    bufferevent_setcb(bev, readcb, writecb, errorcb, cbarg);
  return bev;
}

void
bufferevent_settimeout(struct bufferevent *bufev, int timeout_read, int timeout_write)
{
  struct timeval r = { timeout_read, 0 }, w = { timeout_write, 0 };

  bufferevent_set_timeouts(bufev, timeout_read > 0 ? &r : NULL, timeout_write > 0 ? &w : NULL);
}

/* ---- for bufferevent_filter.c ------------------------------------------------------------ */

struct bufferevent *
fut_bev_new_filter(struct event_base *base, int options, struct fut_bev_filter *filter,
                   struct bufferevent *underlying)
{
  struct bufferevent *b = bev_new(base, -1, options, &filter_ops);

  if (!b)
    return NULL;
  /* As libevent: a thread-safe filter takes its underlying bufferevent's
   * lock when it has one (one lock, so the filter's callbacks, which run
   * under the underlying's, and a program's calls on the filter, which
   * reach the underlying, never take two locks in opposite orders). */
  if ((options & BEV_OPT_THREADSAFE) &&
      bev_lock_setup(PRIV(b), underlying ? PRIV(underlying)->lk : NULL) != 0) {
    destruct(PRIV(b));
    return NULL;
  }
  PRIV(b)->filter = filter;
  return b;
}

void
fut_bev_run_readcb(struct bufferevent *bev)
{
  run_readcb(PRIV(bev), 0);
}

void
fut_bev_run_writecb(struct bufferevent *bev)
{
  run_writecb(PRIV(bev), 0);
}

void
fut_bev_run_eventcb(struct bufferevent *bev, short what)
{
  run_eventcb(PRIV(bev), what, 0);
}

int
fut_bev_is_freed(struct bufferevent *bev)
{
  return PRIV(bev)->freed;
}
