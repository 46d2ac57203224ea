/* SPDX-License-Identifier: MIT */
/* compat/kit: the loop machinery the API shims share (see kit.h). */
#include "kit.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <futures/backend.h>

/* ---- the loop ------------------------------------------------------------ */

int
fut_kit_loop_init(struct fut_kit_loop *loop, unsigned int blocking_threads)
{
  struct fut_backend_config bc;
  struct fut_runtime_config cfg;
  int err;

  memset(loop, 0, sizeof *loop);
  fut_kit_queue_init(&loop->ready);
  fut_kit_queue_init(&loop->recheck_);
  memset(&cfg, 0, sizeof cfg);
  memset(&bc, 0, sizeof bc);
  cfg.version = 2;
  cfg.blocking_threads = blocking_threads;
  /* One descriptor per runtime where the backend has it: every socket in
   * the runtime's own edge-triggered epoll set and the linked loop
   * watching just that set. On libevent and libev that spares a
   * level-triggered watcher per socket; the epoll backend is one
   * descriptor already. Elsewhere: the default mode. */
  bc.version = 1;
  bc.flags = FUT_BACKEND_ONE_FD;
  cfg.backend = &bc;
  err = fut_runtime_init(&loop->rt, fut_backend_default(), &cfg);
  if (err == -ENOTSUP || err == -EINVAL) {
    cfg.backend = NULL;
    err = fut_runtime_init(&loop->rt, fut_backend_default(), &cfg);
  }
  if (err != 0)
    return err;
  loop->initialized = 1;
  return 0;
}

void
fut_kit_loop_close(struct fut_kit_loop *loop)
{
  if (!loop->initialized)
    return;
  fut_kit_fd_close_all(loop);
  free(loop->fds_);
  loop->fds_ = NULL;
  loop->nfds_ = 0;
  free(loop->recheck_buf_);
  loop->recheck_buf_ = NULL;
  loop->recheck_cap_ = 0;
  fut_runtime_close(&loop->rt);
  loop->initialized = 0;
}

int
fut_kit_loop_turn(struct fut_kit_loop *loop, int64_t deadline_ns)
{
  int r;

  fut_kit_loop_level(loop);
  if (!fut_kit_queue_empty(&loop->ready))
    deadline_ns = 0;
  r = fut_runtime_turn(&loop->rt, deadline_ns);
  loop->rt_more = r > 0;
  return r < 0 ? r : 0;
}

int
fut_kit_loop_poll(struct fut_kit_loop *loop, int64_t deadline_ns)
{
  int r = fut_kit_loop_turn(loop, deadline_ns);

  if (r < 0)
    return r;
  return fut_kit_run_queue(&loop->ready);
}

/* ---- events: the wakers of handles, events and watchers ------------------- */

static void
ev_waker_wake_by_ref(const void *data)
{
  fut_kit_ev_feed((struct fut_kit_ev *)(uintptr_t)data);
}
static void ev_waker_nop(const void *data) { (void)data; }
static struct fut_waker ev_waker_clone(const void *data);
static const struct fut_waker_vtable ev_waker_vtable = {
  .clone = ev_waker_clone,
  .wake = ev_waker_wake_by_ref,
  .wake_by_ref = ev_waker_wake_by_ref,
  .drop = ev_waker_nop,
};
static struct fut_waker
ev_waker_clone(const void *data)
{
  struct fut_waker w = { &ev_waker_vtable, data };
  return w;
}

void
fut_kit_ev_init(struct fut_kit_loop *loop, struct fut_kit_ev *ev,
                void (*cb)(struct fut_kit_ev *ev))
{
  fut_kit_queue_init(&ev->node);
  ev->cb = cb;
  ev->loop = loop;
  ev->queued = 0;
}

void
fut_kit_ev_feed(struct fut_kit_ev *ev)
{
  fut_kit_ev_feed_to(ev, &ev->loop->ready, 1);
}

void
fut_kit_ev_feed_to(struct fut_kit_ev *ev, struct fut_kit_queue *q, unsigned int mark)
{
  if (ev->queued)
    return;
  ev->queued = mark != 0 ? mark : 1;
  fut_kit_queue_insert_tail(q, &ev->node);
}

void
fut_kit_ev_cancel(struct fut_kit_ev *ev)
{
  if (!ev->queued)
    return;
  fut_kit_queue_remove(&ev->node);
  ev->queued = 0;
}

void
fut_kit_ev_context(struct fut_kit_ev *ev, struct fut_waker *w, struct fut_context *cx)
{
  w->vtable = &ev_waker_vtable;
  w->data = ev;
  cx->waker = w;
  cx->rt = &ev->loop->rt;
}

int
fut_kit_run_queue(struct fut_kit_queue *q)
{
  struct fut_kit_queue batch;
  int ran = 0;

  fut_kit_queue_move(q, &batch);
  while (!fut_kit_queue_empty(&batch)) {
    struct fut_kit_queue *n = batch.next;
    struct fut_kit_ev *ev = fut_kit_queue_data(n, struct fut_kit_ev, node);

    fut_kit_queue_remove(n);
    ev->queued = 0;
    ev->cb(ev);
    ran++;
  }
  return ran;
}

/* ---- the timer heap (a pairing heap keyed by (due, start order)) ---------- */

static int
timer_less(const struct fut_kit_timer *a, const struct fut_kit_timer *b)
{
  if (a->due != b->due)
    return a->due < b->due;
  return a->seq_ < b->seq_;
}

/* Meld two roots (their next/prev are unused); returns the new root. */
static struct fut_kit_timer *
heap_meld(struct fut_kit_timer *a, struct fut_kit_timer *b)
{
  struct fut_kit_timer *t;

  if (timer_less(b, a)) {
    t = a;
    a = b;
    b = t;
  }
  b->prev_ = a;
  b->next_ = a->child_;
  if (a->child_ != NULL)
    a->child_->prev_ = b;
  a->child_ = b;
  return a;
}

/* The two-pass merge of a sibling list into one root. */
static struct fut_kit_timer *
heap_merge_pairs(struct fut_kit_timer *first)
{
  struct fut_kit_timer *list = NULL, *res = NULL;

  while (first != NULL) {
    struct fut_kit_timer *a = first, *b = a->next_;

    if (b == NULL) {
      a->prev_ = NULL;
      a->next_ = list;
      list = a;
      break;
    }
    first = b->next_;
    a->next_ = a->prev_ = NULL;
    b->next_ = b->prev_ = NULL;
    a = heap_meld(a, b);
    a->next_ = list;
    list = a;
  }
  while (list != NULL) {
    struct fut_kit_timer *n = list->next_;

    list->next_ = list->prev_ = NULL;
    res = res != NULL ? heap_meld(res, list) : list;
    list = n;
  }
  return res;
}

void
fut_kit_timer_add(struct fut_kit_loop *loop, struct fut_kit_timer *t)
{
  if (t->in_heap_)
    fut_kit_timer_del(loop, t);
  t->child_ = t->next_ = t->prev_ = NULL;
  t->seq_ = loop->timer_seq_++;
  t->in_heap_ = 1;
  loop->timers_ = loop->timers_ != NULL ? heap_meld(loop->timers_, t) : t;
}

void
fut_kit_timer_del(struct fut_kit_loop *loop, struct fut_kit_timer *t)
{
  struct fut_kit_timer *sub;

  if (!t->in_heap_)
    return;
  t->in_heap_ = 0;
  if (t == loop->timers_) {
    loop->timers_ = heap_merge_pairs(t->child_);
    if (loop->timers_ != NULL)
      loop->timers_->prev_ = NULL;
    t->child_ = NULL;
    return;
  }
  if (t->prev_->child_ == t)
    t->prev_->child_ = t->next_;
  else
    t->prev_->next_ = t->next_;
  if (t->next_ != NULL)
    t->next_->prev_ = t->prev_;
  sub = heap_merge_pairs(t->child_);
  if (sub != NULL)
    loop->timers_ = heap_meld(loop->timers_, sub);
  t->child_ = t->next_ = t->prev_ = NULL;
}

/* ---- descriptor watches ------------------------------------------------------ */

#define KIT_DIRS (FUT_IO_READABLE | FUT_IO_WRITABLE)

static void fd_ev(struct fut_kit_ev *ev);

struct fut_kit_fd *
fut_kit_fd_get(struct fut_kit_loop *loop, int fd, int create)
{
  struct fut_kit_fd *f;

  if (fd < 0)
    return NULL;
  if (fd < loop->nfds_ && loop->fds_[fd] != NULL)
    return loop->fds_[fd];
  if (!create)
    return NULL;
  if (fd >= loop->nfds_) {
    int n = loop->nfds_ != 0 ? loop->nfds_ : 64;
    struct fut_kit_fd **t;

    while (n <= fd)
      n *= 2;
    t = realloc(loop->fds_, (size_t)n * sizeof *t);
    if (t == NULL)
      return NULL;
    memset(t + loop->nfds_, 0, (size_t)(n - loop->nfds_) * sizeof *t);
    loop->fds_ = t;
    loop->nfds_ = n;
  }
  f = calloc(1, sizeof *f);
  if (f == NULL)
    return NULL;
  if (fut_io_init(&f->io, fd) != 0) {
    free(f);
    return NULL;
  }
  fut_kit_ev_init(loop, &f->ev, fd_ev);
  fut_kit_queue_init(&f->recheck_);
  f->fd = fd;
  loop->fds_[fd] = f;
  return f;
}

/* Poll @dirs of @f's fut_io with the watch's waker: the directions READY
 * now (a PENDING one has the waker stored). A registration error counts as
 * ready (the program's syscall reports it). */
static unsigned int
fd_poll(struct fut_kit_fd *f, unsigned int dirs)
{
  struct fut_waker w;
  struct fut_context cx;
  unsigned int ready = 0;
  int res;

  fut_kit_ev_context(&f->ev, &w, &cx);
  if ((dirs & FUT_IO_READABLE) &&
      fut_io_poll_ready(&f->io, &cx, FUT_IO_READABLE, &res) == FUT_READY)
    ready |= FUT_IO_READABLE;
  if ((dirs & FUT_IO_WRITABLE) &&
      fut_io_poll_ready(&f->io, &cx, FUT_IO_WRITABLE, &res) == FUT_READY)
    ready |= FUT_IO_WRITABLE;
  return ready;
}

static void
fd_unlevel(struct fut_kit_fd *f)
{
  if (!fut_kit_queue_empty(&f->recheck_))
    fut_kit_queue_remove(&f->recheck_);
  f->reported_ = 0;
}

/* The watch's event: its fut_io woke, or a recheck found it still ready. */
static void
fd_ev(struct fut_kit_ev *ev)
{
  struct fut_kit_fd *f = fut_kit_queue_data(ev, struct fut_kit_fd, ev);
  unsigned int events, level;

  if (f->interest == 0)
    return;
  events = fd_poll(f, f->interest);
  if (events == 0)
    return;
  level = events & ~f->edge;
  if (level != 0) {
    f->reported_ |= level;
    if (fut_kit_queue_empty(&f->recheck_))
      fut_kit_queue_insert_tail(&f->ev.loop->recheck_, &f->recheck_);
  }
  if (events & f->edge) {
    /* Reported once: the next report needs a new edge. */
    fut_io_clear_ready(&f->io, events & f->edge);
    if (fd_poll(f, events & f->edge) != 0 && !(f->io.ready & (FUT_IO_ERROR | FUT_IO_HUP)))
      fut_kit_ev_feed(&f->ev);
  }
  /* Last: the callback may put the watch (free it). */
  f->cb(f, events);
}

int
fut_kit_fd_set(struct fut_kit_fd *f, unsigned int interest, unsigned int edge)
{
  unsigned int gone, added;
  struct fut_waker w;
  struct fut_context cx;
  int res = 0;

  interest &= KIT_DIRS;
  edge &= interest;
  gone = f->interest & ~interest;
  added = interest & ~f->interest;
  f->interest = interest;
  f->edge = edge;
  f->reported_ &= interest;
  if (f->reported_ == 0)
    fd_unlevel(f);
  fut_kit_ev_context(&f->ev, &w, &cx);
  if (gone & FUT_IO_READABLE)
    fut_io_forget(&f->io, FUT_IO_READABLE, &w);
  if (gone & FUT_IO_WRITABLE)
    fut_io_forget(&f->io, FUT_IO_WRITABLE, &w);
  if (interest == 0) {
    fut_kit_ev_cancel(&f->ev);
    return 0;
  }
  if (added == 0)
    return 0;
  if ((added & FUT_IO_READABLE) &&
      fut_io_poll_ready(&f->io, &cx, FUT_IO_READABLE, &res) == FUT_READY &&
      res < 0 && res != -EAGAIN)
    goto fail;
  if ((added & FUT_IO_WRITABLE) &&
      fut_io_poll_ready(&f->io, &cx, FUT_IO_WRITABLE, &res) == FUT_READY &&
      res < 0 && res != -EAGAIN)
    goto fail;
  /* Ready already (or a wake pending): report in the next poll. */
  if (f->io.ready & added)
    fut_kit_ev_feed(&f->ev);
  return 0;
fail:
  f->interest = 0;
  f->edge = 0;
  fd_unlevel(f);
  fut_kit_ev_cancel(&f->ev);
  (void)fut_io_close(&f->io);
  (void)fut_io_init(&f->io, f->fd);
  return res;
}

void
fut_kit_fd_clear(struct fut_kit_fd *f, unsigned int dir)
{
  fut_io_clear_ready(&f->io, dir & KIT_DIRS);
}

void
fut_kit_fd_put(struct fut_kit_fd *f)
{
  struct fut_kit_loop *loop = f->ev.loop;

  fd_unlevel(f);
  fut_kit_ev_cancel(&f->ev);
  (void)fut_io_close(&f->io);
  if (f->fd < loop->nfds_ && loop->fds_[f->fd] == f)
    loop->fds_[f->fd] = NULL;
  free(f);
}

void
fut_kit_fd_close_all(struct fut_kit_loop *loop)
{
  int i;

  for (i = 0; i < loop->nfds_; i++)
    if (loop->fds_[i] != NULL)
      fut_kit_fd_put(loop->fds_[i]);
}

int
fut_kit_loop_level(struct fut_kit_loop *loop)
{
  struct fut_kit_queue batch, *q;
  struct pollfd *p;
  unsigned int n = 0, i;
  int queued = 0, r;

  if (fut_kit_queue_empty(&loop->recheck_))
    return 0;
  for (q = loop->recheck_.next; q != &loop->recheck_; q = q->next)
    n++;
  if (n > loop->recheck_cap_) {
    unsigned int cap = loop->recheck_cap_ != 0 ? loop->recheck_cap_ : 16;

    while (cap < n)
      cap *= 2;
    p = realloc(loop->recheck_buf_, cap * sizeof *p);
    if (p == NULL) {
      /* Without memory to ask, report them again: a spurious callback
       * (the program's read says EAGAIN) rather than a lost one. */
      fut_kit_queue_move(&loop->recheck_, &batch);
      while (!fut_kit_queue_empty(&batch)) {
        struct fut_kit_fd *f = fut_kit_queue_data(batch.next, struct fut_kit_fd, recheck_);

        fd_unlevel(f);
        fut_kit_ev_feed(&f->ev);
        queued++;
      }
      return queued;
    }
    loop->recheck_buf_ = p;
    loop->recheck_cap_ = cap;
  }
  p = loop->recheck_buf_;
  i = 0;
  for (q = loop->recheck_.next; q != &loop->recheck_; q = q->next, i++) {
    struct fut_kit_fd *f = fut_kit_queue_data(q, struct fut_kit_fd, recheck_);

    p[i].fd = f->fd;
    p[i].events = (short)(((f->reported_ & FUT_IO_READABLE) ? POLLIN : 0) |
                          ((f->reported_ & FUT_IO_WRITABLE) ? POLLOUT : 0));
    p[i].revents = 0;
  }
  do
    r = poll(p, n, 0);
  while (r < 0 && errno == EINTR);
  fut_kit_queue_move(&loop->recheck_, &batch);
  for (i = 0; i < n; i++) {
    struct fut_kit_fd *f = fut_kit_queue_data(batch.next, struct fut_kit_fd, recheck_);
    unsigned int asked = f->reported_, still = 0, cleared;
    short re = p[i].revents;

    fd_unlevel(f);
    if (r >= 0 && (re & POLLNVAL)) {
      /* Closed under the watch (the program closed it without stopping
       * its watchers): epoll has dropped it, and the real loops go
       * silent. So do we, until the watch is set or put. */
      fut_io_clear_ready(&f->io, asked);
      continue;
    }
    if (r < 0 || (re & (POLLERR | POLLHUP)))
      still = asked;
    else {
      if (re & POLLIN)
        still |= FUT_IO_READABLE;
      if (re & POLLOUT)
        still |= FUT_IO_WRITABLE;
    }
    still &= f->interest;
    cleared = asked & f->interest & ~still;
    if (cleared != 0) {
      fut_io_clear_ready(&f->io, cleared);
      if (fd_poll(f, cleared) != 0) {
        /* fut_io says ready where poll(2) did not: new data since, or a
         * stale error/hang-up bit. Register afresh, which keeps only
         * what is true now. */
        (void)fut_io_close(&f->io);
        (void)fut_io_init(&f->io, f->fd);
        if (fd_poll(f, f->interest) != 0)
          still |= f->interest;
      }
    }
    if (still != 0) {
      fut_kit_ev_feed(&f->ev);
      queued++;
    }
  }
  return queued;
}
