/* SPDX-License-Identifier: MIT */
/* compat/kit: the loop machinery the API shims share (see kit.h). */
#include "kit.h"

#include <errno.h>
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
  fut_runtime_close(&loop->rt);
  loop->initialized = 0;
}

int
fut_kit_loop_poll(struct fut_kit_loop *loop, int64_t deadline_ns)
{
  int r = fut_runtime_turn(&loop->rt, deadline_ns);

  if (r < 0)
    return r;
  loop->rt_more = r > 0;
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
