/* SPDX-License-Identifier: MIT */
/* tests/evapi: ev_io (level-triggered, several watchers per descriptor,
 * bad descriptors, regular files), ev_once on a descriptor,
 * ev_feed_fd_event. */
#include "evtest.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static int sv[2];
static int reads, writes, errors, last;

static void
make_pair(void)
{
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

static void
close_pair(void)
{
  close(sv[0]);
  close(sv[1]);
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
  (void)loop;
  last = revents;
  if (revents & EV_ERROR)
    errors++;
  else {
    if (revents & EV_READ)
      reads++;
    if (revents & EV_WRITE)
      writes++;
  }
  (void)w;
}

static void
reset(void)
{
  reads = writes = errors = last = 0;
}

START_TEST(test_io_level_triggered)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_io r;
  char c;

  reset();
  make_pair();
  ev_io_init(&r, io_cb, sv[0], EV_READ);
  ev_io_start(loop, &r);
  ck_assert(ev_is_active(&r));
  ev_io_start(loop, &r); /* twice: nothing */
  ck_assert_int_eq(write(sv[1], "xy", 2), 2);
  evtest_safety_start(loop, 10.);
  while (reads == 0)
    ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(last, EV_READ);
  /* Unread data is reported again in the next iteration. */
  ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(reads, 2);
  ck_assert_int_eq(read(sv[0], &c, 1), 1);
  ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(reads, 3);
  ck_assert_int_eq(read(sv[0], &c, 1), 1);
  /* Drained: no more reports. */
  ev_run(loop, EVRUN_NOWAIT);
  ev_run(loop, EVRUN_NOWAIT);
  ck_assert_int_le(reads, 4);
  {
    int before = reads;

    ev_run(loop, EVRUN_NOWAIT);
    ev_run(loop, EVRUN_NOWAIT);
    ck_assert_int_eq(reads, before);
  }
  /* Stopped while pending: never called. */
  ck_assert_int_eq(write(sv[1], "z", 1), 1);
  while (!ev_is_pending(&r)) {
    ev_set_invoke_pending_cb(loop, ev_verify); /* keep it pending */
    ev_run(loop, EVRUN_ONCE);
  }
  ev_set_invoke_pending_cb(loop, NULL);
  reads = 0;
  ev_io_stop(loop, &r);
  ck_assert(!ev_is_pending(&r));
  ck_assert(!ev_is_active(&r));
  ev_run(loop, EVRUN_NOWAIT);
  ck_assert_int_eq(reads, 0);
  evtest_safety_stop(loop);
  ev_loop_destroy(loop);
  close_pair();
}
END_TEST

START_TEST(test_io_several_watchers_one_fd)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_io r1, r2, w1;

  reset();
  make_pair();
  ev_io_init(&r1, io_cb, sv[0], EV_READ);
  ev_io_init(&r2, io_cb, sv[0], EV_READ);
  ev_io_init(&w1, io_cb, sv[0], EV_WRITE);
  ev_io_start(loop, &r1);
  ev_io_start(loop, &r2);
  ev_io_start(loop, &w1);
  evtest_safety_start(loop, 10.);
  while (writes == 0)
    ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(reads, 0);
  ck_assert_int_eq(write(sv[1], "a", 1), 1);
  while (reads < 2)
    ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(reads, 2);
  /* One stopped: the other still sees the data. */
  ev_io_stop(loop, &r1);
  ev_io_stop(loop, &w1);
  reads = 0;
  ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(reads, 1);
  /* ev_feed_fd_event reaches the watchers waiting for those events. */
  reads = writes = 0;
  ev_feed_fd_event(loop, sv[0], EV_READ | EV_WRITE);
  ck_assert(ev_is_pending(&r2));
  ck_assert(!ev_is_pending(&w1));
  ev_invoke_pending(loop);
  ck_assert_int_eq(reads, 1);
  ck_assert_int_eq(writes, 0);
  ev_io_stop(loop, &r2);
  ck_assert_int_eq(ev_run(loop, 0), 0);
  evtest_safety_stop(loop);
  ev_loop_destroy(loop);
  close_pair();
}
END_TEST

START_TEST(test_io_bad_fd)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_io w, neg;
  int fd;

  reset();
  fd = open("/dev/null", O_RDONLY);
  ck_assert_int_ge(fd, 0);
  close(fd); /* a closed descriptor */
  ev_io_init(&w, io_cb, fd, EV_READ);
  ev_io_start(loop, &w);
  ck_assert_int_eq(errors, 0); /* never from inside the start */
  ev_io_init(&neg, io_cb, -1, EV_READ);
  ev_io_start(loop, &neg);
  ck_assert(!ev_is_active(&neg));
  ev_run(loop, EVRUN_NOWAIT);
  ck_assert_int_eq(errors, 2);
  ck_assert(last & EV_ERROR);
  ck_assert(!ev_is_active(&w));
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_io_regular_file_always_ready)
{
  struct ev_loop *loop = ev_loop_new(0);
  char path[] = "/tmp/evapi-io-XXXXXX";
  ev_io w;
  int fd;

  reset();
  fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  unlink(path);
  ev_io_init(&w, io_cb, fd, EV_READ | EV_WRITE);
  ev_io_start(loop, &w);
  ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(errors, 0);
  ck_assert_int_eq(reads, 1);
  ck_assert_int_eq(writes, 1);
  ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(reads, 2);
  ev_io_stop(loop, &w);
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ev_loop_destroy(loop);
  close(fd);
}
END_TEST

static int once_revents;

static void
once_cb(int revents, void *arg)
{
  (void)arg;
  once_revents = revents;
}

START_TEST(test_once_fd)
{
  struct ev_loop *loop = ev_loop_new(0);

  make_pair();
  once_revents = 0;
  ev_once(loop, sv[0], EV_READ, 30., once_cb, NULL);
  ck_assert_int_eq(write(sv[1], "q", 1), 1);
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ck_assert_int_eq(once_revents, EV_READ);
  ev_loop_destroy(loop);
  close_pair();
}
END_TEST

/* Many descriptors: the table grows under active watchers. */
START_TEST(test_io_many_fds)
{
  struct ev_loop *loop = ev_loop_new(0);
  enum { N = 100 };
  int fds[N][2], i;
  ev_io *ws = calloc(N, sizeof *ws);

  reset();
  ck_assert_ptr_nonnull(ws);
  for (i = 0; i < N; i++) {
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds[i]), 0);
    ev_io_init(&ws[i], io_cb, fds[i][0], EV_READ);
    ev_io_start(loop, &ws[i]);
    ck_assert_int_eq(write(fds[i][1], "m", 1), 1);
  }
  evtest_safety_start(loop, 10.);
  while (reads < N)
    ev_run(loop, EVRUN_ONCE);
  evtest_safety_stop(loop);
  for (i = 0; i < N; i++) {
    ev_io_stop(loop, &ws[i]);
    close(fds[i][0]);
    close(fds[i][1]);
  }
  ck_assert_int_eq(ev_run(loop, 0), 0);
  ev_loop_destroy(loop);
  free(ws);
}
END_TEST


static double
cpu_seconds(void)
{
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void
stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  (void)revents;
  (void)w;
  ev_break(loop, EVBREAK_ALL);
}

/* The loop sleeps while nothing is ready: waiting 0.2 s for a timer with
 * an idle socket watched costs (far) less than 0.1 s of CPU. */
START_TEST(test_loop_blocks)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_io r;
  ev_timer t;
  double cpu;
  char c;

  reset();
  make_pair();
  ck_assert_int_eq(write(sv[1], "x", 1), 1);
  ev_io_init(&r, io_cb, sv[0], EV_READ);
  ev_io_start(loop, &r);
  while (reads == 0)
    ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(read(sv[0], &c, 1), 1); /* drained: level reports end */
  ev_timer_init(&t, stop_timer_cb, 0.2, 0.);
  ev_timer_start(loop, &t);
  cpu = cpu_seconds();
  ev_run(loop, 0);
  ck_assert(cpu_seconds() - cpu < 0.1);
  ck_assert_int_le(reads, 2);
  ev_io_stop(loop, &r);
  ev_loop_destroy(loop);
  close_pair();
}
END_TEST


static void
restart_cb(struct ev_loop *loop, ev_io *w, int revents)
{
  int old = w->fd;

  (void)revents;
  reads++;
  /* Stop, close, and watch a new descriptor that takes the same number,
   * all inside one callback (a server closing a connection and accepting
   * the next one). */
  ev_io_stop(loop, w);
  close_pair();
  make_pair();
  ck_assert_int_eq(sv[0] == old || sv[1] == old, 1);
  ev_io_set(w, sv[0] == old ? sv[0] : sv[1], EV_READ);
  w->cb = io_cb;
  ev_io_start(loop, w);
}

START_TEST(test_io_fd_reused_after_close)
{
  struct ev_loop *loop = ev_loop_new(0);
  ev_io r;

  reset();
  make_pair();
  ev_io_init(&r, restart_cb, sv[0], EV_READ);
  ev_io_start(loop, &r);
  ck_assert_int_eq(write(sv[1], "1", 1), 1);
  evtest_safety_start(loop, 10.);
  while (reads == 0)
    ev_run(loop, EVRUN_ONCE);
  /* The new descriptor under the old number is watched for real. */
  ck_assert_int_eq(write(r.fd == sv[0] ? sv[1] : sv[0], "2", 1), 1);
  while (reads < 2)
    ev_run(loop, EVRUN_ONCE);
  ck_assert_int_eq(last, EV_READ);
  evtest_safety_stop(loop);
  ev_io_stop(loop, &r);
  ev_loop_destroy(loop);
  close_pair();
}
END_TEST

Suite *
evtest_io_suite(void)
{
  Suite *s = suite_create("evapi-io-" FUT_TEST_BACKEND);
  TCase *tc = tcase_create("io");

  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_io_level_triggered);
  tcase_add_test(tc, test_io_several_watchers_one_fd);
  tcase_add_test(tc, test_io_bad_fd);
  tcase_add_test(tc, test_io_regular_file_always_ready);
  tcase_add_test(tc, test_once_fd);
  tcase_add_test(tc, test_io_many_fds);
  tcase_add_test(tc, test_loop_blocks);
  tcase_add_test(tc, test_io_fd_reused_after_close);
  suite_add_tcase(s, tc);
  return s;
}
