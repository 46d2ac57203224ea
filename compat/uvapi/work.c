/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: the pool requests (fs, work, getaddrinfo, getnameinfo,
 * random) and uv_cancel() for them.
 *
 * A request holds its pool job, a struct fut_spawn_blocking whose argument
 * is the request's struct uv__work; it is polled with the request's
 * uv__ev context, so the pool's completion (woken on the loop's thread)
 * queues the event and the loop calls back in its poll phase.
 *
 * Cancellation: @state goes QUEUED -> RUNNING (the pool thread, as the job
 * starts) or QUEUED -> CANCELLED (uv_cancel()), by compare-and-swap, so
 * exactly one side wins. A cancel that wins drops the job: still queued,
 * it never runs; if a pool thread had just taken it, the job sees
 * CANCELLED and returns at once without touching anything else. Either
 * way the pool releases the job's argument (sets @cleaned) as its last
 * touch of the request; uv_cancel() waits for that (at most the few
 * instructions of a job that returns at once), then queues the callback
 * with UV_ECANCELED for the poll phase, where libuv runs it too (its pool
 * signals cancellations through the loop's async handle): this
 * iteration's if the loop has not polled yet, else the next one's.
 */
#include "internal.h"

#include <sched.h>

enum { W_IDLE, W_QUEUED, W_RUNNING, W_CANCELLED, W_DONE };

/* Pool thread. */
static int
work_run(void *arg)
{
  struct uv__work *w = arg;
  int expect = W_QUEUED;

  if (!__atomic_compare_exchange_n(&w->state, &expect, W_RUNNING, 0,
                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return UV_ECANCELED;
  w->work(w);
  return 0;
}

/* The job's argument is released: dropped before it ran, or after. */
static void
work_cleanup(void *arg)
{
  struct uv__work *w = arg;

  __atomic_store_n(&w->cleaned, 1, __ATOMIC_RELEASE);
}

static void
work_ev(struct fut_kit_ev *ev)
{
  struct uv__work_req *req = fut_kit_queue_data(ev, struct uv__work_req, ev_);
  struct uv__work *w = &req->work_;
  struct fut_waker wk;
  struct fut_context cx;
  int status;

  if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) == W_CANCELLED) {
    status = UV_ECANCELED;
  } else {
    uv__ev_context(ev, &wk, &cx);
    if (fut_future_poll(&w->job.base, &cx) == FUT_PENDING)
      return;
    /* 0 (the job ran), or the pool's error: it never ran. */
    status = w->job.result;
    fut_future_drop(&w->job.base);
  }
  __atomic_store_n(&w->state, W_DONE, __ATOMIC_RELAXED);
  uv__req_unregister(uv__ev_loop(ev));
  w->done(w, status);
}

void
uv__work_submit(uv_loop_t *loop, uv_req_t *req, uv_req_type type,
                void (*work)(struct uv__work *w),
                void (*done)(struct uv__work *w, int status))
{
  struct uv__work *w = &((struct uv__work_req *)(void *)req)->work_;
  struct fut_waker wk;
  struct fut_context cx;

  uv__req_init(loop, req, type, work_ev);
  w->work = work;
  w->done = done;
  w->cleaned = 0;
  __atomic_store_n(&w->state, W_QUEUED, __ATOMIC_RELAXED);
  (void)fut_spawn_blocking_init(&w->job, work_run, w, work_cleanup);
  uv__req_register(loop);
  uv__ev_context(&req->ev_, &wk, &cx);
  /* The first poll submits; READY now means it could not be (no pool
   * thread, the runtime closing): the callback still comes later. */
  if (fut_future_poll(&w->job.base, &cx) == FUT_READY)
    uv__ev_feed_pending(&req->ev_);
}

int
uv__work_cancel(uv_req_t *req)
{
  struct uv__work *w = &((struct uv__work_req *)(void *)req)->work_;
  int expect = W_QUEUED;

  if (!__atomic_compare_exchange_n(&w->state, &expect, W_CANCELLED, 0,
                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return UV_EBUSY;
  fut_future_drop(&w->job.base);
  while (!__atomic_load_n(&w->cleaned, __ATOMIC_ACQUIRE))
    sched_yield();
  uv__ev_cancel(&req->ev_);
  uv__ev_feed(&req->ev_);
  return 0;
}

/* ---- uv_queue_work ----------------------------------------------------------- */

static void
queue_work_run(struct uv__work *w)
{
  uv_work_t *req = uv__work_container(w, uv_work_t);

  req->work_cb(req);
}

static void
queue_work_done(struct uv__work *w, int status)
{
  uv_work_t *req = uv__work_container(w, uv_work_t);

  if (req->after_work_cb != NULL)
    req->after_work_cb(req, status);
}

int
uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb,
              uv_after_work_cb after_work_cb)
{
  if (loop == NULL || req == NULL || work_cb == NULL)
    return UV_EINVAL;
  req->loop = loop;
  req->work_cb = work_cb;
  req->after_work_cb = after_work_cb;
  uv__work_submit(loop, (uv_req_t *)req, UV_WORK, queue_work_run,
                  queue_work_done);
  return 0;
}
