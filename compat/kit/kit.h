/* SPDX-License-Identifier: MIT */
/*
 * compat/kit: the loop machinery the API shims (compat/uvapi, compat/eventapi,
 * compat/evapi) share. Not installed; every name here is hidden in the
 * shims' shared libraries.
 *
 * A shim's loop (uv_loop_t, struct event_base, struct ev_loop) embeds a
 * struct fut_kit_loop: a libfutures runtime, a queue of events, and a timer
 * heap. The shim runs its own library's phases (timers, callbacks by
 * priority, prepare/check...) around fut_kit_loop_poll(), which is one
 * fut_runtime_turn().
 *
 * Events (struct fut_kit_ev) are how readiness reaches the shim without a
 * task and without allocation: a handle or watcher embeds one, polls a
 * core readiness object (struct fut_io, fut_notify, a pool job, a signal
 * listener) with the context fut_kit_ev_context() makes, and when the object
 * becomes ready its waker only links the event into the loop's ready
 * queue. fut_kit_loop_poll() runs those events' callbacks right after the
 * turn, in the order they were woken.
 *
 * Threads: everything here is for the loop's thread only (the wakers run
 * there: the core delivers readiness, pool completions and notifier wakes
 * on the runtime's thread). Poll with an event's context only objects
 * that wake on the runtime's thread: fut_getaddrinfo()'s future, for one,
 * wakes from the pool thread (use fut_spawn_blocking() there).
 */
#ifndef FUT_COMPAT_KIT_H
#define FUT_COMPAT_KIT_H

#include <stddef.h>
#include <stdint.h>

#include <futures/compat-kit.h>
#include <futures/executor.h>
#include <futures/future.h>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

static inline void fut_kit_queue_init(struct fut_kit_queue *q) { q->next = q->prev = q; }
static inline int fut_kit_queue_empty(const struct fut_kit_queue *q) { return q->next == q; }
static inline void
fut_kit_queue_insert_tail(struct fut_kit_queue *h, struct fut_kit_queue *q)
{
  q->next = h;
  q->prev = h->prev;
  q->prev->next = q;
  h->prev = q;
}
static inline void
fut_kit_queue_insert_head(struct fut_kit_queue *h, struct fut_kit_queue *q)
{
  q->next = h->next;
  q->prev = h;
  q->next->prev = q;
  h->next = q;
}
/* Unlink @q (which must be linked or self-linked); @q is left self-linked. */
static inline void
fut_kit_queue_remove(struct fut_kit_queue *q)
{
  q->prev->next = q->next;
  q->next->prev = q->prev;
  q->next = q->prev = q;
}
/* Move every node of @h onto the head @n (its old contents are ignored);
 * @h is left empty. */
static inline void
fut_kit_queue_move(struct fut_kit_queue *h, struct fut_kit_queue *n)
{
  if (fut_kit_queue_empty(h)) {
    fut_kit_queue_init(n);
    return;
  }
  n->next = h->next;
  n->prev = h->prev;
  n->next->prev = n;
  n->prev->next = n;
  fut_kit_queue_init(h);
}
#define fut_kit_queue_data(ptr, type, field) \
  ((type *)(void *)((char *)(ptr) - offsetof(type, field)))

/**
 * fut_kit_loop_init - a runtime on the default backend, in one-descriptor
 * mode where the backend has it (every socket in the runtime's own
 * edge-triggered epoll set, the linked loop watching that set only;
 * fut_runtime_backend_fd() then answers on every backend), else the
 * backend's default mode.
 * @blocking_threads: the pool's size (0: the core's default).
 * Returns 0 or a negative errno from fut_runtime_init().
 */
int fut_kit_loop_init(struct fut_kit_loop *loop, unsigned int blocking_threads);
/** fut_kit_loop_close - close the runtime. Every event and timer must be gone. */
void fut_kit_loop_close(struct fut_kit_loop *loop);

/**
 * fut_kit_loop_poll - one fut_runtime_turn() no later than @deadline_ns
 * (fut_now_ns() clock; -1: no deadline; 0 or past: do not block), then run
 * every event woken before the turn ended, in wake order (events woken by
 * those callbacks wait for the next poll). Sets loop->rt_more.
 * Returns the number of events run, or a negative errno from the turn
 * (-EBUSY when called from inside a turn).
 */
int fut_kit_loop_poll(struct fut_kit_loop *loop, int64_t deadline_ns);

/**
 * fut_kit_loop_turn - fut_kit_loop_poll() without running the events: the
 * level recheck, one fut_runtime_turn() no later than @deadline_ns (not
 * blocking when an event is queued), loop->rt_more set. The events woken
 * stay on loop->ready for the shim to run (fut_kit_run_queue()) after
 * what it does between the turn and the callbacks (libuv updates its
 * loop time there). Returns 0 or a negative errno from the turn.
 */
int fut_kit_loop_turn(struct fut_kit_loop *loop, int64_t deadline_ns);

/* ---- events -------------------------------------------------------------- */

/* Set up @ev (of @loop) with its callback; it is not queued. */
void fut_kit_ev_init(struct fut_kit_loop *loop, struct fut_kit_ev *ev, void (*cb)(struct fut_kit_ev *ev));
/* Queue @ev on its loop's ready queue (fut_kit_loop_poll runs it). Queuing a
 * queued event does nothing. */
void fut_kit_ev_feed(struct fut_kit_ev *ev);
/* Queue @ev on the shim's own queue @q, marking it with @mark (nonzero;
 * say which queue). Does nothing when @ev is queued anywhere. */
void fut_kit_ev_feed_to(struct fut_kit_ev *ev, struct fut_kit_queue *q, unsigned int mark);
/* Take @ev off whichever queue holds it (no-op when none). */
void fut_kit_ev_cancel(struct fut_kit_ev *ev);
/* A context whose waker queues @ev (on the ready queue) and whose runtime
 * is @ev's loop's: poll core readiness objects with it. The waker may be
 * cloned (a clone queues the same event); waking after fut_kit_ev_cancel()
 * queues it again, so stop polling (release the object) before the
 * memory of @ev goes. */
void fut_kit_ev_context(struct fut_kit_ev *ev, struct fut_waker *w, struct fut_context *cx);
/* Run every event of @q queued when this starts (the queue of
 * fut_kit_ev_feed_to()); those queued meanwhile wait. Returns how many ran. */
int fut_kit_run_queue(struct fut_kit_queue *q);

/* ---- timers --------------------------------------------------------------- */

/* Add @t (not in the heap) with @t->due already set. */
void fut_kit_timer_add(struct fut_kit_loop *loop, struct fut_kit_timer *t);
/* Remove @t if it is in the heap (no-op otherwise). */
void fut_kit_timer_del(struct fut_kit_loop *loop, struct fut_kit_timer *t);
/* The first timer (smallest due, earliest added), or NULL. */
static inline struct fut_kit_timer *fut_kit_timer_first(const struct fut_kit_loop *loop) { return loop->timers_; }
static inline int fut_kit_timer_active(const struct fut_kit_timer *t) { return t->in_heap_; }

/* ---- descriptor watches ---------------------------------------------------- */

/*
 * A descriptor watch reports readiness of one descriptor to the shim with
 * the semantics the loop libraries give (libevent's and libev's are
 * level-triggered unless asked otherwise: a callback runs in every
 * iteration while the descriptor stays ready and the watch is on), over
 * the core's readiness (which may be edge-triggered). Several watchers of
 * one descriptor (libevent allows a read and a write event on one socket,
 * libev any number of ev_io) share one watch: the shim keeps them in
 * @data and dispatches.
 *
 * How level triggering is kept cheaply: a direction reported with its
 * level semantics is asked again before the next turn, with one poll(2)
 * for every such descriptor of the loop together; a direction still ready
 * is reported again in that iteration (the turn then does not block), one
 * no longer ready has its readiness cleared and waits on the core again.
 * Directions in @edge are reported once per readiness and only asked
 * again when the shim calls fut_kit_fd_clear() (EV_ET: the program reads
 * until EAGAIN).
 *
 * Errors and hang-ups are reported as the directions of interest (as
 * epoll and poll(2) do), so the program's syscall sees them.
 */

/**
 * fut_kit_fd_get - the watch of descriptor @fd in @loop, made (allocated,
 * zero interest, @cb and @data NULL) when there is none and @create.
 * Returns it, or NULL: no watch and !@create, @fd < 0, out of memory.
 */
struct fut_kit_fd *fut_kit_fd_get(struct fut_kit_loop *loop, int fd, int create);

/**
 * fut_kit_fd_set - what to report: @interest (FUT_IO_READABLE and/or
 * FUT_IO_WRITABLE), of which @edge are edge-style. @f->cb must be set
 * before readiness can come. A direction leaving the interest set is
 * withdrawn from the core at once (no callback for it after this call).
 * Returns 0 or a negative errno from the core's registration (-EBADF,
 * -EPERM for a regular file, ...): the watch then reports nothing.
 */
int fut_kit_fd_set(struct fut_kit_fd *f, unsigned int interest, unsigned int edge);

/**
 * fut_kit_fd_clear - forget readiness in @dir (the program hit EAGAIN, or
 * an edge-style watcher wants the next edge). Cheap; no syscall.
 */
void fut_kit_fd_clear(struct fut_kit_fd *f, unsigned int dir);

/**
 * fut_kit_fd_put - the shim drops the watch (no watcher left): it is
 * withdrawn from the core (fut_io_close) and freed. Call it before the
 * program may close the descriptor (libevent's event_del, libev's
 * ev_io_stop return with the descriptor free to close).
 */
void fut_kit_fd_put(struct fut_kit_fd *f);

/**
 * fut_kit_fd_close_all - drop every watch of @loop (loop teardown).
 */
void fut_kit_fd_close_all(struct fut_kit_loop *loop);

/**
 * fut_kit_loop_level - ask again, with one poll(2), every descriptor
 * whose level-triggered direction was reported; queue the watches still
 * ready (their callbacks run in the next fut_kit_loop_poll(), which then
 * does not block). fut_kit_loop_poll() calls it first; a shim that must
 * know before choosing its own timeout calls it earlier (it does nothing
 * the second time). Returns how many watches were queued.
 */
int fut_kit_loop_level(struct fut_kit_loop *loop);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif /* FUT_COMPAT_KIT_H */
