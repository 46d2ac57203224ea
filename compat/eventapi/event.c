/* SPDX-License-Identifier: MIT */
/*
 * compat/eventapi: libevent 2.1's event core on the libfutures core.
 *
 * A base embeds a kit loop (a runtime, descriptor watches, a timer heap).
 * One iteration of event_base_loop(): choose the timeout (none when
 * callbacks are active), one fut_kit_loop_poll() whose descriptor and
 * signal callbacks only move events onto the active queues, read the
 * clock once (the cached time), move expired timers to the active queues,
 * then run the callbacks of the lowest-numbered non-empty priority.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <futures/alloc.h>
#include <futures/timer.h>

/* ---- library-wide state ---------------------------------------------------- */

static void *(*eva_malloc_fn)(size_t) = NULL;
static void *(*eva_realloc_fn)(void *, size_t) = NULL;
static void (*eva_free_fn)(void *) = NULL;
static event_log_cb eva_log_cb = NULL;
static event_fatal_cb eva_fatal_cb = NULL;
static ev_uint32_t eva_debug_logging = 0;
static struct event_base *eva_current_base = NULL;
static int eva_self_cbarg_token;

void *
eva_malloc(size_t n)
{
  if (n == 0)
    return NULL;
  return eva_malloc_fn != NULL ? eva_malloc_fn(n) : malloc(n);
}

void *
eva_calloc(size_t n, size_t size)
{
  void *p;

  if (n == 0 || size == 0 || n > SIZE_MAX / size)
    return NULL;
  if (eva_malloc_fn == NULL)
    return calloc(n, size);
  p = eva_malloc_fn(n * size);
  if (p != NULL)
    memset(p, 0, n * size);
  return p;
}

void *
eva_realloc(void *p, size_t n)
{
  return eva_realloc_fn != NULL ? eva_realloc_fn(p, n) : realloc(p, n);
}

void
eva_free(void *p)
{
  if (p == NULL)
    return;
  if (eva_free_fn != NULL)
    eva_free_fn(p);
  else
    free(p);
}

char *
eva_strdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = eva_malloc(n);

  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

static void
eva_log(int severity, const char *fmt, va_list ap)
{
  char buf[512];

  vsnprintf(buf, sizeof buf, fmt, ap);
  if (eva_log_cb != NULL)
    eva_log_cb(severity, buf);
  else
    fprintf(stderr, "[%s] %s\n",
            severity == EVENT_LOG_ERR ? "err" : severity == EVENT_LOG_WARN ? "warn" : "msg", buf);
}

void
eva_warn(const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  eva_log(EVENT_LOG_WARN, fmt, ap);
  va_end(ap);
}

void
event_set_log_callback(event_log_cb cb)
{
  eva_log_cb = cb;
}

void
event_set_fatal_callback(event_fatal_cb cb)
{
  eva_fatal_cb = cb;
}

void
event_enable_debug_logging(ev_uint32_t which)
{
  eva_debug_logging = which;
}

void
event_enable_debug_mode(void)
{
  /* The checks debug mode turns on in libevent (an event used before
   * event_assign, an unknown base) are always made here. */
}

static void *
eva_core_malloc(size_t n)
{
  return eva_malloc_fn(n != 0 ? n : 1);
}

void
event_set_mem_functions(void *(*malloc_fn)(size_t sz), void *(*realloc_fn)(void *ptr, size_t sz),
                        void (*free_fn)(void *ptr))
{
  if (malloc_fn == NULL || realloc_fn == NULL || free_fn == NULL) {
    eva_malloc_fn = NULL;
    eva_realloc_fn = NULL;
    eva_free_fn = NULL;
    (void)fut_replace_allocator(malloc, free);
    return;
  }
  eva_malloc_fn = malloc_fn;
  eva_realloc_fn = realloc_fn;
  eva_free_fn = free_fn;
  (void)fut_replace_allocator(eva_core_malloc, free_fn);
}

const char *
event_get_version(void)
{
  return LIBEVENT_VERSION;
}

ev_uint32_t
event_get_version_number(void)
{
  return LIBEVENT_VERSION_NUMBER;
}

void *
event_self_cbarg(void)
{
  return &eva_self_cbarg_token;
}

/* ---- time ------------------------------------------------------------------ */

static int64_t
wall_now_ns(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
eva_now_ns(struct event_base *base)
{
  return base->cached_ns != 0 ? base->cached_ns : fut_now_ns();
}

static void
update_cache(struct event_base *base)
{
  if (base->flags & EVENT_BASE_FLAG_NO_CACHE_TIME) {
    base->cached_ns = 0;
    return;
  }
  base->cached_ns = fut_now_ns();
  if (base->cached_ns == 0)
    base->cached_ns = 1;
}

/* The monotonic @mono as wall-clock time (the offset read every 5 s). */
static void
mono_to_wall(struct event_base *base, int64_t mono, struct timeval *tv)
{
  int64_t now = fut_now_ns(), w;

  if (base->wall_off_at == 0 || now - base->wall_off_at > 5000000000LL) {
    base->wall_off_ns = wall_now_ns() - fut_now_ns();
    base->wall_off_at = now;
  }
  w = mono + base->wall_off_ns;
  tv->tv_sec = (time_t)(w / 1000000000);
  tv->tv_usec = (suseconds_t)((w % 1000000000) / 1000);
}

static int64_t
tv_to_ns(const struct timeval *tv)
{
  int64_t s = tv->tv_sec, us = tv->tv_usec;

  if (s < 0 || (s == 0 && us < 0))
    return 0;
  if (s > INT64_MAX / 1000000000 - 1)
    return INT64_MAX / 2;
  return s * 1000000000 + us * 1000;
}

int
event_base_gettimeofday_cached(struct event_base *base, struct timeval *tv)
{
  if (tv == NULL)
    return -1;
  if (base == NULL)
    base = eva_current_base;
  if (base == NULL || base->cached_ns == 0)
    return gettimeofday(tv, NULL);
  mono_to_wall(base, base->cached_ns, tv);
  return 0;
}

int
event_base_update_cache_time(struct event_base *base)
{
  if (base == NULL)
    return -1;
  if (base->running)
    update_cache(base);
  return 0;
}

/* ---- configuration ---------------------------------------------------------- */

struct event_config {
  int avoid_epoll;
  int features;
  int flags;
  int cpus;
  int64_t max_dispatch_ns;
  int max_dispatch;
  int limit_prio;
};

#define EVA_FEATURES (EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE)

struct event_config *
event_config_new(void)
{
  struct event_config *cfg = eva_calloc(1, sizeof *cfg);

  if (cfg == NULL)
    return NULL;
  cfg->max_dispatch_ns = -1;
  cfg->max_dispatch = INT32_MAX;
  cfg->limit_prio = 1;
  return cfg;
}

void
event_config_free(struct event_config *cfg)
{
  eva_free(cfg);
}

int
event_config_avoid_method(struct event_config *cfg, const char *method)
{
  if (cfg == NULL || method == NULL)
    return -1;
  if (strcmp(method, "epoll") == 0)
    cfg->avoid_epoll = 1;
  return 0;
}

int
event_config_require_features(struct event_config *cfg, int feature)
{
  if (cfg == NULL)
    return -1;
  cfg->features = feature;
  return 0;
}

int
event_config_set_flag(struct event_config *cfg, int flag)
{
  if (cfg == NULL || (flag & ~0x3f) != 0)
    return -1;
  cfg->flags |= flag;
  return 0;
}

int
event_config_set_num_cpus_hint(struct event_config *cfg, int cpus)
{
  if (cfg == NULL)
    return -1;
  cfg->cpus = cpus > 0 ? cpus : 0;
  return 0;
}

int
event_config_set_max_dispatch_interval(struct event_config *cfg, const struct timeval *max_interval,
                                       int max_callbacks, int min_priority)
{
  if (cfg == NULL)
    return -1;
  cfg->max_dispatch_ns = max_interval != NULL ? tv_to_ns(max_interval) : -1;
  cfg->max_dispatch = max_callbacks >= 0 ? max_callbacks : INT32_MAX;
  if (cfg->max_dispatch == 0)
    cfg->max_dispatch = 1;
  cfg->limit_prio = min_priority >= 0 ? min_priority : 0;
  return 0;
}

const char **
event_get_supported_methods(void)
{
  static const char *methods[] = { "epoll", NULL };

  return methods;
}

/* ---- bases -------------------------------------------------------------------- */

static int set_priorities(struct event_base *base, int n);
static void th_notify_arm(struct event_base *base);
static void th_notify_ev(struct fut_kit_ev *kev);

/* Set up @base's lock and notifier (evthread_use_pthreads() was called). */
static int
th_init(struct event_base *base)
{
  struct eva_th *th = &base->th;
  pthread_mutexattr_t a;

  if (pthread_mutexattr_init(&a) != 0)
    return -1;
  (void)pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  if (pthread_mutex_init(&th->lock, &a) != 0) {
    (void)pthread_mutexattr_destroy(&a);
    return -1;
  }
  (void)pthread_mutexattr_destroy(&a);
  if (pthread_cond_init(&th->cond, NULL) != 0) {
    (void)pthread_mutex_destroy(&th->lock);
    return -1;
  }
  if (fut_notify_init(&th->notify, &base->kit.rt) != 0) {
    (void)pthread_cond_destroy(&th->cond);
    (void)pthread_mutex_destroy(&th->lock);
    return -1;
  }
  th->notify_open = 1;
  (void)fut_notify_wait_init(&th->nwait, &th->notify);
  fut_kit_ev_init(&base->kit, &th->nev, th_notify_ev);
  fut_kit_queue_init(&th->adds);
  fut_kit_queue_init(&th->dirty_fds);
  fut_kit_queue_init(&th->dirty_sigs);
  base->threaded = 1;
  th_notify_arm(base);
  return 0;
}

static void
th_close(struct event_base *base)
{
  struct eva_th *th = &base->th;

  if (!base->threaded)
    return;
  fut_kit_ev_cancel(&th->nev);
  fut_future_drop(&th->nwait.base);
  if (th->notify_open)
    fut_notify_close(&th->notify);
  th->notify_open = 0;
  fut_kit_ev_cancel(&th->nev);
  (void)pthread_cond_destroy(&th->cond);
  (void)pthread_mutex_destroy(&th->lock);
  base->threaded = 0;
}

struct event_base *
event_base_new_with_config(const struct event_config *cfg)
{
  struct event_base *base;

  if (cfg != NULL && (cfg->avoid_epoll || (cfg->features & ~EVA_FEATURES) != 0))
    return NULL;
  base = eva_calloc(1, sizeof *base);
  if (base == NULL)
    return NULL;
  if (fut_kit_loop_init(&base->kit, cfg != NULL ? (unsigned int)cfg->cpus : 0) != 0) {
    eva_free(base);
    return NULL;
  }
  fut_kit_queue_init(&base->added);
  fut_kit_queue_init(&base->onces);
  base->running_prio = -1;
  base->max_dispatch = INT32_MAX;
  base->max_dispatch_ns = -1;
  base->limit_prio = 1;
  if (cfg != NULL) {
    base->flags = cfg->flags;
    base->max_dispatch = cfg->max_dispatch;
    base->max_dispatch_ns = cfg->max_dispatch_ns;
    base->limit_prio = cfg->limit_prio;
  }
  if (set_priorities(base, 1) != 0 || (eva_threads_on && th_init(base) != 0)) {
    eva_free(base->activeq);
    fut_kit_loop_close(&base->kit);
    eva_free(base);
    return NULL;
  }
  return base;
}

struct event_base *
event_base_new(void)
{
  return event_base_new_with_config(NULL);
}

struct event_base *
event_init(void)
{
  struct event_base *base = event_base_new();

  if (base != NULL)
    eva_current_base = base;
  return base;
}

const char *
event_base_get_method(const struct event_base *base)
{
  return base != NULL ? "epoll" : NULL;
}

const char *
event_get_method(void)
{
  return event_base_get_method(eva_current_base);
}

int
event_base_get_features(const struct event_base *base)
{
  return base != NULL ? EVA_FEATURES : 0;
}

static int
set_priorities(struct event_base *base, int n)
{
  struct fut_kit_queue *q;
  int i;

  q = eva_calloc((size_t)n, sizeof *q);
  if (q == NULL)
    return -1;
  for (i = 0; i < n; i++)
    fut_kit_queue_init(&q[i]);
  eva_free(base->activeq);
  base->activeq = q;
  base->nactiveq = n;
  return 0;
}

int
event_base_priority_init(struct event_base *base, int npriorities)
{
  if (base == NULL || npriorities < 1 || npriorities >= EVENT_MAX_PRIORITIES ||
      base->n_active != 0 || base->running_prio >= 0)
    return -1;
  if (npriorities == base->nactiveq)
    return 0;
  return set_priorities(base, npriorities);
}

int
event_priority_init(int npriorities)
{
  return event_base_priority_init(eva_current_base, npriorities);
}

int
event_base_get_npriorities(struct event_base *base)
{
  if (base == NULL)
    base = eva_current_base;
  return base != NULL ? base->nactiveq : 0;
}

/* ---- the states of an event ------------------------------------------------------ */

#define EVA_ADDED (EVLIST_INSERTED | EVLIST_TIMEOUT)

/* Keep base->added and the counts in step with @ev's flags (@old: the
 * flags before the change). */
static void
note_flags(struct event_base *base, struct event *ev, unsigned short old)
{
  int was = (old & EVA_ADDED) != 0, is = (ev->ev_flags & EVA_ADDED) != 0;

  if (was == is)
    return;
  if (is) {
    fut_kit_queue_insert_tail(&base->added, &ev->ev_inserted_);
    if (!(ev->ev_flags & EVLIST_INTERNAL) && ++base->n_added > base->max_added)
      base->max_added = base->n_added;
  } else {
    fut_kit_queue_remove(&ev->ev_inserted_);
    if (!(ev->ev_flags & EVLIST_INTERNAL))
      base->n_added--;
  }
}

static void
queue_active(struct event_base *base, struct event *ev)
{
  ev->ev_flags |= EVLIST_ACTIVE;
  fut_kit_queue_insert_tail(&base->activeq[ev->ev_pri], &ev->ev_active_);
  if (++base->n_active > base->max_active)
    base->max_active = base->n_active;
  if (!(ev->ev_flags & EVLIST_INTERNAL) && ++base->n_active_user > base->max_active_user)
    base->max_active_user = base->n_active_user;
}

static void
unqueue_active(struct event_base *base, struct event *ev)
{
  if (!(ev->ev_flags & EVLIST_ACTIVE))
    return;
  ev->ev_flags &= (unsigned short)~EVLIST_ACTIVE;
  fut_kit_queue_remove(&ev->ev_active_);
  base->n_active--;
  if (!(ev->ev_flags & EVLIST_INTERNAL))
    base->n_active_user--;
}

/* Make @ev active with @res (added to the bits of an active one). */
static void
activate(struct event_base *base, struct event *ev, short res, short ncalls)
{
  if (ev->ev_flags & EVLIST_FINALIZING)
    return;
  if (ev->ev_flags & EVLIST_ACTIVE) {
    ev->ev_res |= res;
    if (ev->ev_events & EV_SIGNAL)
      ev->ev_ncalls_ = (short)(ev->ev_ncalls_ + ncalls);
    return;
  }
  ev->ev_res = res;
  ev->ev_ncalls_ = ncalls;
  if (base->running_prio >= 0 && ev->ev_pri < base->running_prio)
    base->loop_continue = 1;
  queue_active(base, ev);
}

/* ---- descriptors -------------------------------------------------------------------- */

static void
fd_cb(struct fut_kit_fd *f, unsigned int events)
{
  struct eva_fd *d = f->data;
  struct event_base *base;
  struct fut_kit_queue *q;
  short what = 0;

  if (d == NULL || fut_kit_queue_empty(&d->events))
    return;
  base = fut_kit_queue_data(d->events.next, struct event, ev_watch_)->ev_base;
  if (events & FUT_IO_READABLE) {
    what |= EV_READ;
    if (f->io.ready & (FUT_IO_RDHUP | FUT_IO_HUP))
      what |= EV_CLOSED;
  }
  if (events & FUT_IO_WRITABLE)
    what |= EV_WRITE;
  for (q = d->events.next; q != &d->events; q = q->next) {
    struct event *ev = fut_kit_queue_data(q, struct event, ev_watch_);
    short res = (short)(what & ev->ev_events);

    if (res != 0)
      activate(base, ev, res, 1);
  }
}

/* Recompute what the watch of @d reports. Returns 0 or the core's error. */
static int
fd_update(struct eva_fd *d)
{
  struct fut_kit_queue *q;
  unsigned int interest = 0, edge_rd = 0, level_rd = 0, edge_wr = 0, level_wr = 0, edge;

  for (q = d->events.next; q != &d->events; q = q->next) {
    struct event *ev = fut_kit_queue_data(q, struct event, ev_watch_);

    if (ev->ev_events & EV_READ) {
      if (ev->ev_events & EV_ET)
        edge_rd = 1;
      else
        level_rd = 1;
    } else if (ev->ev_events & EV_CLOSED) {
      /* Closed only: an edge per arrival is enough to see the hang-up. */
      edge_rd = 1;
    }
    if (ev->ev_events & EV_WRITE) {
      if (ev->ev_events & EV_ET)
        edge_wr = 1;
      else
        level_wr = 1;
    }
  }
  if (edge_rd || level_rd)
    interest |= FUT_IO_READABLE;
  if (edge_wr || level_wr)
    interest |= FUT_IO_WRITABLE;
  edge = (edge_rd && !level_rd ? FUT_IO_READABLE : 0u) | (edge_wr && !level_wr ? FUT_IO_WRITABLE : 0u);
  return fut_kit_fd_set(d->watch, interest, edge);
}

/* May the calling thread touch @base's kit (descriptor watches, signal
 * listeners)? Single-threaded bases: always; otherwise when the loop does
 * not run, or from the loop's thread. Under the base lock. */
static int
th_direct(const struct event_base *base)
{
  return !eva_threads_on || !base->threaded || !base->running ||
         pthread_equal(base->th.loop_tid, pthread_self());
}

/* Wake @base's loop when another thread changed something it waits on. */
static void
th_wake(struct event_base *base)
{
  if (eva_threads_on && base->threaded && base->running &&
      !pthread_equal(base->th.loop_tid, pthread_self()))
    (void)fut_notify_signal(&base->th.notify);
}

static void
fd_release(struct eva_fd *d)
{
  fut_kit_queue_remove(&d->dirty);
  d->watch->data = NULL;
  fut_kit_fd_put(d->watch);
  eva_free(d);
}

static int
fd_add(struct event_base *base, struct event *ev)
{
  struct fut_kit_fd *f;
  struct eva_fd *d;
  struct fut_kit_queue *q;

  if (ev->ev_fd < 0)
    return -1;
  f = fut_kit_fd_get(&base->kit, ev->ev_fd, 1);
  if (f == NULL)
    return -1;
  d = f->data;
  if (d == NULL) {
    d = eva_calloc(1, sizeof *d);
    if (d == NULL) {
      fut_kit_fd_put(f);
      return -1;
    }
    fut_kit_queue_init(&d->events);
    d->watch = f;
    fut_kit_queue_init(&d->dirty);
    f->data = d;
    f->cb = fd_cb;
  }
  /* libevent refuses to mix edge- and level-triggered events of a fd. */
  for (q = d->events.next; q != &d->events; q = q->next) {
    struct event *o = fut_kit_queue_data(q, struct event, ev_watch_);

    if (((o->ev_events ^ ev->ev_events) & EV_ET) &&
        (o->ev_events & ev->ev_events & (EV_READ | EV_WRITE))) {
      eva_warn("tried to mix edge-triggered and level-triggered events on fd %d", ev->ev_fd);
      return -1;
    }
  }
  fut_kit_queue_insert_tail(&d->events, &ev->ev_watch_);
  if (fd_update(d) != 0) {
    fut_kit_queue_remove(&ev->ev_watch_);
    if (fut_kit_queue_empty(&d->events))
      fd_release(d);
    else
      (void)fd_update(d);
    return -1;
  }
  return 0;
}

static void
fd_del(struct event_base *base, struct event *ev)
{
  struct fut_kit_fd *f = fut_kit_fd_get(&base->kit, ev->ev_fd, 0);
  struct eva_fd *d;

  fut_kit_queue_remove(&ev->ev_watch_);
  if (f == NULL || (d = f->data) == NULL)
    return;
  if (!th_direct(base)) {
    /* The loop's thread recomputes the watch before its next poll. */
    if (fut_kit_queue_empty(&d->dirty))
      fut_kit_queue_insert_tail(&base->th.dirty_fds, &d->dirty);
    return;
  }
  if (fut_kit_queue_empty(&d->events))
    fd_release(d);
  else
    (void)fd_update(d);
}

/* ---- signals ---------------------------------------------------------------------- */

static void
sig_ev_cb(struct fut_kit_ev *kev)
{
  struct eva_sig *s = fut_kit_queue_data(kev, struct eva_sig, ev);
  struct fut_waker w;
  struct fut_context cx;
  struct fut_kit_queue *q;
  int signo, res;
  short n = 0;

  fut_kit_ev_context(&s->ev, &w, &cx);
  while (fut_signal_poll_recv(&s->sig, &cx, &signo, &res) == FUT_READY) {
    if (res < 0)
      break;
    if (n < SHRT_MAX)
      n++;
  }
  if (n == 0)
    return;
  for (q = s->events.next; q != &s->events; q = q->next)
    activate(s->base, fut_kit_queue_data(q, struct event, ev_watch_), EV_SIGNAL, n);
}

static int
sig_add(struct event_base *base, struct event *ev)
{
  struct eva_sig *s;
  int signo = ev->ev_fd;

  if (signo <= 0 || signo >= NSIG)
    return -1;
  s = base->sigs[signo];
  if (s == NULL) {
    s = eva_calloc(1, sizeof *s);
    if (s == NULL)
      return -1;
    if (fut_signal_init_one(&s->sig, signo) != 0) {
      eva_free(s);
      return -1;
    }
    fut_kit_queue_init(&s->events);
    fut_kit_ev_init(&base->kit, &s->ev, sig_ev_cb);
    s->base = base;
    s->signo = signo;
    fut_kit_queue_init(&s->dirty);
    base->sigs[signo] = s;
    /* The first poll binds the listener to the runtime and stores the
     * waker (what arrived already is delivered in the next iteration). */
    fut_kit_ev_feed(&s->ev);
  }
  fut_kit_queue_insert_tail(&s->events, &ev->ev_watch_);
  return 0;
}

static void
sig_release(struct event_base *base, struct eva_sig *s)
{
  base->sigs[s->signo] = NULL;
  fut_kit_queue_remove(&s->dirty);
  fut_kit_ev_cancel(&s->ev);
  (void)fut_signal_close(&s->sig);
  fut_kit_ev_cancel(&s->ev);
  eva_free(s);
}

static void
sig_del(struct event_base *base, struct event *ev)
{
  struct eva_sig *s = base->sigs[ev->ev_fd];

  fut_kit_queue_remove(&ev->ev_watch_);
  if (s == NULL || !fut_kit_queue_empty(&s->events))
    return;
  if (!th_direct(base)) {
    if (fut_kit_queue_empty(&s->dirty))
      fut_kit_queue_insert_tail(&base->th.dirty_sigs, &s->dirty);
    return;
  }
  sig_release(base, s);
}

/* The loop's thread, under the lock, before a poll: start the watches
 * asked by other threads, recompute or release the ones they left. */
static void
th_apply(struct event_base *base)
{
  struct eva_th *th = &base->th;

  while (!fut_kit_queue_empty(&th->adds)) {
    struct event *ev = fut_kit_queue_data(th->adds.next, struct event, ev_change_);
    int r;

    fut_kit_queue_remove(&ev->ev_change_);
    r = (ev->ev_events & EV_SIGNAL) ? sig_add(base, ev) : fd_add(base, ev);
    if (r != 0) {
      unsigned short old = ev->ev_flags;

      eva_warn("event_add from another thread failed (fd or signal %d)", (int)ev->ev_fd);
      ev->ev_flags &= (unsigned short)~EVLIST_INSERTED;
      note_flags(base, ev, old);
    }
  }
  while (!fut_kit_queue_empty(&th->dirty_fds)) {
    struct eva_fd *d = fut_kit_queue_data(th->dirty_fds.next, struct eva_fd, dirty);

    fut_kit_queue_remove(&d->dirty);
    if (fut_kit_queue_empty(&d->events))
      fd_release(d);
    else
      (void)fd_update(d);
  }
  while (!fut_kit_queue_empty(&th->dirty_sigs)) {
    struct eva_sig *s = fut_kit_queue_data(th->dirty_sigs.next, struct eva_sig, dirty);

    fut_kit_queue_remove(&s->dirty);
    if (fut_kit_queue_empty(&s->events))
      sig_release(base, s);
  }
}

static void
th_notify_arm(struct event_base *base)
{
  struct eva_th *th = &base->th;
  struct fut_waker w;
  struct fut_context cx;

  fut_kit_ev_context(&th->nev, &w, &cx);
  while (fut_future_poll(&th->nwait.base, &cx) == FUT_READY) {
    fut_future_drop(&th->nwait.base);
    if (th->nwait.result != 0 || fut_notify_wait_init(&th->nwait, &th->notify) != 0)
      return;
  }
}

/* The notifier rang: the loop is awake, which is all it was for. */
static void
th_notify_ev(struct fut_kit_ev *kev)
{
  th_notify_arm(fut_kit_queue_data(kev, struct event_base, th.nev));
}

/* ---- add, delete, activate ------------------------------------------------------- */

/* event_add with the timeout at @due_ns (monotonic; -1: none). */
static int
add_internal(struct event *ev, int64_t due_ns)
{
  struct event_base *base = ev->ev_base;
  unsigned short old = ev->ev_flags;

  if (ev->ev_flags & EVLIST_FINALIZING)
    return -1;
  if ((ev->ev_events & (EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL)) &&
      !(ev->ev_flags & (EVLIST_INSERTED | EVLIST_ACTIVE))) {
    if (th_direct(base)) {
      int r = (ev->ev_events & EV_SIGNAL) ? sig_add(base, ev) : fd_add(base, ev);

      if (r != 0)
        return -1;
    } else {
      /* Another thread while the loop runs: the loop's thread starts
       * the watch before its next poll (errors are logged then). */
      fut_kit_queue_insert_tail(&base->th.adds, &ev->ev_change_);
    }
    ev->ev_flags |= EVLIST_INSERTED;
  }
  if (due_ns >= 0) {
    if (ev->ev_flags & EVLIST_TIMEOUT)
      fut_kit_timer_del(&base->kit, &ev->ev_timer_);
    /* Rescheduled: a pending timeout callback does not run. */
    if ((ev->ev_flags & EVLIST_ACTIVE) && (ev->ev_res & EV_TIMEOUT)) {
      if (ev->ev_events & EV_SIGNAL)
        ev->ev_ncalls_ = 0;
      unqueue_active(base, ev);
    }
    ev->ev_timer_.due = (uint64_t)due_ns;
    fut_kit_timer_add(&base->kit, &ev->ev_timer_);
    ev->ev_flags |= EVLIST_TIMEOUT;
  }
  note_flags(base, ev, old);
  return 0;
}

static int
del_internal(struct event *ev)
{
  struct event_base *base = ev->ev_base;
  unsigned short old = ev->ev_flags;

  if (!(old & (EVLIST_INSERTED | EVLIST_TIMEOUT | EVLIST_ACTIVE)))
    return 0;
  if (old & EVLIST_TIMEOUT) {
    fut_kit_timer_del(&base->kit, &ev->ev_timer_);
    ev->ev_flags &= (unsigned short)~EVLIST_TIMEOUT;
  }
  if (old & EVLIST_ACTIVE)
    unqueue_active(base, ev);
  if (old & EVLIST_INSERTED) {
    ev->ev_flags &= (unsigned short)~EVLIST_INSERTED;
    if (!fut_kit_queue_empty(&ev->ev_change_))
      fut_kit_queue_remove(&ev->ev_change_);  /* its watch never started */
    else if (ev->ev_events & EV_SIGNAL)
      sig_del(base, ev);
    else
      fd_del(base, ev);
  }
  note_flags(base, ev, old);
  return 0;
}

static int
usable(const struct event *ev)
{
  return ev != NULL && (ev->ev_flags & EVLIST_INIT) && ev->ev_base != NULL;
}

int
event_add(struct event *ev, const struct timeval *tv)
{
  struct event_base *base;
  int64_t due = -1;
  int r;

  if (ev == NULL || (base = ev->ev_base) == NULL)
    return -1;
  EVA_BASE_LOCK(base);
  if (!usable(ev)) {
    EVA_BASE_UNLOCK(base);
    return -1;
  }
  if (tv != NULL) {
    if (ev->ev_closure_ == EVA_CLOSURE_PERSIST)
      ev->ev_interval_ = *tv;
    due = eva_now_ns(base) + tv_to_ns(tv);
  }
  r = add_internal(ev, due);
  th_wake(base);
  EVA_BASE_UNLOCK(base);
  return r;
}

enum { EVA_DEL_AUTO, EVA_DEL_BLOCK, EVA_DEL_NOBLOCK };

static int
del_public(struct event *ev, int how)
{
  struct event_base *base;
  int r;

  if (ev == NULL)
    return -1;
  base = ev->ev_base;
  if (base == NULL)
    return (ev->ev_flags & EVLIST_INIT) ? del_internal(ev) : -1;
  EVA_BASE_LOCK(base);
  if (!(ev->ev_flags & EVLIST_INIT)) {
    EVA_BASE_UNLOCK(base);
    return -1;
  }
  r = del_internal(ev);
  th_wake(base);
  /* Another thread deleting an event whose callback runs waits for the
   * callback to return (not for EV_FINALIZE events, unless asked). */
  if (eva_threads_on && base->threaded && base->running && !th_direct(base) &&
      how != EVA_DEL_NOBLOCK &&
      (how == EVA_DEL_BLOCK || !(ev->ev_events & EV_FINALIZE)))
    while (base->running_event == ev)
      (void)pthread_cond_wait(&base->th.cond, &base->th.lock);
  EVA_BASE_UNLOCK(base);
  return r;
}

int
event_del(struct event *ev)
{
  return del_public(ev, EVA_DEL_AUTO);
}

int
event_del_block(struct event *ev)
{
  return del_public(ev, EVA_DEL_BLOCK);
}

int
event_del_noblock(struct event *ev)
{
  return del_public(ev, EVA_DEL_NOBLOCK);
}

int
event_remove_timer(struct event *ev)
{
  unsigned short old;

  if (ev == NULL || ev->ev_base == NULL)
    return -1;
  EVA_BASE_LOCK(ev->ev_base);
  if (!usable(ev)) {
    EVA_BASE_UNLOCK(ev->ev_base);
    return -1;
  }
  old = ev->ev_flags;
  if (old & EVLIST_TIMEOUT) {
    fut_kit_timer_del(&ev->ev_base->kit, &ev->ev_timer_);
    ev->ev_flags &= (unsigned short)~EVLIST_TIMEOUT;
  }
  ev->ev_interval_.tv_sec = 0;
  ev->ev_interval_.tv_usec = 0;
  note_flags(ev->ev_base, ev, old);
  th_wake(ev->ev_base);
  EVA_BASE_UNLOCK(ev->ev_base);
  return 0;
}

void
event_active(struct event *ev, int res, short ncalls)
{
  (void)ncalls;
  if (ev == NULL || ev->ev_base == NULL)
    return;
  EVA_BASE_LOCK(ev->ev_base);
  if (usable(ev))
    activate(ev->ev_base, ev, (short)res, 1);
  th_wake(ev->ev_base);
  EVA_BASE_UNLOCK(ev->ev_base);
}

void
event_base_active_by_fd(struct event_base *base, evutil_socket_t fd, short events)
{
  struct fut_kit_fd *f;
  struct eva_fd *d;
  struct fut_kit_queue *q;

  if (base == NULL || fd < 0)
    return;
  EVA_BASE_LOCK(base);
  if ((f = fut_kit_fd_get(&base->kit, fd, 0)) != NULL && (d = f->data) != NULL) {
    events &= (short)(EV_READ | EV_WRITE | EV_CLOSED);
    for (q = d->events.next; q != &d->events; q = q->next) {
      struct event *ev = fut_kit_queue_data(q, struct event, ev_watch_);
      short res = (short)(events & ev->ev_events);

      if (res != 0)
        activate(base, ev, res, 1);
    }
    th_wake(base);
  }
  EVA_BASE_UNLOCK(base);
}

void
event_base_active_by_signal(struct event_base *base, int sig)
{
  struct fut_kit_queue *q;
  struct eva_sig *s;

  if (base == NULL || sig <= 0 || sig >= NSIG)
    return;
  EVA_BASE_LOCK(base);
  if ((s = base->sigs[sig]) != NULL) {
    for (q = s->events.next; q != &s->events; q = q->next)
      activate(base, fut_kit_queue_data(q, struct event, ev_watch_), EV_SIGNAL, 1);
    th_wake(base);
  }
  EVA_BASE_UNLOCK(base);
}

/* ---- assignment ------------------------------------------------------------------ */

int
event_assign(struct event *ev, struct event_base *base, evutil_socket_t fd, short events,
             event_callback_fn callback, void *callback_arg)
{
  if (ev == NULL)
    return -1;
  if (base == NULL)
    base = eva_current_base;
  if ((events & EV_SIGNAL) && ((events & (EV_READ | EV_WRITE | EV_CLOSED)) || fd <= 0 || fd >= NSIG))
    return -1;
  memset(ev, 0, sizeof *ev);
  fut_kit_queue_init(&ev->ev_active_);
  fut_kit_queue_init(&ev->ev_watch_);
  fut_kit_queue_init(&ev->ev_inserted_);
  fut_kit_queue_init(&ev->ev_change_);
  ev->ev_base = base;
  ev->ev_fd = fd;
  ev->ev_events = events;
  ev->ev_callback = callback;
  ev->ev_arg = callback_arg == event_self_cbarg() ? (void *)ev : callback_arg;
  ev->ev_flags = EVLIST_INIT;
  if (events & EV_SIGNAL)
    ev->ev_closure_ = EVA_CLOSURE_SIGNAL;
  else if (events & EV_PERSIST)
    ev->ev_closure_ = EVA_CLOSURE_PERSIST;
  else
    ev->ev_closure_ = EVA_CLOSURE_EVENT;
  ev->ev_pri = (ev_uint8_t)(base != NULL ? base->nactiveq / 2 : 0);
  return 0;
}

void
event_set(struct event *ev, evutil_socket_t fd, short events,
          void (*callback)(evutil_socket_t, short, void *), void *arg)
{
  if (ev != NULL && event_assign(ev, eva_current_base, fd, events, callback, arg) != 0)
    ev->ev_flags = 0;
}

int
event_base_set(struct event_base *base, struct event *ev)
{
  if (base == NULL || ev == NULL || !(ev->ev_flags & EVLIST_INIT) ||
      (ev->ev_flags & (EVLIST_INSERTED | EVLIST_TIMEOUT | EVLIST_ACTIVE)))
    return -1;
  ev->ev_base = base;
  ev->ev_pri = (ev_uint8_t)(base->nactiveq / 2);
  return 0;
}

struct event *
event_new(struct event_base *base, evutil_socket_t fd, short events, event_callback_fn cb, void *arg)
{
  struct event *ev = eva_malloc(sizeof *ev);

  if (ev == NULL)
    return NULL;
  memset(ev, 0, sizeof *ev);
  if (event_assign(ev, base, fd, events, cb, arg) != 0) {
    eva_free(ev);
    return NULL;
  }
  return ev;
}

void
event_free(struct event *ev)
{
  if (ev == NULL)
    return;
  (void)event_del(ev);
  eva_free(ev);
}

void
event_debug_unassign(struct event *ev)
{
  if (ev == NULL || (ev->ev_flags & (EVLIST_INSERTED | EVLIST_TIMEOUT | EVLIST_ACTIVE)))
    return;
  ev->ev_flags &= (unsigned short)~EVLIST_INIT;
}

int
event_priority_set(struct event *ev, int priority)
{
  int r = -1;

  if (ev == NULL || ev->ev_base == NULL)
    return -1;
  EVA_BASE_LOCK(ev->ev_base);
  if (usable(ev) && !(ev->ev_flags & EVLIST_ACTIVE) && priority >= 0 && priority < ev->ev_base->nactiveq) {
    ev->ev_pri = (ev_uint8_t)priority;
    r = 0;
  }
  EVA_BASE_UNLOCK(ev->ev_base);
  return r;
}

static int
pending_nolock(const struct event *ev, short events, struct timeval *tv)
{
  int flags = 0;

  if (ev->ev_flags & EVLIST_INSERTED)
    flags |= ev->ev_events & (EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL);
  if (ev->ev_flags & EVLIST_ACTIVE)
    flags |= ev->ev_res;
  if (ev->ev_flags & EVLIST_TIMEOUT)
    flags |= EV_TIMEOUT;
  events &= (short)(EV_TIMEOUT | EV_READ | EV_WRITE | EV_CLOSED | EV_SIGNAL);
  if (tv != NULL && (flags & events & EV_TIMEOUT))
    mono_to_wall(ev->ev_base, (int64_t)ev->ev_timer_.due, tv);
  return flags & events;
}

int
event_pending(const struct event *ev, short events, struct timeval *tv)
{
  int r;

  if (ev == NULL)
    return 0;
  if (ev->ev_base == NULL)
    return (ev->ev_flags & EVLIST_INIT) ? pending_nolock(ev, events, tv) : 0;
  EVA_BASE_LOCK(ev->ev_base);
  r = (ev->ev_flags & EVLIST_INIT) ? pending_nolock(ev, events, tv) : 0;
  EVA_BASE_UNLOCK(ev->ev_base);
  return r;
}

int
event_initialized(const struct event *ev)
{
  return ev != NULL && (ev->ev_flags & EVLIST_INIT) ? 1 : 0;
}

evutil_socket_t
event_get_fd(const struct event *ev)
{
  return ev != NULL ? ev->ev_fd : -1;
}

struct event_base *
event_get_base(const struct event *ev)
{
  return ev != NULL ? ev->ev_base : NULL;
}

short
event_get_events(const struct event *ev)
{
  return ev != NULL ? ev->ev_events : 0;
}

event_callback_fn
event_get_callback(const struct event *ev)
{
  return ev != NULL ? ev->ev_callback : NULL;
}

void *
event_get_callback_arg(const struct event *ev)
{
  return ev != NULL ? ev->ev_arg : NULL;
}

int
event_get_priority(const struct event *ev)
{
  return ev != NULL ? ev->ev_pri : -1;
}

void
event_get_assignment(const struct event *event, struct event_base **base_out, evutil_socket_t *fd_out,
                     short *events_out, event_callback_fn *callback_out, void **arg_out)
{
  if (event == NULL)
    return;
  if (base_out != NULL)
    *base_out = event->ev_base;
  if (fd_out != NULL)
    *fd_out = event->ev_fd;
  if (events_out != NULL)
    *events_out = event->ev_events;
  if (callback_out != NULL)
    *callback_out = event->ev_callback;
  if (arg_out != NULL)
    *arg_out = event->ev_arg;
}

size_t
event_get_struct_event_size(void)
{
  return sizeof(struct event);
}

/* ---- finalizers --------------------------------------------------------------------- */

static int
finalize(unsigned flags, struct event *ev, event_finalize_callback_fn cb, int free_it)
{
  struct event_base *base;

  (void)flags;
  if (ev == NULL || (base = ev->ev_base) == NULL || cb == NULL)
    return -1;
  EVA_BASE_LOCK(base);
  if (!usable(ev) || (ev->ev_flags & EVLIST_FINALIZING)) {
    EVA_BASE_UNLOCK(base);
    return -1;
  }
  (void)del_internal(ev);
  ev->ev_finalize_ = cb;
  ev->ev_closure_ = free_it ? EVA_CLOSURE_FINALIZE_FREE : EVA_CLOSURE_FINALIZE;
  ev->ev_res = 0;
  ev->ev_flags |= EVLIST_FINALIZING;
  queue_active(base, ev);
  th_wake(base);
  EVA_BASE_UNLOCK(base);
  return 0;
}

int
event_finalize(unsigned flags, struct event *ev, event_finalize_callback_fn cb)
{
  return finalize(flags, ev, cb, 0);
}

int
event_free_finalize(unsigned flags, struct event *ev, event_finalize_callback_fn cb)
{
  return finalize(flags, ev, cb, 1);
}

/* ---- event_base_once ------------------------------------------------------------------ */

int
event_base_once(struct event_base *base, evutil_socket_t fd, short events, event_callback_fn cb,
                void *arg, const struct timeval *tv)
{
  struct eva_once *o;
  struct timeval zero = { 0, 0 };

  if (base == NULL || cb == NULL || (events & (EV_SIGNAL | EV_PERSIST)))
    return -1;
  o = eva_calloc(1, sizeof *o);
  if (o == NULL)
    return -1;
  o->cb = cb;
  o->arg = arg;
  if ((events & (EV_TIMEOUT | EV_READ | EV_WRITE | EV_CLOSED)) == EV_TIMEOUT) {
    if (tv == NULL)
      tv = &zero;
    (void)event_assign(&o->ev, base, -1, 0, cb, arg);
  } else if (events & (EV_READ | EV_WRITE | EV_CLOSED)) {
    events &= (short)(EV_READ | EV_WRITE | EV_CLOSED);
    (void)event_assign(&o->ev, base, fd, events, cb, arg);
  } else {
    eva_free(o);
    return -1;
  }
  o->ev.ev_closure_ = EVA_CLOSURE_ONCE;
  EVA_BASE_LOCK(base);
  if (event_add(&o->ev, tv) != 0) {
    EVA_BASE_UNLOCK(base);
    eva_free(o);
    return -1;
  }
  fut_kit_queue_insert_tail(&base->onces, &o->link);
  EVA_BASE_UNLOCK(base);
  return 0;
}

int
event_once(evutil_socket_t fd, short events, event_callback_fn cb, void *arg, const struct timeval *tv)
{
  return event_base_once(eva_current_base, fd, events, cb, arg, tv);
}

/* ---- the loop ---------------------------------------------------------------------------- */

static void
persist_rearm(struct event_base *base, struct event *ev)
{
  int64_t now, delay, relative, run_at;

  if (ev->ev_interval_.tv_sec == 0 && ev->ev_interval_.tv_usec == 0)
    return;
  now = eva_now_ns(base);
  delay = tv_to_ns(&ev->ev_interval_);
  relative = (ev->ev_res & EV_TIMEOUT) ? (int64_t)ev->ev_timer_.due : now;
  run_at = relative + delay;
  if (run_at < now)
    run_at = now + delay;
  (void)add_internal(ev, run_at);
}

/* Run the callbacks of priority @pri. Returns how many of the program's
 * ran, or -1 when loopbreak was asked. */
static int
run_queue(struct event_base *base, int pri, int64_t end_ns)
{
  struct fut_kit_queue *q = &base->activeq[pri];
  int count = 0, limited = pri >= base->limit_prio;

  while (!fut_kit_queue_empty(q)) {
    struct event *ev = fut_kit_queue_data(q->next, struct event, ev_active_);
    short res;

    if ((ev->ev_events & EV_PERSIST) || (ev->ev_flags & EVLIST_FINALIZING))
      unqueue_active(base, ev);
    else
      (void)del_internal(ev);
    if (!(ev->ev_flags & EVLIST_INTERNAL))
      count++;
    res = ev->ev_res;
    base->running_event = ev;
    /* The base lock is released while a callback runs. */
    switch (ev->ev_closure_) {
    case EVA_CLOSURE_SIGNAL: {
      event_callback_fn cb = ev->ev_callback;
      evutil_socket_t fd = ev->ev_fd;
      void *arg = ev->ev_arg;

      /* Arrivals of one iteration are coalesced into one call. */
      ev->ev_ncalls_ = 0;
      EVA_BASE_UNLOCK(base);
      cb(fd, res, arg);
      EVA_BASE_LOCK(base);
      break;
    }
    case EVA_CLOSURE_PERSIST: {
      event_callback_fn cb = ev->ev_callback;
      evutil_socket_t fd = ev->ev_fd;
      void *arg = ev->ev_arg;

      persist_rearm(base, ev);
      EVA_BASE_UNLOCK(base);
      cb(fd, res, arg);
      EVA_BASE_LOCK(base);
      break;
    }
    case EVA_CLOSURE_ONCE: {
      struct eva_once *o = (struct eva_once *)(void *)ev;

      fut_kit_queue_remove(&o->link);
      EVA_BASE_UNLOCK(base);
      o->cb(ev->ev_fd, res, o->arg);
      EVA_BASE_LOCK(base);
      eva_free(o);
      break;
    }
    case EVA_CLOSURE_FINALIZE:
    case EVA_CLOSURE_FINALIZE_FREE: {
      int free_it = ev->ev_closure_ == EVA_CLOSURE_FINALIZE_FREE;
      event_finalize_callback_fn fin = ev->ev_finalize_;
      void *arg = ev->ev_arg;

      EVA_BASE_UNLOCK(base);
      fin(ev, arg);
      EVA_BASE_LOCK(base);
      if (free_it)
        eva_free(ev);
      break;
    }
    default: {
      event_callback_fn cb = ev->ev_callback;
      evutil_socket_t fd = ev->ev_fd;
      void *arg = ev->ev_arg;

      EVA_BASE_UNLOCK(base);
      cb(fd, res, arg);
      EVA_BASE_LOCK(base);
      break;
    }
    }
    base->running_event = NULL;
    if (base->threaded)
      (void)pthread_cond_broadcast(&base->th.cond);
    if (base->got_break)
      return -1;
    if (limited && (count >= base->max_dispatch ||
                    (end_ns >= 0 && count > 0 && fut_now_ns() >= end_ns)))
      return count;
    if (base->loop_continue)
      break;
  }
  return count;
}

static int
run_active(struct event_base *base)
{
  int i, c = 0;
  int64_t end = base->max_dispatch_ns >= 0 ? fut_now_ns() + base->max_dispatch_ns : -1;

  for (i = 0; i < base->nactiveq; i++) {
    if (fut_kit_queue_empty(&base->activeq[i]))
      continue;
    base->running_prio = i;
    c = run_queue(base, i, end);
    if (c != 0)
      break;
  }
  base->running_prio = -1;
  return c;
}

static void
expire_timers(struct event_base *base)
{
  struct fut_kit_timer *t;
  int64_t now;

  if (fut_kit_timer_first(&base->kit) == NULL)
    return;
  now = eva_now_ns(base);
  while ((t = fut_kit_timer_first(&base->kit)) != NULL && (int64_t)t->due <= now) {
    struct event *ev = fut_kit_queue_data(t, struct event, ev_timer_);

    (void)del_internal(ev);
    activate(base, ev, EV_TIMEOUT, 1);
  }
}

int
event_base_loop(struct event_base *base, int flags)
{
  int retval = 0, done = 0;

  if (base == NULL)
    return -1;
  EVA_BASE_LOCK(base);
  if (base->running) {
    EVA_BASE_UNLOCK(base);
    eva_warn("event_base_loop: reentrant invocation; only one loop may run per base");
    return -1;
  }
  base->running = 1;
  if (base->threaded)
    base->th.loop_tid = pthread_self();
  base->cached_ns = 0;
  base->got_exit = 0;
  base->got_break = 0;
  while (!done) {
    int64_t deadline = 0;
    int r;

    base->loop_continue = 0;
    if (base->got_exit || base->got_break)
      break;
    if (base->threaded)
      th_apply(base);
    if (base->n_active == 0 && !(flags & EVLOOP_NONBLOCK)) {
      struct fut_kit_timer *t = fut_kit_timer_first(&base->kit);

      deadline = t != NULL ? (int64_t)t->due : -1;
    }
    if (!(flags & EVLOOP_NO_EXIT_ON_EMPTY) && base->n_added == 0 && base->n_virtual == 0 &&
        base->n_active == 0) {
      retval = 1;
      break;
    }
    base->cached_ns = 0;
    if (base->threaded) {
      /* Unlocked while blocked; the woken callbacks run under the lock. */
      EVA_BASE_UNLOCK(base);
      r = fut_kit_loop_turn(&base->kit, deadline);
      EVA_BASE_LOCK(base);
      if (r >= 0)
        r = fut_kit_run_queue(&base->kit.ready);
    } else {
      r = fut_kit_loop_poll(&base->kit, deadline);
    }
    if (r < 0 && r != -EINTR) {
      retval = -1;
      break;
    }
    update_cache(base);
    expire_timers(base);
    if (base->n_active != 0) {
      int n = run_active(base);

      if ((flags & EVLOOP_ONCE) && base->n_active == 0 && n != 0)
        done = 1;
    } else if (flags & EVLOOP_NONBLOCK) {
      done = 1;
    }
  }
  base->cached_ns = 0;
  base->running = 0;
  EVA_BASE_UNLOCK(base);
  return retval;
}

int
event_base_dispatch(struct event_base *base)
{
  return event_base_loop(base, 0);
}

int
event_dispatch(void)
{
  return event_base_loop(eva_current_base, 0);
}

int
event_loop(int flags)
{
  return event_base_loop(eva_current_base, flags);
}

static void
loopexit_cb(evutil_socket_t fd, short what, void *arg)
{
  struct event_base *base = arg;

  (void)fd;
  (void)what;
  EVA_BASE_LOCK(base);
  base->got_exit = 1;
  EVA_BASE_UNLOCK(base);
}

int
event_base_loopexit(struct event_base *base, const struct timeval *tv)
{
  return event_base_once(base, -1, EV_TIMEOUT, loopexit_cb, base, tv);
}

int
event_loopexit(const struct timeval *tv)
{
  return event_base_loopexit(eva_current_base, tv);
}

int
event_base_loopbreak(struct event_base *base)
{
  if (base == NULL)
    return -1;
  EVA_BASE_LOCK(base);
  base->got_break = 1;
  th_wake(base);
  EVA_BASE_UNLOCK(base);
  return 0;
}

int
event_loopbreak(void)
{
  return event_base_loopbreak(eva_current_base);
}

int
event_base_loopcontinue(struct event_base *base)
{
  if (base == NULL)
    return -1;
  EVA_BASE_LOCK(base);
  base->loop_continue = 1;
  EVA_BASE_UNLOCK(base);
  return 0;
}

int
event_base_got_exit(struct event_base *base)
{
  int r;

  if (base == NULL)
    return 0;
  EVA_BASE_LOCK(base);
  r = base->got_exit;
  EVA_BASE_UNLOCK(base);
  return r;
}

int
event_base_got_break(struct event_base *base)
{
  int r;

  if (base == NULL)
    return 0;
  EVA_BASE_LOCK(base);
  r = base->got_break;
  EVA_BASE_UNLOCK(base);
  return r;
}

struct event *
event_base_get_running_event(struct event_base *base)
{
  struct event *ev;

  if (base == NULL)
    return NULL;
  EVA_BASE_LOCK(base);
  ev = base->running_event;
  EVA_BASE_UNLOCK(base);
  return ev;
}

const struct timeval *
event_base_init_common_timeout(struct event_base *base, const struct timeval *duration)
{
  struct timeval **t;
  int i;

  if (base == NULL || duration == NULL)
    return NULL;
  for (i = 0; i < base->ncommon; i++)
    if (base->common[i]->tv_sec == duration->tv_sec && base->common[i]->tv_usec == duration->tv_usec)
      return base->common[i];
  t = eva_realloc(base->common, (size_t)(base->ncommon + 1) * sizeof *t);
  if (t == NULL)
    return NULL;
  base->common = t;
  t[base->ncommon] = eva_malloc(sizeof **t);
  if (t[base->ncommon] == NULL)
    return NULL;
  *t[base->ncommon] = *duration;
  return t[base->ncommon++];
}

int
event_base_get_num_events(struct event_base *base, unsigned int flags)
{
  int n = 0;

  if (base == NULL)
    return -1;
  if (flags & EVENT_BASE_COUNT_ACTIVE)
    n += base->n_active_user;
  if (flags & EVENT_BASE_COUNT_ADDED)
    n += base->n_added;
  return n;
}

int
event_base_get_max_events(struct event_base *base, unsigned int flags, int clear)
{
  int n = 0;

  if (base == NULL)
    return -1;
  if (flags & EVENT_BASE_COUNT_ACTIVE) {
    n += base->max_active_user;
    if (clear)
      base->max_active_user = 0;
  }
  if (flags & EVENT_BASE_COUNT_ADDED) {
    n += base->max_added;
    if (clear)
      base->max_added = 0;
  }
  return n;
}

/* ---- walking the events ---------------------------------------------------------------- */

int
event_base_foreach_event(struct event_base *base, event_base_foreach_event_cb fn, void *arg)
{
  struct fut_kit_queue *q;
  int i, r = 0;

  if (base == NULL || fn == NULL)
    return -1;
  for (q = base->added.next; q != &base->added; q = q->next) {
    struct event *ev = fut_kit_queue_data(q, struct event, ev_inserted_);

    if (ev->ev_flags & EVLIST_INTERNAL)
      continue;
    if ((r = fn(base, ev, arg)) != 0)
      return r;
  }
  for (i = 0; i < base->nactiveq; i++)
    for (q = base->activeq[i].next; q != &base->activeq[i]; q = q->next) {
      struct event *ev = fut_kit_queue_data(q, struct event, ev_active_);

      if (ev->ev_flags & (EVLIST_INTERNAL | EVA_ADDED | EVLIST_FINALIZING))
        continue;
      if ((r = fn(base, ev, arg)) != 0)
        return r;
    }
  return 0;
}

static int
dump_added(const struct event_base *base, const struct event *e, void *arg)
{
  FILE *out = arg;

  if (!(e->ev_flags & EVA_ADDED))
    return 0;
  fprintf(out, "  %p [%s %d]%s%s%s%s%s%s", (const void *)e,
          (e->ev_events & EV_SIGNAL) ? "sig" : "fd ", (int)e->ev_fd,
          (e->ev_events & EV_READ) ? " Read" : "", (e->ev_events & EV_WRITE) ? " Write" : "",
          (e->ev_events & EV_CLOSED) ? " EOF" : "", (e->ev_events & EV_SIGNAL) ? " Signal" : "",
          (e->ev_events & EV_PERSIST) ? " Persist" : "", (e->ev_events & EV_ET) ? " ET" : "");
  if (e->ev_flags & EVLIST_TIMEOUT) {
    struct timeval tv;

    mono_to_wall((struct event_base *)(uintptr_t)base, (int64_t)e->ev_timer_.due, &tv);
    fprintf(out, " Timeout=%ld.%06d", (long)tv.tv_sec, (int)tv.tv_usec);
  }
  fputc('\n', out);
  return 0;
}

static int
dump_active(const struct event_base *base, const struct event *e, void *arg)
{
  FILE *out = arg;

  (void)base;
  if (!(e->ev_flags & EVLIST_ACTIVE))
    return 0;
  fprintf(out, "  %p [%s %d, priority=%d]%s%s%s%s%s active\n", (const void *)e,
          (e->ev_events & EV_SIGNAL) ? "sig" : "fd ", (int)e->ev_fd, (int)e->ev_pri,
          (e->ev_res & EV_READ) ? " Read" : "", (e->ev_res & EV_WRITE) ? " Write" : "",
          (e->ev_res & EV_CLOSED) ? " EOF" : "", (e->ev_res & EV_SIGNAL) ? " Signal" : "",
          (e->ev_res & EV_TIMEOUT) ? " Timeout" : "");
  return 0;
}

void
event_base_dump_events(struct event_base *base, FILE *output)
{
  if (base == NULL || output == NULL)
    return;
  fprintf(output, "Inserted events:\n");
  (void)event_base_foreach_event(base, dump_added, output);
  fprintf(output, "Active events:\n");
  (void)event_base_foreach_event(base, dump_active, output);
}

/* ---- fork and teardown ---------------------------------------------------------------- */

int
event_reinit(struct event_base *base)
{
  if (base == NULL || base->running)
    return -1;
  return fut_runtime_fork(&base->kit.rt) == 0 ? 0 : -1;
}

static void
base_free(struct event_base *base, int run_finalizers)
{
  int i;

  if (base == NULL)
    base = eva_current_base;
  if (base == NULL)
    return;
  if (base->running) {
    eva_warn("event_base_free: the base's loop is running");
    return;
  }
  if (base->threaded)
    th_apply(base);
  /* Finalizers first (they may use what the program still holds). */
  for (i = 0; i < base->nactiveq; i++) {
    struct fut_kit_queue *q = &base->activeq[i], *n, *next;

    for (n = q->next; n != q; n = next) {
      struct event *ev = fut_kit_queue_data(n, struct event, ev_active_);

      next = n->next;
      if (!(ev->ev_flags & EVLIST_FINALIZING))
        continue;
      unqueue_active(base, ev);
      if (run_finalizers) {
        int free_it = ev->ev_closure_ == EVA_CLOSURE_FINALIZE_FREE;

        ev->ev_finalize_(ev, ev->ev_arg);
        if (free_it)
          eva_free(ev);
      }
      next = q->next;
    }
  }
  /* Events still added or active: deleted; their memory is the program's.
   * They forget the base, so event_del/event_free/event_pending on them
   * later never reach it (and take no lock). */
  while (!fut_kit_queue_empty(&base->added)) {
    struct event *ev = fut_kit_queue_data(base->added.next, struct event, ev_inserted_);

    (void)del_internal(ev);
    ev->ev_base = NULL;
  }
  for (i = 0; i < base->nactiveq; i++)
    while (!fut_kit_queue_empty(&base->activeq[i])) {
      struct event *ev = fut_kit_queue_data(base->activeq[i].next, struct event, ev_active_);

      unqueue_active(base, ev);
      ev->ev_base = NULL;
    }
  while (!fut_kit_queue_empty(&base->onces)) {
    struct eva_once *o = fut_kit_queue_data(base->onces.next, struct eva_once, link);

    fut_kit_queue_remove(&o->link);
    eva_free(o);
  }
  for (i = 1; i < NSIG; i++)
    if (base->sigs[i] != NULL)
      sig_release(base, base->sigs[i]);
  th_close(base);
  fut_kit_loop_close(&base->kit);
  eva_free(base->activeq);
  for (i = 0; i < base->ncommon; i++)
    eva_free(base->common[i]);
  eva_free(base->common);
  if (eva_current_base == base)
    eva_current_base = NULL;
  eva_free(base);
}

void
event_base_free(struct event_base *base)
{
  base_free(base, 1);
}

void
event_base_free_nofinalize(struct event_base *base)
{
  base_free(base, 0);
}
