/* SPDX-License-Identifier: MIT */
/* tests/evapi: watcher states, timers, periodics, priorities, the loop's
 * phases, pending queues, ev_break, ev_ref/ev_unref, ev_once. */
#include "evtest.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int count;
static int last_revents;

static void
count_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  (void)w;
  count++;
  last_revents = revents;
}

START_TEST(test_version_and_backends)
{
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);

  ck_assert_int_eq(ev_version_major(), EV_VERSION_MAJOR);
  ck_assert_int_eq(ev_version_minor(), EV_VERSION_MINOR);
  ck_assert_uint_ne(ev_supported_backends() & ev_recommended_backends(), 0);
  ck_assert_ptr_nonnull(loop);
  ck_assert_uint_ne(ev_backend(loop) & ev_supported_backends(), 0);
  ck_assert_int_eq(ev_is_default_loop(loop), 0);
  ck_assert_int_eq(ev_is_default_loop(EV_DEFAULT), 1);
  ck_assert_ptr_eq(ev_default_loop(0), ev_default_loop(0));
  ck_assert(fabs(ev_now(loop) - ev_time()) < 5.);
  ev_set_userdata(loop, &count);
  ck_assert_ptr_eq(ev_userdata(loop), &count);
  /* Nothing active: ev_run returns at once with 0. */
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ck_assert_uint_eq(ev_iteration(loop), 1);
  ck_assert_uint_eq(ev_depth(loop), 0);
  ev_verify(loop);
  ev_loop_destroy(loop);
  ev_loop_destroy(NULL);
}
END_TEST

START_TEST(test_timer_states)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_timer t;

  count = 0;
  ev_timer_init(&t, count_timer_cb, 0.001, 0.);
  ck_assert(!ev_is_active(&t));
  ck_assert(!ev_is_pending(&t));
  ev_timer_stop(loop, &t); /* inactive: nothing */
  ev_timer_start(loop, &t);
  ck_assert(ev_is_active(&t));
  ev_timer_start(loop, &t); /* twice: nothing */
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ck_assert_int_eq(count, 1);
  ck_assert_int_eq(last_revents, EV_TIMER);
  ck_assert(!ev_is_active(&t));

  /* Pending, then stopped: the callback never runs. */
  count = 0;
  ev_feed_event(loop, &t, EV_TIMER);
  ck_assert(ev_is_pending(&t));
  ck_assert_uint_eq(ev_pending_count(loop), 1);
  ev_timer_stop(loop, &t);
  ck_assert(!ev_is_pending(&t));
  ck_assert_uint_eq(ev_pending_count(loop), 0);
  ev_run(loop, EVRUN_NOWAIT);
  ck_assert_int_eq(count, 0);
  ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_timer_again)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_timer t;

  /* Inactive, repeat 0: stays inactive. */
  ev_timer_init(&t, count_timer_cb, 5., 0.);
  ev_timer_again(loop, &t);
  ck_assert(!ev_is_active(&t));
  /* Inactive with repeat: started with repeat as the timeout. */
  t.repeat = 10.;
  ev_timer_again(loop, &t);
  ck_assert(ev_is_active(&t));
  ck_assert(fabs(ev_timer_remaining(loop, &t) - 10.) < 0.5);
  /* Active with repeat: restarted at repeat. */
  t.repeat = 20.;
  ev_timer_again(loop, &t);
  ck_assert(ev_is_active(&t));
  ck_assert(fabs(ev_timer_remaining(loop, &t) - 20.) < 0.5);
  /* Active, repeat 0: stopped. */
  t.repeat = 0.;
  ev_timer_again(loop, &t);
  ck_assert(!ev_is_active(&t));
  /* ev_timer_again clears a pending event. */
  t.repeat = 30.;
  ev_timer_again(loop, &t);
  ev_feed_event(loop, &t, EV_TIMER);
  ev_timer_again(loop, &t);
  ck_assert(!ev_is_pending(&t));
  ck_assert(ev_is_active(&t));
  ev_timer_stop(loop, &t);
  /* Remaining of an inactive timer: its after value. */
  ev_timer_set(&t, 7., 0.);
  ck_assert(fabs(ev_timer_remaining(loop, &t) - 7.) < 1e-9);
  ev_loop_destroy(loop);
}
END_TEST

static void
repeat_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  if (++count == 3)
    ev_timer_stop(loop, w);
}

START_TEST(test_timer_repeat_and_order)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_timer t;
  ev_tstamp start;

  count = 0;
  start = ev_now(loop);
  ev_timer_init(&t, repeat_cb, 0.002, 0.002);
  ev_timer_start(loop, &t);
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ck_assert_int_eq(count, 3);
  ck_assert(ev_now(loop) >= start + 0.005);
  ev_loop_destroy(loop);
}
END_TEST

static void
note_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  (void)revents;
  evtest_note(*(const char *)w->data);
}

START_TEST(test_timers_fire_in_time_order)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_timer a, b, c;

  evtest_reset_order();
  ev_timer_init(&a, note_timer_cb, 0.003, 0.);
  a.data = "a";
  ev_timer_init(&b, note_timer_cb, 0.001, 0.);
  b.data = "b";
  ev_timer_init(&c, note_timer_cb, 0.002, 0.);
  c.data = "c";
  ev_timer_start(loop, &a);
  ev_timer_start(loop, &b);
  ev_timer_start(loop, &c);
  /* Let all three expire, then one iteration sees them together. */
  ev_sleep(0.01);
  ev_now_update(loop);
  ev_run(loop, 0);
  ck_assert_str_eq(evtest_order, "bca");
  ev_loop_destroy(loop);
}
END_TEST

static ev_tstamp periodic_seen;

static void
periodic_cb(struct ev_loop *loop, ev_periodic *w, int revents)
{
  ck_assert_int_eq(revents, EV_PERIODIC);
  periodic_seen = ev_now(loop);
  if (++count == 2)
    ev_periodic_stop(loop, w);
}

static ev_tstamp
resched_cb(ev_periodic *w, ev_tstamp now)
{
  (void)w;
  return now + 0.003;
}

START_TEST(test_periodic)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_periodic p;
  ev_tstamp at;

  /* Absolute: fires once at offset. */
  count = 0;
  at = ev_time() + 0.005;
  ev_periodic_init(&p, periodic_cb, at, 0., NULL);
  ev_periodic_start(loop, &p);
  ck_assert(ev_periodic_at(&p) == at);
  evtest_safety_start(loop, 10.);
  ev_run(loop, 0);
  ck_assert_int_eq(count, 1);
  ck_assert(!ev_is_active(&p));
  ck_assert(periodic_seen >= at - 0.001);

  /* Interval: the next multiple of the interval after now. */
  count = 0;
  ev_periodic_init(&p, periodic_cb, 0., 0.004, NULL);
  ev_periodic_start(loop, &p);
  at = ev_periodic_at(&p);
  ck_assert(at > ev_now(loop) && at <= ev_now(loop) + 0.004 + 1e-6);
  ev_run(loop, 0);
  ck_assert_int_eq(count, 2);

  /* reschedule_cb decides. */
  count = 0;
  ev_periodic_init(&p, periodic_cb, 0., 0., resched_cb);
  ev_periodic_start(loop, &p);
  ck_assert(ev_periodic_at(&p) > ev_now(loop));
  ev_periodic_again(loop, &p);
  ck_assert(ev_is_active(&p));
  ev_run(loop, 0);
  ck_assert_int_eq(count, 2);
  evtest_safety_stop(loop);
  ev_loop_destroy(loop);
}
END_TEST

static void
note_w_cb(struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  (void)revents;
  evtest_note(*(const char *)w->data);
}

START_TEST(test_priorities)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_watcher w[5];
  const char *names[5] = { "a", "b", "c", "d", "e" };
  int pri[5] = { 0, 2, -2, 1, 7 }, i;

  evtest_reset_order();
  for (i = 0; i < 5; i++) {
    ev_init(&w[i], note_w_cb);
    ev_set_priority(&w[i], pri[i]);
    w[i].data = (void *)names[i];
    ev_feed_event(loop, &w[i], EV_CUSTOM);
  }
  ck_assert_uint_eq(ev_pending_count(loop), 5);
  ev_invoke_pending(loop);
  /* b (2) and e (7, taken as EV_MAXPRI) first, in feed order; c last. */
  ck_assert_str_eq(evtest_order, "bedac");
  ck_assert_uint_eq(ev_pending_count(loop), 0);
  ck_assert_int_eq(ev_clear_pending(loop, &w[0]), 0);
  /* Feeding twice adds the events, invoked once. */
  ev_feed_event(loop, &w[0], EV_READ);
  ev_feed_event(loop, &w[0], EV_WRITE);
  ck_assert_int_eq(ev_clear_pending(loop, &w[0]), EV_READ | EV_WRITE);
  ck_assert(!ev_is_pending(&w[0]));
  ev_loop_destroy(loop);
}
END_TEST

static void
phase_cb(struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  evtest_note(*(const char *)w->data);
  if (revents & EV_TIMER)
    evtest_note('!');
}

static void
idle_stop_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
  (void)revents;
  evtest_note('i');
  ev_idle_stop(loop, w);
}

START_TEST(test_prepare_check_idle_order)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_prepare p;
  ev_check c;
  ev_timer t;
  ev_idle idle;

  evtest_reset_order();
  ev_prepare_init(&p, (void (*)(struct ev_loop *, ev_prepare *, int))phase_cb);
  p.data = "p";
  ev_check_init(&c, (void (*)(struct ev_loop *, ev_check *, int))phase_cb);
  c.data = "c";
  ev_timer_init(&t, (void (*)(struct ev_loop *, ev_timer *, int))phase_cb, 0.001, 0.);
  t.data = "t";
  ev_prepare_start(loop, &p);
  ev_check_start(loop, &c);
  ev_unref(loop);
  ev_unref(loop);
  ev_timer_start(loop, &t);
  ev_run(loop, 0);
  /* Each iteration: prepare, poll, then timer and check invoked together
   * (the timer fed first); the run ends when the timer is gone. */
  ck_assert(strlen(evtest_order) >= 4);
  ck_assert_int_eq(evtest_order[0], 'p');
  ck_assert(strstr(evtest_order, "pt!c") != NULL);
  ck_assert_int_eq(evtest_order[strlen(evtest_order) - 1], 'c');

  /* Idle runs only when nothing else is pending. */
  evtest_reset_order();
  ev_idle_init(&idle, idle_stop_cb);
  ev_idle_start(loop, &idle);
  ev_timer_set(&t, 0., 0.);
  ev_timer_start(loop, &t);
  ev_sleep(0.002);
  ev_run(loop, 0);
  ck_assert_str_eq(evtest_order, "pt!cpic");
  ev_ref(loop);
  ev_ref(loop);
  ev_prepare_stop(loop, &p);
  ev_check_stop(loop, &c);
  ev_loop_destroy(loop);
}
END_TEST

static void
break_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  count++;
  ev_break(loop, (int)(intptr_t)w->data);
}

static void
nested_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  ev_timer inner;

  (void)w;
  (void)revents;
  ev_timer_init(&inner, break_timer_cb, 0., 0.);
  inner.data = (void *)(intptr_t)EVBREAK_ALL;
  ev_timer_start(loop, &inner);
  ck_assert_uint_eq(ev_depth(loop), 1);
  ev_run(loop, 0);
  ev_timer_stop(loop, &inner);
  count += 10;
}

START_TEST(test_break)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_timer t, keep, outer;

  ev_timer_init(&keep, count_timer_cb, 1000., 0.);
  ev_timer_start(loop, &keep);
  /* EVBREAK_ONE: ev_run returns, still active. */
  count = 0;
  ev_timer_init(&t, break_timer_cb, 0., 0.);
  t.data = (void *)(intptr_t)EVBREAK_ONE;
  ev_timer_start(loop, &t);
  ck_assert_int_ne(ev_run(loop, 0), 0);
  ck_assert_int_eq(count, 1);
  /* EVBREAK_ALL from a nested run leaves both. */
  count = 0;
  ev_timer_init(&outer, nested_cb, 0., 0.);
  ev_timer_start(loop, &outer);
  ck_assert_int_ne(ev_run(loop, 0), 0);
  ck_assert_int_eq(count, 11);
  /* A break before ev_run is forgotten by it; EVBREAK_CANCEL undoes. */
  ev_break(loop, EVBREAK_ONE);
  ev_break(loop, EVBREAK_CANCEL);
  ck_assert_int_ne(ev_run(loop, EVRUN_NOWAIT), 0);
  ev_timer_stop(loop, &keep);
  ck_assert_int_eq(ev_run(loop, EVRUN_NOWAIT), 0);
  ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_ref_unref)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_timer t, u;

  count = 0;
  /* An unreferenced timer does not keep ev_run going. */
  ev_timer_init(&t, count_timer_cb, 1000., 0.);
  ev_timer_start(loop, &t);
  ev_unref(loop);
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ev_ref(loop);
  ev_timer_stop(loop, &t);
  /* One referenced timer keeps it until it fired. */
  ev_timer_init(&u, count_timer_cb, 0.001, 0.);
  ev_timer_start(loop, &u);
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ck_assert_int_eq(count, 1);
  /* EVRUN_ONCE blocks once for the timer. */
  ev_timer_start(loop, &u);
  ev_run(loop, EVRUN_ONCE);
  while (count < 2)
    ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(count, 2);
  ev_loop_destroy(loop);
}
END_TEST

static int once_revents;
static void *once_arg;

static void
once_cb(int revents, void *arg)
{
  once_revents = revents;
  once_arg = arg;
}

START_TEST(test_once_timeout)
{
  struct ev_loop *loop = ev_loop_new(0);

  once_revents = 0;
  ev_once(loop, -1, 0, 0.001, once_cb, &count);
  ck_assert_int_eq(once_revents, 0); /* never at once */
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ck_assert_int_eq(once_revents, EV_TIMER);
  ck_assert_ptr_eq(once_arg, &count);
  ev_loop_destroy(loop);
}
END_TEST

static void
cleanup_cb(struct ev_loop *loop, ev_cleanup *w, int revents)
{
  (void)loop;
  (void)w;
  ck_assert_int_eq(revents, EV_CLEANUP);
  count++;
}

START_TEST(test_cleanup_on_destroy)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_cleanup c, d;

  count = 0;
  ev_cleanup_init(&c, cleanup_cb);
  ev_cleanup_init(&d, cleanup_cb);
  ev_cleanup_start(loop, &c);
  ev_cleanup_start(loop, &d);
  ev_cleanup_stop(loop, &d);
  /* Cleanup watchers do not keep the loop alive. */
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ck_assert_int_eq(count, 0);
  ev_loop_destroy(loop);
  ck_assert_int_eq(count, 1);
}
END_TEST

static void
invoke_cb(struct ev_loop *loop)
{
  evtest_note('I');
  ev_invoke_pending(loop);
}

START_TEST(test_invoke_pending_cb_and_invoke)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_watcher w;

  evtest_reset_order();
  ev_set_invoke_pending_cb(loop, invoke_cb);
  ev_init(&w, note_w_cb);
  w.data = "w";
  ev_feed_event(loop, &w, EV_CUSTOM);
  ev_run(loop, EVRUN_NOWAIT);
  ck_assert(strstr(evtest_order, "Iw") != NULL);
  evtest_reset_order();
  ev_invoke(loop, &w, EV_CUSTOM);
  ck_assert_str_eq(evtest_order, "w");
  ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_suspend_resume)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_timer t;
  ev_tstamp before;

  ev_timer_init(&t, count_timer_cb, 1.0, 0.);
  ev_timer_start(loop, &t);
  before = ev_timer_remaining(loop, &t);
  ev_suspend(loop);
  ev_sleep(0.05);
  ev_resume(loop);
  /* The time suspended does not count. */
  ck_assert(ev_timer_remaining(loop, &t) > before - 0.04);
  ev_timer_stop(loop, &t);
  ev_loop_destroy(loop);
}
END_TEST

static void
release_cb(struct ev_loop *loop)
{
  (void)loop;
  evtest_note('r');
}

static void
acquire_cb(struct ev_loop *loop)
{
  (void)loop;
  evtest_note('a');
}

START_TEST(test_release_acquire_collect)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_timer t;

  evtest_reset_order();
  count = 0;
  ev_set_loop_release_cb(loop, release_cb, acquire_cb);
  ev_set_io_collect_interval(loop, 0.001);
  ev_set_timeout_collect_interval(loop, 0.001);
  ev_timer_init(&t, count_timer_cb, 0.002, 0.);
  ev_timer_start(loop, &t);
  ev_run(loop, 0);
  ck_assert_int_eq(count, 1);
  ck_assert(strncmp(evtest_order, "ra", 2) == 0);
  ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_misuse_null)
{
  ev_timer t;

  ev_timer_init(&t, count_timer_cb, 0., 0.);
  ev_timer_start(NULL, &t);
  ev_timer_start(EV_DEFAULT, NULL);
  ev_feed_event(NULL, &t, EV_TIMER);
  ev_feed_event(EV_DEFAULT, NULL, EV_TIMER);
  ck_assert_int_eq(ev_run(NULL, 0), 0);
  ck_assert_uint_eq(ev_pending_count(NULL), 0);
  ck_assert_int_eq(ev_clear_pending(NULL, &t), 0);
  ev_break(NULL, EVBREAK_ALL);
  ev_ref(NULL);
  ev_unref(NULL);
  ev_verify(NULL);
  ev_sleep(-1.);
  ev_sleep(0.);
  ev_feed_signal(0);
  ev_feed_signal(1000);
  ev_feed_signal_event(EV_DEFAULT, 0);
  ev_feed_fd_event(EV_DEFAULT, -1, EV_READ);
  ev_feed_fd_event(EV_DEFAULT, 1 << 20, EV_READ);
  ck_assert(!ev_is_active(&t));
}
END_TEST


static void
any_cb(struct ev_loop *loop, ev_watcher *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  count++;
}

/* Start twice, stop while pending, stop inactive: for every type that is
 * started and stopped the same way. */
#define STATE_CHECK(type, ...) do { \
    ev_##type w_; \
    ev_##type##_init(&w_, (void (*)(struct ev_loop *, ev_##type *, int))any_cb __VA_ARGS__); \
    ev_##type##_stop(loop, &w_); \
    ck_assert(!ev_is_active(&w_)); \
    ev_##type##_start(loop, &w_); \
    ev_##type##_start(loop, &w_); \
    ck_assert(ev_is_active(&w_)); \
    ev_feed_event(loop, &w_, EV_CUSTOM); \
    ck_assert(ev_is_pending(&w_)); \
    ev_##type##_stop(loop, &w_); \
    ck_assert(!ev_is_pending(&w_)); \
    ck_assert(!ev_is_active(&w_)); \
    ev_##type##_stop(loop, &w_); \
  } while (0)

START_TEST(test_states_every_type)
{
  struct ev_loop *loop = EV_DEFAULT;
  int sv[2] = { -1, -1 };

  count = 0;
  ck_assert_int_eq(pipe(sv), 0);
  STATE_CHECK(io, , sv[0], EV_READ);
  STATE_CHECK(timer, , 100., 0.);
  STATE_CHECK(periodic, , ev_time() + 100., 0., NULL);
  STATE_CHECK(signal, , SIGUSR2);
  STATE_CHECK(child, , 0, 0);
  STATE_CHECK(stat, , "/", 0.);
  STATE_CHECK(idle);
  STATE_CHECK(prepare);
  STATE_CHECK(check);
  STATE_CHECK(fork);
  STATE_CHECK(cleanup);
  STATE_CHECK(async);
  ck_assert_uint_eq(ev_pending_count(loop), 0);
  /* Nothing is left active: the run ends at once, no callback ran. */
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ck_assert_int_eq(count, 0);
  ev_verify(loop);
  ev_loop_destroy(loop);
  close(sv[0]);
  close(sv[1]);
}
END_TEST

static void
unloop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)w;
  (void)revents;
  count++;
  ev_unloop(loop, EVUNLOOP_ONE);
}

/* libev 3's names, kept by EV_COMPAT3. */
START_TEST(test_compat3_names)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_timer t, keep;

  count = 0;
  ev_timer_init(&keep, count_timer_cb, 100., 0.);
  ev_timer_start(loop, &keep);
  ev_timer_init(&t, unloop_cb, 0., 0.);
  ck_assert_int_eq(EV_TIMEOUT, EV_TIMER);
  ev_timer_start(loop, &t);
  ev_loop(loop, 0);
  ck_assert_int_eq(count, 1);
  ck_assert_uint_ge(ev_loop_count(loop), 1);
  ck_assert_uint_eq(ev_loop_depth(loop), 0);
  ev_loop_verify(loop);
  ev_loop(loop, EVLOOP_NONBLOCK);
  ev_timer_stop(loop, &keep);
  ev_loop_destroy(loop);
}
END_TEST

Suite *
evtest_watchers_suite(void)
{
  Suite *s = suite_create("evapi-watchers-" FUT_TEST_BACKEND);
  TCase *tc = tcase_create("watchers");

  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_version_and_backends);
  tcase_add_test(tc, test_timer_states);
  tcase_add_test(tc, test_timer_again);
  tcase_add_test(tc, test_timer_repeat_and_order);
  tcase_add_test(tc, test_timers_fire_in_time_order);
  tcase_add_test(tc, test_periodic);
  tcase_add_test(tc, test_priorities);
  tcase_add_test(tc, test_prepare_check_idle_order);
  tcase_add_test(tc, test_break);
  tcase_add_test(tc, test_ref_unref);
  tcase_add_test(tc, test_once_timeout);
  tcase_add_test(tc, test_cleanup_on_destroy);
  tcase_add_test(tc, test_invoke_pending_cb_and_invoke);
  tcase_add_test(tc, test_suspend_resume);
  tcase_add_test(tc, test_release_acquire_collect);
  tcase_add_test(tc, test_misuse_null);
  tcase_add_test(tc, test_states_every_type);
  tcase_add_test(tc, test_compat3_names);
  suite_add_tcase(s, tc);
  return s;
}
