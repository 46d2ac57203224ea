/* SPDX-License-Identifier: MIT */
/* tests/evapi: ev_signal, ev_child, ev_stat, ev_async (threads),
 * ev_loop_fork and ev_fork. */
#include "evtest.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int count, last;

static void
sig_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
  (void)loop;
  ck_assert_int_eq(w->signum, SIGUSR1);
  last = revents;
  count++;
}

START_TEST(test_signal_raise)
{
  struct ev_loop *loop = EV_DEFAULT;
  ev_signal s1, s2;

  count = 0;
  ev_signal_init(&s1, sig_cb, SIGUSR1);
  ev_signal_init(&s2, sig_cb, SIGUSR1);
  ev_signal_start(loop, &s1);
  ev_signal_start(loop, &s2);
  evtest_safety_start(loop, 10.);
  ck_assert_int_eq(raise(SIGUSR1), 0);
  while (count < 2)
    ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(count, 2);
  ck_assert_int_eq(last, EV_SIGNAL);
  /* ev_feed_signal: as if received. */
  ev_feed_signal(SIGUSR1);
  while (count < 4)
    ev_run(loop, EVRUN_ONCE);
  /* ev_feed_signal_event feeds at once. */
  ev_feed_signal_event(loop, SIGUSR1);
  ck_assert(ev_is_pending(&s1));
  ev_invoke_pending(loop);
  ck_assert_int_eq(count, 6);
  ev_signal_stop(loop, &s1);
  ev_signal_stop(loop, &s2);
  evtest_safety_stop(loop);
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_signal_bad)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_signal s;

  count = 0;
  ev_signal_init(&s, sig_cb, SIGKILL);
  ev_signal_start(loop, &s);
  ck_assert(!ev_is_active(&s));
  ck_assert(ev_is_pending(&s));
  ck_assert_int_eq(ev_clear_pending(loop, &s), EV_ERROR | EV_SIGNAL);
  ev_signal_set(&s, 0);
  ev_signal_start(loop, &s);
  ck_assert(!ev_is_active(&s));
  ev_clear_pending(loop, &s);
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ev_loop_destroy(loop);
}
END_TEST

static void
child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
  ck_assert_int_eq(revents, EV_CHILD);
  ev_child_stop(loop, w);
  count++;
}

START_TEST(test_child_exit_status)
{
  struct ev_loop *loop = EV_DEFAULT;
  ev_child c, any;
  pid_t pid;

  count = 0;
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0)
    _exit(3);
  ev_child_init(&c, child_cb, pid, 0);
  ev_child_init(&any, child_cb, 0, 0);
  ev_child_start(loop, &c);
  ev_child_start(loop, &any);
  evtest_safety_start(loop, 10.);
  ck_assert_int_eq(ev_run(loop, 0), 0);
  evtest_safety_stop(loop);
  ck_assert_int_eq(count, 2);
  ck_assert_int_eq(c.rpid, pid);
  ck_assert(WIFEXITED(c.rstatus));
  ck_assert_int_eq(WEXITSTATUS(c.rstatus), 3);
  ck_assert_int_eq(any.rpid, pid);
  ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_child_not_default_loop)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_child c;

  ev_child_init(&c, child_cb, 0, 0);
  ev_child_start(loop, &c);
  ck_assert(!ev_is_active(&c));
  ck_assert_int_eq(ev_clear_pending(loop, &c) & EV_ERROR, EV_ERROR);
  ev_loop_destroy(loop);
}
END_TEST

static char stat_path[64];

static void
stat_cb(struct ev_loop *loop, ev_stat *w, int revents)
{
  ck_assert_int_eq(revents, EV_STAT);
  ck_assert_int_eq((int)w->attr.st_size, 5);
  ck_assert_int_eq((int)w->prev.st_size, 0);
  count++;
  ev_stat_stop(loop, w);
}

static void
touch_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  FILE *f = fopen(stat_path, "w");

  (void)loop;
  (void)w;
  (void)revents;
  ck_assert_ptr_nonnull(f);
  fputs("hello", f);
  fclose(f);
}

START_TEST(test_stat_change)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_stat st;
  ev_timer touch;
  int fd;

  count = 0;
  strcpy(stat_path, "/tmp/evapi-stat-XXXXXX");
  fd = mkstemp(stat_path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  ev_stat_init(&st, stat_cb, stat_path, 0.01);
  ev_stat_start(loop, &st);
  ck_assert(ev_is_active(&st));
  ck_assert_int_eq((int)st.attr.st_nlink, 1);
  ev_stat_stat(loop, &st);
  ck_assert_int_eq((int)st.attr.st_size, 0);
  ev_timer_init(&touch, touch_cb, 0.02, 0.);
  ev_timer_start(loop, &touch);
  evtest_safety_start(loop, 10.);
  ck_assert_int_eq(ev_run(loop, 0), 0);
  evtest_safety_stop(loop);
  ck_assert_int_eq(count, 1);
  unlink(stat_path);
  /* A missing path: nlink 0. */
  ev_stat_stat(loop, &st);
  ck_assert_int_eq((int)st.attr.st_nlink, 0);
  ev_loop_destroy(loop);
}
END_TEST

static ev_async as;
static struct ev_loop *async_loop;

static void
async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
  ck_assert_int_eq(revents, EV_ASYNC);
  ck_assert(!ev_async_pending(w));
  if (++count == 1)
    ev_async_stop(loop, w);
}

static void *
sender(void *arg)
{
  int i;

  (void)arg;
  for (i = 0; i < 100; i++)
    ev_async_send(async_loop, &as);
  return NULL;
}

START_TEST(test_async_thread)
{
  pthread_t th;

  async_loop = ev_loop_new(0);
  count = 0;
  ev_async_init(&as, async_cb);
  ev_async_start(async_loop, &as);
  ck_assert_int_eq(pthread_create(&th, NULL, sender, NULL), 0);
  ck_assert_int_eq(pthread_join(th, NULL), 0);
  evtest_safety_start(async_loop, 10.);
  /* Coalesced: one callback for the hundred sends. */
  ck_assert_int_eq(ev_run(async_loop, 0), 0);
  evtest_safety_stop(async_loop);
  ck_assert_int_eq(count, 1);
  ev_loop_destroy(async_loop);
}
END_TEST

static void
fork_cb(struct ev_loop *loop, ev_fork *w, int revents)
{
  (void)loop;
  (void)w;
  ck_assert_int_eq(revents, EV_FORK);
  count += 100;
}

static void
child_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)loop;
  (void)w;
  (void)revents;
  count++;
}

START_TEST(test_loop_fork)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_fork fw;
  ev_timer t;
  pid_t pid;
  int status;

  count = 0;
  ev_fork_init(&fw, fork_cb);
  ev_fork_start(loop, &fw);
  ev_unref(loop);
  ev_timer_init(&t, child_timer_cb, 0.001, 0.);
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    ev_loop_fork(loop);
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    _exit(count == 101 ? 0 : 1);
  }
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status));
  ck_assert_int_eq(WEXITSTATUS(status), 0);
  /* The parent's loop still works, and saw no fork. */
  ev_timer_start(loop, &t);
  ev_run(loop, 0);
  ck_assert_int_eq(count, 1);
  ev_ref(loop);
  ev_fork_stop(loop, &fw);
  ev_loop_destroy(loop);
}
END_TEST

Suite *
evtest_sys_suite(void)
{
  Suite *s = suite_create("evapi-sys-" FUT_TEST_BACKEND);
  TCase *tc = tcase_create("sys");

  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_signal_raise);
  tcase_add_test(tc, test_signal_bad);
  tcase_add_test(tc, test_child_exit_status);
  tcase_add_test(tc, test_child_not_default_loop);
  tcase_add_test(tc, test_stat_change);
  tcase_add_test(tc, test_async_thread);
  tcase_add_test(tc, test_loop_fork);
  suite_add_tcase(s, tc);
  return s;
}
