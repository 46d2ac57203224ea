/* SPDX-License-Identifier: MIT */
/*
 * event2/event_compat.h - libevent 1.4's interface kept in 2.1: a global
 * "current" base made by event_init(), and functions that act on it
 * (libfutures libevent API shim). New code should use event2/event.h's
 * event_base_* functions.
 *
 * Threads: the current base is one process-wide pointer; use it from one
 * thread.
 */
#ifndef EVENT2_EVENT_COMPAT_H_INCLUDED_
#define EVENT2_EVENT_COMPAT_H_INCLUDED_

#include "event2/event.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * event_init - make a base and make it the current base (replacing the
 * pointer to any earlier one, which stays valid). Returns it, or NULL.
 */
EVENT2_EXPORT_SYMBOL struct event_base *event_init(void);
/** event_dispatch - event_base_dispatch() on the current base (-1: none). */
EVENT2_EXPORT_SYMBOL int event_dispatch(void);
/** event_loop - event_base_loop() on the current base (-1: none). */
EVENT2_EXPORT_SYMBOL int event_loop(int flags);
/** event_loopexit - event_base_loopexit() on the current base. */
EVENT2_EXPORT_SYMBOL int event_loopexit(const struct timeval *tv);
/** event_loopbreak - event_base_loopbreak() on the current base. */
EVENT2_EXPORT_SYMBOL int event_loopbreak(void);
/**
 * event_once - event_base_once() on the current base. Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int event_once(evutil_socket_t fd, short events, event_callback_fn cb, void *arg, const struct timeval *tv);
/** event_get_method - event_base_get_method() of the current base. */
EVENT2_EXPORT_SYMBOL const char *event_get_method(void);
/** event_priority_init - event_base_priority_init() on the current base. */
EVENT2_EXPORT_SYMBOL int event_priority_init(int npriorities);
/**
 * event_set - event_assign() on the current base (which may be NULL: then
 * event_base_set() must follow before event_add()). The old interface
 * has no error return: an event it cannot assign is left unassigned, and
 * event_add() on it fails.
 */
EVENT2_EXPORT_SYMBOL void event_set(struct event *ev, evutil_socket_t fd, short events, void (*callback)(evutil_socket_t, short, void *), void *arg);
/**
 * event_base_set - move the not-added @ev to @base (its priority becomes
 * @base's default). Returns 0, or -1 (NULL, @ev added or active).
 */
EVENT2_EXPORT_SYMBOL int event_base_set(struct event_base *base, struct event *ev);

#define evtimer_set(ev, cb, arg) event_set((ev), -1, 0, (cb), (arg))
#define evsignal_set(ev, x, cb, arg) event_set((ev), (x), EV_SIGNAL | EV_PERSIST, (cb), (arg))
#define timeout_add(ev, tv) event_add((ev), (tv))
#define timeout_set(ev, cb, arg) event_set((ev), -1, 0, (cb), (arg))
#define timeout_del(ev) event_del(ev)
#define timeout_pending(ev, tv) event_pending((ev), EV_TIMEOUT, (tv))
#define timeout_initialized(ev) event_initialized(ev)
#define signal_add(ev, tv) event_add((ev), (tv))
#define signal_set(ev, x, cb, arg) event_set((ev), (x), EV_SIGNAL | EV_PERSIST, (cb), (arg))
#define signal_del(ev) event_del(ev)
#define signal_pending(ev, tv) event_pending((ev), EV_SIGNAL, (tv))
#define signal_initialized(ev) event_initialized(ev)
#define EVENT_FD(ev) ((int)event_get_fd(ev))
#define EVENT_SIGNAL(ev) event_get_signal(ev)

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_COMPAT_H_INCLUDED_ */
