/* SPDX-License-Identifier: MIT */
/*
 * compat/eventapi: the evbuffer internals bufferevents use (hidden).
 */
#ifndef FUT_EVENTAPI_BUFFER_INTERNAL_H
#define FUT_EVENTAPI_BUFFER_INTERNAL_H

#include <event2/buffer.h>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/*
 * An owner hook: called synchronously after every change of @buf's length
 * (before the program's callbacks), with the bytes added and removed by
 * that change. A bufferevent uses it to arm its write event when output
 * grows and to resume reading when input drains below the high watermark.
 */
typedef void (*fut_evbuffer_hook)(struct evbuffer *buf, size_t added, size_t deleted, void *arg);
void fut_evbuffer_set_hook(struct evbuffer *buf, fut_evbuffer_hook hook, void *arg);

/* Mark @buf as a bufferevent's (evbuffer_free() on it is refused). */
void fut_evbuffer_set_owned(struct evbuffer *buf, int owned);
/* Free a buffer marked owned. */
void fut_evbuffer_free_owned(struct evbuffer *buf);

/* One read(2) of up to @howmuch bytes into @buf, whatever its freezing
 * (evbuffer_read() without its 4096-byte cap). Returns as read(2). */
int fut_evbuffer_read_max(struct evbuffer *buf, int fd, int howmuch);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
