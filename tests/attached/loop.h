/* SPDX-License-Identifier: MIT */
/* The loop adapter: the little of libuv, libevent or libev that the
 * attached-mode suite (attached.c) needs, implemented once per loop in
 * loop_uv.c, loop_event.c and loop_ev.c. */
#ifndef FUTURES_TESTS_ATTACHED_LOOP_H
#define FUTURES_TESTS_ATTACHED_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include <futures.h>
#include <futures/backend.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The program's own loop, as a program would create and run it. */
struct tloop;

/* One of the program's own watchers on that loop: a timer, a descriptor
 * watcher, an idle callback or a wake-up another thread can send. */
struct tloop_watch;

typedef void (*tloop_fn)(void *arg);

/* fut_block_on() from inside one of the program's callbacks. */
enum tloop_nested {
    TLOOP_NESTED_UNDEFINED, /* not allowed (libuv: uv_run() is not
                             * reentrant), so not tried */
    TLOOP_NESTED_REFUSED,   /* -EBUSY: libevent's running loop cannot be
                             * entered again (and it logs a warning) */
    TLOOP_NESTED_RUNS,      /* works, the loop runs nested (libev) */
};

/* What tells the loops apart, where the suite must know. */
struct tloop_caps {
    const char *name; /* fut_runtime_backend_name() of the runtime */
    /* A full run (tloop_run()) returns by itself once nothing holds a
     * reference, and an attached runtime holds one only while it has
     * work (libuv, libev). libevent's dispatch runs while any event is
     * added, and the runtime's doorbell always is. */
    int ends_when_idle;
    /* Registering a descriptor the program already watches fails with
     * -EEXIST (libuv); the others allow several watchers per descriptor. */
    int one_watcher_per_fd;
    /* tloop_new(TLOOP_LEVEL) makes a level-triggered loop that differs
     * from the default one (libevent on poll(2): the default is EV_ET). */
    int has_level_variant;
    /* How much tloop_count() grows when a runtime attaches. */
    size_t attach_count;
    /* How many times per iteration the runtime's hooks run tasks, each
     * time at most event_interval (61) polls: libev runs them from its
     * prepare and from its check hook. */
    int task_runs_per_iteration;
    /* tloop_iterations() counts the loop's iterations. */
    int counts_iterations;
    /* What fut_block_on() does from inside one of the program's
     * callbacks, and how many warnings the loop library logs then. */
    enum tloop_nested block_on_in_callback;
    int block_on_in_callback_warnings;
};

extern const struct tloop_caps tloop_caps;

/* fut_backend_uv() and friends. */
const struct fut_backend_vtable *tloop_backend(void);

enum tloop_flags {
    TLOOP_LEVEL = 1u << 0,      /* level-triggered readiness */
    TLOOP_PRIORITIES = 1u << 1, /* priorities configured (libevent: 3) */
};

/* Create the program's loop (a failure fails the test). */
struct tloop *tloop_new(unsigned flags);
/* Finish what the loop still closes, check that nothing is left in it
 * and close it. Every watcher must have been freed before. */
void tloop_free(struct tloop *l);
/* The loop itself: uv_loop_t *, struct event_base *, struct ev_loop *. */
void *tloop_native(struct tloop *l);
/* fut_uv_attach(), fut_event_attach(), fut_ev_attach(). */
int tloop_attach(struct fut_runtime *rt, struct tloop *l);
/* After fut_runtime_close(): what the program does before it may count
 * the loop again (libuv: one iteration runs the close callbacks). */
void tloop_settle(struct tloop *l);
/* What the loop holds: handles linked into it (libuv), events added
 * (libevent), references that keep ev_run() going (libev; this one runs
 * one non-blocking iteration to read them). */
size_t tloop_count(struct tloop *l);
/* Iterations run so far, where caps.counts_iterations. */
long tloop_iterations(struct tloop *l);
/* Warnings the loop library logged since the program started. */
long tloop_warnings(void);

/* Run until the loop ends by itself or tloop_break() (uv_run(DEFAULT),
 * event_base_dispatch(), ev_run(0)). */
void tloop_run(struct tloop *l);
/* One iteration; it blocks when nothing is ready (and something holds the
 * loop, on libuv and libev). */
void tloop_run_once(struct tloop *l);
/* One iteration that does not block. */
void tloop_run_nowait(struct tloop *l);
/* From a callback: the current tloop_run() returns. */
void tloop_break(struct tloop *l);

/* Native watchers. Each callback runs with tloop_in_callback raised, so
 * that a task can tell it was polled inside the program's callback. A
 * watcher keeps the loop alive (see caps.ends_when_idle) while it is
 * started, unless tloop_watch_unref() said otherwise. */
extern int tloop_in_callback;

/* A timer, not started. */
struct tloop_watch *tloop_timer_new(struct tloop *l, tloop_fn cb, void *arg);
/* Start (or restart) it: first after @ms, then every @ms if @repeat. */
void tloop_timer_start(struct tloop_watch *w, int64_t ms, int repeat);
/* Watches @fd for reading (level-triggered, until stopped); started. */
struct tloop_watch *tloop_reader_new(struct tloop *l, int fd, tloop_fn cb,
                                     void *arg);
/* Called once per iteration, and keeps the loop from blocking; started. */
struct tloop_watch *tloop_idle_new(struct tloop *l, tloop_fn cb, void *arg);
/* Called once per iteration, before the loop may block; started. NULL
 * where the loop has no such hook (libevent 2.1). */
struct tloop_watch *tloop_prepare_new(struct tloop *l, tloop_fn cb,
                                      void *arg);
/* A wake-up: tloop_wakeup_send() from any thread runs @cb on the loop's
 * thread (sends may coalesce); started. */
struct tloop_watch *tloop_wakeup_new(struct tloop *l, tloop_fn cb,
                                     void *arg);
void tloop_wakeup_send(struct tloop_watch *w);
/* The watcher no longer keeps a full run going (no-op on libevent). */
void tloop_watch_unref(struct tloop_watch *w);
void tloop_watch_stop(struct tloop_watch *w);
/* Stop and release (libuv: the memory goes at the next iteration). */
void tloop_watch_free(struct tloop_watch *w);

/* Adds the loop-specific tests of the adapter, if it has any. */
struct Suite;
void tloop_add_extra_tests(struct Suite *s);

#ifdef __cplusplus
}
#endif

#endif /* FUTURES_TESTS_ATTACHED_LOOP_H */
