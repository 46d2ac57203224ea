/* SPDX-License-Identifier: MIT */
/*
 * event2/bufferevent.h - libevent 2.1's socket bufferevents on the
 * libfutures core (libfutures-eventapi).
 *
 * A bufferevent reads a socket into its input evbuffer and writes its
 * output evbuffer to the socket, with callbacks: the read callback when
 * the input holds at least the read low watermark, the write callback
 * when the output drained to the write low watermark, the event callback
 * for end of file, errors, timeouts and connection. It is built on the
 * base's events (event_assign/event_add with EV_READ|EV_WRITE|EV_PERSIST).
 *
 * Threads: without BEV_OPT_THREADSAFE a bufferevent and its buffers belong
 * to one thread at a time. With it (needs evthread_use_pthreads() first) a
 * recursive lock, shared by its buffers (and by both ends of a pair), is
 * taken by the bufferevent functions and held while its callbacks run;
 * bufferevent_lock() groups calls. Callbacks run from the loop, never inside the
 * call that arms them, except where libevent also runs them at once:
 * bufferevent_trigger() without deferral, a failed hostname lookup
 * without a DNS base.
 */
#ifndef EVENT2_BUFFEREVENT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_H_INCLUDED_

#include <sys/socket.h>
#include <sys/time.h>

#include "event2/util.h"
#include "event2/event.h"
#include "event2/buffer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What an event callback reports (combined: a direction and a cause). */
#define BEV_EVENT_READING 0x01   /* while reading */
#define BEV_EVENT_WRITING 0x02   /* while writing */
#define BEV_EVENT_EOF 0x10       /* end of file */
#define BEV_EVENT_ERROR 0x20     /* an error: EVUTIL_SOCKET_ERROR() says which */
#define BEV_EVENT_TIMEOUT 0x40   /* the read or write timeout passed */
#define BEV_EVENT_CONNECTED 0x80 /* bufferevent_socket_connect*() finished */

struct bufferevent;
struct event_base;
struct evdns_base;

typedef void (*bufferevent_data_cb)(struct bufferevent *bev, void *ctx);
typedef void (*bufferevent_event_cb)(struct bufferevent *bev, short what, void *ctx);

/* Options of bufferevent_socket_new(). */
enum bufferevent_options {
  /* bufferevent_free() (the last reference) closes the socket. */
  BEV_OPT_CLOSE_ON_FREE = (1 << 0),
  /* A recursive lock (needs evthread_use_pthreads(); refused before). */
  BEV_OPT_THREADSAFE = (1 << 1),
  /* Callbacks run from the loop after the current callback, not inside
   * the operation that caused them. */
  BEV_OPT_DEFER_CALLBACKS = (1 << 2),
  /* With locking only: refused here too. */
  BEV_OPT_UNLOCK_CALLBACKS = (1 << 3)
};

/* bufferevent_flush() modes. */
enum bufferevent_flush_mode {
  BEV_NORMAL = 0,
  BEV_FLUSH = 1,
  BEV_FINISHED = 2
};

/* bufferevent_trigger() options. */
enum bufferevent_trigger_options {
  /* Run the callback whatever the watermarks say. */
  BEV_TRIG_IGNORE_WATERMARKS = (1 << 16),
  /* Run it from the loop (deferred), not inside the call. */
  BEV_TRIG_DEFER_CALLBACKS = BEV_OPT_DEFER_CALLBACKS
};

/**
 * bufferevent_socket_new - a bufferevent on socket @fd (-1: none yet; set
 * it with bufferevent_setfd() or bufferevent_socket_connect()). The socket
 * should be nonblocking. Writing is enabled, reading is not. @options:
 * BEV_OPT_CLOSE_ON_FREE, BEV_OPT_DEFER_CALLBACKS, BEV_OPT_THREADSAFE.
 * @base NULL: the base event_init() made. Returns NULL (no base,
 * BEV_OPT_THREADSAFE before evthread_use_pthreads(),
 * BEV_OPT_UNLOCK_CALLBACKS, unknown options, out of memory).
 */
EVENT2_EXPORT_SYMBOL struct bufferevent *bufferevent_socket_new(struct event_base *base, evutil_socket_t fd, int options);

/**
 * bufferevent_socket_connect - connect to @sa (@socklen bytes): without a
 * socket, a nonblocking one of @sa's family is made. When the connection
 * is made the event callback gets BEV_EVENT_CONNECTED; when it fails,
 * BEV_EVENT_ERROR with EVUTIL_SOCKET_ERROR() the reason (ECONNREFUSED...),
 * and reading and writing are disabled. @sa NULL with a socket set: wait
 * for a connection started by the program. Returns 0 (connecting, or the
 * failure reported through the callback), or -1 (no socket could be made,
 * bad address: nothing reported).
 */
EVENT2_EXPORT_SYMBOL int bufferevent_socket_connect(struct bufferevent *bev, const struct sockaddr *sa, int socklen);

/**
 * bufferevent_socket_connect_hostname - resolve @hostname (@family:
 * AF_INET, AF_INET6, AF_UNSPEC) with @evdns_base (NULL: getaddrinfo(3) in
 * this call), then bufferevent_socket_connect() to its first address, port
 * @port. A failed lookup reports BEV_EVENT_ERROR with
 * bufferevent_socket_get_dns_error() nonzero. Returns 0, or -1 (bad
 * arguments, the request could not start).
 */
EVENT2_EXPORT_SYMBOL int bufferevent_socket_connect_hostname(struct bufferevent *bev, struct evdns_base *evdns_base, int family, const char *hostname, int port);

/**
 * bufferevent_socket_get_dns_error - the EVUTIL_EAI_* error of the last
 * failed hostname lookup of @bev, 0 when none.
 */
EVENT2_EXPORT_SYMBOL int bufferevent_socket_get_dns_error(struct bufferevent *bev);

/**
 * bufferevent_base_set - move @bev (no event of it pending: nothing
 * enabled) to @base. Returns 0 or -1.
 */
EVENT2_EXPORT_SYMBOL int bufferevent_base_set(struct event_base *base, struct bufferevent *bev);

/** bufferevent_get_base - the base of @bev. */
EVENT2_EXPORT_SYMBOL struct event_base *bufferevent_get_base(struct bufferevent *bev);

/**
 * bufferevent_priority_set - the priority of @bev's events (see
 * event_priority_set). Returns 0, or -1 for a bad priority.
 */
EVENT2_EXPORT_SYMBOL int bufferevent_priority_set(struct bufferevent *bev, int pri);

/** bufferevent_get_priority - the priority of @bev's events. */
EVENT2_EXPORT_SYMBOL int bufferevent_get_priority(const struct bufferevent *bev);

/**
 * bufferevent_free - release @bev: its callbacks are cleared and its
 * events removed at once; the memory, its buffers and (with
 * BEV_OPT_CLOSE_ON_FREE) the socket go with the last reference (at once
 * unless a callback of @bev is running or a deferred one is pending, or
 * bufferevent_incref() holds it). NULL is ignored.
 */
EVENT2_EXPORT_SYMBOL void bufferevent_free(struct bufferevent *bev);

/**
 * bufferevent_setcb - set the read, write and event callbacks (NULL: none)
 * and their argument.
 */
EVENT2_EXPORT_SYMBOL void bufferevent_setcb(struct bufferevent *bufev, bufferevent_data_cb readcb, bufferevent_data_cb writecb, bufferevent_event_cb eventcb, void *cbarg);

/** bufferevent_getcb - the callbacks and argument (each out pointer may be NULL). */
EVENT2_EXPORT_SYMBOL void bufferevent_getcb(struct bufferevent *bufev, bufferevent_data_cb *readcb_ptr, bufferevent_data_cb *writecb_ptr, bufferevent_event_cb *eventcb_ptr, void **cbarg_ptr);

/**
 * bufferevent_setfd - use socket @fd (-1: none); a connection in progress
 * is forgotten, the enabled directions are watched on the new socket. The
 * old socket is not closed. Returns 0 or -1.
 */
EVENT2_EXPORT_SYMBOL int bufferevent_setfd(struct bufferevent *bufev, evutil_socket_t fd);

/** bufferevent_getfd - the socket, -1 when none. */
EVENT2_EXPORT_SYMBOL evutil_socket_t bufferevent_getfd(struct bufferevent *bufev);

/** bufferevent_get_underlying - the bufferevent under a filter (as given to
 * bufferevent_filter_new); NULL for socket and pair ones, and for NULL. */
EVENT2_EXPORT_SYMBOL struct bufferevent *bufferevent_get_underlying(struct bufferevent *bufev);

/**
 * bufferevent_write - copy @size bytes to the output (sent when writing is
 * enabled). Returns 0, or -1 (NULL, out of memory).
 */
EVENT2_EXPORT_SYMBOL int bufferevent_write(struct bufferevent *bufev, const void *data, size_t size);

/** bufferevent_write_buffer - move all of @buf to the output. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL int bufferevent_write_buffer(struct bufferevent *bufev, struct evbuffer *buf);

/** bufferevent_read - take up to @size bytes from the input. Returns how many. */
EVENT2_EXPORT_SYMBOL size_t bufferevent_read(struct bufferevent *bufev, void *data, size_t size);

/** bufferevent_read_buffer - move all of the input to @buf. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL int bufferevent_read_buffer(struct bufferevent *bufev, struct evbuffer *buf);

/**
 * bufferevent_get_input - the input buffer (the program drains it; adding
 * to its end is refused while it belongs to @bufev).
 */
EVENT2_EXPORT_SYMBOL struct evbuffer *bufferevent_get_input(struct bufferevent *bufev);

/**
 * bufferevent_get_output - the output buffer (the program adds to it;
 * draining its front is refused while it belongs to @bufev).
 */
EVENT2_EXPORT_SYMBOL struct evbuffer *bufferevent_get_output(struct bufferevent *bufev);

/**
 * bufferevent_enable - enable reading and/or writing (@event: EV_READ,
 * EV_WRITE). Enabling writing with an empty output still runs the write
 * callback once the socket is writable, as libevent. Returns 0 or -1.
 */
EVENT2_EXPORT_SYMBOL int bufferevent_enable(struct bufferevent *bufev, short event);

/** bufferevent_disable - disable reading and/or writing. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL int bufferevent_disable(struct bufferevent *bufev, short event);

/** bufferevent_get_enabled - the enabled directions (EV_READ | EV_WRITE). */
EVENT2_EXPORT_SYMBOL short bufferevent_get_enabled(struct bufferevent *bufev);

/**
 * bufferevent_set_timeouts - read and write timeouts (NULL or zero: none).
 * A direction that waits that long without progress is disabled and the
 * event callback gets BEV_EVENT_TIMEOUT | BEV_EVENT_READING (or _WRITING).
 * Returns 0 or -1.
 */
EVENT2_EXPORT_SYMBOL int bufferevent_set_timeouts(struct bufferevent *bufev, const struct timeval *timeout_read, const struct timeval *timeout_write);

/**
 * bufferevent_setwatermark - watermarks of @events (EV_READ, EV_WRITE):
 * read low (the read callback waits for that many bytes), read high
 * (reading stops while the input holds that many; 0: no limit), write low
 * (the write callback runs when the output drains to it). The write high
 * mark is kept but only filters use it.
 */
EVENT2_EXPORT_SYMBOL void bufferevent_setwatermark(struct bufferevent *bufev, short events, size_t lowmark, size_t highmark);

/**
 * bufferevent_getwatermark - the watermarks of one direction (@events
 * EV_READ or EV_WRITE). Returns 0, or -1 for anything else.
 */
EVENT2_EXPORT_SYMBOL int bufferevent_getwatermark(struct bufferevent *bufev, short events, size_t *lowmark, size_t *highmark);

/**
 * bufferevent_flush - for a socket bufferevent, nothing to do (libevent
 * sends as the socket allows): returns 0, -1 for NULL. For a pair end:
 * BEV_NORMAL does nothing; BEV_FLUSH and BEV_FINISHED move the pending
 * data of @iotype (EV_READ: from the partner, EV_WRITE: to it) whatever
 * the watermarks, and BEV_FINISHED then reports BEV_EVENT_EOF to the
 * partner. Returns 0, or -1 (no partner left). For a filter
 * (bufferevent_filter_new): EV_READ runs the input filter and EV_WRITE
 * the output filter with @mode (BEV_FLUSH / BEV_FINISHED: called even with
 * nothing pending and whatever the watermarks), then the underlying
 * bufferevent is flushed likewise; returns 1 when a filter returned
 * BEV_OK, 0 when none did, -1 (freed, bad @mode). As libevent, flushing
 * input does not run the read callback.
 */
EVENT2_EXPORT_SYMBOL int bufferevent_flush(struct bufferevent *bufev, short iotype, enum bufferevent_flush_mode mode);

/**
 * bufferevent_trigger - run the read and/or write callback (@iotype) as if
 * data had come or gone: only when the watermarks allow unless
 * BEV_TRIG_IGNORE_WATERMARKS; deferred with BEV_TRIG_DEFER_CALLBACKS or
 * BEV_OPT_DEFER_CALLBACKS, else at once.
 */
EVENT2_EXPORT_SYMBOL void bufferevent_trigger(struct bufferevent *bufev, short iotype, int options);

/**
 * bufferevent_trigger_event - run the event callback with @what, at once
 * or deferred as bufferevent_trigger().
 */
EVENT2_EXPORT_SYMBOL void bufferevent_trigger_event(struct bufferevent *bufev, short what, int options);

/** bufferevent_incref - hold @bev (its memory stays until the matching decref). */
EVENT2_EXPORT_SYMBOL void bufferevent_incref(struct bufferevent *bufev);

/**
 * bufferevent_decref - drop a hold. Returns 1 when that freed @bev, else 0.
 */
EVENT2_EXPORT_SYMBOL int bufferevent_decref(struct bufferevent *bufev);

/** bufferevent_lock - take @bufev's recursive lock (BEV_OPT_THREADSAFE);
 * without one (or NULL) it does nothing. Any thread. */
EVENT2_EXPORT_SYMBOL void bufferevent_lock(struct bufferevent *bufev);

/** bufferevent_unlock - release what bufferevent_lock() took; same thread. */
EVENT2_EXPORT_SYMBOL void bufferevent_unlock(struct bufferevent *bufev);

/**
 * bufferevent_set_max_single_read - the most one read(2) takes (default
 * 16384). @size 0 or more than EV_SSIZE_MAX: the default. Returns 0.
 */
EVENT2_EXPORT_SYMBOL int bufferevent_set_max_single_read(struct bufferevent *bev, size_t size);

/** bufferevent_set_max_single_write - the most one write takes (default 16384). */
EVENT2_EXPORT_SYMBOL int bufferevent_set_max_single_write(struct bufferevent *bev, size_t size);

/** bufferevent_get_max_single_read - see bufferevent_set_max_single_read. */
EVENT2_EXPORT_SYMBOL ev_ssize_t bufferevent_get_max_single_read(struct bufferevent *bev);

/** bufferevent_get_max_single_write - see bufferevent_set_max_single_write. */
EVENT2_EXPORT_SYMBOL ev_ssize_t bufferevent_get_max_single_write(struct bufferevent *bev);

/**
 * bufferevent_get_max_to_read - how much one read would take now: the
 * max_single_read (no rate limiting here).
 */
EVENT2_EXPORT_SYMBOL ev_ssize_t bufferevent_get_max_to_read(struct bufferevent *bev);

/** bufferevent_get_max_to_write - likewise, max_single_write. */
EVENT2_EXPORT_SYMBOL ev_ssize_t bufferevent_get_max_to_write(struct bufferevent *bev);

/* What a filter callback reports. */
enum bufferevent_filter_result {
  /* Some bytes were filtered (or there was nothing to do). */
  BEV_OK = 0,
  /* More input is needed before anything can be produced. */
  BEV_NEED_MORE = 1,
  /* The filter failed: nothing more can be filtered. */
  BEV_ERROR = 2
};

/* A filter: take bytes from @src, put the result in @dst (at most
 * @dst_limit bytes when it is not -1), drain what was used. @mode is
 * BEV_NORMAL for ordinary traffic, BEV_FLUSH or BEV_FINISHED when the
 * program called bufferevent_flush() (write out everything held back; with
 * BEV_FINISHED also any trailer). */
typedef enum bufferevent_filter_result (*bufferevent_filter_cb)(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t dst_limit, enum bufferevent_flush_mode mode, void *ctx);

/**
 * bufferevent_filter_new - a bufferevent that filters @underlying's
 * traffic: bytes @underlying reads go through @input_filter into the new
 * one's input (its read callback runs when that input reaches its low
 * watermark); bytes written to the new one go through @output_filter into
 * @underlying's output, at once, as long as writing is enabled and
 * @underlying's output is under its high write watermark (then again when
 * @underlying drained it). A NULL filter passes bytes through. The new one
 * takes over @underlying's callbacks: @underlying's events
 * (BEV_EVENT_CONNECTED, _EOF, _ERROR, _TIMEOUT) are reported as the new
 * one's. Reading from @underlying follows the new one's EV_READ and stops
 * while its input is at its high read watermark; the filters are given a
 * limit that keeps the input under it and @underlying's output under its
 * high write watermark. A filter returning BEV_NEED_MORE or BEV_ERROR
 * stops that pass: the bytes stay in the source buffer; as in libevent
 * 2.1, neither is reported as an event (a filter that must report an
 * error can call bufferevent_trigger_event()). @options:
 * BEV_OPT_CLOSE_ON_FREE (bufferevent_free() frees @underlying too),
 * BEV_OPT_DEFER_CALLBACKS. @free_context(@ctx) runs once when the new one
 * is freed. Without BEV_OPT_CLOSE_ON_FREE, freeing the new one gives
 * @underlying back with no callbacks and reading enabled. Returns NULL
 * (NULL or freed @underlying, unsupported options, out of memory).
 */
EVENT2_EXPORT_SYMBOL struct bufferevent *bufferevent_filter_new(struct bufferevent *underlying, bufferevent_filter_cb input_filter, bufferevent_filter_cb output_filter, int options, void (*free_context)(void *), void *ctx);

/**
 * bufferevent_pair_new - two bufferevents joined to each other, no socket:
 * what one end's output gets goes to the other end's input when the
 * writer has EV_WRITE and the reader EV_READ enabled (and the reader's
 * input is under its read high watermark), the reader's read callback and
 * the writer's write callback following (always deferred:
 * BEV_OPT_DEFER_CALLBACKS is implied). Timeouts apply as to sockets.
 * Freeing one end leaves the other without partner (no EOF is reported;
 * bufferevent_flush(BEV_FINISHED) reports it). @options as for
 * bufferevent_socket_new. Returns 0 with @pair set, or -1.
 */
EVENT2_EXPORT_SYMBOL int bufferevent_pair_new(struct event_base *base, int options, struct bufferevent *pair[2]);

/** bufferevent_pair_get_partner - the other end of pair end @bev, NULL when freed or not a pair. */
EVENT2_EXPORT_SYMBOL struct bufferevent *bufferevent_pair_get_partner(struct bufferevent *bev);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_H_INCLUDED_ */
