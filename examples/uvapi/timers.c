/* SPDX-License-Identifier: MIT */
/*
 * timers: a plain libuv (1.44) program that prints the order in which the
 * loop runs its callbacks: idle, prepare and check handles over three
 * iterations, timers with equal timeouts (started in order, one stopped
 * by another's callback), a repeating timer that stops itself, the
 * repeat of uv_timer_again, uv_stop, an async handle woken from another
 * thread, an unreferenced timer, and close callbacks.
 *
 * Every line it prints is fixed by libuv's documented behaviour, never by
 * timing, so its output is the same on libuv and on any loop that
 * implements libuv's API (tests/uvapi/check-programs.sh compares them).
 *
 * Build: cc timers.c $(pkg-config --cflags --libs libuv) -pthread
 *   or   cc timers.c $(pkg-config --cflags --libs futures-uvapi futures-epoll) -pthread
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* Errors are reported with the errno name: on Unix libuv's UV_E* codes
 * are negated errno values. */
#define CHECK(expr)                                                        \
  do {                                                                     \
    int r_ = (expr);                                                       \
    if (r_ < 0) {                                                          \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #expr,        \
              strerror(-r_));                                              \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

static uv_loop_t loop;
static uv_idle_t idle;
static uv_prepare_t prepare;
static uv_check_t check;
static uv_timer_t ta, tb, tc, td;     /* equal timeouts */
static uv_timer_t repeat;             /* repeats, stops itself */
static uv_timer_t again, watchdog;    /* uv_timer_again */
static uv_timer_t stopper;            /* uv_stop */
static uv_timer_t background;         /* unreferenced */
static uv_async_t async;
static pthread_t thread;
static int thread_value;              /* written by the thread before it sends */
static int idle_n, prepare_n, check_n, repeat_n, stopper_n;

static void start_equal_timers(void);
static void start_repeat(void);
static void start_again(void);
static void start_stopper(void);
static void start_async(void);

/* ---- idle, prepare, check: three iterations ---------------------------- */

static void
on_idle(uv_idle_t *h)
{
  printf("idle %d\n", ++idle_n);
  if (idle_n == 3) {
    CHECK(uv_idle_stop(h));
    printf("idle stopped, active=%d\n", uv_is_active((uv_handle_t *)h));
    start_equal_timers();
  }
}

static void
on_prepare(uv_prepare_t *h)
{
  printf("prepare %d\n", ++prepare_n);
  if (prepare_n == 3)
    CHECK(uv_prepare_stop(h));
}

static void
on_check(uv_check_t *h)
{
  printf("check %d\n", ++check_n);
  if (check_n == 3)
    CHECK(uv_check_stop(h));
}

/* ---- equal timeouts: they run in the order they were started ----------- */

static void
on_equal(uv_timer_t *h)
{
  const char *name = h->data;
  printf("timer %s\n", name);
  if (h == &ta) {
    /* c is due now as well, but stopped before its turn: it never runs */
    CHECK(uv_timer_stop(&tc));
    printf("timer a stopped c, c active=%d\n", uv_is_active((uv_handle_t *)&tc));
  }
  if (h == &td)
    start_repeat();
}

static void
start_equal_timers(void)
{
  static char *names[] = {"a", "b", "c", "d"};
  uv_timer_t *t[] = {&ta, &tb, &tc, &td};
  for (int i = 0; i < 4; i++) {
    t[i]->data = names[i];
    CHECK(uv_timer_start(t[i], on_equal, 20, 0));
  }
  printf("started a, b, c, d with the same timeout\n");
}

/* ---- a repeating timer that stops itself -------------------------------- */

static void
on_repeat(uv_timer_t *h)
{
  printf("repeat %d (repeat=%llu)\n", ++repeat_n,
         (unsigned long long)uv_timer_get_repeat(h));
  if (repeat_n == 3) {
    CHECK(uv_timer_stop(h));
    printf("repeat stopped, active=%d\n", uv_is_active((uv_handle_t *)h));
    start_again();
  }
}

static void
start_repeat(void)
{
  CHECK(uv_timer_start(&repeat, on_repeat, 5, 5));
}

/* ---- uv_timer_again: restart with the repeat as the timeout ------------- */

static void
on_watchdog(uv_timer_t *h)
{
  (void)h;
  printf("watchdog fired: uv_timer_again did not restart the timer\n");
  exit(1);
}

static void
on_again(uv_timer_t *h)
{
  printf("again fired before the watchdog, repeat=%llu\n",
         (unsigned long long)uv_timer_get_repeat(h));
  CHECK(uv_timer_stop(h));
  CHECK(uv_timer_stop(&watchdog));
  start_stopper();
}

static void
start_again(void)
{
  int r = uv_timer_again(&again);
  printf("uv_timer_again on a timer never started: %s\n",
         r == UV_EINVAL ? "UV_EINVAL" : "unexpected");
  /* Due in 10 s; uv_timer_again makes it due in 10 ms. */
  CHECK(uv_timer_start(&again, on_again, 10000, 0));
  uv_timer_set_repeat(&again, 10);
  CHECK(uv_timer_again(&again));
  CHECK(uv_timer_start(&watchdog, on_watchdog, 5000, 0));
}

/* ---- uv_stop: uv_run returns early, a second uv_run goes on ------------- */

static void
on_stopper(uv_timer_t *h)
{
  printf("stopper %d\n", ++stopper_n);
  if (stopper_n == 2)
    uv_stop(&loop);
  if (stopper_n == 3) {
    CHECK(uv_timer_stop(h));
    start_async();
  }
}

static void
start_stopper(void)
{
  CHECK(uv_timer_start(&stopper, on_stopper, 1, 1));
}

/* ---- async from another thread ------------------------------------------ */

static void *
thread_main(void *arg)
{
  (void)arg;
  thread_value = 42;
  CHECK(uv_async_send(&async));
  return NULL;
}

static void on_async_closed(uv_handle_t *h);

static void
on_async(uv_async_t *h)
{
  printf("async callback, value from the thread=%d\n", thread_value);
  uv_close((uv_handle_t *)h, on_async_closed);
  printf("async closing=%d\n", uv_is_closing((uv_handle_t *)h));
}

static void
start_async(void)
{
  CHECK(uv_async_init(&loop, &async, on_async));
  if (pthread_create(&thread, NULL, thread_main, NULL) != 0) {
    fprintf(stderr, "pthread_create failed\n");
    exit(1);
  }
}

/* ---- close callbacks, one after the other -------------------------------- */

static uv_handle_t *close_chain[] = {
  (uv_handle_t *)&idle, (uv_handle_t *)&prepare, (uv_handle_t *)&check,
  (uv_handle_t *)&ta, (uv_handle_t *)&tb, (uv_handle_t *)&tc,
  (uv_handle_t *)&td, (uv_handle_t *)&repeat, (uv_handle_t *)&again,
  (uv_handle_t *)&watchdog, (uv_handle_t *)&stopper,
};
static size_t close_next;

static void
on_closed(uv_handle_t *h)
{
  printf("closed %s\n", uv_handle_type_name(uv_handle_get_type(h)));
  if (close_next < sizeof close_chain / sizeof close_chain[0])
    uv_close(close_chain[close_next++], on_closed);
}

static void
on_async_closed(uv_handle_t *h)
{
  printf("closed %s (async)\n", uv_handle_type_name(uv_handle_get_type(h)));
  if (pthread_join(thread, NULL) != 0)
    exit(1);
  /* The other handles close one by one, each from the previous one's
   * close callback (libuv documents no order among handles closed in
   * the same iteration). */
  uv_close(close_chain[close_next++], on_closed);
}

static void
on_background(uv_timer_t *h)
{
  (void)h;
  printf("background timer fired: an unreferenced timer kept the loop alive\n");
}

static void
on_background_closed(uv_handle_t *h)
{
  printf("closed the unreferenced %s\n",
         uv_handle_type_name(uv_handle_get_type(h)));
}

static void
count_handle(uv_handle_t *h, void *arg)
{
  (void)h;
  ++*(int *)arg;
}

int
main(void)
{
  CHECK(uv_loop_init(&loop));
  printf("loop alive before any handle: %d\n", uv_loop_alive(&loop));

  uv_timer_t *timers[] = {&ta, &tb, &tc, &td, &repeat, &again, &watchdog,
                          &stopper, &background};
  for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++)
    CHECK(uv_timer_init(&loop, timers[i]));
  CHECK(uv_idle_init(&loop, &idle));
  CHECK(uv_prepare_init(&loop, &prepare));
  CHECK(uv_check_init(&loop, &check));

  int r = uv_idle_start(&idle, NULL);
  printf("uv_idle_start with no callback: %s\n",
         r == UV_EINVAL ? "UV_EINVAL" : "unexpected");
  CHECK(uv_idle_start(&idle, on_idle));
  CHECK(uv_prepare_start(&prepare, on_prepare));
  CHECK(uv_check_start(&check, on_check));

  /* An unreferenced timer: active, but uv_run does not wait for it. */
  CHECK(uv_timer_start(&background, on_background, 60000, 0));
  uv_unref((uv_handle_t *)&background);
  printf("background: active=%d has_ref=%d\n",
         uv_is_active((uv_handle_t *)&background),
         uv_has_ref((uv_handle_t *)&background));

  int n = 0;
  uv_walk(&loop, count_handle, &n);
  printf("handles: %d\n", n);

  r = uv_run(&loop, UV_RUN_DEFAULT);
  printf("uv_run returned after uv_stop: %s\n", r != 0 ? "nonzero" : "0");
  r = uv_run(&loop, UV_RUN_DEFAULT);
  printf("uv_run returned: %d\n", r);

  r = uv_loop_close(&loop);
  printf("uv_loop_close with the unreferenced timer open: %s\n",
         r == UV_EBUSY ? "UV_EBUSY" : "unexpected");
  uv_close((uv_handle_t *)&background, on_background_closed);
  r = uv_run(&loop, UV_RUN_DEFAULT);
  printf("uv_run returned: %d\n", r);
  n = 0;
  uv_walk(&loop, count_handle, &n);
  printf("handles: %d\n", n);
  r = uv_loop_close(&loop);
  printf("uv_loop_close: %d\n", r);
  return r == 0 ? 0 : 1;
}
