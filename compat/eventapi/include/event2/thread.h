/* SPDX-License-Identifier: MIT */
/*
 * event2/thread.h - libevent 2.1's threading switch on the libfutures core
 * (libfutures-eventapi).
 *
 * Call evthread_use_pthreads() once, before the first event_base_new(): the
 * bases made afterwards carry a recursive lock and a notifier, so
 * event_add(), event_del(), event_active(), event_free(), event_pending(),
 * event_priority_set(), event_base_once() and event_base_loopbreak() /
 * loopexit() / loopcontinue() may be called from any thread; a change asked
 * from another thread while the loop runs is applied by the loop's thread
 * before its next poll, and the loop is woken. Bases made before the call
 * stay single-threaded (as in libevent, where they have no lock). Without
 * the call nothing is locked.
 *
 * The custom lock, condition and thread-id callbacks
 * (evthread_set_lock_callbacks and friends) are not provided: pthreads only.
 */
#ifndef EVENT2_THREAD_H_INCLUDED_
#define EVENT2_THREAD_H_INCLUDED_

#include "event2/visibility.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

/* Lock modes and types of libevent's lock interface (for programs that
 * name them). */
#define EVTHREAD_WRITE 0x04
#define EVTHREAD_READ 0x08
#define EVTHREAD_TRY 0x10
#define EVTHREAD_LOCKTYPE_RECURSIVE 1
#define EVTHREAD_LOCKTYPE_READWRITE 2
#define EVTHREAD_LOCK_API_VERSION 1
#define EVTHREAD_CONDITION_API_VERSION 1

/* evthread_use_pthreads() is available. */
#define EVTHREAD_USE_PTHREADS_IMPLEMENTED 1

/*
 * evthread_use_pthreads - turn on locking for the bases, bufferevents and
 * evbuffers made from now on (pthread recursive mutexes and condition
 * variables). Call it before making any base, from one thread. Returns 0;
 * calling it again does nothing.
 */
EVENT2_EXPORT_SYMBOL int evthread_use_pthreads(void);

/*
 * evthread_make_base_notifiable - make sure @base's loop can be woken by
 * other threads: a base made after evthread_use_pthreads() always is. A
 * base made before has no lock, and stays for one thread (as in libevent,
 * which returns 0 there too). Returns 0, or -1 for NULL. Any thread.
 */
EVENT2_EXPORT_SYMBOL int evthread_make_base_notifiable(struct event_base *base);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_THREAD_H_INCLUDED_ */
