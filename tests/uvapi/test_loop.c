/* SPDX-License-Identifier: MIT */
/* tests/uvapi: the loop, handles in general, timers, idle/prepare/check,
 * async: libuv's documented callback order, return values, error codes. */
#include "uvtest.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The callback-order recorder of main.c, by short names. */
#define order uvtest_order
#define order_len uvtest_order_len
#define note uvtest_note
#define reset_order uvtest_reset_order

START_TEST(test_backend_linked)
{
  uv_loop_t loop;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_str_eq(fut_runtime_backend_name(&loop.kit_.rt), FUT_TEST_BACKEND);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
  ck_assert_int_eq(uv_loop_init(NULL), UV_EINVAL);
  ck_assert_uint_eq(uv_loop_size(), sizeof(uv_loop_t));
}
END_TEST

START_TEST(test_empty_run)
{
  uv_loop_t loop;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_loop_alive(&loop), 0);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_ONCE), 0);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ck_assert_int_eq(uv_backend_timeout(&loop), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static void
timer_note_cb(uv_timer_t *t)
{
  note(*(const char *)t->data);
}

static void
timer_note_stop_cb(uv_timer_t *t)
{
  note(*(const char *)t->data);
  uv_timer_stop(t);
}

START_TEST(test_timer_order)
{
  uv_loop_t loop;
  uv_timer_t t[5];
  static const char names[] = "abcde";
  /* equal timeouts fire in start order; a shorter one first */
  static const uint64_t timeouts[] = { 5, 5, 1, 5, 0 };
  int i;

  reset_order();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  for (i = 0; i < 5; i++) {
    ck_assert_int_eq(uv_timer_init(&loop, &t[i]), 0);
    t[i].data = (void *)&names[i];
    ck_assert_int_eq(uv_timer_start(&t[i], timer_note_cb, timeouts[i], 0), 0);
    ck_assert_int_ne(uv_is_active((uv_handle_t *)&t[i]), 0);
  }
  uvtest_run(&loop, 10000);
  ck_assert_str_eq(order, "ecabd");
  for (i = 0; i < 5; i++)
    ck_assert_int_eq(uv_is_active((uv_handle_t *)&t[i]), 0);
  /* uv_timer_again (a restart with the repeat) and uv_timer_start on an
   * active timer start it anew: behind the others of the same due */
  reset_order();
  for (i = 0; i < 4; i++)
    ck_assert_int_eq(uv_timer_start(&t[i], timer_note_stop_cb, 5, 5), 0);
  ck_assert_int_eq(uv_timer_again(&t[0]), 0);
  ck_assert_int_eq(uv_timer_start(&t[1], timer_note_stop_cb, 5, 5), 0);
  uvtest_run(&loop, 10000);
  ck_assert_str_eq(order, "cdab");
  uvtest_close_loop(&loop);
}
END_TEST

static int repeat_count;

static void
repeat_cb(uv_timer_t *t)
{
  if (++repeat_count == 3) {
    ck_assert_int_eq(uv_timer_get_repeat(t), 2);
    uv_timer_stop(t);
  }
}

START_TEST(test_timer_repeat_stop_again)
{
  uv_loop_t loop;
  uv_timer_t t;

  repeat_count = 0;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_timer_init(&loop, &t), 0);
  /* again before any start: no callback known */
  ck_assert_int_eq(uv_timer_again(&t), UV_EINVAL);
  ck_assert_int_eq(uv_timer_start(&t, NULL, 1, 0), UV_EINVAL);
  ck_assert_int_eq(uv_timer_start(&t, repeat_cb, 1, 2), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(repeat_count, 3);
  /* again restarts a repeating timer with its repeat as timeout */
  ck_assert_int_eq(uv_timer_again(&t), 0);
  ck_assert_int_ne(uv_is_active((uv_handle_t *)&t), 0);
  ck_assert_uint_le(uv_timer_get_due_in(&t), 2);
  uv_timer_set_repeat(&t, 0);
  repeat_count = 0;
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(repeat_count, 1);
  /* again on a non-repeating timer does nothing */
  ck_assert_int_eq(uv_timer_again(&t), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&t), 0);
  ck_assert_int_eq(uv_timer_stop(&t), 0);
  uvtest_close_loop(&loop);
}
END_TEST

START_TEST(test_timer_due_in_and_huge)
{
  uv_loop_t loop;
  uv_timer_t t;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_timer_init(&loop, &t), 0);
  ck_assert_int_eq(uv_timer_start(&t, timer_note_cb, 1000, 0), 0);
  ck_assert_uint_eq(uv_timer_get_due_in(&t), 1000);
  ck_assert_int_eq(uv_backend_timeout(&loop), 1000);
  /* a timeout that overflows is clamped, never wraps into the past */
  ck_assert_int_eq(uv_timer_start(&t, timer_note_cb, UINT64_MAX, 0), 0);
  ck_assert_uint_ge(uv_timer_get_due_in(&t), UINT64_MAX / 2);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_NOWAIT), 1);
  uv_close((uv_handle_t *)&t, NULL);
  /* closing: a restart is refused */
  ck_assert_int_eq(uv_timer_start(&t, timer_note_cb, 1, 0), UV_EINVAL);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static uv_timer_t zero_timers[2];

static void
zero_timer_cb(uv_timer_t *t)
{
  note(t == &zero_timers[0] ? 'A' : 'B');
  if (t == &zero_timers[0])
    uv_timer_start(&zero_timers[1], zero_timer_cb, 0, 0);
}

START_TEST(test_timer_zero_from_callback)
{
  uv_loop_t loop;

  reset_order();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &zero_timers[0]);
  uv_timer_init(&loop, &zero_timers[1]);
  uv_timer_start(&zero_timers[0], zero_timer_cb, 0, 0);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_ONCE), 0);
  ck_assert_str_eq(order, "AB");
  uvtest_close_loop(&loop);
}
END_TEST

static uv_idle_t phase_idle[2];
static uv_prepare_t phase_prepare;
static uv_check_t phase_check;
static int phase_iterations;

static void idle_cb(uv_idle_t *h) { note(h == &phase_idle[0] ? 'i' : 'j'); }
static void prepare_cb(uv_prepare_t *h) { (void)h; note('p'); }

static void
check_cb(uv_check_t *h)
{
  note('c');
  if (++phase_iterations == 2) {
    uv_idle_stop(&phase_idle[0]);
    uv_idle_stop(&phase_idle[1]);
    uv_prepare_stop(&phase_prepare);
    uv_check_stop(h);
  }
}

START_TEST(test_phase_order)
{
  uv_loop_t loop;

  reset_order();
  phase_iterations = 0;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  uv_check_init(&loop, &phase_check);
  uv_prepare_init(&loop, &phase_prepare);
  uv_idle_init(&loop, &phase_idle[0]);
  uv_idle_init(&loop, &phase_idle[1]);
  ck_assert_int_eq(uv_idle_start(&phase_idle[0], NULL), UV_EINVAL);
  ck_assert_int_eq(uv_check_start(&phase_check, check_cb), 0);
  ck_assert_int_eq(uv_prepare_start(&phase_prepare, prepare_cb), 0);
  ck_assert_int_eq(uv_idle_start(&phase_idle[0], idle_cb), 0);
  ck_assert_int_eq(uv_idle_start(&phase_idle[1], idle_cb), 0);
  /* idempotent */
  ck_assert_int_eq(uv_idle_start(&phase_idle[1], idle_cb), 0);
  ck_assert_int_eq(loop.active_handles, 4);
  /* an active idle handle: the poll must not block */
  ck_assert_int_eq(uv_backend_timeout(&loop), 0);
  uvtest_run(&loop, 10000);
  /* idle, prepare, (poll), check; the later-started idle handle first */
  ck_assert_str_eq(order, "jipcjipc");
  ck_assert_int_eq(uv_idle_stop(&phase_idle[0]), 0);
  uvtest_close_loop(&loop);
}
END_TEST

static void
close_note_cb(uv_handle_t *h)
{
  note(*(const char *)h->data);
}

static uv_timer_t close_timer;
static uv_check_t close_check;

static void
close_from_timer_cb(uv_timer_t *t)
{
  note('t');
  uv_close((uv_handle_t *)t, close_note_cb);
  ck_assert_int_ne(uv_is_closing((uv_handle_t *)t), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)t), 0);
  note('u'); /* the close callback has not run yet */
}

static void
close_check_cb(uv_check_t *c)
{
  note('c');
  uv_check_stop(c);
}

START_TEST(test_close_callbacks)
{
  uv_loop_t loop;
  uv_idle_t a, b;
  static const char x[] = "x", y[] = "y", z[] = "z";

  reset_order();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  uv_idle_init(&loop, &a);
  uv_idle_init(&loop, &b);
  a.data = (void *)x;
  b.data = (void *)y;
  uv_close((uv_handle_t *)&a, close_note_cb);
  uv_close((uv_handle_t *)&b, close_note_cb);
  ck_assert_str_eq(order, ""); /* never from uv_close() itself */
  ck_assert_int_ne(uv_loop_alive(&loop), 0); /* closing handles keep it alive */
  ck_assert_int_eq(uv_loop_close(&loop), UV_EBUSY);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ck_assert_str_eq(order, "yx"); /* as libuv: the last closed first */

  /* from a callback: in the same iteration's close phase, after check */
  reset_order();
  uv_timer_init(&loop, &close_timer);
  close_timer.data = (void *)z;
  uv_check_init(&loop, &close_check);
  uv_check_start(&close_check, close_check_cb);
  uv_timer_start(&close_timer, close_from_timer_cb, 0, 0);
  uvtest_run(&loop, 10000);
  ck_assert_str_eq(order, "tucz");
  uvtest_close_loop(&loop);
}
END_TEST

START_TEST(test_ref_unref)
{
  uv_loop_t loop;
  uv_timer_t t;

  reset_order();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  ck_assert_int_ne(uv_has_ref((uv_handle_t *)&t), 0);
  t.data = (void *)"r";
  uv_timer_start(&t, timer_note_cb, 50, 0);
  uv_unref((uv_handle_t *)&t);
  uv_unref((uv_handle_t *)&t); /* idempotent */
  ck_assert_int_eq(uv_has_ref((uv_handle_t *)&t), 0);
  ck_assert_int_eq(loop.active_handles, 0);
  ck_assert_int_eq(uv_loop_alive(&loop), 0);
  /* an unreferenced timer does not keep the loop running */
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_str_eq(order, "");
  uv_ref((uv_handle_t *)&t);
  uv_ref((uv_handle_t *)&t);
  ck_assert_int_eq(loop.active_handles, 1);
  uvtest_run(&loop, 10000);
  ck_assert_str_eq(order, "r");
  uvtest_close_loop(&loop);
}
END_TEST

static void
stop_cb(uv_timer_t *t)
{
  note('s');
  uv_stop(t->loop);
}

START_TEST(test_run_modes)
{
  uv_loop_t loop;
  uv_timer_t t, t2;

  reset_order();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  uv_timer_init(&loop, &t2);
  t2.data = (void *)"2";
  uv_timer_start(&t, stop_cb, 1, 1);
  /* NOWAIT does not block: the 1 ms timer is not due yet, or just due */
  ck_assert_int_eq(uv_run(&loop, UV_RUN_NOWAIT), 1);
  /* DEFAULT stopped by uv_stop(): returns nonzero (still alive) */
  ck_assert_int_ne(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_ge((int)order_len, 1);
  uv_timer_stop(&t);
  /* ONCE blocks until the timer is due and runs it */
  reset_order();
  uv_timer_start(&t2, timer_note_cb, 20, 0);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_ONCE), 0);
  ck_assert_str_eq(order, "2");
  /* a stop before run: it returns at once, still alive, flag cleared */
  uv_timer_start(&t2, timer_note_cb, 10000, 0);
  uv_stop(&loop);
  ck_assert_int_ne(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(loop.stop_flag, 0);
  uvtest_close_loop(&loop);
}
END_TEST

static void
reenter_cb(uv_timer_t *t)
{
  ck_assert_int_eq(uv_run(t->loop, UV_RUN_NOWAIT), UV_EBUSY);
  ck_assert_int_eq(uv_loop_close(t->loop), UV_EBUSY);
  note('e');
}

START_TEST(test_reentrant_run)
{
  uv_loop_t loop;
  uv_timer_t t;

  reset_order();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, reenter_cb, 0, 0);
  uvtest_run(&loop, 10000);
  ck_assert_str_eq(order, "e");
  uvtest_close_loop(&loop);
}
END_TEST

static void
walk_count_cb(uv_handle_t *h, void *arg)
{
  (void)h;
  (*(int *)arg)++;
}

START_TEST(test_walk_and_names)
{
  uv_loop_t loop;
  uv_timer_t t;
  uv_idle_t i;
  uv_async_t a;
  int n = 0;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  uv_idle_init(&loop, &i);
  ck_assert_int_eq(uv_async_init(&loop, &a, NULL), 0);
  uv_walk(&loop, walk_count_cb, &n);
  ck_assert_int_eq(n, 3);
  ck_assert_int_eq(uv_loop_close(&loop), UV_EBUSY);
  ck_assert_str_eq(uv_handle_type_name(UV_TIMER), "timer");
  ck_assert_str_eq(uv_handle_type_name(UV_NAMED_PIPE), "pipe");
  ck_assert_ptr_null(uv_handle_type_name(UV_UNKNOWN_HANDLE));
  ck_assert_uint_eq(uv_handle_size(UV_TIMER), sizeof(uv_timer_t));
  ck_assert_uint_eq(uv_handle_size(UV_TCP), sizeof(uv_tcp_t));
  ck_assert_uint_eq(uv_handle_size(UV_HANDLE_TYPE_MAX), (size_t)-1);
  ck_assert_uint_eq(uv_req_size(UV_WRITE), sizeof(uv_write_t));
  ck_assert_uint_eq(uv_req_size(UV_FS), sizeof(uv_fs_t));
  ck_assert_str_eq(uv_req_type_name(UV_GETADDRINFO), "getaddrinfo");
  ck_assert_ptr_null(uv_req_type_name(UV_REQ_TYPE_MAX));
  ck_assert_int_eq(uv_handle_get_type((uv_handle_t *)&t), UV_TIMER);
  ck_assert_ptr_eq(uv_handle_get_loop((uv_handle_t *)&t), &loop);
  uv_handle_set_data((uv_handle_t *)&t, &n);
  ck_assert_ptr_eq(uv_handle_get_data((uv_handle_t *)&t), &n);
  uv_loop_set_data(&loop, &n);
  ck_assert_ptr_eq(uv_loop_get_data(&loop), &n);
  {
    uv_os_fd_t fd;
    ck_assert_int_eq(uv_fileno((uv_handle_t *)&t, &fd), UV_EINVAL);
  }
  uvtest_close_loop(&loop);
}
END_TEST

START_TEST(test_default_loop)
{
  uv_loop_t *l = uv_default_loop();

  ck_assert_ptr_nonnull(l);
  ck_assert_ptr_eq(uv_default_loop(), l);
  ck_assert_int_eq(uv_run(l, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(l), 0);
  /* a closed default loop is made again on the next call */
  ck_assert_ptr_nonnull(uv_default_loop());
  ck_assert_int_eq(uv_loop_close(uv_default_loop()), 0);
}
END_TEST

START_TEST(test_loop_new_delete)
{
  uv_loop_t *loop = uv_loop_new();
  uv_timer_t *t;

  ck_assert_ptr_nonnull(loop);
  t = malloc(sizeof *t);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(uv_timer_init(loop, t), 0);
  /* a handle still open: delete leaves the loop alone */
  uv_loop_delete(loop);
  ck_assert_int_eq(uv_run(loop, UV_RUN_NOWAIT), 0);
  uv_close((uv_handle_t *)t, NULL);
  ck_assert_int_eq(uv_run(loop, UV_RUN_DEFAULT), 0);
  free(t);
  uv_loop_delete(loop); /* closed and freed (valgrind and ASan check it) */
  uv_loop_delete(NULL);
  /* the default loop: closed, not freed */
  uv_loop_delete(uv_default_loop());
}
END_TEST

START_TEST(test_configure)
{
  uv_loop_t loop;
  uv_timer_t t;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_loop_configure(&loop, UV_LOOP_BLOCK_SIGNAL, SIGINT), UV_EINVAL);
  ck_assert_int_eq(uv_loop_configure(&loop, UV_LOOP_BLOCK_SIGNAL, SIGPROF), 0);
  ck_assert_int_eq(uv_loop_configure(&loop, UV_METRICS_IDLE_TIME), 0);
  ck_assert_int_eq(uv_loop_configure(&loop, (uv_loop_option)99), UV_ENOSYS);
  ck_assert_uint_eq(uv_metrics_idle_time(&loop), 0);
  uv_timer_init(&loop, &t);
  t.data = (void *)"m";
  uv_timer_start(&t, timer_note_cb, 20, 0);
  reset_order();
  uvtest_run(&loop, 10000);
  ck_assert_str_eq(order, "m");
  /* it waited for the timer: some of that wait is counted as idle */
  ck_assert_uint_gt(uv_metrics_idle_time(&loop), 0);
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- async ------------------------------------------------------------- */

struct async_ctx {
  uv_async_t async;
  int calls;
  int target;
  pthread_t loop_thread;
  volatile int sent;
};

static void
async_cb(uv_async_t *h)
{
  struct async_ctx *c = h->data;

  ck_assert(pthread_equal(pthread_self(), c->loop_thread));
  c->calls++;
  if (__atomic_load_n(&c->sent, __ATOMIC_SEQ_CST) >= c->target)
    uv_close((uv_handle_t *)h, NULL);
}

static void *
async_sender(void *arg)
{
  struct async_ctx *c = arg;
  int i;

  for (i = 0; i < c->target; i++) {
    __atomic_store_n(&c->sent, i + 1, __ATOMIC_SEQ_CST);
    ck_assert_int_eq(uv_async_send(&c->async), 0);
  }
  return NULL;
}

START_TEST(test_async_threads)
{
  uv_loop_t loop;
  struct async_ctx c;
  pthread_t th;

  memset(&c, 0, sizeof c);
  c.target = 10000;
  c.loop_thread = pthread_self();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_async_init(&loop, &c.async, async_cb), 0);
  c.async.data = &c;
  ck_assert_int_ne(uv_is_active((uv_handle_t *)&c.async), 0);
  ck_assert_int_eq(pthread_create(&th, NULL, async_sender, &c), 0);
  uvtest_run(&loop, 30000);
  pthread_join(th, NULL);
  /* merged: at least one call, at most one per send */
  ck_assert_int_ge(c.calls, 1);
  ck_assert_int_le(c.calls, c.target);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static int async_same_calls;

static void
async_same_cb(uv_async_t *h)
{
  async_same_calls++;
  uv_close((uv_handle_t *)h, NULL);
}

START_TEST(test_async_coalesce)
{
  uv_loop_t loop;
  uv_async_t a;
  int i;

  async_same_calls = 0;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_async_init(&loop, &a, async_same_cb), 0);
  for (i = 0; i < 5; i++)
    ck_assert_int_eq(uv_async_send(&a), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(async_same_calls, 1);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(test_async_unref_and_close_pending)
{
  uv_loop_t loop;
  uv_async_t a;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_async_init(&loop, &a, async_same_cb), 0);
  uv_unref((uv_handle_t *)&a);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  /* a send then a close before the loop ran: no callback, no leak */
  uv_async_send(&a);
  async_same_calls = 0;
  uv_close((uv_handle_t *)&a, NULL);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(async_same_calls, 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(test_bad_input)
{
  ck_assert_int_eq(uv_timer_init(NULL, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_timer_start(NULL, timer_note_cb, 0, 0), UV_EINVAL);
  ck_assert_int_eq(uv_idle_start(NULL, idle_cb), UV_EINVAL);
  ck_assert_int_eq(uv_async_send(NULL), UV_EINVAL);
  ck_assert_int_eq(uv_run(NULL, UV_RUN_DEFAULT), UV_EINVAL);
  ck_assert_int_eq(uv_loop_close(NULL), UV_EINVAL);
  ck_assert_int_eq(uv_cancel(NULL), UV_EINVAL);
  uv_close(NULL, NULL);
}
END_TEST

/* ---- uv_loop_fork ------------------------------------------------------------ */

/* A pipe handle reading one end of a socket pair, a timer and an async
 * handle, all made before the fork; the child (a grandchild of Check's
 * runner: it _exits with the failing line, never returns into Check)
 * calls uv_loop_fork() and sees each of them work; the parent's loop
 * works afterwards. */
static struct {
  uv_pipe_t pipe;
  uv_timer_t timer;
  uv_async_t async;
  uv_fs_event_t fsev;
  uv_timer_t guard;        /* the parent's wait ends after it, failing */
  int guard_fired;
  char got[8];
  size_t ngot;
  int timer_fired, async_calls;
  char dir[64];
  char seen[64];           /* the names fs_event reported, one letter each */
} fk;

#define FORK_CHECK(cond)                                                  \
  do {                                                                    \
    if (!(cond))                                                          \
      _exit(__LINE__ % 250 + 1);                                          \
  } while (0)

static void
fork_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
  static char mem[64];

  (void)h;
  (void)size;
  *buf = uv_buf_init(mem, sizeof mem);
}

static void
fork_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
  if (n > 0 && fk.ngot + (size_t)n <= sizeof fk.got) {
    memcpy(fk.got + fk.ngot, buf->base, (size_t)n);
    fk.ngot += (size_t)n;
  }
  if (n != 0)
    uv_read_stop(s);
}

static void
fork_timer(uv_timer_t *t)
{
  (void)t;
  fk.timer_fired++;
}

static void
fork_guard(uv_timer_t *t)
{
  (void)t;
  fk.guard_fired = 1;
}

static void
fork_async(uv_async_t *a)
{
  (void)a;
  fk.async_calls++;
}

static void
fork_fsev(uv_fs_event_t *h, const char *name, int events, int status)
{
  size_t n = strlen(fk.seen);

  (void)h;
  (void)events;
  if (status == 0 && name != NULL && strlen(name) == 1 &&
      strchr(fk.seen, name[0]) == NULL && n < sizeof fk.seen - 1) {
    fk.seen[n] = name[0];
    fk.seen[n + 1] = '\0';
  }
}

/* Create file @name in fk.dir. */
static int
fork_touch(const char *name)
{
  char path[96];
  int fd;

  snprintf(path, sizeof path, "%s/%s", fk.dir, name);
  fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  close(fd);
  return 0;
}

static void
fork_rm(const char *name)
{
  char path[96];

  snprintf(path, sizeof path, "%s/%s", fk.dir, name);
  (void)unlink(path);
}

static void *
fork_sender(void *arg)
{
  usleep(20000);
  (void)uv_async_send(arg);
  return NULL;
}

static void
fork_child(uv_loop_t *loop, int peer)
{
  pthread_t th;
  int i;

  alarm(20);
  FORK_CHECK(uv_loop_fork(loop) == 0);
  FORK_CHECK(write(peer, "c", 1) == 1);
  FORK_CHECK(fork_touch("c") == 0);
  FORK_CHECK(pthread_create(&th, NULL, fork_sender, &fk.async) == 0);
  for (i = 0; i < 500 && (fk.ngot == 0 || !fk.timer_fired ||
                          fk.async_calls == 0 || fk.seen[0] == '\0'); i++)
    (void)uv_run(loop, UV_RUN_ONCE);
  /* The fs_event handle watches on the child's own inotify descriptor. */
  FORK_CHECK(strcmp(fk.seen, "c") == 0);
  FORK_CHECK(pthread_join(th, NULL) == 0);
  FORK_CHECK(fk.ngot == 1 && fk.got[0] == 'c');
  FORK_CHECK(fk.timer_fired == 1);
  FORK_CHECK(fk.async_calls >= 1);
  /* Close the reading handle here: that must not reach the parent's
   * registration. */
  uv_close((uv_handle_t *)&fk.pipe, NULL);
  uv_close((uv_handle_t *)&fk.fsev, NULL);
  (void)uv_run(loop, UV_RUN_NOWAIT);
  _exit(0);
}

START_TEST(test_loop_fork)
{
  uv_loop_t loop;
  int sv[2], status;
  pid_t pid;

  memset(&fk, 0, sizeof fk);
  ck_assert_int_eq(uv_loop_fork(NULL), UV_EINVAL);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &fk.pipe, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&fk.pipe, sv[0]), 0);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&fk.pipe, fork_alloc,
                                 fork_read),
                   0);
  ck_assert_int_eq(uv_timer_init(&loop, &fk.timer), 0);
  ck_assert_int_eq(uv_timer_start(&fk.timer, fork_timer, 30, 0), 0);
  ck_assert_int_eq(uv_async_init(&loop, &fk.async, fork_async), 0);
  strcpy(fk.dir, "/tmp/uvtest-fork-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(fk.dir));
  ck_assert_int_eq(uv_fs_event_init(&loop, &fk.fsev), 0);
  ck_assert_int_eq(uv_fs_event_start(&fk.fsev, fork_fsev, fk.dir, 0), 0);
  /* One round, so that the read is registered before the fork. */
  ck_assert_int_eq(uv_run(&loop, UV_RUN_NOWAIT), 1);

  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0)
    fork_child(&loop, sv[1]);
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "child failed: status %#x (exit code: line %% 250 + 1)",
                (unsigned int)status);

  /* The parent's loop: its timer fires, its read sees its own byte, its
   * fs_event handle sees the child's file too (the child read its own
   * inotify descriptor, not the parent's) and then its own. */
  ck_assert_int_eq(fk.ngot, 0);
  ck_assert_int_eq(write(sv[1], "p", 1), 1);
  ck_assert_int_eq(fork_touch("p"), 0);
  ck_assert_int_eq(uv_timer_init(&loop, &fk.guard), 0);
  ck_assert_int_eq(uv_timer_start(&fk.guard, fork_guard, 10000, 0), 0);
  while ((fk.ngot == 0 || !fk.timer_fired || strlen(fk.seen) < 2) &&
         !fk.guard_fired)
    ck_assert_int_ne(uv_run(&loop, UV_RUN_ONCE), 0);
  ck_assert_str_eq(fk.seen, "cp");
  ck_assert_int_eq(uv_fs_event_stop(&fk.fsev), 0);
  fork_rm("c");
  fork_rm("p");
  ck_assert_int_eq(rmdir(fk.dir), 0);
  ck_assert_int_eq(fk.ngot, 1);
  ck_assert_int_eq(fk.got[0], 'p');
  ck_assert_int_eq(fk.async_calls, 0);
  close(sv[1]);
  uvtest_close_loop(&loop);
}
END_TEST

Suite *
uvtest_loop_suite(void)
{
  Suite *s = suite_create("uv-loop");
  TCase *tc = tcase_create("loop");

  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_backend_linked);
  tcase_add_test(tc, test_empty_run);
  tcase_add_test(tc, test_timer_order);
  tcase_add_test(tc, test_timer_repeat_stop_again);
  tcase_add_test(tc, test_timer_due_in_and_huge);
  tcase_add_test(tc, test_timer_zero_from_callback);
  tcase_add_test(tc, test_phase_order);
  tcase_add_test(tc, test_close_callbacks);
  tcase_add_test(tc, test_ref_unref);
  tcase_add_test(tc, test_run_modes);
  tcase_add_test(tc, test_reentrant_run);
  tcase_add_test(tc, test_walk_and_names);
  tcase_add_test(tc, test_default_loop);
  tcase_add_test(tc, test_loop_new_delete);
  tcase_add_test(tc, test_configure);
  tcase_add_test(tc, test_async_threads);
  tcase_add_test(tc, test_async_coalesce);
  tcase_add_test(tc, test_async_unref_and_close_pending);
  tcase_add_test(tc, test_bad_input);
  tcase_add_test(tc, test_loop_fork);
  suite_add_tcase(s, tc);
  return s;
}
