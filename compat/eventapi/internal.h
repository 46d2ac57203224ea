/* SPDX-License-Identifier: MIT */
/* compat/eventapi: libevent 2.1's API on the libfutures core (private). */
#ifndef FUT_EVENTAPI_INTERNAL_H
#define FUT_EVENTAPI_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "kit.h"

#include <futures/notify.h>
#include <futures/signal.h>

#include "event2/event.h"
#include "event2/event_struct.h"
#include "event2/event_compat.h"

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* Which callback an event has (ev_closure_). */
enum {
  EVA_CLOSURE_EVENT = 0,   /* plain: deleted before its callback */
  EVA_CLOSURE_PERSIST,     /* EV_PERSIST: re-armed before its callback */
  EVA_CLOSURE_SIGNAL,      /* EV_SIGNAL */
  EVA_CLOSURE_ONCE,        /* event_base_once: freed after its callback */
  EVA_CLOSURE_FINALIZE,    /* event_finalize: the finalizer runs */
  EVA_CLOSURE_FINALIZE_FREE
};

/* The events of one signal number of a base, and the core's listener. */
struct eva_sig {
  struct fut_signal sig;
  struct fut_kit_ev ev;
  struct fut_kit_queue events;   /* struct event, by ev_watch_ */
  struct event_base *base;
  int signo;
  struct fut_kit_queue dirty;    /* base->th.dirty_sigs: events left from another thread */
};

/* The events of one descriptor (the kit watch's data). */
struct eva_fd {
  struct fut_kit_queue events;   /* struct event, by ev_watch_ */
  struct fut_kit_fd *watch;
  struct fut_kit_queue dirty;    /* base->th.dirty_fds: events left from another thread */
};

/* A base's threading state (base->threaded: evthread_use_pthreads() was
 * called before the base was made). The lock guards the whole base; the
 * kit (descriptor watches, signal listeners, the runtime) is touched only
 * by the loop's thread while the loop runs, so other threads queue their
 * changes here and ring the notifier. */
struct eva_th {
  pthread_mutex_t lock;            /* recursive */
  pthread_cond_t cond;             /* broadcast when a callback returns */
  pthread_t loop_tid;              /* valid while base->running */
  struct fut_notify notify;
  struct fut_notify_wait nwait;
  struct fut_kit_ev nev;
  struct fut_kit_queue adds;       /* struct event by ev_change_: watch to start */
  struct fut_kit_queue dirty_fds;  /* struct eva_fd by dirty: interest to recompute */
  struct fut_kit_queue dirty_sigs; /* struct eva_sig by dirty: release when empty */
  int notify_open;
};

struct event_base {
  struct fut_kit_loop kit;
  struct fut_kit_queue *activeq;   /* [nactiveq] */
  int nactiveq;
  int running_prio;                /* -1 outside the callback pass */
  int n_active;                    /* active callbacks (internal ones too) */
  int n_added;                     /* added events (not internal) */
  int n_virtual;                   /* other work that keeps the loop running (evdns lookups) */
  int n_active_user;               /* active events (not internal) */
  int max_added, max_active, max_active_user;
  struct fut_kit_queue added;      /* struct event with INSERTED or TIMEOUT */
  struct fut_kit_queue onces;      /* struct eva_once not yet run */
  struct event *running_event;
  int running;                     /* inside event_base_loop() */
  int got_exit, got_break, loop_continue;
  int flags;                       /* EVENT_BASE_FLAG_* */
  int64_t cached_ns;               /* 0: not cached */
  int64_t wall_off_ns;             /* CLOCK_REALTIME - CLOCK_MONOTONIC */
  int64_t wall_off_at;
  int max_dispatch;                /* callbacks per pass after limit_prio */
  int64_t max_dispatch_ns;         /* -1: none */
  int limit_prio;
  struct eva_sig *sigs[NSIG];
  struct timeval **common;         /* event_base_init_common_timeout copies */
  int ncommon;
  int threaded;                    /* th is set up */
  struct eva_th th;
};

struct eva_once {
  struct event ev;
  event_callback_fn cb;
  void *arg;
  struct fut_kit_queue link;       /* base->onces */
};

void *eva_malloc(size_t n);
void *eva_calloc(size_t n, size_t size);
void *eva_realloc(void *p, size_t n);
void eva_free(void *p);
char *eva_strdup(const char *s);
void eva_warn(const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 1, 2)))
#endif
  ;
int64_t eva_now_ns(struct event_base *base);

/* Threads (thread.c). eva_threads_on: evthread_use_pthreads() was called
 * (tested first, so that without it no base is read to decide). */
extern int eva_threads_on;
/* A new recursive mutex (eva_malloc), or NULL. */
pthread_mutex_t *eva_rlock_new(void);
void eva_rlock_free(pthread_mutex_t *m);
#define EVA_BASE_LOCK(b)                          \
  do {                                            \
    if (eva_threads_on && (b)->threaded)          \
      (void)pthread_mutex_lock(&(b)->th.lock);    \
  } while (0)
#define EVA_BASE_UNLOCK(b)                        \
  do {                                            \
    if (eva_threads_on && (b)->threaded)          \
      (void)pthread_mutex_unlock(&(b)->th.lock);  \
  } while (0)

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif /* FUT_EVENTAPI_INTERNAL_H */
