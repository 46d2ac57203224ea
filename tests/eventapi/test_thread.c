/* SPDX-License-Identifier: MIT */
/*
 * tests/eventapi: libevent 2.1's threading model (event2/thread.h):
 * evthread_use_pthreads(), bases touched from other threads, event_del
 * waiting for a running callback, BEV_OPT_THREADSAFE, evbuffer locking.
 *
 * The threads wait for the things themselves (conditions the tests
 * control); the timers here are safety nets only.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <event2/util.h>

#include "evtest.h"

/* A flag with its own lock, for handshakes between the test's threads. */
struct gate {
  pthread_mutex_t m;
  pthread_cond_t c;
  int v;
};

static void
gate_init(struct gate *g)
{
  pthread_mutex_init(&g->m, NULL);
  pthread_cond_init(&g->c, NULL);
  g->v = 0;
}

static void
gate_destroy(struct gate *g)
{
  pthread_cond_destroy(&g->c);
  pthread_mutex_destroy(&g->m);
}

static void
gate_open(struct gate *g)
{
  pthread_mutex_lock(&g->m);
  g->v = 1;
  pthread_cond_broadcast(&g->c);
  pthread_mutex_unlock(&g->m);
}

static void
gate_wait(struct gate *g)
{
  pthread_mutex_lock(&g->m);
  while (!g->v)
    pthread_cond_wait(&g->c, &g->m);
  pthread_mutex_unlock(&g->m);
}

static int
gate_get(struct gate *g)
{
  int v;

  pthread_mutex_lock(&g->m);
  v = g->v;
  pthread_mutex_unlock(&g->m);
  return v;
}

/* The loop's safety net: a long timer that keeps it running; freed by
 * whoever ends the test. */
static void
safety_cb(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  (void)arg;
  ck_abort_msg("the loop still waits after its time limit");
}

static struct event *
add_safety(struct event_base *base)
{
  struct timeval tv = { 10, 0 };
  struct event *ev = event_new(base, -1, 0, safety_cb, NULL);

  ck_assert_ptr_nonnull(ev);
  ck_assert_int_eq(event_add(ev, &tv), 0);
  return ev;
}

/* Opens the gate from inside the loop (so the other thread knows the loop runs). */
static void
open_gate_cb(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  gate_open(arg);
}

/* ---- without evthread_use_pthreads() ----------------------------------------- */

START_TEST(test_off_refuses_locks)
{
  struct event_base *base = event_base_new();
  struct evbuffer *buf = evbuffer_new();
  struct bufferevent *pair[2];
  int sv[2];

  ck_assert_ptr_nonnull(base);
  ck_assert_ptr_nonnull(buf);
  /* Made without threading: nothing to set up (0, as libevent says). */
  ck_assert_int_eq(evthread_make_base_notifiable(base), 0);
  ck_assert_int_eq(evthread_make_base_notifiable(NULL), -1);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ck_assert_ptr_null(bufferevent_socket_new(base, sv[0], BEV_OPT_THREADSAFE));
  ck_assert_int_eq(bufferevent_pair_new(base, BEV_OPT_THREADSAFE, pair), -1);
  ck_assert_int_eq(evbuffer_enable_locking(buf, NULL), -1);
  ck_assert_int_eq(evbuffer_enable_locking(NULL, NULL), -1);
  /* No lock: these do nothing. */
  evbuffer_lock(buf);
  evbuffer_unlock(buf);
  evbuffer_lock(NULL);
  evbuffer_unlock(NULL);
  bufferevent_lock(NULL);
  bufferevent_unlock(NULL);
  evbuffer_free(buf);
  close(sv[0]);
  close(sv[1]);
  event_base_free(base);
}
END_TEST

START_TEST(test_use_pthreads)
{
  struct event_base *before = event_base_new(), *after;

  ck_assert_int_eq(evthread_use_pthreads(), 0);
  ck_assert_int_eq(evthread_use_pthreads(), 0);
  after = event_base_new();
  ck_assert_ptr_nonnull(after);
  ck_assert_int_eq(evthread_make_base_notifiable(after), 0);
  ck_assert_int_eq(evthread_make_base_notifiable(before), 0);
  event_base_free(before);
  event_base_free(after);
}
END_TEST

/* ---- event_active from another thread ------------------------------------------- */

struct wake {
  struct event_base *base;
  struct event *ev;
  struct event *safety;
  struct gate running;
  pthread_t loop_thread;
  int ran;
  int on_loop_thread;
};

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
  struct wake *w = arg;

  (void)fd;
  w->ran++;
  w->on_loop_thread = pthread_equal(pthread_self(), w->loop_thread);
  ck_assert_int_eq(what, EV_READ);
  event_del(w->safety);
}

static void *
wake_thread(void *arg)
{
  struct wake *w = arg;

  gate_wait(&w->running);
  event_active(w->ev, EV_READ, 1);
  return NULL;
}

START_TEST(test_active_wakes_loop)
{
  struct wake w;
  pthread_t t;

  memset(&w, 0, sizeof w);
  ck_assert_int_eq(evthread_use_pthreads(), 0);
  gate_init(&w.running);
  w.base = event_base_new();
  ck_assert_ptr_nonnull(w.base);
  w.loop_thread = pthread_self();
  w.ev = event_new(w.base, -1, 0, wake_cb, &w);
  w.safety = add_safety(w.base);
  ck_assert_int_eq(event_base_once(w.base, -1, EV_TIMEOUT, open_gate_cb, &w.running, NULL), 0);
  ck_assert_int_eq(pthread_create(&t, NULL, wake_thread, &w), 0);
  /* The loop ends once the callback deleted the only other event. */
  ck_assert_int_eq(evtest_run(w.base, 10000), 1);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_int_eq(w.ran, 1);
  ck_assert_int_eq(w.on_loop_thread, 1);
  event_free(w.ev);
  event_free(w.safety);
  event_base_free(w.base);
  gate_destroy(&w.running);
}
END_TEST

/* ---- event_add of a descriptor event and a timer from another thread ------------ */

struct adds {
  struct event_base *base;
  struct event *rd, *tm, *safety;
  struct gate running;
  int sv[2];
  int got_read, got_timer;
  int pending_after_add;
};

static void
adds_maybe_done(struct adds *a)
{
  if (a->got_read && a->got_timer)
    event_del(a->safety);
}

static void
adds_read_cb(evutil_socket_t fd, short what, void *arg)
{
  struct adds *a = arg;
  char c;

  ck_assert_int_eq(what, EV_READ);
  ck_assert_int_eq(read(fd, &c, 1), 1);
  ck_assert_int_eq(c, 'x');
  a->got_read++;
  adds_maybe_done(a);
}

static void
adds_timer_cb(evutil_socket_t fd, short what, void *arg)
{
  struct adds *a = arg;

  (void)fd;
  ck_assert_int_eq(what, EV_TIMEOUT);
  a->got_timer++;
  adds_maybe_done(a);
}

static void *
adds_thread(void *arg)
{
  struct adds *a = arg;
  struct timeval ms = { 0, 1000 };

  gate_wait(&a->running);
  if (event_add(a->rd, NULL) == 0 && event_pending(a->rd, EV_READ, NULL) == EV_READ)
    a->pending_after_add = 1;
  (void)event_add(a->tm, &ms);
  if (write(a->sv[1], "x", 1) != 1)
    a->pending_after_add = -1;
  return NULL;
}

START_TEST(test_add_from_thread)
{
  struct adds a;
  pthread_t t;

  memset(&a, 0, sizeof a);
  ck_assert_int_eq(evthread_use_pthreads(), 0);
  gate_init(&a.running);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a.sv), 0);
  a.base = event_base_new();
  ck_assert_ptr_nonnull(a.base);
  a.rd = event_new(a.base, a.sv[0], EV_READ, adds_read_cb, &a);
  a.tm = event_new(a.base, -1, 0, adds_timer_cb, &a);
  a.safety = add_safety(a.base);
  ck_assert_int_eq(event_base_once(a.base, -1, EV_TIMEOUT, open_gate_cb, &a.running, NULL), 0);
  ck_assert_int_eq(pthread_create(&t, NULL, adds_thread, &a), 0);
  ck_assert_int_eq(evtest_run(a.base, 10000), 1);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_int_eq(a.pending_after_add, 1);
  ck_assert_int_eq(a.got_read, 1);
  ck_assert_int_eq(a.got_timer, 1);
  event_free(a.rd);
  event_free(a.tm);
  event_free(a.safety);
  event_base_free(a.base);
  close(a.sv[0]);
  close(a.sv[1]);
  gate_destroy(&a.running);
}
END_TEST

/* ---- event_del from another thread while the callback runs ---------------------- */

struct delw {
  struct event_base *base;
  struct event *ev, *safety;
  struct gate in_cb;    /* the callback started */
  struct gate released; /* noblock: the deleter returned */
  int noblock;
  int cb_done;          /* under the gate lock of in_cb */
  int done_seen_by_del;
  int del_result;
  int self_del;
};

static void
delw_cb(evutil_socket_t fd, short what, void *arg)
{
  struct delw *d = arg;

  (void)fd;
  (void)what;
  gate_open(&d->in_cb);
  if (d->noblock) {
    /* event_del_noblock() returns while this still runs. */
    gate_wait(&d->released);
  } else {
    struct timespec ms = { 0, 20 * 1000000 };

    /* Wait until the deleter took the event away (it is then inside
     * event_del(), about to wait for this callback), and a little more so
     * a del that does not wait would be seen returning early. */
    while (event_pending(d->ev, EV_TIMEOUT, NULL))
      sched_yield();
    nanosleep(&ms, NULL);
  }
  pthread_mutex_lock(&d->in_cb.m);
  d->cb_done = 1;
  pthread_mutex_unlock(&d->in_cb.m);
  /* Deleting its own event from the callback does not wait for itself. */
  d->self_del = event_del(d->ev) == 0;
  event_del(d->safety);
}

static void *
delw_thread(void *arg)
{
  struct delw *d = arg;

  gate_wait(&d->in_cb);
  d->del_result = d->noblock ? event_del_noblock(d->ev) : event_del(d->ev);
  pthread_mutex_lock(&d->in_cb.m);
  d->done_seen_by_del = d->cb_done;
  pthread_mutex_unlock(&d->in_cb.m);
  gate_open(&d->released);
  return NULL;
}

static void
run_delw(int noblock)
{
  struct delw d;
  struct timeval hour = { 3600, 0 };
  pthread_t t;

  memset(&d, 0, sizeof d);
  ck_assert_int_eq(evthread_use_pthreads(), 0);
  gate_init(&d.in_cb);
  gate_init(&d.released);
  d.noblock = noblock;
  d.base = event_base_new();
  ck_assert_ptr_nonnull(d.base);
  /* Persistent with a timeout: still pending (re-armed) while its callback
   * runs, which event_active() starts. */
  d.ev = event_new(d.base, -1, EV_PERSIST, delw_cb, &d);
  d.safety = add_safety(d.base);
  ck_assert_int_eq(event_add(d.ev, &hour), 0);
  event_active(d.ev, EV_READ, 1);
  ck_assert_int_eq(pthread_create(&t, NULL, delw_thread, &d), 0);
  ck_assert_int_eq(evtest_run(d.base, 10000), 1);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_int_eq(d.del_result, 0);
  ck_assert_int_eq(d.self_del, 1);
  ck_assert_int_eq(event_pending(d.ev, EV_TIMEOUT, NULL), 0);
  if (noblock)
    ck_assert_int_eq(d.done_seen_by_del, 0);
  else
    ck_assert_int_eq(d.done_seen_by_del, 1);
  event_free(d.ev);
  event_free(d.safety);
  event_base_free(d.base);
  gate_destroy(&d.in_cb);
  gate_destroy(&d.released);
}

START_TEST(test_del_waits_for_callback)
{
  run_delw(0);
}
END_TEST

START_TEST(test_del_noblock_does_not_wait)
{
  run_delw(1);
}
END_TEST

/* event_free from another thread (a descriptor event, watched by the loop):
 * the loop stops watching it before its next poll; nothing is left behind. */
struct freew {
  struct event_base *base;
  struct event *rd, *safety, *tick;
  struct gate running;
  struct gate freed;
  int sv[2];
  int reads;
};

static void
freew_read_cb(evutil_socket_t fd, short what, void *arg)
{
  struct freew *f = arg;

  (void)fd;
  (void)what;
  f->reads++;
}

static void
freew_tick_cb(evutil_socket_t fd, short what, void *arg)
{
  struct freew *f = arg;

  (void)fd;
  (void)what;
  if (gate_get(&f->freed)) {
    event_del(f->safety);
    event_del(f->tick);
  }
}

static void *
freew_thread(void *arg)
{
  struct freew *f = arg;

  gate_wait(&f->running);
  event_free(f->rd);
  /* Readable now: a watch left on the freed event would report it. */
  if (write(f->sv[1], "y", 1) != 1)
    f->reads = -100;
  gate_open(&f->freed);
  return NULL;
}

START_TEST(test_free_from_thread)
{
  struct freew f;
  struct timeval ms = { 0, 2000 };
  pthread_t t;

  memset(&f, 0, sizeof f);
  ck_assert_int_eq(evthread_use_pthreads(), 0);
  gate_init(&f.running);
  gate_init(&f.freed);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, f.sv), 0);
  f.base = event_base_new();
  f.rd = event_new(f.base, f.sv[0], EV_READ | EV_PERSIST, freew_read_cb, &f);
  ck_assert_int_eq(event_add(f.rd, NULL), 0);
  f.tick = event_new(f.base, -1, EV_PERSIST, freew_tick_cb, &f);
  ck_assert_int_eq(event_add(f.tick, &ms), 0);
  f.safety = add_safety(f.base);
  ck_assert_int_eq(event_base_once(f.base, -1, EV_TIMEOUT, open_gate_cb, &f.running, NULL), 0);
  ck_assert_int_eq(pthread_create(&t, NULL, freew_thread, &f), 0);
  ck_assert_int_eq(evtest_run(f.base, 10000), 1);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_int_eq(f.reads, 0);
  ck_assert_int_eq(event_base_get_num_events(f.base, EVENT_BASE_COUNT_ADDED), 0);
  event_free(f.tick);
  event_free(f.safety);
  event_base_free(f.base);
  close(f.sv[0]);
  close(f.sv[1]);
  gate_destroy(&f.running);
  gate_destroy(&f.freed);
}
END_TEST

/* ---- loopbreak from another thread ---------------------------------------------- */

struct brk {
  struct event_base *base;
  struct gate running;
};

static void *
brk_thread(void *arg)
{
  struct brk *b = arg;

  gate_wait(&b->running);
  event_base_loopbreak(b->base);
  return NULL;
}

START_TEST(test_loopbreak_from_thread)
{
  struct brk b;
  struct event *safety;
  pthread_t t;

  ck_assert_int_eq(evthread_use_pthreads(), 0);
  gate_init(&b.running);
  b.base = event_base_new();
  safety = add_safety(b.base);
  ck_assert_int_eq(event_base_once(b.base, -1, EV_TIMEOUT, open_gate_cb, &b.running, NULL), 0);
  ck_assert_int_eq(pthread_create(&t, NULL, brk_thread, &b), 0);
  ck_assert_int_eq(evtest_run(b.base, 10000), 0);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_int_eq(event_base_got_break(b.base), 1);
  /* The safety timer is still pending. */
  ck_assert_int_eq(event_pending(safety, EV_TIMEOUT, NULL), EV_TIMEOUT);
  event_free(safety);
  event_base_free(b.base);
  gate_destroy(&b.running);
}
END_TEST

/* loopexit and event_base_once from another thread. */
static void
count_cb(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  ++*(int *)arg;
}

struct lexit {
  struct event_base *base;
  struct gate running;
  int once_ran;
  int r_once, r_exit;
};

static void *
lexit_thread(void *arg)
{
  struct lexit *l = arg;
  struct timeval ms = { 0, 1000 };

  gate_wait(&l->running);
  l->r_once = event_base_once(l->base, -1, EV_TIMEOUT, count_cb, &l->once_ran, NULL);
  l->r_exit = event_base_loopexit(l->base, &ms);
  return NULL;
}

START_TEST(test_loopexit_once_from_thread)
{
  struct lexit l;
  struct event *safety;
  pthread_t t;

  memset(&l, 0, sizeof l);
  ck_assert_int_eq(evthread_use_pthreads(), 0);
  gate_init(&l.running);
  l.base = event_base_new();
  safety = add_safety(l.base);
  ck_assert_int_eq(event_base_once(l.base, -1, EV_TIMEOUT, open_gate_cb, &l.running, NULL), 0);
  ck_assert_int_eq(pthread_create(&t, NULL, lexit_thread, &l), 0);
  ck_assert_int_eq(evtest_run(l.base, 10000), 0);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_int_eq(l.r_once, 0);
  ck_assert_int_eq(l.r_exit, 0);
  ck_assert_int_eq(l.once_ran, 1);
  ck_assert_int_eq(event_base_got_exit(l.base), 1);
  event_free(safety);
  event_base_free(l.base);
  gate_destroy(&l.running);
}
END_TEST

/* ---- the loop in a worker thread, driven from the thread that made the base ----- */

struct worker {
  struct event_base *base;
  struct gate running;
  int loop_result;
  int reads;
  pthread_t loop_thread;
  int on_loop_thread;
};

static void
worker_read_cb(evutil_socket_t fd, short what, void *arg)
{
  struct worker *w = arg;
  char c;

  (void)what;
  if (read(fd, &c, 1) == 1)
    w->reads++;
  w->on_loop_thread = pthread_equal(pthread_self(), w->loop_thread);
  if (w->reads == 3)
    event_base_loopexit(w->base, NULL);
}

static void *
worker_loop(void *arg)
{
  struct worker *w = arg;

  w->loop_thread = pthread_self();
  w->loop_result = event_base_dispatch(w->base);
  return NULL;
}

START_TEST(test_loop_in_worker_thread)
{
  struct worker w;
  struct event *rd, *safety;
  pthread_t t;
  int sv[2], i;

  memset(&w, 0, sizeof w);
  ck_assert_int_eq(evthread_use_pthreads(), 0);
  gate_init(&w.running);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  w.base = event_base_new();
  safety = add_safety(w.base);
  ck_assert_int_eq(event_base_once(w.base, -1, EV_TIMEOUT, open_gate_cb, &w.running, NULL), 0);
  ck_assert_int_eq(pthread_create(&t, NULL, worker_loop, &w), 0);
  alarm(15);
  gate_wait(&w.running);
  /* Added while the worker's loop runs; the data comes afterwards. */
  rd = event_new(w.base, sv[0], EV_READ | EV_PERSIST, worker_read_cb, &w);
  ck_assert_int_eq(event_add(rd, NULL), 0);
  for (i = 0; i < 3; i++)
    ck_assert_int_eq(write(sv[1], "z", 1), 1);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  alarm(0);
  ck_assert_int_eq(w.loop_result, 0);
  ck_assert_int_eq(w.reads, 3);
  ck_assert_int_eq(w.on_loop_thread, 1);
  ck_assert_int_eq(event_base_got_exit(w.base), 1);
  /* The worker is gone: this thread may use the base again. */
  ck_assert_int_eq(event_del(rd), 0);
  event_free(rd);
  event_free(safety);
  event_base_free(w.base);
  close(sv[0]);
  close(sv[1]);
  gate_destroy(&w.running);
}
END_TEST

/* ---- a thread-safe bufferevent written from another thread ---------------------- */

#define BEV_CHUNKS 200
#define BEV_CHUNK 100

struct bevw {
  struct event_base *base;
  struct bufferevent *w, *r;
  struct gate running;
  size_t got;
  int bad;
};

static void
bevw_read_cb(struct bufferevent *bev, void *arg)
{
  struct bevw *b = arg;
  unsigned char buf[4096];
  size_t n, i;

  while ((n = bufferevent_read(bev, buf, sizeof buf)) > 0) {
    for (i = 0; i < n; i++)
      if (buf[i] != (unsigned char)((b->got + i) / BEV_CHUNK))
        b->bad++;
    b->got += n;
  }
  if (b->got == (size_t)BEV_CHUNKS * BEV_CHUNK)
    event_base_loopbreak(b->base);
}

static void *
bevw_thread(void *arg)
{
  struct bevw *b = arg;
  unsigned char chunk[BEV_CHUNK];
  int i;

  gate_wait(&b->running);
  for (i = 0; i < BEV_CHUNKS; i++) {
    memset(chunk, i, sizeof chunk);
    bufferevent_lock(b->w);
    /* Two writes under one lock: the loop's thread sees both or neither. */
    (void)bufferevent_write(b->w, chunk, BEV_CHUNK / 2);
    (void)bufferevent_write(b->w, chunk + BEV_CHUNK / 2, BEV_CHUNK / 2);
    bufferevent_unlock(b->w);
  }
  return NULL;
}

static void
run_bevw(int use_pair)
{
  struct bevw b;
  struct event *safety;
  pthread_t t;
  int sv[2] = { -1, -1 };

  memset(&b, 0, sizeof b);
  ck_assert_int_eq(evthread_use_pthreads(), 0);
  gate_init(&b.running);
  b.base = event_base_new();
  if (use_pair) {
    struct bufferevent *p[2];

    ck_assert_int_eq(bufferevent_pair_new(b.base, BEV_OPT_THREADSAFE, p), 0);
    b.w = p[0];
    b.r = p[1];
  } else {
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(evutil_make_socket_nonblocking(sv[0]), 0);
    ck_assert_int_eq(evutil_make_socket_nonblocking(sv[1]), 0);
    b.w = bufferevent_socket_new(b.base, sv[0], BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE);
    b.r = bufferevent_socket_new(b.base, sv[1], BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE);
    if (use_pair == 2) {
      /* Written through a thread-safe filter (pass-through), which shares
       * its underlying bufferevent's lock, as in libevent. */
      ck_assert_ptr_nonnull(b.w);
      b.w = bufferevent_filter_new(b.w, NULL, NULL,
                                   BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE, NULL, NULL);
    }
  }
  ck_assert_ptr_nonnull(b.w);
  ck_assert_ptr_nonnull(b.r);
  bufferevent_setcb(b.r, bevw_read_cb, NULL, NULL, &b);
  ck_assert_int_eq(bufferevent_enable(b.r, EV_READ), 0);
  ck_assert_int_eq(bufferevent_enable(b.w, EV_WRITE), 0);
  safety = add_safety(b.base);
  ck_assert_int_eq(event_base_once(b.base, -1, EV_TIMEOUT, open_gate_cb, &b.running, NULL), 0);
  ck_assert_int_eq(pthread_create(&t, NULL, bevw_thread, &b), 0);
  ck_assert_int_eq(evtest_run(b.base, 10000), 0);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_uint_eq(b.got, (size_t)BEV_CHUNKS * BEV_CHUNK);
  ck_assert_int_eq(b.bad, 0);
  event_free(safety);
  bufferevent_free(b.w);
  bufferevent_free(b.r);
  event_base_free(b.base);
  gate_destroy(&b.running);
}

START_TEST(test_bufferevent_threadsafe_socket)
{
  run_bevw(0);
}
END_TEST

START_TEST(test_bufferevent_threadsafe_pair)
{
  run_bevw(1);
}
END_TEST

START_TEST(test_bufferevent_threadsafe_filter)
{
  run_bevw(2);
}
END_TEST

/* bufferevent_lock() is recursive and the bufferevent's buffers share it. */
START_TEST(test_bufferevent_lock_recursive)
{
  struct event_base *base;
  struct bufferevent *bev;
  int sv[2];

  ck_assert_int_eq(evthread_use_pthreads(), 0);
  base = event_base_new();
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  bev = bufferevent_socket_new(base, sv[0], BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE);
  ck_assert_ptr_nonnull(bev);
  bufferevent_lock(bev);
  bufferevent_lock(bev);
  evbuffer_lock(bufferevent_get_output(bev));
  ck_assert_int_eq(bufferevent_write(bev, "ab", 2), 0);
  evbuffer_unlock(bufferevent_get_output(bev));
  bufferevent_unlock(bev);
  bufferevent_unlock(bev);
  /* Its buffers already have the bufferevent's lock. */
  ck_assert_int_eq(evbuffer_enable_locking(bufferevent_get_input(bev), NULL), -1);
  /* Unknown options are still refused. */
  ck_assert_ptr_null(bufferevent_socket_new(base, -1, BEV_OPT_THREADSAFE | BEV_OPT_UNLOCK_CALLBACKS));
  bufferevent_free(bev);
  event_base_free(base);
  close(sv[1]);
}
END_TEST

/* ---- evbuffer locking ------------------------------------------------------------ */

#define REC_PER_THREAD 5000

struct recw {
  struct evbuffer *buf;
  unsigned char tag;
};

static void *
rec_thread(void *arg)
{
  struct recw *r = arg;
  unsigned char rec[4];
  int i;

  memset(rec, r->tag, sizeof rec);
  for (i = 0; i < REC_PER_THREAD; i++) {
    /* A record in two adds, atomic under evbuffer_lock(). */
    evbuffer_lock(r->buf);
    (void)evbuffer_add(r->buf, rec, 2);
    (void)evbuffer_add(r->buf, rec + 2, 2);
    evbuffer_unlock(r->buf);
  }
  return NULL;
}

static void
check_records(struct evbuffer *buf, int nthreads)
{
  unsigned char rec[4];
  size_t n = 0;

  ck_assert_uint_eq(evbuffer_get_length(buf), (size_t)nthreads * REC_PER_THREAD * 4);
  while (evbuffer_remove(buf, rec, 4) == 4) {
    ck_assert(rec[0] == rec[1] && rec[1] == rec[2] && rec[2] == rec[3]);
    n++;
  }
  ck_assert_uint_eq(n, (size_t)nthreads * REC_PER_THREAD);
}

static void
run_records(struct evbuffer *buf)
{
  struct recw r[3];
  pthread_t t[3];
  int i;

  for (i = 0; i < 3; i++) {
    r[i].buf = buf;
    r[i].tag = (unsigned char)('a' + i);
    ck_assert_int_eq(pthread_create(&t[i], NULL, rec_thread, &r[i]), 0);
  }
  for (i = 0; i < 3; i++)
    ck_assert_int_eq(pthread_join(t[i], NULL), 0);
  check_records(buf, 3);
}

START_TEST(test_evbuffer_locking)
{
  struct evbuffer *buf, *other;
  pthread_mutexattr_t a;
  pthread_mutex_t m;

  ck_assert_int_eq(evthread_use_pthreads(), 0);
  /* Its own lock. */
  buf = evbuffer_new();
  ck_assert_int_eq(evbuffer_enable_locking(buf, NULL), 0);
  ck_assert_int_eq(evbuffer_enable_locking(buf, NULL), -1);
  run_records(buf);
  /* Two locked buffers moved into each other from two threads' views. */
  other = evbuffer_new();
  ck_assert_int_eq(evbuffer_enable_locking(other, NULL), 0);
  ck_assert_int_eq(evbuffer_add(other, "xyzw", 4), 0);
  ck_assert_int_eq(evbuffer_add_buffer(buf, other), 0);
  ck_assert_uint_eq(evbuffer_get_length(buf), 4);
  evbuffer_free(other);
  evbuffer_free(buf);
  /* The program's recursive mutex, shared by two buffers. */
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&m, &a);
  pthread_mutexattr_destroy(&a);
  buf = evbuffer_new();
  other = evbuffer_new();
  ck_assert_int_eq(evbuffer_enable_locking(buf, &m), 0);
  ck_assert_int_eq(evbuffer_enable_locking(other, &m), 0);
  run_records(buf);
  evbuffer_lock(buf);
  ck_assert_int_eq(evbuffer_add(other, "ab", 2), 0);
  ck_assert_int_eq(evbuffer_remove_buffer(other, buf, 2), 2);
  evbuffer_unlock(buf);
  ck_assert_uint_eq(evbuffer_get_length(buf), 2);
  evbuffer_free(buf);
  evbuffer_free(other);
  pthread_mutex_destroy(&m);
}
END_TEST

/* ---- LEV_OPT_THREADSAFE ----------------------------------------------------------- */

START_TEST(test_listener_threadsafe)
{
  struct event_base *base;
  struct evconnlistener *lev;
  struct sockaddr_in sin;

  /* Accepted with or without threading (libevent allocates a lock only
   * when locking is on). */
  base = event_base_new();
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  lev = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_THREADSAFE | LEV_OPT_CLOSE_ON_FREE, -1,
                                (struct sockaddr *)&sin, sizeof sin);
  ck_assert_ptr_nonnull(lev);
  evconnlistener_free(lev);
  event_base_free(base);
  ck_assert_int_eq(evthread_use_pthreads(), 0);
  base = event_base_new();
  lev = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_THREADSAFE | LEV_OPT_CLOSE_ON_FREE, -1,
                                (struct sockaddr *)&sin, sizeof sin);
  ck_assert_ptr_nonnull(lev);
  ck_assert_int_eq(evconnlistener_disable(lev), 0);
  ck_assert_int_eq(evconnlistener_enable(lev), 0);
  evconnlistener_free(lev);
  event_base_free(base);
}
END_TEST

Suite *
evtest_thread_suite(void)
{
  Suite *s = suite_create("event-thread");
  TCase *tc = tcase_create("thread");

  tcase_set_timeout(tc, 30);
  /* First: what holds before evthread_use_pthreads() (with CK_FORK=no the
   * switch stays on for the rest of the process). */
  tcase_add_test(tc, test_off_refuses_locks);
  tcase_add_test(tc, test_use_pthreads);
  tcase_add_test(tc, test_active_wakes_loop);
  tcase_add_test(tc, test_add_from_thread);
  tcase_add_test(tc, test_del_waits_for_callback);
  tcase_add_test(tc, test_del_noblock_does_not_wait);
  tcase_add_test(tc, test_free_from_thread);
  tcase_add_test(tc, test_loopbreak_from_thread);
  tcase_add_test(tc, test_loopexit_once_from_thread);
  tcase_add_test(tc, test_loop_in_worker_thread);
  tcase_add_test(tc, test_bufferevent_threadsafe_socket);
  tcase_add_test(tc, test_bufferevent_threadsafe_pair);
  tcase_add_test(tc, test_bufferevent_threadsafe_filter);
  tcase_add_test(tc, test_bufferevent_lock_recursive);
  tcase_add_test(tc, test_evbuffer_locking);
  tcase_add_test(tc, test_listener_threadsafe);
  suite_add_tcase(s, tc);
  return s;
}
