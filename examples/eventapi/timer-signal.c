/* SPDX-License-Identifier: MIT */
/* A plain libevent 2.1 program: priorities, one-shot and persistent
 * timers, event_base_once, a signal delivered with raise(), loopexit with
 * a timeval and loopbreak. Every step starts from the callback of the one
 * before, so the order it prints does not depend on timing (and holds on
 * a loaded machine); it prints no times, addresses or pids.
 *
 * Built against the real libevent (examples/eventapi/timer-signal-libevent)
 * and against the libevent API shim of libfutures on each backend;
 * tests/eventapi/check-programs.sh compares what they print. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <event2/event.h>

static struct event_base *base;
static struct event *e_hi, *e_hi2, *e_mid, *e_mid2, *e_lo;
static struct event *tick, *oneshot, *sig, *before_exit, *far;
static struct event *e_break, *after_brk;
static int ticks, lo_runs;

static void
say(const char *fmt, const char *name, short what)
{
    printf(fmt, name, (unsigned)what);
    fflush(stdout);
}

/* ---- phase 1: priorities (all made active with event_active) ---- */

static void
on_prio(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    const char *name = arg;
    say("priority event %s runs (what 0x%02x)\n", name, what);
    if (strcmp(name, "mid(1)") == 0) {
        /* a higher priority made active from a lower one's callback */
        event_active(e_hi2, EV_TIMEOUT, 0);
    } else if (strcmp(name, "lo(2)") == 0 && ++lo_runs == 1) {
        event_active(e_hi, EV_READ, 0);
        event_active(e_lo, EV_WRITE, 0);
    }
}

/* ---- phase 2: timers, event_base_once, a signal, loopexit ---- */

static void
on_far(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)arg;
    say("%stimer far fired (what 0x%02x): it should not have\n", "", what);
}

static void
on_before_exit(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)arg;
    say("%stimer before-exit fires (what 0x%02x)\n", "", what);
}

static void
on_signal(evutil_socket_t fd, short what, void *arg)
{
    (void)arg;
    printf("signal %s caught (what 0x%02x, fd is the signal number: %s)\n",
           fd == SIGUSR1 ? "SIGUSR1" : "other", (unsigned)what,
           event_get_signal(sig) == SIGUSR1 ? "yes" : "no");
    printf("signal event still pending (persistent): %s\n",
           event_pending(sig, EV_SIGNAL, NULL) ? "yes" : "no");
    fflush(stdout);
    event_del(sig);
    struct timeval t5 = { 0, 5000 }, t20 = { 0, 20000 }, t10s = { 10, 0 };
    evtimer_add(before_exit, &t5);
    evtimer_add(far, &t10s);
    printf("loopexit in 20 ms: %d\n", event_base_loopexit(base, &t20));
    fflush(stdout);
}

static void
on_once(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    say("event_base_once callback runs with arg %s (what 0x%02x)\n", (const char *)arg, what);
    raise(SIGUSR1);
    printf("raise(SIGUSR1) returned\n");
    fflush(stdout);
}

static void
on_oneshot(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)arg;
    say("%sone-shot timer fires (what 0x%02x)\n", "", what);
    printf("one-shot pending inside its callback: %s\n",
           event_pending(oneshot, EV_TIMEOUT, NULL) ? "yes" : "no");
    struct timeval zero = { 0, 0 };
    static char once_arg[] = "\"once\"";
    printf("event_base_once: %d\n",
           event_base_once(base, -1, EV_TIMEOUT, on_once, once_arg, &zero));
    fflush(stdout);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)arg;
    ticks++;
    printf("persistent timer tick %d (what 0x%02x, still pending: %s)\n", ticks,
           (unsigned)what, event_pending(tick, EV_TIMEOUT, NULL) ? "yes" : "no");
    fflush(stdout);
    if (ticks == 3) {
        event_del(tick);
        struct timeval t10 = { 0, 10000 };
        evtimer_add(oneshot, &t10);
        printf("tick stopped, one-shot armed: pending %s\n",
               event_pending(oneshot, EV_TIMEOUT, NULL) ? "yes" : "no");
        fflush(stdout);
    }
}

/* ---- phase 3: loopbreak leaves other active events for the next loop ---- */

static void
on_break(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)arg;
    say("%sbreak event runs (what 0x%02x), calls event_base_loopbreak\n", "", what);
    event_base_loopbreak(base);
}

static void
on_after_brk(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)arg;
    say("%sevent left active by the break runs (what 0x%02x)\n", "", what);
}

int
main(void)
{
    base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "event_base_new failed\n");
        return 1;
    }
    printf("event_base_priority_init(3): %d\n", event_base_priority_init(base, 3));
    printf("event_base_get_npriorities: %d\n", event_base_get_npriorities(base));
    printf("loop with no events (EVLOOP_NONBLOCK): %d\n", event_base_loop(base, EVLOOP_NONBLOCK));

    static char n_hi[] = "hi(0)", n_hi2[] = "hi2(0)", n_mid[] = "mid(1)",
                n_mid2[] = "mid2(1)", n_lo[] = "lo(2)";
    e_hi = event_new(base, -1, 0, on_prio, n_hi);
    e_hi2 = event_new(base, -1, 0, on_prio, n_hi2);
    e_mid = event_new(base, -1, 0, on_prio, n_mid);
    e_mid2 = event_new(base, -1, 0, on_prio, n_mid2);
    e_lo = event_new(base, -1, 0, on_prio, n_lo);
    event_priority_set(e_hi, 0);
    event_priority_set(e_hi2, 0);
    event_priority_set(e_mid, 1);
    event_priority_set(e_mid2, 1);
    event_priority_set(e_lo, 2);
    printf("priority of hi %d, mid %d, lo %d; out of range refused: %d\n",
           event_get_priority(e_hi), event_get_priority(e_mid), event_get_priority(e_lo),
           event_priority_set(e_lo, 3));
    event_active(e_lo, EV_TIMEOUT, 0);
    event_active(e_mid, EV_TIMEOUT, 0);
    event_active(e_hi, EV_TIMEOUT, 0);
    event_active(e_mid2, EV_TIMEOUT, 0);
    printf("phase 1 loop (EVLOOP_ONCE) returned %d\n", event_base_loop(base, EVLOOP_ONCE));
    /* lo's first run made hi and lo active again */
    printf("phase 1 second loop (EVLOOP_NONBLOCK) returned %d\n",
           event_base_loop(base, EVLOOP_NONBLOCK));
    fflush(stdout);

    tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    oneshot = evtimer_new(base, on_oneshot, NULL);
    sig = evsignal_new(base, SIGUSR1, on_signal, NULL);
    before_exit = evtimer_new(base, on_before_exit, NULL);
    far = evtimer_new(base, on_far, NULL);
    struct timeval t5 = { 0, 5000 };
    printf("evsignal add: %d\n", evsignal_add(sig, NULL));
    printf("persistent timer add: %d\n", event_add(tick, &t5));
    int rc = event_base_dispatch(base);
    printf("phase 2 dispatch returned %d, got_exit %d, got_break %d\n", rc,
           event_base_got_exit(base), event_base_got_break(base));
    printf("far timer still pending: %s; signal pending: %s; tick pending: %s\n",
           event_pending(far, EV_TIMEOUT, NULL) ? "yes" : "no",
           event_pending(sig, EV_SIGNAL, NULL) ? "yes" : "no",
           event_pending(tick, EV_TIMEOUT, NULL) ? "yes" : "no");
    event_del(far);
    fflush(stdout);

    e_break = event_new(base, -1, 0, on_break, NULL);
    after_brk = event_new(base, -1, 0, on_after_brk, NULL);
    event_priority_set(e_break, 0);
    event_priority_set(after_brk, 2);
    event_active(after_brk, EV_WRITE, 0);
    event_active(e_break, EV_READ, 0);
    rc = event_base_dispatch(base);
    printf("phase 3 dispatch returned %d, got_exit %d, got_break %d\n", rc,
           event_base_got_exit(base), event_base_got_break(base));
    fflush(stdout);
    rc = event_base_loop(base, EVLOOP_NONBLOCK);
    printf("phase 3 second loop returned %d, got_break %d\n", rc, event_base_got_break(base));
    printf("loop with nothing left: %d\n", event_base_loop(base, EVLOOP_NONBLOCK));

    struct event *all[] = { e_hi, e_hi2, e_mid, e_mid2, e_lo, tick, oneshot, sig,
                            before_exit, far, e_break, after_brk };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        event_free(all[i]);
    event_base_free(base);
    printf("done\n");
    return 0;
}
