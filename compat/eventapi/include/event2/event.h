/* SPDX-License-Identifier: MIT */
/*
 * event2/event.h - libevent 2.1's event core (event bases, events, the
 * loop) implemented on the libfutures core (compat/eventapi).
 *
 * Source compatible with libevent 2.1.12: the names, constants, callback
 * signatures and documented behaviour; docs/compat-event.md lists every
 * function and where the shim differs.
 *
 * Threads: without evthread_use_pthreads() (event2/thread.h) called before
 * the base was made, a base and its events belong to one thread at a time.
 * With it, event_add, event_del*, event_remove_timer, event_active,
 * event_base_active_by_*, event_free, event_pending, event_priority_set,
 * event_finalize, event_base_once and event_base_loop{exit,break,continue}
 * may be called from any thread (they lock the base and wake its loop).
 * Callbacks run on the loop's thread, inside event_base_loop() /
 * event_base_dispatch(), never inside the call that arms them.
 */
#ifndef EVENT2_EVENT_H_INCLUDED_
#define EVENT2_EVENT_H_INCLUDED_

#include <stdio.h>
#include <sys/time.h>

#include "event2/visibility.h"
#include "event2/event-config.h"
#include "event2/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The libevent release this API matches (event_get_version() says so). */
#define LIBEVENT_VERSION "2.1.12-stable"
#define LIBEVENT_VERSION_NUMBER 0x02010c00

struct event_base;
struct event;
struct event_config;

/* What an event waits for, and what its callback's @what reports. */
#define EV_TIMEOUT 0x01  /* the timeout passed */
#define EV_READ 0x02     /* the descriptor is readable */
#define EV_WRITE 0x04    /* the descriptor is writable */
#define EV_SIGNAL 0x08   /* the signal ev_fd arrived */
#define EV_PERSIST 0x10  /* stay added after the callback */
#define EV_ET 0x20       /* edge-triggered (once per readiness change) */
#define EV_FINALIZE 0x40 /* event_del may not block on a running callback */
#define EV_CLOSED 0x80   /* the peer closed its side (early close) */

/* event_base_loop() flags. */
#define EVLOOP_ONCE 0x01              /* block until events, run them, return */
#define EVLOOP_NONBLOCK 0x02          /* do not block: run what is ready */
#define EVLOOP_NO_EXIT_ON_EMPTY 0x04  /* keep running with no events added */

/* event_base_priority_init() accepts fewer priorities than this. */
#define EVENT_MAX_PRIORITIES 256

/* Log severities for event_set_log_callback(). */
#define EVENT_LOG_DEBUG 0
#define EVENT_LOG_MSG 1
#define EVENT_LOG_WARN 2
#define EVENT_LOG_ERR 3
#define _EVENT_LOG_DEBUG EVENT_LOG_DEBUG
#define _EVENT_LOG_MSG EVENT_LOG_MSG
#define _EVENT_LOG_WARN EVENT_LOG_WARN
#define _EVENT_LOG_ERR EVENT_LOG_ERR

/* Debug log categories for event_enable_debug_logging(). */
#define EVENT_DBG_NONE 0
#define EVENT_DBG_ALL 0xffffffffu

/* What a base can do (event_base_get_features, event_config_require_features). */
enum event_method_feature {
  EV_FEATURE_ET = 0x01,          /* EV_ET */
  EV_FEATURE_O1 = 0x02,          /* O(1) add, delete and dispatch */
  EV_FEATURE_FDS = 0x04,         /* any descriptor, regular files too */
  EV_FEATURE_EARLY_CLOSE = 0x08  /* EV_CLOSED without reading */
};

/* event_config_set_flag() flags. */
enum event_base_config_flag {
  EVENT_BASE_FLAG_NOLOCK = 0x01,
  EVENT_BASE_FLAG_IGNORE_ENV = 0x02,
  EVENT_BASE_FLAG_STARTUP_IOCP = 0x04,
  EVENT_BASE_FLAG_NO_CACHE_TIME = 0x08,
  EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST = 0x10,
  EVENT_BASE_FLAG_PRECISE_TIMER = 0x20
};

/* An event's callback: the descriptor (or signal), what happened
 * (EV_* bits), and the argument given at event_new/event_assign. */
typedef void (*event_callback_fn)(evutil_socket_t fd, short what, void *arg);
/* A finalizer (event_finalize, event_free_finalize). */
typedef void (*event_finalize_callback_fn)(struct event *ev, void *arg);
/* event_set_log_callback() / event_set_fatal_callback() callbacks. */
typedef void (*event_log_cb)(int severity, const char *msg);
typedef void (*event_fatal_cb)(int err);
/* event_base_foreach_event(): nonzero stops the walk (and is returned). */
typedef int (*event_base_foreach_event_cb)(const struct event_base *base, const struct event *ev, void *arg);

/* ---- configuration --------------------------------------------------------- */

/** event_config_new - an empty configuration, or NULL (out of memory). */
EVENT2_EXPORT_SYMBOL struct event_config *event_config_new(void);
/** event_config_free - free @cfg (NULL ignored). */
EVENT2_EXPORT_SYMBOL void event_config_free(struct event_config *cfg);
/**
 * event_config_avoid_method - do not use the backend method @method. The
 * shim has one method, "epoll": avoiding it makes
 * event_base_new_with_config() fail. Returns 0, or -1 (NULL, no memory).
 */
EVENT2_EXPORT_SYMBOL int event_config_avoid_method(struct event_config *cfg, const char *method);
/**
 * event_config_require_features - the base must have @feature
 * (EV_FEATURE_* bits); event_base_new_with_config() fails when it lacks
 * one (the shim has ET, O1 and EARLY_CLOSE, not FDS). Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_config_require_features(struct event_config *cfg, int feature);
/**
 * event_config_set_flag - an EVENT_BASE_FLAG_*. NO_CACHE_TIME makes
 * event_base_gettimeofday_cached() read the clock each call; the others
 * change nothing here (NOLOCK: no locks anyway; IGNORE_ENV: the shim reads
 * no environment; PRECISE_TIMER: timers are nanosecond-precise already;
 * EPOLL_USE_CHANGELIST, STARTUP_IOCP: not this backend). Returns 0, or -1
 * (NULL, unknown bits).
 */
EVENT2_EXPORT_SYMBOL int event_config_set_flag(struct event_config *cfg, int flag);
/**
 * event_config_set_num_cpus_hint - a hint for the number of CPUs: sizes the
 * core's blocking pool (evdns lookups) of bases made with @cfg.
 * Returns 0, or -1 (NULL).
 */
EVENT2_EXPORT_SYMBOL int event_config_set_num_cpus_hint(struct event_config *cfg, int cpus);
/**
 * event_config_set_max_dispatch_interval - limit how many callbacks of
 * priorities >= @min_priority run per loop iteration (@max_callbacks, -1:
 * no limit) and for how long (@max_interval, NULL: no limit) before the
 * loop checks for new events. Returns 0, or -1 (NULL).
 */
EVENT2_EXPORT_SYMBOL int event_config_set_max_dispatch_interval(struct event_config *cfg, const struct timeval *max_interval, int max_callbacks, int min_priority);

/* ---- bases -------------------------------------------------------------------- */

/**
 * event_base_new - a new event base (a libfutures runtime on the backend
 * the program links). Returns NULL on failure (no memory, no backend).
 */
EVENT2_EXPORT_SYMBOL struct event_base *event_base_new(void);
/**
 * event_base_new_with_config - a base as @cfg asks (NULL: defaults), or NULL
 * when @cfg asks for what the shim cannot give.
 */
EVENT2_EXPORT_SYMBOL struct event_base *event_base_new_with_config(const struct event_config *cfg);
/**
 * event_base_free - free @base (NULL: the current base of event_init(),
 * if any). Events still added are
 * deleted (their memory stays the program's; they must be assigned anew
 * before use: event_del/event_free on them is safe and does nothing more).
 * Pending finalizers run first. Not from inside the base's loop.
 */
EVENT2_EXPORT_SYMBOL void event_base_free(struct event_base *base);
/** event_base_free_nofinalize - event_base_free() without running the
 * finalizers of events still being finalized. */
EVENT2_EXPORT_SYMBOL void event_base_free_nofinalize(struct event_base *base);
/**
 * event_reinit - after fork(2), in the child: make @base usable (a new
 * backend state, every added event re-registered). Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_reinit(struct event_base *base);
/**
 * event_base_dispatch - event_base_loop(@base, 0).
 */
EVENT2_EXPORT_SYMBOL int event_base_dispatch(struct event_base *base);
/**
 * event_base_loop - run the loop: wait for events, run the callbacks of
 * active events by priority (the lowest-numbered non-empty priority in each
 * iteration), until no event is added (unless EVLOOP_NO_EXIT_ON_EMPTY),
 * event_base_loopexit/loopbreak, or what @flags say (EVLOOP_ONCE: after
 * an iteration that ran callbacks; EVLOOP_NONBLOCK: after one iteration
 * that does not block). Returns 0 (exited as asked, or events ran under
 * ONCE/NONBLOCK), 1 (no events added or active), -1 (error; also when
 * called from inside a callback of the same base, or @base NULL).
 */
EVENT2_EXPORT_SYMBOL int event_base_loop(struct event_base *base, int flags);
/**
 * event_base_loopexit - make the loop return after the callbacks of the
 * iteration in which @tv (NULL: at once) has passed. Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_base_loopexit(struct event_base *base, const struct timeval *tv);
/**
 * event_base_loopbreak - make the loop return right after the callback
 * now running (or before any other, when none runs). Only a running loop
 * sees it: the next event_base_loop() forgets it. Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_base_loopbreak(struct event_base *base);
/**
 * event_base_loopcontinue - make the loop stop running this iteration's
 * callbacks and look for new events first. Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_base_loopcontinue(struct event_base *base);
/** event_base_got_exit - whether the last loop ended by loopexit (until
 * the next event_base_loop()). 0 for NULL. */
EVENT2_EXPORT_SYMBOL int event_base_got_exit(struct event_base *base);
/** event_base_got_break - whether the last loop ended by loopbreak. */
EVENT2_EXPORT_SYMBOL int event_base_got_break(struct event_base *base);
/**
 * event_base_get_method - the base's backend method: always "epoll" (the
 * core's readiness comes from an epoll set on every libfutures backend
 * the shim runs on). NULL for a NULL base.
 */
EVENT2_EXPORT_SYMBOL const char *event_base_get_method(const struct event_base *base);
/** event_get_supported_methods - { "epoll", NULL }. */
EVENT2_EXPORT_SYMBOL const char **event_get_supported_methods(void);
/** event_base_get_features - EV_FEATURE_ET | EV_FEATURE_O1 | EV_FEATURE_EARLY_CLOSE. */
EVENT2_EXPORT_SYMBOL int event_base_get_features(const struct event_base *base);
/**
 * event_base_gettimeofday_cached - the wall-clock time the loop read at
 * the start of this iteration's callbacks (the clock now outside the
 * loop, or with EVENT_BASE_FLAG_NO_CACHE_TIME). Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_base_gettimeofday_cached(struct event_base *base, struct timeval *tv);
/** event_base_update_cache_time - read the clock into the cache now (in
 * a running loop). Returns 0, or -1 (NULL). */
EVENT2_EXPORT_SYMBOL int event_base_update_cache_time(struct event_base *base);
/**
 * event_base_priority_init - @npriorities (1..EVENT_MAX_PRIORITIES - 1)
 * priorities; fails (-1) while any event is active. Events assigned later
 * get npriorities/2. Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_base_priority_init(struct event_base *base, int npriorities);
/** event_base_get_npriorities - the number of priorities (1 by default). */
EVENT2_EXPORT_SYMBOL int event_base_get_npriorities(struct event_base *base);
/**
 * event_base_once - run @cb once, when @fd is ready for @events
 * (EV_READ/EV_WRITE) or when @tv passes (events EV_TIMEOUT: @tv NULL
 * means the next iteration). The event is allocated and freed by the
 * base (freed, without calling @cb, by event_base_free). EV_SIGNAL and
 * EV_PERSIST are refused. Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_base_once(struct event_base *base, evutil_socket_t fd, short events, event_callback_fn cb, void *arg, const struct timeval *tv);
/**
 * event_base_foreach_event - call @fn for every added or active event
 * (the base's internal ones excepted) until it returns nonzero. @fn may
 * not add, delete or free events. Returns the last @fn result, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_base_foreach_event(struct event_base *base, event_base_foreach_event_cb fn, void *arg);
/** event_base_dump_events - a human-readable list of the added and active
 * events on @output. */
EVENT2_EXPORT_SYMBOL void event_base_dump_events(struct event_base *base, FILE *output);
/**
 * event_base_active_by_fd - activate every added event of @fd with the
 * bits of @events they wait for (EV_READ / EV_WRITE / EV_CLOSED).
 */
EVENT2_EXPORT_SYMBOL void event_base_active_by_fd(struct event_base *base, evutil_socket_t fd, short events);
/** event_base_active_by_signal - activate every added event of signal @sig. */
EVENT2_EXPORT_SYMBOL void event_base_active_by_signal(struct event_base *base, int sig);
/**
 * event_base_init_common_timeout - a timeval to use for many timeouts of
 * the same duration: here, a copy of @duration (the timer heap costs
 * O(log n) alike). Returns a pointer valid while @base lives, or NULL.
 */
EVENT2_EXPORT_SYMBOL const struct timeval *event_base_init_common_timeout(struct event_base *base, const struct timeval *duration);
/** event_base_get_running_event - the event whose callback runs now, in
 * the loop's thread; NULL otherwise. */
EVENT2_EXPORT_SYMBOL struct event *event_base_get_running_event(struct event_base *base);

/* event_base_get_num_events / get_max_events flags. */
#define EVENT_BASE_COUNT_ACTIVE 1u
#define EVENT_BASE_COUNT_VIRTUAL 2u
#define EVENT_BASE_COUNT_ADDED 4u
/** event_base_get_num_events - how many events are active / added (flags
 * EVENT_BASE_COUNT_*; VIRTUAL counts none: there are no virtual events). */
EVENT2_EXPORT_SYMBOL int event_base_get_num_events(struct event_base *base, unsigned int flags);
/** event_base_get_max_events - the most seen at once (@clear: reset). */
EVENT2_EXPORT_SYMBOL int event_base_get_max_events(struct event_base *base, unsigned int flags, int clear);

/* ---- events --------------------------------------------------------------------- */

/**
 * event_new - allocate an event of @base (NULL: the current base) for @fd
 * (or signal) and @events with @cb(@fd, what, @arg). Not added. Returns
 * NULL (no memory, EV_SIGNAL with EV_READ/EV_WRITE, a bad signal number).
 */
EVENT2_EXPORT_SYMBOL struct event *event_new(struct event_base *base, evutil_socket_t fd, short events, event_callback_fn cb, void *arg);
/**
 * event_assign - set up the program's @ev as event_new() would. @ev must
 * not be added. Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_assign(struct event *ev, struct event_base *base, evutil_socket_t fd, short events, event_callback_fn callback, void *callback_arg);
/** event_free - event_del() then free an event from event_new(). NULL ignored. */
EVENT2_EXPORT_SYMBOL void event_free(struct event *ev);
/**
 * event_add - make @ev pending: wait for its descriptor or signal (if
 * any) and, with @tv, for @tv to pass (a new timeout replaces an old one;
 * NULL keeps the one set). Returns 0, or -1 (not assigned, the descriptor
 * cannot be watched, e.g. a regular file or a closed descriptor).
 */
EVENT2_EXPORT_SYMBOL int event_add(struct event *ev, const struct timeval *tv);
/**
 * event_del - make @ev neither pending nor active (its callback will not
 * run). Returns 0 (also for an event event_base_free() deleted), or -1
 * (NULL, not assigned). On a threaded
 * base (evthread_use_pthreads), called from another thread while @ev's
 * callback runs on the loop's thread, it waits for that callback to
 * return, unless @ev has EV_FINALIZE; from the callback itself it never
 * waits.
 */
EVENT2_EXPORT_SYMBOL int event_del(struct event *ev);
/** event_del_block / event_del_noblock - event_del() that always waits for
 * a running callback of @ev (another thread's call), or never does. */
EVENT2_EXPORT_SYMBOL int event_del_block(struct event *ev);
EVENT2_EXPORT_SYMBOL int event_del_noblock(struct event *ev);
/** event_remove_timer - drop @ev's timeout, keep it waiting for I/O or a
 * signal. Returns 0, or -1. */
EVENT2_EXPORT_SYMBOL int event_remove_timer(struct event *ev);
/**
 * event_active - make @ev active with @res (EV_* bits) whether or not it
 * is added: its callback runs in the loop's next callback pass. An event
 * already active gets the bits added. @ncalls: how many times libevent
 * would call a signal event's callback; here it is called once (arrivals
 * are coalesced, see docs/compat-event.md).
 */
EVENT2_EXPORT_SYMBOL void event_active(struct event *ev, int res, short ncalls);
/**
 * event_pending - which of @events (EV_TIMEOUT, EV_READ, EV_WRITE,
 * EV_SIGNAL, EV_CLOSED) @ev is pending or active for; with EV_TIMEOUT
 * pending and @tv, the wall-clock time it expires. 0 for NULL.
 */
EVENT2_EXPORT_SYMBOL int event_pending(const struct event *ev, short events, struct timeval *tv);
/** event_initialized - whether @ev was assigned (a zeroed event is not). */
EVENT2_EXPORT_SYMBOL int event_initialized(const struct event *ev);
/** event_get_fd - the descriptor or signal number. */
EVENT2_EXPORT_SYMBOL evutil_socket_t event_get_fd(const struct event *ev);
#define event_get_signal(ev) ((int)event_get_fd(ev))
/** event_get_base - the base. */
EVENT2_EXPORT_SYMBOL struct event_base *event_get_base(const struct event *ev);
/** event_get_events - the EV_* bits it was assigned. */
EVENT2_EXPORT_SYMBOL short event_get_events(const struct event *ev);
/** event_get_callback - the callback. */
EVENT2_EXPORT_SYMBOL event_callback_fn event_get_callback(const struct event *ev);
/** event_get_callback_arg - the callback's argument. */
EVENT2_EXPORT_SYMBOL void *event_get_callback_arg(const struct event *ev);
/** event_get_priority - the priority. */
EVENT2_EXPORT_SYMBOL int event_get_priority(const struct event *ev);
/** event_get_assignment - all of the above at once (NULL outputs skipped). */
EVENT2_EXPORT_SYMBOL void event_get_assignment(const struct event *event, struct event_base **base_out, evutil_socket_t *fd_out, short *events_out, event_callback_fn *callback_out, void **arg_out);
/** event_get_struct_event_size - sizeof(struct event) of this library. */
EVENT2_EXPORT_SYMBOL size_t event_get_struct_event_size(void);
/**
 * event_priority_set - @ev's priority (0 .. npriorities-1). Fails (-1)
 * while @ev is active or for an out-of-range priority.
 */
EVENT2_EXPORT_SYMBOL int event_priority_set(struct event *ev, int priority);
/**
 * event_self_cbarg - a value that, given as event_new()'s callback
 * argument, makes the callback get the event itself.
 */
EVENT2_EXPORT_SYMBOL void *event_self_cbarg(void);
/**
 * event_finalize - delete @ev and run @cb(@ev, arg) from the loop once
 * it is safe (in a later callback pass; the event is not usable after).
 * @flags: unused (0). Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_finalize(unsigned flags, struct event *ev, event_finalize_callback_fn cb);
/** event_free_finalize - event_finalize(), then free @ev after @cb. */
EVENT2_EXPORT_SYMBOL int event_free_finalize(unsigned flags, struct event *ev, event_finalize_callback_fn cb);
/** event_debug_unassign - forget @ev's assignment (debug mode's
 * bookkeeping); @ev must be neither pending nor active. */
EVENT2_EXPORT_SYMBOL void event_debug_unassign(struct event *ev);

/* Timers: events with no descriptor. */
#define evtimer_assign(ev, b, cb, arg) event_assign((ev), (b), -1, 0, (cb), (arg))
#define evtimer_new(b, cb, arg) event_new((b), -1, 0, (cb), (arg))
#define evtimer_add(ev, tv) event_add((ev), (tv))
#define evtimer_del(ev) event_del(ev)
#define evtimer_pending(ev, tv) event_pending((ev), EV_TIMEOUT, (tv))
#define evtimer_initialized(ev) event_initialized(ev)
/* Signals: persistent events for signal @x. */
#define evsignal_add(ev, tv) event_add((ev), (tv))
#define evsignal_assign(ev, b, x, cb, arg) event_assign((ev), (b), (x), EV_SIGNAL | EV_PERSIST, (cb), (arg))
#define evsignal_new(b, x, cb, arg) event_new((b), (x), EV_SIGNAL | EV_PERSIST, (cb), (arg))
#define evsignal_del(ev) event_del(ev)
#define evsignal_pending(ev, tv) event_pending((ev), EV_SIGNAL, (tv))
#define evsignal_initialized(ev) event_initialized(ev)

/* ---- the library -------------------------------------------------------------------- */

/** event_get_version - "2.1.12-stable". */
EVENT2_EXPORT_SYMBOL const char *event_get_version(void);
/** event_get_version_number - LIBEVENT_VERSION_NUMBER. */
EVENT2_EXPORT_SYMBOL ev_uint32_t event_get_version_number(void);
/**
 * event_set_log_callback - where the shim's warnings go (NULL: stderr).
 * Call before making bases.
 */
EVENT2_EXPORT_SYMBOL void event_set_log_callback(event_log_cb cb);
/**
 * event_set_fatal_callback - the callback for a fatal internal error. The
 * shim has none (its errors are returned): the callback is kept, never
 * called.
 */
EVENT2_EXPORT_SYMBOL void event_set_fatal_callback(event_fatal_cb cb);
/** event_enable_debug_logging - which EVENT_LOG_DEBUG messages to pass on
 * (EVENT_DBG_NONE / EVENT_DBG_ALL). */
EVENT2_EXPORT_SYMBOL void event_enable_debug_logging(ev_uint32_t which);
/**
 * event_enable_debug_mode - libevent's misuse checks. The shim always makes
 * the checks it can (an unassigned event is refused with -1); call it
 * before making bases, as libevent requires.
 */
EVENT2_EXPORT_SYMBOL void event_enable_debug_mode(void);
/**
 * event_set_mem_functions - the allocator the shim (and the libfutures core)
 * uses from now on, as uv_replace_allocator: call it before any other
 * function of the library. NULL for all three restores malloc's.
 */
EVENT2_EXPORT_SYMBOL void event_set_mem_functions(void *(*malloc_fn)(size_t sz), void *(*realloc_fn)(void *ptr, size_t sz), void (*free_fn)(void *ptr));
#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_H_INCLUDED_ */
