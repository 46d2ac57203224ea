/* SPDX-License-Identifier: MIT */
/* compat/uvapi: what the parts of the libuv shim share. Not installed. */
#ifndef FUT_UVAPI_INTERNAL_H
#define FUT_UVAPI_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "uv.h"
#include "kit.h"

/* ---- handle flags (handle->flags) ----------------------------------- */
enum {
  UV_HANDLE_CLOSING = 1u << 0,
  UV_HANDLE_CLOSED = 1u << 1,
  UV_HANDLE_ACTIVE = 1u << 2,
  UV_HANDLE_REF = 1u << 3,
  UV_HANDLE_INTERNAL = 1u << 4,
  /* 1u << 5 .. 1u << 7: reserved for the loop */
  /* streams, UDP, poll: the areas' own, from bit 8 on */
  UV_HANDLE_READING = 1u << 8,
  UV_HANDLE_SHUTTING = 1u << 9,
  UV_HANDLE_SHUT = 1u << 10,
  UV_HANDLE_READ_EOF = 1u << 11,
  UV_HANDLE_READABLE = 1u << 12,
  UV_HANDLE_WRITABLE = 1u << 13,
  UV_HANDLE_BOUND = 1u << 14,
  UV_HANDLE_LISTENING = 1u << 15,
  UV_HANDLE_CONNECTION = 1u << 16,
  UV_HANDLE_BLOCKING_WRITES = 1u << 17,
  UV_HANDLE_TCP_NODELAY = 1u << 18,
  UV_HANDLE_TCP_KEEPALIVE = 1u << 19,
  UV_HANDLE_IPV6ONLY = 1u << 20,
  UV_HANDLE_UDP_CONNECTED = 1u << 21,
  UV_HANDLE_UDP_PROCESSING = 1u << 22,
  UV_HANDLE_PIPE_IPC = 1u << 23,
  UV_HANDLE_TTY_RAW = 1u << 24
  /* 1u << 25 .. 1u << 31: free for the areas */
};

/* ---- queues: the kit's (compat/kit/kit.h, fut_kit_queue_*) ----------- */

/* ---- handles ----------------------------------------------------------- */

/* Set up the common fields and link @h into the loop's list (uv_walk). */
void uv__handle_init(uv_loop_t *loop, uv_handle_t *h, uv_handle_type type);

static inline int uv__is_active(const uv_handle_t *h) { return (h->flags & UV_HANDLE_ACTIVE) != 0; }
static inline int uv__is_closing(const uv_handle_t *h) { return (h->flags & (UV_HANDLE_CLOSING | UV_HANDLE_CLOSED)) != 0; }

/* Mark @h active (idempotent); a referenced active handle keeps the loop alive. */
static inline void
uv__handle_start(uv_handle_t *h)
{
  if (h->flags & UV_HANDLE_ACTIVE)
    return;
  h->flags |= UV_HANDLE_ACTIVE;
  if (h->flags & UV_HANDLE_REF)
    h->loop->active_handles++;
}
static inline void
uv__handle_stop(uv_handle_t *h)
{
  if (!(h->flags & UV_HANDLE_ACTIVE))
    return;
  h->flags &= ~UV_HANDLE_ACTIVE;
  if (h->flags & UV_HANDLE_REF)
    h->loop->active_handles--;
}

/* A request in flight keeps the loop alive. */
static inline void uv__req_register(uv_loop_t *loop) { loop->active_reqs.count++; }
static inline void uv__req_unregister(uv_loop_t *loop) { loop->active_reqs.count--; }
/* Set the common request fields (type, event callback) before use. */
void uv__req_init(uv_loop_t *loop, uv_req_t *req, uv_req_type type,
                  void (*cb)(struct fut_kit_ev *ev));

/* ---- the loop's events -------------------------------------------------- */

/*
 * An event @ev (a struct fut_kit_ev in a handle or request: compat/kit)
 * is queued by waking its waker (uv__ev_context(); the wakers are for the
 * loop's thread only, which is where futures deliver readiness, pool
 * completions and notifications) or by uv__ev_feed(); the loop calls
 * ev->cb(ev) in the poll phase of the iteration (uv__ev_feed_pending: at
 * the start of the next iteration, libuv's "pending" phase, where
 * deferred write callbacks run). Queuing a queued event does nothing.
 * uv__ev_cancel() takes it off the queue (call it when the handle closes).
 */
#define UV__EV_PENDING 2u /* fut_kit_ev.queued: on loop->pending_ */

/* The uv_loop_t of an event. */
static inline uv_loop_t *
uv__ev_loop(const struct fut_kit_ev *ev)
{
  return fut_kit_queue_data(ev->loop, uv_loop_t, kit_);
}
static inline void
uv__ev_init(uv_loop_t *loop, struct fut_kit_ev *ev, void (*cb)(struct fut_kit_ev *ev))
{
  fut_kit_ev_init(&loop->kit_, ev, cb);
}
static inline void uv__ev_feed(struct fut_kit_ev *ev) { fut_kit_ev_feed(ev); }
static inline void
uv__ev_feed_pending(struct fut_kit_ev *ev)
{
  fut_kit_ev_feed_to(ev, &uv__ev_loop(ev)->pending_, UV__EV_PENDING);
}
static inline void uv__ev_cancel(struct fut_kit_ev *ev) { fut_kit_ev_cancel(ev); }
/* A context whose waker queues @ev and whose runtime is @ev's loop's. */
static inline void
uv__ev_context(struct fut_kit_ev *ev, struct fut_waker *w, struct fut_context *cx)
{
  fut_kit_ev_context(ev, w, cx);
}

static inline struct fut_runtime *uv__rt(uv_loop_t *loop) { return &loop->kit_.rt; }

/* ---- errors ------------------------------------------------------------ */
/* A negative errno to a UV_E* code (the same on Linux), -errno from a libc call. */
static inline int uv__err(int e) { return e; }
#define UV__ERR(x) (-(x))

/* ---- allocation (uv_replace_allocator) -------------------------------- */
void *uv__malloc(size_t size);
void *uv__calloc(size_t count, size_t size);
void *uv__realloc(void *ptr, size_t size);
void uv__free(void *ptr);
char *uv__strdup(const char *s);

/* ---- per-area hooks the loop calls ---------------------------------------- */
/* uv_close() on a handle of the area: stop everything (no callbacks). */
void uv__stream_close(uv_stream_t *handle);
void uv__udp_close(uv_udp_t *handle);
void uv__poll_close(uv_poll_t *handle);
void uv__signal_close(uv_signal_t *handle);
void uv__process_close(uv_process_t *handle);
void uv__fs_event_close(uv_fs_event_t *handle);
/* uv_loop_fork(): @loop's inotify descriptor anew, under the same number,
 * its watches added again. 0 or a UV_E* code. */
int uv__fs_event_fork(uv_loop_t *loop);
void uv__fs_poll_close(uv_fs_poll_t *handle);
/* The close phase, right before the close callback: fail what is queued
 * (write, connect, shutdown, send callbacks with UV_ECANCELED). */
void uv__stream_destroy(uv_stream_t *handle);
void uv__udp_finish_close(uv_udp_t *handle);
/* uv_fileno() and the buffer-size calls for the area's types: the
 * descriptor, or UV_EBADF. */
int uv__stream_fd(const uv_stream_t *handle);
int uv__udp_fd(const uv_udp_t *handle);
int uv__poll_fd(const uv_poll_t *handle);
/* Make @fd (any descriptor: socket, pipe, TTY; set nonblocking here) the
 * descriptor of the initialised stream @s, with @flags from
 * UV_HANDLE_READABLE | UV_HANDLE_WRITABLE; the stream owns it from then on
 * (uv_close() closes it). 0 or a UV_E* code (UV_EBUSY: it has one).
 * Streams define it; uv_spawn() uses it for UV_CREATE_PIPE stdio. */
int uv__stream_open(uv_stream_t *s, int fd, unsigned int flags);
/* uv_cancel() for fs, work, getaddrinfo, getnameinfo requests. */
int uv__work_cancel(uv_req_t *req);

/* ---- the pool requests (work.c) ---------------------------------------- */
/* The common prefix of fs, work, getaddrinfo, getnameinfo, random requests. */
struct uv__work_req {
  UV__WORK_REQ_FIELDS
};
/* Run @work(@w) on @loop's pool for @req (of @type, whose uv__work is @w),
 * then @done(@w, status) on the loop's thread (status 0, UV_ECANCELED, or
 * the pool's error). The request is registered in flight until @done. */
void uv__work_submit(uv_loop_t *loop, uv_req_t *req, uv_req_type type,
                     void (*work)(struct uv__work *w),
                     void (*done)(struct uv__work *w, int status));
/* The request of @w's type, from its uv__work. */
#define uv__work_container(w, type) \
  ((type *)(void *)((char *)(w) - offsetof(type, work_)))

#endif /* FUT_UVAPI_INTERNAL_H */
