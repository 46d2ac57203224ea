/* SPDX-License-Identifier: MIT */
/*
 * compat/evapi: libev 4's API on the libfutures core.
 *
 * struct ev_loop embeds a kit loop (compat/kit): one runtime, the kit's
 * timer heap (ev_timer and ev_periodic share it, keyed by monotonic
 * nanoseconds), descriptor watches for ev_io (level-triggered, several
 * watchers per descriptor), kit events for the loop's notifier (ev_async,
 * ev_feed_signal), signal listeners (ev_signal) and the SIGCHLD listener
 * of the default loop (ev_child). ev_run follows libev's iteration:
 * fork watchers, prepare watchers, poll, timers and periodics, idle
 * watchers, check watchers, then the pending watchers by priority.
 *
 * Pending watchers wait in one queue per priority (first fed, first
 * invoked), higher priorities first. Nothing here allocates per
 * iteration; memory is taken for a loop, the descriptor table (grown),
 * the first watcher of a descriptor, a signal's first watcher, ev_once.
 */
#include "ev.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kit.h"

#include <futures/notify.h>
#include <futures/signal.h>
#include <futures/timer.h>

#define NUMPRI (EV_MAXPRI - EV_MINPRI + 1)
#define NSIG_EV 65
#define MAX_BLOCKTIME 59.743
#define MIN_INTERVAL 0.0001220703125
#define DEF_STAT_INTERVAL 5.0074891
#define MIN_STAT_INTERVAL 0.1074891
#define MIN_TIMEJUMP 1.

enum { KIND_TIMER = 1, KIND_PERIODIC = 2 };

/* A descriptor's ev_io watchers and its kit watch. */
struct anfd {
  struct fut_kit_queue ws;     /* ev_io by fut_link_ */
  struct fut_kit_fd *f;        /* NULL: none (no watcher, or always ready) */
  struct fut_kit_queue always; /* on loop->always: a regular file */
  int mask;                    /* EV_READ | EV_WRITE registered */
  int is_always;
};

/* A signal's listener and watchers in one loop. */
struct evsig {
  struct fut_signal s;
  struct fut_kit_ev ev;
  struct fut_kit_queue ws; /* ev_signal by fut_link_ */
  int signum;
  int open;
};

struct ev_loop {
  struct fut_kit_loop kit;
  struct fut_kit_queue pend[NUMPRI];
  unsigned int pendingcnt;
  int activecnt;
  int loop_done;
  unsigned int depth;
  unsigned int iteration;
  int64_t mono_ns;   /* the loop's monotonic time */
  ev_tstamp mn_now;  /* the same in seconds */
  ev_tstamp rt_now;  /* ev_now() */
  ev_tstamp rtmn_diff;
  int64_t suspend_ns;
  int64_t rt_checked_ns; /* when the wall clock was last read */
  unsigned int flags;
  int is_default;
  int postfork;
  pid_t curpid;
  unsigned int ntimers; /* in the kit heap */
  void *userdata;
  void (*invoke_cb)(struct ev_loop *loop);
  void (*release_cb)(struct ev_loop *loop);
  void (*acquire_cb)(struct ev_loop *loop);
  ev_tstamp io_blocktime;
  ev_tstamp timeout_blocktime;
  struct fut_kit_queue prepares, checks, forks, cleanups, asyncs;
  struct fut_kit_queue idles[NUMPRI];
  unsigned int idlecnt[NUMPRI];
  unsigned int idleall;
  struct anfd *anfds;
  int nanfds;
  struct fut_kit_queue always; /* struct anfd of regular files */
  /* ev_async and ev_feed_signal: the loop's notifier. */
  struct fut_notify notify;
  struct fut_notify_wait nwait;
  struct fut_kit_ev nev;
  int notify_open;
  int async_pending;     /* atomic */
  uint64_t sig_pending;  /* atomic; bit n - 1: ev_feed_signal(n) */
  struct evsig *sigs[NSIG_EV];
  /* ev_child (default loop): the SIGCHLD listener. */
  struct fut_signal chld;
  struct fut_kit_ev chld_ev;
  int chld_open;
  struct fut_kit_queue childs;
};

typedef ev_watcher *W;
typedef ev_watcher_list *WL;
typedef ev_watcher_time *WT;

static struct ev_loop default_loop_struct;
static struct ev_loop *default_loop_ptr;
/* The loop watching each signal, for ev_feed_signal() (any thread). */
static struct ev_loop *sig_loops[NSIG_EV];

/* ---- memory and errors ------------------------------------------------------- */

static void *(*alloc_cb)(void *ptr, long size);
static void (*syserr_cb)(const char *msg);

void
ev_set_allocator(void *(*cb)(void *ptr, long size))
{
  alloc_cb = cb;
}

void
ev_set_syserr_cb(void (*cb)(const char *msg))
{
  syserr_cb = cb;
}

/* The allocator's answer, NULL on failure (size 0: free, NULL). */
static void *
ev_realloc_try(void *ptr, long size)
{
  if (alloc_cb != NULL)
    return alloc_cb(ptr, size);
  if (size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, (size_t)size);
}

static void
ev_free(void *ptr)
{
  if (ptr != NULL)
    (void)ev_realloc_try(ptr, 0);
}

/* ---- time ------------------------------------------------------------------------ */

ev_tstamp
ev_time(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (ev_tstamp)ts.tv_sec + (ev_tstamp)ts.tv_nsec * 1e-9;
}

void
ev_sleep(ev_tstamp delay)
{
  struct timespec ts;

  if (!(delay > 0.))
    return;
  ts.tv_sec = (time_t)delay;
  ts.tv_nsec = (long)((delay - (ev_tstamp)ts.tv_sec) * 1e9);
  if (ts.tv_nsec >= 1000000000L)
    ts.tv_nsec = 999999999L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

static int64_t
sec_to_ns(ev_tstamp s)
{
  if (s <= 0.)
    return 0;
  if (s > 9e9)
    return INT64_MAX / 2;
  return (int64_t)llround(s * 1e9);
}

static void periodics_reschedule(struct ev_loop *loop, int64_t shift_ns);

/* Read the clocks into the loop time; a wall-clock jump reschedules the
 * periodics. */
static void
time_update(struct ev_loop *loop)
{
  ev_tstamp diff;

  loop->mono_ns = fut_now_ns();
  loop->mn_now = (ev_tstamp)loop->mono_ns * 1e-9;
  /* The wall clock is read again only every half MIN_TIMEJUMP (as libev
   * does): in between it is the monotonic time plus the last offset. */
  if (loop->mono_ns - loop->rt_checked_ns < (int64_t)(MIN_TIMEJUMP * 0.5e9) &&
      loop->rt_checked_ns != 0) {
    loop->rt_now = loop->mn_now + loop->rtmn_diff;
    return;
  }
  loop->rt_checked_ns = loop->mono_ns;
  loop->rt_now = ev_time();
  diff = loop->rt_now - loop->mn_now;
  if (fabs(diff - loop->rtmn_diff) > MIN_TIMEJUMP) {
    loop->rtmn_diff = diff;
    periodics_reschedule(loop, 0);
  } else
    loop->rtmn_diff = diff;
}

/* ---- versions and backends ------------------------------------------------------ */

int ev_version_major(void) { return EV_VERSION_MAJOR; }
int ev_version_minor(void) { return EV_VERSION_MINOR; }
unsigned int ev_supported_backends(void) { return EVBACKEND_EPOLL; }
unsigned int ev_recommended_backends(void) { return EVBACKEND_EPOLL; }
unsigned int ev_embeddable_backends(void) { return 0; }

/* ---- pending watchers --------------------------------------------------------------- */

static int
pri_index(int pri)
{
  if (pri < EV_MINPRI)
    pri = EV_MINPRI;
  if (pri > EV_MAXPRI)
    pri = EV_MAXPRI;
  return pri - EV_MINPRI;
}

void
ev_feed_event(struct ev_loop *loop, void *w, int revents)
{
  W w_ = (W)w;

  if (loop == NULL || w_ == NULL)
    return;
  if (w_->pending) {
    w_->fut_revents_ |= revents;
    return;
  }
  w_->pending = 1;
  w_->fut_revents_ = revents;
  fut_kit_queue_insert_tail(&loop->pend[pri_index(w_->priority)], &w_->fut_pend_);
  loop->pendingcnt++;
}

static void
clear_pending(struct ev_loop *loop, W w)
{
  if (!w->pending)
    return;
  fut_kit_queue_remove(&w->fut_pend_);
  w->pending = 0;
  loop->pendingcnt--;
}

int
ev_clear_pending(struct ev_loop *loop, void *w)
{
  W w_ = (W)w;
  int revents;

  if (loop == NULL || w_ == NULL || !w_->pending)
    return 0;
  revents = w_->fut_revents_;
  clear_pending(loop, w_);
  return revents;
}

unsigned int
ev_pending_count(struct ev_loop *loop)
{
  return loop != NULL ? loop->pendingcnt : 0;
}

void
ev_invoke(struct ev_loop *loop, void *w, int revents)
{
  W w_ = (W)w;

  if (loop == NULL || w_ == NULL || w_->cb == NULL)
    return;
  w_->cb(loop, w_, revents);
}

void
ev_invoke_pending(struct ev_loop *loop)
{
  if (loop == NULL)
    return;
  while (loop->pendingcnt != 0) {
    int pri;

    for (pri = NUMPRI - 1; pri >= 0; pri--)
      if (!fut_kit_queue_empty(&loop->pend[pri]))
        break;
    if (pri < 0)
      break;
    {
      W w = fut_kit_queue_data(loop->pend[pri].next, ev_watcher, fut_pend_);
      int revents = w->fut_revents_;

      fut_kit_queue_remove(&w->fut_pend_);
      w->pending = 0;
      loop->pendingcnt--;
      if (w->cb != NULL)
        w->cb(loop, w, revents);
    }
  }
}

static void
invoke_all(struct ev_loop *loop)
{
  if (loop->invoke_cb != NULL)
    loop->invoke_cb(loop);
  else
    ev_invoke_pending(loop);
}

void
ev_set_invoke_pending_cb(struct ev_loop *loop, void (*invoke_pending_cb)(struct ev_loop *loop))
{
  if (loop != NULL)
    loop->invoke_cb = invoke_pending_cb;
}

/* ---- watcher state ----------------------------------------------------------------- */

static void
ev_start(struct ev_loop *loop, W w)
{
  if (w->priority < EV_MINPRI)
    w->priority = EV_MINPRI;
  if (w->priority > EV_MAXPRI)
    w->priority = EV_MAXPRI;
  w->active = 1;
  loop->activecnt++;
}

static void
ev_stop(struct ev_loop *loop, W w)
{
  loop->activecnt--;
  w->active = 0;
}

void ev_ref(struct ev_loop *loop) { if (loop != NULL) loop->activecnt++; }
void ev_unref(struct ev_loop *loop) { if (loop != NULL) loop->activecnt--; }

static void
queue_list(struct ev_loop *loop, struct fut_kit_queue *h, int revents)
{
  struct fut_kit_queue *q;

  for (q = h->next; q != h; q = q->next)
    ev_feed_event(loop, fut_kit_queue_data(q, ev_watcher_list, fut_link_), revents);
}

/* ---- loops -------------------------------------------------------------------------- */

static void notify_ev(struct fut_kit_ev *ev);
static void notify_arm(struct ev_loop *loop);
static void chld_ev(struct fut_kit_ev *ev);

static int
loop_init(struct ev_loop *loop, unsigned int flags)
{
  int i, err;

  memset(loop, 0, sizeof *loop);
  err = fut_kit_loop_init(&loop->kit, 0);
  if (err != 0)
    return err;
  for (i = 0; i < NUMPRI; i++) {
    fut_kit_queue_init(&loop->pend[i]);
    fut_kit_queue_init(&loop->idles[i]);
  }
  fut_kit_queue_init(&loop->prepares);
  fut_kit_queue_init(&loop->checks);
  fut_kit_queue_init(&loop->forks);
  fut_kit_queue_init(&loop->cleanups);
  fut_kit_queue_init(&loop->asyncs);
  fut_kit_queue_init(&loop->always);
  fut_kit_queue_init(&loop->childs);
  loop->flags = flags;
  loop->curpid = getpid();
  loop->chld.slot = -1;
  err = fut_notify_init(&loop->notify, &loop->kit.rt);
  if (err != 0) {
    fut_kit_loop_close(&loop->kit);
    return err;
  }
  loop->notify_open = 1;
  (void)fut_notify_wait_init(&loop->nwait, &loop->notify);
  fut_kit_ev_init(&loop->kit, &loop->nev, notify_ev);
  fut_kit_ev_init(&loop->kit, &loop->chld_ev, chld_ev);
  notify_arm(loop);
  loop->mono_ns = fut_now_ns();
  loop->mn_now = (ev_tstamp)loop->mono_ns * 1e-9;
  loop->rt_now = ev_time();
  loop->rtmn_diff = loop->rt_now - loop->mn_now;
  return 0;
}

struct ev_loop *
ev_default_loop(unsigned int flags)
{
  if (default_loop_ptr == NULL) {
    if (loop_init(&default_loop_struct, flags) != 0)
      return NULL;
    default_loop_struct.is_default = 1;
    default_loop_ptr = &default_loop_struct;
  }
  return default_loop_ptr;
}

struct ev_loop *
ev_loop_new(unsigned int flags)
{
  struct ev_loop *loop = ev_realloc_try(NULL, (long)sizeof *loop);

  if (loop == NULL)
    return NULL;
  if (loop_init(loop, flags) != 0) {
    ev_free(loop);
    return NULL;
  }
  return loop;
}

int
ev_is_default_loop(struct ev_loop *loop)
{
  return loop != NULL && loop == default_loop_ptr;
}

static void
sig_close(struct ev_loop *loop, struct evsig *s)
{
  if (!s->open)
    return;
  fut_kit_ev_cancel(&s->ev);
  (void)fut_signal_close(&s->s);
  s->open = 0;
  if (sig_loops[s->signum] == loop)
    __atomic_store_n(&sig_loops[s->signum], NULL, __ATOMIC_RELEASE);
}

void
ev_loop_destroy(struct ev_loop *loop)
{
  int i;

  if (loop == NULL || !loop->kit.initialized)
    return;
  /* The cleanup watchers (and whatever else is pending) run first. */
  if (!fut_kit_queue_empty(&loop->cleanups)) {
    queue_list(loop, &loop->cleanups, EV_CLEANUP);
    invoke_all(loop);
  }
  for (i = 0; i < NSIG_EV; i++)
    if (loop->sigs[i] != NULL) {
      sig_close(loop, loop->sigs[i]);
      ev_free(loop->sigs[i]);
      loop->sigs[i] = NULL;
    }
  if (loop->chld_open) {
    fut_kit_ev_cancel(&loop->chld_ev);
    (void)fut_signal_close(&loop->chld);
    loop->chld_open = 0;
  }
  fut_kit_ev_cancel(&loop->nev);
  fut_future_drop(&loop->nwait.base);
  if (loop->notify_open)
    fut_notify_close(&loop->notify);
  loop->notify_open = 0;
  /* The watchers stay as they were (libev frees the loop under them):
   * forget the heap and the descriptor table. */
  loop->kit.timers_ = NULL;
  fut_kit_loop_close(&loop->kit);
  ev_free(loop->anfds);
  loop->anfds = NULL;
  loop->nanfds = 0;
  if (loop == default_loop_ptr) {
    default_loop_ptr = NULL;
    memset(loop, 0, sizeof *loop);
  } else
    ev_free(loop);
}

void
ev_loop_fork(struct ev_loop *loop)
{
  if (loop != NULL)
    loop->postfork = 1;
}

unsigned int ev_backend(struct ev_loop *loop) { (void)loop; return EVBACKEND_EPOLL; }

ev_tstamp
ev_now(struct ev_loop *loop)
{
  return loop != NULL ? loop->rt_now : ev_time();
}

void
ev_now_update(struct ev_loop *loop)
{
  if (loop == NULL)
    return;
  loop->rt_checked_ns = 0;
  time_update(loop);
}

void
ev_break(struct ev_loop *loop, int how)
{
  if (loop != NULL)
    loop->loop_done = how;
}

void
ev_set_loop_release_cb(struct ev_loop *loop, void (*release)(struct ev_loop *loop), void (*acquire)(struct ev_loop *loop))
{
  if (loop == NULL)
    return;
  loop->release_cb = release;
  loop->acquire_cb = acquire;
}

void
ev_set_io_collect_interval(struct ev_loop *loop, ev_tstamp interval)
{
  if (loop != NULL)
    loop->io_blocktime = interval > 0. ? interval : 0.;
}

void
ev_set_timeout_collect_interval(struct ev_loop *loop, ev_tstamp interval)
{
  if (loop != NULL)
    loop->timeout_blocktime = interval > 0. ? interval : 0.;
}

void ev_set_userdata(struct ev_loop *loop, void *data) { if (loop != NULL) loop->userdata = data; }
void *ev_userdata(struct ev_loop *loop) { return loop != NULL ? loop->userdata : NULL; }
unsigned int ev_iteration(struct ev_loop *loop) { return loop != NULL ? loop->iteration : 0; }
unsigned int ev_depth(struct ev_loop *loop) { return loop != NULL ? loop->depth : 0; }

static void
verify_fail(const char *what)
{
  fprintf(stderr, "(libev) ev_verify: %s\n", what);
  abort();
}

static unsigned int
verify_list(const struct fut_kit_queue *h, const char *what)
{
  const struct fut_kit_queue *q;
  unsigned int n = 0;

  for (q = h->next; q != h; q = q->next) {
    if (q->next->prev != q || q->prev->next != q)
      verify_fail(what);
    if (++n > 100000000u)
      verify_fail(what);
  }
  return n;
}

void
ev_verify(struct ev_loop *loop)
{
  unsigned int n = 0;
  int i;

  if (loop == NULL)
    return;
  for (i = 0; i < NUMPRI; i++) {
    const struct fut_kit_queue *q;

    n += verify_list(&loop->pend[i], "pending queue corrupt");
    for (q = loop->pend[i].next; q != &loop->pend[i]; q = q->next)
      if (!fut_kit_queue_data(q, ev_watcher, fut_pend_)->pending)
        verify_fail("a queued watcher is not pending");
    if (verify_list(&loop->idles[i], "idle list corrupt") != loop->idlecnt[i])
      verify_fail("idle count");
  }
  if (n != loop->pendingcnt)
    verify_fail("pending count");
  verify_list(&loop->prepares, "prepare list corrupt");
  verify_list(&loop->checks, "check list corrupt");
  verify_list(&loop->forks, "fork list corrupt");
  verify_list(&loop->cleanups, "cleanup list corrupt");
  verify_list(&loop->asyncs, "async list corrupt");
  verify_list(&loop->childs, "child list corrupt");
  for (i = 0; i < loop->nanfds; i++)
    verify_list(&loop->anfds[i].ws, "io list corrupt");
}

/* ---- the heap (ev_timer, ev_periodic) ----------------------------------------------- */

#define HEAP_W(t) fut_kit_queue_data((t), ev_watcher_time, fut_node_)

static void
heap_add(struct ev_loop *loop, WT w, int64_t due_ns)
{
  w->fut_node_.due = (uint64_t)(due_ns > 0 ? due_ns : 0);
  fut_kit_timer_add(&loop->kit, &w->fut_node_);
  loop->ntimers++;
}

static void
heap_del(struct ev_loop *loop, WT w)
{
  if (!w->fut_node_.in_heap_)
    return;
  fut_kit_timer_del(&loop->kit, &w->fut_node_);
  loop->ntimers--;
}

/* A periodic's wall-clock time as the monotonic nanoseconds of the heap. */
static int64_t
periodic_due(struct ev_loop *loop, ev_tstamp at)
{
  return sec_to_ns(at - loop->rtmn_diff);
}

/* The next time of an interval periodic after @now. */
static void
periodic_recalc(ev_periodic *w, ev_tstamp now)
{
  ev_tstamp interval = w->interval > MIN_INTERVAL ? w->interval : MIN_INTERVAL;
  ev_tstamp at = w->offset + interval * floor((now - w->offset) / interval);

  while (at <= now) {
    ev_tstamp nat = at + interval;

    if (nat == at) {
      at = now;
      break;
    }
    at = nat;
  }
  w->at = at;
}

static void
periodic_schedule(struct ev_loop *loop, ev_periodic *w, ev_tstamp now)
{
  if (w->reschedule_cb != NULL) {
    w->at = w->reschedule_cb(w, now);
    if (!(w->at >= loop->rt_now))
      w->at = loop->rt_now;
  } else if (w->interval > 0.)
    periodic_recalc(w, now);
  else
    w->at = w->offset;
}

/* Take every entry out of the heap and put it back: timers moved by
 * @shift_ns, periodics scheduled again from the wall clock. */
static void
periodics_reschedule(struct ev_loop *loop, int64_t shift_ns)
{
  WT *all;
  unsigned int n = 0, i, cap = loop->ntimers;
  int periodics = 0;

  if (cap == 0)
    return;
  all = ev_realloc_try(NULL, (long)(cap * sizeof *all));
  if (all == NULL)
    return; /* keep the old schedule rather than lose timers */
  while (fut_kit_timer_first(&loop->kit) != NULL && n < cap) {
    WT w = HEAP_W(fut_kit_timer_first(&loop->kit));

    heap_del(loop, w);
    all[n++] = w;
    if (w->fut_kind_ == KIND_PERIODIC)
      periodics++;
  }
  for (i = 0; i < n; i++) {
    WT w = all[i];

    if (w->fut_kind_ == KIND_PERIODIC) {
      ev_periodic *p = (ev_periodic *)(void *)w;

      if (p->reschedule_cb != NULL || p->interval > 0.)
        periodic_schedule(loop, p, loop->rt_now);
      heap_add(loop, w, periodic_due(loop, w->at));
    } else {
      w->at += (ev_tstamp)shift_ns * 1e-9;
      heap_add(loop, w, (int64_t)w->fut_node_.due + shift_ns);
    }
  }
  (void)periodics;
  ev_free(all);
}

/* Feed the timers and periodics due. */
static void
timers_reify(struct ev_loop *loop)
{
  struct fut_kit_timer *t;

  while ((t = fut_kit_timer_first(&loop->kit)) != NULL &&
         (int64_t)t->due < loop->mono_ns) {
    WT w = HEAP_W(t);

    if (w->fut_kind_ == KIND_TIMER) {
      ev_timer *tw = (ev_timer *)(void *)w;

      if (tw->repeat > 0.) {
        heap_del(loop, w);
        tw->at += tw->repeat;
        if (tw->at < loop->mn_now)
          tw->at = loop->mn_now;
        heap_add(loop, w, sec_to_ns(tw->at));
      } else
        ev_timer_stop(loop, tw);
      ev_feed_event(loop, w, EV_TIMER);
    } else {
      ev_periodic *p = (ev_periodic *)(void *)w;

      if (p->reschedule_cb != NULL || p->interval > 0.) {
        ev_tstamp now = loop->rt_now > p->at ? loop->rt_now : p->at;

        heap_del(loop, w);
        periodic_schedule(loop, p, now);
        if (p->at <= now && p->reschedule_cb == NULL)
          p->at = now + MIN_INTERVAL;
        heap_add(loop, w, periodic_due(loop, p->at));
      } else
        ev_periodic_stop(loop, p);
      ev_feed_event(loop, w, EV_PERIODIC);
    }
  }
}

/* ---- ev_timer -------------------------------------------------------------------------- */

void
ev_timer_start(struct ev_loop *loop, ev_timer *w)
{
  if (loop == NULL || w == NULL || w->active)
    return;
  w->at += loop->mn_now;
  w->fut_kind_ = KIND_TIMER;
  w->fut_node_.in_heap_ = 0;
  ev_start(loop, (W)w);
  heap_add(loop, (WT)w, sec_to_ns(w->at));
}

void
ev_timer_stop(struct ev_loop *loop, ev_timer *w)
{
  if (loop == NULL || w == NULL)
    return;
  clear_pending(loop, (W)w);
  if (!w->active)
    return;
  heap_del(loop, (WT)w);
  w->at -= loop->mn_now;
  ev_stop(loop, (W)w);
}

void
ev_timer_again(struct ev_loop *loop, ev_timer *w)
{
  if (loop == NULL || w == NULL)
    return;
  clear_pending(loop, (W)w);
  if (w->active) {
    if (w->repeat > 0.) {
      heap_del(loop, (WT)w);
      w->at = loop->mn_now + w->repeat;
      heap_add(loop, (WT)w, sec_to_ns(w->at));
    } else
      ev_timer_stop(loop, w);
  } else if (w->repeat > 0.) {
    w->at = w->repeat;
    ev_timer_start(loop, w);
  }
}

ev_tstamp
ev_timer_remaining(struct ev_loop *loop, ev_timer *w)
{
  if (loop == NULL || w == NULL)
    return 0.;
  return w->at - (w->active ? loop->mn_now : 0.);
}

/* ---- ev_periodic ------------------------------------------------------------------------- */

void
ev_periodic_start(struct ev_loop *loop, ev_periodic *w)
{
  if (loop == NULL || w == NULL || w->active)
    return;
  if (w->interval < 0.)
    w->interval = 0.;
  periodic_schedule(loop, w, loop->rt_now);
  w->fut_kind_ = KIND_PERIODIC;
  w->fut_node_.in_heap_ = 0;
  ev_start(loop, (W)w);
  heap_add(loop, (WT)w, periodic_due(loop, w->at));
}

void
ev_periodic_stop(struct ev_loop *loop, ev_periodic *w)
{
  if (loop == NULL || w == NULL)
    return;
  clear_pending(loop, (W)w);
  if (!w->active)
    return;
  heap_del(loop, (WT)w);
  ev_stop(loop, (W)w);
}

void
ev_periodic_again(struct ev_loop *loop, ev_periodic *w)
{
  ev_periodic_stop(loop, w);
  ev_periodic_start(loop, w);
}

/* ---- ev_io ---------------------------------------------------------------------------------- */

static void fd_cb(struct fut_kit_fd *f, unsigned int events);

static struct anfd *
anfd_get(struct ev_loop *loop, int fd)
{
  if (fd >= loop->nanfds) {
    int n = loop->nanfds != 0 ? loop->nanfds : 64, i;
    struct anfd *t;

    while (n <= fd)
      n *= 2;
    /* Links point into the table: move it by hand. */
    t = ev_realloc_try(NULL, (long)((size_t)n * sizeof *t));
    if (t == NULL)
      return NULL;
    for (i = 0; i < n; i++) {
      fut_kit_queue_init(&t[i].ws);
      fut_kit_queue_init(&t[i].always);
      t[i].f = NULL;
      t[i].mask = 0;
      t[i].is_always = 0;
    }
    for (i = 0; i < loop->nanfds; i++) {
      struct anfd *o = &loop->anfds[i];

      if (!fut_kit_queue_empty(&o->ws))
        fut_kit_queue_move(&o->ws, &t[i].ws);
      if (o->is_always) {
        fut_kit_queue_remove(&o->always);
        fut_kit_queue_insert_tail(&loop->always, &t[i].always);
      }
      t[i].f = o->f;
      t[i].mask = o->mask;
      t[i].is_always = o->is_always;
      if (t[i].f != NULL)
        t[i].f->data = &t[i];
    }
    ev_free(loop->anfds);
    loop->anfds = t;
    loop->nanfds = n;
  }
  return &loop->anfds[fd];
}

static void
anfd_release(struct anfd *a)
{
  if (a->f != NULL) {
    fut_kit_fd_put(a->f);
    a->f = NULL;
  }
  if (a->is_always) {
    fut_kit_queue_remove(&a->always);
    a->is_always = 0;
  }
  a->mask = 0;
}

/* Stop every watcher of @fd and feed it EV_ERROR (as libev does for a
 * descriptor it cannot watch). */
static void
fd_kill(struct ev_loop *loop, int fd)
{
  struct anfd *a = &loop->anfds[fd];

  while (!fut_kit_queue_empty(&a->ws)) {
    ev_io *w = fut_kit_queue_data(a->ws.next, ev_io, fut_link_);

    ev_io_stop(loop, w);
    ev_feed_event(loop, w, EV_ERROR | EV_READ | EV_WRITE);
  }
}

/* Register the union of @fd's watchers' events. */
static void
fd_update(struct ev_loop *loop, int fd)
{
  struct anfd *a = &loop->anfds[fd];
  struct fut_kit_queue *q;
  unsigned int interest = 0;
  int mask = 0, err;

  for (q = a->ws.next; q != &a->ws; q = q->next)
    mask |= fut_kit_queue_data(q, ev_io, fut_link_)->events & (EV_READ | EV_WRITE);
  if (fut_kit_queue_empty(&a->ws)) {
    /* At once, not at the next poll as libev does: the program may close
     * the descriptor when ev_io_stop returns (while a duplicate keeps the
     * file open, a registration withdrawn after that would stay in the
     * kernel's set). A restart makes a new watch. */
    anfd_release(a);
    return;
  }
  if (a->is_always) {
    a->mask = mask;
    return;
  }
  if (mask == a->mask && a->f != NULL)
    return;
  if (a->f == NULL) {
    a->f = fut_kit_fd_get(&loop->kit, fd, 1);
    if (a->f == NULL) {
      fd_kill(loop, fd);
      return;
    }
    a->f->cb = fd_cb;
    a->f->data = a;
  }
  if (mask & EV_READ)
    interest |= FUT_IO_READABLE;
  if (mask & EV_WRITE)
    interest |= FUT_IO_WRITABLE;
  err = fut_kit_fd_set(a->f, interest, 0);
  if (err == -EPERM) {
    /* A regular file: libev's epoll backend reports it always ready. */
    fut_kit_fd_put(a->f);
    a->f = NULL;
    a->is_always = 1;
    a->mask = mask;
    fut_kit_queue_insert_tail(&loop->always, &a->always);
    return;
  }
  if (err < 0) {
    fd_kill(loop, fd);
    return;
  }
  a->mask = mask;
}

static void
fd_feed(struct ev_loop *loop, struct anfd *a, int ev)
{
  struct fut_kit_queue *q;

  for (q = a->ws.next; q != &a->ws; q = q->next) {
    ev_io *w = fut_kit_queue_data(q, ev_io, fut_link_);

    if (w->events & ev)
      ev_feed_event(loop, w, w->events & ev);
  }
}

static void
fd_cb(struct fut_kit_fd *f, unsigned int events)
{
  struct anfd *a = f->data;
  struct ev_loop *loop = fut_kit_queue_data(f->ev.loop, struct ev_loop, kit);
  int ev = 0;

  if (events & FUT_IO_READABLE)
    ev |= EV_READ;
  if (events & FUT_IO_WRITABLE)
    ev |= EV_WRITE;
  fd_feed(loop, a, ev);
}

void
ev_feed_fd_event(struct ev_loop *loop, int fd, int revents)
{
  if (loop == NULL || fd < 0 || fd >= loop->nanfds)
    return;
  fd_feed(loop, &loop->anfds[fd], revents);
}

void
ev_io_start(struct ev_loop *loop, ev_io *w)
{
  struct anfd *a;

  if (loop == NULL || w == NULL || w->active)
    return;
  if (w->fd < 0) {
    ev_feed_event(loop, w, EV_ERROR | EV_READ | EV_WRITE);
    return;
  }
  a = anfd_get(loop, w->fd);
  if (a == NULL) {
    /* Out of memory: libev's EV_ERROR case. */
    ev_feed_event(loop, w, EV_ERROR | EV_READ | EV_WRITE);
    return;
  }
  ev_start(loop, (W)w);
  fut_kit_queue_insert_tail(&a->ws, &w->fut_link_);
  fd_update(loop, w->fd);
}

void
ev_io_stop(struct ev_loop *loop, ev_io *w)
{
  if (loop == NULL || w == NULL)
    return;
  clear_pending(loop, (W)w);
  if (!w->active)
    return;
  fut_kit_queue_remove(&w->fut_link_);
  ev_stop(loop, (W)w);
  if (w->fd >= 0 && w->fd < loop->nanfds)
    fd_update(loop, w->fd);
}

/* ---- ev_once ------------------------------------------------------------------------------- */

struct ev_once {
  ev_io io;
  ev_timer to;
  void (*cb)(int revents, void *arg);
  void *arg;
};

static void
once_cb(struct ev_loop *loop, struct ev_once *once, int revents)
{
  void (*cb)(int revents, void *arg) = once->cb;
  void *arg = once->arg;

  ev_io_stop(loop, &once->io);
  ev_timer_stop(loop, &once->to);
  ev_free(once);
  cb(revents, arg);
}

static void
once_cb_io(struct ev_loop *loop, ev_io *w, int revents)
{
  struct ev_once *once = (struct ev_once *)(void *)((char *)w - offsetof(struct ev_once, io));

  once_cb(loop, once, revents | ev_clear_pending(loop, &once->to));
}

static void
once_cb_to(struct ev_loop *loop, ev_timer *w, int revents)
{
  struct ev_once *once = (struct ev_once *)(void *)((char *)w - offsetof(struct ev_once, to));

  once_cb(loop, once, revents | ev_clear_pending(loop, &once->io));
}

void
ev_once(struct ev_loop *loop, int fd, int events, ev_tstamp timeout, void (*cb)(int revents, void *arg), void *arg)
{
  struct ev_once *once;

  if (loop == NULL || cb == NULL)
    return;
  once = ev_realloc_try(NULL, (long)sizeof *once);
  if (once == NULL) {
    if (syserr_cb != NULL)
      syserr_cb("(libev) ev_once: cannot allocate");
    else
      fprintf(stderr, "(libev) cannot allocate %ld bytes, aborting.\n", (long)sizeof *once);
    abort();
  }
  once->cb = cb;
  once->arg = arg;
  ev_init(&once->io, once_cb_io);
  if (fd >= 0) {
    ev_io_set(&once->io, fd, events);
    ev_io_start(loop, &once->io);
  }
  ev_init(&once->to, once_cb_to);
  if (timeout >= 0.) {
    ev_timer_set(&once->to, timeout, 0.);
    ev_timer_start(loop, &once->to);
  }
}

/* ---- loop lists: idle, prepare, check, fork, cleanup -------------------------------------------- */

static void
list_start(struct ev_loop *loop, struct fut_kit_queue *h, WL w)
{
  ev_start(loop, (W)w);
  fut_kit_queue_insert_tail(h, &w->fut_link_);
}

static int
list_stop(struct ev_loop *loop, WL w)
{
  clear_pending(loop, (W)w);
  if (!w->active)
    return 0;
  fut_kit_queue_remove(&w->fut_link_);
  ev_stop(loop, (W)w);
  return 1;
}

void
ev_idle_start(struct ev_loop *loop, ev_idle *w)
{
  int pri;

  if (loop == NULL || w == NULL || w->active)
    return;
  pri = pri_index(w->priority);
  list_start(loop, &loop->idles[pri], (WL)w);
  loop->idlecnt[pri]++;
  loop->idleall++;
}

void
ev_idle_stop(struct ev_loop *loop, ev_idle *w)
{
  if (loop == NULL || w == NULL)
    return;
  if (list_stop(loop, (WL)w)) {
    loop->idlecnt[pri_index(w->priority)]--;
    loop->idleall--;
  }
}

#define LIST_WATCHER(type, list) \
  void \
  ev_##type##_start(struct ev_loop *loop, ev_##type *w) \
  { \
    if (loop == NULL || w == NULL || w->active) \
      return; \
    list_start(loop, &loop->list, (WL)w); \
  } \
  void \
  ev_##type##_stop(struct ev_loop *loop, ev_##type *w) \
  { \
    if (loop == NULL || w == NULL) \
      return; \
    (void)list_stop(loop, (WL)w); \
  }

LIST_WATCHER(prepare, prepares)
LIST_WATCHER(check, checks)
LIST_WATCHER(fork, forks)

/* libev does not let cleanup watchers keep the loop alive. */
void
ev_cleanup_start(struct ev_loop *loop, ev_cleanup *w)
{
  if (loop == NULL || w == NULL || w->active)
    return;
  list_start(loop, &loop->cleanups, (WL)w);
  ev_unref(loop);
}

void
ev_cleanup_stop(struct ev_loop *loop, ev_cleanup *w)
{
  if (loop == NULL || w == NULL)
    return;
  if (w->active)
    ev_ref(loop);
  (void)list_stop(loop, (WL)w);
}

/* ---- ev_async and ev_feed_signal: the loop's notifier ------------------------------------------- */

static void
notify_arm(struct ev_loop *loop)
{
  struct fut_waker w;
  struct fut_context cx;

  fut_kit_ev_context(&loop->nev, &w, &cx);
  while (fut_future_poll(&loop->nwait.base, &cx) == FUT_READY) {
    fut_future_drop(&loop->nwait.base);
    if (loop->nwait.result != 0 ||
        fut_notify_wait_init(&loop->nwait, &loop->notify) != 0)
      return;
  }
}

static void
notify_ev(struct fut_kit_ev *ev)
{
  struct ev_loop *loop = fut_kit_queue_data(ev, struct ev_loop, nev);
  uint64_t sigs;

  notify_arm(loop);
  sigs = __atomic_exchange_n(&loop->sig_pending, 0, __ATOMIC_ACQ_REL);
  while (sigs != 0) {
    int n = __builtin_ctzll(sigs);

    sigs &= sigs - 1;
    ev_feed_signal_event(loop, n + 1);
  }
  if (__atomic_exchange_n(&loop->async_pending, 0, __ATOMIC_ACQ_REL)) {
    struct fut_kit_queue *q;

    for (q = loop->asyncs.next; q != &loop->asyncs; q = q->next) {
      ev_async *w = fut_kit_queue_data(q, ev_async, fut_link_);

      if (__atomic_load_n(&w->sent, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&w->sent, 0, __ATOMIC_RELEASE);
        ev_feed_event(loop, w, EV_ASYNC);
      }
    }
  }
}

void
ev_async_start(struct ev_loop *loop, ev_async *w)
{
  if (loop == NULL || w == NULL || w->active)
    return;
  __atomic_store_n(&w->sent, 0, __ATOMIC_RELEASE);
  list_start(loop, &loop->asyncs, (WL)w);
}

void
ev_async_stop(struct ev_loop *loop, ev_async *w)
{
  if (loop == NULL || w == NULL)
    return;
  (void)list_stop(loop, (WL)w);
}

void
ev_async_send(struct ev_loop *loop, ev_async *w)
{
  if (loop == NULL || w == NULL)
    return;
  __atomic_store_n(&w->sent, 1, __ATOMIC_RELEASE);
  __atomic_store_n(&loop->async_pending, 1, __ATOMIC_RELEASE);
  (void)fut_notify_signal(&loop->notify);
}

/* ---- ev_signal ------------------------------------------------------------------------------------- */

static void
sig_ev(struct fut_kit_ev *ev)
{
  struct evsig *s = fut_kit_queue_data(ev, struct evsig, ev);
  struct ev_loop *loop = fut_kit_queue_data(ev->loop, struct ev_loop, kit);

  while (s->open) {
    struct fut_waker w;
    struct fut_context cx;
    int signo = 0, res = 0;

    fut_kit_ev_context(&s->ev, &w, &cx);
    if (fut_signal_poll_recv(&s->s, &cx, &signo, &res) == FUT_PENDING)
      return;
    if (res < 0)
      return;
    ev_feed_signal_event(loop, signo);
  }
}

void
ev_feed_signal_event(struct ev_loop *loop, int signum)
{
  struct fut_kit_queue *q;
  struct evsig *s;

  if (loop == NULL || signum <= 0 || signum >= NSIG_EV)
    return;
  s = loop->sigs[signum];
  if (s == NULL)
    return;
  for (q = s->ws.next; q != &s->ws; q = q->next)
    ev_feed_event(loop, fut_kit_queue_data(q, ev_signal, fut_link_), EV_SIGNAL);
}

void
ev_feed_signal(int signum)
{
  struct ev_loop *loop;

  if (signum <= 0 || signum >= NSIG_EV)
    return;
  loop = __atomic_load_n(&sig_loops[signum], __ATOMIC_ACQUIRE);
  if (loop == NULL)
    return;
  __atomic_fetch_or(&loop->sig_pending, (uint64_t)1 << (signum - 1), __ATOMIC_ACQ_REL);
  (void)fut_notify_signal(&loop->notify);
}

void
ev_signal_start(struct ev_loop *loop, ev_signal *w)
{
  struct evsig *s;

  if (loop == NULL || w == NULL || w->active)
    return;
  if (w->signum <= 0 || w->signum >= NSIG_EV) {
    ev_feed_event(loop, w, EV_ERROR | EV_SIGNAL);
    return;
  }
  s = loop->sigs[w->signum];
  if (s == NULL) {
    s = ev_realloc_try(NULL, (long)sizeof *s);
    if (s == NULL) {
      ev_feed_event(loop, w, EV_ERROR | EV_SIGNAL);
      return;
    }
    memset(s, 0, sizeof *s);
    s->signum = w->signum;
    s->s.slot = -1;
    fut_kit_queue_init(&s->ws);
    fut_kit_ev_init(&loop->kit, &s->ev, sig_ev);
    loop->sigs[w->signum] = s;
  }
  if (!s->open) {
    if (fut_signal_init_one(&s->s, w->signum) != 0) {
      /* SIGKILL, SIGSTOP, or no listener slot left. */
      ev_feed_event(loop, w, EV_ERROR | EV_SIGNAL);
      return;
    }
    s->open = 1;
    fut_kit_ev_feed(&s->ev); /* arm the listener in the next poll */
  }
  __atomic_store_n(&sig_loops[w->signum], loop, __ATOMIC_RELEASE);
  ev_start(loop, (W)w);
  fut_kit_queue_insert_tail(&s->ws, &w->fut_link_);
}

void
ev_signal_stop(struct ev_loop *loop, ev_signal *w)
{
  struct evsig *s;

  if (loop == NULL || w == NULL)
    return;
  clear_pending(loop, (W)w);
  if (!w->active)
    return;
  fut_kit_queue_remove(&w->fut_link_);
  ev_stop(loop, (W)w);
  s = loop->sigs[w->signum];
  if (s != NULL && fut_kit_queue_empty(&s->ws))
    sig_close(loop, s); /* the disposition goes back to what it was */
}

/* ---- ev_child ------------------------------------------------------------------------------------------ */

static void
child_reap(struct ev_loop *loop, int pid, int status)
{
  struct fut_kit_queue *q;
  int traced = WIFSTOPPED(status) || WIFCONTINUED(status);

  for (q = loop->childs.next; q != &loop->childs; q = q->next) {
    ev_child *w = fut_kit_queue_data(q, ev_child, fut_link_);

    if ((w->pid == pid || w->pid == 0) && (!traced || (w->flags & 1))) {
      w->rpid = pid;
      w->rstatus = status;
      ev_feed_event(loop, w, EV_CHILD);
    }
  }
}

static void
chld_ev(struct fut_kit_ev *ev)
{
  struct ev_loop *loop = fut_kit_queue_data(ev, struct ev_loop, chld_ev);
  struct fut_waker w;
  struct fut_context cx;
  int signo, res, status, pid;

  /* Drain the listener (the signals are coalesced), then reap. */
  fut_kit_ev_context(&loop->chld_ev, &w, &cx);
  while (loop->chld_open &&
         fut_signal_poll_recv(&loop->chld, &cx, &signo, &res) == FUT_READY && res == 0)
    ;
  while ((pid = waitpid(-1, &status, WNOHANG | WUNTRACED | WCONTINUED)) > 0)
    child_reap(loop, pid, status);
}

void
ev_child_start(struct ev_loop *loop, ev_child *w)
{
  if (loop == NULL || w == NULL || w->active)
    return;
  if (!loop->is_default) {
    /* libev: child watchers belong to the default loop only. */
    ev_feed_event(loop, w, EV_ERROR | EV_CHILD);
    return;
  }
  if (!loop->chld_open) {
    if (fut_signal_init_one(&loop->chld, SIGCHLD) != 0) {
      ev_feed_event(loop, w, EV_ERROR | EV_CHILD);
      return;
    }
    loop->chld_open = 1;
    /* Reap at once in the next poll: a child may have exited before the
     * listener existed. */
    fut_kit_ev_feed(&loop->chld_ev);
  }
  ev_start(loop, (W)w);
  fut_kit_queue_insert_tail(&loop->childs, &w->fut_link_);
}

void
ev_child_stop(struct ev_loop *loop, ev_child *w)
{
  if (loop == NULL || w == NULL)
    return;
  clear_pending(loop, (W)w);
  if (!w->active)
    return;
  fut_kit_queue_remove(&w->fut_link_);
  ev_stop(loop, (W)w);
}

/* ---- ev_stat ----------------------------------------------------------------------------------------------- */

void
ev_stat_stat(struct ev_loop *loop, ev_stat *w)
{
  (void)loop;
  if (w == NULL)
    return;
  if (w->path == NULL || lstat(w->path, &w->attr) < 0) {
    memset(&w->attr, 0, sizeof w->attr);
    w->attr.st_nlink = 0;
  } else if (w->attr.st_nlink == 0)
    w->attr.st_nlink = 1;
}

static int
stat_changed(const ev_statdata *a, const ev_statdata *b)
{
  return a->st_dev != b->st_dev || a->st_ino != b->st_ino ||
         a->st_mode != b->st_mode || a->st_nlink != b->st_nlink ||
         a->st_uid != b->st_uid || a->st_gid != b->st_gid ||
         a->st_rdev != b->st_rdev || a->st_size != b->st_size ||
         a->st_atim.tv_sec != b->st_atim.tv_sec ||
         a->st_atim.tv_nsec != b->st_atim.tv_nsec ||
         a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
         a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
         a->st_ctim.tv_sec != b->st_ctim.tv_sec ||
         a->st_ctim.tv_nsec != b->st_ctim.tv_nsec;
}

static void
stat_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
  ev_stat *w = (ev_stat *)(void *)((char *)t - offsetof(ev_stat, timer));
  ev_statdata prev = w->attr;

  (void)revents;
  ev_stat_stat(loop, w);
  if (stat_changed(&prev, &w->attr)) {
    w->prev = prev;
    ev_feed_event(loop, w, EV_STAT);
  }
}

void
ev_stat_start(struct ev_loop *loop, ev_stat *w)
{
  ev_tstamp ival;

  if (loop == NULL || w == NULL || w->active)
    return;
  ev_stat_stat(loop, w);
  w->prev = w->attr;
  if (w->interval < MIN_STAT_INTERVAL && w->interval > 0.)
    w->interval = MIN_STAT_INTERVAL;
  ival = w->interval > 0. ? w->interval : DEF_STAT_INTERVAL;
  w->wd = -1;
  ev_timer_init(&w->timer, stat_timer_cb, 0., ival);
  ev_set_priority(&w->timer, ev_priority(w));
  ev_timer_again(loop, &w->timer);
  ev_unref(loop);
  ev_start(loop, (W)w);
}

void
ev_stat_stop(struct ev_loop *loop, ev_stat *w)
{
  if (loop == NULL || w == NULL)
    return;
  clear_pending(loop, (W)w);
  if (!w->active)
    return;
  ev_ref(loop);
  ev_timer_stop(loop, &w->timer);
  ev_stop(loop, (W)w);
}

/* ---- suspend, resume ------------------------------------------------------------------------------------------ */

void
ev_suspend(struct ev_loop *loop)
{
  if (loop == NULL)
    return;
  time_update(loop);
  loop->suspend_ns = loop->mono_ns;
}

void
ev_resume(struct ev_loop *loop)
{
  int64_t then;

  if (loop == NULL)
    return;
  then = loop->suspend_ns;
  time_update(loop);
  periodics_reschedule(loop, loop->mono_ns - then);
}

/* ---- ev_run ------------------------------------------------------------------------------------------------------ */

static void
idle_reify(struct ev_loop *loop)
{
  int pri;

  if (loop->idleall == 0)
    return;
  for (pri = NUMPRI - 1; pri >= 0; pri--) {
    if (!fut_kit_queue_empty(&loop->pend[pri]))
      break;
    if (loop->idlecnt[pri] != 0) {
      queue_list(loop, &loop->idles[pri], EV_IDLE);
      break;
    }
  }
}

static void
always_reify(struct ev_loop *loop)
{
  struct fut_kit_queue *q;

  for (q = loop->always.next; q != &loop->always; q = q->next)
    fd_feed(loop, fut_kit_queue_data(q, struct anfd, always), EV_READ | EV_WRITE);
}

static void
loop_fork(struct ev_loop *loop)
{
  loop->postfork = 0;
  loop->curpid = getpid();
  (void)fut_runtime_fork(&loop->kit.rt);
}

int
ev_run(struct ev_loop *loop, int flags)
{
  if (loop == NULL || !loop->kit.initialized)
    return 0;
  loop->depth++;
  loop->loop_done = EVBREAK_CANCEL;
  invoke_all(loop);
  do {
    int64_t deadline;

    if ((loop->flags & EVFLAG_FORKCHECK) && getpid() != loop->curpid)
      loop->postfork = 1;
    if (loop->postfork && !fut_kit_queue_empty(&loop->forks)) {
      queue_list(loop, &loop->forks, EV_FORK);
      invoke_all(loop);
    }
    if (!fut_kit_queue_empty(&loop->prepares)) {
      queue_list(loop, &loop->prepares, EV_PREPARE);
      invoke_all(loop);
    }
    if (loop->loop_done)
      break;
    if (loop->postfork)
      loop_fork(loop);

    /* How long to wait: until the first timer, at most MAX_BLOCKTIME;
     * not at all with idle watchers, always-ready files, EVRUN_NOWAIT or
     * nothing active. */
    if ((flags & EVRUN_NOWAIT) || loop->idleall != 0 || loop->activecnt <= 0 ||
        !fut_kit_queue_empty(&loop->always) || loop->pendingcnt != 0)
      deadline = 0;
    else {
      struct fut_kit_timer *t = fut_kit_timer_first(&loop->kit);
      int64_t wait = sec_to_ns(MAX_BLOCKTIME), now = loop->mono_ns;

      /* The loop time of this iteration: the deadline is absolute, so a
       * slightly old now only shortens the MAX_BLOCKTIME cap. */
      if (t != NULL) {
        int64_t to = (int64_t)t->due - now + 1;

        if (to < wait)
          wait = to;
        if (wait < sec_to_ns(loop->timeout_blocktime))
          wait = sec_to_ns(loop->timeout_blocktime);
      }
      if (loop->io_blocktime > 0. && wait > 0) {
        int64_t sl = sec_to_ns(loop->io_blocktime);

        if (sl > wait)
          sl = wait;
        ev_sleep((ev_tstamp)sl * 1e-9);
        wait -= sl;
      }
      deadline = wait > 0 ? now + wait : 0;
    }
    loop->iteration++;
    if (deadline != 0 && loop->release_cb != NULL)
      loop->release_cb(loop);
    (void)fut_kit_loop_poll(&loop->kit, deadline);
    if (deadline != 0 && loop->acquire_cb != NULL)
      loop->acquire_cb(loop);
    time_update(loop);
    always_reify(loop);

    timers_reify(loop);
    idle_reify(loop);
    if (!fut_kit_queue_empty(&loop->checks))
      queue_list(loop, &loop->checks, EV_CHECK);
    invoke_all(loop);
  } while (loop->activecnt > 0 && !loop->loop_done &&
           !(flags & (EVRUN_ONCE | EVRUN_NOWAIT)));
  if (loop->loop_done == EVBREAK_ONE)
    loop->loop_done = EVBREAK_CANCEL;
  loop->depth--;
  return loop->activecnt;
}
