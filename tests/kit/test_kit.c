/* SPDX-License-Identifier: MIT */
/*
 * tests/kit: compat/kit, the loop machinery the API shims share, on the
 * backend this binary links (FUT_TEST_BACKEND): the timer heap against a
 * sorted model, events (feed, cancel, feed_to, run_queue), descriptor
 * watches on socket pairs (level and edge reports, two directions,
 * withdrawing a direction, put from the callback, many descriptors, loop
 * close with watches left).
 */
#include "kit.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <futures/reactor.h>
#include <futures/timer.h>
#include <futures/waker.h>

/* Safety net for waits: the thing waited for comes long before this. */
#define KT_LIMIT_NS (10LL * 1000000000LL)

/* ---- the timer heap --------------------------------------------------------- */

/* A deterministic generator (xorshift64*). */
static uint64_t kt_rng = 0x9e3779b97f4a7c15ULL;
static uint64_t
kt_rand(void)
{
  kt_rng ^= kt_rng >> 12;
  kt_rng ^= kt_rng << 25;
  kt_rng ^= kt_rng >> 27;
  return kt_rng * 0x2545f4914f6cdd1dULL;
}

#define KT_NTIMERS 600

struct kt_timer {
  struct fut_kit_timer t;
  uint64_t order; /* the model's add order */
  int in;         /* the model's membership */
};

/* The model's first timer: smallest due, earliest added. */
static struct kt_timer *
model_first(struct kt_timer *v, int n)
{
  struct kt_timer *best = NULL;
  int i;

  for (i = 0; i < n; i++) {
    if (!v[i].in)
      continue;
    if (best == NULL || v[i].t.due < best->t.due ||
        (v[i].t.due == best->t.due && v[i].order < best->order))
      best = &v[i];
  }
  return best;
}

START_TEST(test_timer_heap_random)
{
  static struct kt_timer v[KT_NTIMERS];
  struct fut_kit_loop loop; /* the heap needs no runtime */
  uint64_t order = 0;
  int op, i, left = 0;

  memset(&loop, 0, sizeof loop);
  memset(v, 0, sizeof v);
  ck_assert_ptr_null(fut_kit_timer_first(&loop));
  for (op = 0; op < 20000; op++) {
    struct kt_timer *x = &v[kt_rand() % KT_NTIMERS];
    unsigned int what = (unsigned int)(kt_rand() % 8);

    if (what < 4) {
      /* Add, or re-add (which moves it behind its equals); few distinct
       * dues, so that many are equal. */
      x->t.due = kt_rand() % 16;
      fut_kit_timer_add(&loop, &x->t);
      x->order = order++;
      x->in = 1;
    } else if (what < 7) {
      fut_kit_timer_del(&loop, &x->t);
      fut_kit_timer_del(&loop, &x->t); /* twice: a no-op */
      x->in = 0;
    } else {
      /* Take the first, as a loop running it would. */
      struct kt_timer *m = model_first(v, KT_NTIMERS);
      struct fut_kit_timer *f = fut_kit_timer_first(&loop);

      if (m == NULL) {
        ck_assert_ptr_null(f);
        continue;
      }
      ck_assert_ptr_eq(f, &m->t);
      fut_kit_timer_del(&loop, f);
      m->in = 0;
    }
    ck_assert_int_eq(fut_kit_timer_active(&x->t), x->in);
    {
      struct kt_timer *m = model_first(v, KT_NTIMERS);

      ck_assert_ptr_eq(fut_kit_timer_first(&loop), m != NULL ? &m->t : NULL);
    }
  }
  /* Drain in order. */
  for (i = 0; i < KT_NTIMERS; i++)
    left += v[i].in;
  while (left-- > 0) {
    struct kt_timer *m = model_first(v, KT_NTIMERS);

    ck_assert_ptr_eq(fut_kit_timer_first(&loop), &m->t);
    fut_kit_timer_del(&loop, &m->t);
    m->in = 0;
  }
  ck_assert_ptr_null(fut_kit_timer_first(&loop));
}
END_TEST

/* Equal dues come out in add order; adding again (libuv's uv_timer_again,
 * a restart) puts a timer behind the others of its due. */
START_TEST(test_timer_equal_dues)
{
  struct fut_kit_timer t[5];
  struct fut_kit_loop loop;
  int i;

  memset(&loop, 0, sizeof loop);
  memset(t, 0, sizeof t);
  for (i = 0; i < 5; i++) {
    t[i].due = 7;
    fut_kit_timer_add(&loop, &t[i]);
  }
  fut_kit_timer_add(&loop, &t[0]); /* again: now last */
  t[4].due = 3;                    /* re-add with an earlier due: first */
  fut_kit_timer_add(&loop, &t[4]);
  ck_assert_ptr_eq(fut_kit_timer_first(&loop), &t[4]);
  fut_kit_timer_del(&loop, &t[4]);
  for (i = 1; i <= 3; i++) {
    ck_assert_ptr_eq(fut_kit_timer_first(&loop), &t[i]);
    fut_kit_timer_del(&loop, &t[i]);
    ck_assert_int_eq(fut_kit_timer_active(&t[i]), 0);
  }
  ck_assert_ptr_eq(fut_kit_timer_first(&loop), &t[0]);
  fut_kit_timer_del(&loop, &t[0]);
  ck_assert_ptr_null(fut_kit_timer_first(&loop));
}
END_TEST

/* ---- events ------------------------------------------------------------------- */

struct kt_ev {
  struct fut_kit_ev ev;
  int runs;
  char name;
  struct kt_ev *feed_self; /* feed this one from the callback */
  struct kt_ev *cancel;    /* cancel this one from the callback */
  struct fut_kit_queue *feed_q;
};

static char kt_order[64];
static size_t kt_order_len;

static void
kt_ev_cb(struct fut_kit_ev *ev)
{
  struct kt_ev *e = fut_kit_queue_data(ev, struct kt_ev, ev);

  e->runs++;
  if (kt_order_len < sizeof kt_order - 1)
    kt_order[kt_order_len++] = e->name;
  kt_order[kt_order_len] = '\0';
  if (e->feed_self != NULL) {
    if (e->feed_q != NULL)
      fut_kit_ev_feed_to(&e->feed_self->ev, e->feed_q, 5);
    else
      fut_kit_ev_feed(&e->feed_self->ev);
  }
  if (e->cancel != NULL)
    fut_kit_ev_cancel(&e->cancel->ev);
}

static void
kt_order_reset(void)
{
  kt_order_len = 0;
  kt_order[0] = '\0';
}

static struct fut_kit_loop kt_loop;

static void
kt_loop_setup(void)
{
  ck_assert_int_eq(fut_kit_loop_init(&kt_loop, 1), 0);
  ck_assert_str_eq(fut_runtime_backend_name(&kt_loop.rt), FUT_TEST_BACKEND);
}

static void
kt_loop_teardown(void)
{
  fut_kit_loop_close(&kt_loop);
}

START_TEST(test_ev_feed_cancel)
{
  struct kt_ev a, b, c;

  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  memset(&c, 0, sizeof c);
  a.name = 'a';
  b.name = 'b';
  c.name = 'c';
  fut_kit_ev_init(&kt_loop, &a.ev, kt_ev_cb);
  fut_kit_ev_init(&kt_loop, &b.ev, kt_ev_cb);
  fut_kit_ev_init(&kt_loop, &c.ev, kt_ev_cb);
  kt_order_reset();
  /* Queued twice: runs once. Cancelled: not at all. Order: feed order. */
  fut_kit_ev_feed(&b.ev);
  fut_kit_ev_feed(&a.ev);
  fut_kit_ev_feed(&b.ev);
  fut_kit_ev_feed(&c.ev);
  fut_kit_ev_cancel(&c.ev);
  fut_kit_ev_cancel(&c.ev); /* not queued: a no-op */
  ck_assert_uint_eq(a.ev.queued, 1);
  /* Something queued: the poll does not block (no deadline given). */
  ck_assert_int_eq(fut_kit_loop_poll(&kt_loop, -1), 2);
  ck_assert_str_eq(kt_order, "ba");
  ck_assert_uint_eq(a.ev.queued, 0);
  /* a's callback cancels b, queued after it in the same batch: b does not
   * run; c's callback feeds c: it waits for the next poll. */
  kt_order_reset();
  a.cancel = &b;
  c.feed_self = &c;
  fut_kit_ev_feed(&a.ev);
  fut_kit_ev_feed(&b.ev);
  fut_kit_ev_feed(&c.ev);
  ck_assert_int_eq(fut_kit_loop_poll(&kt_loop, 0), 2);
  ck_assert_str_eq(kt_order, "ac");
  ck_assert_uint_eq(c.ev.queued, 1);
  c.feed_self = NULL;
  ck_assert_int_eq(fut_kit_loop_poll(&kt_loop, -1), 1);
  ck_assert_str_eq(kt_order, "acc");
  ck_assert_int_eq(fut_kit_loop_poll(&kt_loop, 0), 0);
}
END_TEST

/* The shim's own queue: feed_to marks the event; feed and feed_to do
 * nothing while it is on either queue; run_queue runs those queued when it
 * starts, the ones fed meanwhile wait for the next run. */
START_TEST(test_ev_feed_to_run_queue)
{
  struct fut_kit_queue q;
  struct kt_ev a, b;

  fut_kit_queue_init(&q);
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.name = 'a';
  b.name = 'b';
  fut_kit_ev_init(&kt_loop, &a.ev, kt_ev_cb);
  fut_kit_ev_init(&kt_loop, &b.ev, kt_ev_cb);
  kt_order_reset();
  fut_kit_ev_feed_to(&a.ev, &q, 3);
  ck_assert_uint_eq(a.ev.queued, 3);
  fut_kit_ev_feed(&a.ev); /* on q already: stays there */
  ck_assert_uint_eq(a.ev.queued, 3);
  ck_assert_int_eq(fut_kit_loop_poll(&kt_loop, 0), 0);
  ck_assert_int_eq(a.runs, 0);
  /* a feeds b onto q from its callback: b waits for the next run. */
  a.feed_self = &b;
  a.feed_q = &q;
  ck_assert_int_eq(fut_kit_run_queue(&q), 1);
  ck_assert_str_eq(kt_order, "a");
  ck_assert_uint_eq(b.ev.queued, 5);
  a.feed_self = NULL;
  ck_assert_int_eq(fut_kit_run_queue(&q), 1);
  ck_assert_str_eq(kt_order, "ab");
  ck_assert_int_eq(fut_kit_run_queue(&q), 0);
  ck_assert(fut_kit_queue_empty(&q));
  /* Cancel takes it off the shim's queue too. */
  fut_kit_ev_feed_to(&b.ev, &q, 2);
  fut_kit_ev_cancel(&b.ev);
  ck_assert(fut_kit_queue_empty(&q));
  ck_assert_int_eq(fut_kit_run_queue(&q), 0);
}
END_TEST

/* The context's waker queues the event, clones too; the wake is only a
 * link into the ready queue (the callback runs in the poll). */
START_TEST(test_ev_context_waker)
{
  struct fut_waker w, w2;
  struct fut_context cx;
  struct kt_ev a;

  memset(&a, 0, sizeof a);
  a.name = 'a';
  fut_kit_ev_init(&kt_loop, &a.ev, kt_ev_cb);
  fut_kit_ev_context(&a.ev, &w, &cx);
  ck_assert_ptr_eq(cx.rt, &kt_loop.rt);
  kt_order_reset();
  fut_waker_wake_by_ref(cx.waker);
  ck_assert_int_eq(a.runs, 0);
  w2 = fut_waker_clone(&w);
  fut_waker_wake(w2);
  ck_assert_int_eq(fut_kit_loop_poll(&kt_loop, -1), 1);
  ck_assert_int_eq(a.runs, 1);
  w2 = fut_waker_clone(&w);
  fut_waker_wake_by_ref(&w2);
  fut_waker_drop(&w2);
  fut_kit_ev_cancel(&a.ev);
  ck_assert_int_eq(fut_kit_loop_poll(&kt_loop, 0), 0);
  ck_assert_int_eq(a.runs, 1);
}
END_TEST

/* ---- descriptor watches --------------------------------------------------------- */

struct kt_watch {
  int calls;
  unsigned int events;  /* union of all reports */
  unsigned int last;
  int drain;            /* read everything in the callback */
  int put;              /* put the watch in the callback */
  int withdraw_write;   /* set(READABLE only) in the callback */
};

static void
kt_fd_cb(struct fut_kit_fd *f, unsigned int events)
{
  struct kt_watch *k = f->data;

  k->calls++;
  k->events |= events;
  k->last = events;
  if (k->drain) {
    char buf[256];

    while (read(f->fd, buf, sizeof buf) > 0)
      ;
  }
  if (k->withdraw_write)
    ck_assert_int_eq(fut_kit_fd_set(f, f->interest & ~(unsigned int)FUT_IO_WRITABLE, f->edge), 0);
  if (k->put)
    fut_kit_fd_put(f);
}

static void
kt_pair(int sv[2])
{
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
  ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
}

static void
kt_send(int fd, const char *s)
{
  ck_assert_int_eq((int)write(fd, s, strlen(s)), (int)strlen(s));
}

/* Poll until @k has more than @calls reports (safety net: KT_LIMIT_NS). */
static void
kt_wait_calls(struct kt_watch *k, int calls)
{
  int64_t limit = fut_now_ns() + KT_LIMIT_NS;

  while (k->calls <= calls) {
    ck_assert_msg(fut_now_ns() < limit, "no report within the safety limit");
    ck_assert_int_ge(fut_kit_loop_poll(&kt_loop, fut_now_ns() + 100000000), 0);
  }
}

/* Polls that do not block: nothing new may be reported by them. */
static void
kt_poll_idle(int n)
{
  while (n-- > 0)
    ck_assert_int_ge(fut_kit_loop_poll(&kt_loop, 0), 0);
}

START_TEST(test_fd_level)
{
  struct kt_watch k;
  struct fut_kit_fd *f;
  int sv[2], c;
  char buf[16];

  memset(&k, 0, sizeof k);
  kt_pair(sv);
  ck_assert_ptr_null(fut_kit_fd_get(&kt_loop, sv[0], 0));
  f = fut_kit_fd_get(&kt_loop, sv[0], 1);
  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_eq(fut_kit_fd_get(&kt_loop, sv[0], 0), f);
  ck_assert_ptr_eq(fut_kit_fd_get(&kt_loop, sv[0], 1), f);
  f->cb = kt_fd_cb;
  f->data = &k;
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE, 0), 0);
  /* Nothing to read: nothing reported. */
  kt_poll_idle(3);
  ck_assert_int_eq(k.calls, 0);
  kt_send(sv[1], "x");
  kt_wait_calls(&k, 0);
  ck_assert_uint_eq(k.last, FUT_IO_READABLE);
  /* Not read: reported again in each of the next polls. */
  c = k.calls;
  ck_assert_int_ge(fut_kit_loop_poll(&kt_loop, 0), 1);
  ck_assert_int_eq(k.calls, c + 1);
  ck_assert_int_ge(fut_kit_loop_poll(&kt_loop, 0), 1);
  ck_assert_int_eq(k.calls, c + 2);
  /* Read: no more reports. */
  ck_assert_int_eq((int)read(sv[0], buf, sizeof buf), 1);
  c = k.calls;
  kt_poll_idle(4);
  ck_assert_int_eq(k.calls, c);
  /* New data: reported again. */
  kt_send(sv[1], "yz");
  kt_wait_calls(&k, c);
  ck_assert_uint_eq(k.last, FUT_IO_READABLE);
  /* Drained in the callback: reported once. */
  k.drain = 1;
  c = k.calls;
  kt_wait_calls(&k, c);
  c = k.calls;
  kt_poll_idle(4);
  ck_assert_int_eq(k.calls, c);
  fut_kit_fd_put(f);
  ck_assert_ptr_null(fut_kit_fd_get(&kt_loop, sv[0], 0));
  close(sv[0]);
  close(sv[1]);
}
END_TEST

START_TEST(test_fd_edge)
{
  struct kt_watch k;
  struct fut_kit_fd *f;
  int sv[2], c;

  memset(&k, 0, sizeof k);
  kt_pair(sv);
  f = fut_kit_fd_get(&kt_loop, sv[0], 1);
  ck_assert_ptr_nonnull(f);
  f->cb = kt_fd_cb;
  f->data = &k;
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE, FUT_IO_READABLE), 0);
  kt_send(sv[1], "a");
  kt_wait_calls(&k, 0);
  ck_assert_uint_eq(k.last, FUT_IO_READABLE);
  /* Unread, but no new edge: not reported again. */
  c = k.calls;
  kt_poll_idle(4);
  ck_assert_int_eq(k.calls, c);
  /* New data is a new edge. */
  kt_send(sv[1], "b");
  kt_wait_calls(&k, c);
  c = k.calls;
  kt_poll_idle(4);
  ck_assert_int_eq(k.calls, c);
  /* Edge reading and writing: the writable edge is reported once too. */
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE | FUT_IO_WRITABLE,
                                  FUT_IO_READABLE | FUT_IO_WRITABLE), 0);
  kt_wait_calls(&k, c);
  ck_assert(k.last & FUT_IO_WRITABLE);
  /* The interest change may be one more edge where the core registers it
   * anew (epoll reports the current state on EPOLL_CTL_MOD, as under
   * libevent's and libev's own EV_ET): settle, then no more reports. */
  kt_poll_idle(3);
  c = k.calls;
  kt_poll_idle(4);
  ck_assert_int_eq(k.calls, c);
  fut_kit_fd_put(f);
  close(sv[0]);
  close(sv[1]);
}
END_TEST

/* Mixed: readable level-style, writable edge-style, on one watch (libev
 * ev_io without EV_ET next to a libevent EV_ET writer). A peer that hangs
 * up leaves the descriptor readable (end of file): reported in every poll
 * while the watch is on. */
START_TEST(test_fd_mixed_and_hangup)
{
  struct kt_watch k;
  struct fut_kit_fd *f;
  int sv[2], c, i, w = 0, r = 0;

  memset(&k, 0, sizeof k);
  kt_pair(sv);
  f = fut_kit_fd_get(&kt_loop, sv[0], 1);
  f->cb = kt_fd_cb;
  f->data = &k;
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE | FUT_IO_WRITABLE, FUT_IO_WRITABLE), 0);
  kt_send(sv[1], "m");
  while (k.events != (FUT_IO_READABLE | FUT_IO_WRITABLE))
    kt_wait_calls(&k, k.calls);
  kt_poll_idle(3); /* settle (see test_fd_edge) */
  for (i = 0; i < 4; i++) {
    c = k.calls;
    ck_assert_int_ge(fut_kit_loop_poll(&kt_loop, 0), 1);
    ck_assert_int_eq(k.calls, c + 1);
    r += (k.last & FUT_IO_READABLE) != 0;
    w += (k.last & FUT_IO_WRITABLE) != 0;
  }
  ck_assert_int_eq(r, 4); /* level: every poll */
  ck_assert_int_eq(w, 0); /* edge: not again */
  /* Drained, then the peer hangs up: readable (EOF) in every poll. */
  k.drain = 1;
  kt_poll_idle(1);
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE, 0), 0);
  c = k.calls;
  kt_poll_idle(3);
  ck_assert_int_eq(k.calls, c);
  close(sv[1]);
  kt_wait_calls(&k, c);
  for (i = 0; i < 3; i++) {
    c = k.calls;
    ck_assert_int_ge(fut_kit_loop_poll(&kt_loop, 0), 1);
    ck_assert_int_eq(k.calls, c + 1);
    ck_assert(k.last & FUT_IO_READABLE);
  }
  fut_kit_fd_put(f);
  c = k.calls;
  kt_poll_idle(3);
  ck_assert_int_eq(k.calls, c);
  close(sv[0]);
}
END_TEST

/* Both directions on one watch; withdrawing one (outside or inside the
 * callback) means no report of it after the call. */
START_TEST(test_fd_two_directions_withdraw)
{
  struct kt_watch k;
  struct fut_kit_fd *f;
  int sv[2], c;

  memset(&k, 0, sizeof k);
  kt_pair(sv);
  f = fut_kit_fd_get(&kt_loop, sv[0], 1);
  f->cb = kt_fd_cb;
  f->data = &k;
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE | FUT_IO_WRITABLE, 0), 0);
  kt_send(sv[1], "r");
  while (k.events != (FUT_IO_READABLE | FUT_IO_WRITABLE))
    kt_wait_calls(&k, k.calls);
  /* Writable stays true: reported in every poll (level). */
  c = k.calls;
  ck_assert_int_ge(fut_kit_loop_poll(&kt_loop, 0), 1);
  ck_assert_int_eq(k.calls, c + 1);
  ck_assert(k.last & FUT_IO_WRITABLE);
  /* Withdrawn outside a callback: only readable from now on. */
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE, 0), 0);
  k.events = 0;
  kt_poll_idle(4);
  ck_assert_uint_eq(k.events & FUT_IO_WRITABLE, 0);
  ck_assert_uint_eq(k.events, FUT_IO_READABLE); /* still unread */
  /* Drain; writable back; the callback withdraws writable itself. */
  k.drain = 1;
  kt_poll_idle(1);
  k.drain = 0;
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE | FUT_IO_WRITABLE, 0), 0);
  k.withdraw_write = 1;
  c = k.calls;
  kt_wait_calls(&k, c);
  ck_assert_uint_eq(k.last, FUT_IO_WRITABLE);
  k.withdraw_write = 0;
  c = k.calls;
  kt_poll_idle(4);
  ck_assert_int_eq(k.calls, c);
  /* Interest 0: nothing at all, even with data. */
  ck_assert_int_eq(fut_kit_fd_set(f, 0, 0), 0);
  kt_send(sv[1], "q");
  kt_poll_idle(4);
  ck_assert_int_eq(k.calls, c);
  /* And back: the unread data is reported. */
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE, 0), 0);
  kt_wait_calls(&k, c);
  ck_assert_uint_eq(k.last, FUT_IO_READABLE);
  fut_kit_fd_put(f);
  close(sv[0]);
  close(sv[1]);
}
END_TEST

/* The callback puts its own watch (the shim's last watcher stops): no
 * further report, the descriptor can be closed and watched anew. */
START_TEST(test_fd_put_in_callback)
{
  struct kt_watch k, k2;
  struct fut_kit_fd *f;
  int sv[2], c;

  memset(&k, 0, sizeof k);
  memset(&k2, 0, sizeof k2);
  kt_pair(sv);
  f = fut_kit_fd_get(&kt_loop, sv[0], 1);
  f->cb = kt_fd_cb;
  f->data = &k;
  k.put = 1;
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE | FUT_IO_WRITABLE, 0), 0);
  kt_send(sv[1], "p");
  kt_wait_calls(&k, 0);
  ck_assert_int_eq(k.calls, 1);
  ck_assert_ptr_null(fut_kit_fd_get(&kt_loop, sv[0], 0));
  kt_poll_idle(4);
  ck_assert_int_eq(k.calls, 1);
  /* A new watch of the same descriptor works. */
  f = fut_kit_fd_get(&kt_loop, sv[0], 1);
  ck_assert_ptr_nonnull(f);
  f->cb = kt_fd_cb;
  f->data = &k2;
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE, 0), 0);
  kt_wait_calls(&k2, 0);
  c = k2.calls;
  fut_kit_fd_put(f);
  kt_poll_idle(3);
  ck_assert_int_eq(k2.calls, c);
  close(sv[0]);
  close(sv[1]);
}
END_TEST

#define KT_NPAIRS 160

/* Many descriptors: the table grows past its first sizes, the batched
 * recheck asks them all, only those with data are reported. */
START_TEST(test_fd_many)
{
  static int sv[KT_NPAIRS][2];
  static struct kt_watch k[KT_NPAIRS];
  static struct fut_kit_fd *f[KT_NPAIRS];
  int i, round;

  memset(k, 0, sizeof k);
  ck_assert_ptr_null(fut_kit_fd_get(&kt_loop, -1, 1));
  for (i = 0; i < KT_NPAIRS; i++) {
    kt_pair(sv[i]);
    f[i] = fut_kit_fd_get(&kt_loop, sv[i][0], 1);
    ck_assert_ptr_nonnull(f[i]);
    f[i]->cb = kt_fd_cb;
    f[i]->data = &k[i];
    ck_assert_int_eq(fut_kit_fd_set(f[i], FUT_IO_READABLE, 0), 0);
  }
  ck_assert_int_gt(sv[KT_NPAIRS - 1][1], 256);
  for (i = 0; i < KT_NPAIRS; i++)
    ck_assert_ptr_eq(fut_kit_fd_get(&kt_loop, sv[i][0], 0), f[i]);
  for (i = 0; i < KT_NPAIRS; i++)
    ck_assert_ptr_null(fut_kit_fd_get(&kt_loop, sv[i][1], 0));
  /* Every third one gets data; wait for them all. */
  for (i = 0; i < KT_NPAIRS; i += 3)
    kt_send(sv[i][1], "m");
  for (i = 0; i < KT_NPAIRS; i += 3)
    kt_wait_calls(&k[i], 0);
  /* Unread: each reported once per poll, the others never. */
  for (round = 0; round < 3; round++) {
    int before[KT_NPAIRS];

    for (i = 0; i < KT_NPAIRS; i++)
      before[i] = k[i].calls;
    ck_assert_int_eq(fut_kit_loop_poll(&kt_loop, 0), (KT_NPAIRS + 2) / 3);
    for (i = 0; i < KT_NPAIRS; i++)
      ck_assert_int_eq(k[i].calls, before[i] + (i % 3 == 0 ? 1 : 0));
  }
  /* Half the watches put, half left for fut_kit_loop_close (teardown). */
  for (i = 0; i < KT_NPAIRS; i += 2)
    fut_kit_fd_put(f[i]);
  kt_poll_idle(2);
  fut_kit_loop_close(&kt_loop);
  for (i = 0; i < KT_NPAIRS; i++) {
    close(sv[i][0]);
    close(sv[i][1]);
  }
  ck_assert_int_eq(fut_kit_loop_init(&kt_loop, 1), 0);
}
END_TEST

/* Descriptors the core refuses: a closed one, a regular file (epoll(7),
 * under every backend's one-descriptor mode, refuses it). The watch then
 * reports nothing and can be put. */
START_TEST(test_fd_refused)
{
  struct kt_watch k;
  struct fut_kit_fd *f;
  char path[] = "/tmp/fut-kit-test-XXXXXX";
  int fd, sv[2];

  memset(&k, 0, sizeof k);
  fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  unlink(path);
  f = fut_kit_fd_get(&kt_loop, fd, 1);
  ck_assert_ptr_nonnull(f);
  f->cb = kt_fd_cb;
  f->data = &k;
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE, 0), -EPERM);
  ck_assert_uint_eq(f->interest, 0);
  kt_poll_idle(2);
  ck_assert_int_eq(k.calls, 0);
  fut_kit_fd_put(f);
  close(fd);

  kt_pair(sv);
  close(sv[1]);
  fd = sv[0];
  close(fd);
  f = fut_kit_fd_get(&kt_loop, fd, 1);
  ck_assert_ptr_nonnull(f);
  f->cb = kt_fd_cb;
  f->data = &k;
  ck_assert_int_eq(fut_kit_fd_set(f, FUT_IO_READABLE, 0), -EBADF);
  kt_poll_idle(2);
  ck_assert_int_eq(k.calls, 0);
  fut_kit_fd_put(f);
}
END_TEST

/* Watches left at close: fut_kit_loop_close frees them (valgrind: no
 * leak), with readiness reported and unreported, events queued. */
START_TEST(test_loop_close_with_watches)
{
  struct kt_watch k[3];
  struct fut_kit_loop loop;
  struct fut_kit_fd *f;
  int sv[3][2], i;

  memset(k, 0, sizeof k);
  ck_assert_int_eq(fut_kit_loop_init(&loop, 0), 0);
  for (i = 0; i < 3; i++) {
    kt_pair(sv[i]);
    f = fut_kit_fd_get(&loop, sv[i][0], 1);
    ck_assert_ptr_nonnull(f);
    f->cb = kt_fd_cb;
    f->data = &k[i];
    ck_assert_int_eq(fut_kit_fd_set(f, i == 2 ? 0 : FUT_IO_READABLE | FUT_IO_WRITABLE, 0), 0);
  }
  (void)fut_kit_loop_poll(&loop, 0);
  (void)fut_kit_loop_poll(&loop, 0);
  ck_assert_int_gt(k[0].calls, 0);
  fut_kit_loop_close(&loop);
  fut_kit_loop_close(&loop); /* twice: a no-op */
  for (i = 0; i < 3; i++) {
    close(sv[i][0]);
    close(sv[i][1]);
  }
}
END_TEST

static Suite *
kit_suite(void)
{
  Suite *s = suite_create("kit");
  TCase *tc = tcase_create("timers");

  tcase_add_test(tc, test_timer_heap_random);
  tcase_add_test(tc, test_timer_equal_dues);
  suite_add_tcase(s, tc);
  tc = tcase_create("events");
  tcase_add_checked_fixture(tc, kt_loop_setup, kt_loop_teardown);
  tcase_add_test(tc, test_ev_feed_cancel);
  tcase_add_test(tc, test_ev_feed_to_run_queue);
  tcase_add_test(tc, test_ev_context_waker);
  suite_add_tcase(s, tc);
  tc = tcase_create("fd");
  tcase_add_checked_fixture(tc, kt_loop_setup, kt_loop_teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_fd_level);
  tcase_add_test(tc, test_fd_edge);
  tcase_add_test(tc, test_fd_mixed_and_hangup);
  tcase_add_test(tc, test_fd_two_directions_withdraw);
  tcase_add_test(tc, test_fd_put_in_callback);
  tcase_add_test(tc, test_fd_many);
  tcase_add_test(tc, test_fd_refused);
  tcase_add_test(tc, test_loop_close_with_watches);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr;
  int failed;

  signal(SIGPIPE, SIG_IGN);
  sr = srunner_create(kit_suite());
  /* TAP on stdout for Automake's tap-driver.sh. */
  if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
    srunner_set_tap(sr, "-");
  srunner_run_all(sr, CK_SILENT);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
